"""Instructors 모둠: 반을 만들 수 있다 (관리 화면 밖, /classes/에서). 만든 사람이 그 반의 강사가 된다.

반을 만들지 않고 맡기만 하는 강사는 모둠이 필요 없다: 반의 강사 목록에 든 것으로 그 반을 운영한다.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Instructors"


def allow(apps, schema_editor):
    app_config = apps.get_app_config("accounts")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        Permission.objects.get(content_type__app_label="accounts", codename="add_course")
    )


def disallow(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_classes")]

    operations = [migrations.RunPython(allow, disallow)]
