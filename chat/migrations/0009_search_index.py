"""검색 색인 (이슈 #23): SQLite는 FTS5 trigram 표와 트리거, PostgreSQL은 pg_trgm GIN 색인. SQL은 chat.search_index."""

from django.db import migrations


def create(apps, schema_editor):
    from chat import search_index

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
