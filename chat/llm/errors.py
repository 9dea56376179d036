"""우리 오류(LLMError)와, SDK의 오류나 스트림 안의 오류 객체를 우리 오류 종류로 바꾸는 곳."""

import logging

import openai

from chat import upstream_errors
from chat.upstream_errors import ErrorKind

# 로그 이름은 패키지 하나(chat.llm): 나누기 전과 같은 줄이 남는다
logger = logging.getLogger(__package__)


class LLMError(Exception):
    """모델 호출의 실패. 화면에는 kind의 안내문만 보이고, detail은 로그와 예외에만 남는다."""

    def __init__(self, kind: ErrorKind, detail: str = ""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


def stream_error(error) -> LLMError:
    """200 스트림(이나 JSON 답) 안의 오류 객체. HTTP 오류와 같은 표로 읽는다."""
    kind = upstream_errors.classify_object(error)
    logger.warning("LLM stream sent an error: kind=%s %.200r", kind.value, error)
    return LLMError(kind, f"error in stream: {error!r:.200}")


def translate(error: openai.APIError) -> LLMError:
    """SDK 오류를 우리 오류 종류로 (chat.upstream_errors의 표). 화면에는 종류별 안내문만, 자세한 내용은 로그에만."""
    if isinstance(error, openai.APITimeoutError):
        kind = ErrorKind.TIMEOUT
    elif isinstance(error, openai.APIConnectionError):
        kind = ErrorKind.CONNECTION_LOST
    else:
        body = error.body if isinstance(error.body, dict) else {}
        inner = body.get("error") if isinstance(body.get("error"), dict) else body
        kind = upstream_errors.classify(
            status=getattr(error, "status_code", None),
            code=_error_code(error),
            error_type=inner.get("type") or getattr(error, "type", None) or "",
            message=inner.get("message") or str(error),
        )
    log = logger.error if kind == ErrorKind.NOT_CONFIGURED else logger.warning
    log("LLM request failed: kind=%s %s: %s", kind.value, type(error).__name__, error)
    return LLMError(kind, str(error))


def _error_code(error: openai.APIError) -> str:
    # 서버마다 오류 본문 모양이 조금씩 다르다: {"code"} 또는 {"error": {"code"}}
    body = error.body if isinstance(error.body, dict) else {}
    inner = body.get("error") if isinstance(body.get("error"), dict) else {}
    return str(getattr(error, "code", None) or body.get("code") or inner.get("code") or "")
