"""관리 화면에서 대화를 찾고 읽고 숨긴다. 메시지는 읽기만 한다."""

from chat.models import Conversation, Message
from chat.services import conversation_start
from core.models import AuditEvent


def test_staff_find_a_conversation_by_owner_and_read_its_messages(admin_client, user):
    reply = conversation_start(user=user, content="관리자가 읽을 질문", model="daehwa-demo")
    Message.objects.filter(pk=reply.pk).update(status=Message.Status.FAILED, error_kind="timeout")

    listing = admin_client.get("/admin/chat/conversation/", {"q": "minji"})
    change = admin_client.get(f"/admin/chat/conversation/{reply.conversation_id}/change/")

    assert listing.status_code == 200
    assert "관리자가 읽을 질문" in listing.content.decode()
    html = change.content.decode()
    assert change.status_code == 200
    assert "관리자가 읽을 질문" in html
    assert "모델의 답이 너무 늦어졌습니다. 다시 시도해 주세요." in html
    # 메시지는 읽기 전용: 고칠 입력 칸이 없다
    assert 'name="messages-0-content"' not in html


def test_staff_hide_a_conversation_with_a_reason_and_its_owner_gets_404(admin_client, client, user):
    reply = conversation_start(user=user, content="숨길 대화", model="daehwa-demo")
    conversation = reply.conversation
    chosen = {"action": "hide_conversations", "_selected_action": [conversation.pk]}

    asked = admin_client.post("/admin/chat/conversation/", chosen)
    refused = admin_client.post("/admin/chat/conversation/", {**chosen, "apply": "1", "reason": ""})
    assert not Conversation.objects.get(pk=conversation.pk).is_hidden
    done = admin_client.post(
        "/admin/chat/conversation/", {**chosen, "apply": "1", "reason": "괴롭힘 신고"}
    )

    assert asked.status_code == 200
    assert 'name="reason"' in asked.content.decode()
    assert refused.status_code == 400
    assert "감사 기록에 남습니다" in refused.content.decode()
    assert done.status_code == 302
    assert Conversation.objects.get(pk=conversation.pk).is_hidden
    event = AuditEvent.objects.get(action="conversation.hidden")
    assert event.payload == {"reason": "괴롭힘 신고"}
    client.force_login(user)
    assert client.get(f"/chat/{conversation.pk}/").status_code == 404


def test_the_change_form_cannot_flip_is_hidden(admin_client, user):
    reply = conversation_start(user=user, content="그대로", model="daehwa-demo")

    response = admin_client.post(
        f"/admin/chat/conversation/{reply.conversation_id}/change/",
        {"title": "x", "is_hidden": "on", "_save": "1"},
    )

    assert response.status_code == 403
    assert not Conversation.objects.get(pk=reply.conversation_id).is_hidden
    assert not AuditEvent.objects.filter(action="conversation.hidden").exists()


def test_a_failed_reply_shows_its_sentence_in_the_message_list_and_page(admin_client, user):
    reply = conversation_start(user=user, content="늦은 답", model="daehwa-demo")
    Message.objects.filter(pk=reply.pk).update(status=Message.Status.FAILED, error_kind="timeout")

    listing = admin_client.get("/admin/chat/message/", {"error_kind": "timeout"})
    page = admin_client.get(f"/admin/chat/message/{reply.pk}/change/")

    sentence = "모델의 답이 너무 늦어졌습니다. 다시 시도해 주세요."
    assert listing.status_code == page.status_code == 200
    # 목록의 칸, 거르는 칸의 이름표, 메시지 화면
    assert listing.content.decode().count(sentence) == 2
    assert sentence in page.content.decode()
