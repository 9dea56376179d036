"""화면에서 고를 수 있는 모델: 데모, 설정의 목록, 서버의 /v1/models (OPENAI_MODELS=auto)."""

import asyncio
import logging
import threading
import time

import openai
from django.conf import settings

logger = logging.getLogger(__package__)

# 데모 모드에서 대화에 기록되는 모델 이름
DEMO_MODEL = "daehwa-demo"


def is_demo() -> bool:
    """키도 주소도 없으면 내장 데모 모델이 답한다: 설치 직후에도 채팅이 돌아가게."""
    return not settings.OPENAI_API_KEY and not settings.OPENAI_BASE_URL


def available_models() -> list[str]:
    """화면의 모델 선택지. 기본 모델이 맨 앞이다."""
    if is_demo():
        return [DEMO_MODEL]
    if settings.OPENAI_MODELS_AUTO:
        return _with_default(server_models())
    return list(settings.OPENAI_MODELS)


def default_model() -> str:
    return DEMO_MODEL if is_demo() else settings.OPENAI_MODEL


def _with_default(names: list[str]) -> list[str]:
    return [settings.OPENAI_MODEL] + [name for name in names if name != settings.OPENAI_MODEL]


# OPENAI_MODELS=auto: 이 프로세스가 마지막으로 읽은 서버의 모델 목록과 다시 읽을 때 (time.monotonic)
_server_models: list[str] = []
_server_models_due = 0.0
_server_models_lock = threading.Lock()


def server_models() -> list[str]:
    """서버의 /v1/models (OPENAI_MODELS=auto). OPENAI_MODELS_REFRESH_SECONDS마다 다시 읽고, 실패하면 마지막으로 읽은
    목록을 쓰며 경고 한 줄을 남긴다 (다음 간격까지 다시 묻지 않는다).

    이벤트 루프 안(답변 작업)에서는 읽지 않고 가진 목록만 준다: 네트워크를 기다려 루프를 멈추지 않게.
    """
    global _server_models, _server_models_due
    now = time.monotonic()
    if now < _server_models_due or _in_event_loop():
        return list(_server_models)
    with _server_models_lock:
        if now < _server_models_due:
            return list(_server_models)
        _server_models_due = now + settings.OPENAI_MODELS_REFRESH_SECONDS
        try:
            client = openai.OpenAI(
                api_key=settings.OPENAI_API_KEY or "not-needed",
                base_url=settings.OPENAI_BASE_URL or None,
                timeout=min(settings.OPENAI_TIMEOUT, 5),
                max_retries=0,
            )
            names = [model.id for model in client.models.list().data if isinstance(model.id, str)]
            client.close()
        except (openai.APIError, ValueError) as error:
            logger.warning(
                "could not read the model list from %s; keeping %d models: %s",
                settings.OPENAI_BASE_URL or "OpenAI",
                len(_server_models),
                error,
            )
            return list(_server_models)
        _server_models = sorted(set(names))
        return list(_server_models)


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def usable_model(model: str) -> str:
    """설정에서 빠진 모델을 쓰던 대화는 기본 모델로 이어 간다.

    서버의 목록(auto)을 아직 읽지 못한 프로세스의 이벤트 루프 안에서는 보낼 때 확인한 이름을 그대로 믿는다."""
    if settings.OPENAI_MODELS_AUTO and not is_demo() and not _server_models:
        return model or default_model()
    return model if model in available_models() else default_model()
