"""보내기와 다시 생성의 거절: 코드마다 한 상태(429, 409, 503), htmx면 그 자리에, 아니면 페이지로."""

import pytest

from chat.models import Conversation, Message
from chat.services import ChatRefused, RefusalCode, conversation_start, reply_regenerate
from chat.views.shared import refusal_status
from tests.support.factories import add_message

HTMX = {"HX-Request": "true"}


def test_every_refusal_code_has_one_status():
    assert {code: refusal_status(code) for code in RefusalCode} == {
        "rate_limited": 429,
        "quota_reached": 429,
        "quota_reserved": 429,
        "reply_in_progress": 409,
        "not_retryable": 409,
        "server_busy": 503,
        "branch_changed": 409,
        "class_closed": 403,
        "model_not_allowed": 409,
        "model_cannot_see": 409,
        "files_gone": 409,
    }


def test_a_refusal_needs_a_known_code():
    with pytest.raises(TypeError):
        ChatRefused(message="이유 없음")
    with pytest.raises(ValueError, match="refused"):
        ChatRefused(code="refused", message="모르는 코드")


def test_a_send_over_the_rate_limit_answers_429_without_javascript(logged_in, user, settings):
    settings.RATE_LIMIT_MESSAGES_PER_MINUTE = 0
    conversation = Conversation.objects.create(owner=user, title="대화", model="daehwa-demo")

    response = logged_in.post(f"/chat/{conversation.pk}/messages/", {"content": "너무 빠른 글"})

    assert response.status_code == 429
    assert "너무 빠른 글</textarea>" in response.content.decode()
    assert not conversation.messages.exists()


@pytest.mark.parametrize(("headers", "status"), [({}, 409), (HTMX, 200)])
def test_a_send_while_a_reply_is_pending_is_a_conflict(logged_in, user, headers, status):
    # 테스트의 트랜잭션 안이라 생성은 시작되지 않는다: 답변은 대기 중으로 남는다
    reply = conversation_start(user=user, content="질문", model="daehwa-demo")

    response = logged_in.post(
        f"/chat/{reply.conversation_id}/messages/", {"content": "기다리지 않은 글"}, headers=headers
    )

    assert response.status_code == status
    assert "기다리지 않은 글</textarea>" in response.content.decode()
    if headers:
        assert response.headers["HX-Retarget"] == "#composer"
    assert reply.conversation.messages.count() == 2


def failed_pair(user, *, replying_after=False):
    """실패한 답변 하나와, 원하면 그 뒤에 아직 쓰이는 답변 하나."""
    conversation = Conversation.objects.create(owner=user, title="대화", model="daehwa-demo")
    add_message(conversation=conversation, role=Message.Role.USER, content="질문")
    failed = add_message(
        conversation=conversation, role=Message.Role.ASSISTANT, status=Message.Status.FAILED
    )
    if replying_after:
        add_message(conversation=conversation, role=Message.Role.USER, content="다음")
        add_message(
            conversation=conversation,
            role=Message.Role.ASSISTANT,
            status=Message.Status.STREAMING,
        )
    return failed


def test_regenerating_while_another_reply_is_written_is_refused_with_its_code(user):
    failed = failed_pair(user, replying_after=True)

    with pytest.raises(ChatRefused) as refused:
        reply_regenerate(reply=failed, user=user)

    assert refused.value.code == RefusalCode.REPLY_IN_PROGRESS


def test_a_refused_regenerate_without_javascript_shows_the_reason_on_the_page_with_409(
    english, user
):
    english.force_login(user)
    failed = failed_pair(user, replying_after=True)

    response = english.post(f"/chat/replies/{failed.pk}/regenerate/")

    page = response.content.decode()
    assert response.status_code == 409
    assert "Please wait until the current reply has finished" in page
    assert 'id="composer"' in page
    assert failed.conversation.messages.count() == 4


def test_a_refused_regenerate_with_htmx_fills_the_alert_in_place(english, user):
    english.force_login(user)
    failed = failed_pair(user, replying_after=True)

    response = english.post(f"/chat/replies/{failed.pk}/regenerate/", headers=HTMX)

    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#chat-alert"
    assert "Please wait until the current reply has finished" in response.content.decode()


def test_a_retry_over_the_rate_limit_answers_429_without_javascript(logged_in, user, settings):
    settings.RATE_LIMIT_MESSAGES_PER_MINUTE = 0
    failed = failed_pair(user)

    response = logged_in.post(f"/chat/replies/{failed.pk}/regenerate/")

    assert response.status_code == 429
    failed.refresh_from_db()
    assert failed.status == Message.Status.FAILED
