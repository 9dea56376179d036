"""공유 링크: 만든 때의 지금 갈래를 사본으로, 로그인한 사람(설정하면 누구나)에게 읽기 전용으로. 거두면 404."""

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from chat.models import Conversation, Message, SharedLink
from chat.sharing import SHARE_LINKS_LIVE_MAX, shared_link_create
from core.audit import Action, events_about
from tests.support.factories import add_message, make_conversation

HTMX = {"HX-Request": "true"}


@pytest.fixture
def conversation(user):
    conversation = make_conversation(user, title="리스트와 튜플")
    question = add_message(conversation=conversation, role="user", content="차이가 뭐야?")
    add_message(
        conversation=conversation,
        role="assistant",
        content="**리스트**는 바뀝니다.",
        rendered_html="<p><strong>리스트</strong>는 바뀝니다.</p>",
        model="fake-model",
    )
    conversation.question = question
    return conversation


@pytest.fixture
def reader(other_user):
    client = Client()
    client.force_login(other_user)
    return client


def branch_off(conversation, content):
    """같은 질문에 새 답 (다시 생성한 것처럼) 을 만들고 그 갈래를 지금 갈래로 삼는다."""
    newer = Message.objects.create(
        conversation=conversation,
        parent=conversation.question,
        role="assistant",
        content=content,
        rendered_html=f"<p>{content}</p>",
        model="fake-large",
    )
    Conversation.objects.filter(pk=conversation.pk).update(current_leaf=newer)
    conversation.current_leaf_id = newer.pk
    return newer


def share_url(link):
    return f"/share/{link.token}/"


def test_the_owner_creates_a_link_from_the_options_menu(english, logged_in, user, conversation):
    response = logged_in.post(f"/chat/{conversation.pk}/share/", follow=True)

    link = SharedLink.objects.get()
    assert response.redirect_chain[-1][0] == f"/chat/{conversation.pk}/?options=share#share-links"
    html = response.content.decode()
    assert f'value="http://testserver/share/{link.token}/" readonly' in html
    assert "Revoke" in html
    assert '<details class="menu conversation-menu" open>' in html
    assert len(link.token) >= 32
    assert link.created_by == user
    assert [event.action for event in events_about(conversation)] == [Action.SHARE_CREATED]


def test_with_htmx_only_the_share_section_is_redrawn(logged_in, conversation):
    response = logged_in.post(f"/chat/{conversation.pk}/share/", headers=HTMX)

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="share-links"')
    assert "/share/" in html
    assert "<html" not in html


def test_another_logged_in_user_reads_the_copy(reader, user, conversation):
    link = shared_link_create(conversation=conversation, user=user)

    response = reader.get(share_url(link))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>리스트와 튜플</h1>" in html
    assert "minji 님이 " in html
    assert "<p><strong>리스트</strong>는 바뀝니다.</p>" in html
    assert "차이가 뭐야?" in html
    assert "fake-model" in html
    # 읽기 전용: 입력창도 사이드바도 없다
    assert 'name="content"' not in html
    assert 'id="conversations"' not in html
    assert 'content="noindex, nofollow"' in html


def test_staff_open_a_link_without_admin_rights_needed(user, conversation, password):
    staff = User.objects.create_user("teacher", password=password, is_staff=True)
    link = shared_link_create(conversation=conversation, user=user)
    client = Client()
    client.force_login(staff)

    assert client.get(share_url(link)).status_code == 200


def test_the_copy_does_not_change_after_a_regenerate(reader, user, conversation):
    link = shared_link_create(conversation=conversation, user=user)

    branch_off(conversation, "나중에 다시 만든 답")
    Conversation.objects.filter(pk=conversation.pk).update(title="바뀐 제목")

    html = reader.get(share_url(link)).content.decode()
    assert "바뀝니다" in html
    assert "나중에 다시 만든 답" not in html
    assert "바뀐 제목" not in html


def test_other_branches_are_never_in_the_copy(reader, user, conversation):
    branch_off(conversation, "지금 갈래의 답")

    link = shared_link_create(conversation=conversation, user=user)

    assert [m["content"] for m in link.snapshot] == ["차이가 뭐야?", "지금 갈래의 답"]
    html = reader.get(share_url(link)).content.decode()
    assert "지금 갈래의 답" in html
    assert "바뀝니다" not in html


def test_a_revoked_link_answers_404(logged_in, reader, user, conversation):
    link = shared_link_create(conversation=conversation, user=user)

    response = logged_in.post(f"/chat/{conversation.pk}/share/{link.pk}/revoke/")

    assert response.status_code == 302
    assert reader.get(share_url(link)).status_code == 404
    assert (
        f"/share/{link.token}/" not in logged_in.get(f"/chat/{conversation.pk}/").content.decode()
    )
    assert [event.action for event in events_about(conversation)] == [
        Action.SHARE_REVOKED,
        Action.SHARE_CREATED,
    ]


def test_only_the_owner_can_create_or_revoke(reader, user, conversation):
    link = shared_link_create(conversation=conversation, user=user)

    assert reader.post(f"/chat/{conversation.pk}/share/").status_code == 404
    assert reader.post(f"/chat/{conversation.pk}/share/{link.pk}/revoke/").status_code == 404
    assert SharedLink.objects.live().count() == 1


def test_an_unknown_link_answers_404(reader):
    assert reader.get("/share/not-a-real-token/").status_code == 404


def test_a_link_to_a_hidden_conversation_answers_404(reader, user, conversation):
    link = shared_link_create(conversation=conversation, user=user)
    Conversation.objects.filter(pk=conversation.pk).update(is_hidden=True)

    assert reader.get(share_url(link)).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, user, conversation):
    link = shared_link_create(conversation=conversation, user=user)

    response = client.get(share_url(link))

    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next=/share/{link.token}/"
    # 모르는 토큰도 같은 답: 로그인 전에는 링크가 있는지 말하지 않는다
    assert client.get("/share/unknown/").status_code == 302


def test_anonymous_visitors_read_the_copy_when_links_are_public(
    client, settings, user, conversation
):
    settings.SHARE_LINKS_PUBLIC = True
    link = shared_link_create(conversation=conversation, user=user)

    response = client.get(share_url(link))

    assert response.status_code == 200
    assert "바뀝니다" in response.content.decode()
    assert client.get("/share/unknown/").status_code == 404


def test_hostile_text_is_escaped(reader, user):
    conversation = make_conversation(user, title="<img src=x onerror=alert(1)>")
    add_message(conversation=conversation, role="user", content="<script>alert(1)</script>")
    link = shared_link_create(conversation=conversation, user=user)

    html = reader.get(share_url(link)).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html


def test_a_reply_still_being_written_is_left_out(user, conversation):
    add_message(conversation=conversation, role="user", content="하나 더")
    add_message(conversation=conversation, role="assistant", status="streaming", content="쓰는")

    link = shared_link_create(conversation=conversation, user=user)

    assert [m["content"] for m in link.snapshot][-1] == "하나 더"


def test_staff_see_and_revoke_links_in_the_admin(admin_client, user, conversation):
    link = shared_link_create(conversation=conversation, user=user)

    listing = admin_client.get("/admin/chat/sharedlink/").content.decode()
    assert "리스트와 튜플" in listing
    admin_client.post(
        "/admin/chat/sharedlink/",
        {"action": "revoke", "_selected_action": [link.pk]},
    )

    link.refresh_from_db()
    assert link.is_revoked
    assert events_about(conversation).first().action == Action.SHARE_REVOKED


def test_a_revoked_link_keeps_no_copy(logged_in, user, conversation):
    # 거둔 링크는 다시 열리지 않는다: 만들고 거두기를 되풀이해도 사본이 쌓이지 않는다
    for _round in range(3):
        logged_in.post(f"/chat/{conversation.pk}/share/", headers=HTMX)
        link = SharedLink.objects.latest("pk")
        logged_in.post(f"/chat/{conversation.pk}/share/{link.pk}/revoke/", headers=HTMX)

    assert SharedLink.objects.count() == 3
    assert list(SharedLink.objects.values_list("snapshot", flat=True)) == [[], [], []]


@pytest.mark.parametrize("htmx", [True, False])
def test_a_conversation_keeps_at_most_so_many_live_links(english, user, conversation, htmx):
    english.force_login(user)
    for _number in range(SHARE_LINKS_LIVE_MAX):
        shared_link_create(conversation=conversation, user=user)

    response = english.post(
        f"/chat/{conversation.pk}/share/", headers=HTMX if htmx else {}, follow=not htmx
    )

    assert response.status_code == 200
    assert f"already has {SHARE_LINKS_LIVE_MAX} share links" in response.content.decode()
    assert SharedLink.objects.count() == SHARE_LINKS_LIVE_MAX
    # 하나를 거두면 다시 만든다
    SharedLink.objects.filter(pk=SharedLink.objects.first().pk).update(revoked_at=timezone.now())
    english.post(f"/chat/{conversation.pk}/share/", headers=HTMX)
    assert SharedLink.objects.count() == SHARE_LINKS_LIVE_MAX + 1
