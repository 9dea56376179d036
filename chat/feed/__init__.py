"""답변의 글이 만드는 곳(chat.generation)에서 보는 곳(chat.streams)으로 가는 길 하나.

    쓰기       writer(reply_id, attempt, on_stop) → claimed(won) / put(text) / close(final)
    따라가기   follow(reply, after) → Text … Keepalive … End
    멈춤       stop(reply_id): 어디서 누르든 그 답변을 쓰는 Writer의 on_stop에 닿는다

같은 프로세스의 사람은 메모리로(chat.feed.memory) 따라간다. 다른 워커와 호스트의 사람은 REDIS_URL이 있으면
Redis Streams로(chat.feed.redis_streams), 없으면 DB에 저장된 진행으로(chat.feed.database) 따라간다.
어느 쪽인지는 설정에서 한 번 정한다(_shared). 생성은 Redis를 모르고, 스트림은 생성을 모른다.

멈춤이 생성에 닿는 네 길 (docs/architecture.md에도 한 곳에):
1. 같은 프로세스에서 누른 멈춤: stop()이 그 Writer를 곧바로 멈춘다.
2. 다른 워커나 호스트에서 누른 멈춤 (Redis): 멈춤 채널로 모든 워커가 듣는다 (300 ms 안).
3. Redis 없이 다른 프로세스(관리 명령 등)에서 누른 멈춤: 루프마다 1초에 한 번 DB를 읽는다.
4. 진행 저장이 0행: 멈췄거나, 다시 시도됐거나, 대화가 지워졌다 (2초 안, 어느 설정에서나).
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from functools import cache

from django.conf import settings
from django.core.signals import setting_changed

from chat import replies
from chat.feed import database, memory
from chat.feed.events import KEEPALIVE, KEEPALIVE_SECONDS, End, Keepalive, Text

__all__ = [
    "KEEPALIVE",
    "KEEPALIVE_SECONDS",
    "End",
    "Keepalive",
    "Text",
    "Writer",
    "follow",
    "stop",
    "wait_finished",
    "writer",
]


@cache
def _shared():
    """다른 프로세스와 나누는 길: Redis Streams, 없으면 None (DB만)."""
    if settings.REDIS_URL:
        from chat.feed import redis_streams

        return redis_streams
    return None


def _forget_shared(*, setting, **kwargs):
    # 테스트가 REDIS_URL을 바꾸면 다시 정한다
    if setting == "REDIS_URL":
        _shared.cache_clear()


setting_changed.connect(_forget_shared)


class Writer:
    """생성이 쓰는 쪽: 답변 한 시도의 글을 내보낸다. 자기 이벤트 루프에서 쓴다."""

    def __init__(
        self,
        reply_id: int,
        attempt: int,
        on_stop: Callable[[], None] | None,
        loop: asyncio.AbstractEventLoop,
    ):
        self._writer = memory.Writer(reply_id, attempt, on_stop, loop)
        self._progress: asyncio.Task | None = None
        memory.register(self._writer)

    @property
    def stopped(self) -> bool:
        return self._writer.stopped

    @property
    def length(self) -> int:
        return self._writer.length

    def claimed(self, won: bool) -> None:
        """맡기의 결과. 맡았을 때만 밖으로 내보낸다: 다른 곳이 맡은 답변의 글을 덮어쓰면 안 된다."""
        writer = self._writer
        memory.settle(writer, claimed=won)
        if not won:
            return
        shared = _shared()
        if shared is not None:
            writer.outlet = shared.Outlet(writer.reply_id, writer.attempt)
            shared.watch_stops(writer.loop)
        else:
            database.watch_stops(writer.loop)
        self._progress = writer.loop.create_task(database.save_progress(writer))

    def put(self, text: str) -> None:
        self._writer.put(text)

    async def close(self, final: object | None = None) -> None:
        """끝: 남은 조각을 내보내고, 이 프로세스의 사람에게는 final을, 다른 곳에는 끝 항목을."""
        writer = self._writer
        if self._progress is not None:
            self._progress.cancel()
        memory.close(writer, final)
        if writer.outlet is not None:
            await writer.outlet.close(writer.length)


def writer(
    reply_id: int,
    attempt: int,
    *,
    on_stop: Callable[[], None] | None = None,
    loop: asyncio.AbstractEventLoop | None = None,
) -> Writer:
    """답변 한 시도의 Writer를 만들어 곧바로 등록한다 (맡기 전에): 보내기 직후 열린 스트림도 메모리로 따라간다.
    loop: Writer가 쓰일 이벤트 루프 (다른 스레드에서 만들 때)."""
    return Writer(reply_id, attempt, on_stop, loop or asyncio.get_running_loop())


def stop(reply_id: int) -> None:
    """멈춤이 DB에 기록된 뒤 부른다: 이 프로세스의 Writer는 바로, 다른 워커와 호스트는 Redis로 안다.
    Redis가 없으면 다른 프로세스의 Writer는 DB 확인(길 3)이나 진행 저장(길 4)으로 안다."""
    memory.stop(reply_id)
    shared = _shared()
    if shared is not None:
        shared.publish_stop(reply_id)


async def follow(reply, after: int = 0) -> AsyncIterator[Text | Keepalive | End]:
    """답변(reply: 스트림의 입구가 읽은 행)을 따라간다: after 뒤의 Text, 가끔 Keepalive, 마지막에 End 하나.

    생성을 시작하지 않는다: 시작 신호를 잃은 답변은 스윕이 중단으로 정리한다(chat.replies).
    """
    if not reply.is_active:
        # 스트림이 열리기 전에 끝났다 (곧바로 답하는 모델): 입구가 읽은 그대로
        yield End(reply)
        return
    local = memory.local(reply.pk, reply.attempt)
    if local is not None:
        async for event in memory.follow(local, after):
            if type(event) is Text:
                after = event.end
            yield event
        if local.claimed:
            yield End(local.final)
            return
        # 다른 곳이 먼저 맡았다
    shared = _shared()
    # 죽은 생성이 남긴 답변(읽어 둔 행으로 안다)은 DB 쪽에서 곧바로 정리한다: Redis로 기다리지 않는다
    if shared is not None and not replies.is_stale(reply):
        async for event in shared.follow(
            reply.pk, reply.attempt, after, still_active=database.still_active
        ):
            if type(event) is Text:
                after = event.end
            yield event
    async for event in database.follow(reply.pk, after):
        yield event


async def wait_finished(reply, timeout: float) -> bool:
    """JavaScript 없는 보내기: 답변이 끝나기를 timeout까지 기다린다. 끝났으면 True."""
    try:
        async with asyncio.timeout(timeout):
            async for event in follow(reply):
                if type(event) is End:
                    return True
    except TimeoutError:
        return False
    return True
