"""chat.streams의 표: 누구의 어느 답변, 어느 세션의 것인지. 표가 맞을 때만 가벼운 입구가 받는다."""

import asyncio
from urllib.parse import parse_qs

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory

from accounts.models import User
from chat import streams
from chat.services import conversation_start
from chat.streams import access, entrance


@pytest.fixture
def reply(user):
    return conversation_start(user=user, content="질문", model="daehwa-demo")


def _request(user, session_key="session-one"):
    request = RequestFactory().get("/")
    request.user = user
    request.session = SessionStore(session_key=session_key)
    return request


def _token(url):
    # 가벼운 입구처럼 주소의 질의를 푼다
    return parse_qs(url.split("?", 1)[1])["t"][0]


def test_the_owners_page_gets_a_token_for_that_reply_and_session(user, reply):
    url = streams.stream_url(reply, _request(user))

    assert url.startswith(f"/chat/replies/{reply.pk}/stream/?t=")
    assert entrance._user_id(_token(url), reply.pk, "session-one") == user.pk


@pytest.mark.parametrize(
    ("reply_offset", "session_key"),
    [(1, "session-one"), (0, "session-two"), (0, None)],
    ids=["another reply", "another session", "no session cookie"],
)
def test_a_token_is_refused_for_anything_else(user, reply, reply_offset, session_key):
    token = _token(streams.stream_url(reply, _request(user)))

    assert entrance._user_id(token, reply.pk + reply_offset, session_key) is None


def test_a_tampered_or_expired_token_is_refused(user, reply, monkeypatch):
    token = _token(streams.stream_url(reply, _request(user)))

    assert entrance._user_id(token[:-2] + "xx", reply.pk, "session-one") is None
    monkeypatch.setattr(entrance, "TOKEN_SECONDS", -1)
    assert entrance._user_id(token, reply.pk, "session-one") is None


def test_no_token_without_a_logged_in_session(user, reply):
    from django.contrib.auth.models import AnonymousUser

    assert "t=" not in streams.stream_url(reply, _request(AnonymousUser()))
    assert "t=" not in streams.stream_url(reply, _request(user, session_key=None))
    assert streams.stream_url(reply) == f"/chat/replies/{reply.pk}/stream/"


def test_text_already_on_the_page_is_counted_in_from(user, reply):
    reply.content = "이미 보인 글"

    assert streams.stream_url(reply).endswith(f"?from={len('이미 보인 글')}")


@pytest.mark.parametrize(
    ("method", "path", "handled"),
    [
        ("GET", "/chat/replies/12/stream/", True),
        ("POST", "/chat/replies/12/stream/", False),
        ("GET", "/chat/replies/12/stop/", False),
    ],
)
def test_only_stream_requests_go_to_the_light_entry(method, path, handled):
    assert streams.is_stream({"method": method, "path": path}) is handled


@pytest.fixture
def generating(reply, monkeypatch):
    """이 워커에서 끝나지 않는 생성: 스트림은 메모리로 따라가며 열려 있다."""
    from chat.feed import memory

    writer = memory.Writer(reply.pk, reply.attempt, None, loop=asyncio.new_event_loop())
    writer.claimed = True
    monkeypatch.setitem(memory._writers, reply.pk, writer)
    yield writer
    writer.loop.close()


def _scope(url, session_key, csrf):
    path, query = url.split("?", 1)
    cookie = f"sessionid={session_key}; csrftoken={csrf}"
    return {
        "type": "http",
        "method": "GET",
        "path": path,
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(b"cookie", cookie.encode())],
    }


def test_a_stream_that_cannot_be_sent_is_logged_not_swallowed(
    client, user, reply, generating, caplog
):
    from asgiref.sync import async_to_sync

    scope = _logged_in_scope(client, user, reply)
    sent = []

    async def send(message):
        sent.append(message["type"])
        if message["type"] == "http.response.body":
            raise OSError("the socket is gone")

    handled = async_to_sync(streams.serve)(scope, _never, send)

    assert handled is True
    assert sent == ["http.response.start", "http.response.body"]
    assert "failed to send" in caplog.text


def test_the_final_picture_and_done_leave_together_in_the_last_frame(user, reply):
    from asgiref.sync import async_to_sync

    from chat.models import Message

    Message.objects.filter(pk=reply.pk).update(
        status="done", content="끝", rendered_html="<p>끝</p>"
    )
    finished = streams.owned_reply(reply.pk, user)
    request = RequestFactory().get("/")
    request.META["CSRF_COOKIE"] = "a" * 32

    async def collect():
        return [frame async for frame in streams.reply_events(request, finished, 0)]

    frames = async_to_sync(collect)()

    assert isinstance(frames[-1], streams.LastFrame)
    assert "event: reply" in frames[-1]
    assert frames[-1].endswith("event: done\ndata: \n\n")
    assert not any(isinstance(frame, streams.LastFrame) for frame in frames[:-1])


def test_the_light_entry_closes_the_response_with_the_last_frame(monkeypatch):
    import asyncio

    async def frames(request, reply, offset):
        yield ": connected\n\n"
        # 모델의 글이 done 프레임처럼 보여도 응답을 닫지 않는다: 닫는 것은 LastFrame뿐이다
        yield "event: token\ndata: event: done\ndata: \n\n"
        yield streams.LastFrame("event: done\ndata: \n\n")

    monkeypatch.setattr(entrance, "reply_events", frames)
    sent = []

    async def send(message):
        sent.append((message["body"][:12], message["more_body"]))

    asyncio.run(entrance._send_events(None, None, 0, "ko", send))

    assert sent == [(b": connected\n", True), (b"event: token", True), (b"event: done\n", False)]


# ---------------------------------------------------------------- 받을 자격: Django의 입구와 같은 규칙


def _log_out(client, user, reply):
    client.logout()


def _change_password(client, user, reply):
    # 다른 곳에서 비밀번호를 바꾸면 이 세션의 지문이 맞지 않는다
    user.set_password("a-brand-new-password-77")
    user.save()


def _deactivate(client, user, reply):
    user.is_active = False
    user.save()


def _hide(client, user, reply):
    from chat.models import Conversation

    Conversation.objects.filter(pk=reply.conversation_id).update(is_hidden=True)


def _delete(client, user, reply):
    reply.conversation.delete()


REVOCATIONS = pytest.mark.parametrize(
    "revoke",
    [_log_out, _change_password, _deactivate, _hide, _delete],
    ids=["logged out", "password changed", "deactivated", "hidden", "deleted"],
)


def _logged_in_scope(client, user, reply):
    """브라우저처럼: 진짜 로그인 세션, 그 세션으로 만든 표가 붙은 주소, CSRF 쿠키."""
    client.force_login(user)
    session_key = client.session.session_key
    url = streams.stream_url(reply, _request(user, session_key=session_key))
    return _scope(url, session_key, "a" * 32)


async def _never(*args):
    await asyncio.sleep(30)


@REVOCATIONS
def test_the_light_entry_refuses_a_session_that_django_would_refuse(
    client, user, reply, revoke, generating
):
    from asgiref.sync import async_to_sync

    # 답변이 이 워커에서 생성되는 중이어도
    scope = _logged_in_scope(client, user, reply)
    revoke(client, user, reply)
    sent = []

    async def send(message):
        sent.append(message)

    # 아무것도 보내지 않고 Django의 입구(로그인 화면이나 404)에 넘긴다
    assert async_to_sync(streams.serve)(scope, _never, send) is False
    assert sent == []


def test_the_light_entry_serves_the_owner_with_a_live_session(client, user, reply, monkeypatch):
    from asgiref.sync import async_to_sync

    from chat.models import Message

    scope = _logged_in_scope(client, user, reply)
    Message.objects.filter(pk=reply.pk).update(
        status="done", content="끝", rendered_html="<p>끝</p>"
    )
    sent = []

    async def send(message):
        sent.append(message)

    assert async_to_sync(streams.serve)(scope, _never, send) is True
    assert b"event: reply" in sent[-1]["body"]


@REVOCATIONS
def test_an_open_light_stream_ends_with_done_when_its_access_is_lost(
    client, user, reply, revoke, generating, monkeypatch
):
    from asgiref.sync import async_to_sync, sync_to_async

    monkeypatch.setattr(access, "ACCESS_CHECK_SECONDS", 0.05)
    # 끝나지 않는 생성: 자격을 잃지 않으면 스트림은 열려 있다
    scope = _logged_in_scope(client, user, reply)
    sent = []
    first_frame = asyncio.Event()

    async def send(message):
        sent.append(message)
        if message["type"] == "http.response.body":
            first_frame.set()

    async def run():
        serving = asyncio.create_task(streams.serve(scope, _never, send))
        await first_frame.wait()
        await sync_to_async(revoke)(client, user, reply)
        async with asyncio.timeout(5):
            return await serving

    assert async_to_sync(run)() is True
    assert sent[-1] == {
        "type": "http.response.body",
        "body": b"event: done\ndata: \n\n",
        "more_body": False,
    }
    assert not any(b"event: reply" in message.get("body", b"") for message in sent)


@REVOCATIONS
def test_an_open_django_stream_ends_with_done_when_its_access_is_lost(
    client, user, reply, revoke, monkeypatch
):
    from asgiref.sync import async_to_sync, sync_to_async

    monkeypatch.setattr(access, "ACCESS_CHECK_SECONDS", 0.05)
    client.force_login(user)
    session_key = client.session.session_key

    async def frames():
        yield ": connected\n\n"
        await asyncio.sleep(30)
        yield "never"

    async def run():
        # 요청이 읽은 사람은 따로인 객체다 (시험이 바꾸는 user와 같은 객체면 비밀번호 변경이 보이지 않는다)
        viewer = await User.objects.aget(pk=user.pk)
        stream = streams.until_access_lost(frames(), session_key, viewer, reply.conversation_id)
        seen = [await anext(stream)]
        await sync_to_async(revoke)(client, user, reply)
        async with asyncio.timeout(5):
            seen += [frame async for frame in stream]
        return seen

    seen = async_to_sync(run)()

    assert seen == [": connected\n\n", "event: done\ndata: \n\n"]
    assert isinstance(seen[-1], streams.LastFrame)


def test_open_streams_are_checked_together_in_two_queries(
    client, user, other_user, django_assert_max_num_queries
):
    """스트림이 몇 개든 다시 확인은 질의 둘(사람들, 대화들)이다: 스트림마다 읽으면 천 개가 초당 삼천 번 읽었다."""
    from chat.models import Conversation

    client.force_login(user)
    session_key = client.session.session_key
    conversations = [
        Conversation.objects.create(owner=user, title=f"대화 {n}", model="m") for n in range(5)
    ]
    viewer = User.objects.get(pk=user.pk)
    watches = [
        access._Watch(session_key, viewer, conversation.pk, None) for conversation in conversations
    ]
    # 남의 대화를 따라가는 스트림은 처음부터 받아들여지지 않지만, 섞여 있어도 잃은 것으로 나온다
    stranger = access._Watch(
        session_key,
        viewer,
        Conversation.objects.create(owner=other_user, title="남", model="m").pk,
        None,
    )

    with django_assert_max_num_queries(2):
        assert access._lost(watches) == []

    Conversation.objects.filter(pk=conversations[2].pk).update(is_hidden=True)
    assert access._lost([*watches, stranger]) == [watches[2], stranger]
