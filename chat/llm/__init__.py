"""LLM 호출: openai를 가져다 쓰는 유일한 모듈. 요청을 만들고, 조각과 사용량을 내주고, 오류를 우리 말로 바꾼다."""

import asyncio
import weakref
from collections.abc import AsyncIterator

import openai
from django.conf import settings

from chat import demo
from chat.llm import reading
from chat.llm.errors import LLMError, translate
from chat.llm.model_list import available_models, default_model, is_demo, usable_model
from chat.llm.text import TextCleaner, clean_text
from chat.llm.values import Finish, Reasoning, Usage
from chat.upstream_errors import ErrorKind

# 앱의 나머지가 쓰는 이름: 패키지로 나눈 뒤에도 llm.<이름>으로 그대로
__all__ = [
    "TITLE_MAX_CHARS",
    "ErrorKind",
    "Finish",
    "LLMError",
    "Reasoning",
    "TextCleaner",
    "Usage",
    "available_models",
    "clean_text",
    "complete_title",
    "default_model",
    "is_demo",
    "stream_reply",
    "usable_model",
]


TITLE_MAX_CHARS = 40
# 40자 제목에 넉넉한 토큰
TITLE_MAX_TOKENS = 60


# 이벤트 루프마다 클라이언트 하나: 연결 풀은 만든 루프에 묶여 있어서 루프끼리 나눠 쓸 수 없다
_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _client() -> openai.AsyncOpenAI:
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


def _token_limit(tokens: int) -> dict:
    # OpenAI의 최신 모델은 max_tokens를 거부하고, 호환 서버 중에는 max_completion_tokens를 모르는 곳이 있다
    if settings.OPENAI_BASE_URL:
        return {"max_tokens": tokens}
    return {"max_completion_tokens": tokens}


async def stream_reply(
    messages: list[dict], *, model: str, pace: float = 0.0
) -> AsyncIterator[str | Reasoning | Usage | Finish]:
    """답변 조각(str), 생각(Reasoning), 마지막 사용량(Usage)과 끝 이유(Finish)를 내준다. 실패하면 LLMError.

    pace: 천천히 오는 스트림을 이 간격으로 모아 읽는다 (chat.llm.transport). 화면에 보내는 간격과 같으면 보이는 것은 같다.

    요청, 인증, 재시도, 오류 응답은 SDK가 맡는다: 첫 응답 전까지만 재시도한다(429, 5xx, 연결 실패).
    조각이 오기 시작한 뒤에 끊기면 이미 보여 준 글을 다시 쓰지 않도록 재시도하지 않는다.
    흘러오는 바이트는 여기서 직접 읽는다: SDK가 조각마다 모델 객체를 만드는 값이 답변 하나의 CPU에서
    가장 컸다 (200토큰에 약 20 ms, 직접 읽으면 약 4 ms). 계약 테스트가 같은 동작을 지킨다.
    """
    if is_demo():
        async for piece in demo.stream_reply(messages):
            yield piece
        prompt_tokens, completion_tokens = demo.token_counts(messages)
        yield Usage(prompt_tokens, completion_tokens)
        return
    request = _client().chat.completions.with_streaming_response.create(
        model=model,
        # messages는 extra_body로: SDK가 TypedDict 규칙대로 메시지를 하나하나 다시 만드는 값(긴 대화에서
        # 요청 하나에 1 ms 넘게)을 건너뛴다. 우리가 만든 평범한 JSON이 본문에 그대로 실린다.
        messages=[],
        extra_body={"messages": messages},
        stream=True,
        stream_options={"include_usage": True},
        **_token_limit(settings.LLM_REPLY_TOKENS),
    )
    try:
        # async with: 멈춤이나 연결 끊김으로 중간에 나가도 upstream 연결을 닫는다
        async with request as response:
            async for item in reading.read_stream(response.http_response, pace):
                yield item
    except openai.APIError as error:
        raise translate(error) from error


async def complete_title(messages: list[dict], *, model: str, language: str) -> str:
    """대화 제목을 짧게 묻는다. 스트리밍하지 않고, 재시도하지 않는다 (실패하면 대신 쓸 제목이 있다)."""
    if is_demo():
        return demo.title(messages)
    language_name = "Korean" if language.startswith("ko") else "English"
    prompt = [
        {
            "role": "system",
            "content": (
                f"Write a short title in {language_name} for the conversation below. "
                f"At most {TITLE_MAX_CHARS} characters, no quotes, no final period. "
                "Answer with the title only."
            ),
        },
        *messages,
    ]
    try:
        completion = (
            await _client()
            .with_options(timeout=min(settings.OPENAI_TIMEOUT, 20), max_retries=0)
            .chat.completions.create(model=model, messages=prompt, **_token_limit(TITLE_MAX_TOKENS))
        )
    except openai.APIError as error:
        raise translate(error) from error
    if not completion.choices or not completion.choices[0].message.content:
        raise LLMError(ErrorKind.UPSTREAM_ERROR, "empty title")
    return clean_text(completion.choices[0].message.content)
