"""실제 서버들이 보내는 모양 전부를 사람이 쓰는 두 길로: htmx(보내기 조각과 스트림)와 JavaScript 없는 보내기(이동한
페이지). 어느 모양이든 글, 상태, 한국어 안내문이 맞아야 한다 (#20의 목록: vLLM, llama.cpp, Ollama, Mistral,
DeepSeek, OpenRouter, LiteLLM). 두 번째 패스에서는 PostgreSQL과 Redis 위에서 같은 것을 본다.
"""

import gzip
import json
from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils import translation

from chat.models import Conversation, Message
from chat.upstream_errors import sentence
from chat.views import shared
from tests.support.chunks import body, chunk, error_event, text
from tests.support.fake_openai import Reply
from tests.support.sse import read_stream

pytestmark = pytest.mark.live

DONE, FAILED = Message.Status.DONE, Message.Status.FAILED


@dataclass
class Shape:
    name: str
    script: list[Reply]
    status: str
    content: str
    kind: str = ""
    reasoning: str = ""
    # 페이지에 보여야 하는 안내문 (영어 원문: 한국어 번역으로 바꿔 찾는다)
    note: str = ""


USAGE = {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11}

SHAPES = [
    Shape("baseline OpenAI stream", [Reply(tokens=["안녕", "하세요"])], DONE, "안녕하세요"),
    Shape(
        "CRLF",
        [
            Reply(
                raw_body=body(
                    text("안녕", end=b"\r\n"), text("!", "stop", end=b"\r\n"), end=b"\r\n"
                )
            )
        ],
        DONE,
        "안녕!",
    ),
    Shape(
        "bare CR",
        [Reply(raw_body=body(text("안녕", end=b"\r"), text("!", "stop", end=b"\r"), end=b"\r"))],
        DONE,
        "안녕!",
    ),
    Shape(
        "CRLF split across reads",
        [
            Reply(
                raw_body=[
                    text("안녕", end=b"\r\n")[:-1],
                    b"\n" + text("!", "stop") + b"data: [DONE]\n\n",
                ],
                delay=0.05,
            )
        ],
        DONE,
        "안녕!",
    ),
    Shape(
        "a UTF-8 BOM", [Reply(raw_body=body(b"\xef\xbb\xbf" + text("안녕", "stop")))], DONE, "안녕"
    ),
    Shape(
        "one event over two data: lines",
        [
            Reply(
                raw_body=body(
                    b'data: {"choices": [{"index": 0, "delta":\n'
                    b'data: {"content": "ok"}, "finish_reason": "stop"}]}\n\n'
                )
            )
        ],
        DONE,
        "ok",
    ),
    Shape(
        "[DONE] without finish_reason", [Reply(raw_body=body(text("안"), text("녕")))], DONE, "안녕"
    ),
    Shape(
        "comments, event:, id: and retry: lines",
        [
            Reply(
                raw_body=body(
                    b": ping\n\n",
                    b"event: message\nid: 7\n" + text("안녕"),
                    b"retry: 100\n" + text("!", "stop"),
                )
            )
        ],
        DONE,
        "안녕!",
    ),
    Shape(
        "usage in the finishing chunk (vLLM)",
        [Reply(raw_body=body(text("안녕"), chunk({}, "stop", usage=USAGE)))],
        DONE,
        "안녕",
    ),
    Shape(
        "usage in a last chunk without choices",
        [
            Reply(
                raw_body=body(
                    text("안녕", "stop"),
                    b'data: {"choices": [], "usage": ' + json.dumps(USAGE).encode() + b"}\n\n",
                )
            )
        ],
        DONE,
        "안녕",
    ),
    Shape("no usage at all", [Reply(tokens=["안녕"], usage=None)], DONE, "안녕"),
    Shape(
        "a gzip-compressed stream",
        [
            Reply(
                raw_body=[gzip.compress(body(text("압축", "stop"))[0])],
                headers={"Content-Encoding": "gzip"},
            )
        ],
        DONE,
        "압축",
    ),
    Shape(
        "content as a list of parts (Mistral)",
        [Reply(raw_body=body(chunk({"content": [{"type": "text", "text": "부분"}]}, "stop")))],
        DONE,
        "부분",
    ),
    Shape(
        "a whole JSON completion to a streamed request",
        [
            Reply(
                raw_body=[
                    json.dumps(
                        {
                            "choices": [
                                {
                                    "index": 0,
                                    "message": {"role": "assistant", "content": "한 번에"},
                                    "finish_reason": "stop",
                                }
                            ],
                            "usage": USAGE,
                        }
                    ).encode()
                ],
                content_type="application/json",
            )
        ],
        DONE,
        "한 번에",
    ),
    Shape(
        "tool calls with null content",
        [
            Reply(
                raw_body=body(
                    text("찾아볼게요"),
                    chunk(
                        {
                            "content": None,
                            "tool_calls": [
                                {
                                    "index": 0,
                                    "id": "c1",
                                    "type": "function",
                                    "function": {"name": "f", "arguments": "{}"},
                                }
                            ],
                        }
                    ),
                    chunk({}, "tool_calls"),
                )
            )
        ],
        DONE,
        "찾아볼게요",
    ),
    Shape(
        "reasoning_content deltas (DeepSeek, llama.cpp)",
        [Reply(reasoning=["따져", " 보면"], tokens=["4"])],
        DONE,
        "4",
        reasoning="따져 보면",
        note="Thought process",
    ),
    Shape(
        "reasoning deltas (vLLM, Ollama, OpenRouter)",
        [Reply(reasoning=["음"], reasoning_key="reasoning", tokens=["답"])],
        DONE,
        "답",
        reasoning="음",
    ),
    Shape(
        "thinking parts (Magistral)",
        [
            Reply(
                raw_body=body(
                    chunk(
                        {
                            "content": [
                                {"type": "thinking", "thinking": [{"type": "text", "text": "속"}]}
                            ]
                        }
                    ),
                    text("겉", "stop"),
                )
            )
        ],
        DONE,
        "겉",
        reasoning="속",
    ),
    Shape(
        "<think> tags without a reasoning parser",
        [Reply(tokens=["<think>", "생각", "</think>", "\n\n답"])],
        DONE,
        "답",
        reasoning="생각",
    ),
    Shape(
        "thinking only, cut at the length limit",
        [Reply(reasoning=["끝없는 생각"], tokens=[], finish_reason="length")],
        DONE,
        "",
        reasoning="끝없는 생각",
        note="The model spent its whole reply length thinking and stopped before answering. Try asking for a shorter answer.",
    ),
    Shape(
        "an answer cut at the length limit",
        [Reply(tokens=["길게 ", "쓰다가"], finish_reason="length")],
        DONE,
        "길게 쓰다가",
        note="This reply stopped at the length limit.",
    ),
    Shape(
        "bytes that are not UTF-8",
        [
            Reply(
                raw_body=body(
                    text("앞"), b'data: {"choices": [{"delta": {"content": "\xff\xfe"}}]}\n\n'
                )
            )
        ],
        FAILED,
        "앞",
        kind="upstream_error",
    ),
    Shape(
        "broken JSON in the middle",
        [Reply(raw_body=body(text("앞"), b"data: {oops\n\n", text("뒤", "stop")))],
        FAILED,
        "앞",
        kind="upstream_error",
    ),
    Shape("a stall before any byte", [Reply(stall=10)] * 3, FAILED, "", kind="timeout"),
    Shape(
        "a stall mid-stream",
        [Reply(tokens=["부분 ", "답"], stall_after=1, stall=10)],
        FAILED,
        "부분 ",
        kind="timeout",
    ),
    Shape(
        "a cut mid-stream",
        [Reply(tokens=["부분 ", "답 ", "끝"], cut_after=2)],
        FAILED,
        "부분 답 ",
        kind="connection_lost",
    ),
    Shape(
        "429 with Retry-After, then an answer",
        [Reply(status=429, headers={"Retry-After": "1"}), Reply(tokens=["기다렸다 ", "답"])],
        DONE,
        "기다렸다 답",
    ),
    Shape(
        "429 that does not go away",
        [Reply(status=429, headers={"Retry-After": "0"})] * 3,
        FAILED,
        "",
        kind="rate_limited",
    ),
    Shape("500 that does not go away", [Reply(status=500)] * 3, FAILED, "", kind="upstream_error"),
    Shape(
        "OpenAI's context_length_exceeded",
        [
            Reply(
                status=400,
                error_code="context_length_exceeded",
                error_message="This model's maximum context length is 8192 tokens.",
            )
        ],
        FAILED,
        "",
        kind="context_too_long",
    ),
    Shape(
        "vLLM's context-length 400",
        [
            Reply(
                status=400,
                error_body={
                    "object": "error",
                    "message": "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens.",
                    "type": "BadRequestError",
                    "param": None,
                    "code": 400,
                },
            )
        ],
        FAILED,
        "",
        kind="context_too_long",
    ),
    Shape(
        "llama.cpp's context-length 400",
        [
            Reply(
                status=400,
                error_body={
                    "error": {
                        "code": 400,
                        "message": "the request exceeds the available context size, try increasing it",
                        "type": "exceed_context_size_error",
                        "n_prompt_tokens": 9000,
                        "n_ctx": 8192,
                    }
                },
            )
        ],
        FAILED,
        "",
        kind="context_too_long",
    ),
    Shape(
        "LiteLLM's ContextWindowExceededError",
        [
            Reply(
                status=400,
                error_body={
                    "error": {
                        "message": "litellm.ContextWindowExceededError: litellm.BadRequestError: prompt is too long",
                        "type": None,
                        "param": None,
                        "code": "400",
                    }
                },
            )
        ],
        FAILED,
        "",
        kind="context_too_long",
    ),
    Shape(
        "an error object as the first event of a 200 stream",
        [
            Reply(
                raw_events=[
                    error_event(
                        {"message": "Rate limit exceeded: free-models-per-min", "code": 429}
                    )
                ]
            )
        ],
        FAILED,
        "",
        kind="rate_limited",
    ),
    Shape(
        "an error object after some text",
        [
            Reply(
                raw_body=body(
                    text("앞부분"),
                    error_event(
                        {"message": "context window exceeded", "code": "context_length_exceeded"}
                    ),
                )
            )
        ],
        FAILED,
        "앞부분",
        kind="context_too_long",
    ),
    Shape(
        "llama.cpp's error: line",
        [
            Reply(
                raw_events=[
                    b'error: {"code": 500, "message": "the request exceeds the available context size", '
                    b'"type": "exceed_context_size_error"}\n\n'
                ]
            )
        ],
        FAILED,
        "",
        kind="context_too_long",
    ),
    Shape(
        "LiteLLM's Invalid model name",
        [
            Reply(
                status=400,
                error_message="Invalid model name passed in model=gpt-5. Call `/v1/models` to view available models",
            )
        ],
        FAILED,
        "",
        kind="not_configured",
    ),
    Shape(
        "a wrong key",
        [Reply(status=401, error_code="invalid_api_key")],
        FAILED,
        "",
        kind="not_configured",
    ),
    Shape(
        "finish_reason content_filter",
        [Reply(tokens=["거른 "], finish_reason="content_filter")],
        FAILED,
        "거른 ",
        kind="content_filter",
    ),
    Shape(
        "Azure's content-policy 400",
        [
            Reply(
                status=400,
                error_code="content_filter",
                error_message="The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
            )
        ],
        FAILED,
        "",
        kind="content_filter",
    ),
]


def korean(english: str) -> str:
    with translation.override("ko"):
        translated = translation.gettext(english)
    assert translated != english, f"no Korean for {english!r}"
    return translated


def expected_notes(shape: Shape) -> list[str]:
    notes = [korean(shape.note)] if shape.note else []
    if shape.kind:
        with translation.override("en"):
            english = str(sentence(shape.kind))
        notes.append(korean(english))
    return notes


@pytest.fixture
def chat(request, logged_in, user, llm_server, settings):
    # 짧은 한도는 멈추는 모양에만: 바쁜 기계에서 다른 모양의 느린 첫 바이트가 "timeout"이 되지 않게
    shape = request.node.callspec.params.get("shape")
    stalls = shape is not None and (
        shape.kind == "timeout" or any(reply.stall for reply in shape.script)
    )
    settings.OPENAI_TIMEOUT = 1.0 if stalls else 5.0
    conversation = Conversation.objects.create(owner=user, title="모양", model="fake-model")
    return conversation


def check_reply(conversation, shape: Shape) -> Message:
    reply = conversation.messages.filter(role=Message.Role.ASSISTANT).get()
    assert (reply.status, reply.error_kind) == (shape.status, shape.kind)
    assert reply.content == shape.content
    assert reply.reasoning == shape.reasoning
    return reply


@pytest.mark.parametrize("shape", SHAPES, ids=[shape.name for shape in SHAPES])
def test_each_shape_through_htmx_and_the_stream(chat, logged_in, llm_server, shape):
    llm_server.script(*shape.script)

    sent = logged_in.post(
        reverse("chat:message-create", args=[chat.pk]), {"content": "질문"}, HTTP_HX_REQUEST="true"
    )
    reply = chat.messages.filter(role=Message.Role.ASSISTANT).get()
    stream = read_stream(logged_in, reply.pk)

    assert sent.status_code == 200
    check_reply(chat, shape)
    (final,) = stream.data("reply")
    assert stream.events[-1] == ("done", "")
    for note in expected_notes(shape):
        assert note in final
    if shape.reasoning:
        assert shape.reasoning not in stream.text


@pytest.mark.parametrize("shape", SHAPES, ids=[shape.name for shape in SHAPES])
def test_each_shape_without_javascript(chat, logged_in, llm_server, shape, monkeypatch):
    # 여기서 보는 것은 모양마다의 끝난 화면이다: 2초 뒤의 "쓰는 중" 화면(test_chat_pages)이 아니라 끝까지 기다린다
    monkeypatch.setattr(shared, "WAIT_WITHOUT_JS_SECONDS", 30)
    llm_server.script(*shape.script)

    sent = logged_in.post(reverse("chat:message-create", args=[chat.pk]), {"content": "질문"})
    page = logged_in.get(sent["Location"])

    assert sent.status_code == 302
    reply = check_reply(chat, shape)
    html = page.content.decode()
    assert f'id="message-{reply.pk}"' in html
    for note in expected_notes(shape):
        assert note in html
