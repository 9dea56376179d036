"""자기 대화 찾기: 제목과 모든 메시지의 글에서 낱말을 찾아, 찾은 곳 둘레의 글과 함께 대화별로 돌려준다.

낱말은 빈칸으로 나누고, 모두 들어 있는 메시지(또는 제목)를 찾는다. 세 글자 이상인 낱말은 DB의 색인
(chat.search_index)이 찾고, 두 글자 이하인 낱말("함수", "변수")은 trigram이 잡지 못하므로 그 사람의 대화 안에서
LIKE로 찾는다: 한 사람의 메시지만 읽으니 맞고 충분히 빠르다 (docs/bench-search.md).
"""

import re
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.expressions import RawSQL, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from chat import search_index
from chat.models import Conversation, Message

MAX_QUERY_CHARS = 100
# 이보다 많은 낱말은 버린다: 낱말마다 조건이 하나씩 붙는다
MAX_TERMS = 8
PAGE_SIZE = 20
# 이보다 뒤의 쪽은 마지막 쪽으로 본다 (주소를 고쳐 쓴 page=10**17이 OFFSET을 넘치게 하지 않게)
MAX_PAGE = 500
# 대화마다 보이는 찾은 메시지 (가장 최근 것부터). 나머지는 수로만
HITS_PER_CONVERSATION = 3
# 찾은 곳 앞뒤로 보이는 글자 수
SNIPPET_BEFORE = 40
SNIPPET_AFTER = 110
# trigram 색인이 찾을 수 있는 가장 짧은 낱말
TRIGRAM = 3
# PostgreSQL: 사이트 전체에서 이보다 많은 메시지에 든 낱말은 색인 대신 그 사람의 메시지를 읽는다 (_rare_on_postgresql)
RARE_HITS = 300


@dataclass
class Hit:
    message_id: int
    is_user: bool
    snippet: SafeString
    url: str


@dataclass
class Result:
    conversation: Conversation
    title: SafeString
    url: str
    hits: list[Hit] = field(default_factory=list)
    # 보이지 않은 찾은 메시지 수
    more: int = 0


@dataclass
class SearchPage:
    query: str
    number: int
    results: list[Result]
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def terms(query: str) -> list[str]:
    """빈칸으로 나눈 낱말들, 처음 나온 순서로 한 번씩."""
    return list(dict.fromkeys(query.split()))[:MAX_TERMS]


def hit_url(conversation_id, message_id: int, *, conversation_url: str | None = None) -> str:
    """찾은 메시지를 여는 주소 (?at=, chat.views.conversations.open_at): 그 메시지가 다른 버전의 갈래에 있으면 그
    갈래로 바꾸고, 오래된 메시지면 그 메시지가 든 쪽을 그린다.

    찾은 곳으로 가는 길은 이것 하나다. conversation_url은 이미 지은 대화의 주소 (한 쪽에 수십 번 reverse하지 않게).
    """
    url = conversation_url or reverse("chat:conversation", args=[conversation_id])
    return f"{url}?at={message_id}#message-{message_id}"


def _fts_phrase(term: str) -> str:
    """FTS5 질의의 따옴표 구절: 안의 글자는 연산자가 아니라 글 그대로다."""
    return '"' + term.replace('"', '""') + '"'


def message_match(words: list[str], user) -> Q:
    """user의 메시지 가운데 낱말이 모두 든, 색인에 담기는(끝난) 것 (질의 한 번에 한 번 짓는다).

    주인은 호출한 쪽이 대화로도 거른다: 여기서 주인을 쓰는 것은 색인이 그 사람의 것만 읽게 하려는 것이다.
    icontains는 %, _, \\를 이스케이프한다. 두 글자 이하의 낱말은 언제나 그 사람의 메시지를 LIKE로 읽는다.
    """
    long_words = [word for word in words if len(word) >= TRIGRAM]
    # NOT IN은 색인에 든 행(IN FINISHED)과 같은 행이지만, 이 꼴이면 DB가 (status) 색인이나 사이트 전체의 trigram
    # 색인으로 가지 않고 그 사람의 대화(message_order_idx) 쪽에서 읽는다
    condition = ~Q(status__in=Message.ACTIVE)
    if long_words and connection.vendor == "sqlite":
        condition &= Q(pk__in=_fts_for(user, long_words))
    elif (
        any(_WORD_TRIGRAM.search(word) for word in long_words)
        and (found := _rare_on_postgresql(long_words, user)) is not None
    ):
        condition = Q(pk__in=found)
    for word in words:
        if len(word) < TRIGRAM or connection.vendor != "sqlite":
            condition &= Q(content__icontains=word)
    return condition


def _fts_for(user, words: list[str]) -> RawSQL:
    """FTS5에서 그 사람의 rowid 범위만 읽어 메시지 id로 (chat.search_index.OWNER_SHIFT)."""
    low = user.pk * search_index.OWNER_SHIFT
    table = search_index.FTS_TABLE
    fts = (
        f"SELECT rowid - %s FROM {table} WHERE {table} MATCH %s "  # noqa: S608 - 상수인 표 이름
        "AND rowid BETWEEN %s AND %s"
    )
    match = " AND ".join(_fts_phrase(word) for word in words)
    return RawSQL(fts, [low, match, low, low + search_index.OWNER_SHIFT - 1])  # noqa: S611


# pg_trgm은 LIKE의 글에서 낱말 글자가 세 개 이어진 곳에서만 trigram을 뽑는다. "..."나 "???"처럼 그런 곳이 없으면
# 색인 전체를 읽게 되므로 사이트 전체에 묻지 않고 그 사람의 메시지를 읽는다
_WORD_TRIGRAM = re.compile(r"[^\W_]{3}")


def _rare_on_postgresql(words: list[str], user) -> list[int] | None:
    """사이트 전체에서 드문 낱말이면 그중 user의 메시지 id들, 흔하면 None.

    pg_trgm 색인은 "누구의 것이든 이 낱말이 든 메시지"를 안다. 드문 낱말은 그것이 가장 빠르고, 흔한 낱말("리스트")은
    남의 메시지까지 수만 행을 다시 읽는다. 계획기는 LIKE '%…%'가 얼마나 흔한지 모르므로(늘 드물다고 본다) 여기서
    RARE_HITS + 1개까지만 색인에 물어 정한다. 흔하면 그 사람의 메시지만 읽는 쪽이 언제나 짧다.
    """
    found = list(site_wide(words).values_list("pk", "conversation__owner_id")[: RARE_HITS + 1])
    if len(found) > RARE_HITS:
        return None
    return [pk for pk, owner_id in found if owner_id == user.pk]


def site_wide(words: list[str]):
    """누구의 것이든 낱말이 모두 든 끝난 메시지: PostgreSQL에서는 pg_trgm 부분 색인이 받는 꼴."""
    condition = Q(status__in=search_index.FINISHED)  # 부분 색인의 조건과 글자까지 같게
    for word in words:
        condition &= Q(content__icontains=word)
    return Message.objects.filter(condition)


def title_match(words: list[str]) -> Q:
    """제목은 짧고 그 사람의 대화(owner 색인)만 읽으므로 LIKE로 충분하다."""
    condition = Q()
    for word in words:
        condition &= Q(title__icontains=word)
    return condition


def conversations_search(
    *, user, query: str, page: int = 1, include_archived: bool = False
) -> SearchPage:
    """그 사람이 볼 수 있는 대화 중 찾은 것, 최근 활동 순으로 한 쪽.

    include_archived: 보관한 대화도 찾을지. 기본은 사이드바처럼 보관하지 않은 것만.
    """
    words = terms(query)
    page = min(max(page, 1), MAX_PAGE)
    matched = message_match(words, user)
    visible = Conversation.objects.for_user(user)
    if not include_archived:
        visible = visible.active()
    found = (
        visible.filter(
            title_match(words)
            | Exists(Message.objects.filter(conversation=OuterRef("pk")).filter(matched))
        )
        .only("id", "title", "updated_at", "archived_at")
        .order_by("-updated_at", "-pk")
    )
    start = (page - 1) * PAGE_SIZE
    conversations = list(found[start : start + PAGE_SIZE + 1])
    has_next = len(conversations) > PAGE_SIZE
    conversations = conversations[:PAGE_SIZE]
    hits = _hits([conversation.pk for conversation in conversations], matched)
    pattern = _pattern(words)
    results = []
    for conversation in conversations:
        shown = hits.get(conversation.pk, [])
        url = reverse("chat:conversation", args=[conversation.pk])
        results.append(
            Result(
                conversation=conversation,
                title=highlight(conversation.title, pattern),
                url=url,
                hits=[
                    Hit(
                        message_id=message.pk,
                        is_user=message.is_user,
                        snippet=snippet(message.content, pattern),
                        url=hit_url(conversation.pk, message.pk, conversation_url=url),
                    )
                    for message in shown
                ],
                more=shown[0].total - len(shown) if shown else 0,
            )
        )
    return SearchPage(query=query, number=page, results=results, has_next=has_next)


def _hits(conversation_ids: list, matched: Q) -> dict:
    """쪽에 든 대화마다 찾은 메시지를 최근 것부터 HITS_PER_CONVERSATION개, 그리고 모두 몇 개인지 (질의 하나)."""
    if not conversation_ids:
        return {}
    by_conversation = {"partition_by": [F("conversation_id")]}
    messages = (
        Message.objects.filter(conversation_id__in=conversation_ids)
        .filter(matched)
        .annotate(
            rank=Window(RowNumber(), order_by=F("pk").desc(), **by_conversation),
            total=Window(Count("pk"), **by_conversation),
        )
        .filter(rank__lte=HITS_PER_CONVERSATION)
        .only("id", "conversation_id", "role", "content")
        .order_by("conversation_id", "-pk")
    )
    found = {}
    for message in messages:
        found.setdefault(message.conversation_id, []).append(message)
    return found


def _pattern(words: list[str]) -> re.Pattern:
    # 긴 낱말부터: "리스트"와 "리스트와"가 함께 있으면 긴 쪽을 통째로 칠한다
    ordered = sorted(words, key=len, reverse=True)
    return re.compile("|".join(re.escape(word) for word in ordered), re.IGNORECASE)


def highlight(text: str, pattern: re.Pattern) -> SafeString:
    """글을 escape하고 찾은 곳만 <mark>로 감싼다. 모델과 사람이 쓴 글은 믿지 않는다."""
    parts, position = [], 0
    for match in pattern.finditer(text):
        parts.append(escape(text[position : match.start()]))
        parts.append(f"<mark>{escape(match.group())}</mark>")
        position = match.end()
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts))  # noqa: S308 - 모든 글을 escape했다


def snippet(text: str, pattern: re.Pattern) -> SafeString:
    """처음 찾은 곳 둘레의 글, 줄바꿈은 빈칸 하나로. 잘린 쪽에는 말줄임표."""
    first = pattern.search(text)
    start = max(0, first.start() - SNIPPET_BEFORE) if first else 0
    if start > 0:
        # 낱말 가운데서 자르지 않게, 가까이 빈칸이 있으면 그 뒤에서 시작한다 (없으면 긴 낱말이라 그냥 자른다)
        space = text.find(" ", start, min(first.start(), start + SNIPPET_BEFORE // 3))
        start = space + 1 if space != -1 else start
    end = min(len(text), (first.end() if first else 0) + SNIPPET_AFTER)
    window = " ".join(text[start:end].split())
    marked = highlight(window, pattern)
    ellipsis_before, ellipsis_after = "…" if start > 0 else "", "…" if end < len(text) else ""
    return mark_safe(ellipsis_before + marked + ellipsis_after)  # noqa: S308 - highlight가 escape했다
