"""관리자 모둠 "Moderators": 읽기, 숨기기, 신고 처리만. 슈퍼유저의 힘(고치기, 지우기, 권한 주기)은 없다."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Moderators"
PERMISSIONS = [
    ("accounts", "view_user"),
    ("chat", "view_conversation"),
    ("chat", "hide_conversation"),
    ("chat", "view_message"),
    ("chat", "view_report"),
    ("chat", "resolve_report"),
    ("chat", "view_auditevent"),
]


def create_group(apps, schema_editor):
    # 권한 행은 보통 migrate가 끝난 뒤(post_migrate) 생긴다: 새 DB에서도 여기서 쓸 수 있게 먼저 만든다
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=GROUP)
    for app_label, codename in PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0003_audit_reports"),
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
