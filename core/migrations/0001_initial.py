"""감사 기록(AuditEvent)을 chat에서 받는다. 표는 chat/0006이 core_auditevent로 이름을 바꿔 둔 것이라 상태만 만든다.

새 DB에서도, chat의 마이그레이션을 이미 마친 DB에서도 같은 길이다: chat/0003이 표를 만들고 chat/0006이 이름을
바꾼 뒤에 이것이 돈다. 콘텐트 타입도 chat에서 core로 옮겨, 그 권한(Moderators의 view_auditevent 등)과 그것을 받은
모둠·사람이 그대로 따라온다.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def _move_content_type(source, target):
    def move(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        content_types = ContentType.objects.using(schema_editor.connection.alias)
        if not content_types.filter(app_label=source, model="auditevent").exists():
            return
        # 되돌렸다가 다시 migrate하면 post_migrate가 이쪽에 빈 콘텐트 타입과 권한을 새로 만들어 두었을 수 있다.
        # 모둠과 사람이 받은 권한은 원래 것에 붙어 있으므로 새것을 지우고 원래 것을 옮긴다.
        content_types.filter(app_label=target, model="auditevent").delete()
        content_types.filter(app_label=source, model="auditevent").update(app_label=target)
        ContentType.objects.clear_cache()

    return move


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("chat", "0006_move_auditevent_to_core"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEvent",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("actor_username", models.CharField(blank=True, max_length=150, verbose_name="actor's username")),
                        ("action", models.CharField(max_length=64, verbose_name="action")),
                        ("target_id", models.CharField(blank=True, max_length=64, verbose_name="target id")),
                        ("target_repr", models.CharField(blank=True, max_length=200, verbose_name="target")),
                        ("payload", models.JSONField(blank=True, default=dict, verbose_name="details")),
                        ("address", models.GenericIPAddressField(blank=True, null=True, verbose_name="client address")),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="time")),
                        ("actor", models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="actor")),
                        ("target_type", models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="contenttypes.contenttype", verbose_name="target type")),
                    ],
                    options={
                        "verbose_name": "audit event",
                        "verbose_name_plural": "audit trail",
                        "indexes": [
                            models.Index(fields=["target_type", "target_id", "-created_at"], name="audit_target_idx"),
                            models.Index(fields=["actor", "-created_at"], name="audit_actor_idx"),
                            models.Index(fields=["-created_at"], name="audit_time_idx"),
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(_move_content_type("chat", "core"), _move_content_type("core", "chat")),
    ]
