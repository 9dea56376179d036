"""워커와 호스트 사이의 답변 나르기: Redis pub/sub로 조각과 멈춤 신호를 보낸다. REDIS_URL이 없으면 꺼진다.

생성하는 작업은 모은 조각을 글 키에 덧붙이고(APPEND) 채널에 알린다(PUBLISH). 다른 곳에서 따라가는 사람은
먼저 구독하고, 그다음 글 키를 읽는다: 그 사이에 온 조각은 위치(start)로 겹침을 걸러 낸다.
조각은 100 ms마다 모아서 보내므로(Outbox) 토큰마다 Redis에 닿지 않는다.
"""

import asyncio
import contextlib
import contextvars
import json
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import redis
import redis.asyncio
from django.conf import settings

logger = logging.getLogger(__name__)

# 생성 중인 글의 보관 시간, 끝난 뒤 늦게 붙은 사람을 위해 남겨 두는 시간
TEXT_TTL_SECONDS = 60 * 60
FINISHED_TTL_SECONDS = 60
KEEPALIVE_SECONDS = 15.0
# 다른 워커로 건너는 조각은 이만큼마다 묶어 보낸다 (작업의 50 ms 묶음보다 크게, 그래도 글이 부드럽게 자라게)
SEND_SECONDS = 0.1
_END = "end"


def enabled() -> bool:
    return bool(settings.REDIS_URL)


def _prefix() -> str:
    # 캐시와 같은 접두어: 사이트 여럿이 Redis 하나를 나눠 써도 섞이지 않는다
    return settings.CACHES["default"].get("KEY_PREFIX", "")


def _channel(reply_id: int) -> str:
    return f"{_prefix()}:reply:{reply_id}"


def _text_key(reply_id: int) -> str:
    return f"{_prefix()}:reply:{reply_id}:text"


def _stop_channel() -> str:
    return f"{_prefix()}:reply-stops"


# 이벤트 루프마다 클라이언트 하나 (연결 풀이 루프에 묶인다)
_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_sync_client: redis.Redis | None = None


# 연결을 빌리는 작업이 한꺼번에 몰리면(200명이 함께 보내기) 기다렸다 받는다: 기본 풀은 100개를 넘으면 바로 실패한다
MAX_CONNECTIONS = 50


def _client() -> redis.asyncio.Redis:
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        pool = redis.asyncio.BlockingConnectionPool.from_url(
            settings.REDIS_URL, max_connections=MAX_CONNECTIONS, timeout=10, decode_responses=True
        )
        client = _clients[loop] = redis.asyncio.Redis(connection_pool=pool)
    return client


@dataclass(frozen=True)
class Chunk:
    text: str
    end: int


class Outbox:
    """작업의 조각을 순서대로 Redis에 올린다. 올리는 동안, 그리고 올린 뒤 SEND_SECONDS 동안 쌓인 조각은 합쳐서 한 번에.

    첫 조각과 끝은 기다리지 않는다. 같은 워커의 사람은 여전히 작업에서 50 ms마다 받는다: 묶음을 키우는 것은
    Redis로 건너는 길뿐이다 (조각마다 파이프라인 하나와 받는 쪽의 해석이 토큰 하나의 CPU에서 컸다).
    """

    def __init__(self, reply_id: int):
        self.reply_id = reply_id
        self._items: list[tuple[int, str]] = []
        self._event: asyncio.Event | None = None
        self._closing: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self._closed = False

    def put(self, start: int, text: str) -> None:
        self._items.append((start, text))
        if self._task is None:
            self._event, self._closing = asyncio.Event(), asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._send())
        self._event.set()

    async def _send(self) -> None:
        client, key, channel = _client(), _text_key(self.reply_id), _channel(self.reply_id)
        first = True
        while True:
            await self._event.wait()
            self._event.clear()
            items, self._items = self._items, []
            if items:
                try:
                    pipe = client.pipeline(transaction=False)
                    pipe.append(key, "".join(text for _, text in items))
                    if first:
                        pipe.expire(key, TEXT_TTL_SECONDS)
                    pipe.publish(channel, json.dumps([items[0][0], "".join(t for _, t in items)]))
                    await pipe.execute()
                    first = False
                except redis.RedisError:
                    # Redis가 잠시 없어도 생성은 계속된다: 같은 워커의 사람은 메모리로 받는다
                    logger.warning("could not fan out reply=%s", self.reply_id, exc_info=True)
            if self._closed and not self._items:
                return
            if not self._closed:
                # 다음 묶음까지 쉰다. 끝을 알리면 곧바로 남은 것을 보낸다.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(SEND_SECONDS):
                        await self._closing.wait()

    async def close(self) -> None:
        """끝을 알린다. 따라가는 사람은 끝을 받고 DB에서 마지막 답변을 읽는다."""
        self._closed = True
        if self._task is not None:
            self._closing.set()
            self._event.set()
            await self._task
        try:
            pipe = _client().pipeline(transaction=False)
            pipe.expire(_text_key(self.reply_id), FINISHED_TTL_SECONDS)
            pipe.publish(_channel(self.reply_id), json.dumps(_END))
            await pipe.execute()
        except redis.RedisError:
            logger.warning("could not announce the end of reply=%s", self.reply_id, exc_info=True)


class _Subscriptions:
    """이 루프의 Redis 구독 연결 하나를 따라가는 사람 모두가 나눠 쓴다: 스트림마다 연결을 쓰면 풀이 바닥난다."""

    def __init__(self):
        self.pubsub = _client().pubsub(ignore_subscribe_messages=True)
        self.queues: dict[str, set[asyncio.Queue]] = {}
        self.reader: asyncio.Task | None = None

    async def add(self, channel: str) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue()
        first = channel not in self.queues
        self.queues.setdefault(channel, set()).add(queue)
        if first:
            await self.pubsub.subscribe(channel)
        if self.reader is None or self.reader.done():
            self.reader = asyncio.get_running_loop().create_task(
                self._read(), context=contextvars.Context()
            )
        return queue

    async def discard(self, channel: str, queue: asyncio.Queue) -> None:
        queues = self.queues.get(channel, set())
        queues.discard(queue)
        if not queues and channel in self.queues:
            del self.queues[channel]
            await self.pubsub.unsubscribe(channel)

    async def _read(self) -> None:
        while self.queues:
            try:
                message = await self.pubsub.get_message(timeout=1.0)
            except redis.RedisError:
                logger.warning("lost the Redis subscription; followers fall back", exc_info=True)
                for queues in self.queues.values():
                    for queue in queues:
                        queue.put_nowait(None)
                return
            if message is not None:
                for queue in self.queues.get(message["channel"], ()):
                    queue.put_nowait(message["data"])


_subscriptions: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _subscriptions_here() -> _Subscriptions:
    loop = asyncio.get_running_loop()
    if loop not in _subscriptions:
        _subscriptions[loop] = _Subscriptions()
    return _subscriptions[loop]


async def follow(
    reply_id: int, offset: int, *, still_active: Callable[[int], Awaitable[bool]]
) -> AsyncIterator[Chunk | None]:
    """다른 곳의 작업을 따라간다: Chunk, 조용할 때 None(keepalive). 작업이 끝나거나 사라지면 돌아온다."""
    client = _client()
    subscriptions = _subscriptions_here()
    channel = _channel(reply_id)
    queue = await subscriptions.add(channel)
    try:
        if not await still_active(reply_id):
            return
        text = await client.get(_text_key(reply_id)) or ""
        if len(text) > offset:
            yield Chunk(text[offset:], len(text))
            offset = len(text)
        while True:
            try:
                async with asyncio.timeout(KEEPALIVE_SECONDS):
                    data = await queue.get()
            except TimeoutError:
                if not await still_active(reply_id):
                    return
                yield None
                continue
            if data is None:
                # 구독을 잃었다: 나머지는 DB를 읽어 따라간다 (chat.jobs)
                return
            data = json.loads(data)
            if data == _END:
                return
            start, piece = data
            if start > offset:
                # 구독이 자리 잡기 전에 지나간 조각이 있다: 글 키에서 채운다
                text = await client.get(_text_key(reply_id)) or ""
                if len(text) > offset:
                    yield Chunk(text[offset:], len(text))
                    offset = len(text)
            end = start + len(piece)
            if end > offset:
                yield Chunk(piece[max(0, offset - start) :], end)
                offset = end
    except redis.RedisError:
        logger.warning("lost Redis while following reply=%s", reply_id, exc_info=True)
    finally:
        await subscriptions.discard(channel, queue)


# ---------------------------------------------------------------- 멈춤 신호


def publish_stop(reply_id: int) -> None:
    """멈춤을 모든 워커와 호스트에 알린다. 실패해도 작업은 다음 진행 저장 때 DB에서 알아챈다."""
    global _sync_client
    if not enabled():
        return
    try:
        if _sync_client is None:
            _sync_client = redis.Redis.from_url(settings.REDIS_URL)
        _sync_client.publish(_stop_channel(), str(reply_id))
    except redis.RedisError:
        logger.warning("could not publish the stop of reply=%s", reply_id, exc_info=True)


_listeners: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def ensure_stop_listener(on_stop: Callable[[int], None]) -> None:
    """이 루프에 멈춤 신호를 듣는 작업 하나를 둔다 (루프의 첫 작업이 시작할 때)."""
    if not enabled():
        return
    loop = asyncio.get_running_loop()
    listener = _listeners.get(loop)
    if listener is None or listener.done():
        _listeners[loop] = loop.create_task(_listen_stops(on_stop), context=contextvars.Context())


async def _listen_stops(on_stop: Callable[[int], None]) -> None:
    while True:
        pubsub = _client().pubsub()
        try:
            await pubsub.subscribe(_stop_channel())
            async for message in pubsub.listen():
                if message["type"] == "message":
                    on_stop(int(message["data"]))
        except (redis.RedisError, ValueError):
            logger.warning("stop listener lost Redis; retrying", exc_info=True)
            await asyncio.sleep(1)
        finally:
            await pubsub.aclose()
