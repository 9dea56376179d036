"""워커와 호스트 사이의 답변 나르기: Redis pub/sub로 조각과 멈춤 신호를 보낸다. REDIS_URL이 없으면 꺼진다.

다른 곳에서 따라가는 사람은 먼저 답변의 채널을 구독하고, 왔다고 알리고(JOIN), 그다음 글 키를 읽는다.
생성하는 작업은 그 알림을 받은 뒤부터 모은 조각을 글 키에 덧붙이고(APPEND) 채널에 알린다(PUBLISH): 처음에는
지금까지의 글 전부를 한 번에. 구독과 글 키 읽기 사이에 온 조각은 위치(start)로 겹침을 걸러 낸다.
따라가는 사람이 모두 같은 워커에 있는 답변은 Redis에 글을 올리지 않는다 (끝 알림만).
워커의 모든 답변의 조각을 100 ms마다 파이프라인 하나로 모아 보내므로(_Publisher) 토큰마다 Redis에 닿지 않는다.
"""

import asyncio
import contextlib
import contextvars
import json
import logging
import math
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
# 따라가는 사람은 글이 이만큼 오지 않으면 다시 알린다: 작업의 워커가 알림을 듣기 전에 보낸 알림은 사라진다
JOIN_AGAIN_SECONDS = 1.0
# 다른 워커로 건너는 조각은 이만큼마다 (워커의 모든 답변을) 묶어 보낸다: 작업이 내놓는 간격과 같다
SEND_SECONDS = 0.1
_END = "end"


def enabled() -> bool:
    return bool(settings.REDIS_URL)


def _prefix() -> str:
    # 캐시와 같은 접두어: 사이트 여럿이 Redis 하나를 나눠 써도 섞이지 않는다
    return settings.CACHES["default"].get("KEY_PREFIX", "")


def _name(reply_id: int, attempt: int) -> str:
    # 시도마다 따로: 다시 시도한 답변을 따라가는 사람이 옛 시도의 글이나 끝 알림을 받지 않게
    return f"{reply_id}.{attempt}"


def _channel(name: str) -> str:
    return f"{_prefix()}:reply:{name}"


def _text_key(name: str) -> str:
    return f"{_prefix()}:reply:{name}:text"


def _end_key(name: str) -> str:
    # 끝났다는 표시: 끝을 알린(PUBLISH) 뒤에 구독한 사람도 DB를 읽지 않고 안다
    return f"{_prefix()}:reply:{name}:end"


def _stop_channel() -> str:
    return f"{_prefix()}:reply-stops"


def _join_channel() -> str:
    return f"{_prefix()}:reply-joins"


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
    """작업 하나의 조각을 순서대로 Redis에 올린다. 실제로 보내는 것은 이 루프의 _Publisher다.

    다른 곳에서 따라가는 사람이 알리기(join) 전에는 글을 모아 두기만 한다. 같은 워커의 사람은 작업에서
    메모리로 받는다.
    """

    def __init__(self, reply_id: int, attempt: int):
        self.reply_id, self.attempt = reply_id, attempt
        self.name = _name(reply_id, attempt)
        self.items: list[tuple[int, str]] = []
        # 지금까지의 글 전부: 늦게 알린 사람에게 처음 한 번에 보낸다
        self.text: list[str] = []
        # 다른 곳에서 따라가는 사람이 있다. 처음 알았을 때는 지금까지의 글 전부를 보낸다(synced 전).
        self.wanted = False
        self.synced = False
        # 작업이 답변을 맡았다: 그 전에는 알림을 기억만 한다 (다른 곳이 맡은 답변의 글을 덮어쓰면 안 된다)
        self.active = False
        # 끝을 알리기 시작했다 (close): 끝 알림을 보낸 뒤 풀린다
        self.ended: asyncio.Future | None = None
        # 작업을 만들 때 등록한다: 스트림이 작업이 답변을 맡기도 전에 다른 워커에서 열려 알릴 수 있다
        _outboxes[self.name] = self

    def activate(self) -> None:
        """작업이 답변을 맡았다 (작업의 루프에서). 그새 알린 사람이 있으면 곧바로 보낸다."""
        self.active = True
        if self.wanted:
            _publisher().add(self, urgent=True)

    def discard(self) -> None:
        """다른 곳이 답변을 맡았다: 알림에 답하지 않는다."""
        if _outboxes.get(self.name) is self:
            del _outboxes[self.name]

    def put(self, start: int, text: str) -> None:
        self.text.append(text)
        if self.wanted:
            self.items.append((start, text))
            _publisher().add(self, urgent=False)

    def want(self) -> None:
        """다른 워커나 호스트의 사람이 따라가기 시작했다: 지금까지의 글을 곧바로 보낸다."""
        if not self.wanted and self.ended is None:
            self.wanted = True
            if self.active:
                _publisher().add(self, urgent=True)

    async def close(self) -> None:
        """끝을 알린다 (남은 조각 뒤에). 따라가는 사람은 끝을 받고 DB에서 마지막 답변을 읽는다."""
        self.discard()
        self.ended = asyncio.get_running_loop().create_future()
        _publisher().add(self, urgent=True)
        await self.ended


# 이 프로세스에서 생성 중인 답변의 Outbox: 알림(join)을 받으면 찾는다
_outboxes: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


class _Publisher:
    """이 루프의 모든 작업의 조각을 SEND_SECONDS마다 파이프라인 하나로 보낸다. 첫 조각과 끝은 곧바로.

    답변마다 따로 보내면 파이프라인 하나의 고정 값(연결 빌리기, 실행, 응답 읽기)이 토큰 하나의 CPU에서 가장 컸다:
    50개를 한 파이프라인에 묶으니 답변 하나를 보내는 CPU가 4분의 1쯤이 되었다.
    """

    def __init__(self):
        self.dirty: dict[Outbox, None] = {}  # 순서 있는 집합
        self.urgent = asyncio.Event()
        self.task: asyncio.Task | None = None
        self.sent_at = -math.inf

    def add(self, outbox: Outbox, *, urgent: bool) -> None:
        self.dirty[outbox] = None
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

    async def _send(self, batch: list[Outbox]) -> None:
        pipe = _client().pipeline(transaction=False)
        ended = []
        for outbox in batch:
            items, outbox.items = outbox.items, []
            key, channel = _text_key(outbox.name), _channel(outbox.name)
            if outbox.wanted and not outbox.synced:
                # 처음 알린 사람에게: 지금까지의 글 전부 (그 사이에 쌓인 조각도 이 안에 있다)
                text = "".join(outbox.text)
                pipe.set(key, text, ex=TEXT_TTL_SECONDS)
                pipe.publish(channel, json.dumps([0, text]))
                outbox.synced = True
            elif items:
                text = "".join(piece for _, piece in items)
                pipe.append(key, text)
                pipe.publish(channel, json.dumps([items[0][0], text]))
            if outbox.ended is not None and not outbox.ended.done():
                pipe.set(_end_key(outbox.name), 1, ex=FINISHED_TTL_SECONDS)
                pipe.expire(key, FINISHED_TTL_SECONDS)
                pipe.publish(channel, json.dumps(_END))
                ended.append(outbox)
        try:
            await pipe.execute()
        except redis.RedisError:
            # Redis가 잠시 없어도 생성은 계속된다: 같은 워커의 사람은 메모리로 받는다
            logger.warning("could not fan out %d replies", len(batch), exc_info=True)
        finally:
            for outbox in ended:
                if not outbox.ended.done():
                    outbox.ended.set_result(None)


_publishers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _publisher() -> _Publisher:
    loop = asyncio.get_running_loop()
    publisher = _publishers.get(loop)
    if publisher is None:
        publisher = _publishers[loop] = _Publisher()
    return publisher


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
        # 첫 구독이 끝나기 전에는 읽지 않는다 (연결이 아직 없다): 그 구독을 기다린 쪽이 읽기를 시작한다
        if self.pubsub.connection is not None and (self.reader is None or self.reader.done()):
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
    reply_id: int,
    attempt: int,
    offset: int,
    *,
    still_active: Callable[[int], Awaitable[bool]],
) -> AsyncIterator[Chunk | None]:
    """다른 곳의 작업(그 답변의 그 시도)을 따라간다: Chunk, 조용할 때 None(keepalive).
    작업이 끝나거나 사라지면 돌아온다."""
    client = _client()
    subscriptions = _subscriptions_here()
    name = _name(reply_id, attempt)
    channel = _channel(name)
    queue = await subscriptions.add(channel)
    try:
        # 구독한 뒤에 알리고, 끝 표시와 지금까지의 글을 읽는다 (한 번 오가기). 구독 전에 끝났으면 표시가 있다.
        # 그 답변이 진행 중이라는 것은 스트림의 입구가 방금 DB에서 읽었다.
        pipe = client.pipeline(transaction=False)
        pipe.publish(_join_channel(), name)
        pipe.exists(_end_key(name))
        pipe.get(_text_key(name))
        _, ended, text = await pipe.execute()
        if ended:
            return
        text = text or ""
        if len(text) > offset:
            yield Chunk(text[offset:], len(text))
            offset = len(text)
        quiet = 0.0
        while True:
            try:
                async with asyncio.timeout(JOIN_AGAIN_SECONDS):
                    data = await queue.get()
            except TimeoutError:
                # 알림이 사라졌을 수 있다 (작업의 워커가 막 시작해 아직 듣지 않았다): 다시 알린다
                await client.publish(_join_channel(), name)
                quiet += JOIN_AGAIN_SECONDS
                if quiet >= KEEPALIVE_SECONDS:
                    quiet = 0.0
                    if not await still_active(reply_id):
                        return
                    yield None
                continue
            quiet = 0.0
            if data is None:
                # 구독을 잃었다: 나머지는 DB를 읽어 따라간다 (chat.jobs)
                return
            data = json.loads(data)
            if data == _END:
                return
            start, piece = data
            if start > offset:
                # 구독이 자리 잡기 전에 지나간 조각이 있다: 글 키에서 채운다
                text = await client.get(_text_key(name)) or ""
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


# ---------------------------------------------------------------- 멈춤과 알림 신호


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


def ensure_listener(on_stop: Callable[[int], None]) -> None:
    """이 루프에 멈춤 신호와 따라가기 알림을 듣는 작업 하나를 둔다 (루프의 첫 작업이 시작할 때)."""
    if not enabled():
        return
    loop = asyncio.get_running_loop()
    listener = _listeners.get(loop)
    if listener is None or listener.done():
        _listeners[loop] = loop.create_task(_listen(on_stop), context=contextvars.Context())


async def _listen(on_stop: Callable[[int], None]) -> None:
    stops, joins = _stop_channel(), _join_channel()
    while True:
        pubsub = _client().pubsub()
        try:
            await pubsub.subscribe(stops, joins)
            async for message in pubsub.listen():
                if message["type"] != "message":
                    continue
                if message["channel"] == stops:
                    on_stop(int(message["data"]))
                elif (outbox := _outboxes.get(message["data"])) is not None:
                    outbox.want()
        except (redis.RedisError, ValueError):
            logger.warning("stop listener lost Redis; retrying", exc_info=True)
            await asyncio.sleep(1)
        finally:
            await pubsub.aclose()
