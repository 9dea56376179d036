"""표가 붙은 스트림 주소는 Django의 요청 처리를 거치지 않는 입구(chat.streams.serve)가 받는다 (uvicorn 위의 진짜 앱).

표가 맞지 않으면(다른 세션, 로그아웃, 고친 표) Django의 ReplyStreamView가 세션으로 답한다.
make test는 이 파일을 지름길을 끈 채(STREAM_FAST_PATH=false) 한 번 더 돌린다: 그때는 모든 스트림을 Django가 받는다.
"""

import http.client
import re
import urllib.parse
import urllib.request

import pytest
from django.conf import settings

from tests.support.fake_openai import Reply
from tests.support.servers import Browserless, wait_for_page
from tests.support.sse import read_events

pytestmark = pytest.mark.live


def _second_reply(user, fake_openai, tokens, delay=0.05):
    """첫 답변이 끝난 대화에 두 번째 메시지를 보내고 (대화 주소, 브라우저가 열 스트림 주소)."""
    fake_openai.script(Reply(tokens=["첫 답변"]), Reply(tokens=tokens, delay=delay))
    conversation_url, _ = user.start("첫 질문")
    wait_for_page(user, conversation_url, "bubble-assistant is-done")
    return conversation_url, user.send(conversation_url, "두 번째 질문")


def _django_only(value):
    """Django의 응답에만 붙는 머리글의 값: 가벼운 입구가 답하면 없다 (지름길을 끈 실행에서는 Django가 답한다)."""
    return None if settings.STREAM_FAST_PATH else value


def _status(user, path, *, cookies=None):
    host, port = urllib.parse.urlsplit(user.base_url).netloc.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    jar = cookies if cookies is not None else user.jar
    connection.request(
        "GET", path, headers={"Cookie": "; ".join(f"{c.name}={c.value}" for c in jar)}
    )
    response = connection.getresponse()
    status, location = response.status, response.headers.get("Location", "")
    connection.close()
    return status, location


def test_the_browsers_stream_url_is_served_without_djangos_request_handling(live_asgi, fake_openai):
    whole = [f"w{index} " for index in range(10)]
    user = Browserless(live_asgi)
    _, url = _second_reply(user, fake_openai, whole)

    connection, response = user.open_stream(url)
    events = read_events(response)
    connection.close()

    assert "t=" in url
    # Django의 응답에만 붙는 머리글(고른 언어)이 없다: 가벼운 입구가 답했다. 지름길을 끄면 Django가 답한다
    assert response.headers["Content-Language"] == _django_only("ko")
    assert response.headers["X-Accel-Buffering"] == "no"
    assert "".join(data for name, data, _ in events if name == "token") == "".join(whole)
    (final,) = [data for name, data, _ in events if name == "reply"]
    assert "is-done" in final
    assert events[-1][0] == "done"


def test_the_same_stream_without_its_token_goes_through_django(live_asgi, fake_openai):
    user = Browserless(live_asgi)
    _, url = _second_reply(user, fake_openai, ["네"])

    connection, response = user.open_stream(url.split("?")[0])
    events = read_events(response)
    connection.close()

    assert response.headers["Content-Language"] == "ko"
    assert events[-1][0] == "done"


def test_a_token_works_only_with_the_session_it_was_made_for(live_asgi, fake_openai):
    owner = Browserless(live_asgi)
    _, url = _second_reply(owner, fake_openai, [f"s{i} " for i in range(40)])
    stranger = Browserless(live_asgi)
    tampered = re.sub(r"t=([^&]+)", lambda m: "t=" + m.group(1)[:-2] + "xx", url)

    # 남의 쿠키로는 Django가 받고, 그 사람의 답변이 아니므로 404
    assert _status(stranger, url) == (404, "")
    # 고친 표는 Django가 세션으로 확인한다: 주인이면 평소대로 스트림
    assert _status(owner, tampered)[0] == 200
    owner.post("/accounts/logout/", {})
    # 로그아웃한 브라우저의 옛 주소: 로그인 화면으로
    status, location = _status(owner, url)
    assert status == 302
    assert location.startswith("/accounts/login/")


def test_a_stopped_reply_drawn_by_the_light_entry_can_be_retried_with_its_own_form(
    live_asgi, fake_openai
):
    user = Browserless(live_asgi)
    conversation_url, url = _second_reply(user, fake_openai, [f"x{i} " for i in range(100)])
    reply_id = url.split("/")[3]
    connection, response = user.open_stream(url)
    seen = read_events(response, until="token")

    user.post(f"/chat/replies/{reply_id}/stop/", {}, {"HX-Request": "true"})
    events = seen + read_events(response)
    connection.close()
    (final,) = [data for name, data, _ in events if name == "reply"]
    # 마지막 그림의 양식이 브라우저의 CSRF 쿠키와 짝이 맞아야 "다시 시도"가 403이 되지 않는다
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', final).group(1)
    fake_openai.script(Reply(tokens=["다시 쓴 답"]))
    retried = user.opener.open(
        urllib.request.Request(  # noqa: S310 - 우리 테스트 서버
            f"{user.base_url}/chat/replies/{reply_id}/regenerate/",
            urllib.parse.urlencode({"csrfmiddlewaretoken": token}).encode(),
            headers={"HX-Request": "true"},
        ),
        timeout=30,
    )

    assert "is-stopped" in final
    assert "다시 시도" in final
    assert retried.status == 200
    assert "다시 쓴 답" in wait_for_page(user, conversation_url, "다시 쓴 답")


def test_the_light_entry_draws_the_final_reply_in_the_chosen_language(live_asgi, fake_openai):
    user = Browserless(live_asgi)
    user.post("/i18n/setlang/", {"language": "en", "next": "/chat/"})
    _, url = _second_reply(user, fake_openai, ["hello"])

    connection, response = user.open_stream(url)
    events = read_events(response)
    connection.close()

    (final,) = [data for name, data, _ in events if name == "reply"]
    assert response.headers["Content-Language"] == _django_only("en")
    assert ">Report<" in final
    assert "신고" not in final


def test_an_open_stream_ends_when_its_owner_logs_out(live_asgi, fake_openai):
    user = Browserless(live_asgi)
    whole = [f"x{i} " for i in range(100)]
    _, url = _second_reply(user, fake_openai, whole, delay=0.1)
    connection, response = user.open_stream(url)
    seen = read_events(response, until="token")

    # 다른 탭에서 로그아웃: 세션이 지워진다. 열린 스트림은 남은 글과 마지막 그림 없이 done으로 끝난다
    user.post("/accounts/logout/", {})
    events = seen + read_events(response)
    connection.close()

    tokens = "".join(data for name, data, _ in events if name == "token")
    assert events[-1][0] == "done"
    assert "reply" not in [name for name, _, _ in events]
    assert len(tokens) < len("".join(whole))
