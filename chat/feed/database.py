"""DB의 길: 쓰는 쪽의 진행 저장(어느 설정에서나), Redis가 없을 때의 멈춤 확인과 따라가기.

진행 저장은 세 가지를 한다: 프로세스가 죽어도 남는 글, 살아 있다는 신호(죽은 작업은 STALE_REPLY_SECONDS 뒤
정리된다), 그리고 0행이면 멈춤(멈췄거나, 다시 시도됐거나, 대화가 지워졌다). 토큰마다 DB를 만지지 않는다.
"""

import asyncio
import contextvars
import logging
from collections.abc import AsyncIterator

from chat import reasoning, replies
from chat.feed import memory
from chat.feed.events import KEEPALIVE, KEEPALIVE_SECONDS, End, Text

logger = logging.getLogger(__name__)

# 진행(지금까지의 글)을 저장하는 간격이자 살아 있다는 신호: 프로세스가 죽거나 DB가 끊겨도 잃는 것은 이 몇 초뿐이다
PROGRESS_SECONDS = 2.0
# Redis가 없을 때 다른 프로세스(관리 명령 등)가 누른 멈춤을 DB 읽기로 확인하는 간격
STOP_POLL_SECONDS = 1.0
# 다른 프로세스가 만드는 답변을 Redis 없이 따라갈 때 DB를 읽는 간격
POLL_SECONDS = 1.0


async def save_progress(writer: memory.Writer) -> None:
    """PROGRESS_SECONDS마다 내보낸 글을 저장한다. 0행이면 멈춤으로 알리고 돌아온다."""
    while True:
        await asyncio.sleep(PROGRESS_SECONDS)
        try:
            # 내보낸 것만: DB를 읽어 따라가는 사람의 위치가 스트림 글과 같게
            thought, answer = reasoning.split(writer.text())
            saved = await replies.aprogress(writer.reply_id, writer.attempt, answer, thought)
        except replies.TRANSIENT:
            # DB에 잠깐 닿지 못했다: 글은 메모리에 있고 생성은 계속된다. 다음 간격에 다시 저장한다
            logger.warning(
                "saving a reply's progress failed reply=%s", writer.reply_id, exc_info=True
            )
            continue
        if not saved:
            writer.stop()
            return


# 루프마다 멈춤을 읽는 작업 하나
_stop_polls: dict[asyncio.AbstractEventLoop, asyncio.Task] = {}


def watch_stops(loop: asyncio.AbstractEventLoop) -> None:
    """이 루프에서 쓰는 답변들의 멈춤을 DB에서 읽는 작업을 둔다 (Redis가 없을 때)."""
    task = _stop_polls.get(loop)
    if task is None or task.done():
        _stop_polls[loop] = loop.create_task(_poll_stops(loop), context=contextvars.Context())


async def _poll_stops(loop: asyncio.AbstractEventLoop) -> None:
    """STOP_POLL_SECONDS마다 이 루프의 쓰는 답변 모두를 질의 하나로 확인한다.
    답변마다 따로 읽으면 답변 50개가 초마다 스레드를 50번 건너 DB를 읽었다."""
    while True:
        await asyncio.sleep(STOP_POLL_SECONDS)
        watched = {writer.reply_id: writer for writer in memory.writing_in(loop)}
        if not watched:
            if not any(writer.loop is loop for writer in memory._writers.values()):
                return
            continue
        alive = await replies.agenerating({pk: writer.attempt for pk, writer in watched.items()})
        for reply_id, writer in watched.items():
            if reply_id not in alive:
                writer.stop()


async def follow(reply_id: int, after: int) -> AsyncIterator:
    """저장된 진행을 읽어 따라간다: Text, 가끔 KEEPALIVE, 마지막에 End. 죽은 작업이 남긴 답변은 중단으로 정리한다."""
    quiet = 0.0
    while True:
        reply = await replies.aload(reply_id)
        if reply is None or not reply.is_active:
            yield End(reply)
            return
        if await replies.asweep_stale(reply):
            continue
        text = reasoning.joined(reply.reasoning, reply.content)
        if len(text) > after:
            yield Text(text[after:], len(text))
            after, quiet = len(text), 0.0
        await asyncio.sleep(POLL_SECONDS)
        quiet += POLL_SECONDS
        if quiet >= KEEPALIVE_SECONDS:
            quiet = 0.0
            yield KEEPALIVE


async def still_active(reply_id: int) -> bool:
    """다른 곳의 생성이 아직 살아 있나: 죽은 작업이 남긴 답변은 여기서 정리된다."""
    reply = await replies.aload(reply_id)
    return reply is not None and reply.is_active and not await replies.asweep_stale(reply)
