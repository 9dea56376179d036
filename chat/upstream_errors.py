"""모델 서버의 오류를 우리 오류 종류로: 서버마다 다르게 말하는 것(코드, 종류, 문장)을 표 하나로 읽는다.

OpenAI는 코드로(`context_length_exceeded`), vLLM과 Ollama는 문장으로, llama.cpp는 종류로, LiteLLM은 예외 이름으로
같은 일을 말한다. HTTP 오류 응답(chat.llm.errors.translate)과 200 스트림 안의 오류 객체(`data: {"error": …}`, llama.cpp의
`error: {…}` 줄)가 모두 이 표를 지난다. 표에 없으면 HTTP 상태로 정하고, 그것도 없으면 "모델 서비스 오류"다.
종류마다 사람에게 보일 안내문(SENTENCES)도 여기 한 곳에 있다.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class ErrorKind(models.TextChoices):
    """우리 쪽 오류 종류. 값만 정한다: 사람에게 보일 안내문은 SENTENCES에 (choices의 이름표는 마이그레이션에 얼어붙는다)."""

    RATE_LIMITED = "rate_limited"
    UPSTREAM_ERROR = "upstream_error"
    TIMEOUT = "timeout"
    CONNECTION_LOST = "connection_lost"
    NOT_CONFIGURED = "not_configured"
    CONTEXT_TOO_LONG = "context_too_long"
    CONTENT_FILTER = "content_filter"


# 종류마다 사람에게 보일 번역된 안내문: 화면, 관리 화면, 시험이 모두 여기서 읽는다
SENTENCES = {
    ErrorKind.RATE_LIMITED: _("The model is busy right now. Please try again in a moment."),
    ErrorKind.UPSTREAM_ERROR: _("The model service had a problem. Please try again."),
    ErrorKind.TIMEOUT: _("The model took too long to answer. Please try again."),
    ErrorKind.CONNECTION_LOST: _("The connection to the model was lost. Please try again."),
    ErrorKind.NOT_CONFIGURED: _(
        "The service is not configured. Please tell your instructor or operator."
    ),
    ErrorKind.CONTEXT_TOO_LONG: _(
        "This conversation is too long for the model. Start a new conversation or send a shorter message."
    ),
    ErrorKind.CONTENT_FILTER: _("The model's content filter refused to answer this."),
}


def sentence(kind: str) -> str:
    """종류의 안내문. 모르는 값(이 판이 모르는 옛 종류)은 모델 서비스 오류의 안내문으로."""
    return SENTENCES.get(kind, SENTENCES[ErrorKind.UPSTREAM_ERROR])


@dataclass(frozen=True)
class Rule:
    """code나 type에 codes 가운데 하나가 들어 있거나, 문장에 words 가운데 하나가 들어 있으면 kind. 모두 소문자로 비교한다."""

    kind: ErrorKind
    codes: tuple[str, ...] = ()
    words: tuple[str, ...] = ()


# 위에서부터 처음 맞는 규칙. 문맥 초과가 먼저다: "model"이나 "limit"라는 낱말은 다른 오류에도 나온다.
RULES = (
    Rule(
        ErrorKind.CONTEXT_TOO_LONG,
        codes=(
            "context_length_exceeded",  # OpenAI
            "exceed_context_size",  # llama.cpp exceed_context_size_error
            "contextwindowexceeded",  # LiteLLM ContextWindowExceededError
            "context_window_exceeded",
        ),
        words=(
            "maximum context length",  # OpenAI, vLLM
            "exceeds the available context size",  # llama.cpp
            "context window",  # Ollama, LiteLLM, Anthropic 계열
            "context size",
            "context length",
            "prompt is too long",
            "too many input tokens",
        ),
    ),
    Rule(
        ErrorKind.CONTENT_FILTER,
        codes=("content_filter", "content_policy", "responsibleaipolicyviolation", "safety"),
        words=(
            "content management policy",  # Azure OpenAI
            "content filter",
            "content policy",
            "violates our usage policies",
        ),
    ),
    Rule(
        ErrorKind.RATE_LIMITED,
        codes=("rate_limit", "ratelimit", "too_many_requests", "overloaded", "429"),
        words=("rate limit", "too many requests", "overloaded", "server is busy"),
    ),
    Rule(
        # 프록시(LiteLLM)는 뒤쪽 서버와의 연결이 끊긴 것을 스트림 안의 오류 객체로 알린다
        ErrorKind.CONNECTION_LOST,
        codes=("apiconnectionerror",),
        words=("litellm.apiconnectionerror",),
    ),
    Rule(
        ErrorKind.NOT_CONFIGURED,
        codes=(
            "model_not_found",
            "invalid_api_key",
            "authentication",
            "permission",
            "notfounderror",  # LiteLLM
        ),
        words=(
            "invalid model name",  # LiteLLM
            "no connected db",  # LiteLLM, 가상 키를 쓰는데 DB가 없다
            "model not found",
            "model_not_found",
            "does not exist",
            "unknown model",
            "invalid api key",
            "incorrect api key",
            "no api key",
        ),
    ),
)

# 표에 없는 오류는 HTTP 상태로
_BY_STATUS = {
    401: ErrorKind.NOT_CONFIGURED,
    403: ErrorKind.NOT_CONFIGURED,
    404: ErrorKind.NOT_CONFIGURED,
    408: ErrorKind.TIMEOUT,
    413: ErrorKind.CONTEXT_TOO_LONG,
    429: ErrorKind.RATE_LIMITED,
}


def classify(*, status: int | None = None, code="", error_type="", message="") -> ErrorKind:
    """오류 하나의 종류. 코드와 종류(type)를 먼저, 다음에 문장을, 다음에 상태를 본다."""
    names = f"{code} {error_type}".lower()
    text = str(message).lower()
    for rule in RULES:
        if any(name in names for name in rule.codes) or any(word in text for word in rule.words):
            return rule.kind
    return _BY_STATUS.get(_status(status, code), ErrorKind.UPSTREAM_ERROR)


def classify_object(error, *, status: int | None = None) -> ErrorKind:
    """오류 객체 하나: {"message", "type", "code"} (code는 429 같은 수일 수도), {"error": {…}}, 또는 글."""
    if isinstance(error, Mapping) and isinstance(error.get("error"), Mapping | str):
        error = error["error"]
    if not isinstance(error, Mapping):
        return classify(status=status, message=error)
    return classify(
        status=status,
        code=error.get("code") or "",
        error_type=error.get("type") or "",
        message=error.get("message") or "",
    )


def _status(status: int | None, code) -> int | None:
    """상태가 없으면(스트림 안의 오류) 수로 된 code를 상태로 본다: vLLM과 LiteLLM은 {"code": 429}를 보낸다."""
    if status is not None:
        return status
    if isinstance(code, int) and not isinstance(code, bool):
        return code
    return int(code) if isinstance(code, str) and code.isascii() and code.isdigit() else None
