"""진행 저장(chat.feed.database)의 작은 규칙들: DB에 잠깐 닿지 못해도 생성은 계속되고, 0행이면 멈춤이다."""

import asyncio

from django.db import OperationalError

from chat.feed import database, memory


def test_a_progress_save_the_database_cannot_take_is_tried_at_the_next_interval(monkeypatch):
    calls = []

    async def aprogress(reply_id, attempt, text, thought=""):
        calls.append(text)
        if len(calls) == 1:
            raise OperationalError("terminating connection due to administrator command")
        # 두 번째 저장: 그 사이 멈춤이 눌렸다
        return False

    stopped = []
    monkeypatch.setattr(database.replies, "aprogress", aprogress)
    monkeypatch.setattr(database, "PROGRESS_SECONDS", 0.01)

    async def run():
        writer = memory.Writer(1, 0, lambda: stopped.append(True))
        writer.claimed = True
        await asyncio.wait_for(database.save_progress(writer), 5)

    asyncio.run(run())

    assert len(calls) == 2
    assert stopped == [True]


def test_the_redis_reader_waits_longer_on_its_socket_than_an_xread_blocks(settings):
    """redis-py 8의 기본 소켓 시간(5초)이 XREAD BLOCK 5초와 겨뤄 바쁜 루프에서 "Redis를 잃었다"가 되던 일."""
    import asyncio

    from chat.feed import redis_streams

    settings.REDIS_URL = "redis://127.0.0.1:6379/0"

    async def kwargs():
        return redis_streams._client().connection_pool.connection_kwargs

    found = asyncio.run(kwargs())
    assert found["socket_timeout"] >= redis_streams.READ_BLOCK_MS / 1000 + 5
