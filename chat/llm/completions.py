"""모델을 부르는 두 길: 답변 스트림(stream_reply)과 대화 제목(complete_title). 키도 주소도 없으면 데모가 답한다."""

from collections.abc import AsyncIterator

import openai
from django.conf import settings

from chat import demo
from chat.llm import reading
from chat.llm.client import loop_client, token_limit
from chat.llm.errors import LLMError, translate
from chat.llm.model_list import is_demo
from chat.llm.text import clean_text
from chat.llm.values import Finish, Reasoning, Usage
from chat.upstream_errors import ErrorKind

TITLE_MAX_CHARS = 40
# 40자 제목에 넉넉한 토큰
TITLE_MAX_TOKENS = 60


async def stream_reply(
    messages: list[dict], *, model: str, pace: float = 0.0
) -> AsyncIterator[str | Reasoning | Usage | Finish]:
    """답변 조각(str), 생각(Reasoning), 마지막 사용량(Usage)과 끝 이유(Finish)를 내준다. 실패하면 LLMError.

    pace: 천천히 오는 스트림을 이 간격으로 모아 읽는다 (chat.llm.transport). 화면에 보내는 간격과 같으면
    보이는 것은 같다.

    요청, 인증, 재시도, 오류 응답은 SDK가 맡는다: 첫 응답 전까지만 재시도한다(429, 5xx, 연결 실패).
    조각이 오기 시작한 뒤에 끊기면 이미 보여 준 글을 다시 쓰지 않도록 재시도하지 않는다.
    흘러오는 바이트는 여기서 직접 읽는다: SDK가 조각마다 모델 객체를 만드는 값이 답변 하나의 CPU에서
    가장 컸다 (docs/bench-history.md#따로-잰-값--one-off-measurements). 계약 테스트가 같은 동작을 지킨다.
    """
    if is_demo():
        async for piece in demo.stream_reply(messages):
            yield piece
        prompt_tokens, completion_tokens = demo.token_counts(messages)
        yield Usage(prompt_tokens, completion_tokens)
        return
    request = loop_client().chat.completions.with_streaming_response.create(
        model=model,
        # messages는 extra_body로: SDK가 TypedDict 규칙대로 메시지를 하나하나 다시 만드는 값을 건너뛴다
        # (대화가 길수록 크다: docs/architecture.md "Django와 SDK를 비켜 가는 곳" 5). 우리가 만든 평범한 JSON이 본문에 그대로 실린다.
        messages=[],
        extra_body={"messages": messages},
        stream=True,
        stream_options={"include_usage": True},
        **token_limit(settings.LLM_REPLY_TOKENS),
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
            await loop_client()
            .with_options(timeout=min(settings.OPENAI_TIMEOUT, 20), max_retries=0)
            .chat.completions.create(model=model, messages=prompt, **token_limit(TITLE_MAX_TOKENS))
        )
    except openai.APIError as error:
        raise translate(error) from error
    if not completion.choices or not completion.choices[0].message.content:
        raise LLMError(ErrorKind.UPSTREAM_ERROR, "empty title")
    return clean_text(completion.choices[0].message.content)
