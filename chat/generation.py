"""답변 만들기: 받아들인 메시지의 답변을 워커의 이벤트 루프에서 끝까지 만들고 저장한다. 보는 사람이 없어도.

모델의 조각을 chat.feed의 Writer에 쓸 뿐, 그 글이 어떻게 사람에게 가는지(메모리, Redis, DB)는 모른다.
상태는 chat.replies만 쓴다.
"""

import asyncio
import contextvars
import logging
import os
import threading

from asgiref.sync import SyncToAsync

from chat import feed, llm, reasoning, replies
from chat.context import build_context, content_tokens
from chat.database import in_thread
from chat.models import Message
from core import request_log

logger = logging.getLogger(__name__)

# 모델의 바이트를 이만큼마다 읽는다 (llm의 pace): 글을 모아 내보내는 간격과 같다
PACE_SECONDS = feed.memory.FLUSH_SECONDS

# 답변마다 이 프로세스의 가장 새 시도의 작업. 작업은 자기 루프에서만 바꾼다.
_jobs: dict[int, "Job"] = {}
# 도는 모든 작업 (다시 시도되어 자리를 내준 옛 작업도 끝날 때까지): 종료 때 기다릴 것들
_running: set["Job"] = set()


class Job:
    """답변 한 시도의 생성: 모델의 조각을 스트림 글로 엮어 Writer에 쓰고, 끝나면 저장한다."""

    def __init__(self, reply_id: int, attempt: int):
        self.reply_id = reply_id
        # 이 작업이 만드는 시도. 다시 시도는 새 시도라 새 작업이다.
        self.attempt = attempt
        self.writer: feed.Writer | None = None
        self.task: asyncio.Task | None = None
        self.consumer: asyncio.Task | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stopped = False
        self.usage = llm.Usage(None, None)
        self.finish_reason = ""
        # 생각(chat.reasoning): 흘려 보낸 것은 스트림 글 안에, 답이 시작된 뒤에 온 것은 저장만
        self.thoughts: list[str] = []
        self.answer: list[str] = []
        self.late_thoughts: list[str] = []

    def add_answer(self, text: str) -> None:
        if not self.answer and self.thoughts:
            self.writer.put(reasoning.MARK + text)
        else:
            self.writer.put(text)
        self.answer.append(text)

    def add_thought(self, text: str) -> None:
        if self.answer:
            self.late_thoughts.append(text)
            return
        self.writer.put(text if self.thoughts else reasoning.MARK + text)
        self.thoughts.append(text)

    def parts(self) -> tuple[str, str]:
        """저장할 (생각, 답): 흘려 보내지 않은 늦은 생각까지."""
        return "".join(self.thoughts + self.late_thoughts), "".join(self.answer)

    def stop(self) -> None:
        """멈춤이 닿았다 (chat.feed가 부른다): 모델 호출을 닫는다. 작업은 보여 준 글을 멈춤으로 저장한다."""
        self.stopped = True
        if self.consumer is not None:
            self.consumer.cancel()


# ---------------------------------------------------------------- 시작과 종료


def start(reply_id: int, attempt: int, reply: Message | None = None) -> None:
    """받아들인 메시지(또는 다시 시도)의 답변 생성을 시작한다 (커밋 뒤에 부른다). 기다리지 않고 바로 돌아온다.

    reply: 보내기가 방금 만든 답변의 사본(대화가 붙은 것). 있으면 작업이 맡은 뒤 다시 읽지 않는다.
    """
    current = _jobs.get(reply_id)
    if current is not None and current.attempt == attempt:
        return
    job = _jobs[reply_id] = Job(reply_id, attempt)
    job.loop = _event_loop()
    # 여기서 곧바로 등록한다: 이 요청의 뒤(JavaScript 없는 보내기의 기다림)나 곧 열릴 스트림이 메모리로 따라간다
    job.writer = feed.writer(reply_id, attempt, on_stop=job.stop, loop=job.loop)
    ids = (request_log.request_id.get(), str(request_log.user_id.get()))
    # 빈 컨텍스트에서: 작업은 요청보다 오래 살고, 요청의 스레드와 DB 연결을 물려받으면 안 된다
    job.loop.call_soon_threadsafe(_spawn, job, ids, reply, context=contextvars.Context())


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


def _spawn(job: Job, ids: tuple[str, str], known: Message | None) -> None:
    job.task = job.loop.create_task(_run(job, ids, known), context=contextvars.Context())
    _running.add(job)


# ---------------------------------------------------------------- 생성


def _claim_and_prepare(reply_id: int, attempt: int, known: Message | None):
    """맡고 문맥까지 스레드 한 번에. 문맥이 실패하면 그 오류를 돌려준다: _generate가 끝 상태로 저장한다."""
    reply = replies.claim(reply_id, attempt, known=known)
    if reply is None:
        return None, None
    try:
        return reply, build_context(reply)
    except Exception as error:
        return reply, error


_aclaim_and_prepare = in_thread(_claim_and_prepare)


async def _run(job: Job, ids: tuple[str, str], known: Message | None) -> None:
    request_log.request_id.set(ids[0])
    request_log.user_id.set(ids[1])
    final = None
    try:
        reply, prepared = await _aclaim_and_prepare(job.reply_id, job.attempt, known)
        job.writer.claimed(reply is not None)
        if reply is not None:
            final = await _generate(job, reply, prepared)
    except Exception:
        # 답변은 _generate의 finally가 이미 끝 상태로 저장했다: 여기서는 운영자가 볼 수 있게 남긴다
        logger.exception("reply job failed reply=%s", job.reply_id)
    finally:
        _running.discard(job)
        if _jobs.get(job.reply_id) is job:
            del _jobs[job.reply_id]
        await job.writer.close(final)


async def _generate(job: Job, reply: Message, prepared) -> Message | None:
    model = llm.usable_model(reply.conversation.model)
    status, error, prompt_estimate = Message.Status.INTERRUPTED, None, 0
    omitted = omitted_chars = 0
    started = job.loop.time()
    final = None
    try:
        if isinstance(prepared, Exception):
            raise prepared
        messages, omitted, omitted_chars = prepared
        # 서버가 사용량을 보내지 않을 때 장부에 넣을 어림값
        prompt_estimate = sum(content_tokens(message["content"]) for message in messages)
        job.consumer = asyncio.create_task(_consume(job, messages, model))
        if job.stopped or job.writer.stopped:
            # 문맥을 읽는 사이에 멈춤이 왔다
            job.consumer.cancel()
        try:
            status, error = await job.consumer
        except asyncio.CancelledError:
            # 멈춤은 모델 호출만 취소한다. 작업 자체가 취소됐다면(종료) 중단으로 저장하고 다시 올린다.
            if not job.stopped or asyncio.current_task().cancelling():
                raise
            status = Message.Status.STOPPED
    finally:
        if job.consumer is not None and not job.consumer.done():
            job.consumer.cancel()
            await asyncio.gather(job.consumer, return_exceptions=True)
        thought, answer = job.parts()
        # 취소된 작업 안에서도 저장은 끝까지 한다
        final = await asyncio.shield(
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
                omitted_chars=omitted_chars,
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
            final.status if final else status,
            error.kind if error else "-",
            job.loop.time() - started,
            job.writer.length,
            job.usage.prompt_tokens,
            job.usage.completion_tokens,
            omitted,
        )
    return final


async def _consume(job: Job, messages: list[dict], model: str):
    """모델의 조각을 작업에 모은다. 이 작업을 취소하면 upstream 연결이 닫힌다."""
    try:
        async for item in llm.stream_reply(messages, model=model, pace=PACE_SECONDS):
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
