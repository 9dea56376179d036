"""설정으로 만드는 AsyncOpenAI(이벤트 루프마다 하나, 루프가 끝나면 닫는다)와 서버에 맞는 토큰 한도 인자."""

import asyncio
import weakref

import openai
from django.conf import settings

# 이벤트 루프마다 클라이언트 하나: 연결 풀은 만든 루프에 묶여 있어서 루프끼리 나눠 쓸 수 없다
_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def loop_client() -> openai.AsyncOpenAI:
    """이 이벤트 루프의 클라이언트. 처음 부르면 설정으로 만든다."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        client = openai.AsyncOpenAI(
            # Ollama나 vLLM처럼 키가 필요 없는 서버도 SDK는 빈 키를 받지 않는다
            api_key=settings.OPENAI_API_KEY or "not-needed",
            base_url=settings.OPENAI_BASE_URL or None,
            timeout=settings.OPENAI_TIMEOUT,
            max_retries=settings.OPENAI_MAX_RETRIES,
            # SDK가 마련한 aiohttp 전송: 흘러오는 조각을 C로 된 파서가 읽어, 답변 하나의 CPU가 크게 준다
            # (docs/bench-history.md#따로-잰-값--one-off-measurements)
            http_client=openai.DefaultAioHttpClient(),
        )
        _clients[loop] = client
        _close_with_loop(loop, client)
    return client


# 루프가 끝날 때 닫을 것들: 비동기 생성기는 asyncio.run의 shutdown_asyncgens가 닫아 준다
_closers: set = set()


def _close_with_loop(loop: asyncio.AbstractEventLoop, client: openai.AsyncOpenAI) -> None:
    """루프가 끝날 때 클라이언트를 닫는다: 열린 aiohttp 연결이 닫히지 않은 채 버려지지 않게."""

    async def closer():
        try:
            yield
        finally:
            _closers.discard(generator)
            await client.close()

    generator = closer()
    _closers.add(generator)
    loop.create_task(anext(generator))


def token_limit(tokens: int) -> dict:
    """요청의 토큰 한도 인자. 이름이 서버마다 달라 설정(OPENAI_BASE_URL)으로 고른다."""
    # OpenAI의 최신 모델은 max_tokens를 거부하고, 호환 서버 중에는 max_completion_tokens를 모르는 곳이 있다
    if settings.OPENAI_BASE_URL:
        return {"max_tokens": tokens}
    return {"max_completion_tokens": tokens}
