"""사이트 전체에 걸친 화면: 상태 점검, 파비콘, 500과 503 오류 페이지."""

import logging
import sys

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.db import InterfaceError, OperationalError, connection
from django.http import (
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseServerError,
    JsonResponse,
)
from django.shortcuts import redirect
from django.template import loader
from django.templatetags.static import static
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
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
    요청에서는 본문을 또 읽다가 500이 된다. 요청 컨텍스트 없이 그린다.

    사람이 할 수 있는 것(파일을 백 개 넘게 고르기, 아주 긴 글 붙여 넣기)은 무엇이 틀렸는지 말한다: 양식의 거절
    문장까지 가기 전에 Django가 본문을 읽다가 멈춘 경우다."""
    if isinstance(exception, TooManyFilesSent):
        message = _(
            "You picked too many files at once: a message carries at most %(count)s. Go back, remove some and send again."
        ) % {"count": settings.ATTACHMENT_MAX_FILES}
    elif isinstance(exception, RequestDataTooBig):
        message = _(
            "What you sent is too large for the server. Go back and send a shorter text, or attach it as a file."
        )
    else:
        message = ""
    template = loader.get_template("400.html")
    return HttpResponseBadRequest(
        template.render({"SITE_NAME": settings.SITE_NAME, "message": message})
    )


def server_error(request):
    """500 페이지는 요청 컨텍스트 없이 그린다: DB나 세션이 원인일 수 있어서다.

    DB나 Redis에 잠깐 닿지 못한 것(재시작, 끊긴 연결)은 우리 결함이 아니라 잠깐의 멈춤이다: 503과 "잠시 뒤
    다시"로 답하고, 보내던 글은 다시 보낼 양식에 그대로 돌려준다. 트랜잭션은 되돌려져 아무것도 저장되지 않았다.
    """
    if is_outage(sys.exception()):
        return service_unavailable(request)
    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render({"SITE_NAME": settings.SITE_NAME}))


# 이만큼 뒤에 다시 해 보라고 알린다 (Retry-After): DB와 Redis의 재시작은 대개 몇 초다
OUTAGE_RETRY_SECONDS = 5


def is_outage(error: BaseException | None) -> bool:
    """DB나 Redis에 닿지 못했다 (연결 거절, 끊긴 연결, 시간 초과). 잘못된 질의 같은 우리 결함은 아니다."""
    if isinstance(error, (OperationalError, InterfaceError)):
        return True
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:
        return False
    return isinstance(error, (RedisConnectionError, RedisTimeoutError))


def service_unavailable(request):
    """503: 무엇이 안 되었는지와, 보내던 글(content)을 다시 보낼 양식. 요청 컨텍스트 없이 그린다.

    양식은 받은 CSRF 토큰과 그 밖의 칸(모델 등)을 그대로 싣는다. 비밀번호는 되돌려 주지 않는다.
    """
    post = request.POST if request.method == "POST" else {}
    content = post.get("content", "")
    fields = [
        (name, value)
        for name, value in post.items()
        if name not in {"content", "csrfmiddlewaretoken"} and "password" not in name
    ]
    template = loader.get_template("503.html")
    body = template.render(
        {
            "SITE_NAME": settings.SITE_NAME,
            "content": content,
            "fields": fields,
            "action": request.path,
            "csrf_token_value": post.get("csrfmiddlewaretoken", ""),
        }
    )
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(OUTAGE_RETRY_SECONDS)
    return response
