"""누가 답변 스트림을 받을 수 있나: 세션을 Django의 규칙으로 읽고, 대화를 보는 규칙 하나로 확인하고, 열린 스트림도 다시 본다."""

import asyncio
import contextvars
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib import import_module
from types import SimpleNamespace

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import AnonymousUser

from accounts.models import User
from chat import replies
from chat.database import in_thread
from chat.models import Conversation, Message
from chat.streams.frames import LastFrame, sse
from core import rows

logger = logging.getLogger(__name__)

# 열린 스트림이 받을 자격을 다시 확인하는 간격: 로그아웃, 비밀번호 변경, 계정 정지, 숨김이 이만큼 안에 닿는다
ACCESS_CHECK_SECONDS = 1.0


class _ReadOnlySession(dict):
    """get_user가 세션을 바꾸려 하면(무효 세션 비우기, 옛 비밀 키로 맞은 세션의 키 교체) 표시만 한다.

    세션을 바꾸고 쿠키를 새로 주는 일은 Django의 입구가 한다: 가벼운 입구는 응답에 쿠키를 싣지 않는다.
    """

    flushed = False
    rotating = False

    def flush(self):
        self.flushed = True

    def cycle_key(self):
        self.rotating = True


def session_user(session_key: str | None):
    """세션 쿠키의 주인: AuthenticationMiddleware와 같은 규칙이다 (django.contrib.auth.get_user를 그대로 부른다).

    로그아웃해 지운 세션, 비밀번호를 바꿔 무효가 된 세션, 비활성 계정은 AnonymousUser다.
    옛 비밀 키로만 맞는 세션도 AnonymousUser다: 키 교체는 Django의 입구가 하게 둔다.
    """
    if not session_key:
        return AnonymousUser()
    session = _ReadOnlySession(
        import_module(settings.SESSION_ENGINE).SessionStore(session_key).items()
    )
    user = auth.get_user(SimpleNamespace(session=session))
    return AnonymousUser() if session.flushed or session.rotating else user


def followable_conversation(user, conversation_id: int) -> Conversation | None:
    """이 사람이 이 대화의 답변 스트림을 받을 수 있으면 그 대화, 아니면 None (followable_conversations 하나)."""
    return followable_conversations([(user, conversation_id)]).get(conversation_id)


def followable_conversations(viewers: list[tuple]) -> dict[int, Conversation]:
    """(사람, 대화 번호) 가운데 그 사람이 그 대화의 답변 스트림을 받을 수 있는 것: {대화 번호: 대화}.

    대화를 볼 수 있는지는 Conversation.is_visible_to 하나가 정한다 (페이지와 원문도 같은 조건을 ORM으로 쓴다).
    두 입구가 연결할 때 하나를, 열린 스트림의 다시 확인이 ACCESS_CHECK_SECONDS마다 루프의 모든 스트림을 질의
    하나로 묻는다.
    """
    viewer_of = {
        conversation_id: user
        for user, conversation_id in viewers
        if user.is_authenticated and user.is_active
    }
    if not viewer_of:
        return {}
    found = rows.instances(Conversation, {"pk": list(viewer_of)})
    return {
        conversation.pk: conversation
        for conversation in found
        if conversation.is_visible_to(viewer_of[conversation.pk])
    }


def owned_reply(reply_id: int, user) -> Message | None:
    """그 사람이 받을 수 있는 답변과 그 대화 (replies.load가 읽는다)."""
    if not (user.is_authenticated and user.is_active):
        return None
    reply = replies.load(reply_id)
    if reply is None or reply.is_user or not reply.conversation.is_visible_to(user):
        return None
    return reply


@dataclass(eq=False)
class _Watch:
    """열린 스트림 하나: 연결할 때 받아들인 세션과 사람, 따라가는 대화. 자격을 잃으면 lost가 끝난다."""

    session_key: str | None
    user: object
    conversation_id: int
    lost: asyncio.Future


# 루프마다 열린 스트림들과, 그것들을 한꺼번에 다시 확인하는 작업 하나
_watches: dict[asyncio.AbstractEventLoop, set[_Watch]] = {}
_checkers: dict[asyncio.AbstractEventLoop, asyncio.Task] = {}


async def access_lost(session_key: str | None, user, conversation_id: int) -> None:
    """받을 자격이 없어지면 돌아온다. 열린 스트림 옆에서 돌고, 스트림은 이것이 끝나면 done으로 닫는다."""
    loop = asyncio.get_running_loop()
    watch = _Watch(session_key, user, conversation_id, loop.create_future())
    _watches.setdefault(loop, set()).add(watch)
    checker = _checkers.get(loop)
    if checker is None or checker.done():
        _checkers[loop] = loop.create_task(_check_access(loop), context=contextvars.Context())
    try:
        await watch.lost
    finally:
        _watches[loop].discard(watch)


async def _check_access(loop: asyncio.AbstractEventLoop) -> None:
    """루프의 열린 스트림 모두를 스레드 한 번, 질의 둘로 다시 확인한다.

    스트림마다 따로 확인하면 스트림 하나가 1초마다 스레드를 건너 세 번 읽었다: 천 개면 초당 삼천 번이었다.
    """
    while True:
        await asyncio.sleep(ACCESS_CHECK_SECONDS)
        watches = [watch for watch in _watches.get(loop, ()) if not watch.lost.done()]
        if not watches:
            del _checkers[loop]
            return
        try:
            lost = await _alost(watches)
        except Exception:
            # DB나 Redis가 잠깐 멈췄다: 확인하지 못한 것을 잃은 것으로 치지 않는다. 다음 확인에서 다시 본다
            logger.warning("could not check the open streams' access", exc_info=True)
            continue
        for watch in lost:
            if not watch.lost.done():
                watch.lost.set_result(None)


def _lost(watches: list[_Watch]) -> list[_Watch]:
    """자격을 잃은 스트림들. 연결할 때 Django의 규칙(session_user)으로 받아들인 세션이 그대로인지는 싸게 본다:
    세션이 아직 있고(로그아웃하면 지워진다) 비밀번호가 그때 그대로인지. 비밀번호가 바뀐 스트림만 Django의 규칙으로
    다시 읽는다 (그 세션에서 바꿨다면 Django처럼 세션이 이어진다). 나머지는 followable_conversations가 정한다.
    """
    users = {
        user.pk: user for user in rows.instances(User, {"pk": list({w.user.pk for w in watches})})
    }
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    lost, viewers = [], []
    for watch in watches:
        user = users.get(watch.user.pk)
        if user is not None and user.password != watch.user.password:
            user = session_user(watch.session_key)
            if user.pk == watch.user.pk:
                watch.user = user
        elif user is not None and not store.exists(watch.session_key):
            user = None
        if user is None or user.pk != watch.user.pk:
            lost.append(watch)
        else:
            viewers.append((watch, user))
    allowed = followable_conversations([(user, watch.conversation_id) for watch, user in viewers])
    return lost + [watch for watch, _ in viewers if watch.conversation_id not in allowed]


_alost = in_thread(_lost)


async def until_access_lost(
    events: AsyncIterator[str], session_key: str | None, user, conversation_id: int
) -> AsyncIterator[str]:
    """Django 입구의 스트림: 자격을 잃으면 남은 프레임 대신 done으로 끝낸다.

    프레임마다 작업 하나를 만드는 값이 들어, 표가 있는 대부분의 스트림이 지나는 serve는 이것 대신
    access_lost를 응답 작업 옆에 둔다.
    """
    lost = asyncio.ensure_future(access_lost(session_key, user, conversation_id))
    iterator = aiter(events)
    try:
        while True:
            step = asyncio.ensure_future(anext(iterator))
            await asyncio.wait({step, lost}, return_when=asyncio.FIRST_COMPLETED)
            if not step.done():
                step.cancel()
                await asyncio.gather(step, return_exceptions=True)
                yield LastFrame(sse("done", ""))
                return
            try:
                yield step.result()
            except StopAsyncIteration:
                return
    finally:
        lost.cancel()
        await iterator.aclose()
