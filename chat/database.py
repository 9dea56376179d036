"""오래 사는 비동기 코드(답변 작업, 스트림)가 DB를 쓰는 방법: 함수 하나를 스레드에서 한 번에 돌리고 연결을 돌려준다.

그래서 스트림과 작업은 쓰기 사이에 DB 연결을 쥐지 않고, PostgreSQL 풀의 크기가 동시 스트림 수를 묶지 않는다.
비동기 ORM을 여러 번 부르는 것보다 스레드를 오가는 횟수도 적다.
"""

from asgiref.sync import sync_to_async
from django.db import connection


def release_connection() -> None:
    # SQLite는 파일을 여는 값싼 연결이라 스레드마다 둔다. 테스트의 트랜잭션 안에서는 닫지 않는다.
    if connection.vendor != "sqlite" and not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()


def in_thread(func):
    """동기 ORM 함수를 비동기로: 스레드에서 돌리고, 끝나면 연결을 풀에 돌려준다."""

    def run(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        finally:
            release_connection()

    return sync_to_async(run)
