"""관리 화면에서 대화를 찾고 읽고 숨긴다. 메시지는 읽기만 한다."""

from chat.models import Conversation, Message
from chat.services import conversation_start


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
    # 메시지는 읽기 전용: 고칠 입력 칸이 없다
    assert 'name="messages-0-content"' not in html


def test_staff_can_hide_a_conversation_from_its_owner(admin_client, client, user):
    reply = conversation_start(user=user, content="숨길 대화", model="daehwa-demo")
    conversation = reply.conversation

    response = admin_client.post(
        f"/admin/chat/conversation/{conversation.pk}/change/",
        {
            "title": conversation.title,
            "model": conversation.model,
            "system_prompt": "",
            "is_hidden": "on",
            "messages-TOTAL_FORMS": "2",
            "messages-INITIAL_FORMS": "2",
            "messages-MIN_NUM_FORMS": "0",
            "messages-MAX_NUM_FORMS": "1000",
            "messages-0-id": reply.pk - 1,
            "messages-0-conversation": conversation.pk,
            "messages-1-id": reply.pk,
            "messages-1-conversation": conversation.pk,
        },
    )

    assert response.status_code == 302
    assert Conversation.objects.get(pk=conversation.pk).is_hidden
    client.force_login(user)
    assert client.get(f"/chat/{conversation.pk}/").status_code == 404
