"""답변 생성: 대기 중인 답변을 맡아 모델을 부르고, 조각을 모아 내보내고, 어떻게 끝나든 저장한다.

SSE 스트림(htmx)과 JavaScript 없는 보내기(post/redirect/get)가 같은 경로를 쓴다.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from asgiref.sync import async_to_sync
from django.utils import timezone

from chat import llm
from chat.context import abuild_context
from chat.markdown import render_or_escape
from chat.models import STALE_REPLY_SECONDS, Message

logger = logging.getLogger(__name__)

# 조각을 이만큼 모아 한 프레임으로 보낸다: 토큰마다 보내면 작은 패킷과 DOM 갱신이 너무 많다
FLUSH_SECONDS = 0.05
# 이만큼마다 지금까지 보낸 글을 저장하고, 그 사이 멈춤이 눌렸는지 본다
CHECK_SECONDS = 1.0
# 모델이 오래 생각하는 동안 프록시가 연결을 끊지 않도록 보내는 빈 신호
KEEPALIVE_SECONDS = 15.0

KEEPALIVE = object()
_END = object()


async def areply_generate(reply_id: int) -> AsyncIterator:
    """글 조각(str)과 가끔 KEEPALIVE를 내주고, 마지막에 저장된 Message를 내준다.

    대기 → 생성 중으로 한 행을 바꾼 요청만 모델을 부른다. 다시 연결한 브라우저나 두 번째 탭은
    이미 누군가 맡은 답변이 끝나기를 기다렸다가 결과만 받는다.
    """
    claimed = await Message.objects.filter(pk=reply_id, status=Message.Status.PENDING).aupdate(
        status=Message.Status.STREAMING, updated_at=timezone.now()
    )
    if not claimed:
        async for event in _afollow(reply_id):
            yield event
        return

    reply = await Message.objects.select_related("conversation").aget(pk=reply_id)
    model = llm.usable_model(reply.conversation.model)
    queue: asyncio.Queue = asyncio.Queue()
    producer = None
    omitted = 0
    shown: list[str] = []
    buffered: list[str] = []
    usage = llm.Usage(None, None)
    error: llm.LLMError | None = None
    # 중간에 취소되거나 닫히면(브라우저가 떠났다) 이 상태로 남는다
    status = Message.Status.INTERRUPTED
    clock = asyncio.get_running_loop().time
    started = last_flush = last_check = last_sent = clock()
    try:
        messages, omitted = await abuild_context(reply)
        producer = asyncio.create_task(_aproduce(messages, model, queue))
        while True:
            deadline = min(last_check + CHECK_SECONDS, last_sent + KEEPALIVE_SECONDS)
            if buffered:
                deadline = min(deadline, last_flush + FLUSH_SECONDS)
            try:
                item = await asyncio.wait_for(queue.get(), timeout=max(0.0, deadline - clock()))
            except TimeoutError:
                item = None
            if isinstance(item, str):
                buffered.append(item)
            elif isinstance(item, llm.Usage):
                usage = item
            elif isinstance(item, llm.LLMError) or item is _END:
                # 실패해도 도착한 글은 보여 주고 저장한다
                if buffered:
                    shown.append("".join(buffered))
                    yield shown[-1]
                if item is _END:
                    status = Message.Status.DONE
                else:
                    error, status = item, Message.Status.FAILED
                break

            now = clock()
            if buffered and now - last_flush >= FLUSH_SECONDS:
                shown.append("".join(buffered))
                buffered.clear()
                last_flush = last_sent = now
                yield shown[-1]
            if now - last_check >= CHECK_SECONDS:
                last_check = now
                if not await _asave_progress(reply_id, "".join(shown)):
                    # 멈춤이 눌렸거나 대화가 지워졌다: 화면에 보낸 글까지만 남긴다
                    status = Message.Status.STOPPED
                    break
            if now - last_sent >= KEEPALIVE_SECONDS:
                last_sent = now
                yield KEEPALIVE
    finally:
        if producer is not None:
            producer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await producer
        # 취소된 요청 안에서도 저장은 끝까지 한다
        await asyncio.shield(
            _asave_final(
                reply_id,
                content="".join(shown),
                status=status,
                error_kind=error.kind if error else "",
                usage=usage,
                model=model,
                omitted=omitted,
            )
        )
        # 운영자가 볼 한 줄: 내용은 남기지 않는다
        logger.info(
            "reply finished reply=%s conversation=%s user=%s model=%s status=%s error_kind=%s "
            "seconds=%.2f shown_chars=%d prompt_tokens=%s completion_tokens=%s omitted=%d",
            reply_id,
            reply.conversation_id,
            reply.conversation.owner_id,
            model,
            status,
            error.kind if error else "-",
            clock() - started,
            sum(map(len, shown)),
            usage.prompt_tokens,
            usage.completion_tokens,
            omitted,
        )
    # 그 사이 대화가 지워졌으면 내보낼 답변이 없다
    final = await Message.objects.select_related("conversation").filter(pk=reply_id).afirst()
    if final is not None:
        yield final


async def _aproduce(messages: list[dict], model: str, queue: asyncio.Queue) -> None:
    """모델의 조각을 큐에 넣는다. 소비하는 쪽이 시간에 맞춰 모아 보내고, 이 작업을 취소하면 연결이 닫힌다."""
    try:
        async for item in llm.stream_reply(messages, model=model):
            queue.put_nowait(item)
        queue.put_nowait(_END)
    except llm.LLMError as error:
        queue.put_nowait(error)
    except Exception as error:
        logger.exception("unexpected error while streaming a reply")
        queue.put_nowait(llm.LLMError(llm.ErrorKind.UPSTREAM_ERROR, repr(error)))


async def _asave_progress(reply_id: int, content: str) -> bool:
    """보낸 글을 저장해 둔다 (워커가 죽어도 남도록). 이미 생성 중이 아니면 False."""
    updated = await Message.objects.filter(pk=reply_id, status=Message.Status.STREAMING).aupdate(
        content=content, updated_at=timezone.now()
    )
    return bool(updated)


async def _asave_final(reply_id, *, content, status, error_kind, usage, model, omitted) -> None:
    """끝난 답변을 저장한다. 무엇이 실패해도 답변은 끝 상태에 닿고, 도착한 글은 남는다."""
    final = {
        "content": content,
        "rendered_html": render_or_escape(content) if content else "",
        "error_kind": error_kind,
    }
    try:
        await _awrite_final(
            reply_id,
            status,
            **final,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            model=model,
            omitted_messages=omitted,
        )
    except Exception:
        # 사용량 같은 곁가지가 저장을 막았다면 상태와 글만이라도: 생성 중으로 남으면 대화가 1분 동안 잠긴다
        logger.exception("saving a finished reply failed reply=%s; saving its text alone", reply_id)
        try:
            await _awrite_final(reply_id, status, **final)
        except Exception:
            logger.exception("saving a finished reply's text failed reply=%s", reply_id)


async def _awrite_final(reply_id, status, **fields) -> None:
    fields["updated_at"] = timezone.now()
    finished = Message.objects.filter(pk=reply_id, status=Message.Status.STREAMING)
    if not await finished.aupdate(status=status, **fields):
        # 그 사이 멈춤이 눌렸다: 멈춤 상태는 그대로 두고 글만 저장한다
        await Message.objects.filter(pk=reply_id).aupdate(**fields)


async def _afollow(reply_id: int) -> AsyncIterator:
    """다른 요청이 맡은 답변이 끝날 때까지 기다린다. 그 요청이 죽었으면 중단으로 정리한다."""
    waited = 0.0
    while True:
        reply = await Message.objects.select_related("conversation").filter(pk=reply_id).afirst()
        if reply is None:
            return
        if not reply.is_active:
            yield reply
            return
        stale_before = timezone.now() - timedelta(seconds=STALE_REPLY_SECONDS)
        if reply.updated_at < stale_before:
            await Message.objects.filter(
                pk=reply_id, status=reply.status, updated_at__lt=stale_before
            ).aupdate(
                status=Message.Status.INTERRUPTED,
                rendered_html=render_or_escape(reply.content),
                updated_at=timezone.now(),
            )
            continue
        await asyncio.sleep(CHECK_SECONDS)
        waited += CHECK_SECONDS
        if waited >= KEEPALIVE_SECONDS:
            waited = 0.0
            yield KEEPALIVE


def reply_generate(*, reply: Message) -> Message:
    """JavaScript 없는 보내기: 답변을 끝까지 만들고 저장된 답변을 돌려준다."""

    async def run():
        final = None
        async for event in areply_generate(reply.pk):
            if isinstance(event, Message):
                final = event
        return final

    return async_to_sync(run)()
