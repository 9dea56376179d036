"""버전 나무: 메시지는 부모를 알고, 대화는 지금 보는 갈래의 끝(current_leaf)을 안다.

같은 부모의 자식들이 서로의 버전이다: 다시 생성한 답변은 옛 답변의 형제, 고쳐 보낸 질문은 옛 질문의 형제다.
화면, 모델에 보낼 문맥, 내보내기, 관리 화면은 모두 끝에서 뿌리까지 거슬러 오른 한 갈래(path)만 본다.

거슬러 오르기는 재귀 CTE 한 문장이다 (SQLite와 PostgreSQL 모두): 한 걸음이 기본 키 하나를 읽으므로
긴 대화도 보이는 만큼만 걷는다.
"""

from dataclasses import dataclass

from django.db import connection

from chat.database import in_thread
from chat.models import Conversation, Message
from core import rows


def _table() -> str:
    return connection.ops.quote_name(Message._meta.db_table)


def chain_sql(start_id: int, *, limit: int | None = None) -> tuple[str, list]:
    """start_id와 그 조상들을 걷는 재귀 CTE "chain(id, parent, depth)" (depth 0이 start_id). 붙여 쓸 SELECT는 부르는 쪽이."""
    table = _table()
    bound = "" if limit is None else "AND chain.depth < %s"
    sql = (
        f"WITH RECURSIVE chain(id, parent, depth) AS ("  # noqa: S608 - quote_name을 거친 이름
        f" SELECT id, parent_id, 0 FROM {table} WHERE id = %s"
        f" UNION ALL"
        f" SELECT m.id, m.parent_id, chain.depth + 1 FROM {table} m JOIN chain ON m.id = chain.parent"
        f" WHERE chain.parent IS NOT NULL {bound}"
        f") "
    )
    return sql, [start_id] + ([] if limit is None else [limit - 1])


def ancestors(start_id: int | None, *, limit: int | None = None) -> list[int]:
    """start_id와 그 조상들의 번호, start_id부터 뿌리 쪽으로. limit이면 그만큼만 걷는다.

    없는 번호는 빈 목록이다. 남의 대화의 번호인지는 부르는 쪽이 읽을 때 대화로 거른다.
    """
    if start_id is None:
        return []
    sql, params = chain_sql(start_id, limit=limit)
    with connection.cursor() as cursor:
        cursor.execute(sql + "SELECT id FROM chain ORDER BY depth", params)  # noqa: S608 - 고정된 SQL
        return [pk for (pk,) in cursor.fetchall()]


def leaf_id(conversation: Conversation) -> int | None:
    """지금 갈래의 끝. 가리키던 메시지가 사라졌으면 가장 최근 메시지."""
    if conversation.current_leaf_id is not None:
        return conversation.current_leaf_id
    newest = rows.values(
        Message, ["pk"], {"conversation": conversation.pk}, order_by="-pk", limit=1
    )
    return newest[0][0] if newest else None


def path(conversation: Conversation, *, start_id: int | None = None, limit: int | None = None):
    """지금 갈래의 메시지들, 옛것부터. start_id면 그 메시지부터 뿌리 쪽으로 (이전 메시지 쪽).

    걷기와 읽기를 한 문장으로: 페이지마다 도는 곳이다. 남의 대화의 번호로 시작하면 빈 목록이다.
    """
    start = start_id if start_id is not None else leaf_id(conversation)
    if start is None:
        return []
    sql, params = chain_sql(start, limit=limit)
    table = _table()
    found = Message.objects.raw(
        sql + f"SELECT m.* FROM chain JOIN {table} m ON m.id = chain.id"  # noqa: S608 - quote_name을 거친 이름
        " WHERE m.conversation_id = %s ORDER BY chain.depth DESC",
        [*params, Conversation._meta.pk.get_db_prep_value(conversation.pk, connection)],
    )
    return list(found)


def leaf_under(conversation_id, message_id: int) -> int:
    """그 메시지를 지나는 갈래의 끝: 갈림마다 가장 최근 자식을 따라 내려간다.

    대화의 번호와 부모만 읽는다 (글은 읽지 않는다). 버전을 바꿀 때와 검색이 그 메시지를 열 때만 돈다.
    """
    children: dict[int, int] = {}
    for pk, parent_id in rows.values(Message, ["pk", "parent"], {"conversation": conversation_id}):
        if parent_id is not None and pk > children.get(parent_id, 0):
            children[parent_id] = pk
    leaf = message_id
    while leaf in children:
        leaf = children[leaf]
    return leaf


@dataclass(frozen=True)
class Versions:
    """형제 가운데 몇 번째인지: 화면의 "‹ 2 / 3 ›"."""

    number: int
    count: int
    previous_id: int | None
    next_id: int | None


def annotate_versions(conversation: Conversation, messages: list[Message]) -> list[Message]:
    """메시지마다 .versions (형제가 없으면 None)를 붙인다. 보이는 메시지들의 형제 번호만 (parent, conversation) 색인으로
    읽는다: 질의 하나, 대화의 첫 쪽(뿌리가 보일 때)만 하나 더."""
    if not messages:
        return messages
    parents = {message.parent_id for message in messages}
    siblings: dict[int | None, list[int]] = {}
    quote = connection.ops.quote_name
    known = [parent for parent in parents if parent is not None]
    conditions, params = [], []
    if known:
        conditions.append(f"{quote('parent_id')} IN ({', '.join(['%s'] * len(known))})")
        params += known
    if None in parents:
        # 대화의 첫 메시지들: (parent, conversation) 색인의 NULL 쪽을 대화로 좁힌다
        conditions.append(f"({quote('parent_id')} IS NULL AND {quote('conversation_id')} = %s)")
        params.append(Conversation._meta.pk.get_db_prep_value(conversation.pk, connection))
    found = rows.values(
        Message,
        ["pk", "parent"],
        {},
        extra=" OR ".join(conditions),
        extra_params=params,
        order_by="pk",
    )
    for pk, parent_id in found:
        siblings.setdefault(parent_id, []).append(pk)
    for message in messages:
        message.versions = versions_of(message.pk, siblings.get(message.parent_id, []))
    return messages


def versions_of(pk: int, siblings: list[int]) -> Versions | None:
    if len(siblings) < 2 or pk not in siblings:
        return None
    index = siblings.index(pk)
    return Versions(
        number=index + 1,
        count=len(siblings),
        previous_id=siblings[index - 1] if index > 0 else None,
        next_id=siblings[index + 1] if index + 1 < len(siblings) else None,
    )


def link_in_order(conversation: Conversation) -> None:
    """갓 만든 한 줄 대화(가져오기, 테스트)를 번호 순서로 잇고 마지막 메시지를 지금 갈래의 끝으로 삼는다.

    마이그레이션 0008과 같은 문장을 한 대화에: 메시지마다 바로 앞 번호가 부모다.
    """
    table = _table()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {quote('parent_id')} = (SELECT MAX(earlier.id) FROM {table} earlier"  # noqa: S608 - quote_name을 거친 이름
            f" WHERE earlier.conversation_id = {table}.conversation_id AND earlier.id < {table}.id)"
            f" WHERE {quote('conversation_id')} = %s",
            [Conversation._meta.pk.get_db_prep_value(conversation.pk, connection)],
        )
    conversation.current_leaf_id = None
    conversation.current_leaf_id = leaf_id(conversation)
    rows.update(Conversation, {"pk": conversation.pk}, current_leaf=conversation.current_leaf_id)


def reply_versions(reply: Message) -> Message:
    """끝난 답변 하나의 .versions: 스트림의 마지막 그림이 "‹ 2 / 2 ›"를 그리게. 질의 하나."""
    if reply.parent_id is None:
        # 부모 없는 답변(가져온 대화의 첫 줄): 다른 대화의 뿌리들과 섞지 않는다
        reply.versions = None
        return reply
    siblings = [
        pk for (pk,) in rows.values(Message, ["pk"], {"parent": reply.parent_id}, order_by="pk")
    ]
    reply.versions = versions_of(reply.pk, siblings)
    return reply


areply_versions = in_thread(reply_versions)


def opening(conversation: Conversation, count: int = 2) -> list[Message]:
    """지금 갈래의 처음 count개 메시지 (제목을 지을 첫 질문과 첫 답). 번호만 걷고 그 몇 행만 읽는다."""
    ids = ancestors(leaf_id(conversation))[-count:][::-1]
    found = Message.objects.filter(conversation=conversation, pk__in=ids).in_bulk()
    return [found[pk] for pk in ids if pk in found]


aopening = in_thread(opening)
