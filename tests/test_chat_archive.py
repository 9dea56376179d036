"""고정과 보관: 고정한 대화는 사이드바 맨 위 제 묶음에, 보관한 대화는 사이드바를 떠나 보관함에서 되돌리거나 지운다."""

import re
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chat.models import Conversation
from chat.services import conversation_archive, conversation_pin, message_post
from tests.support.factories import make_conversation

HTMX = {"HX-Request": "true"}


def sidebar_titles(html: str) -> list[str]:
    return re.findall(r'<li id="sidebar-[^"]+" class="sidebar-item">\s*<a [^>]+>([^<]+)</a>', html)


def sidebar_groups(html: str) -> list[str]:
    return re.findall(r'<li class="sidebar-group"><h2>([^<]+)</h2>', html)


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_pinned_conversations_come_first_newest_pin_first(user):
    first = make_conversation(user, title="먼저 고정")
    second = make_conversation(user, title="나중 고정")
    make_conversation(user, title="최근 대화")
    conversation_pin(conversation=first, pinned=True)
    Conversation.objects.filter(pk=first.pk).update(pinned_at=timezone.now() - timedelta(hours=1))
    conversation_pin(conversation=second, pinned=True)

    titles = [c.title for c in Conversation.objects.for_sidebar(user)]

    assert titles == ["나중 고정", "먼저 고정", "최근 대화"]


def test_the_sidebar_shows_a_pinned_group_above_the_recency_groups(english, logged_in, user):
    conversation_pin(conversation=make_conversation(user, title="시험 범위"), pinned=True)
    make_conversation(user, title="오늘 대화")

    html = logged_in.get("/chat/").content.decode()

    assert sidebar_groups(html) == ["Pinned", "Today"]
    assert sidebar_titles(html) == ["시험 범위", "오늘 대화"]
    assert "Unpin" in html


def test_pinning_does_not_add_queries_to_the_sidebar(logged_in, user):
    for index in range(3):
        make_conversation(user, title=f"대화 {index}")
    few = queries(logged_in, "/chat/")
    for index in range(20):
        conversation_pin(conversation=make_conversation(user, title=f"고정 {index}"), pinned=True)
    archived = make_conversation(user, title="보관")
    conversation_archive(conversation=archived, archived=True)

    assert queries(logged_in, "/chat/") == few


def test_pin_without_javascript_redirects_back_with_a_message(english, logged_in, user):
    conversation = make_conversation(user, title="고정할 것")

    response = logged_in.post(
        f"/chat/{conversation.pk}/pin/", {"pinned": "1", "next": "/chat/"}, follow=True
    )

    assert response.redirect_chain[-1][0] == "/chat/"
    assert "Pinned “고정할 것”." in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.is_pinned
    logged_in.post(f"/chat/{conversation.pk}/pin/", {"pinned": "0"})
    conversation.refresh_from_db()
    assert not conversation.is_pinned


def test_pin_with_htmx_redraws_the_sidebar_out_of_band(english, logged_in, user):
    reading = make_conversation(user, title="보는 중")
    other = make_conversation(user, title="고정할 것")
    here = {**HTMX, "HX-Current-URL": f"http://testserver/chat/{reading.pk}/"}

    response = logged_in.post(f"/chat/{other.pk}/pin/", {"pinned": "1"}, headers=here)

    html = response.content.decode()
    assert '<ul id="conversation-list" class="conversation-list" hx-swap-oob="innerHTML">' in html
    assert sidebar_titles(html)[0] == "고정할 것"
    # 보던 대화의 표시는 그대로
    assert f'href="/chat/{reading.pk}/" aria-current="page"' in html
    assert "Pinned “고정할 것”." in html


def test_changing_the_conversation_on_screen_with_htmx_reloads_it(logged_in, user):
    conversation = make_conversation(user)
    here = {**HTMX, "HX-Current-URL": f"http://testserver/chat/{conversation.pk}/"}

    response = logged_in.post(f"/chat/{conversation.pk}/archive/", {"archived": "1"}, headers=here)

    assert response.headers["HX-Refresh"] == "true"


def test_archived_conversations_leave_the_sidebar_for_the_archive(english, logged_in, user):
    kept = make_conversation(user, title="남길 것")
    archived = make_conversation(user, title="치울 것")

    logged_in.post(f"/chat/{archived.pk}/archive/", {"archived": "1"})

    assert sidebar_titles(logged_in.get("/chat/").content.decode()) == ["남길 것"]
    assert list(Conversation.objects.archived()) == [archived]
    assert list(Conversation.objects.active()) == [kept]
    archive = logged_in.get("/chat/archived/").content.decode()
    assert "치울 것" in archive
    assert "남길 것</a>" not in archive.split('id="conversation-list"')[0]
    assert "Restore" in archive


def test_an_archived_conversation_still_opens_with_a_note_and_restore(english, logged_in, user):
    conversation = make_conversation(user, messages=2, title="치운 것")
    conversation_archive(conversation=conversation, archived=True)

    html = logged_in.get(f"/chat/{conversation.pk}/").content.decode()

    assert "This conversation is archived" in html
    assert 'name="archived" value="0"' in html


def test_restoring_from_the_archive_brings_it_back(english, logged_in, user):
    conversation = make_conversation(user, title="돌아올 것")
    conversation_archive(conversation=conversation, archived=True)

    response = logged_in.post(
        f"/chat/{conversation.pk}/archive/",
        {"archived": "0", "next": "/chat/archived/"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == "/chat/archived/"
    assert "Restored “돌아올 것”." in response.content.decode()
    assert sidebar_titles(logged_in.get("/chat/").content.decode()) == ["돌아올 것"]


def test_restoring_with_htmx_removes_the_row_and_redraws_the_sidebar(logged_in, user):
    conversation = make_conversation(user, title="돌아올 것")
    conversation_archive(conversation=conversation, archived=True)
    here = {**HTMX, "HX-Current-URL": "http://testserver/chat/archived/"}

    response = logged_in.post(f"/chat/{conversation.pk}/archive/", {"archived": "0"}, headers=here)

    html = response.content.decode()
    assert 'hx-swap-oob="innerHTML"' in html
    assert sidebar_titles(html) == ["돌아올 것"]


def test_deleting_from_the_archive_asks_first_and_comes_back(logged_in, user):
    conversation = make_conversation(user, title="지울 것")
    conversation_archive(conversation=conversation, archived=True)

    confirm = logged_in.get(f"/chat/{conversation.pk}/delete/?next=/chat/archived/")
    assert 'name="next" value="/chat/archived/"' in confirm.content.decode()
    response = logged_in.post(f"/chat/{conversation.pk}/delete/", {"next": "/chat/archived/"})

    assert response.url == "/chat/archived/"
    assert not Conversation.objects.exists()


def test_a_foreign_next_is_ignored(logged_in, user):
    conversation = make_conversation(user)

    response = logged_in.post(
        f"/chat/{conversation.pk}/pin/", {"pinned": "1", "next": "https://evil.example/"}
    )

    assert response.url == f"/chat/{conversation.pk}/"


def test_sending_a_message_restores_an_archived_conversation(user):
    conversation = make_conversation(user, messages=2)
    conversation_archive(conversation=conversation, archived=True)

    message_post(conversation=conversation, user=user, content="다시 왔어요")

    conversation.refresh_from_db()
    assert not conversation.is_archived


def test_another_persons_conversation_cannot_be_pinned_or_archived(logged_in, other_user):
    theirs = make_conversation(other_user)

    assert logged_in.post(f"/chat/{theirs.pk}/pin/", {"pinned": "1"}).status_code == 404
    assert logged_in.post(f"/chat/{theirs.pk}/archive/", {"archived": "1"}).status_code == 404
    theirs.refresh_from_db()
    assert not theirs.is_pinned
    assert not theirs.is_archived


def test_the_archive_pages_and_lists_only_my_archived_conversations(logged_in, user, other_user):
    for index in range(31):
        conversation_archive(
            conversation=make_conversation(user, title=f"보관 {index}"), archived=True
        )
    conversation_archive(conversation=make_conversation(other_user, title="남의 것"), archived=True)

    first = logged_in.get("/chat/archived/").content.decode()
    second = logged_in.get("/chat/archived/?page=2").content.decode()

    assert first.count('class="archive-item"') == 30
    assert second.count('class="archive-item"') == 1
    assert "남의 것" not in first + second
