"""같은 프로세스의 길: 쓰는 쪽(Writer)이 조각을 모아 두고, 이 프로세스의 사람은 메모리에서 따라간다.

Writer는 자기 이벤트 루프에서만 바뀐다. 다른 루프(동기 테스트의 배경 루프, 다른 스레드)의 사람은 읽고 깨어나기만
한다. 다른 워커와 호스트로 가는 것은 backend의 몫이다(chat.feed.redis_streams, chat.feed.database).
"""

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator, Callable

from chat.feed.events import KEEPALIVE, KEEPALIVE_SECONDS, Text

# 조각을 이만큼 모아 한 프레임으로 보낸다 (첫 조각은 바로). 프레임마다 드는 값(소켓 쓰기, 깨어나기)이
# 토큰 하나의 CPU에서 가장 크다: 초당 열 번이면 글은 읽는 속도보다 훨씬 빨리 자란다.
FLUSH_SECONDS = 0.1

# 답변마다 이 프로세스의 가장 새 시도의 Writer
_writers: dict[int, "Writer"] = {}


class Writer:
    """답변 한 시도의 글. 보낸 조각을 모아 두어, 늦게 온 사람도 처음부터 받는다.

    맡기 전(claimed None)에 만들어 등록한다: 보내기 직후 열린 스트림이 맡기를 기다렸다가 메모리로 따라간다.
    """

    def __init__(
        self,
        reply_id: int,
        attempt: int,
        on_stop: Callable[[], None] | None,
        loop: asyncio.AbstractEventLoop | None = None,
    ):
        self.reply_id = reply_id
        self.attempt = attempt
        self.loop = loop or asyncio.get_running_loop()
        self.on_stop = on_stop
        # None: 맡기 전, True: 이 프로세스가 맡았다, False: 다른 곳이 맡았다
        self.claimed: bool | None = None
        self.closed = False
        self.stopped = False
        self.final: object | None = None
        # 다른 워커와 호스트로 내보내는 곳 (Redis가 있을 때만)
        self.outlet = None
        self.chunks: list[str] = []
        self.length = 0
        self._buffer: list[str] = []
        self._last_flush = -math.inf
        self._flush_handle: asyncio.TimerHandle | None = None
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    # ------------------------------------------------ 쓰기 (자기 루프에서만)

    def put(self, text: str) -> None:
        self._buffer.append(text)
        wait = self._last_flush + FLUSH_SECONDS - self.loop.time()
        if wait <= 0:
            self.flush()
        elif self._flush_handle is None:
            self._flush_handle = self.loop.call_later(wait, self.flush)

    def flush(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        self._last_flush = self.loop.time()
        if not self._buffer:
            return
        chunk = "".join(self._buffer)
        self._buffer.clear()
        self.chunks.append(chunk)
        self.length += len(chunk)
        if self.outlet is not None:
            self.outlet.put(self.length, chunk)
        self._notify()

    def text(self) -> str:
        """내보낸 스트림 글 (모으는 중인 것은 빼고)."""
        return "".join(self.chunks)

    # ------------------------------------------------ 멈춤 (어느 스레드에서든)

    def stop(self) -> None:
        """멈춤이 닿았다: 생성에 한 번 알린다. 다른 스레드에서 불러도 자기 루프에서 돈다."""
        if self.loop is _running_loop():
            self._stop()
        else:
            self.loop.call_soon_threadsafe(self._stop)

    def _stop(self) -> None:
        if self.stopped or self.closed:
            return
        self.stopped = True
        if self.on_stop is not None:
            self.on_stop()

    # ------------------------------------------------ 알리기

    def _notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for loop, event in waiters:
            if loop is self.loop:
                event.set()
            elif not loop.is_closed():
                # 그 사이 닫혔으면 기다리던 사람은 이미 떠났다: 쓰기를 깨뜨리지 않는다
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(event.set)

    async def _wait_change(self, timeout: float) -> bool:
        """조각, 맡음 여부, 끝 중 하나가 바뀔 때까지. 시간이 다 되면 False."""
        waiter = (asyncio.get_running_loop(), asyncio.Event())
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                await waiter[1].wait()
            return True
        except TimeoutError:
            return False
        finally:
            # 떠나는 사람(시간 초과, 취소)은 자기 자리를 치운다: JavaScript 없는 보내기가 WSGI에서 잠깐
            # 기다리다 떠나면 그 루프는 닫히고, 남은 자리는 다음 조각을 알릴 때 닫힌 루프를 부른다
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def register(writer: Writer) -> None:
    _writers[writer.reply_id] = writer


def settle(writer: Writer, *, claimed: bool) -> None:
    """맡기의 결과: 기다리던 사람이 메모리로 따라갈지, 다른 곳을 따라갈지 안다."""
    writer.claimed = claimed
    if not claimed:
        _forget(writer)
    writer._notify()


def close(writer: Writer, final: object | None) -> None:
    writer.flush()
    writer.final = final
    writer.closed = True
    _forget(writer)
    writer._notify()


def _forget(writer: Writer) -> None:
    if _writers.get(writer.reply_id) is writer:
        del _writers[writer.reply_id]


def local(reply_id: int, attempt: int) -> Writer | None:
    writer = _writers.get(reply_id)
    return writer if writer is not None and writer.attempt == attempt else None


def stop(reply_id: int) -> bool:
    """이 프로세스에서 쓰는 중이면 멈춘다. 멈췄으면 True."""
    writer = _writers.get(reply_id)
    if writer is None:
        return False
    writer.stop()
    return True


def writing_in(loop: asyncio.AbstractEventLoop) -> list[Writer]:
    """이 루프에서 맡아 쓰는 중인 것들 (멈춤 확인용)."""
    return [
        writer
        for writer in list(_writers.values())
        if writer.loop is loop and writer.claimed and not writer.closed and not writer.stopped
    ]


async def follow(writer: Writer, after: int) -> AsyncIterator:
    """이 프로세스의 Writer를 따라간다: after 뒤의 글, 새 조각, 가끔 KEEPALIVE. 끝나거나 다른 곳이 맡으면 돌아온다."""
    sent = after
    index = 0
    if after:
        # 다시 연결한 사람: 이미 받은 글 뒤부터
        text = writer.text()
        index = len(writer.chunks)
        if sent < len(text):
            yield Text(text[sent:], len(text))
            sent = len(text)
    while True:
        if index < len(writer.chunks):
            text = "".join(writer.chunks[index:])
            index = len(writer.chunks)
            sent += len(text)
            yield Text(text, sent)
        if writer.closed or writer.claimed is False:
            return
        if not await writer._wait_change(KEEPALIVE_SECONDS):
            yield KEEPALIVE
