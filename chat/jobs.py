"""답변 생성 작업: 메시지를 받으면 워커의 이벤트 루프에서 답변을 끝까지 만들고 저장한다. 보는 사람이 없어도.

스트림은 작업을 따라갈 뿐이다(follow). 같은 프로세스의 사람은 메모리에서, 다른 워커나 호스트의 사람은
Redis(chat.fanout)로 글을 받는다. Redis가 없으면 워커는 하나다(chatproject/gunicorn.py).
상태는 chat.replies만 쓴다.
"""

import asyncio
import contextvars
import copy
import logging
import math
import os
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass

from asgiref.sync import SyncToAsync

from chat import fanout, llm, reasoning, replies
from chat.context import abuild_context, build_context, estimate_tokens
from chat.database import in_thread
from chat.models import Message
from core import request_log

logger = logging.getLogger(__name__)

# 조각을 이만큼 모아 한 프레임으로 보낸다 (첫 조각은 바로). 모델의 바이트도 이만큼마다 읽는다 (llm의 pace).
# 초당 10번이면 글은 부드럽게 자라고(읽는 속도보다 훨씬 빠르다), 50 ms일 때보다 토큰 하나의 CPU가 3분의 1 넘게 준다:
# 프레임마다 드는 것은 대부분 소켓 쓰기와 깨어나기라 프레임 수에 비례한다.
FLUSH_SECONDS = 0.1
# 진행(지금까지의 글)을 저장하는 간격이자 살아 있다는 신호: 죽은 작업은 STALE_REPLY_SECONDS 뒤 중단으로
# 정리되고, 그때 남는 글은 마지막 진행 저장까지다. 프로세스가 죽거나 DB가 끊겨도 잃는 것은 이 몇 초뿐이다.
PROGRESS_SECONDS = 2.0
# Redis가 없을 때 다른 프로세스(관리 명령 등)가 누른 멈춤을 DB 읽기로 확인하는 간격
STOP_POLL_SECONDS = 1.0
# 아무 일 없는 스트림에도 이만큼마다 빈 신호를 보낸다: 프록시가 연결을 끊지 않게
KEEPALIVE_SECONDS = 15.0
# 다른 프로세스가 만드는 답변을 Redis 없이 따라갈 때 DB를 읽는 간격
POLL_SECONDS = 1.0

KEEPALIVE = object()

# 답변마다 이 프로세스의 가장 새 시도의 작업. 작업은 자기 루프에서만 바꾸고, 다른 스레드는 읽고 신호만 보낸다.
_jobs: dict[int, "Job"] = {}
# 도는 모든 작업 (멈춘 뒤 다시 시도되어 자리를 내준 옛 작업도 끝날 때까지): 종료 때 기다릴 것들
_running: set["Job"] = set()


@dataclass(frozen=True)
class Frame:
    """따라가는 사람에게 보낼 글 한 조각. end는 답변 글에서 이 조각이 끝나는 위치(Last-Event-ID)."""

    text: str
    end: int


class Job:
    """답변 하나의 생성. 보낸 조각을 모아 두어, 늦게 온 사람도 처음부터 받는다."""

    def __init__(self, reply_id: int, attempt: int, reply: Message | None = None):
        self.reply_id = reply_id
        # 보내기가 만든 답변(대화가 붙은 것)이나 맡은 답변: 같은 프로세스의 스트림이 DB를 읽지 않고 따라간다
        self.reply = reply
        # 이 작업이 만드는 시도. 다시 시도는 새 시도라 새 작업이다: 옛 작업을 따라가면 옛 글을 받는다.
        self.attempt = attempt
        self.loop: asyncio.AbstractEventLoop | None = None
        self.task: asyncio.Task | None = None
        self.consumer: asyncio.Task | None = None
        # None: 아직 맡기 전, True: 이 작업이 맡았다, False: 다른 곳이 맡았다
        self.claimed: bool | None = None
        self.finished = False
        self.final: Message | None = None
        self.stopped = False
        self.usage = llm.Usage(None, None)
        self.finish_reason = ""
        # 생각(chat.reasoning): 흘려 보낸 것은 스트림 글 안에, 답이 시작된 뒤에 온 것은 여기에만
        self.thinking = False
        self.answering = False
        self.late_thoughts: list[str] = []
        self.chunks: list[str] = []
        self.length = 0
        self._buffer: list[str] = []
        self._last_flush = -math.inf
        self._flush_handle: asyncio.TimerHandle | None = None
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        # 다른 워커의 스트림이 알릴 수 있게 곧바로 만들되, 맡은 뒤에야 Redis에 쓴다 (activate)
        self.outbox = fanout.Outbox(reply_id, attempt) if fanout.enabled() else None

    # ------------------------------------------------ 글 모으기 (작업의 루프에서만)

    def add(self, text: str) -> None:
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
        start = self.length
        self.chunks.append(chunk)
        self.length += len(chunk)
        if self.outbox is not None:
            self.outbox.put(start, chunk)
        self.notify()

    def add_answer(self, text: str) -> None:
        if not self.answering:
            self.answering = True
            if self.thinking:
                text = reasoning.MARK + text
        self.add(text)

    def add_thought(self, text: str) -> None:
        if self.answering:
            self.late_thoughts.append(text)
            return
        if not self.thinking:
            self.thinking = True
            text = reasoning.MARK + text
        self.add(text)

    def text(self) -> str:
        """스트림 글 (생각이 있으면 chat.reasoning의 모양)."""
        return "".join(self.chunks)

    def parts(self) -> tuple[str, str]:
        """저장할 (생각, 답): 흘려 보내지 않은 늦은 생각까지."""
        thought, answer = reasoning.split(self.text() + "".join(self._buffer))
        return thought + "".join(self.late_thoughts), answer

    # ------------------------------------------------ 알리기 (어느 루프에서 기다리든)

    def notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for loop, event in waiters:
            if loop is self.loop:
                event.set()
            else:
                loop.call_soon_threadsafe(event.set)

    async def wait_change(self, timeout: float) -> bool:
        """조각, 맡음 여부, 끝 중 하나가 바뀔 때까지. 시간이 다 되면 False."""
        event = asyncio.Event()
        self._waiters.append((asyncio.get_running_loop(), event))
        try:
            async with asyncio.timeout(timeout):
                await event.wait()
            return True
        except TimeoutError:
            return False

    def stop(self) -> None:
        """멈춤 신호를 받았다: 모델 호출을 닫는다. 작업은 보여 준 글을 멈춤으로 저장한다."""
        self.stopped = True
        if self.consumer is not None:
            self.consumer.cancel()


# ---------------------------------------------------------------- 시작과 멈춤


def start(reply_id: int, attempt: int, reply: Message | None = None) -> None:
    """받아들인 메시지(또는 다시 시도)의 답변 생성을 시작한다 (커밋 뒤에 부른다). 기다리지 않고 바로 돌아온다.

    reply: 보내기가 방금 만든 답변의 사본(대화가 붙은 것). 있으면 작업이 맡은 뒤 다시 읽지 않는다.
    """
    if _current(reply_id, attempt) is not None:
        return
    job = _jobs[reply_id] = Job(reply_id, attempt, reply)
    ids = (request_log.request_id.get(), str(request_log.user_id.get()))
    loop = _event_loop()
    # 빈 컨텍스트에서: 작업은 요청보다 오래 살고, 요청의 스레드와 DB 연결을 물려받으면 안 된다
    loop.call_soon_threadsafe(_spawn, job, None, ids, reply, context=contextvars.Context())


async def ensure_started(reply: Message) -> Job | None:
    """대기 중인데 이 프로세스에 작업이 없으면 여기서 맡는다 (시작 신호가 사라졌을 때의 안전망)."""
    job = _current(reply.pk, reply.attempt)
    if job is not None:
        return job
    if reply.status != Message.Status.PENDING:
        return None
    claimed = await replies.aclaim(reply.pk)
    if claimed is None:
        return _current(reply.pk, reply.attempt)
    job = _jobs[reply.pk] = Job(reply.pk, claimed.attempt, claimed)
    ids = (request_log.request_id.get(), str(request_log.user_id.get()))
    _spawn(job, claimed, ids)
    return job


def local_reply(reply_id: int) -> Message | None:
    """이 프로세스에서 생성 중인 답변의 사본 (대화가 붙은 것), 없으면 None. 누가 받을 수 있는지는 스트림이 따로 확인한다."""
    job = _jobs.get(reply_id)
    reply = job.reply if job is not None and not job.finished else None
    return copy.copy(reply) if reply is not None else None


def signal_stop(reply_id: int) -> None:
    """멈춤이 DB에 기록된 뒤 부른다: 이 프로세스의 작업은 바로, 다른 워커와 호스트는 Redis로 안다."""
    _stop_local(reply_id)
    fanout.publish_stop(reply_id)


def _current(reply_id: int, attempt: int) -> Job | None:
    job = _jobs.get(reply_id)
    return job if job is not None and job.attempt == attempt else None


def _stop_local(reply_id: int) -> None:
    job = _jobs.get(reply_id)
    if job is not None and job.loop is not None:
        job.loop.call_soon_threadsafe(job.stop)


async def drain(timeout: float) -> None:
    """정상 종료(SIGTERM): 도는 작업이 끝나기를 기다리고, 시간이 넘으면 중단으로 저장하게 한다."""
    loop = asyncio.get_running_loop()
    tasks = [job.task for job in list(_running) if job.loop is loop and job.task]
    if not tasks:
        return
    logger.info("waiting up to %.0f s for %d running replies", timeout, len(tasks))
    _, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    if pending:
        logger.warning("%d replies were interrupted by the shutdown", len(pending))


def _event_loop() -> asyncio.AbstractEventLoop:
    """작업이 돌 루프: 지금 루프, 아니면 이 스레드를 부른 ASGI 워커의 루프, 둘 다 없으면 배경 루프."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    threadlocal = SyncToAsync.threadlocal
    loop = getattr(threadlocal, "main_event_loop", None)
    if (
        loop is not None
        and getattr(threadlocal, "main_event_loop_pid", None) == os.getpid()
        and loop.is_running()
    ):
        return loop
    return _background_loop()


_background: asyncio.AbstractEventLoop | None = None
_background_lock = threading.Lock()


def _background_loop() -> asyncio.AbstractEventLoop:
    """ASGI 밖(관리 명령, 동기 테스트 클라이언트)에서 받은 메시지의 작업이 도는 루프."""
    global _background
    with _background_lock:
        if _background is None:
            _background = asyncio.new_event_loop()
            threading.Thread(target=_background.run_forever, name="reply-jobs", daemon=True).start()
    return _background


def _spawn(
    job: Job, claimed: Message | None, ids: tuple[str, str], known: Message | None = None
) -> None:
    job.loop = asyncio.get_running_loop()
    job.task = job.loop.create_task(_run(job, claimed, ids, known), context=contextvars.Context())
    _running.add(job)
    fanout.ensure_listener(_stop_local)


# ---------------------------------------------------------------- 생성


def _claim_and_prepare(reply_id: int, known: Message | None):
    """맡고 문맥까지 스레드 한 번에. 문맥이 실패하면 그 오류를 돌려준다: _generate가 끝 상태로 저장한다."""
    reply = replies.claim(reply_id, known=known)
    if reply is None:
        return None, None
    try:
        return reply, build_context(reply)
    except Exception as error:
        return reply, error


_aclaim_and_prepare = in_thread(_claim_and_prepare)


async def _run(
    job: Job, reply: Message | None, ids: tuple[str, str], known: Message | None = None
) -> None:
    request_log.request_id.set(ids[0])
    request_log.user_id.set(ids[1])
    prepared = None
    try:
        if reply is None:
            reply, prepared = await _aclaim_and_prepare(job.reply_id, known)
        job.claimed = reply is not None
        if reply is None:
            if job.outbox is not None:
                job.outbox.discard()
                job.outbox = None
            return
        if job.outbox is not None:
            if job.outbox.attempt != reply.attempt:
                # 맡는 사이에 다시 시도되어 새 시도를 맡았다: 그 시도의 이름으로 올린다
                job.outbox.discard()
                job.outbox = fanout.Outbox(job.reply_id, reply.attempt)
            job.outbox.activate()
        job.attempt = reply.attempt
        job.notify()
        await _generate(job, reply, prepared)
    except Exception:
        # 답변은 _generate의 finally가 이미 끝 상태로 저장했다: 여기서는 운영자가 볼 수 있게 남긴다
        logger.exception("reply job failed reply=%s", job.reply_id)
    finally:
        job.finished = True
        _running.discard(job)
        if _jobs.get(job.reply_id) is job:
            del _jobs[job.reply_id]
        job.notify()
        if job.outbox is not None:
            await job.outbox.close()


async def _generate(job: Job, reply: Message, prepared=None) -> None:
    model = llm.usable_model(reply.conversation.model)
    status, error, omitted, prompt_estimate = Message.Status.INTERRUPTED, None, 0, 0
    started = job.loop.time()
    watcher = None
    try:
        if prepared is None:
            prepared = await abuild_context(reply)
        if isinstance(prepared, Exception):
            raise prepared
        messages, omitted = prepared
        # 서버가 사용량을 보내지 않을 때 장부에 넣을 어림값
        prompt_estimate = sum(estimate_tokens(message["content"]) for message in messages)
        job.consumer = asyncio.create_task(_consume(job, messages, model))
        if job.stopped:
            # 문맥을 읽는 사이에 멈춤이 왔다
            job.consumer.cancel()
        watcher = asyncio.create_task(_watch(job))
        try:
            status, error = await job.consumer
        except asyncio.CancelledError:
            # 멈춤은 모델 호출만 취소한다. 작업 자체가 취소됐다면(종료) 중단으로 저장하고 다시 올린다.
            if not job.stopped or asyncio.current_task().cancelling():
                raise
            status = Message.Status.STOPPED
    finally:
        for task in (job.consumer, watcher):
            if task is not None and not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        job.flush()
        thought, answer = job.parts()
        # 취소된 작업 안에서도 저장은 끝까지 한다
        job.final = await asyncio.shield(
            replies.afinish(
                reply,
                status=status,
                content=answer,
                reasoning=thought,
                finish_reason=job.finish_reason,
                error_kind=error.kind if error else "",
                usage=job.usage,
                model=model,
                omitted=omitted,
                prompt_estimate=prompt_estimate,
            )
        )
        # 운영자가 볼 한 줄: 내용은 남기지 않는다
        logger.info(
            "reply finished reply=%s conversation=%s user=%s model=%s status=%s error_kind=%s "
            "seconds=%.2f shown_chars=%d prompt_tokens=%s completion_tokens=%s omitted=%d",
            job.reply_id,
            reply.conversation_id,
            reply.conversation.owner_id,
            model,
            job.final.status if job.final else status,
            error.kind if error else "-",
            job.loop.time() - started,
            job.length,
            job.usage.prompt_tokens,
            job.usage.completion_tokens,
            omitted,
        )


async def _consume(job: Job, messages: list[dict], model: str):
    """모델의 조각을 작업에 모은다. 이 작업을 취소하면 upstream 연결이 닫힌다."""
    try:
        async for item in llm.stream_reply(messages, model=model, pace=FLUSH_SECONDS):
            if type(item) is str:
                job.add_answer(item)
            elif isinstance(item, llm.Reasoning):
                job.add_thought(item.text)
            elif isinstance(item, llm.Usage):
                job.usage = item
            elif isinstance(item, llm.Finish):
                job.finish_reason = item.reason
    except llm.LLMError as error:
        return Message.Status.FAILED, error
    except Exception as error:
        logger.exception("unexpected error while streaming a reply")
        return Message.Status.FAILED, llm.LLMError(llm.ErrorKind.UPSTREAM_ERROR, repr(error))
    return Message.Status.DONE, None


async def _watch(job: Job) -> None:
    """몇 초마다 진행을 저장한다 (0행이면 멈춘 것). Redis가 없으면 멈춤은 루프의 _poll_stops가 1초마다 읽는다.
    토큰마다 DB를 만지지 않는다."""
    if not fanout.enabled():
        _ensure_stop_poll(job.loop)
    while True:
        await asyncio.sleep(PROGRESS_SECONDS)
        try:
            # 흘려 보낸 것만 (늦은 생각은 빼고): DB를 읽어 따라가는 사람의 위치가 스트림 글과 같게
            thought, answer = reasoning.split(job.text())
            saved = await replies.aprogress(job.reply_id, job.attempt, answer, thought)
        except replies.TRANSIENT:
            # DB에 잠깐 닿지 못했다: 글은 메모리에 있고 생성은 계속된다. 다음 간격에 다시 저장한다
            logger.warning("saving a reply's progress failed reply=%s", job.reply_id, exc_info=True)
            continue
        if not saved:
            # 멈췄거나, 다시 시도됐거나, 대화가 지워졌다
            job.stop()
            return


# 루프마다 멈춤을 읽는 작업 하나 (Redis가 없을 때)
_stop_polls: dict[asyncio.AbstractEventLoop, asyncio.Task] = {}


def _ensure_stop_poll(loop: asyncio.AbstractEventLoop) -> None:
    task = _stop_polls.get(loop)
    if task is None or task.done():
        _stop_polls[loop] = loop.create_task(_poll_stops(loop), context=contextvars.Context())


async def _poll_stops(loop: asyncio.AbstractEventLoop) -> None:
    """Redis가 없을 때 다른 프로세스(관리 명령 등)가 누른 멈춤을 1초마다 읽는다: 이 루프의 작업 모두를 질의 하나로.
    작업마다 따로 읽으면 답변 50개가 초마다 스레드를 50번 건너 DB를 읽었다."""
    while True:
        await asyncio.sleep(STOP_POLL_SECONDS)
        watched = {
            job.reply_id: job
            for job in list(_running)
            if job.loop is loop and job.claimed and job.final is None and not job.stopped
        }
        if not watched:
            if not any(job.loop is loop for job in _running):
                return
            continue
        alive = await replies.agenerating({pk: job.attempt for pk, job in watched.items()})
        for reply_id, job in watched.items():
            if reply_id not in alive and job.final is None:
                job.stop()


# ---------------------------------------------------------------- 따라가기


async def follow(reply: Message, offset: int = 0) -> AsyncIterator:
    """스트림이 보낼 것: 지금까지의 글(offset 뒤), 새 조각(Frame), 가끔 KEEPALIVE, 마지막에 끝난 답변(없으면 None).

    작업이 이 프로세스에 있으면 메모리에서, 다른 곳에 있으면 Redis로, Redis가 없으면 DB를 읽어 따라간다.
    """
    if not reply.is_active:
        # 스트림이 열리기 전에 끝났다 (곧바로 답하는 모델): 뷰가 읽은 그대로 보낸다
        yield reply
        return
    job = await ensure_started(reply)
    if job is not None:
        async for event in _follow_local(job, offset):
            if isinstance(event, Frame):
                offset = event.end
            yield event
        if job.claimed:
            yield job.final
            return
        # 다른 곳이 먼저 맡았다
    # 죽은 작업이 남긴 답변(읽어 둔 행으로 안다)은 DB 쪽에서 곧바로 정리한다: Redis로 기다리지 않는다
    if fanout.enabled() and not replies.is_stale(reply):
        async for event in fanout.follow(
            reply.pk, reply.attempt, offset, still_active=_still_active
        ):
            if isinstance(event, fanout.Chunk):
                offset = event.end
                yield Frame(event.text, event.end)
            else:
                yield KEEPALIVE
    async for event in _follow_database(reply.pk, offset):
        yield event


async def _still_active(reply_id: int) -> bool:
    reply = await replies.aload(reply_id)
    return reply is not None and reply.is_active and not await replies.asweep_stale(reply)


async def _follow_local(job: Job, offset: int) -> AsyncIterator:
    sent = offset
    index = 0
    if offset:
        # 다시 연결한 사람: 이미 받은 글 뒤부터
        text = job.text()
        index = len(job.chunks)
        if sent < len(text):
            yield Frame(text[sent:], len(text))
            sent = len(text)
    while True:
        if index < len(job.chunks):
            text = "".join(job.chunks[index:])
            index = len(job.chunks)
            start = sent
            sent = start + len(text)
            yield Frame(text, sent)
        if job.finished:
            return
        if not await job.wait_change(KEEPALIVE_SECONDS):
            yield KEEPALIVE


async def _follow_database(reply_id: int, offset: int) -> AsyncIterator:
    """다른 프로세스의 작업을 Redis 없이 따라간다: 저장된 진행을 읽는다. 죽은 작업은 중단으로 정리한다."""
    quiet = 0.0
    while True:
        reply = await replies.aload(reply_id)
        if reply is None or not reply.is_active:
            yield reply
            return
        if await replies.asweep_stale(reply):
            continue
        text = reasoning.joined(reply.reasoning, reply.content)
        if len(text) > offset:
            yield Frame(text[offset:], len(text))
            offset, quiet = len(text), 0.0
        await asyncio.sleep(POLL_SECONDS)
        quiet += POLL_SECONDS
        if quiet >= KEEPALIVE_SECONDS:
            quiet = 0.0
            yield KEEPALIVE


async def await_finished(reply: Message, timeout: float) -> bool:
    """JavaScript 없는 보내기: 답변이 끝나기를 timeout까지 기다린다. 끝났으면 True."""
    try:
        async with asyncio.timeout(timeout):
            async for event in follow(reply):
                if event is not KEEPALIVE and not isinstance(event, Frame):
                    return True
    except TimeoutError:
        return False
    return True
