"""DB와 캐시 설정: 각 실행이 정말 그 백엔드를 쓰는지, SQLite 동시 쓰기가 잠금 오류 없이 되는지."""

import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache, caches
from django.core.management import call_command
from django.db import connection

from tests.support.servers import (
    BASE_DIR,
    manage,
    postgres_database,
    running_on_postgres,
    server_env,
)

CONCURRENT_WRITERS = textwrap.dedent(
    """
    import threading

    import django

    django.setup()

    from django.core.management import call_command
    from django.db import connection, transaction

    from accounts.models import User

    call_command("migrate", verbosity=0)
    errors = []


    def writer(number):
        try:
            for step in range(15):
                # 읽고 나서 쓰는 트랜잭션: DEFERRED라면 여기서 "database is locked"가 난다
                with transaction.atomic():
                    User.objects.count()
                    User.objects.create(username=f"w{number}_{step}")
        except Exception as error:
            errors.append(repr(error))
        finally:
            connection.close()


    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print("users", User.objects.count())
    print("errors", errors[:3])
    """
)


def test_concurrent_sqlite_writers_wait_instead_of_failing(tmp_path):
    env = {**server_env(tmp_path), "DJANGO_SETTINGS_MODULE": "chatproject.settings"}

    result = subprocess.run(
        [sys.executable, "-c", CONCURRENT_WRITERS],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert "errors []" in result.stdout
    assert "users 90" in result.stdout


@pytest.mark.django_db
def test_database_is_the_one_database_url_names():
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        assert connection.vendor == "postgresql"
        assert connection.pool is not None
    else:
        assert connection.vendor == "sqlite"
        assert connection.transaction_mode == "IMMEDIATE"
        with connection.cursor() as cursor:
            # 설정의 timeout(20 s) 그대로: pragma가 5 s로 덮어쓰던 때가 있었다
            cursor.execute("PRAGMA busy_timeout")
            assert cursor.fetchone() == (20_000,)


@pytest.mark.django_db
def test_cache_is_the_one_redis_url_names():
    expected = "SharedRedisCache" if os.environ.get("REDIS_URL") else "SharedDatabaseCache"

    cache.set("probe", "value", timeout=5)

    assert type(caches["default"]).__name__ == expected
    assert cache.get("probe") == "value"


def test_requests_share_one_redis_client_and_connection(settings):
    # Django의 Redis 캐시는 요청(스레드)마다 새 클라이언트와 새 TCP 연결을 만들었다 (ticket #35651)
    import threading

    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "core.cache.SharedRedisCache",
            "LOCATION": os.environ.get("REDIS_URL") or "redis://127.0.0.1:1/0",
        },
    }
    seen = []

    def request():
        backend = caches["default"]
        seen.append((backend, backend._cache, backend._cache.get_client(write=True)))

    for _ in range(3):
        thread = threading.Thread(target=request)
        thread.start()
        thread.join()

    backends, clients, redis_clients = zip(*seen, strict=True)
    # 스레드마다 Django의 캐시 객체는 새것이지만, 그 밑의 클라이언트와 연결 풀은 하나다
    assert len({id(backend) for backend in backends}) == 3
    assert len({id(client) for client in clients}) == 1
    assert len({id(client) for client in redis_clients}) == 1


@pytest.fixture
def database_cache(settings, db):
    """Redis가 있는 실행에서도 DB 캐시를 직접 시험한다."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "core.cache.SharedDatabaseCache", "LOCATION": "test_cache"},
    }
    call_command("createcachetable", verbosity=0)
    return caches["default"]


def test_the_database_cache_increments_without_moving_the_expiry(database_cache):
    database_cache.add("failures", 1, timeout=900)

    assert database_cache.incr("failures") == 2
    assert database_cache.incr("failures", 3) == 5

    assert database_cache.get("failures") == 5
    with connection.cursor() as cursor:
        cursor.execute("SELECT expires FROM test_cache")
        (expires,) = cursor.fetchone()
    if isinstance(expires, str):
        expires = datetime.fromisoformat(expires)
    # SQLite는 시간대 없이 UTC로 돌려준다
    expires = expires if expires.tzinfo else expires.replace(tzinfo=UTC)
    # Django의 기본 incr은 여기서 기본 만료(300초)로 되돌렸다
    assert expires - datetime.now(UTC) > timedelta(seconds=800)


def test_the_database_cache_refuses_to_increment_a_missing_or_expired_key(database_cache):
    database_cache.set("old", 1, timeout=-1)

    with pytest.raises(ValueError, match="not found"):
        database_cache.incr("missing")
    with pytest.raises(ValueError, match="not found"):
        database_cache.incr("old")


def test_the_database_cache_adds_only_a_missing_or_expired_key(database_cache):
    assert database_cache.add("fresh", 1, timeout=60) is True
    assert database_cache.add("fresh", 2, timeout=60) is False
    database_cache.set("old", 1, timeout=-1)
    assert database_cache.add("old", 3, timeout=60) is True
    assert database_cache.add("forever", 4, timeout=None) is True

    assert database_cache.get_many(["fresh", "old", "forever"]) == {
        "fresh": 1,
        "old": 3,
        "forever": 4,
    }


def test_the_database_cache_add_clears_expired_rows_now_and_then(database_cache, monkeypatch):
    monkeypatch.setattr("core.cache.CULL_EVERY", 1)
    database_cache.set("gone", 1, timeout=-1)

    database_cache.add("new", 1, timeout=60)

    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM test_cache")
        keys = [row[0] for row in cursor.fetchall()]
    assert [key.rsplit(":", 1)[-1] for key in keys] == ["new"]


def test_a_rate_check_on_the_database_cache_takes_three_statements(
    database_cache, django_user_model, one_minute
):
    # 메시지를 보낼 때마다 돈다: Django의 add와 incr은 세이브포인트와 실패하는 INSERT까지 아홉 문장이었다
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    from chat.services.rules import rate_check

    user = django_user_model.objects.create(username="rate")
    with transaction.atomic():
        rate_check(user)
        with CaptureQueriesContext(connection) as queries:
            rate_check(user)

    assert len(queries) <= 3, [query["sql"] for query in queries]
    assert database_cache.get(f"chat:sent:{user.pk}:{int(one_minute // 60)}") == 2


def test_migrate_alone_creates_the_cache_table(tmp_path):
    env = {**server_env(tmp_path), "REDIS_URL": ""}

    manage(env, "migrate", "--noinput")

    with sqlite3.connect(tmp_path / "db.sqlite3") as database:
        tables = {row[0] for row in database.execute("SELECT name FROM sqlite_master")}
    assert "daehwa_cache" in tables


COUNTER_SCRIPT = """
import os, time
from django.core.cache import cache
cache.add("hits", 0, timeout=600)
time.sleep(max(0.0, float(os.environ["START_AT"]) - time.time()))
for _ in range(100):
    cache.incr("hits")
"""


def test_the_database_cache_loses_no_increment_across_processes(tmp_path):
    # 워커 넷이 같은 순간에 같은 카운터를 올린다: 읽고 다시 쓰는 incr이라면 몇 개를 잃는다
    database = (
        postgres_database()
        if running_on_postgres()
        else nullcontext(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    )
    with database as url:
        env = {**server_env(tmp_path), "REDIS_URL": "", "DATABASE_URL": url}
        manage(env, "migrate", "--noinput")
        env["START_AT"] = str(time.time() + 4)
        workers = [
            subprocess.Popen(
                [sys.executable, "manage.py", "shell", "-v", "0", "-c", COUNTER_SCRIPT],
                cwd=BASE_DIR,
                env=env,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(4)
        ]
        errors = [worker.communicate(timeout=60)[1] for worker in workers]
        total = manage(
            env,
            "shell",
            "-v",
            "0",
            "-c",
            "from django.core.cache import cache; print(cache.get('hits'))",
        )

    assert [worker.returncode for worker in workers] == [0] * 4, errors
    assert total.stdout.strip() == "400"


def test_a_logged_in_request_reads_its_session_from_a_cache(client, django_user_model):
    # 요청마다 하던 세션 질의: Redis가 있으면 Redis에서, SQLite뿐이면 워커의 메모리에서 읽는다.
    # Redis 없는 PostgreSQL은 호스트가 여럿일 수 있어 DB에서 읽는다.
    from django.test.utils import CaptureQueriesContext

    client.force_login(django_user_model.objects.create(username="session"))
    client.get("/healthz")

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/accounts/usage/").status_code == 200

    reads = [query["sql"] for query in queries if "django_session" in query["sql"]]
    from_database = connection.vendor != "sqlite" and not os.environ.get("REDIS_URL")
    assert bool(reads) is from_database, reads


def test_a_logged_out_session_is_gone_from_the_cache_too(client, django_user_model):
    # 로그아웃한 세션 쿠키를 다시 내밀어도 캐시에 남은 세션으로 들어가지 못한다
    client.force_login(django_user_model.objects.create(username="leaving"))
    cookie = client.cookies["sessionid"].value
    assert client.get("/accounts/usage/").status_code == 200

    client.post("/accounts/logout/")
    client.cookies["sessionid"] = cookie

    assert client.get("/accounts/usage/").status_code == 302
