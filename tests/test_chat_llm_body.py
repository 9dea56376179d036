"""흘러오는 본문 읽기(chat.llm): aiohttp의 스트림을 바로 읽는 길과, 압축된 본문을 httpx2로 읽는 길."""

import asyncio
import gzip
import json

import pytest
from asgiref.sync import async_to_sync

from chat import llm

CHUNKS = [
    {"choices": [{"index": 0, "delta": {"content": "압축된 "}}]},
    {"choices": [{"index": 0, "delta": {"content": "답변"}, "finish_reason": "stop"}]},
]


def sse_body() -> bytes:
    events = [b"data: " + json.dumps(chunk).encode() + b"\n\n" for chunk in CHUNKS]
    return b"".join(events) + b"data: [DONE]\n\n"


async def serve_once(body: bytes, headers: bytes):
    """요청 하나에 정해진 본문을 돌려주는 작은 upstream."""

    async def handle(reader, writer):
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        await reader.readexactly(length)
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
    read_aiohttp = llm._aiohttp_body
    monkeypatch.setattr(llm, "_aiohttp_body", lambda raw: direct.append(1) or read_aiohttp(raw))
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
