"""제한은 워커 수와 상관없이 정확하다: 같은 DB를 쓰는 앱 프로세스 둘에 요청을 번갈아 보낸다.

`make run`은 코어마다 워커 하나를 띄운다. 워커마다 따로인 메모리 캐시로는 1분에 5개 제한에서
14개 중 8–10개가 통과했고, login_unlock은 아무것도 풀지 못했다. Redis가 없어도 DB 캐시로 정확해야 한다.
"""

import copy
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

import pytest

from tests.support.servers import (
    Browserless,
    asgi_server,
    manage,
    postgres_database,
    running_on_postgres,
    server_env,
    wait_for_a_fresh_minute,
)

pytestmark = pytest.mark.live

LIMITS = {
    "RATE_LIMIT_MESSAGES_PER_MINUTE": "5",
    "LOGIN_FAILURES_PER_USERNAME": "5",
    "SIGNUP_PER_ADDRESS_PER_HOUR": "10000",
}
# 두 번째 실행(PostgreSQL + Redis)에서는 Redis로도 같은 것을 본다
CACHES = ["database", "redis"] if os.environ.get("REDIS_URL") else ["database"]


@pytest.fixture(params=CACHES)
def two_workers(request, tmp_path):
    """같은 DB를 쓰는 앱 프로세스 둘의 주소와, manage.py를 같은 설정으로 부를 환경."""
    cache = {"REDIS_URL": ""} if request.param == "database" else {}
    database = (
        postgres_database()
        if running_on_postgres()
        else nullcontext(f"sqlite:///{tmp_path / 'shared.sqlite3'}")
    )
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with database as url:
        # 한 사이트의 두 워커: DB도 캐시 키 접두어도 같다
        env = {
            "DATABASE_URL": url,
            "CACHE_KEY_PREFIX": f"shared-{uuid.uuid4().hex}",
            **cache,
            **LIMITS,
        }
        with (
            asgi_server(tmp_path / "a", **env) as first,
            asgi_server(tmp_path / "b", **env) as second,
        ):
            yield [first, second], server_env(tmp_path / "a", **env)


def start_at_once(student, servers, count) -> int:
    """같은 쿠키로 두 워커에 번갈아, 한꺼번에 새 대화를 count번 시작한다. 받아들인 수를 돌려준다."""

    def send(attempt):
        sender = copy.copy(student)
        sender.base_url = servers[attempt % 2]
        response = sender.post(
            "/chat/", {"content": f"질문 {attempt}", "model": "daehwa-demo"}, {"HX-Request": "true"}
        )
        return "HX-Redirect" in response.headers

    with ThreadPoolExecutor(max_workers=10) as pool:
        return sum(pool.map(send, range(count)))


def test_the_message_rate_limit_is_exact_across_two_workers(two_workers):
    servers, _env = two_workers
    student = Browserless(servers[0])
    wait_for_a_fresh_minute()

    assert start_at_once(student, servers, 14) == 5


def try_login(user, server, password):
    user.base_url = server
    page = user.post("/accounts/login/", {"username": user.username, "password": password}).read()
    return page.decode()


INCORRECT = "아이디 또는 비밀번호가 올바르지 않습니다"
THROTTLED = "로그인에 너무 많이 실패했습니다"


def test_log_in_throttling_and_login_unlock_are_exact_across_two_workers(two_workers):
    servers, env = two_workers
    owner = Browserless(servers[0])
    guesser = Browserless(servers[0], signup=False)
    guesser.username, guesser.password = owner.username, owner.password

    answers = [try_login(guesser, servers[i % 2], "wrong-guess-1234") for i in range(7)]

    assert [INCORRECT in page for page in answers] == [True] * 5 + [False] * 2
    assert all(THROTTLED in page for page in answers[5:])
    # 제한 중에는 맞는 비밀번호도, 다른 워커에서도 확인하지 않는다
    assert THROTTLED in try_login(guesser, servers[1], guesser.password)

    unlocked = manage(env, "login_unlock", guesser.username)

    assert f"Unlocked username {guesser.username}" in unlocked.stdout
    try_login(guesser, servers[1], guesser.password)
    assert f"<strong>{guesser.username}</strong>" in guesser.get("/chat/")


def test_a_spent_quota_holds_against_concurrent_sends_on_two_workers(two_workers):
    servers, env = two_workers
    student = Browserless(servers[0])
    # 한도 1,000에 999를 썼다
    manage(
        env,
        "shell",
        "-c",
        "from accounts.models import User; from accounts.usage import usage_record; "
        f"user = User.objects.get(username='{student.username}'); "
        "User.objects.filter(pk=user.pk).update(daily_token_quota=1000); "
        "usage_record(user_id=user.pk, model='daehwa-demo', prompt_tokens=999, "
        "completion_tokens=0, estimated=False)",
    )

    # 스무 탭에서 한꺼번에: 대화가 모두 달라 '대화마다 한 답변' 규칙은 걸리지 않는다
    assert start_at_once(student, servers, 20) == 1


def test_concurrent_wrong_passwords_on_two_workers_are_checked_at_most_the_limit(two_workers):
    servers, _env = two_workers
    owner = Browserless(servers[0])

    def guess(attempt):
        # 쿠키가 저마다인 브라우저 열둘이 한꺼번에
        guesser = Browserless(servers[attempt % 2], signup=False)
        guesser.username = owner.username
        return try_login(guesser, servers[attempt % 2], "wrong-guess-1234")

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(guess, range(12)))

    # 한도(5)만큼만 비밀번호를 확인하고, 나머지는 확인하지 않고 막는다
    assert sum(INCORRECT in page for page in answers) == 5
    assert sum(THROTTLED in page for page in answers) == 7
