"""ASGI 입구: gunicorn의 uvicorn 워커와 make dev의 uvicorn이 이것을 띄운다."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatproject.settings")

application = get_asgi_application()
