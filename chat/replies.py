"""답변의 상태 기계. 답변의 상태를 쓰는 곳은 이 모듈 하나뿐이다.

    대기(pending) ──맡음──▶ 생성 중(streaming) ──▶ 끝(done) / 멈춤(stopped) / 실패(failed) / 중단(interrupted)
    대기 ──▶ 멈춤 (맡기 전에 멈춤) / 중단 (아무도 맡지 않은 채 오래됨)
끝난 답변은 더 바뀌지 않는다: 다시 생성하면 형제 답변이 새로 생긴다 (chat.tree, services.reply_regenerate).

쓰기는 모두 조건부 update(`filter(상태가 허용된 출발점).update(...)`)이고, 이겼는지를 돌려준다.
생성 중의 쓰기는 attempt까지 조건에 넣는다: 한 시도를 한 작업만 쓰게 (옛 데이터의 시도 번호도 그대로 맞는다).
"""

import asyncio
import logging
from datetime import timedelta

from django.db import InterfaceError, OperationalError
from django.utils import timezone

from accounts.usage import usage_record
from chat.context import estimate_tokens
from chat.database import in_thread
from chat.llm import Usage
from chat.markdown import render_or_escape
from chat.models import STALE_REPLY_SECONDS, Conversation, Message
from core import rows

logger = logging.getLogger(__name__)

Status = Message.Status

# DB에 닿지 못한 오류: 연결이 끊기거나 서버가 다시 시작하는 중. 잠시 뒤 다시 하면 된다.
TRANSIENT = (OperationalError, InterfaceError)
# 끝 저장을 다시 하는 시간과 간격 (0.25, 0.5, 1, 2, 4, 5, 5 … 초)
FINISH_RETRY_SECONDS = 60.0
FINISH_RETRY_FIRST_SECONDS = 0.25
FINISH_RETRY_MAX_DELAY = 5.0

# 허용된 전이. 아래 함수들의 조건은 모두 여기서 나온다.
TRANSITIONS = {
    Status.PENDING: {Status.STREAMING, Status.STOPPED, Status.INTERRUPTED},
    Status.STREAMING: {Status.DONE, Status.STOPPED, Status.FAILED, Status.INTERRUPTED},
    Status.STOPPED: set(),
    Status.FAILED: set(),
    Status.INTERRUPTED: set(),
    Status.DONE: set(),
}


def allowed_from(target: Status) -> list[Status]:
    """target으로 갈 수 있는 출발 상태들."""
    return [source for source, targets in TRANSITIONS.items() if target in targets]


# ---------------------------------------------------------------- 생성 작업과 스트림이 쓰는 것
# DB는 chat.database.in_thread로: 긴 작업과 스트림이 쓰기 사이에 연결을 쥐지 않게.


def load(reply_id: int) -> Message | None:
    """답변과 그 대화 (select_related와 같다): 답변을 대화와 함께 읽는 곳은 모두 이것을 쓴다. 스트림마다 돌아 SQL을 직접 쓴다."""
    reply = rows.get(Message, {"pk": reply_id})
    if reply is None:
        return None
    conversation = rows.get(Conversation, {"pk": reply.conversation_id})
    if conversation is None:
        return None
    reply.conversation = conversation
    return reply


def claim(reply_id: int, attempt: int, *, known: Message | None = None) -> Message | None:
    """대기 중인 답변의 그 시도를 맡는다. 이긴 한 곳만 모델을 부르므로 한 시도는 한 번만 생성된다.

    시도까지 조건에 넣는다: 맡기 전에 다시 시도되었으면 새 시도의 작업이 맡는다.
    known: 보내기가 방금 만든 그 답변(대화가 붙은 것). 있으면 이긴 뒤 다시 읽지 않는다.
    """
    now = timezone.now()
    won = rows.update(
        Message,
        {"pk": reply_id, "attempt": attempt, "status": allowed_from(Status.STREAMING)},
        status=Status.STREAMING,
        updated_at=now,
    )
    if not won:
        return None
    if known is None:
        return load(reply_id)
    known.status, known.updated_at = Status.STREAMING, now
    return known


def _progress(reply_id: int, attempt: int, content: str, reasoning: str = "") -> bool:
    """지금까지의 생각과 글을 저장하고 살아 있음을 알린다. 멈췄거나, 다시 시도됐거나, 지워졌으면 False."""
    return bool(
        rows.update(
            Message,
            {"pk": reply_id, "attempt": attempt, "status": Status.STREAMING},
            reasoning=reasoning,
            content=content,
            updated_at=timezone.now(),
        )
    )


def _generating(attempts: dict[int, int]) -> set[int]:
    """멈춤 확인 (읽기만 한다): {답변 번호: 시도} 가운데 아직 그 시도로 생성 중인 답변의 번호."""
    found = rows.values(
        Message, ["pk", "attempt"], {"pk": list(attempts), "status": Status.STREAMING}
    )
    return {pk for pk, attempt in found if attempts[pk] == attempt}


def _finish(
    reply: Message,
    *,
    status: Status,
    content: str,
    reasoning: str = "",
    finish_reason: str = "",
    error_kind: str = "",
    usage: Usage | None = None,
    model: str = "",
    omitted: int = 0,
    omitted_chars: int = 0,
) -> Message | None:
    """맡은 답변(claim이 준 것)의 생성을 마친다. 저장된 답변을 돌려주고, 다른 시도가 차지했거나 대화가
    지워졌으면 None.

    그 사이 멈춤이 눌렸다면 상태는 멈춤 그대로 두고 보여 준 글만 저장한다.
    무엇이 실패해도 답변은 끝 상태에 닿는다: 생성 중으로 남으면 대화가 1분 동안 잠긴다.
    DB에 닿지 못하는 오류(TRANSIENT)는 그대로 올린다: afinish가 DB가 돌아올 때까지 다시 한다.
    """
    fields = {
        "content": content,
        "reasoning": reasoning,
        "rendered_html": render_or_escape(content) if content else "",
        "finish_reason": finish_reason,
        "error_kind": error_kind,
        "updated_at": timezone.now(),
    }
    usage = usage or Usage(None, None)
    extra = {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "omitted_messages": omitted,
        "omitted_attachment_chars": omitted_chars,
        **({"model": model} if model else {}),
    }
    try:
        written = _finish_write(reply.pk, reply.attempt, status, {**fields, **extra})
        fields.update(extra)
    except TRANSIENT:
        raise
    except Exception:
        # 사용량 같은 곁가지가 저장을 막았다면 상태와 글만이라도
        logger.exception("saving a finished reply failed reply=%s; saving its text alone", reply.pk)
        try:
            written = _finish_write(reply.pk, reply.attempt, status, fields)
        except TRANSIENT:
            raise
        except Exception:
            logger.exception("saving a finished reply's text failed reply=%s", reply.pk)
            return None
    if written is None:
        return None
    # 방금 쓴 값으로 충분하다: 다시 읽지 않는다
    for name, value in fields.items():
        setattr(reply, name, value)
    reply.status = written
    return reply


def _count_usage(reply: Message, *, usage: Usage, content: str, model: str, prompt_estimate: int):
    """사용량 장부에 한 번 더한다. 서버가 알려 주지 않은 값은 어림값으로 채우고 그렇다고 표시한다.

    content는 모델이 쓴 글 전부다 (생각도 모델이 쓴 토큰이다).
    글이 하나도 없이 실패한 답변은 요청이 모델에 닿지 않았을 수 있어 질문 토큰을 어림하지 않는다.
    장부의 결함은 답변의 저장을 막지 않는다. DB에 닿지 못한 것(TRANSIENT)만 올려 afinish가 다시 하게 한다.
    """
    prompt, completion = usage.prompt_tokens, usage.completion_tokens
    estimated = prompt is None or completion is None
    if completion is None:
        completion = estimate_tokens(content) if content else 0
    if prompt is None:
        prompt = prompt_estimate if content else 0
    try:
        usage_record(
            user_id=reply.conversation.owner_id,
            model=model or reply.model,
            prompt_tokens=prompt,
            completion_tokens=completion,
            estimated=estimated,
        )
    except TRANSIENT:
        raise
    except Exception:
        logger.exception("counting the usage of a finished reply failed reply=%s", reply.pk)


def _finish_write(reply_id, attempt, status, fields) -> Status | None:
    """쓴 상태를 돌려준다. 이 시도의 답변이 아니게 됐으면 None."""
    mine = {"pk": reply_id, "attempt": attempt}
    if rows.update(Message, {**mine, "status": allowed_from(status)}, status=status, **fields):
        return status
    # 멈춤이 먼저 왔다: 멈춤은 그대로, 화면에 보낸 글은 남긴다
    if rows.update(Message, {**mine, "status": Status.STOPPED}, **fields):
        return Status.STOPPED
    return None


def is_stale(reply: Message) -> bool:
    """읽어 둔 행으로 본 판정 (DB를 읽지 않는다): 진행 중인데 STALE_REPLY_SECONDS 넘게 소식이 없다."""
    return reply.status in Message.ACTIVE and reply.updated_at < stale_before()


def _sweep_one(reply: Message) -> bool:
    if not is_stale(reply):
        return False
    return bool(
        Message.objects.filter(
            pk=reply.pk, status=reply.status, updated_at__lt=stale_before()
        ).update(
            status=Status.INTERRUPTED,
            rendered_html=render_or_escape(reply.content),
            updated_at=timezone.now(),
        )
    )


aload = in_thread(load)
aprogress = in_thread(_progress)
agenerating = in_thread(_generating)


def _count_and_finish(reply: Message, counted: list[bool], *, prompt_estimate: int, **fields):
    """사용량 세기와 끝 쓰기를 스레드 한 번에. counted[0]: 이미 셌는지 (다시 할 때 두 번 세지 않게)."""
    if not counted[0]:
        # 멈추거나 실패했어도, 대화가 그 사이 지워졌어도 모델은 토큰을 썼다
        _count_usage(
            reply,
            usage=fields["usage"],
            content=fields.get("reasoning", "") + fields["content"],
            model=fields["model"],
            prompt_estimate=prompt_estimate,
        )
        counted[0] = True
    return _finish(reply, **fields)


_acount_and_finish = in_thread(_count_and_finish)


async def afinish(
    reply: Message,
    *,
    status: Status,
    content: str,
    reasoning: str = "",
    finish_reason: str = "",
    error_kind: str = "",
    usage: Usage | None = None,
    model: str = "",
    omitted: int = 0,
    omitted_chars: int = 0,
    prompt_estimate: int = 0,
) -> Message | None:
    """끝 저장: 사용량을 한 번 세고 답변을 끝 상태로 쓴다 (_finish).

    DB에 닿지 못하면(끊긴 연결, 재시작) FINISH_RETRY_SECONDS 동안 간격을 늘려 가며 다시 한다: 모델이 보낸 글은
    메모리에 있으니 DB가 돌아오면 잃지 않는다. 사용량은 이미 셌으면 다시 세지 않는다.
    끝내 닿지 못하면 None: 진행 저장(PROGRESS_SECONDS마다)까지의 글이 남고, 답변은 나중에 중단으로 정리된다.
    """
    usage = usage or Usage(None, None)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + FINISH_RETRY_SECONDS
    delay, counted = FINISH_RETRY_FIRST_SECONDS, [False]
    while True:
        try:
            return await _acount_and_finish(
                reply,
                counted,
                prompt_estimate=prompt_estimate,
                status=status,
                content=content,
                reasoning=reasoning,
                finish_reason=finish_reason,
                error_kind=error_kind,
                usage=usage,
                model=model,
                omitted=omitted,
                omitted_chars=omitted_chars,
            )
        except TRANSIENT:
            if loop.time() + delay > deadline:
                logger.exception("saving a finished reply gave up reply=%s", reply.pk)
                return None
            logger.warning(
                "the database is unreachable; saving reply=%s again in %.1f s", reply.pk, delay
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, FINISH_RETRY_MAX_DELAY)


# 따라가던 사람이 죽은 작업을 발견했을 때
asweep_stale = in_thread(_sweep_one)


# ---------------------------------------------------------------- 요청이 쓰는 것 (동기)


def stop(*, reply: Message) -> bool:
    """멈춤은 DB의 상태가 먼저다. 작업은 신호(같은 프로세스, Redis)나 다음 확인으로 알아챈다."""
    return bool(
        Message.objects.filter(pk=reply.pk, status__in=allowed_from(Status.STOPPED)).update(
            status=Status.STOPPED, updated_at=timezone.now()
        )
    )


def stale_before():
    return timezone.now() - timedelta(seconds=STALE_REPLY_SECONDS)


def sweep_stale(replies) -> int:
    """죽은 작업이 남긴 답변을 중단으로 마친다 (하나뿐인 정리 규칙). 저장돼 있던 글은 그려 둔다."""
    stale = replies.filter(status__in=Message.ACTIVE, updated_at__lt=stale_before())
    return sum(_sweep_one(reply) for reply in stale)
