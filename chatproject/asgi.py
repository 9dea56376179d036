"""ASGI 입구: gunicorn의 uvicorn 워커와 make dev의 uvicorn이 이것을 띄운다.

미들웨어는 한 스레드에서 한 번에 돈다 (SyncChainASGIHandler). Django의 비동기 미들웨어 체인은 Django 자신의
미들웨어까지 process_request/process_response마다 스레드를 오가서, 채팅 한 번의 CPU에서 큰 몫이었다
(docs/architecture.md "Django와 SDK를 비켜 가는 곳" 1). 동기 체인은 요청마다 한 번 건넌다: 세션, 사용자, CSRF,
뷰의 DB 읽기가 모두 그 스레드에서 돈다.
비동기 뷰(답변 스트림)는 그 안에서 이벤트 루프로 돌아가고, 돌려준 스트림은 루프에서 흐른다.
서명한 표가 붙은 답변 스트림은 그마저 건너뛰고 chat.streams.serve가 바로 받는다 (STREAM_FAST_PATH가 끄면
Django의 ReplyStreamView가 받는다).

Django는 ASGI lifespan을 다루지 않아 여기서 받는다: 워커가 정상 종료할 때 도는 답변 작업을 마무리한다.
"""

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.asgi import get_asgi_application
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse
from django.urls import set_script_prefix

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatproject.settings")


# 동시에 도는 요청 스레드의 수. 넘치는 요청은 루프에서 차례를 기다린다 (먼저 온 순서로).
# 한꺼번에 천 명이 보내면 스레드 천 개가 GIL과 SQLite 쓰기 잠금을 다투었다: 잠금을 쥔 스레드가 GIL을 거의 못 얻어
# 20초 넘게 기다린 보내기가 거절되었다. 답변 스트림은 스레드를 쥐지 않으므로 이 수에 묶이지 않는다.
REQUEST_THREADS = 32
# 요청이 끝난 스레드를 남겨 두었다가 다음 요청에 쓴다
_idle_executors: list[ThreadPoolExecutor] = []
# 이벤트 루프마다 하나 (asyncio.Semaphore는 처음 쓴 루프에 묶인다)
_request_slots: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}
# 열린 스트림들이 함께 쓰는 스레드: 스트림마다 스레드를 쥐지 않고, 답변 작업의 스레드 뒤에 줄 서지도 않는다.
# 스트림의 DB 호출은 하나하나가 따로 끝나므로(연결도 돌려준다) 어느 스레드에서 돌아도 된다.
STREAM_THREADS = 4
_stream_executor = ThreadPoolExecutor(max_workers=STREAM_THREADS, thread_name_prefix="stream")


class SyncChainASGIHandler(ASGIHandler):
    """ASGI 요청을 동기 미들웨어 체인으로: 요청마다 스레드를 한 번만 건넌다.

    Django의 handle()은 요청 시작 신호, 응답 만들기, 응답 닫기에 한 번씩 세 번 건넌다. 여기서는 한 번에 한다:
    평범한 응답은 그 스레드에서 닫고(본문은 이미 다 있다) 보내고, 스트림만 끝난 뒤 한 번 더 건너 닫는다.
    요청의 스레드는 새로 만들지 않고 빌려 쓰고, 건너는 동안만 쥔다: 열린 스트림이 스레드를 붙잡지 않는다.
    """

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)

    async def handle(self, scope, receive, send):
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        with closing(body_file):
            set_script_prefix(get_script_prefix(scope))
            response = None
            try:
                try:
                    # 연결이 끊기면 RequestAborted가 응답 보내기를 멈춘다 (Django의 handle()과 같다)
                    async with asyncio.TaskGroup() as group:
                        group.create_task(self.listen_for_disconnect(receive))
                        response = await _in_request_thread(self._respond, scope, body_file)
                        if response.streaming:
                            # 스트림이 흐르는 동안의 DB 읽기(chat.database.in_thread)는 작은 공용 풀에서
                            async with ThreadSensitiveContext(executor=_stream_executor):
                                await self.send_response(response, send)
                        else:
                            await self.send_response(response, send)
                        raise _Processed
                except* (_Processed, RequestAborted):
                    pass
            except BaseExceptionGroup as group_error:
                if len(group_error.exceptions) == 1:
                    raise group_error.exceptions[0] from None
                raise
            if response is None:
                await signals.request_finished.asend(sender=self.__class__)
            elif response.streaming:
                await _in_request_thread(response.close)

    def _respond(self, scope, body_file):
        """스레드에서 한 번에: 시작 신호, 요청, 응답, 그리고 스트림이 아니면 닫기 (끝 신호, 연결 돌려주기)."""
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
        if not response.streaming:
            response.close()
        return response


class _Processed(Exception):
    pass


def _slots() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    slots = _request_slots.get(loop)
    if slots is None:
        for old in [old for old in _request_slots if old.is_closed()]:
            del _request_slots[old]
        slots = _request_slots[loop] = asyncio.Semaphore(REQUEST_THREADS)
    return slots


async def _in_request_thread(func, *args):
    """빌린 스레드 하나에서 func를 돈다. 그 안의 async_to_sync가 부르는 동기 코드도 같은 스레드로 온다."""
    async with _slots():
        executor = (
            _idle_executors.pop()
            if _idle_executors
            else ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")
        )
        try:
            async with ThreadSensitiveContext(executor=executor):
                return await sync_to_async(func, thread_sensitive=True)(*args)
        finally:
            if len(_idle_executors) < REQUEST_THREADS:
                _idle_executors.append(executor)
            else:
                executor.shutdown(wait=False)


get_asgi_application()  # django.setup()
django_application = SyncChainASGIHandler()


from chat import streams  # noqa: E402 - django.setup() 뒤에


async def application(scope, receive, send):
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
    elif scope["type"] == "http" and settings.STREAM_FAST_PATH and streams.is_stream(scope):
        # 표가 맞는 답변 스트림은 Django의 요청 처리를 거치지 않는다. 아니면 Django의 ReplyStreamView가 받는다.
        # 설정은 요청마다 읽는다 (한 번 읽은 뒤로는 속성 하나): 테스트가 바꿀 수 있게
        async with ThreadSensitiveContext(executor=_stream_executor):
            if await streams.serve(scope, receive, send):
                return
        await django_application(scope, receive, send)
    else:
        await django_application(scope, receive, send)


async def lifespan(receive, send):
    from django.conf import settings

    from chat import generation

    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            # 연결이 다 닫힌 뒤에 온다: 보는 사람이 없는 답변도 끝까지 만들거나 중단으로 저장한다
            await generation.drain(settings.REPLY_SHUTDOWN_SECONDS)
            await send({"type": "lifespan.shutdown.complete"})
            return
