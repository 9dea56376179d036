"""캐시 백엔드 둘. Redis가 있으면 프로세스가 연결 하나를 함께 쓰는 Redis 캐시, 없으면 모든 워커와 호스트가
함께 보는 DB 캐시 (Django의 DB 캐시에 원자적인 incr과 한 문장 add를 더했다)."""

import base64
import datetime
import itertools
import pickle
import threading

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.core.management import call_command
from django.db import connections, router, transaction
from django.utils.functional import cached_property
from django.utils.timezone import now

# add()가 이만큼에 한 번 만료된 행을 치운다. Django의 add는 매번 표 전체를 세었다 (COUNT(*)).
CULL_EVERY = 200


# 프로세스마다 Redis 클라이언트 하나 (서버 주소와 옵션마다). 연결 풀은 스레드 사이에서 안전하고, fork 뒤에는
# redis-py가 스스로 새로 만든다.
_redis_clients: dict[tuple, "SharedRedisCacheClient"] = {}
_redis_clients_lock = threading.Lock()


class SharedRedisCacheClient(RedisCacheClient):
    """풀마다 redis.Redis 객체 하나를 다시 쓴다.

    호출마다 새로 만드는 값이 캐시 호출 자체보다 컸다 (docs/architecture.md "Django와 SDK를 비켜 가는 곳" 7).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients_by_pool = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients_by_pool.get(id(pool))
        if client is None:
            client = self._clients_by_pool[id(pool)] = self._client(connection_pool=pool)
        return client


class SharedRedisCache(RedisCache):
    """Django의 Redis 캐시는 요청(스레드, 컨텍스트)마다 새 캐시 객체를 만들고, 그때마다 새 클라이언트, 새 연결 풀,
    새 TCP 연결과 인사(redis 패키지의 메타데이터를 읽는 것까지)를 했다 (Django ticket #35651). 세션을 Redis에서
    읽으면 요청마다 이 값을 치렀다. 여기서는 같은 설정의 클라이언트 하나를 프로세스가 함께 쓴다.
    """

    @cached_property
    def _cache(self):
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        with _redis_clients_lock:
            client = _redis_clients.get(key)
            if client is None:
                client = _redis_clients[key] = SharedRedisCacheClient(
                    self._servers, **self._options
                )
        return client


class SharedDatabaseCache(DatabaseCache):
    """제한 카운터(메시지, 로그인 실패, 가입)가 워커 사이에서 정확하도록.

    Django의 기본 incr은 읽고 나서 다시 쓴다: 두 워커가 동시에 올리면 하나를 잃고, 만료 시각도
    기본값(5분)으로 바뀌어 로그인 제한의 창이 달라진다. 여기서는 한 트랜잭션 안에서 행을 잠그고
    (SQLite는 IMMEDIATE 트랜잭션이 쓰기 잠금을 먼저 잡는다) 값만 바꾼다.
    """

    _adds = itertools.count()

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        """없거나 만료된 키일 때만 쓴다. 문장 하나(upsert)로: 메시지를 보낼 때마다 부르는 제한 카운터의 값이었다.

        Django의 add는 표를 세고, 세이브포인트 안에서 읽고, 이미 있으면 INSERT가 실패해 되돌렸다 (문장 6~7개).
        """
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote = connection.ops.quote_name
        table, expires = quote(self._table), quote("expires")
        # 만료 시각은 초 아래를 버려 저장하지만(Django와 같다), 지금은 버리지 않는다: Django의 get처럼 그 초가 지나면
        # 만료다. 버리면 add와 incr에는 키가 1초 가까이 더 살아 있어, 끝난 로그인 제한 창이 이어졌다.
        current = now()
        timeout = self.get_backend_timeout(timeout)
        until = (
            datetime.datetime.max.replace(tzinfo=datetime.UTC)
            if timeout is None
            else datetime.datetime.fromtimestamp(timeout, tz=datetime.UTC)
        ).replace(microsecond=0)
        encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
        with connection.cursor() as cursor:
            if next(self._adds) % CULL_EVERY == 0:
                cursor.execute(
                    f"DELETE FROM {table} WHERE {expires} < %s",  # noqa: S608 - quote_name을 거친 이름
                    [connection.ops.adapt_datetimefield_value(current)],
                )
            # 같은 키가 살아 있으면 아무것도 바꾸지 않는다 (바뀐 행 0). SQLite와 PostgreSQL 모두 이 문법이다.
            cursor.execute(
                f"INSERT INTO {table} ({quote('cache_key')}, {quote('value')}, {expires}) "  # noqa: S608
                f"VALUES (%s, %s, %s) ON CONFLICT ({quote('cache_key')}) DO UPDATE "
                f"SET {quote('value')} = excluded.{quote('value')}, {expires} = excluded.{expires} "
                f"WHERE {table}.{expires} < %s",
                [
                    key,
                    encoded,
                    connection.ops.adapt_datetimefield_value(until),
                    connection.ops.adapt_datetimefield_value(current),
                ],
            )
            return cursor.rowcount == 1

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote = connection.ops.quote_name
        table, key_column, value_column = quote(self._table), quote("cache_key"), quote("value")
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        current = connection.ops.adapt_datetimefield_value(now())
        # 이미 트랜잭션 안(메시지 보내기)이면 세이브포인트를 만들지 않는다: DB 오류면 바깥이 함께 되돌린다.
        # 없는 키는 블록을 나온 뒤에 알린다: 블록 안에서 던지면 바깥 트랜잭션까지 되돌리게 표시된다.
        value = None
        with (
            transaction.atomic(using=db, savepoint=False),
            connection.cursor() as cursor,
        ):
            cursor.execute(
                f"SELECT {value_column} FROM {table} "  # noqa: S608 - 이름은 quote_name을 거쳤다
                f"WHERE {key_column} = %s AND {quote('expires')} >= %s{lock}",
                [key, current],
            )
            row = cursor.fetchone()
            if row is not None:
                # 이 캐시가 직접 쓴 값만 읽는다 (Django의 DB 캐시와 같은 방식)
                value = pickle.loads(base64.b64decode(row[0].encode())) + delta  # noqa: S301
                encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode(
                    "latin1"
                )
                cursor.execute(
                    f"UPDATE {table} SET {value_column} = %s WHERE {key_column} = %s",  # noqa: S608
                    [encoded, key],
                )
        if value is None:
            raise ValueError(f"Key '{key}' not found")
        return value


def create_cache_table(using="default", **kwargs):
    """migrate가 끝날 때마다 캐시 표를 만든다 (이미 있거나 DB 캐시가 아니면 아무것도 하지 않는다).

    그래서 `make run`이든 직접 하는 배포든 migrate 하나면 된다.
    """
    call_command("createcachetable", database=using, verbosity=0)
