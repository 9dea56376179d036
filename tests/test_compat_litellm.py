"""진짜 LiteLLM 프록시를 가짜 OpenAI 서버 앞에 세우고, 대화의 길(스트림, 오류 종류, llm_check)을 처음부터 끝까지 본다.

학교에서는 모델 서버 앞에 LiteLLM을 두는 일이 흔하다. 손으로 흉내 낸 모양(test_chat_stream_shapes)이 아니라 프록시가
실제로 옮기는 것(오류를 바꿔 쓰기, 사용량 조각의 모양, 끊긴 스트림)을 Daehwa가 맞게 읽는지 지킨다.

LiteLLM은 앱과 의존성(openai 등)이 부딪치지 않게 따로 된 가상환경에 고정한 판으로 설치한다(requirements-compat.txt,
`make compat`). 설치가 안 되면 CI에서는 실패하고, 그 밖에서는 이유를 적고 건너뛴다.

SQLite로 도는 첫 번째 실행에서만 돈다: 시험 대상은 프록시이지 DB가 아니라서, PostgreSQL로 도는 두 번째 실행에서는
일부러 건너뛴다 (프록시를 한 번 더 띄우는 값만 든다).
"""

import contextlib
import json
import os
import secrets
import signal
import subprocess
import time
import urllib.error
import urllib.request
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from chat.llm import model_list
from chat.models import Message
from chat.services import conversation_start
from tests.support.fake_openai import Reply
from tests.support.servers import free_port
from tests.support.sse import read_stream

BASE_DIR = Path(__file__).resolve().parent.parent
LITELLM = BASE_DIR / ".venv-compat" / "bin" / "litellm"

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(
        "sqlite" not in django_settings.DATABASES["default"]["ENGINE"],
        reason="the LiteLLM proxy is the subject here, not the database: it runs in the SQLite pass only",
    ),
    # 설치(첫 실행)와 프록시 기동은 픽스처가 저마다 제한 시간을 둔다: 60초는 시험 본문에만
    pytest.mark.timeout(60, func_only=True),
]

# 프록시가 아는 이름들. 빗금이 든 이름도 그대로 지나가야 한다
MODEL = "fake-model"
SLASHED_MODEL = "class-b/model"
# LiteLLM 1.108.7은 모델 이름을 응답 헤더(x-litellm-model-group)에 실어, 라틴-1 밖의 이름은 500으로 실패한다
HANGUL_MODEL = "class-a/모델"

INSTALL_TIMEOUT = 15 * 60
START_TIMEOUT = 90


@pytest.fixture(scope="module")
def compat_venv():
    """`make compat`: 요구사항 파일이 그대로면 아무것도 하지 않는다."""
    try:
        result = subprocess.run(
            ["make", "compat"],
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
        )
        reason = "" if result.returncode == 0 else result.stdout[-2000:] + result.stderr[-2000:]
    except (OSError, subprocess.TimeoutExpired) as error:
        reason = repr(error)
    if reason or not LITELLM.exists():
        message = f"could not install LiteLLM with `make compat`: {reason or 'no litellm binary'}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return LITELLM


def _config(upstream: str) -> str:
    """모델 목록. LiteLLM 자신의 재시도(기본으로 켜져 있다)는 끈다: 재시도하면 가짜 서버의 다음 각본(기본은 성공)을
    먹어 오류가 가려진다."""
    params = {"model": f"openai/{MODEL}", "api_base": upstream, "api_key": "test"}
    config = {
        "model_list": [
            {"model_name": name, "litellm_params": params}
            for name in (MODEL, SLASHED_MODEL, HANGUL_MODEL)
        ],
        "litellm_settings": {"telemetry": False},
        "router_settings": {"num_retries": 0},
    }
    # YAML은 JSON을 품는다: yaml 패키지 없이 쓴다
    return json.dumps(config, ensure_ascii=False, indent=2)


def _proxy_env(home: Path, master_key: str) -> dict[str, str]:
    """인터넷 없이 뜨는 환경. 개발자의 환경 변수(프록시, API 키 등)는 물려주지 않는다."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "LANG": "C.UTF-8",
        # 시작할 때 모델 가격표를 인터넷에서 받지 않고 패키지에 든 것을 쓴다
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_TELEMETRY": "False",
        # 그래도 밖으로 나가려는 HTTP 클라이언트(환경의 프록시를 따르는 것)는 닫힌 루프백 포트에서 곧바로 실패한다
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "127.0.0.1,localhost",
        # 이 판은 마스터 키 없이는 뜨지 않는다: 운영처럼 키를 두고 Daehwa가 그 키로 부른다
        "LITELLM_MASTER_KEY": master_key,
        "PYTHONUNBUFFERED": "1",
    }


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - 루프백의 프록시
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="module")
def litellm_proxy(compat_venv, fake_openai_server, tmp_path_factory):
    """루프백에서 도는 LiteLLM 프록시의 주소와 마스터 키. 가짜 OpenAI 서버를 upstream으로 둔다."""
    workdir = tmp_path_factory.mktemp("litellm")
    config = workdir / "config.yaml"
    config.write_text(_config(fake_openai_server.base_url), encoding="utf-8")
    log = workdir / "litellm.log"
    port = free_port()
    master_key = "sk-" + secrets.token_hex(32)
    base_url = f"http://127.0.0.1:{port}"
    with log.open("wb") as output:
        # 새 세션: 끝낼 때 이 프로세스가 띄운 자식까지 함께 끝낸다
        process = subprocess.Popen(
            [compat_venv, "--config", config, "--host", "127.0.0.1", "--port", str(port)],
            cwd=workdir,
            env=_proxy_env(workdir, master_key),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _ready(f"{base_url}/health/liveliness"):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-3000:]
                pytest.fail(f"LiteLLM did not start on {base_url}:\n{tail}")
            time.sleep(0.2)
        yield {"url": base_url, "key": master_key}
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture
def via_proxy(settings, litellm_proxy, fake_openai):
    """앱이 LiteLLM을 부르고, LiteLLM이 가짜 서버를 부른다. 앱 쪽 재시도는 꺼서 각본 하나가 요청 하나다."""
    settings.OPENAI_BASE_URL = litellm_proxy["url"] + "/v1"
    settings.OPENAI_API_KEY = litellm_proxy["key"]
    settings.OPENAI_MODEL = MODEL
    settings.OPENAI_MODELS = [MODEL, SLASHED_MODEL]
    settings.OPENAI_MODELS_AUTO = False
    settings.OPENAI_TIMEOUT = 10.0
    settings.OPENAI_MAX_RETRIES = 0
    return fake_openai


def ask(client, user, model=MODEL):
    """질문 하나를 보내고 스트림을 끝까지 읽은 뒤, 저장된 답변을 준다."""
    client.force_login(user)
    reply = conversation_start(user=user, content="질문", model=model)
    stream = read_stream(client, reply.pk)
    reply.refresh_from_db()
    return reply, stream


def sse_event(delta: dict, finish=None) -> bytes:
    payload = {
        "id": "chatcmpl-think",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\n\n"


def test_a_streamed_reply_arrives_whole_with_its_usage(client, user, via_proxy):
    via_proxy.script(Reply(tokens=["안녕", "하세요", ", ", "세상", "!"]))

    reply, stream = ask(client, user)

    assert (reply.status, reply.error_kind) == (Message.Status.DONE, "")
    assert reply.content == "안녕하세요, 세상!"
    assert (reply.prompt_tokens, reply.completion_tokens) == (12, 5)
    assert stream.events[-1] == ("done", "")


def test_a_model_name_with_a_slash_passes_through(client, user, via_proxy):
    reply, _ = ask(client, user, model=SLASHED_MODEL)

    assert (reply.status, reply.error_kind) == (Message.Status.DONE, "")
    assert reply.content == "Hello, world!"
    assert reply.model == SLASHED_MODEL
    # upstream에는 LiteLLM 설정의 이름(openai/ 뒤)이 간다
    assert via_proxy.requests[-1]["model"] == MODEL


def test_a_hangul_model_name_fails_inside_litellm(client, user, via_proxy, settings):
    # LiteLLM 1.108.7의 한계: upstream은 답했는데 응답 헤더에 모델 이름을 쓰다 500이 된다. 판을 올려 고쳐지면 이 시험이
    # 알린다 (그때는 한글 이름도 빗금 이름처럼 지나가야 한다)
    settings.OPENAI_MODELS = [MODEL, HANGUL_MODEL]

    reply, _ = ask(client, user, model=HANGUL_MODEL)

    assert (reply.status, reply.error_kind) == (Message.Status.FAILED, "upstream_error")
    assert reply.content == ""
    assert len(via_proxy.requests) == 1


def test_a_429_with_retry_after_reads_as_rate_limited(client, user, via_proxy):
    via_proxy.script(
        Reply(
            status=429,
            error_code="rate_limit_exceeded",
            error_message="Rate limit reached for requests",
            headers={"Retry-After": "1"},
        )
    )

    reply, _ = ask(client, user)

    assert (reply.status, reply.error_kind) == (Message.Status.FAILED, "rate_limited")
    assert len(via_proxy.requests) == 1


def test_a_500_reads_as_an_upstream_error(client, user, via_proxy):
    via_proxy.script(Reply(status=500, error_message="The server had an error"))

    reply, _ = ask(client, user)

    assert (reply.status, reply.error_kind) == (Message.Status.FAILED, "upstream_error")
    assert len(via_proxy.requests) == 1


def test_a_too_long_conversation_reads_as_context_too_long(client, user, via_proxy):
    via_proxy.script(
        Reply(
            status=400,
            error_code="context_length_exceeded",
            error_message="This model's maximum context length is 8192 tokens. "
            "However, your messages resulted in 9000 tokens.",
        )
    )

    reply, _ = ask(client, user)

    assert (reply.status, reply.error_kind) == (Message.Status.FAILED, "context_too_long")


def test_a_model_the_proxy_does_not_know_reads_as_not_configured(client, user, via_proxy, settings):
    # 운영자가 OPENAI_MODELS에 적었지만 LiteLLM 설정에는 없는 이름: LiteLLM의 "Invalid model name" 400
    settings.OPENAI_MODELS = [MODEL, "not-in-litellm"]

    reply, _ = ask(client, user, model="not-in-litellm")

    assert (reply.status, reply.error_kind) == (Message.Status.FAILED, "not_configured")
    assert via_proxy.requests == []


def test_a_stream_cut_midway_fails_and_keeps_the_text_so_far(client, user, via_proxy):
    via_proxy.script(Reply(tokens=["앞", "부분", " 뒤", "끝"], cut_after=2))

    reply, _ = ask(client, user)

    # LiteLLM은 끊긴 upstream을 스트림 안의 오류 객체(APIConnectionError, code "500")로 알린다: 표
    # (chat.upstream_errors)가 그 이름을 연결 끊김으로 읽는다. 받은 글은 남는다
    assert (reply.status, reply.error_kind) == (Message.Status.FAILED, "connection_lost")
    assert reply.content == "앞부분"


# Message.reasoning(생각을 답과 따로 저장)과 함께 들어오는 시험: 그 필드가 없는 코드에서는 실패하는 것이 맞다.
# reasoning_content는 DeepSeek·llama.cpp, reasoning은 새 vLLM·Ollama가 쓰는 이름이다
@pytest.mark.parametrize("key", ["reasoning_content", "reasoning"])
def test_reasoning_is_kept_apart_from_the_answer(client, user, via_proxy, key):
    via_proxy.script(
        Reply(
            raw_body=[
                sse_event({"role": "assistant", "content": ""}),
                sse_event({"content": None, key: "먼저 "}),
                sse_event({"content": None, key: "생각한다."}),
                sse_event({"content": "답"}),
                sse_event({"content": "이다."}),
                sse_event({}, "stop"),
                b"data: [DONE]\n\n",
            ]
        )
    )

    reply, _ = ask(client, user)

    assert (reply.status, reply.error_kind) == (Message.Status.DONE, "")
    assert reply.reasoning == "먼저 생각한다."
    assert reply.content == "답이다."


def test_llm_check_reads_the_models_from_the_proxy(via_proxy, settings, monkeypatch):
    settings.OPENAI_MODELS_AUTO = True
    monkeypatch.setattr(model_list, "_server_models", [])
    monkeypatch.setattr(model_list, "_server_models_due", 0.0)
    out = StringIO()

    call_command("llm_check", stdout=out)

    text = out.getvalue()
    assert f"Models offered: {MODEL}, " in text
    assert SLASHED_MODEL in text
    assert "Reply: 'Hello, world!'" in text
    assert "Tokens: prompt 12, completion 4" in text
    assert "The model server works." in text
