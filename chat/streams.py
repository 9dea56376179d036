"""답변 스트림(SSE): 보낼 프레임, 그리고 Django의 요청 처리를 거치지 않는 가벼운 입구.

보내기의 응답과 대화 화면은 스트림 주소에 서명한 표(t=)를 붙인다: 답변 번호, 주인, 세션 쿠키의 지문, 만든 시각.
표가 맞으면 chatproject.asgi가 요청을 곧장 serve()로 보낸다: 미들웨어, 세션과 사용자 읽기, 요청 스레드를 건너뛴다.
채팅 한 번은 요청 둘(보내기와 스트림)이고, 스트림 쪽의 이 값이 채팅 한 번의 CPU에서 열에 하나쯤이었다.
표가 없거나 맞지 않으면(만료, 로그아웃해 바뀐 세션, 다른 답변) Django의 ReplyStreamView가 평소대로 답한다
(로그인 화면, 404). 두 입구는 같은 reply_events()를 보낸다.

표는 누가 받을 수 있는지를 대신하지 않는다: 두 입구 모두 세션을 Django의 규칙(session_user)으로 읽고
followable_conversation 하나로 확인하며, 열린 스트림도 ACCESS_CHECK_SECONDS마다 다시 확인해 자격을 잃으면
(로그아웃, 비밀번호 변경, 계정 정지, 숨김, 삭제) done으로 닫는다.
"""

import asyncio
import contextvars
import hashlib
import html
import io
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib import import_module
from types import SimpleNamespace
from urllib.parse import parse_qs, urlencode

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.core.handlers.asgi import ASGIRequest
from django.http.cookie import parse_cookie
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts.middleware import chosen_language
from accounts.models import User
from chat import feed, reasoning
from chat.database import in_thread
from chat.markdown import StreamingMarkdown, stream_tail
from chat.models import Conversation, Message
from core import request_log, rows

logger = logging.getLogger(__name__)

DETAIL_TEMPLATE = "chat/conversation_detail.html"
# 표의 수명: 열어 둔 탭의 EventSource가 다시 연결할 때도 쓴다. 지나면 Django의 입구가 세션으로 답한다.
TOKEN_SECONDS = 6 * 60 * 60
_SALT = "chat.streams"
_PREFIX = "/chat/replies/"
_SUFFIX = "/stream/"


def mark_latest(message: Message, conversation: Conversation) -> Message:
    """대화의 마지막 메시지에만 붙는 단추와 요청을 정한다 (템플릿은 판단하지 않는다).

    멈추거나 실패한 답변에는 다시 시도 단추를, 길이 한도에서 잘린 답변에는 계속 단추를, 제목이 아직 없는 대화의
    끝난 답변에는 제목 요청을.
    """
    message.can_retry = message.is_retryable
    # 길이 한도에서 잘린 답: 이어 써 달라는 보내기 단추 (생각만 하다 잘린 답은 이을 글이 없다)
    message.can_continue = message.is_done and message.hit_length_limit and bool(message.content)
    message.asks_title = conversation.needs_title and not message.is_user and message.is_done
    return message


# ---------------------------------------------------------------- 프레임


def sse(event: str, data: str, event_id: int | None = None) -> str:
    """SSE 프레임 하나. 여러 줄은 줄마다 data: 를 붙인다 (브라우저가 줄바꿈으로 다시 잇는다).

    id는 답변 글에서 이 조각이 끝나는 위치다: 다시 연결한 EventSource가 Last-Event-ID로 돌려준다.
    """
    lines = data.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    head = f"event: {event}\n" + (f"id: {event_id}\n" if event_id is not None else "")
    return head + "".join(f"data: {line}\n" for line in lines) + "\n"


async def reply_events(request, reply: Message, offset: int) -> AsyncIterator[str]:
    """스트림이 보낼 것: 지금까지의 글(offset 뒤), 새 조각(escape), 마지막 답변의 그림, done.

    chat.feed를 따라갈 뿐이다: 연결이 끊겨도 생성은 계속된다. request는 마지막 그림의 CSRF 토큰에 쓴다.
    offset과 id는 생각까지 이은 스트림 글에서 센다 (chat.reasoning).
    """
    # 바로 보내는 주석: 브라우저와 프록시가 연결이 열렸음을 곧장 안다
    yield ": connected\n\n"
    # 페이지(또는 끊긴 연결)가 이미 그린 글도 읽어서, 블록을 나눈 상태를 브라우저와 똑같이 맞춘다
    markdown = StreamingMarkdown()
    thoughts = reasoning.Reader()
    # 마지막 그림은 done과 함께 한 번에 보낸다: 프레임마다 쓰기(시스템 호출) 한 번이다
    ending = ""
    try:
        async for event in feed.follow(reply, 0):
            if type(event) is feed.Text:
                start = event.end - len(event.text)
                if start < offset:
                    _, seen, _ = thoughts.feed(event.text[: offset - start])
                    markdown.feed(seen)
                    if event.end <= offset:
                        continue
                text = event.text[max(offset - start, 0) :]
                yield _frame(reply.pk, markdown, thoughts, text, event.end)
            elif type(event) is feed.Keepalive:
                yield ": keepalive\n\n"
            elif (final := event.reply) is not None:
                # 남은 블록까지 그려 두면 마지막 답변으로 바뀔 때 화면이 거의 움직이지 않는다
                if rest := markdown.finish(whole=(final.content, final.rendered_html)):
                    ending += sse("blocks", rest + stream_tail(reply.pk, "", oob=True))
                context = {
                    "message": mark_latest(final, final.conversation),
                    "conversation": final.conversation,
                }
                ending += sse(
                    "reply",
                    render_to_string(f"{DETAIL_TEMPLATE}#message", context, request=request),
                )
    except Exception:
        # 우리 쪽 결함이라도 스트림은 done으로 닫는다 (연결 끊김·취소는 Exception이 아니라 여기 오지 않는다)
        logger.exception("reply stream failed reply=%s", reply.pk)
    # 어떻게 끝나든 done: 없으면 EventSource가 다시 연결한다
    yield LastFrame(ending + sse("done", ""))


class LastFrame(str):
    """스트림의 마지막 프레임 (마지막 그림과 done). 가벼운 입구는 이것으로 응답을 닫는다."""


def _frame(
    reply_id: int, markdown: StreamingMarkdown, thoughts: reasoning.Reader, text: str, end: int
) -> str:
    """새 조각 하나: 블록이 끝나지 않았으면 글 그대로 덧붙이고(token), 끝났으면 그린 블록과 새 꼬리(blocks).

    생각은 접힌 블록에 덧붙인다(think). 첫 생각은 블록을 만들고, 답으로 넘어가면 요약을 바꾼다 (oob).
    """
    if thoughts.answering:
        return _answer_frame(reply_id, markdown, text, end)
    before = thoughts.seen
    thought, answer, crossed = thoughts.feed(text)
    frames = ""
    if thought:
        if before == 0:
            block = reasoning.block(
                reply_id, thought, thinking=not crossed, streaming=True, oob=True
            )
            frames += sse("blocks", block)
        else:
            frames += sse("think", html.escape(thought, quote=False))
    if crossed and before:
        frames += sse("blocks", reasoning.answered(reply_id))
    if answer:
        return frames + _answer_frame(reply_id, markdown, answer, end)
    # id는 마지막 프레임에만: 다시 연결하면 이 조각 뒤부터 받는다
    return frames[:-1] + f"id: {end}\n\n" if frames else ""


def _answer_frame(reply_id: int, markdown: StreamingMarkdown, text: str, end: int) -> str:
    finished = markdown.feed(text)
    if not finished:
        return sse("token", html.escape(text, quote=False), end)
    return sse("blocks", finished + stream_tail(reply_id, markdown.tail, oob=True), end)


# ---------------------------------------------------------------- 주소와 표


def _fingerprint(session_key: str) -> str:
    # 세션 쿠키 그 자체는 표에 넣지 않는다: 주소는 로그나 프록시에 남을 수 있다
    return hashlib.sha256(session_key.encode()).hexdigest()[:20]


def stream_url(message: Message, request=None) -> str:
    """답변 스트림의 주소. 로그인한 주인의 요청이면 가벼운 입구의 표를, 글이 있으면 이미 보인 글자 수(from)를 붙인다."""
    params = {}
    user = getattr(request, "user", None)
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if user is not None and user.is_authenticated and session_key:
        claims = [message.pk, user.pk, _fingerprint(session_key)]
        params["t"] = signing.TimestampSigner(salt=_SALT).sign_object(claims)
    if shown := len(reasoning.joined(message.reasoning, message.content)):
        params["from"] = shown
    url = reverse("chat:reply-stream", args=[message.pk])
    return f"{url}?{urlencode(params)}" if params else url


def positive_int(value: str) -> int | None:
    """ASCII 숫자 18자까지만 (BigAutoField 안): "²"나 "③"은 isdigit()을 통과하지만 int()가 받지 않고,
    4,300자가 넘는 숫자도 int()가 거절한다. 틀린 값은 None."""
    return int(value) if len(value) <= 18 and value.isascii() and value.isdigit() else None


def _user_id(token: str, reply_id: int, session_key: str | None) -> int | None:
    """표가 이 답변과 이 세션의 것이고 만료되지 않았으면 주인의 번호."""
    if not token or not session_key:
        return None
    try:
        claims = signing.TimestampSigner(salt=_SALT).unsign_object(token, max_age=TOKEN_SECONDS)
    except signing.BadSignature:
        return None
    if (
        isinstance(claims, list)
        and len(claims) == 3
        and claims[0] == reply_id
        and claims[2] == _fingerprint(session_key)
    ):
        return claims[1]
    return None


# ---------------------------------------------------------------- 누가 받을 수 있나 (두 입구가 함께)

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

    받을 자격의 규칙은 여기 하나다: 두 입구(serve와 ReplyStreamView)가 연결할 때 하나를, 열린 스트림의 다시
    확인이 ACCESS_CHECK_SECONDS마다 루프의 모든 스트림을 질의 하나로 묻는다. 다음 규칙(예: 정지된 반)도 여기에 더한다.
    """
    owners = {
        conversation_id: user.pk
        for user, conversation_id in viewers
        if user.is_authenticated and user.is_active
    }
    if not owners:
        return {}
    found = rows.instances(Conversation, {"pk": list(owners), "is_hidden": False})
    return {
        conversation.pk: conversation
        for conversation in found
        if conversation.owner_id == owners[conversation.pk]
    }


def owned_reply(reply_id: int, user) -> Message | None:
    """그 사람이 받을 수 있는 답변과 그 대화."""
    reply = rows.get(Message, {"pk": reply_id, "role": Message.Role.ASSISTANT})
    if reply is None:
        return None
    conversation = followable_conversation(user, reply.conversation_id)
    if conversation is None:
        return None
    reply.conversation = conversation
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


# ---------------------------------------------------------------- 가벼운 입구


def is_stream(scope) -> bool:
    path = scope["path"]
    return scope["method"] == "GET" and path.startswith(_PREFIX) and path.endswith(_SUFFIX)


def _admit(reply_id: int, user_id: int, session_key: str):
    """표의 주인이 지금도 그 세션으로 로그인해 있고 그 답변을 받을 수 있으면 (답변, 사람). 스레드 한 번에 읽는다."""
    user = session_user(session_key)
    if user.pk != user_id:
        return None
    reply = owned_reply(reply_id, user)
    return (reply, user) if reply is not None else None


_aadmit = in_thread(_admit)


async def serve(scope, receive, send) -> bool:
    """표가 맞는 스트림 요청에 답한다. 답하지 않았으면 False: 그 요청은 Django가 받는다 (아직 아무것도 읽지 않았다)."""
    reply_id = positive_int(scope["path"][len(_PREFIX) : -len(_SUFFIX)])
    query = parse_qs(scope["query_string"].decode("latin-1"))
    headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
    cookies = parse_cookie(headers.get("cookie", ""))
    csrf_secret = cookies.get(settings.CSRF_COOKIE_NAME, "")
    if (
        reply_id is None
        or len(csrf_secret) != CSRF_SECRET_LENGTH
        or not set(csrf_secret) <= set(CSRF_ALLOWED_CHARS)
    ):
        # 마지막 그림의 양식에 넣을 CSRF 비밀이 없다: Django가 쿠키와 함께 답한다
        return False
    session_key = cookies.get(settings.SESSION_COOKIE_NAME)
    user_id = _user_id(query.get("t", [""])[0], reply_id, session_key)
    if user_id is None:
        return False
    # 세션과 사람은 Django의 입구와 같은 규칙으로 읽는다 (로그아웃, 비밀번호 변경, 계정 정지, 숨김)
    admitted = await _aadmit(reply_id, user_id, session_key)
    if admitted is None:
        return False
    reply, user = admitted

    request_log.request_id.set(uuid.uuid4().hex)
    request_log.user_id.set(str(user_id))
    # 마지막 그림(reply_events의 render_to_string)만 이 요청을 쓴다: CSRF 비밀과 언어
    request = ASGIRequest(scope, io.BytesIO())
    request.META["CSRF_COOKIE"] = csrf_secret
    language = chosen_language(cookies)
    request.LANGUAGE_CODE = language
    offset = positive_int(headers.get("last-event-id", "")) or positive_int(
        query.get("from", [""])[0]
    )
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/event-stream; charset=utf-8"),
                (b"cache-control", b"no-cache"),
                # nginx 같은 프록시가 모아 두지 않게
                (b"x-accel-buffering", b"no"),
                (b"x-content-type-options", b"nosniff"),
                (b"x-request-id", request_log.request_id.get().encode()),
            ],
        }
    )
    body = asyncio.create_task(_send_events(request, reply, offset or 0, language, send))
    gone = asyncio.create_task(_disconnected(receive))
    lost = asyncio.create_task(access_lost(session_key, user, reply.conversation_id))
    try:
        # 연결이 끊기면 따라가기를 멈춘다 (생성은 계속된다). 다 보내면 듣기를 멈춘다.
        # 자격을 잃으면(로그아웃, 비밀번호 변경, 계정 정지, 숨김) 남은 글 없이 done으로 닫는다.
        await asyncio.wait({body, gone, lost}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        # 서버가 이 요청을 취소해도(종료) 작업을 남기지 않는다
        for task in (body, gone, lost):
            task.cancel()
        sent, _, _ = await asyncio.gather(body, gone, lost, return_exceptions=True)
    if isinstance(sent, asyncio.CancelledError) and lost.done() and not lost.cancelled():
        await send(
            {"type": "http.response.body", "body": sse("done", "").encode(), "more_body": False}
        )
    elif isinstance(sent, Exception):
        # reply_events는 제 오류를 done으로 닫는다: 여기 오는 것은 보내기 자체의 실패다
        logger.error("reply stream failed to send reply=%s", reply.pk, exc_info=sent)
    return True


async def _send_events(request, reply, offset, language, send) -> None:
    ended = False
    with translation.override(language):
        async for text in reply_events(request, reply, offset):
            # 마지막 프레임이 응답을 닫는다 (빈 끝 조각을 따로 쓰지 않는다)
            ended = isinstance(text, LastFrame)
            await send(
                {"type": "http.response.body", "body": text.encode(), "more_body": not ended}
            )
    if not ended:
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _disconnected(receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
