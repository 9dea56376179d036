"""요청 번호: 응답 머리글과 그 요청의 로그 줄이 같은 번호와 사용자 번호를 단다."""

import contextvars
import logging
import re

import pytest

from chat.services import conversation_start
from core.request_log import RequestContextFilter
from tests.support.fake_openai import Reply
from tests.support.sse import finish_reply, read_stream


@pytest.fixture
def records():
    """운영 설정과 같은 필터를 단 처리기로 로그 줄을 모은다."""
    collected = []
    handler = logging.Handler()
    handler.addFilter(RequestContextFilter())
    handler.emit = collected.append
    root = logging.getLogger()
    root.addHandler(handler)
    yield collected
    root.removeHandler(handler)


def test_every_response_names_its_request(client, db):
    response = client.get("/accounts/login/")
    given = client.get("/accounts/login/", headers={"X-Request-ID": "proxy-42.a_b"})
    unsafe = client.get("/accounts/login/", headers={"X-Request-ID": "bad id\nwith newline"})

    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    assert given["X-Request-ID"] == "proxy-42.a_b"
    assert re.fullmatch(r"[0-9a-f]{32}", unsafe["X-Request-ID"])


def test_log_lines_carry_the_request_and_user(logged_in, user, llm_server, records):
    llm_server.script(Reply(tokens=["답"]), Reply(status=500))
    reply = conversation_start(user=user, content="질문", model="fake-model")
    finish_reply(reply)

    response = logged_in.post(
        f"/chat/{reply.conversation_id}/title/", headers={"HX-Request": "true"}
    )

    (line,) = [record for record in records if record.name == "chat.titles"]
    assert line.request_id == response["X-Request-ID"]
    assert line.user_id == str(user.pk)


def test_outside_a_request_the_fields_are_dashes(records):
    # 관리 명령이나 새 스레드처럼 요청이 없는 깨끗한 컨텍스트
    contextvars.Context().run(logging.getLogger("chat").warning, "밖에서")

    (line,) = records
    assert (line.request_id, line.user_id) == ("-", "-")


def test_the_stream_logs_its_request_and_user_after_the_view_returned(
    logged_in, user, llm_server, records
):
    reply = conversation_start(user=user, content="질문", model="fake-model")

    read_stream(logged_in, reply.pk)

    (line,) = [record for record in records if record.name == "chat.generation"]
    assert re.fullmatch(r"[0-9a-f]{32}", line.request_id)
    assert line.user_id == str(user.pk)
