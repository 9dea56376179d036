"""감사 기록(AuditEvent)을 core 앱으로 넘긴다: 행은 그대로 두고 표 이름만 바꾼 뒤 chat의 상태에서 지운다.

core/0001이 이 뒤에 같은 모델을 상태에만 만든다. 되돌리면 표 이름도 돌아온다.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0005_reply_reasoning"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # 행과 색인(audit_target_idx, audit_actor_idx, audit_time_idx)은 그대로, 표 이름만 core의 것으로
            database_operations=[
                migrations.AlterModelTable(name="auditevent", table="core_auditevent"),
            ],
            state_operations=[
                migrations.DeleteModel(name="AuditEvent"),
            ],
        ),
    ]
