"""검색 색인 (이슈 #23): SQLite는 FTS5 trigram 표와 트리거, PostgreSQL은 pg_trgm GIN 색인. SQL은 chat.search_index."""

from django.db import migrations


def create(apps, schema_editor):
    from chat import search_index

    if schema_editor.connection.vendor == "sqlite":
        # 여기서는 빈 FTS 표만 둔다: 트리거는 migrate가 끝난 뒤 post_migrate가 짓고 메시지를 담는다
        # (search_index.heal_after_migrate). 여기서 지으면 같은 migrate 안의 뒤 마이그레이션이 대화·메시지 표를 새로
        # 지을 때(SQLite의 AddField 등) 표 이름 바꾸기가 없는 표를 가리키는 트리거에 걸려 멈춘다 (chat/0011이 그랬다).
        search_index.create_table(schema_editor.connection)
        return
    search_index.create(schema_editor.connection)


def drop(apps, schema_editor):
    from chat import search_index

    search_index.drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0008_message_tree"),
    ]

    operations = [
        migrations.RunPython(create, drop, elidable=False),
    ]
