"""공용 픽스처와, 쓰는 픽스처로 붙이는 live·browser 표시 (tests/support/markers.py)."""

import uuid
from contextlib import ExitStack
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings

from accounts.models import User
from tests.support import markers, network_guard
from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    page_opener,
    require_chromium,
    watched_page,
)
from tests.support.fake_openai import FakeOpenAI
from tests.support.servers import asgi_server, llm_env, shared_database

pytest_plugins = ["pytester"]


def pytest_configure(config):
    # 어떤 테스트도 인터넷에 닿지 않는다: 루프백 밖으로의 연결과 이름 조회는 보내기 전에 막힌다
    network_guard.install()
    # live로 표시되지 않은 테스트는 서버를 띄우지 못한다
    markers.install()


def pytest_collection_modifyitems(config, items):
    # fake_openai, llm_server, live_asgi, page를 쓰는 테스트는 스스로 표시하지 않아도 live(와 browser)다
    markers.mark_by_fixtures(items)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    with markers.running(item):
        return (yield)


def pytest_sessionfinish(session, exitstatus):
    # 어느 테스트에도 속하지 않은 시도(세션 픽스처의 정리 등)도 실행을 실패로 만든다
    if escapes := network_guard.take_escapes():
        print(f"\nthe test session tried to reach non-loopback addresses: {escapes}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def loopback_only():
    """루프백 밖으로 나가려 한 테스트는 실패한다. 코드가 막힌 연결의 오류를 삼켰더라도."""
    yield
    network_guard.fail_on_escapes()


PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def isolated_cache(settings):
    """테스트마다 캐시 키 접두어를 새로 써서, 공유 Redis를 비우지 않고도 서로 섞이지 않게 한다."""
    settings.CACHES = {
        name: {**config, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
        for name, config in django_settings.CACHES.items()
    }


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def user(db):
    return User.objects.create_user(username="minji", password=PASSWORD)


@pytest.fixture
def other_user(db):
    return User.objects.create_user(username="junho", password=PASSWORD)


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture(scope="session")
def fake_openai_server():
    """가짜 OpenAI 서버. 테스트마다 띄우면 느려서, 세션 동안 하나만 둔다."""
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def fake_openai(fake_openai_server):
    """앞 테스트의 각본과 요청 기록이 새지 않게 비운 서버."""
    fake_openai_server.reset()
    return fake_openai_server


@pytest.fixture
def llm_server(settings, fake_openai):
    """앱이 가짜 OpenAI 서버를 진짜 SDK로 부르게 한다. 재시도 대기와 제한 시간은 짧게."""
    settings.OPENAI_BASE_URL = fake_openai.base_url
    settings.OPENAI_API_KEY = "test-key"
    settings.OPENAI_MODEL = "fake-model"
    settings.OPENAI_MODELS = ["fake-model", "fake-large"]
    settings.OPENAI_TIMEOUT = 2.0
    settings.OPENAI_MAX_RETRIES = 2
    return fake_openai


@pytest.fixture
def fast_demo(monkeypatch):
    """데모 모델이 기다리지 않고 답한다."""
    monkeypatch.setattr("chat.demo.TOKEN_DELAY_SECONDS", 0)


@pytest.fixture
def one_minute(monkeypatch):
    """보내기 속도의 1분 창을 멈춘다: 시험 도중 분이 바뀌면 카운터가 새로 시작해 기대한 거절이 사라진다."""
    frozen = 1_800_000_000.0
    monkeypatch.setattr("chat.services.rules.time", SimpleNamespace(time=lambda: frozen))
    return frozen


@pytest.fixture
def english(client):
    """언어 선택기에서 English를 고른 사람."""
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture(scope="session")
def live_asgi(tmp_path_factory, fake_openai_server):
    """uvicorn 위에서 도는 진짜 앱의 기본 URL (세션 동안 하나). 모델은 가짜 OpenAI 서버다."""
    llm = llm_env(fake_openai_server)
    # 가짜 모델은 그림을 읽는다: 첨부한 그림이 image_url 조각으로 가는지 본다 (tests/test_browser_attachments.py)
    with asgi_server(
        tmp_path_factory.mktemp("asgi"), **llm, LLM_VISION_MODELS=llm["OPENAI_MODEL"]
    ) as base_url:
        yield base_url


@pytest.fixture
def site(tmp_path, fake_openai):
    """같은 DB와 캐시 접두어를 쓰는 앱 프로세스를 필요한 만큼 띄우는 함수 (test_chat_jobs_live, test_chat_faults_live).

    test_site_multihost는 nginx 뒤의 호스트 둘을 같은 이름의 자기 픽스처로 쓴다.
    """
    with ExitStack() as stack:
        url = stack.enter_context(shared_database(tmp_path))
        env = {
            "DATABASE_URL": url,
            "CACHE_KEY_PREFIX": f"site-{uuid.uuid4().hex}",
            **llm_env(fake_openai),
        }

        def start(name, **overrides):
            workdir = tmp_path / name
            workdir.mkdir()
            return stack.enter_context(asgi_server(workdir, **env, **overrides))

        def server(name, **overrides):
            """with 블록이 끝나면 SIGTERM으로 멈추는 서버."""
            workdir = tmp_path / name
            workdir.mkdir()
            return asgi_server(workdir, **env, **overrides)

        start.server = server
        start.database_url = url
        yield start


@pytest.fixture(scope="module")
def browser():
    # 모듈 범위: Playwright 동기 API는 살아 있는 동안 주 스레드에 이벤트 루프를 띄워 두어서,
    # 세션 내내 두면 뒤따르는 테스트의 asyncio.run과 async_to_sync가 실패한다
    markers.require("browser", "Chromium")
    require_chromium()
    from playwright.sync_api import sync_playwright  # chromium이 있을 때만 필요하다

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser, live_asgi):
    """크기와 테마를 고른 새 창. 콘솔 오류(CSP 위반 포함)를 모은다."""
    with page_opener(browser, live_asgi) as make:
        yield make


@pytest.fixture
def page(browser, live_asgi):
    """영어 OS 브라우저처럼 en-US로 연 새 창. 콘솔 오류와 CSP 위반을 모아 둔다."""
    context = browser.new_context(locale="en-US", base_url=live_asgi)
    yield watched_page(context)
    context.close()


@pytest.fixture(autouse=True)
def _no_writer_outlives_its_test():
    """테스트가 끝나면 이 프로세스의 Writer와 작업 기록을 비운다.

    테스트 DB를 되돌리면 답변 번호가 다시 쓰인다: 앞 테스트의 루프와 함께 멈춘 Writer가 남아 있으면 같은 번호의
    새 답변을 따라가는 스트림이 그 죽은 Writer를 끝없이 기다린다.
    """
    yield
    from chat import generation
    from chat.feed import memory

    memory._writers.clear()
    generation._jobs.clear()


@pytest.fixture(autouse=True)
def _start_generation_as_on_commit_would(monkeypatch):
    """JavaScript 없는 보내기가 답변을 기다리기 전에, 커밋되었다면 on_commit이 이미 시작했을 생성을 시작한다.

    테스트의 트랜잭션은 커밋되지 않아 on_commit이 돌지 않고, 스트림과 기다림은 생성을 시작하지 않는다(chat.feed).
    그래서 기다리는 그 루프에서 시작한다: 그 루프의 DB 호출은 테스트의 연결을 쓴다. 진짜 on_commit의 길은 uvicorn을
    띄우는 테스트(test_chat_jobs_live)가 지난다.
    """
    from chat import feed
    from tests.support.sse import start_generation

    wait_finished = feed.wait_finished

    async def started_then_wait_finished(reply, timeout):
        await start_generation(reply.pk)
        return await wait_finished(reply, timeout)

    monkeypatch.setattr(feed, "wait_finished", started_then_wait_finished)
