"""Django, asgiref, OpenAI SDK, httpx2, aiohttp, redis-py, markdown-it-py의 공개 API를 비켜 가는 곳마다 하나씩 거는 줄 (tripwire).

대부분 속도를 위해 비켜 간다. 라이브러리를 올리면서 우리가 기대는 내부가 옮겨지거나 달리 움직이면 여기서 먼저,
어느 판이 무엇을 옮겼는지와 볼 파일을 말하며 실패한다: 깨진 채 배포되어 교실에서 스트림이 멈추기 전에.
목록과 각 자리가 사는 값, 올릴 때 볼 것은 docs/architecture.md의 마지막 절에 있다.
서버를 띄우지 않는다: 필요한 것은 루프백의 작은 asyncio 서버 하나뿐이라 빨리 끝난다.
"""

import asyncio
import inspect
import io
import json
import os
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from importlib.metadata import version
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.exceptions import RequestAborted
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils.functional import cached_property

DOC = "see docs/architecture.md 'Where we step around Django and the SDK'"

# 이 줄들이 마지막으로 확인한 판 (requirements.txt). 올린 판에서 모두 통과하면 여기도 올린다.
CHECKED = {
    "Django": "6.1.3",
    "asgiref": "3.13.0",
    "openai": "3.54.0",
    "httpx2": "2.17.0",
    "aiohttp": "3.14.5",
    "redis": "8.1.0",
    "markdown-it-py": "4.3.0",
}

# 비켜 가는 곳이 사는 파일. 옮기면 여기와 문서를 함께 고친다.
ASGI = "chatproject/asgi.py (SyncChainASGIHandler)"
LIGHT_ENTRY = "chat/streams.py (serve, session_user) and STREAM_FAST_PATH in chatproject/asgi.py"
JOB_LOOP = "chat/generation.py (_event_loop)"
TRANSPORT = "chat/llm/transport.py (_body, _aiohttp_body, _paced)"
SDK_REQUEST = "chat/llm/ (stream_reply: messages through extra_body)"
ROWS = "core/rows.py, accounts/usage.py, chat/context.py, core/cache.py (SQL built from Django's pieces)"
CACHE = "core/cache.py (SharedRedisCache, SharedRedisCacheClient, SharedDatabaseCache)"
REQUEST_LOG = "core/request_log.py (_LazyUserId)"
CJK_EMPHASIS = "chat/markdown_cjk.py (cjk_friendly_emphasis, delimiter_flags)"


@contextmanager
def fence(package: str, what: str, where: str):
    """안에서 무엇이든 실패하면 판과 옮겨진 것, 볼 파일을 한 줄로 말한다."""
    try:
        yield
    except Exception as error:
        pytest.fail(
            f"{package} {version(package)} moved {what}: {DOC} — check {where} "
            f"(last checked with {package} {CHECKED[package]}; {type(error).__name__}: {error})",
            pytrace=False,
        )


def parameters(function) -> list[str]:
    return list(inspect.signature(function).parameters)


def _scope(path="/chat/replies/7/stream/", query=b"", headers=()):
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


def _receiver(*messages):
    """주어진 ASGI 메시지를 차례로 주고, 그다음에는 기다리기만 한다 (연결이 열려 있는 것처럼)."""
    queue = list(messages)

    async def receive():
        if queue:
            return queue.pop(0)
        await asyncio.Event().wait()

    return receive


# ---------------------------------------------------------------- chatproject/asgi.py


def test_the_asgi_handler_still_has_what_the_sync_chain_overrides_and_calls():
    """SyncChainASGIHandler는 Django의 handle()을 다시 쓰고 그 부품을 부른다: 부품의 모양과 동작이 그대로인지."""
    from django.core.handlers import asgi as django_asgi
    from django.core.handlers.asgi import ASGIHandler, ASGIRequest

    with fence("Django", "ASGIHandler's methods", ASGI):
        assert parameters(ASGIHandler.read_body) == ["self", "receive"]
        assert parameters(ASGIHandler.create_request) == ["self", "scope", "body_file"]
        assert parameters(ASGIHandler.send_response) == ["self", "response", "send"]
        assert parameters(ASGIHandler.listen_for_disconnect) == ["self", "receive"]
        assert parameters(ASGIHandler.handle) == ["self", "scope", "receive", "send"]
        assert parameters(ASGIHandler.get_response) == ["self", "request"]
        assert parameters(ASGIHandler.load_middleware) == ["self", "is_async"]
        assert isinstance(ASGIHandler.chunk_size, int)
        assert ASGIHandler.request_class is ASGIRequest
        assert parameters(django_asgi.get_script_prefix) == ["scope"]

    with fence("Django", "the ASGIHandler constructor's load_middleware call", ASGI):
        # 우리 load_middleware(is_async=False)가 동기 체인을 짓는 것은 Django의 __init__이 그것을 부르기 때문이다
        calls = []

        class Recording(ASGIHandler):
            def load_middleware(self, is_async=False):
                calls.append(is_async)

        Recording()
        assert calls == [True]

    with fence("Django", "ASGIHandler.read_body / listen_for_disconnect", ASGI):
        handler = ASGIHandler.__new__(ASGIHandler)
        body = asyncio.run(
            handler.read_body(
                _receiver(
                    {"type": "http.request", "body": b"a=", "more_body": True},
                    {"type": "http.request", "body": b"1", "more_body": False},
                )
            )
        )
        assert body.read() == b"a=1"
        body.close()
        for method in (handler.read_body, handler.listen_for_disconnect):
            with pytest.raises(RequestAborted):
                asyncio.run(method(_receiver({"type": "http.disconnect"})))

    with fence("Django", "ASGIHandler.create_request / send_response", ASGI):
        request, error = handler.create_request(_scope(query=b"from=3"), io.BytesIO())
        assert error is None
        assert isinstance(request, ASGIRequest)
        assert request.GET["from"] == "3"
        sent = []

        async def send(message):
            sent.append(message)

        asyncio.run(handler.send_response(HttpResponse("네", status=201), send))
        assert sent[0]["type"] == "http.response.start"
        assert sent[0]["status"] == 201
        assert b"".join(message.get("body", b"") for message in sent[1:]) == "네".encode()
        assert sent[-1].get("more_body", False) is False


def test_request_threads_are_the_executor_given_to_thread_sensitive_context():
    """요청 스레드는 빌린 실행기 하나에서 돈다 (REQUEST_THREADS: 1,000명이 한꺼번에 보내도 실패 0을 만든 것)."""
    from asgiref.sync import ThreadSensitiveContext, async_to_sync, sync_to_async

    with fence("asgiref", "ThreadSensitiveContext(executor=)", ASGI):
        executor_parameter = inspect.signature(ThreadSensitiveContext).parameters["executor"]
        assert executor_parameter.kind is inspect.Parameter.KEYWORD_ONLY

        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tripwire-request")

        def inner():
            return threading.current_thread().name

        def outer():
            # 요청 스레드 안의 async_to_sync가 부르는 동기 코드도 같은 스레드로 돌아와야 한다
            async def back():
                return await sync_to_async(inner)()

            return threading.current_thread().name, async_to_sync(back)()

        async def main():
            async with ThreadSensitiveContext(executor=executor):
                return await sync_to_async(outer, thread_sensitive=True)()

        try:
            first, nested = asyncio.run(main())
        finally:
            executor.shutdown()
        assert first.startswith("tripwire-request")
        assert nested == first


# ---------------------------------------------------------------- 스트림의 가벼운 입구


def test_the_light_stream_entry_can_still_build_a_request_that_django_trusts():
    """serve는 Django 없이 ASGIRequest를 짓고 CSRF 쿠키의 비밀을 META["CSRF_COOKIE"]에 둔다:
    그 요청으로 그린 "다시 시도" 양식을 Django의 CsrfViewMiddleware가 받아야 한다."""
    from django.core.handlers.asgi import ASGIRequest
    from django.http.cookie import parse_cookie
    from django.middleware import csrf
    from django.utils.crypto import get_random_string

    with fence("Django", "django.middleware.csrf's secret constants", LIGHT_ENTRY):
        assert csrf.CSRF_SECRET_LENGTH == 32
        assert set(csrf.CSRF_ALLOWED_CHARS) >= set("aZ09")
        secret = get_random_string(csrf.CSRF_SECRET_LENGTH, csrf.CSRF_ALLOWED_CHARS)

    with fence("Django", "ASGIRequest(scope, body_file) or parse_cookie", LIGHT_ENTRY):
        cookie = f"{settings.CSRF_COOKIE_NAME}={secret}; {settings.SESSION_COOKIE_NAME}=abc"
        assert parse_cookie(cookie) == {
            settings.CSRF_COOKIE_NAME: secret,
            settings.SESSION_COOKIE_NAME: "abc",
        }
        assert parameters(ASGIRequest.__init__) == ["self", "scope", "body_file"]
        request = ASGIRequest(
            _scope(query=b"t=x", headers=[(b"cookie", cookie.encode())]), io.BytesIO()
        )
        assert request.COOKIES[settings.CSRF_COOKIE_NAME] == secret

    with fence("Django", 'request.META["CSRF_COOKIE"] (read by get_token)', LIGHT_ENTRY):
        request.META["CSRF_COOKIE"] = secret
        token = csrf.get_token(request)
        posted = RequestFactory().post(
            "/chat/replies/7/regenerate/", {"csrfmiddlewaretoken": token}
        )
        posted.COOKIES[settings.CSRF_COOKIE_NAME] = secret
        middleware = csrf.CsrfViewMiddleware(lambda request: HttpResponse())
        middleware.process_request(posted)
        assert middleware.process_view(posted, lambda request: None, (), {}) is None


class _Session(dict):
    """chat.streams._ReadOnlySession처럼 get_user가 세션을 비우거나 키를 바꾸려 하면 표시만 한다."""

    flushed = rotated = False

    def flush(self):
        self.flushed = True

    def cycle_key(self):
        self.rotated = True


@pytest.mark.django_db
def test_get_user_needs_only_the_session_of_a_stand_in_request(user):
    """session_user는 요청 대신 session 하나만 든 객체로 django.contrib.auth.get_user를 부른다 (두 입구가 함께)."""
    from django.contrib import auth

    session = _Session(
        {
            auth.SESSION_KEY: str(user.pk),
            auth.BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
            auth.HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
    )
    stale = _Session({**session, auth.HASH_SESSION_KEY: "not-the-hash"})

    with fence("Django", "auth.get_user(request) reading only request.session", LIGHT_ENTRY):
        assert auth.get_user(SimpleNamespace(session=session)) == user
        assert not session.flushed
    with fence(
        "Django", "auth.get_user's flush() of a session that no longer verifies", LIGHT_ENTRY
    ):
        assert not auth.get_user(SimpleNamespace(session=stale)).is_authenticated
        assert stale.flushed


# ---------------------------------------------------------------- 답변 작업의 이벤트 루프


def test_sync_to_async_threads_know_the_event_loop_that_called_them():
    """보내기는 요청 스레드에서 커밋되고(on_commit), 작업은 그 스레드를 부른 워커의 루프에 띄운다:
    그 루프는 asgiref가 스레드에 남기는 SyncToAsync.threadlocal.main_event_loop(와 _pid)로만 알 수 있다."""
    from asgiref.sync import SyncToAsync, ThreadSensitiveContext, sync_to_async

    def seen():
        local = SyncToAsync.threadlocal
        return getattr(local, "main_event_loop", None), getattr(local, "main_event_loop_pid", None)

    async def main():
        executor = ThreadPoolExecutor(max_workers=1)
        try:
            async with ThreadSensitiveContext(executor=executor):
                request_thread = await sync_to_async(seen)()
        finally:
            executor.shutdown()
        return asyncio.get_running_loop(), request_thread, await sync_to_async(seen)()

    with fence("asgiref", "SyncToAsync.threadlocal.main_event_loop", JOB_LOOP):
        loop, request_thread, plain = asyncio.run(main())
        assert request_thread == (loop, os.getpid())
        assert plain == (loop, os.getpid())


# ---------------------------------------------------------------- SDK의 aiohttp 전송


async def _one_sse_reply(body: bytes, requests: list, held: asyncio.Event):
    """요청 하나를 읽어 두고 정해진 SSE 본문으로 답하는 루프백 서버. 본문의 뒤 절반은 held가 풀린 뒤에 보낸다:
    다 받은 응답은 aiohttp가 연결을 곧바로 돌려주어, 흐르는 중의 모양(열린 연결)을 볼 수 없다."""

    async def handle(reader, writer):
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        requests.append(json.loads(await reader.readexactly(length)))
        half = len(body) // 2
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            + b"content-length: %d\r\n\r\n" % len(body)
            + body[:half]
        )
        await writer.drain()
        await asyncio.wait_for(held.wait(), 10)
        writer.write(body[half:])
        await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


SSE = (
    b'data: {"choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": "stop"}]}\n\n'
    b"data: [DONE]\n\n"
)


def _sdk_stream(inspect_response):
    """진짜 SDK(aiohttp 전송)로 스트림을 청하고, 열린 응답을 inspect_response(http_response, held)에 준다.
    held를 풀면 서버가 본문의 나머지를 보낸다."""
    import openai

    requests = []

    async def main():
        held = asyncio.Event()
        server = await _one_sse_reply(SSE, requests, held)
        port = server.sockets[0].getsockname()[1]
        client = openai.AsyncOpenAI(
            api_key="tripwire",
            base_url=f"http://127.0.0.1:{port}/v1",
            max_retries=0,
            http_client=openai.DefaultAioHttpClient(),
        )
        try:
            async with server:
                request = client.chat.completions.with_streaming_response.create(
                    model="m",
                    messages=[],
                    extra_body={"messages": [{"role": "user", "content": "질문"}]},
                    stream=True,
                )
                async with request as response:
                    return await inspect_response(response.http_response, held)
        finally:
            await client.close()

    return asyncio.run(main()), requests


@pytest.mark.live
def test_the_sdks_aiohttp_stream_still_hands_over_aiohttps_own_response():
    """본문을 aiohttp에서 바로 읽는 길: httpx2의 BoundAsyncStream._stream → 벤더된 AiohttpResponseStream의
    _aiohttp_response → aiohttp의 StreamReader(total_bytes, readany, is_eof)와 소켓의 pause_reading."""
    import aiohttp
    import httpx2

    with fence("openai", "openai._vendor.httpx_aiohttp.transport", TRANSPORT):
        from openai._vendor.httpx_aiohttp.transport import (
            AiohttpResponseStream,
            map_aiohttp_exceptions,
        )

    found = {}

    async def look(http_response, held):
        with fence("httpx2", "Response.stream._stream (BoundAsyncStream)", TRANSPORT):
            stream = http_response.stream._stream
        with fence("openai", "AiohttpResponseStream._aiohttp_response", TRANSPORT):
            assert isinstance(stream, AiohttpResponseStream)
            raw = stream._aiohttp_response
            assert isinstance(raw, aiohttp.ClientResponse)
        with fence("aiohttp", "ClientResponse.connection.transport", TRANSPORT):
            transport = raw.connection.transport
            transport.pause_reading()
            transport.resume_reading()
            held.set()
        with fence("aiohttp", "StreamReader.readany / total_bytes / is_eof", TRANSPORT):
            content = raw.content
            read = b""
            while block := await content.readany():
                read += block
            found["whole"] = read == SSE and content.total_bytes == len(SSE)
            found["eof"] = content.is_eof()
            assert callable(content.iter_any)

    _sdk_stream(look)
    with fence("aiohttp", "what StreamReader.readany / total_bytes / is_eof report", TRANSPORT):
        assert found == {"whole": True, "eof": True}

    with fence("openai", "map_aiohttp_exceptions (aiohttp errors as httpx2's)", TRANSPORT):
        # 읽는 쪽은 httpx2의 예외로 끊김(TransportError)과 멈춤(TimeoutException)을 가른다
        for raised, expected in (
            (aiohttp.ClientPayloadError("cut"), httpx2.TransportError),
            (aiohttp.SocketTimeoutError("stalled"), httpx2.TimeoutException),
        ):
            with pytest.raises(expected), map_aiohttp_exceptions():
                raise raised


@pytest.mark.live
def test_the_sdk_sends_messages_given_in_extra_body_in_place_of_its_own():
    """stream_reply는 messages=[]를 주고 진짜 메시지는 extra_body로 보낸다 (SDK가 메시지를 다시 짓는 값을 건너뛴다)."""

    async def read(http_response, held):
        held.set()
        return await http_response.aread()

    (_, requests) = _sdk_stream(read)

    with fence("openai", "how extra_body merges into the request body", SDK_REQUEST):
        assert requests[0]["messages"] == [{"role": "user", "content": "질문"}]
        assert requests[0]["stream"] is True


# ---------------------------------------------------------------- SQL을 직접 짓는 곳


def test_the_backend_pieces_that_rows_builds_its_sql_from():
    """core/rows.py는 ORM의 이름과 변환을 쓴다: quote_name, 필드의 col과 변환기, 정수 범위, 날짜 변환, _state.
    값이 ORM과 같은지는 tests/test_site_rows.py가 모든 필드로 본다."""
    from chat.models import Message

    ops = connection.ops
    with fence("Django", "DatabaseOperations (connection.ops) methods", ROWS):
        assert parameters(ops.quote_name) == ["name"]
        assert parameters(ops.get_db_converters) == ["expression"]
        assert parameters(ops.integer_field_range) == ["internal_type"]
        assert parameters(ops.adapt_datefield_value) == ["value"]
        assert parameters(ops.adapt_datetimefield_value) == ["value"]
        assert isinstance(ops.integer_field_ranges, Mapping)
        low, high = ops.integer_field_range("BigAutoField")
        assert low < 0 < 2**62 < high
        assert isinstance(connection.features.can_return_rows_from_bulk_insert, bool)
        assert isinstance(connection.features.has_select_for_update, bool)

    with fence("Django", "Field.get_col / Field.get_db_converters / the converter protocol", ROWS):
        for field in Message._meta.concrete_fields:
            expression = field.get_col(Message._meta.db_table)
            for function in ops.get_db_converters(expression) + field.get_db_converters(connection):
                inspect.signature(function).bind(None, expression, connection)

    with fence("Django", "Model.from_db or Model._state", ROWS):
        assert parameters(Message.from_db)[:3] == ["db", "field_names", "values"]
        state = Message()._state
        assert state.adding is True
        assert hasattr(state, "db")


# ---------------------------------------------------------------- 캐시


def test_the_redis_and_database_cache_internals_our_caches_replace():
    """SharedRedisCache는 RedisCache._cache를 바꿔 끼워 프로세스가 클라이언트 하나를 함께 쓰고,
    SharedDatabaseCache의 add와 incr은 Django의 표와 값 모양으로 SQL을 직접 쓴다."""
    import redis
    from django.core.cache.backends.db import DatabaseCache
    from django.core.cache.backends.redis import RedisCache, RedisCacheClient

    with fence("Django", "RedisCache._cache / _servers / _options", CACHE):
        assert isinstance(RedisCache.__dict__["_cache"], cached_property)
        cache = RedisCache("redis://127.0.0.1:6379/0", {"OPTIONS": {"db": 0}})
        assert cache._servers == ["redis://127.0.0.1:6379/0"]
        assert cache._options == {"db": 0}

    with fence("Django", "RedisCache talking to its client only through _cache", CACHE):
        calls = []
        fake = SimpleNamespace(get=lambda key, default: calls.append(key) or default)

        class Replaced(RedisCache):
            _cache = fake

        assert Replaced("redis://127.0.0.1:6379/0", {}).get("k", "none") == "none"
        assert calls == [":1:k"]

    with fence("Django", "RedisCacheClient._get_connection_pool / _client / get_client", CACHE):
        client = RedisCacheClient(["redis://127.0.0.1:6379/0"])
        assert client._client is redis.Redis
        # 풀은 연결하지 않고 만들어진다
        assert isinstance(client._get_connection_pool(False), redis.ConnectionPool)
        assert parameters(RedisCacheClient.get_client) == ["self", "key", "write"]
        sets = []

        class Recording(RedisCacheClient):
            def get_client(self, key=None, *, write=False):
                return SimpleNamespace(set=lambda *args, **kwargs: sets.append(write) or True)

        assert Recording(["redis://127.0.0.1:6379/0"]).add("k", 1, 10)
        assert sets == [True]

    with fence("Django", "DatabaseCache._table or its helpers", CACHE):
        database_cache = DatabaseCache("daehwa_cache", {})
        assert database_cache._table == "daehwa_cache"
        assert database_cache.cache_model_class._meta.db_table == "daehwa_cache"
        assert isinstance(database_cache.pickle_protocol, int)
        assert callable(database_cache.get_backend_timeout)
        assert callable(database_cache.make_and_validate_key)

    with fence("Django", "createcachetable's columns (cache_key, value, expires)", CACHE):
        from django.core.management.commands import createcachetable

        source = inspect.getsource(createcachetable.Command.create_table)
        for column in ('name="cache_key"', 'name="value"', 'name="expires"'):
            assert column in source


# ---------------------------------------------------------------- 로그의 사용자 번호


def test_authentication_middleware_caches_the_user_where_the_log_looks():
    """로그 줄의 사용자 번호는 이미 읽힌 사용자만 쓴다 (request._cached_user, _acached_user): 로그가 DB를 부르지 않게."""
    from django.contrib.auth import middleware
    from django.contrib.sessions.backends.signed_cookies import SessionStore

    request = RequestFactory().get("/")
    request.session = SessionStore()

    with fence("Django", "request._cached_user (AuthenticationMiddleware's cache)", REQUEST_LOG):
        user = middleware.get_user(request)
        assert request._cached_user is user
    with fence("Django", "request._acached_user (AuthenticationMiddleware's cache)", REQUEST_LOG):
        user = asyncio.run(middleware.auser(request))
        assert request._acached_user is user


# ---------------------------------------------------------------- 강조 규칙의 CJK 수정안


def test_the_emphasis_rules_whose_delimiter_flags_the_cjk_amendment_rewrites():
    """CJK 수정안은 markdown-it-py의 강조·취소선 규칙을 부른 뒤, 그 규칙이 쌓은 구분자의 open/close만 바꾼다."""
    from markdown_it import MarkdownIt
    from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace
    from markdown_it.rules_inline import StateInline, emphasis, strikethrough

    from chat.markdown_cjk import cjk_friendly_emphasis

    md = MarkdownIt("commonmark").enable("strikethrough")
    with fence("markdown-it-py", "the inline rules the CJK amendment wraps", CJK_EMPHASIS):
        rules = {rule.name: rule.fn for rule in md.inline.ruler.__rules__}
        assert rules["emphasis"] is emphasis.tokenize
        assert rules["strikethrough"] is strikethrough.tokenize
        # 짝짓기는 뒤처리(ruler2)가 구분자의 open/close를 읽어서 한다: 그사이에 다시 정하는 곳이 없어야 한다
        assert {"emphasis", "strikethrough"} <= {rule.name for rule in md.inline.ruler2.__rules__}

    with fence("markdown-it-py", "the delimiters an emphasis rule pushes", CJK_EMPHASIS):
        for tokenize, text in ((emphasis.tokenize, "**x"), (strikethrough.tokenize, "~~x")):
            state = StateInline(text, md, {}, [])
            assert tokenize(state, False) is True
            assert state.pos == 2
            assert state.delimiters
            assert all((d.open, d.close) == (True, False) for d in state.delimiters)

    with fence("markdown-it-py", "the character classes the CJK amendment reads", CJK_EMPHASIS):
        assert isWhiteSpace(0x20)
        assert isWhiteSpace(0x3000)
        assert isMdAsciiPunct(ord(")"))
        assert isPunctChar("」")
        assert not isPunctChar("가")

    with fence("markdown-it-py", "where emphasis flags are decided", CJK_EMPHASIS):
        amended = MarkdownIt("commonmark").enable("strikethrough").use(cjk_friendly_emphasis)
        assert amended.renderInline("**리스트(list)**는") == "<strong>리스트(list)</strong>는"
        assert amended.renderInline("~~지운 글(deleted)~~은") == "<s>지운 글(deleted)</s>은"
