"""흘러오는 본문 읽기(chat.llm): aiohttp의 스트림을 바로 읽는 길과, 압축된 본문을 httpx2로 읽는 길."""

import asyncio
import gzip
import json
import time

import pytest
from asgiref.sync import async_to_sync

from chat import llm
from chat.llm import transport

pytestmark = pytest.mark.live

CHUNKS = [
    {"choices": [{"index": 0, "delta": {"content": "압축된 "}}]},
    {"choices": [{"index": 0, "delta": {"content": "답변"}, "finish_reason": "stop"}]},
]


def sse_body() -> bytes:
    events = [b"data: " + json.dumps(chunk).encode() + b"\n\n" for chunk in CHUNKS]
    return b"".join(events) + b"data: [DONE]\n\n"


async def read_request(reader) -> None:
    """SDK가 보낸 요청을 끝까지 읽는다 (본문은 쓰지 않는다)."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    await reader.readexactly(length)


async def serve_once(body: bytes, headers: bytes):
    """요청 하나에 정해진 본문을 돌려주는 작은 upstream."""

    async def handle(reader, writer):
        await read_request(reader)
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            + headers
            + b"content-length: %d\r\n\r\n" % len(body)
            + body
        )
        await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


@pytest.fixture
def upstream_body(settings, monkeypatch):
    """본문과 머리글을 받아 stream_reply가 내준 글과, aiohttp를 바로 읽었는지를 돌려준다."""
    direct = []
    read_aiohttp = transport._aiohttp_body
    monkeypatch.setattr(
        transport,
        "_aiohttp_body",
        lambda raw, *args: direct.append(1) or read_aiohttp(raw, *args),
    )
    settings.OPENAI_API_KEY = "test-key"
    settings.OPENAI_MAX_RETRIES = 0

    def read(body: bytes, headers: bytes = b"") -> tuple[str, bool]:
        async def run():
            server = await serve_once(body, headers)
            port = server.sockets[0].getsockname()[1]
            settings.OPENAI_BASE_URL = f"http://127.0.0.1:{port}/v1"
            async with server:
                messages = [{"role": "user", "content": "질문"}]
                return [item async for item in llm.stream_reply(messages, model="fake-model")]

        items = async_to_sync(run)()
        return "".join(item for item in items if isinstance(item, str)), bool(direct)

    return read


def test_a_plain_stream_is_read_straight_from_aiohttp(upstream_body):
    text, direct = upstream_body(sse_body())

    assert text == "압축된 답변"
    assert direct


def test_a_gzip_compressed_stream_is_read_through_httpx2(upstream_body):
    # aiohttp 전송은 압축을 풀지 않는다(httpx2의 디코더가 푼다): 바로 읽으면 gzip 바이트를 SSE로 읽게 된다
    text, direct = upstream_body(gzip.compress(sse_body()), b"content-encoding: gzip\r\n")

    assert text == "압축된 답변"
    assert not direct


async def serve_paced(pieces: list[str], gap: float):
    """조각을 gap초마다 하나씩 chunked로 보내는 upstream: 천천히 답하는 모델."""

    async def handle(reader, writer):
        await read_request(reader)
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"transfer-encoding: chunked\r\n\r\n"
        )
        chunks = [{"choices": [{"index": 0, "delta": {"content": piece}}]} for piece in pieces]
        chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        for chunk in chunks:
            event = b"data: " + json.dumps(chunk).encode() + b"\n\n"
            writer.write(b"%x\r\n%s\r\n" % (len(event), event))
            await writer.drain()
            await asyncio.sleep(gap)
        writer.write(b"f\r\ndata: [DONE]\n\n\r\n0\r\n\r\n")
        await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


def test_a_slow_stream_is_read_in_a_few_blocks_with_the_same_text(settings):
    # 토큰마다 깨어나 읽지 않는다: pace 동안 온 토큰은 한 번에 읽는다. 글은 하나도 빠지지 않는다.
    settings.OPENAI_API_KEY = "test-key"
    settings.OPENAI_MAX_RETRIES = 0
    pieces = [f"조각{index} " for index in range(60)]

    def read(pace: float) -> list:
        async def run():
            server = await serve_paced(pieces, 0.015)
            port = server.sockets[0].getsockname()[1]
            settings.OPENAI_BASE_URL = f"http://127.0.0.1:{port}/v1"
            async with server:
                messages = [{"role": "user", "content": "질문"}]
                stream = llm.stream_reply(messages, model="fake-model", pace=pace)
                return [item async for item in stream if isinstance(item, str)]

        return async_to_sync(run)()

    unpaced, paced = read(0.0), read(0.15)

    assert "".join(paced) == "".join(unpaced) == "".join(pieces)
    # 15 ms마다 오는 조각 60개: 처음 150 ms는 오는 대로(열 번쯤), 나머지 750 ms는 150 ms마다(다섯 번쯤)
    assert len(paced) <= 20
    assert len(unpaced) > 2 * len(paced)


def test_a_fast_stream_is_not_held_back_by_the_pace(settings):
    # 첫 조각 뒤 pace 동안은 오는 대로 읽는다: 곧바로 답하는 모델의 답이 pace만큼 늦게 끝나지 않는다
    settings.OPENAI_API_KEY = "test-key"
    settings.OPENAI_MAX_RETRIES = 0

    async def run():
        server = await serve_paced(["빠른 ", "답변 ", "끝"], 0.005)
        port = server.sockets[0].getsockname()[1]
        settings.OPENAI_BASE_URL = f"http://127.0.0.1:{port}/v1"
        async with server:
            messages = [{"role": "user", "content": "질문"}]
            started = time.perf_counter()
            stream = llm.stream_reply(messages, model="fake-model", pace=10.0)
            text = "".join([item async for item in stream if isinstance(item, str)])
            return text, time.perf_counter() - started

    text, seconds = async_to_sync(run)()

    assert text == "빠른 답변 끝"
    # pace만큼 기다렸다면 10초: 바쁜 기계의 잡음과 넉넉히 떨어져 있다
    assert seconds < 5.0
