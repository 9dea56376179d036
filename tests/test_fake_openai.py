"""가짜 OpenAI 서버가 진짜 openai SDK 앞에서 실제 API처럼 구는지 확인한다."""

import asyncio
import logging
import socket
import time

import openai
import pytest

from tests.support.fake_openai import Reply

pytestmark = pytest.mark.live

MESSAGES = [{"role": "user", "content": "안녕?"}]


def client(fake, *, base_url=None, **options):
    return openai.AsyncOpenAI(base_url=base_url or fake.base_url, api_key="test", **options)


async def collect(fake, **options):
    """스트림을 끝까지 읽어 (도착 시각, 청크) 목록을 준다. 예외에는 그때까지 읽은 것을 붙인다."""
    base = client(fake, max_retries=0, **options)
    arrived = []
    try:
        stream = await base.chat.completions.create(
            model="fake-model",
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
        )
        async for chunk in stream:
            arrived.append((time.monotonic(), chunk))
    except Exception as error:
        error.arrived = arrived
        raise
    finally:
        await base.close()
    return arrived


def texts(arrived):
    return [
        c.choices[0].delta.content for _, c in arrived if c.choices and c.choices[0].delta.content
    ]


def test_stream_yields_scripted_tokens_then_usage(fake_openai):
    fake_openai.script(Reply(tokens=["안", "녕", "하세요"]))

    arrived = asyncio.run(collect(fake_openai))

    chunks = [c for _, c in arrived]
    assert chunks[0].choices[0].delta.role == "assistant"
    assert texts(arrived) == ["안", "녕", "하세요"]
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == []
    assert chunks[-1].usage.completion_tokens == 3
    assert chunks[-1].usage.total_tokens == 15
    assert {c.model for c in chunks} == {"fake-model"}


def test_usage_chunk_only_when_asked(fake_openai):
    async def without_usage():
        async with client(fake_openai, max_retries=0) as base:
            stream = await base.chat.completions.create(
                model="gpt-x", messages=MESSAGES, stream=True
            )
            return [chunk async for chunk in stream]

    chunks = asyncio.run(without_usage())

    assert all(c.usage is None for c in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert {c.model for c in chunks} == {"gpt-x"}


def test_records_request_body(fake_openai):
    asyncio.run(collect(fake_openai))

    (body,) = fake_openai.requests
    assert body["messages"] == MESSAGES
    assert body["model"] == "fake-model"
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


def test_delay_spreads_tokens_over_time(fake_openai):
    fake_openai.script(Reply(tokens=["a", "b", "c", "d"], delay=0.2))

    arrived = asyncio.run(collect(fake_openai))

    stamps = [at for at, c in arrived if c.choices and c.choices[0].delta.content]
    assert len(stamps) == 4
    assert stamps[-1] - stamps[0] > 0.4


def test_rate_limit_is_retried_after_retry_after_ms(fake_openai, caplog):
    fake_openai.script(
        Reply(status=429, error_code="rate_limit_exceeded", headers={"retry-after-ms": "10"}),
        Reply(tokens=["ok"]),
    )

    async def ask():
        async with client(fake_openai, max_retries=2) as base:
            stream = await base.chat.completions.create(
                model="fake-model", messages=MESSAGES, stream=True
            )
            return [chunk async for chunk in stream]

    with caplog.at_level(logging.INFO, logger="openai"):
        chunks = asyncio.run(ask())

    assert [c.choices[0].delta.content for c in chunks if c.choices[0].delta.content] == ["ok"]
    assert len(fake_openai.requests) == 2
    # 기본 백오프(0.375초 이상)가 아니라 10ms를 따랐다. 걸린 시간을 재면 붐비는 기계에서 흔들려서, SDK가 고른
    # 대기를 그 로그로 읽는다 (문구가 바뀌면 조용히 통과하지 않고 실패한다)
    waits = [
        r.getMessage() for r in caplog.records if r.getMessage().startswith("Retrying request in")
    ]
    assert waits == ["Retrying request in 0.010000 seconds (retry 1 of 2)"]


@pytest.mark.parametrize(
    ("reply", "error_class"),
    [
        (Reply(status=429, error_code="rate_limit_exceeded"), openai.RateLimitError),
        (Reply(status=401, error_code="invalid_api_key"), openai.AuthenticationError),
        (Reply(status=400, error_code="context_length_exceeded"), openai.BadRequestError),
        (Reply(status=400, error_code="content_filter"), openai.BadRequestError),
        (Reply(status=500), openai.InternalServerError),
        (Reply(status=502), openai.InternalServerError),
        (Reply(status=503), openai.InternalServerError),
    ],
    ids=["429", "401", "400-context", "400-filter", "500", "502", "503"],
)
def test_error_status_raises_sdk_error_without_retries(fake_openai, reply, error_class):
    fake_openai.script(reply)

    with pytest.raises(error_class) as caught:
        asyncio.run(collect(fake_openai))

    assert caught.value.status_code == reply.status
    assert caught.value.code == reply.error_code
    assert caught.value.message.endswith("scripted error")
    assert len(fake_openai.requests) == 1


def test_connection_refused(fake_openai):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    with pytest.raises(openai.APIConnectionError) as caught:
        asyncio.run(collect(fake_openai, base_url=f"http://127.0.0.1:{port}/v1"))

    assert not isinstance(caught.value, openai.APITimeoutError)


def test_cut_mid_stream_raises_after_tokens(fake_openai):
    fake_openai.script(Reply(cut_after=2))

    with pytest.raises(openai.APIConnectionError) as caught:
        asyncio.run(collect(fake_openai))

    assert texts(caught.value.arrived) == ["Hello", ","]
    assert not isinstance(caught.value, openai.APITimeoutError)


def test_stall_before_headers_times_out(fake_openai):
    fake_openai.script(Reply(stall=5))

    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError) as caught:
        asyncio.run(collect(fake_openai, timeout=0.5))

    assert caught.value.arrived == []
    assert time.monotonic() - started < 3


def test_stall_mid_stream_times_out_during_iteration(fake_openai):
    fake_openai.script(Reply(stall_after=2, stall=5))

    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError) as caught:
        asyncio.run(collect(fake_openai, timeout=0.5))

    assert texts(caught.value.arrived) == ["Hello", ","]
    assert time.monotonic() - started < 3


def test_mid_stream_failures_are_not_retried(fake_openai):
    fake_openai.script(Reply(cut_after=1), Reply())

    async def ask():
        async with client(fake_openai, max_retries=2) as base:
            stream = await base.chat.completions.create(
                model="fake-model", messages=MESSAGES, stream=True
            )
            return [chunk async for chunk in stream]

    with pytest.raises(openai.APIConnectionError):
        asyncio.run(ask())

    assert len(fake_openai.requests) == 1


def test_closing_stream_early_leaves_server_healthy(fake_openai):
    fake_openai.script(Reply(tokens=list("abcdefgh"), delay=0.05))

    async def read_one_then_close():
        async with client(fake_openai, max_retries=0) as base:
            stream = await base.chat.completions.create(
                model="fake-model", messages=MESSAGES, stream=True
            )
            async for chunk in stream:
                if chunk.choices[0].delta.content:
                    break
            await stream.close()
            reply = await base.chat.completions.create(model="fake-model", messages=MESSAGES)
            return reply.choices[0].message.content

    assert asyncio.run(read_one_then_close()) == "Hello, world!"
    assert len(fake_openai.requests) == 2


def test_non_stream_returns_joined_text_and_usage(fake_openai):
    fake_openai.script(Reply(tokens=["반", "가워요"], finish_reason="length"))

    with openai.OpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=0) as base:
        completion = base.chat.completions.create(model="fake-model", messages=MESSAGES)

    assert completion.object == "chat.completion"
    assert completion.choices[0].message.content == "반가워요"
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage.total_tokens == 14
    assert fake_openai.requests[0]["messages"] == MESSAGES


def test_models_list(fake_openai):
    with openai.OpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=0) as base:
        models = base.models.list()

    assert [m.id for m in models] == ["fake-model"]
