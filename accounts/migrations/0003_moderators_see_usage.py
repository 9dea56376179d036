"""Moderators 모둠이 사용량 장부도 읽는다: 반을 맡은 강사가 누가 얼마나 쓰는지 봐야 한다 (고치지는 못한다)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Moderators"


def allow(apps, schema_editor):
    app_config = apps.get_app_config("accounts")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        Permission.objects.get(content_type__app_label="accounts", codename="view_dailyusage")
    )


def disallow(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name=GROUP):
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="accounts", codename="view_dailyusage"
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_usage_and_quota"),
        ("chat", "0004_moderators_group"),
    ]

    operations = [migrations.RunPython(allow, disallow)]
