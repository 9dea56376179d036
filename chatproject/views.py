"""사이트 전체에 걸친 화면: 상태 점검, 파비콘, 500 오류 페이지."""

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponseBadRequest, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect
from django.template import loader
from django.templatetags.static import static
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)

HEALTH_CACHE_KEY = "healthz"


def _database_ok():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("healthz: database unreachable")
        return False


def _cache_ok():
    try:
        cache.set(HEALTH_CACHE_KEY, "ok", timeout=10)
        return cache.get(HEALTH_CACHE_KEY) == "ok"
    except Exception:
        logger.exception("healthz: cache unreachable")
        return False


@method_decorator([login_not_required, never_cache], name="dispatch")
class HealthView(View):
    """로드 밸런서와 운영자를 위한 점검: 무엇이 죽었는지 이름으로 알려준다."""

    def get(self, request):
        checks = {"database": _database_ok(), "cache": _cache_ok()}
        healthy = all(checks.values())
        body = {name: "ok" if ok else "error" for name, ok in checks.items()}
        body["status"] = "ok" if healthy else "error"
        return JsonResponse(body, status=200 if healthy else 503)


@login_not_required
def favicon(request):
    # /favicon.ico를 찾는 브라우저에게도 아이콘을 준다. 해시된 이름은 배포마다 바뀌니 임시 이동
    return redirect(static("favicon.svg"), permanent=False)


def bad_request(request, exception):
    """400 페이지. Django 기본값은 CSRF 검사를 다시 돌려, UTF-8이 아닌 양식처럼 본문 때문에 거절된
    요청에서는 본문을 또 읽다가 500이 된다. 요청 컨텍스트 없이 그린다."""
    template = loader.get_template("400.html")
    return HttpResponseBadRequest(template.render({"SITE_NAME": settings.SITE_NAME}))


def server_error(request):
    """500 페이지는 요청 컨텍스트 없이 그린다: DB나 세션이 원인일 수 있어서다."""
    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render({"SITE_NAME": settings.SITE_NAME}))
