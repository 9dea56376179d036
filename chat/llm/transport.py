"""흘러오는 본문의 바이트를 SDK의 aiohttp 전송에서 바로, 프레임 간격(pace)으로 모아 읽는 곳."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

# SDK를 비켜 가는 울타리 친 자리 (docs/architecture.md "Where we step around Django and the SDK"): SDK와 aiohttp의
# 공개되지 않은 이름(openai._vendor.httpx_aiohttp.transport, httpx2 스트림의 _stream, _aiohttp_response,
# 연결의 transport)은 이 모듈에서만 쓴다. SDK를 올릴 때 tripwire 시험이 이 이름들을 지킨다.
try:
    # SDK가 aiohttp 전송과 함께 싣는 것 (openai[aiohttp]). 없으면 본문을 httpx2로 읽는다.
    from openai._vendor.httpx_aiohttp.transport import (
        AiohttpResponseStream,
        map_aiohttp_exceptions,
    )
except ImportError:  # pragma: no cover - SDK가 옮기면 느린 길로
    AiohttpResponseStream = ()
    map_aiohttp_exceptions = contextlib.nullcontext


def body(response, pace: float = 0.0) -> AsyncIterator[bytes]:
    """본문의 바이트 덩어리. SDK의 aiohttp 전송이면 aiohttp의 스트림을 바로 읽는다: httpx2가 그 위에 얹은
    층(스트림 감싸기, 디코더, 청크 나누기)을 조각마다 지나는 값이 토큰 하나의 CPU에서 가장 컸다. 오류는 읽는 쪽이
    map_aiohttp_exceptions 안에서 그 전송과 같은 표로 httpx2의 예외로 바꾼다. 압축된 본문이나 다른 전송은 httpx2로 읽는다."""
    # httpx2는 전송의 스트림을 시간 재기용 BoundAsyncStream으로 한 번 감싼다
    stream = getattr(response, "stream", None)
    stream = getattr(stream, "_stream", stream)
    if (
        isinstance(stream, AiohttpResponseStream)
        and response.headers.get("content-encoding", "identity") == "identity"
    ):
        return _aiohttp_body(stream._aiohttp_response, pace)
    return response.aiter_bytes()


def _aiohttp_body(raw, pace: float = 0.0) -> AsyncIterator[bytes]:
    transport = raw.connection.transport if raw.connection is not None else None
    if pace and transport is not None:
        return _paced(raw.content, transport, pace)
    # 생성기로 감싸지 않고 aiohttp의 반복자를 그대로: 토큰마다 한 겹이 준다
    return raw.content.iter_any()


async def _paced(content, transport, pace: float) -> AsyncIterator[bytes]:
    """받은 바이트를 다 읽었으면(upstream이 우리보다 느리다) pace 동안 소켓 읽기를 쉰다: 그동안 온 토큰은 커널에
    쌓였다가 한 번에 읽힌다. 토큰마다 깨어나 읽고 해석하는 값이 천천히 오는 답변의 토큰 하나의 CPU에서 가장 컸다.
    화면에는 어차피 pace마다 한 프레임이 가므로 보이는 것은 같고, 끝은 많아야 pace만큼 늦다.
    첫 조각 뒤 pace 동안은 오는 대로 읽는다: 곧바로 답하는 모델은 기다림 없이 끝난다. 바이트가 이미 와 있어도
    쉬지 않는다. 멈춤은 쉬는 중에도 곧바로 닿는다 (취소).
    """
    read, began = 0, None
    loop = asyncio.get_running_loop()
    while True:
        if read and read == content.total_bytes and loop.time() - began >= pace:
            # 커널에 이미 온 것은 먼저 받는다: 루프가 한 번 돌며 읽는다
            await asyncio.sleep(0)
            if read == content.total_bytes and not content.is_eof():
                transport.pause_reading()
                try:
                    await asyncio.sleep(pace)
                finally:
                    if not transport.is_closing():
                        transport.resume_reading()
        block = await content.readany()
        if not block:
            return
        if began is None:
            began = loop.time()
        read += len(block)
        yield block
