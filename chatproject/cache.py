"""Redis가 없을 때 모든 워커와 호스트가 함께 보는 캐시: Django의 DB 캐시에 원자적인 incr을 더했다."""

import base64
import pickle

from django.core.cache.backends.db import DatabaseCache
from django.core.management import call_command
from django.db import connections, router, transaction
from django.utils.timezone import now


class SharedDatabaseCache(DatabaseCache):
    """제한 카운터(메시지, 로그인 실패, 가입)가 워커 사이에서 정확하도록.

    Django의 기본 incr은 읽고 나서 다시 쓴다: 두 워커가 동시에 올리면 하나를 잃고, 만료 시각도
    기본값(5분)으로 바뀌어 로그인 제한의 창이 달라진다. 여기서는 한 트랜잭션 안에서 행을 잠그고
    (SQLite는 IMMEDIATE 트랜잭션이 쓰기 잠금을 먼저 잡는다) 값만 바꾼다.
    """

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote = connection.ops.quote_name
        table, key_column, value_column = quote(self._table), quote("cache_key"), quote("value")
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        current = connection.ops.adapt_datetimefield_value(now().replace(microsecond=0))
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {value_column} FROM {table} "  # noqa: S608 - 이름은 quote_name을 거쳤다
                f"WHERE {key_column} = %s AND {quote('expires')} >= %s{lock}",
                [key, current],
            )
            row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found")
            # 이 캐시가 직접 쓴 값만 읽는다 (Django의 DB 캐시와 같은 방식)
            value = pickle.loads(base64.b64decode(row[0].encode())) + delta  # noqa: S301
            encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(
                f"UPDATE {table} SET {value_column} = %s WHERE {key_column} = %s",  # noqa: S608
                [encoded, key],
            )
        return value


def create_cache_table(using="default", **kwargs):
    """migrate가 끝날 때마다 캐시 표를 만든다 (이미 있거나 DB 캐시가 아니면 아무것도 하지 않는다).

    그래서 `make run`이든 직접 하는 배포든 migrate 하나면 된다.
    """
    call_command("createcachetable", database=using, verbosity=0)
