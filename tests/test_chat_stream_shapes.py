"""실제 서버들이 보내는 스트림 모양 (SSE의 합법한 변형): 본문 전체를 가짜 서버가 그대로 다시 보내고, 진짜 SDK로 읽는다.

vLLM, llama.cpp, Ollama, Mistral, LiteLLM이 같은 Chat Completions를 조금씩 다르게 흘린다. 어느 모양이든 글, 상태,
안내문이 맞아야 한다.
"""

import json

import pytest

from chat.models import Message
from chat.services import conversation_start
from tests.support.chunks import body
from tests.support.chunks import text as event
from tests.support.fake_openai import Reply
from tests.support.sse import read_stream

pytestmark = pytest.mark.live

COMPLETION = {
    "object": "chat.completion",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "한 번에 온 답"},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 9, "completion_tokens": 4},
}

SHAPES = [
    (
        "CRLF line endings",
        Reply(
            raw_body=body(
                event("안녕", end=b"\r\n"), event(" 세상", "stop", end=b"\r\n"), end=b"\r\n"
            )
        ),
        "안녕 세상",
    ),
    (
        "bare CR line endings",
        Reply(
            raw_body=body(event("안녕", end=b"\r"), event(" 세상", "stop", end=b"\r"), end=b"\r")
        ),
        "안녕 세상",
    ),
    (
        "CRLF split across two reads",
        Reply(
            raw_body=[
                event("안녕", end=b"\r\n")[:-1],
                b"\n" + event(" 세상", "stop") + b"data: [DONE]\n\n",
            ],
            delay=0.05,
        ),
        "안녕 세상",
    ),
    (
        "a UTF-8 BOM first",
        Reply(raw_body=body(b"\xef\xbb\xbf" + event("안녕"), event(" 세상", "stop"))),
        "안녕 세상",
    ),
    (
        "one event's data over two lines",
        Reply(
            raw_body=body(
                b'data: {"choices": [{"index": 0, "delta":\ndata: {"content": "\xec\x95\x88\xeb\x85\x95"}, "finish_reason": "stop"}]}\n\n'
            )
        ),
        "안녕",
    ),
    (
        "[DONE] without any finish_reason",
        Reply(raw_body=body(event("안녕"), event(" 세상"))),
        "안녕 세상",
    ),
    (
        "comments, event: and id: lines",
        Reply(
            raw_body=body(
                b": ping\n",
                b"event: message\nid: 1\n" + event("안녕"),
                b"retry: 100\n" + event(" 세상", "stop"),
            )
        ),
        "안녕 세상",
    ),
    (
        "content as a list of parts (Mistral)",
        Reply(
            raw_body=body(
                b"data: "
                + json.dumps(
                    {
                        "choices": [
                            {
                                "index": 0,
                                "delta": {
                                    "content": [
                                        {
                                            "type": "thinking",
                                            "thinking": [{"type": "text", "text": "속으로"}],
                                        },
                                        {"type": "text", "text": "안녕"},
                                    ]
                                },
                                "finish_reason": "stop",
                            }
                        ]
                    }
                ).encode()
                + b"\n\n"
            )
        ),
        "안녕",
    ),
    (
        "a whole JSON completion to a streamed request",
        Reply(raw_body=[json.dumps(COMPLETION).encode()], content_type="application/json"),
        "한 번에 온 답",
    ),
]


@pytest.mark.parametrize(("shape", "script", "text"), SHAPES, ids=[shape[0] for shape in SHAPES])
def test_each_legal_stream_shape_ends_as_a_finished_reply(
    logged_in, user, llm_server, shape, script, text
):
    llm_server.script(script)
    reply = conversation_start(user=user, content="질문", model="fake-model")

    stream = read_stream(logged_in, reply.pk)

    reply.refresh_from_db()
    assert (reply.status, reply.error_kind) == (Message.Status.DONE, "")
    assert reply.content == text
    assert stream.events[-1] == ("done", "")


def test_a_json_error_to_a_streamed_request_reads_as_its_kind(english, user, llm_server, settings):
    settings.OPENAI_MAX_RETRIES = 0
    error = {"error": {"message": "Rate limit exceeded: free-models-per-min", "code": 429}}
    llm_server.script(Reply(raw_body=[json.dumps(error).encode()], content_type="application/json"))
    english.force_login(user)
    reply = conversation_start(user=user, content="질문", model="fake-model")

    stream = read_stream(english, reply.pk)

    reply.refresh_from_db()
    assert (reply.status, reply.error_kind) == (Message.Status.FAILED, "rate_limited")
    assert "busy" in stream.data("reply")[0]


def test_a_stream_that_stops_without_done_or_finish_reason_is_still_a_cut(
    logged_in, user, llm_server
):
    llm_server.script(Reply(raw_body=body(event("부분"), done=False)))
    reply = conversation_start(user=user, content="질문", model="fake-model")

    read_stream(logged_in, reply.pk)

    reply.refresh_from_db()
    assert (reply.status, reply.error_kind) == (Message.Status.FAILED, "connection_lost")
    assert reply.content == "부분"
