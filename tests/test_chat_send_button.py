"""보내기 단추는 서버가 켜고 끈다: 답변이 쓰이는 동안 꺼진 단추를, 끝나면 켜진 단추를 보낸다."""

import re

from chat.models import Message
from chat.services import conversation_start
from tests.support.sse import finish_reply, read_stream

HTMX = {"HX-Request": "true"}


def send_button(html):
    """페이지나 조각 안의 보내기 단추 태그 하나."""
    found = re.findall(r'<button type="submit" id="composer-send"[^>]*>', html)
    assert len(found) == 1, html
    return found[0]


def test_the_page_disables_send_while_a_reply_is_being_written(logged_in, user):
    reply = conversation_start(user=user, content="안녕", model="daehwa-demo")

    writing = logged_in.get(f"/chat/{reply.conversation_id}/").content.decode()
    finish_reply(reply)
    finished = logged_in.get(f"/chat/{reply.conversation_id}/").content.decode()

    assert " disabled" in send_button(writing)
    assert " disabled" not in send_button(finished)
    # 새 대화 화면에는 쓰이는 답변이 없다
    assert " disabled" not in send_button(logged_in.get("/chat/").content.decode())


def test_a_send_with_htmx_brings_a_disabled_send_button_out_of_band(logged_in, user):
    reply = conversation_start(user=user, content="안녕", model="daehwa-demo")
    finish_reply(reply)

    html = logged_in.post(
        f"/chat/{reply.conversation_id}/messages/", {"content": "또"}, headers=HTMX
    ).content.decode()

    button = send_button(html)
    assert 'hx-swap-oob="true"' in button
    assert " disabled" in button


def test_with_a_quota_the_fresh_composer_carries_the_disabled_button(logged_in, user, settings):
    settings.DAILY_TOKEN_QUOTA = 100_000
    reply = conversation_start(user=user, content="안녕", model="daehwa-demo")
    finish_reply(reply)

    html = logged_in.post(
        f"/chat/{reply.conversation_id}/messages/", {"content": "또"}, headers=HTMX
    ).content.decode()

    # 입력창째 out-of-band로 온다: 단추는 그 안에 하나, 꺼진 채로
    assert 'id="composer"' in html
    assert " disabled" in send_button(html)
    assert 'hx-swap-oob="true"' not in send_button(html)


def test_the_last_frame_of_a_stream_turns_send_back_on(logged_in, user):
    reply = conversation_start(user=user, content="안녕", model="daehwa-demo")

    stream = read_stream(logged_in, reply.pk)

    [final] = stream.data("reply")
    button = send_button(final)
    assert 'hx-swap-oob="true"' in button
    assert " disabled" not in button


def test_a_regenerate_brings_a_disabled_send_button(logged_in, user):
    reply = conversation_start(user=user, content="안녕", model="daehwa-demo")
    finish_reply(reply)
    Message.objects.filter(pk=reply.pk).update(status=Message.Status.STOPPED)

    html = logged_in.post(f"/chat/replies/{reply.pk}/regenerate/", headers=HTMX).content.decode()

    again = Message.objects.latest("pk")
    assert again.parent_id == reply.parent_id
    assert f'id="message-{again.pk}"' in html
    assert f'id="message-{reply.pk}"' not in html
    assert " disabled" in send_button(html)


def test_a_send_refused_because_another_tab_is_replying_keeps_send_off(logged_in, user):
    reply = conversation_start(user=user, content="안녕", model="daehwa-demo")

    response = logged_in.post(
        f"/chat/{reply.conversation_id}/messages/", {"content": "또"}, headers=HTMX
    )

    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#composer"
    assert " disabled" in send_button(response.content.decode())
