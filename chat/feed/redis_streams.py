"""워커와 호스트 사이의 길: 답변 한 시도가 Redis Stream 하나다. REDIS_URL이 있을 때만 쓴다.

항목 하나가 내보낸 조각 하나이고, 항목의 id가 곧 SSE id다: `<끝 위치>-0`은 글, `<끝 위치>-1`은 끝.
그래서 Last-Event-ID가 N인 사람은 `XRANGE (N-0 +`로 그 뒤를 그대로 받는다. 쓰기는 루프의 모든 답변을
SEND_SECONDS마다 파이프라인 하나로 모아 보내고(_Publisher), 읽기는 루프의 따라가는 사람 모두가
XREAD 하나를 나눠 쓴다(_Reader). 멈춤은 채널 하나로 모든 워커에 알린다(pub/sub: 놓쳐도 DB가 정답이다).
"""

import asyncio
import contextlib
import contextvars
import logging
import math
import uuid
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable

import redis
import redis.asyncio
from django.conf import settings

from chat.feed import memory
from chat.feed.events import KEEPALIVE, KEEPALIVE_SECONDS, Text

logger = logging.getLogger(__name__)

# 생성 중인 글의 보관 시간, 끝난 뒤 늦게 붙은 사람을 위해 남겨 두는 시간
TEXT_TTL_SECONDS = 60 * 60
FINISHED_TTL_SECONDS = 60
# 다른 워커로 건너는 조각은 이만큼마다 (루프의 모든 답변을) 묶어 보낸다: 글을 모으는 간격과 같다
SEND_SECONDS = memory.FLUSH_SECONDS
# XREAD 하나가 기다리는 시간. 새로 따라가는 사람은 깨우기 항목으로 곧바로 더한다 (_Reader.add).
READ_BLOCK_MS = 5000
# 소켓이 답을 기다리는 시간: XREAD의 기다림보다 넉넉히. redis-py 8은 기본이 5초라 BLOCK 5초와 겨뤄, 루프가 바쁘면
# 빈 답이 오기 전에 시간이 다 되어 "Redis를 잃었다"로 따라가기를 DB로 돌렸다 (200명 벤치에서 세 번)
SOCKET_TIMEOUT_SECONDS = READ_BLOCK_MS / 1000 + 10
# 연결을 빌리는 작업이 한꺼번에 몰리면(200명이 함께 보내기) 기다렸다 받는다: 기본 풀은 넘치면 바로 실패한다
MAX_CONNECTIONS = 50


def _prefix() -> str:
    # 캐시와 같은 접두어: 사이트 여럿이 Redis 하나를 나눠 써도 섞이지 않는다
    return settings.CACHES["default"].get("KEY_PREFIX", "")


def key(reply_id: int, attempt: int) -> str:
    # 시도마다 따로: 다시 시도한 답변을 따라가는 사람이 옛 시도의 글이나 끝을 받지 않는다
    return f"{_prefix()}:reply:{reply_id}.{attempt}"


def _stop_channel() -> str:
    return f"{_prefix()}:reply-stops"


# 이벤트 루프마다 클라이언트 하나 (연결 풀이 루프에 묶인다)
_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_sync_client: redis.Redis | None = None


def _client() -> redis.asyncio.Redis:
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        pool = redis.asyncio.BlockingConnectionPool.from_url(
            settings.REDIS_URL,
            max_connections=MAX_CONNECTIONS,
            timeout=10,
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
            decode_responses=True,
        )
        client = _clients[loop] = redis.asyncio.Redis(connection_pool=pool)
    return client


# ---------------------------------------------------------------- 쓰기


class Outlet:
    """Writer 하나의 조각을 그 답변의 Stream에 올린다. 실제로 보내는 것은 이 루프의 _Publisher다."""

    def __init__(self, reply_id: int, attempt: int):
        self.key = key(reply_id, attempt)
        self.items: list[tuple[int, str]] = []
        self.fresh = True
        self.end: int | None = None
        self.ended: asyncio.Future | None = None

    def put(self, end: int, text: str) -> None:
        self.items.append((end, text))
        # 첫 조각은 곧바로: 첫 토큰을 기다리게 하지 않는다
        _publisher().add(self, urgent=self.fresh)

    async def close(self, end: int) -> None:
        """끝을 올린다 (남은 조각 뒤에). 따라가는 사람은 끝을 받고 DB에서 마지막 답변을 읽는다."""
        self.end = end
        self.ended = asyncio.get_running_loop().create_future()
        _publisher().add(self, urgent=True)
        await self.ended


class _Publisher:
    """이 루프의 모든 답변의 조각을 SEND_SECONDS마다 파이프라인 하나로 보낸다. 첫 조각과 끝은 곧바로.

    답변마다 따로 보내면 파이프라인 하나의 고정 값(연결 빌리기, 실행, 응답 읽기)이 토큰 하나의 CPU에서 가장 컸다.
    """

    def __init__(self):
        self.dirty: dict[Outlet, None] = {}  # 순서 있는 집합
        self.urgent = asyncio.Event()
        self.task: asyncio.Task | None = None
        self.sent_at = -math.inf

    def add(self, outlet: Outlet, *, urgent: bool) -> None:
        self.dirty[outlet] = None
        if urgent:
            self.urgent.set()
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(
                self._run(), context=contextvars.Context()
            )

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while self.dirty:
            wait = self.sent_at + SEND_SECONDS - loop.time()
            if wait > 0 and not self.urgent.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await self.urgent.wait()
            self.urgent.clear()
            batch, self.dirty = list(self.dirty), {}
            self.sent_at = loop.time()
            await self._send(batch)

    async def _send(self, batch: list[Outlet]) -> None:
        pipe = _client().pipeline(transaction=False)
        ended = []
        for outlet in batch:
            items, outlet.items = outlet.items, []
            if items:
                # 모인 조각을 항목 하나로: id는 마지막 조각의 끝 위치
                pipe.xadd(
                    outlet.key, {"t": "".join(text for _, text in items)}, id=f"{items[-1][0]}-0"
                )
                if outlet.fresh:
                    pipe.expire(outlet.key, TEXT_TTL_SECONDS)
                    outlet.fresh = False
            if outlet.ended is not None and not outlet.ended.done():
                pipe.xadd(outlet.key, {"e": ""}, id=f"{outlet.end}-1")
                pipe.expire(outlet.key, FINISHED_TTL_SECONDS)
                ended.append(outlet)
        try:
            await pipe.execute()
        except redis.RedisError:
            # Redis가 잠시 없어도 생성은 계속된다: 같은 워커의 사람은 메모리로, 나머지는 DB로 받는다
            logger.warning("could not send %d replies to Redis", len(batch), exc_info=True)
        finally:
            for outlet in ended:
                if not outlet.ended.done():
                    outlet.ended.set_result(None)


_publishers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _publisher() -> _Publisher:
    loop = asyncio.get_running_loop()
    publisher = _publishers.get(loop)
    if publisher is None:
        publisher = _publishers[loop] = _Publisher()
    return publisher


# ---------------------------------------------------------------- 따라가기


class _Reader:
    """이 루프의 따라가는 사람 모두가 XREAD 하나를 나눠 쓴다: 스트림마다 연결을 쥐면 풀이 바닥난다.

    새 사람은 자기 답변의 Stream을 더하고 깨우기 항목을 하나 올린다: 기다리던 XREAD가 곧바로 돌아와
    새 Stream까지 읽는다.
    """

    def __init__(self):
        self.wake_key = f"{_prefix()}:feed-wake:{uuid.uuid4().hex}"
        self.ids: dict[str, str] = {self.wake_key: "0"}
        self.queues: dict[str, set[asyncio.Queue]] = {}
        self.task: asyncio.Task | None = None

    async def add(self, stream: str, after: str) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue()
        self.queues.setdefault(stream, set()).add(queue)
        self.ids.setdefault(stream, after)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(
                self._read(), context=contextvars.Context()
            )
        else:
            pipe = _client().pipeline(transaction=False)
            pipe.xadd(self.wake_key, {"w": ""}, maxlen=1)
            pipe.expire(self.wake_key, FINISHED_TTL_SECONDS)
            await pipe.execute()
        return queue

    def discard(self, stream: str, queue: asyncio.Queue) -> None:
        queues = self.queues.get(stream, set())
        queues.discard(queue)
        if not queues and stream in self.queues:
            del self.queues[stream]
            del self.ids[stream]

    async def _read(self) -> None:
        client = _client()
        # 따라가는 사람이 없으면 끝난다: 그 뒤에 오는 사람은 새 작업을 띄운다 (add)
        try:
            while self.queues:
                found = await client.xread(dict(self.ids), block=READ_BLOCK_MS)
                for stream, entries in found or ():
                    if stream in self.ids:
                        self.ids[stream] = entries[-1][0]
                    for queue in self.queues.get(stream, ()):
                        queue.put_nowait(entries)
        except redis.RedisError:
            logger.warning("lost Redis while following replies; followers fall back", exc_info=True)
            for queues in self.queues.values():
                for queue in queues:
                    queue.put_nowait(None)


_readers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _reader() -> _Reader:
    loop = asyncio.get_running_loop()
    if loop not in _readers:
        _readers[loop] = _Reader()
    return _readers[loop]


async def follow(
    reply_id: int, attempt: int, after: int, *, still_active: Callable[[int], Awaitable[bool]]
) -> AsyncIterator:
    """다른 곳의 생성(그 답변의 그 시도)을 따라간다: after 뒤의 Text, 조용할 때 KEEPALIVE.
    끝 항목이 오거나, 생성이 사라졌거나, Redis를 잃으면 돌아온다 (나머지는 DB가 안다)."""
    stream = key(reply_id, attempt)
    reader = _reader()
    try:
        # 먼저 더하고 그다음 지금까지를 읽는다: 그 사이에 온 항목은 두 쪽에 다 있고, 위치로 걸러 낸다
        queue = await reader.add(stream, f"{after}-0")
        entries = await _client().xrange(stream, min=f"({after}-0")
    except redis.RedisError:
        logger.warning("could not follow reply=%s through Redis", reply_id, exc_info=True)
        return
    try:
        quiet = 0.0
        while True:
            for entry_id, fields in entries:
                end, kind = entry_id.split("-")
                if kind == "1":
                    return
                text, end = fields["t"], int(end)
                if end > after:
                    yield Text(text[max(0, after - (end - len(text))) :], end)
                    after = end
            try:
                async with asyncio.timeout(KEEPALIVE_SECONDS - quiet):
                    entries = await queue.get()
            except TimeoutError:
                quiet = 0.0
                if not await still_active(reply_id):
                    return
                yield KEEPALIVE
                entries = []
                continue
            if entries is None:
                return
    finally:
        reader.discard(stream, queue)


# ---------------------------------------------------------------- 멈춤


def publish_stop(reply_id: int) -> None:
    """멈춤을 모든 워커와 호스트에 알린다. 실패해도 생성은 다음 진행 저장 때 DB에서 알아챈다."""
    global _sync_client
    try:
        if _sync_client is None:
            _sync_client = redis.Redis.from_url(settings.REDIS_URL)
        _sync_client.publish(_stop_channel(), str(reply_id))
    except redis.RedisError:
        logger.warning("could not publish the stop of reply=%s", reply_id, exc_info=True)


_listeners: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def watch_stops(loop: asyncio.AbstractEventLoop) -> None:
    """이 루프에 멈춤 신호를 듣는 작업 하나를 둔다 (루프의 첫 생성이 시작할 때)."""
    listener = _listeners.get(loop)
    if listener is None or listener.done():
        _listeners[loop] = loop.create_task(_listen(), context=contextvars.Context())


async def _listen() -> None:
    channel = _stop_channel()
    while True:
        pubsub = _client().pubsub()
        try:
            await pubsub.subscribe(channel)
            async for message in pubsub.listen():
                if message["type"] == "message":
                    memory.stop(int(message["data"]))
        except (redis.RedisError, ValueError):
            logger.warning("stop listener lost Redis; retrying", exc_info=True)
            await asyncio.sleep(1)
        finally:
            await pubsub.aclose()
