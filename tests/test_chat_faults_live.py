"""답변 중의 고장: DB 연결이 끊기거나 워커가 kill -9로 죽어도 모델이 보낸 글은 (마지막 몇 초 말고는) 남는다."""

import os
import re
import signal
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager

import pytest

from chat.feed.database import PROGRESS_SECONDS
from tests.support.fake_openai import Reply
from tests.support.servers import Browserless, running_on_postgres

pytestmark = pytest.mark.live


@contextmanager
def _database_outage(database_url):
    """그 DB에 아무도 닿지 못하게 한다: 새 연결은 거절되고 있던 연결은 끊긴다 (PostgreSQL이 멈춘 것처럼)."""
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        try:
            yield
        finally:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


def _post_status(user, path, data):
    """CSRF 토큰은 미리 읽어 두고 보낸다 (장애 중에는 토큰을 읽을 페이지도 열리지 않는다)."""
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": user.csrf_token, **data}).encode()
    request = urllib.request.Request(user.base_url + path, body)  # noqa: S310 - 우리 테스트 서버
    try:
        with user.opener.open(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _page(user, url, needle, seconds=30):
    """연결이 끊긴 직후의 요청은 503일 수 있다: 사람처럼 잠시 뒤 다시 읽는다."""
    deadline = time.monotonic() + seconds
    page = ""
    while time.monotonic() < deadline:
        try:
            page = user.get(url)
        except OSError:
            page = ""
        if needle in page:
            return page
        time.sleep(0.3)
    return page


@pytest.mark.skipif(not running_on_postgres(), reason="the outage is made in PostgreSQL")
def test_a_reply_that_ends_during_a_database_outage_is_saved_when_it_is_back(site, fake_openai):
    whole = [f"c{index} " for index in range(30)]
    fake_openai.script(Reply(tokens=whole, delay=0.1))
    user = Browserless(site("a"))
    conversation_url, _ = user.start("끊어 볼게")
    page = user.get(conversation_url)
    user.csrf_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    with _database_outage(site.database_url):
        # 답변은 장애 중에 끝난다 (3초). 그 사이 보낸 메시지는 503과 입력한 글을 돌려받는다
        status, refused = _post_status(user, f"{conversation_url}messages/", {"content": "장애 중"})
        time.sleep(4)

    assert status == 503
    assert "장애 중</textarea>" in refused
    page = _page(user, conversation_url, "bubble-assistant is-done")
    assert "bubble-assistant is-done" in page
    assert "".join(whole).strip() in page


def test_a_killed_worker_leaves_the_text_of_its_last_progress_save(site, fake_openai):
    fake_openai.script(Reply(tokens=[f"k{index} " for index in range(200)], delay=0.05))
    before = site("before")
    user = Browserless(before)
    conversation_url, _ = user.start("죽여 볼게")
    # 잃는 것은 마지막 몇 초뿐이어야 한다: 5초 동안에 진행 저장이 한 번은 있다 (PROGRESS_SECONDS).
    # 답은 10초라 그 전에 끝나지 않고, 바쁜 기계에서 답이 늦게 시작해도 여유가 있다
    assert PROGRESS_SECONDS <= 3
    time.sleep(5.0)

    os.kill(before.process.pid, signal.SIGKILL)
    before.process.wait(timeout=10)

    user.base_url = site("after")
    page = user.get(conversation_url)
    # 답변은 생성 중으로 남았다가 (STALE_REPLY_SECONDS 뒤) 중단으로 정리된다: 그때까지 저장된 글이 보인다
    assert "k0 k1" in page
    assert "k198 k199" not in page
