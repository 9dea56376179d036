"""ASGI 입구: gunicorn의 uvicorn 워커와 make dev의 uvicorn이 이것을 띄운다.

Django는 ASGI lifespan을 다루지 않아 여기서 받는다: 워커가 정상 종료할 때 도는 답변 작업을 마무리한다.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatproject.settings")

django_application = get_asgi_application()


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
