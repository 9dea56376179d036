"""가벼운 입구: 서명한 표(t=)가 맞는 스트림 요청을 Django의 요청 처리 없이 받는다 (STREAM_FAST_PATH).

보내기의 응답과 대화 화면은 스트림 주소에 표를 붙인다: 답변 번호, 주인, 세션 쿠키의 지문, 만든 시각.
표가 맞으면 chatproject.asgi가 요청을 serve()로 보낸다: 미들웨어와 요청 스레드를 건너뛴다. 표가 없거나 맞지
않으면(만료, 로그아웃해 바뀐 세션, 다른 답변) Django의 ReplyStreamView가 평소대로 답한다. 표는 누가 받을 수
있는지를 대신하지 않는다: 두 입구 모두 chat.streams.access의 같은 규칙을 묻는다.
"""

import asyncio
import hashlib
import io
import logging
import uuid
from functools import cache
from urllib.parse import parse_qs, urlencode

from django.conf import settings
from django.core import signing
from django.core.handlers.asgi import ASGIRequest
from django.http.cookie import parse_cookie
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.urls import reverse
from django.utils import translation

from accounts.middleware import chosen_language
from chat import reasoning
from chat.database import in_thread
from chat.models import Message
from chat.streams.access import access_lost, owned_reply, session_user
from chat.streams.frames import HEADERS, LastFrame, positive_int, reply_events, sse, sse_start
from core import request_log

logger = logging.getLogger(__name__)

# 표의 수명: 열어 둔 탭의 EventSource가 다시 연결할 때도 쓴다. 지나면 Django의 입구가 세션으로 답한다.
TOKEN_SECONDS = 6 * 60 * 60
_SALT = "chat.streams"
# 주소의 모양을 chat/urls.py에서 얻으려고 넣어 보는 번호
_PROBE = 987654321


@cache
def _path_shape() -> tuple[str, str]:
    """스트림 주소의 앞과 뒤: chat/urls.py의 chat:reply-stream이 유일한 정의다."""
    prefix, suffix = reverse("chat:reply-stream", args=[_PROBE]).split(str(_PROBE))
    return prefix, suffix


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


def is_stream(scope) -> bool:
    prefix, suffix = _path_shape()
    path = scope["path"]
    return scope["method"] == "GET" and path.startswith(prefix) and path.endswith(suffix)


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
    prefix, suffix = _path_shape()
    reply_id = positive_int(scope["path"][len(prefix) : -len(suffix)])
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
    offset = sse_start(headers.get("last-event-id", ""), query.get("from", [""])[0])
    # Django의 입구에서는 SecurityMiddleware와 요청 로그가 더하는 머리를 여기서 같이 싣는다
    extra = [("X-Content-Type-Options", "nosniff"), ("X-Request-ID", request_log.request_id.get())]
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (name.lower().encode(), value.encode()) for name, value in (*HEADERS, *extra)
            ],
        }
    )
    body = asyncio.create_task(_send_events(request, reply, offset, language, send))
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
