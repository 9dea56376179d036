"""ASGI 입구: gunicorn의 uvicorn 워커와 make dev의 uvicorn이 이것을 띄운다.

미들웨어는 한 스레드에서 한 번에 돈다 (SyncChainASGIHandler). Django의 비동기 미들웨어 체인은 Django 자신의
미들웨어까지 process_request/process_response마다 스레드를 오가서, 채팅 한 번에 40번쯤 건너 CPU의 4분의 1을
썼다. 동기 체인은 요청마다 한 번 건넌다: 세션, 사용자, CSRF, 뷰의 DB 읽기가 모두 그 스레드에서 돈다.
비동기 뷰(답변 스트림)는 그 안에서 이벤트 루프로 돌아가고, 돌려준 스트림은 루프에서 흐른다.

Django는 ASGI lifespan을 다루지 않아 여기서 받는다: 워커가 정상 종료할 때 도는 답변 작업을 마무리한다.
"""

import os
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.asgi import get_asgi_application
from django.core.handlers.asgi import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatproject.settings")


# 요청이 끝난 스레드를 이만큼 남겨 두었다가 다음 요청에 쓴다
IDLE_REQUEST_THREADS = 32
_idle_executors: list[ThreadPoolExecutor] = []


class SyncChainASGIHandler(ASGIHandler):
    """ASGI 요청을 동기 미들웨어 체인으로: 요청마다 스레드를 한 번만 건넌다.

    요청의 스레드는 새로 만들지 않고 빌려 쓴다. Django는 요청마다 스레드를 만들고 끝에 닫는데, 채팅 한 번(보내기와
    스트림)에 그 값이 CPU의 몇 %였다. 한 요청은 여전히 자기 스레드 하나에서 돈다.
    """

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        executor = (
            _idle_executors.pop()
            if _idle_executors
            else ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")
        )
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            if len(_idle_executors) < IDLE_REQUEST_THREADS:
                _idle_executors.append(executor)
            else:
                executor.shutdown(wait=False)

    async def get_response_async(self, request):
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)


get_asgi_application()  # django.setup()
django_application = SyncChainASGIHandler()


async def application(scope, receive, send):
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
    else:
        await django_application(scope, receive, send)


async def lifespan(receive, send):
    from django.conf import settings

    from chat import jobs

    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            # 연결이 다 닫힌 뒤에 온다: 보는 사람이 없는 답변도 끝까지 만들거나 중단으로 저장한다
            await jobs.drain(settings.REPLY_SHUTDOWN_SECONDS)
            await send({"type": "lifespan.shutdown.complete"})
            return
