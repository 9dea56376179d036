"""STREAM_FAST_PATH: 끄면 서명한 표가 붙은 답변 스트림도 Django의 요청 처리(ReplyStreamView)가 받는다.

chatproject/asgi.py의 application만 본다. 스트림 전체를 끈 채 도는 것은 make test가 uvicorn 위의 스트림 시험을
STREAM_FAST_PATH=false로 한 번 더 돌려 본다 (tests/test_chat_streams_live.py가 어느 입구가 답했는지 확인한다).
"""

import asyncio

import pytest

from chat import streams
from chatproject import asgi

PATH = "/chat/replies/7/stream/"


@pytest.fixture
def light_entry(monkeypatch):
    """가벼운 입구에 온 요청의 경로. 표가 맞지 않은 것처럼 False를 돌려 Django가 이어 받게 한다."""
    seen = []

    async def serve(scope, receive, send):
        seen.append(scope["path"])
        return False

    monkeypatch.setattr(streams, "serve", serve)
    return seen


def answer(path=PATH) -> dict:
    """표가 붙은 스트림 요청 하나를 application에 보내고 응답의 상태와 머리글을 돌려준다."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"t=signed",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    messages = [{"type": "http.request", "body": b"", "more_body": False}]
    sent = []

    async def receive():
        if messages:
            return messages.pop(0)
        # 연결은 열려 있다: 응답을 다 보내면 Django가 듣기를 멈춘다
        await asyncio.Event().wait()

    async def send(message):
        sent.append(message)

    asyncio.run(asgi.application(scope, receive, send))
    start = sent[0]
    return {
        "status": start["status"],
        **{k.decode().lower(): v.decode() for k, v in start["headers"]},
    }


def test_with_the_fast_path_off_a_signed_stream_goes_to_django(settings, light_entry):
    settings.STREAM_FAST_PATH = False

    response = answer()

    assert light_entry == []
    # 미들웨어를 지난 Django의 답: 로그인하지 않은 사람은 로그인 화면으로, 언어 머리글이 붙는다
    assert response["status"] == 302
    assert response["location"].startswith("/accounts/login/")
    assert response["content-language"] == "ko"


def test_with_the_fast_path_on_a_signed_stream_tries_the_light_entry_first(settings, light_entry):
    settings.STREAM_FAST_PATH = True

    response = answer()

    assert light_entry == [PATH]
    # 가벼운 입구가 받지 않은 요청은 여전히 Django가 답한다
    assert response["status"] == 302
