"""uvicorn 하위 프로세스 위의 진짜 앱: 프레임이 모이지 않고 시간에 걸쳐 도착하고, 끊긴 연결은 중단으로 남는다."""

import http.client
import http.cookiejar
import re
import time
import urllib.parse
import urllib.request
import uuid

from tests.fake_openai import Reply


class Browserless:
    """쿠키와 CSRF를 다루는 작은 HTTP 사용자: 가입하고, 대화를 시작하고, 스트림을 연다."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        username = f"live_{uuid.uuid4().hex[:8]}"
        password = "river-stone-4821"
        self.post(
            "/accounts/signup/",
            {"username": username, "password1": password, "password2": password},
        )

    def get(self, path):
        with self.opener.open(self.base_url + path, timeout=10) as response:
            return response.read().decode()

    def post(self, path, data, headers=None):
        page = self.get(path if path.startswith("/accounts/") else "/chat/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **data}).encode()
        request = urllib.request.Request(self.base_url + path, body, headers=headers or {})  # noqa: S310 - 우리 테스트 서버
        return self.opener.open(request, timeout=30)

    def start(self, content):
        """htmx처럼 대화를 시작하고 (대화 주소, 스트림 주소)를 돌려준다."""
        response = self.post(
            "/chat/", {"content": content, "model": "fake-model"}, {"HX-Request": "true"}
        )
        conversation_url = response.headers["HX-Redirect"]
        stream_url = re.search(r'sse-connect="([^"]+)"', self.get(conversation_url)).group(1)
        return conversation_url, stream_url

    def open_stream(self, path):
        host, port = urllib.parse.urlsplit(self.base_url).netloc.split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.jar)
        connection.request("GET", path, headers={"Cookie": cookies, "Accept": "text/event-stream"})
        response = connection.getresponse()
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        return connection, response


def test_frames_arrive_spread_over_time_not_buffered(live_asgi, fake_openai):
    fake_openai.script(Reply(tokens=[f"w{index} " for index in range(8)], delay=0.25))
    user = Browserless(live_asgi)
    _, stream_url = user.start("천천히 답해 줘")

    started = time.monotonic()
    connection, response = user.open_stream(stream_url)
    arrivals = {}
    while (line := response.readline()) != b"":
        text = line.decode()
        if text.startswith(": connected"):
            arrivals.setdefault("comment", time.monotonic() - started)
        elif text.startswith("event: "):
            arrivals.setdefault("events", []).append(
                (text.strip().removeprefix("event: "), time.monotonic() - started)
            )
    connection.close()

    tokens = [at for name, at in arrivals["events"] if name == "token"]
    done = next(at for name, at in arrivals["events"] if name == "done")
    # 주석은 모델을 부르기 전에 바로 온다
    assert arrivals["comment"] < 1.0
    assert len(tokens) >= 6
    # 첫 조각은 마지막 조각보다 한참 먼저 온다 (스트림이 한 덩어리로 모이지 않았다)
    assert tokens[-1] - tokens[0] > 1.0
    assert done >= tokens[-1]


def test_a_client_that_disconnects_leaves_the_partial_reply_interrupted(live_asgi, fake_openai):
    fake_openai.script(Reply(tokens=[f"조각{index} " for index in range(40)], delay=0.1))
    user = Browserless(live_asgi)
    conversation_url, stream_url = user.start("길게 답해 줘")
    connection, response = user.open_stream(stream_url)
    while not response.readline().startswith(b"event: token"):
        pass

    connection.sock.close()
    connection.close()

    deadline = time.monotonic() + 15
    while (
        "is-interrupted" not in (page := user.get(conversation_url)) and time.monotonic() < deadline
    ):
        time.sleep(0.2)
    assert "is-interrupted" in page
    assert "조각0" in page
    assert "조각39" not in page
