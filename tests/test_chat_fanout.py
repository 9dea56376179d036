"""Redis로 답변 나르기(chat.fanout): 다른 워커의 사람 수백 명이 같은 연결 풀로 따라간다.

Redis가 있어야 하는 기능이라 make test의 PostgreSQL + Redis 실행에서 돈다.
"""

import asyncio
import os

import pytest
from asgiref.sync import async_to_sync

from chat import fanout

pytestmark = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="fan-out needs Redis: it runs in the Redis pass"
)


@pytest.fixture
def redis_settings(settings):
    settings.REDIS_URL = os.environ["REDIS_URL"]
    return settings


async def still_active(reply_id):
    return True


def follow_in_background(reply_id, attempt, received, *, ends=False) -> asyncio.Task:
    """다른 워커의 사람처럼 따라간다: 받은 조각의 글(ends면 (글, 끝 위치))을 received에 모은다."""

    async def follower():
        async for chunk in fanout.follow(reply_id, attempt, 0, still_active=still_active):
            received.append((chunk.text, chunk.end) if ends else chunk.text)

    return asyncio.create_task(follower())


def listen():
    """생성하는 워커처럼 알림(join)을 듣는다: 따라가는 사람이 알려야 Outbox가 글을 올린다."""
    fanout.ensure_listener(lambda reply_id: None)


def test_more_followers_than_the_connection_pool_all_get_the_whole_text(redis_settings):
    # 따라가는 사람마다 구독 연결을 하나씩 쓰던 때에는 100명을 넘으면 풀이 바닥나 글이 끊겼다
    pieces = [f"조각{index} " for index in range(20)]

    async def run():
        async def follower():
            text = ""
            async for chunk in fanout.follow(777, 1, 0, still_active=still_active):
                text += chunk.text
            return text

        listen()
        # 작업처럼: 답변을 맡은 Outbox가 먼저 있고, 다른 워커의 사람들이 따라오며 알린다
        outbox = fanout.Outbox(777, 1)
        outbox.activate()
        followers = [asyncio.create_task(follower()) for _ in range(150)]
        await asyncio.sleep(0.5)
        start = 0
        for piece in pieces:
            outbox.put(start, piece)
            start += len(piece)
            await asyncio.sleep(0.01)
        await outbox.close()
        return await asyncio.wait_for(asyncio.gather(*followers), timeout=20)

    texts = async_to_sync(run)()

    assert texts == ["".join(pieces)] * 150


def test_a_follower_that_joins_late_gets_the_text_so_far_then_the_rest(redis_settings):
    async def run():
        listen()
        await asyncio.sleep(0.2)
        outbox = fanout.Outbox(778, 1)
        outbox.activate()
        outbox.put(0, "앞부분 ")
        await asyncio.sleep(0.2)
        received = []
        task = follow_in_background(778, 1, received, ends=True)
        await asyncio.sleep(0.3)
        outbox.put(4, "뒷부분")
        await outbox.close()
        await asyncio.wait_for(task, timeout=10)
        return received

    received = async_to_sync(run)()

    assert received == [("앞부분 ", 4), ("뒷부분", 7)]


def test_a_follower_that_announces_itself_before_the_job_listens_still_gets_everything(
    redis_settings,
):
    # 알림이 사라져도(작업의 워커가 아직 듣지 않았다) 따라가는 사람이 다시 알린다: 글이 끝까지 온다
    pieces = [f"조각{index} " for index in range(30)]

    async def run():
        received = []
        task = follow_in_background(779, 1, received)
        await asyncio.sleep(0.2)
        outbox = fanout.Outbox(779, 1)
        outbox.activate()
        listen()
        start = 0
        for piece in pieces:
            outbox.put(start, piece)
            start += len(piece)
            await asyncio.sleep(0.05)
        await outbox.close()
        await asyncio.wait_for(task, timeout=10)
        return received

    received = async_to_sync(run)()

    assert "".join(received) == "".join(pieces)


def test_a_reply_nobody_elsewhere_follows_writes_no_text_to_redis(redis_settings):
    # 같은 워커의 사람만 따라가면 Redis에는 끝 알림뿐이다: 글을 올리는 값을 치르지 않는다
    import redis

    client = redis.Redis.from_url(os.environ["REDIS_URL"])

    async def run():
        listen()
        outbox = fanout.Outbox(780, 1)
        outbox.activate()
        outbox.put(0, "혼자 보는 글")
        await asyncio.sleep(0.3)
        await outbox.close()

    client.delete(fanout._text_key("780.1"))
    async_to_sync(run)()

    assert client.exists(fanout._text_key("780.1")) == 0


def test_a_retried_reply_followed_elsewhere_gets_only_the_new_attempts_text(redis_settings):
    # 옛 시도의 글 키와 끝 표시가 남아 있는 동안(60초) 다시 시도해도 새 시도의 글만 온다
    async def run():
        listen()
        old = fanout.Outbox(781, 1)
        old.activate()
        old.want()
        old.put(0, "옛 답변")
        await old.close()
        received = []
        new = fanout.Outbox(781, 2)
        new.activate()
        task = follow_in_background(781, 2, received)
        await asyncio.sleep(0.2)
        new.put(0, "새 ")
        await asyncio.sleep(0.2)
        new.put(2, "답변")
        await new.close()
        await asyncio.wait_for(task, timeout=10)
        return received

    received = async_to_sync(run)()

    assert "".join(received) == "새 답변"


def test_a_thinking_reply_crosses_workers_with_its_marks_and_offsets(redis_settings):
    # 생각이 있는 답변의 스트림 글(NUL 생각 NUL 답, chat.reasoning)이 Redis의 글 키와 채널을 그대로 지난다
    from chat import reasoning

    text = reasoning.joined("생각", "답")

    async def run():
        listen()
        await asyncio.sleep(0.2)
        outbox = fanout.Outbox(779, 1)
        outbox.activate()
        outbox.put(0, text[:3])
        received = []
        task = follow_in_background(779, 1, received, ends=True)
        await asyncio.sleep(0.3)
        outbox.put(3, text[3:])
        await outbox.close()
        await asyncio.wait_for(task, timeout=10)
        return received

    received = async_to_sync(run)()

    assert "".join(piece for piece, _ in received) == text
    assert received[-1][1] == len(text)
    assert reasoning.split("".join(piece for piece, _ in received)) == ("생각", "답")
