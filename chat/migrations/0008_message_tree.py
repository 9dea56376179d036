"""버전 나무: 지금까지의 한 줄 대화를 나무로 옮긴다. 메시지마다 바로 앞 메시지가 부모, 마지막 메시지가 끝.

문장 두 개로 (SQLite와 PostgreSQL 모두): 행마다 Python을 돌지 않아 큰 DB도 빨리 끝난다.
(conversation, id) 색인이 "바로 앞 메시지"를 찾는다.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0007_error_kind_plain_choices"),
    ]

    operations = [
        migrations.AddField(
            model_name="conversation",
            name="current_leaf",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="chat.message",
                verbose_name="current message",
            ),
        ),
        migrations.AddField(
            model_name="message",
            name="parent",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="children",
                to="chat.message",
                verbose_name="previous message",
                db_index=False,
            ),
        ),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(fields=["parent", "conversation"], name="message_parent_idx"),
        ),
        migrations.RunSQL(
            sql=[
                "UPDATE chat_message SET parent_id = (SELECT MAX(earlier.id) FROM chat_message earlier"
                " WHERE earlier.conversation_id = chat_message.conversation_id"
                " AND earlier.id < chat_message.id)",
                "UPDATE chat_conversation SET current_leaf_id = (SELECT MAX(m.id) FROM chat_message m"
                " WHERE m.conversation_id = chat_conversation.id)",
            ],
            # 되돌리면 두 열이 사라진다: 옛 한 줄 대화는 번호 순서 그대로 남아 있다
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
