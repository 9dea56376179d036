"""Redis Streams의 길(chat.feed.redis_streams): 다른 워커의 사람 수백 명이 XREAD 하나로 따라간다.

Redis가 있어야 하는 기능이라 make test의 PostgreSQL + Redis 실행에서 돈다.
"""

import asyncio
import os

import pytest
import redis
import redis.asyncio
from asgiref.sync import async_to_sync

from chat import reasoning
from chat.feed import KEEPALIVE, Text, redis_streams

pytestmark = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="the Redis feed needs Redis: it runs in the Redis pass"
)


@pytest.fixture
def redis_settings(settings):
    settings.REDIS_URL = os.environ["REDIS_URL"]
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    for reply_id in range(770, 790):
        for attempt in range(3):
            client.delete(redis_streams.key(reply_id, attempt))
    return settings


async def still_active(reply_id):
    return True


async def collect(reply_id, attempt, after=0):
    """다른 워커의 사람처럼 따라간다: 받은 (글, 끝 위치)들."""
    return [
        (event.text, event.end)
        async for event in redis_streams.follow(reply_id, attempt, after, still_active=still_active)
        if event is not KEEPALIVE
    ]


class Writing:
    """생성하는 워커의 Writer처럼: 끝 위치와 함께 조각을 올리고 끝을 올린다."""

    def __init__(self, reply_id, attempt):
        self.outlet = redis_streams.Outlet(reply_id, attempt)
        self.length = 0

    def put(self, text):
        self.length += len(text)
        self.outlet.put(self.length, text)

    async def close(self):
        await self.outlet.close(self.length)


def test_more_followers_than_the_connection_pool_all_get_the_whole_text(redis_settings):
    # 따라가는 사람마다 연결을 하나씩 쥐면 풀(MAX_CONNECTIONS)을 넘는 순간 글이 끊긴다
    pieces = [f"조각{index} " for index in range(20)]

    async def run():
        writing = Writing(777, 1)
        followers = [asyncio.create_task(collect(777, 1)) for _ in range(150)]
        await asyncio.sleep(0.3)
        for piece in pieces:
            writing.put(piece)
            await asyncio.sleep(0.01)
        await writing.close()
        return await asyncio.wait_for(asyncio.gather(*followers), timeout=20)

    received = async_to_sync(run)()

    assert ["".join(text for text, _ in one) for one in received] == ["".join(pieces)] * 150


def test_a_follower_that_joins_late_gets_the_text_so_far_then_the_rest(redis_settings):
    async def run():
        writing = Writing(778, 1)
        writing.put("앞부분 ")
        await asyncio.sleep(0.2)
        task = asyncio.create_task(collect(778, 1))
        await asyncio.sleep(0.3)
        writing.put("뒷부분")
        await writing.close()
        return await asyncio.wait_for(task, timeout=10)

    assert async_to_sync(run)() == [("앞부분 ", 4), ("뒷부분", 7)]


def test_a_reconnecting_follower_gets_only_what_follows_its_last_event_id(redis_settings):
    # 항목의 id가 곧 SSE id: Last-Event-ID가 조각 한가운데여도 그 뒤부터 받는다
    async def run():
        writing = Writing(779, 1)
        writing.put("하나 ")
        await asyncio.sleep(0.15)
        writing.put("둘 ")
        await asyncio.sleep(0.15)
        writing.put("셋")
        await writing.close()
        return [await asyncio.wait_for(collect(779, 1, after=after), 10) for after in (3, 4, 6)]

    after_first, mid_second, after_all = async_to_sync(run)()

    assert after_first == [("둘 ", 5), ("셋", 6)]
    assert mid_second == [(" ", 5), ("셋", 6)]
    assert after_all == []


def test_many_pieces_in_one_interval_become_one_entry(redis_settings):
    # 루프의 모든 답변을 SEND_SECONDS마다 파이프라인 하나로: 토큰마다 Redis에 닿지 않는다
    client = redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)

    async def run():
        writing = Writing(780, 1)
        writing.put("첫 ")
        # 첫 조각은 곧바로 떠난다. 나머지는 한 간격 안에 모인다
        await asyncio.sleep(0.02)
        for piece in ["가", "나", "다", "라"]:
            writing.put(piece)
        await writing.close()

    async_to_sync(run)()

    entries = client.xrange(redis_streams.key(780, 1))
    assert [(entry_id, fields) for entry_id, fields in entries] == [
        ("2-0", {"t": "첫 "}),
        ("6-0", {"t": "가나다라"}),
        ("6-1", {"e": ""}),
    ]
    assert 0 < client.ttl(redis_streams.key(780, 1)) <= redis_streams.FINISHED_TTL_SECONDS


def test_a_retried_reply_followed_elsewhere_gets_only_the_new_attempts_text(redis_settings):
    # 옛 시도의 Stream이 남아 있는 동안(60초) 다시 시도해도 새 시도의 글만 온다
    async def run():
        old = Writing(781, 1)
        old.put("옛 답변")
        await old.close()
        new = Writing(781, 2)
        task = asyncio.create_task(collect(781, 2))
        await asyncio.sleep(0.2)
        new.put("새 ")
        await asyncio.sleep(0.2)
        new.put("답변")
        await new.close()
        return await asyncio.wait_for(task, timeout=10)

    assert "".join(text for text, _ in async_to_sync(run)()) == "새 답변"


def test_a_thinking_reply_crosses_workers_with_its_marks_and_offsets(redis_settings):
    # 생각이 있는 답변의 스트림 글(NUL 생각 NUL 답, chat.reasoning)이 Stream을 그대로 지난다
    text = reasoning.joined("생각", "답")

    async def run():
        writing = Writing(782, 1)
        writing.put(text[:3])
        task = asyncio.create_task(collect(782, 1))
        await asyncio.sleep(0.3)
        writing.put(text[3:])
        await writing.close()
        return await asyncio.wait_for(task, timeout=10)

    received = async_to_sync(run)()

    assert "".join(piece for piece, _ in received) == text
    assert received[-1][1] == len(text)
    assert reasoning.split("".join(piece for piece, _ in received)) == ("생각", "답")


def test_a_follower_of_a_vanished_generation_stops_when_the_reply_is_no_longer_active(
    redis_settings, monkeypatch
):
    # 끝 항목이 오지 않아도(생성한 워커가 죽었다) 조용한 간격마다 DB에 물어 끝낸다
    monkeypatch.setattr(redis_streams, "KEEPALIVE_SECONDS", 0.2)
    answers = iter([True, False])

    async def still_active_once(reply_id):
        return next(answers)

    async def run():
        return [
            event async for event in redis_streams.follow(783, 1, 0, still_active=still_active_once)
        ]

    assert async_to_sync(run)() == [KEEPALIVE]


def test_a_stop_reaches_a_writer_on_another_worker(redis_settings):
    from chat.feed import memory

    stopped = asyncio.Event()

    async def run():
        writer = memory.Writer(784, 1, stopped.set)
        writer.claimed = True
        memory.register(writer)
        try:
            redis_streams.watch_stops(asyncio.get_running_loop())
            await _subscribed(redis_streams._stop_channel())
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, redis_streams.publish_stop, 784)
            started = loop.time()
            await asyncio.wait_for(stopped.wait(), 5)
            return loop.time() - started
        finally:
            memory._forget(writer)

    # DB를 다시 읽는 길(1초마다)보다 빠르다: Redis가 알렸다
    assert async_to_sync(run)() < 0.9


async def _subscribed(channel: str) -> None:
    """듣는 작업이 채널을 구독할 때까지 (길어야 5초). 고정된 잠은 바쁜 기계에서 모자랐다."""
    client = redis.asyncio.Redis.from_url(os.environ["REDIS_URL"])
    try:
        for _ in range(100):
            if (await client.pubsub_numsub(channel))[0][1] >= 1:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"nobody subscribed to {channel}")
    finally:
        await client.aclose()


def test_text_events_are_the_feeds_own_type(redis_settings):
    async def run():
        writing = Writing(785, 1)
        writing.put("글")
        await writing.close()
        return [event async for event in redis_streams.follow(785, 1, 0, still_active=still_active)]

    assert async_to_sync(run)() == [Text("글", 1)]
