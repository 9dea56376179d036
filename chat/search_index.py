"""검색 색인: DB마다 제 색인을 만들고, 지우고, 다시 짓고, 살아 있는지 본다 (찾기는 chat.search).

SQLite는 FTS5(trigram) 표 하나를 트리거가 메시지 표와 맞춰 두고, PostgreSQL은 pg_trgm의 GIN 색인 하나가 스스로
맞는다. 끝난 글(Message.FINISHED)만 담는다: 쓰는 중인 답변은 몇 초마다 진행을 저장하는데, 그때마다 색인을 고치면
보내기와 스트림의 쓰기가 무거워진다. 끝나면 한 번 담긴다.

마이그레이션(0009_search_index), rebuild_search_index 명령, post_migrate가 모두 여기의 SQL을 쓴다.
"""

from django.core import checks
from django.db import connection as default_connection
from django.db import transaction

# 색인에 담는 상태. 마이그레이션이 얼려 두지 않고 여기서 읽으므로 Message.FINISHED와 같은지 테스트가 본다
FINISHED = ("done", "stopped", "failed", "interrupted")
FTS_TABLE = "chat_message_search"
PG_INDEX = "chat_message_search_idx"
TRIGGERS = (
    "chat_message_search_insert",
    "chat_message_search_update",
    "chat_message_search_delete",
    "chat_message_search_owner",
)

_finished = ", ".join(f"'{status}'" for status in FINISHED)

# SQLite의 rowid는 주인 id × 2^32 + 메시지 id다. 색인의 목록(doclist)이 rowid 순이라 한 사람의 항목이 붙어 있어, 검색은
# rowid 범위로 그 사람의 것만 읽는다: 흔한 낱말("리스트")도 남의 메시지 수만큼 값을 치르지 않는다. 메시지 id는 2^32보다
# 작아야 한다 (SQLite 한 파일에 40억 개). 색인에 든 행은 "끝난 상태이고 글이 있는" 행뿐이고, 지울 때는 rowid로 지운다.
OWNER_SHIFT = 2**32
_rowid = (
    "(SELECT owner_id * {shift} + {row}.id FROM chat_conversation WHERE id = {row}.conversation_id)"
)
_old_rowid = _rowid.format(shift=OWNER_SHIFT, row="old")
_SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER IF NOT EXISTS chat_message_search_insert AFTER INSERT ON chat_message
    WHEN new.status IN ({_finished}) AND new.content <> ''
    BEGIN
        INSERT INTO {FTS_TABLE}(rowid, content)
            SELECT owner_id * {OWNER_SHIFT} + new.id, new.content
            FROM chat_conversation WHERE id = new.conversation_id;
    END""",  # noqa: S608 - 상수로 지은 SQL
    # 쓰는 중인 답변의 진행 저장(streaming → streaming)은 WHEN에서 걸러져 아무것도 하지 않는다
    f"""CREATE TRIGGER IF NOT EXISTS chat_message_search_update AFTER UPDATE OF content, status
    ON chat_message
    WHEN (old.status IN ({_finished}) OR new.status IN ({_finished}))
        AND (old.content IS NOT new.content OR old.status IS NOT new.status)
    BEGIN
        DELETE FROM {FTS_TABLE} WHERE rowid = {_old_rowid};
        INSERT INTO {FTS_TABLE}(rowid, content)
            SELECT owner_id * {OWNER_SHIFT} + new.id, new.content
            FROM chat_conversation WHERE id = new.conversation_id
                AND new.status IN ({_finished}) AND new.content <> '';
    END""",  # noqa: S608 - 상수로 지은 SQL
    # Django는 대화보다 메시지를 먼저 지운다: 이때는 아직 주인을 읽을 수 있다. 순서가 거꾸면 남는 항목은
    # 검색이 메시지 표와 이으며 버려진다 (rebuild_search_index가 치운다)
    f"""CREATE TRIGGER IF NOT EXISTS chat_message_search_delete AFTER DELETE ON chat_message
    WHEN old.status IN ({_finished})
    BEGIN
        DELETE FROM {FTS_TABLE} WHERE rowid = {_old_rowid};
    END""",  # noqa: S608 - 상수로 지은 SQL
    # 대화의 주인이 바뀌면(관리 화면) 그 메시지들을 새 주인의 범위로 옮긴다
    f"""CREATE TRIGGER IF NOT EXISTS chat_message_search_owner AFTER UPDATE OF owner_id
    ON chat_conversation
    WHEN old.owner_id IS NOT new.owner_id
    BEGIN
        DELETE FROM {FTS_TABLE} WHERE rowid IN (
            SELECT old.owner_id * {OWNER_SHIFT} + id FROM chat_message WHERE conversation_id = old.id);
        INSERT INTO {FTS_TABLE}(rowid, content)
            SELECT new.owner_id * {OWNER_SHIFT} + id, content FROM chat_message
            WHERE conversation_id = new.id AND status IN ({_finished}) AND content <> '';
    END""",  # noqa: S608 - 상수로 지은 SQL
)
_SQLITE_FILL = (
    f"INSERT INTO {FTS_TABLE}(rowid, content) SELECT c.owner_id * {OWNER_SHIFT} + m.id, m.content "  # noqa: S608
    "FROM chat_message m JOIN chat_conversation c ON c.id = m.conversation_id "
    f"WHERE m.status IN ({_finished}) AND m.content <> ''"
)
# PostgreSQL: Django의 icontains가 짓는 UPPER("content"::text) LIKE UPPER(…)를 그대로 받는 식의 색인.
# 조건도 검색의 조건(status IN FINISHED)과 글자까지 같아야 계획기가 이 부분 색인을 쓴다.
_PG_INDEX = (
    f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON chat_message "
    f"USING gin (UPPER(content) gin_trgm_ops) WHERE status IN ({_finished})"
)


def create_table(connection=default_connection) -> None:
    """SQLite의 빈 FTS5 표만 (트리거 없이). 트리거가 없으니 heal_after_migrate가 마저 짓고 담는다."""
    with connection.cursor() as cursor:
        # case_sensitive 0: 라틴 글자의 대소문자를 가리지 않는다 (한글에는 대소문자가 없다)
        cursor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} "
            "USING fts5(content, tokenize='trigram case_sensitive 0')"
        )


def create(connection=default_connection) -> None:
    """색인을 만들고 지금 있는 메시지를 담는다."""
    if connection.vendor == "sqlite":
        create_table(connection)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(_SQLITE_FILL)
            for trigger in _SQLITE_TRIGGERS:
                cursor.execute(trigger)
        elif connection.vendor == "postgresql":
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cursor.execute(_PG_INDEX)


def drop(connection=default_connection) -> None:
    """색인을 지운다 (마이그레이션을 되돌릴 때). pg_trgm 확장은 다른 것이 쓸 수 있어 둔다."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for trigger in TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
        elif connection.vendor == "postgresql":
            cursor.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")


def rebuild(connection=default_connection) -> int:
    """색인을 비우고 메시지 표에서 다시 짓는다. 담은 메시지 수를 돌려준다."""
    with transaction.atomic(using=connection.alias):
        if connection.vendor == "postgresql":
            # 바깥 트랜잭션에 미뤄 둔 외래 키 확인이 남아 있으면 PostgreSQL은 색인을 짓지 않는다: 지금 확인한다
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        drop(connection)
        create(connection)
    return indexed_count(connection)


def indexed_count(connection=default_connection) -> int:
    """색인에 들어 있어야 하는 메시지 수 (끝났고 글이 있는 것)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM chat_message WHERE status IN ({_finished}) AND content <> ''"  # noqa: S608
        )
        return cursor.fetchone()[0]


def missing_triggers(connection=default_connection) -> list[str]:
    """SQLite에서 없어진 트리거. Django가 표를 새로 지어 고칠 때(AlterField) 옛 표와 함께 사라진다."""
    if connection.vendor != "sqlite":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        present = {name for (name,) in cursor.fetchall()}
        cursor.execute(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = %s", [FTS_TABLE]
        )
        if not cursor.fetchone()[0]:
            return []  # 아직 마이그레이션 전이다
    return [name for name in TRIGGERS if name not in present]


def suspend_before_migrate(using="default", plan=None, **kwargs) -> None:
    """pre_migrate: 적용할 마이그레이션이 있으면 SQLite의 트리거를 먼저 걷는다 (post_migrate가 다시 짓고 다시 담는다).

    트리거는 서로의 표(메시지 ↔ 대화)를 읽는다. Django가 SQLite에서 표를 새로 지을 때(AlterField 등) new__표를 옛 이름으로
    바꾸는 순간, 다른 표의 트리거가 아직 없는 표를 가리켜 이름 바꾸기가 실패하고 migrate가 멈춘다.
    """
    from django.db import connections

    connection = connections[using]
    if connection.vendor != "sqlite" or not plan:
        return
    with connection.cursor() as cursor:
        for trigger in TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")


def heal_after_migrate(using="default", **kwargs) -> None:
    """post_migrate: 트리거가 없으면(suspend_before_migrate가 걷었거나 표를 새로 지으며 사라졌으면) 다시 짓는다.

    트리거가 없던 동안의 쓰기(데이터 마이그레이션)를 모르니 색인도 다시 담는다.
    """
    from django.db import connections

    connection = connections[using]
    if missing_triggers(connection):
        rebuild(connection)


def ctype_ignores_hangul(ctype: str) -> bool:
    """pg_trgm이 한글을 낱말의 글자로 보지 않는 DB인가.

    pg_trgm은 DB의 LC_CTYPE이 C나 POSIX면 바이트 하나짜리 글자만 낱말로 친다 (iswalpha를 부르지 않는다). 그러면
    한글은 모두 구분자가 되어 색인이 아무것도 거르지 못하고, 검색은 맞지만 모든 행을 읽는다. C.UTF-8은 괜찮다.
    """
    return ctype.strip().upper() in {"C", "POSIX"}


@checks.register(checks.Tags.database)
def check_search_index(app_configs=None, databases=None, **kwargs):
    """migrate와 check --database default가 부른다: 검색 색인이 제 구실을 못 하는 DB를 알린다."""
    from django.db import connections

    found = []
    for alias in databases or []:
        connection = connections[alias]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT datctype FROM pg_database WHERE datname = current_database()"
                )
                (ctype,) = cursor.fetchone()
            if ctype_ignores_hangul(ctype):
                found.append(
                    checks.Warning(
                        f"Database {alias!r} was created with LC_CTYPE={ctype}: pg_trgm ignores "
                        "Hangul there, so searching Korean text reads every message.",
                        hint="Create the database with a UTF-8 ctype, e.g. createdb "
                        "--locale=C.UTF-8 --template=template0, and restore into it.",
                        id="chat.W101",
                    )
                )
        elif missing := missing_triggers(connection):
            found.append(
                checks.Warning(
                    f"The search index triggers {', '.join(missing)} are missing in {alias!r}: "
                    "new messages are not searchable.",
                    hint="Run manage.py migrate or manage.py rebuild_search_index.",
                    id="chat.W102",
                )
            )
    return found
