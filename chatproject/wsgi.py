"""WSGI 입구: 스트리밍이 버퍼링되므로 운영은 asgi.py를 쓴다. 도구 호환용으로만 둔다."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatproject.settings")

application = get_wsgi_application()
