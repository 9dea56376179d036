"""자기 대화 찾기: 한국어의 부분 낱말과 두 글자 낱말, 코드, escape, 남의 대화, 쪽, 색인이 쓰기를 따라가는지.

SQLite(FTS5 trigram)에서 한 번, PostgreSQL(pg_trgm)에서 한 번 돈다.
"""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from chat import search, search_index
from chat.models import Conversation, Message
from tests.support.factories import make_conversation


def said(owner, *contents, title="대화", role=Message.Role.USER, **fields):
    """contents를 차례로 말한 대화. 뒤에 만든 대화일수록 최근 활동이다."""
    conversation = make_conversation(owner, title=title)
    for content in contents:
        Message.objects.create(conversation=conversation, role=role, content=content, **fields)
    return conversation


def found(user, query, **options):
    return [
        result.conversation
        for result in search.conversations_search(user=user, query=query, **options).results
    ]


@pytest.mark.parametrize(
    ("query", "content"),
    [
        ("리스트", "파이썬의 리스트와 튜플은 무엇이 다른가요?"),
        ("파이썬", "파이썬에서 반복문을 쓰는 법"),
        ("함수", "이 함수를 고쳐 주세요"),
        ("변수", "전역 변수는 피하세요"),
        ("df.groupby", "판다스에서 df.groupby('반')으로 묶으면"),
        ("useState", "React의 useState 훅은 상태를 둔다"),
        ("USESTATE", "React의 useState 훅은 상태를 둔다"),
        ("groupby 묶으면", "판다스에서 df.groupby('반')으로 묶으면"),
        ("%", "점수가 100% 맞았다"),
        ("a_b", "변수 이름 a_b"),
    ],
)
@pytest.mark.django_db
def test_a_part_of_a_word_a_short_word_and_code_are_found(user, query, content):
    conversation = said(user, "관계없는 말", content)

    assert found(user, query) == [conversation]


@pytest.mark.parametrize("query", ["리스트", "df.groupby", "리스트 튜플", "튜플 함수"])
@pytest.mark.django_db
def test_a_common_word_read_from_the_persons_messages_finds_the_same(
    user, other_user, monkeypatch, query
):
    mine = said(user, "리스트와 튜플, 함수를 쓴다 df.groupby")
    said(user, "관계없는 말")
    said(other_user, "리스트와 튜플, 함수를 쓴다 df.groupby")
    rare = found(user, query)

    # 사이트 전체에서 흔한 낱말: PostgreSQL은 색인 대신 그 사람의 메시지를 읽는다
    monkeypatch.setattr(search, "RARE_HITS", 1)

    assert found(user, query) == rare == [mine]


@pytest.mark.django_db
def test_like_wildcards_in_the_query_are_taken_as_text(user):
    said(user, "점수는 100점")
    said(user, "a1b 그리고 aXb")

    assert found(user, "%") == []
    assert found(user, "a_b") == []
    assert found(user, "0%") == []


@pytest.mark.django_db
def test_the_words_are_all_required_in_one_message(user):
    both = said(user, "리스트와 튜플", title="둘 다")
    said(user, "리스트만", "튜플만", title="따로")

    assert found(user, "튜플 리스트") == [both]


@pytest.mark.django_db
def test_a_title_is_searched_and_marked(user):
    conversation = said(user, "본문", title="파이썬 공부 <b>계획</b>")

    page = search.conversations_search(user=user, query="공부")

    assert [result.conversation for result in page.results] == [conversation]
    assert page.results[0].title == "파이썬 <mark>공부</mark> &lt;b&gt;계획&lt;/b&gt;"
    assert page.results[0].hits == []


@pytest.mark.django_db
def test_the_snippet_escapes_hostile_text_and_keeps_only_our_marks(user):
    hostile = '"><img onerror=alert(1)><script>alert("리스트")</script>'
    said(user, hostile)

    (result,) = search.conversations_search(user=user, query="리스트").results

    snippet = result.hits[0].snippet
    assert "<script" not in snippet
    assert "<img" not in snippet
    assert snippet == (
        "&quot;&gt;&lt;img onerror=alert(1)&gt;&lt;script&gt;alert(&quot;"
        "<mark>리스트</mark>&quot;)&lt;/script&gt;"
    )


@pytest.mark.django_db
def test_a_long_message_shows_the_text_around_the_hit(user):
    said(user, "가나다 " * 100 + "리스트와\n\n튜플 " + "나" * 500)

    snippet = search.conversations_search(user=user, query="리스트").results[0].hits[0].snippet

    # 낱말의 처음에서 시작하고, 줄바꿈은 빈칸 하나로
    assert snippet.startswith("…가나다 가나다")
    assert "<mark>리스트</mark>와 튜플" in snippet
    assert snippet.endswith("나…")
    assert len(snippet) < search.SNIPPET_BEFORE + search.SNIPPET_AFTER + 20


@pytest.mark.django_db
def test_another_persons_and_hidden_conversations_are_never_found(user, other_user):
    mine = said(user, "나의 리스트와 튜플")
    said(other_user, "남의 리스트와 튜플", title="리스트")
    hidden = said(user, "숨긴 리스트와 튜플")
    Conversation.objects.filter(pk=hidden.pk).update(is_hidden=True)

    assert found(user, "리스트") == [mine]
    assert found(user, "함수") == []
    assert [c.owner_id for c in found(other_user, "리스트")] == [other_user.pk]


@pytest.mark.django_db
def test_results_are_newest_first_and_paged(user, monkeypatch):
    monkeypatch.setattr(search, "PAGE_SIZE", 2)
    conversations = [said(user, f"함수 {n}", title=f"대화 {n}") for n in range(5)]
    now = timezone.now()
    for age, conversation in enumerate(reversed(conversations)):
        Conversation.objects.filter(pk=conversation.pk).update(
            updated_at=now - timedelta(minutes=age)
        )

    pages = [search.conversations_search(user=user, query="함수", page=n) for n in (1, 2, 3)]

    newest_first = conversations[::-1]
    assert [[r.conversation for r in page.results] for page in pages] == [
        newest_first[:2],
        newest_first[2:4],
        newest_first[4:],
    ]
    assert [(page.has_previous, page.has_next) for page in pages] == [
        (False, True),
        (True, True),
        (True, False),
    ]


@pytest.mark.django_db
def test_a_conversation_shows_its_newest_hits_and_counts_the_rest(user):
    conversation = said(user, *[f"리스트 {n}" for n in range(6)])

    (result,) = search.conversations_search(user=user, query="리스트").results

    newest = list(conversation.messages.order_by("-pk").values_list("pk", flat=True)[:3])
    assert [hit.message_id for hit in result.hits] == newest
    assert result.more == 3
    assert result.hits[0].url == (f"/chat/{conversation.pk}/?at={newest[0]}#message-{newest[0]}")


@pytest.mark.django_db
def test_the_index_follows_updates_deletes_and_a_reply_as_it_finishes(user):
    conversation = said(user, "처음 글")
    message = conversation.messages.get()
    reply = Message.objects.create(
        conversation=conversation,
        role=Message.Role.ASSISTANT,
        content="",
        status=Message.Status.PENDING,
    )

    Message.objects.filter(pk=message.pk).update(content="고친 리스트")
    # 쓰는 중인 답변의 진행은 색인에 담지 않는다: 끝나면 한 번
    Message.objects.filter(pk=reply.pk).update(status="streaming", content="튜플을 쓰는 중")
    assert found(user, "리스트") == [conversation]
    assert found(user, "처음") == []
    assert found(user, "튜플을") == []

    Message.objects.filter(pk=reply.pk).update(status="done", content="튜플을 다 썼다")
    assert found(user, "튜플을") == [conversation]

    Message.objects.filter(pk=reply.pk).update(status="pending", content="")  # 다시 시도
    assert found(user, "튜플을") == []

    message.delete()
    assert found(user, "리스트") == []


@pytest.mark.django_db
def test_a_conversation_given_to_someone_else_is_found_by_them_only(user, other_user):
    conversation = said(user, "리스트와 튜플")

    Conversation.objects.filter(pk=conversation.pk).update(owner=other_user)

    assert found(user, "리스트") == []
    assert found(other_user, "리스트") == [conversation]


@pytest.mark.django_db
def test_a_deleted_conversation_leaves_nothing_in_the_index(user):
    said(user, "리스트와 튜플").delete()

    assert found(user, "리스트") == []
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {search_index.FTS_TABLE}")  # noqa: S608
            assert cursor.fetchone()[0] == 0


def test_the_index_holds_the_finished_statuses_of_the_model():
    assert set(search_index.FINISHED) == {str(status) for status in Message.FINISHED}
    # 검색은 "NOT IN (대기, 생성 중)"으로도 같은 행을 고른다 (chat.search.message_match)
    assert set(search_index.FINISHED) | set(Message.ACTIVE) == set(Message.Status.values)
    assert not set(search_index.FINISHED) & set(Message.ACTIVE)


def lose_the_index():
    """SQLite는 색인 표를 비우고, PostgreSQL은 색인을 지운다 (잘못된 복원이나 손으로 고친 DB처럼)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"DELETE FROM {search_index.FTS_TABLE}")  # noqa: S608
        else:
            cursor.execute(f"DROP INDEX {search_index.PG_INDEX}")


def index_is_there() -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"SELECT COUNT(*) FROM {search_index.FTS_TABLE}")  # noqa: S608
        else:
            cursor.execute(
                "SELECT COUNT(*) FROM pg_indexes WHERE indexname = %s", [search_index.PG_INDEX]
            )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db
def test_the_rebuild_command_fills_a_lost_index(user):
    conversation = said(user, "리스트와 튜플", "함수를 쓰자")
    lose_the_index()
    assert not index_is_there()

    out = io.StringIO()
    call_command("rebuild_search_index", stdout=out)

    assert index_is_there()
    assert found(user, "리스트") == [conversation]
    assert "2" in out.getvalue()


@pytest.mark.django_db
def test_the_rebuild_command_answers_in_the_language_asked(user):
    said(user, "리스트")
    out = io.StringIO()

    call_command("rebuild_search_index", language="ko", stdout=out)

    assert out.getvalue() == "검색 색인을 다시 지었습니다: 메시지 1개.\n"


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite keeps the index by triggers")
def test_triggers_dropped_by_a_table_rebuild_are_reported_and_healed(user):
    with connection.cursor() as cursor:
        for trigger in search_index.TRIGGERS:
            cursor.execute(f"DROP TRIGGER {trigger}")

    warnings = search_index.check_search_index(databases=["default"])
    assert [warning.id for warning in warnings] == ["chat.W102"]

    search_index.heal_after_migrate(using="default")
    conversation = said(user, "새 리스트")

    assert search_index.check_search_index(databases=["default"]) == []
    assert found(user, "리스트") == [conversation]


def rebuild_the_tables():
    """SQLite가 표를 새로 짓는 스키마 변경 (AlterField): 메시지 표와 대화 표 모두."""
    for model, name in ((Message, "status"), (Conversation, "title")):
        old = model._meta.get_field(name)
        new = old.clone()
        new.max_length = old.max_length + 1
        new.set_attributes_from_name(name)
        new.model = model
        with connection.schema_editor() as editor:
            editor.alter_field(model, old, new)
        with connection.schema_editor() as editor:
            editor.alter_field(model, new, old)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite keeps the index by triggers")
def test_a_later_migration_that_rebuilds_the_tables_runs_and_search_still_works(user):
    said(user, "옛 리스트")
    # 트리거가 서로의 표를 읽어, 걷지 않으면 표를 새로 짓는 이름 바꾸기가 실패한다 (migrate가 멈추던 일)
    with pytest.raises(Exception, match="trigger"):
        rebuild_the_tables()

    # migrate가 하는 순서: pre_migrate가 걷고, 표를 새로 짓고, post_migrate가 다시 짓고 다시 담는다
    search_index.suspend_before_migrate(using="default", plan=[("chat", "9999_later")])
    rebuild_the_tables()
    search_index.heal_after_migrate(using="default")
    later = said(user, "새 리스트")

    assert search_index.check_search_index(databases=["default"]) == []
    assert len(found(user, "리스트")) == 2
    assert found(user, "새 리스트") == [later]


@pytest.mark.parametrize(
    ("ctype", "ignored"),
    [("C", True), ("POSIX", True), ("c", True), ("C.UTF-8", False), ("ko_KR.UTF-8", False)],
)
def test_a_c_ctype_database_is_the_one_that_hides_hangul_from_pg_trgm(ctype, ignored):
    assert search_index.ctype_ignores_hangul(ctype) is ignored


@pytest.mark.django_db
def test_this_database_passes_the_search_check():
    assert search_index.check_search_index(databases=["default"]) == []


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm is PostgreSQL's")
def test_pg_trgm_sees_hangul_in_this_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT show_trgm('리스트와')")
        assert len(cursor.fetchone()[0]) == 5


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm is PostgreSQL's")
def test_postgresql_plans_the_trigram_index_for_a_long_word(user):
    said(user, "리스트와 튜플")
    with connection.cursor() as cursor:
        # 표가 작아 그냥 읽는 쪽이 싸다: 식과 조건이 맞아 이 색인을 쓸 수 있는지만 본다 (트랜잭션과 함께 되돌아간다)
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("DROP INDEX message_status_idx")

    plan = search.site_wide(["리스트"]).explain()

    assert search_index.PG_INDEX in plan


# 화면


def test_the_search_page_without_a_query_says_what_it_does(logged_in):
    page = logged_in.get("/chat/search/")

    assert page.status_code == 200
    assert "대화의 제목과 메시지에서" in page.content.decode()


def test_results_link_to_the_message_and_escape_it(logged_in, user, django_assert_max_num_queries):
    conversation = said(user, "<script>alert('리스트')</script>와 튜플")
    reply = conversation.messages.get()

    with django_assert_max_num_queries(8):
        page = logged_in.get("/chat/search/", {"q": "리스트"})

    html = page.content.decode()
    assert page.status_code == 200
    assert f'href="/chat/{conversation.pk}/?at={reply.pk}#message-{reply.pk}"' in html
    assert "&lt;script&gt;alert(&#x27;<mark>리스트</mark>&#x27;)&lt;/script&gt;와 튜플" in html
    assert "<script>alert" not in html


def test_the_result_page_does_not_grow_its_queries_with_results(
    logged_in, user, django_assert_max_num_queries
):
    for n in range(25):
        said(user, f"리스트 {n}", f"리스트 다시 {n}", title=f"대화 {n}")

    with django_assert_max_num_queries(8):
        page = logged_in.get("/chat/search/", {"q": "리스트"})

    assert page.content.decode().count('class="search-result"') == search.PAGE_SIZE
    assert 'rel="next"' in page.content.decode()


def test_nothing_found_too_long_and_odd_pages_are_answered_plainly(logged_in, user):
    said(user, "리스트")

    nothing = logged_in.get("/chat/search/", {"q": "없는말"})
    too_long = logged_in.get("/chat/search/", {"q": "가" * (search.MAX_QUERY_CHARS + 1)})
    odd_pages = [
        logged_in.get("/chat/search/", {"q": "리스트", "page": page})
        for page in ("0", "-1", "x", "99999999999999999999", "³")
    ]

    assert "찾은 대화가 없습니다" in nothing.content.decode()
    assert too_long.status_code == 200
    assert "최대 100자" in too_long.content.decode()
    assert [page.status_code for page in odd_pages] == [200] * 5


def test_the_sidebar_has_the_search_box(logged_in):
    html = logged_in.get("/chat/").content.decode()

    assert 'role="search"' in html
    assert 'action="/chat/search/"' in html
    assert 'type="search" name="q"' in html


def test_search_needs_a_login(client, db):
    response = client.get("/chat/search/", {"q": "리스트"})

    assert response.status_code == 302
    assert "/accounts/login/" in response.url


def test_archived_conversations_are_found_only_when_asked(logged_in, user):
    kept = said(user, "리스트와 튜플", title="남긴 대화")
    put_away = said(user, "리스트 컴프리헨션", title="보관한 대화")
    Conversation.objects.filter(pk=put_away.pk).update(archived_at=timezone.now())

    default = found(user, "리스트")
    everything = found(user, "리스트", include_archived=True)
    page = logged_in.get("/chat/search/", {"q": "리스트", "archived": "on"}).content.decode()

    assert default == [kept]
    assert set(everything) == {kept, put_away}
    assert "보관한 대화" in page
    assert '<span class="badge">보관됨</span>' in page
    assert 'name="archived" id="id_archived" checked' in page


def test_a_hit_on_another_version_opens_that_branch(logged_in, user):
    conversation = make_conversation(user, messages=2)
    question, _reply = conversation.messages.order_by("pk")
    # 지금 갈래는 처음 답변(reply)이다: 찾은 것은 다른 버전이다
    old = Message.objects.create(
        conversation=conversation,
        parent=question,
        role="assistant",
        content="옛 버전의 파이썬에서",
        rendered_html="<p>옛 버전의 파이썬에서</p>",
    )
    [result] = search.conversations_search(user=user, query="파이썬").results

    page = logged_in.get(result.hits[0].url, follow=True).content.decode()

    conversation.refresh_from_db()
    assert conversation.current_leaf_id == old.pk
    assert "옛 버전의 파이썬에서" in page
    assert "2 / 2" in page
