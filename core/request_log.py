"""로그의 요청 번호와 사용자 번호: 한 요청(스트림 포함)에서 나온 로그 줄을 한데 모아 볼 수 있게 한다."""

import contextvars
import logging
import re
import uuid

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

request_id = contextvars.ContextVar("request_id", default="-")
user_id = contextvars.ContextVar("user_id", default="-")

# 프록시가 준 번호는 짧고 안전한 글자일 때만 이어 쓴다 (로그에 아무 글이나 들어가지 않게)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """요청마다 번호를 정해 로그와 응답 머리글(X-Request-ID)에 남긴다. 스트림이 끝날 때까지 같은 번호를 쓴다."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def _start(self, request):
        given = request.headers.get("X-Request-ID", "")
        request.request_id = given if _SAFE_ID.match(given) else uuid.uuid4().hex
        # request.user는 게으르게 읽힌다: 로그 필터가 읽을 때 값을 정한다
        return request_id.set(request.request_id), user_id.set(_LazyUserId(request))

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        tokens = self._start(request)
        try:
            response = self.get_response(request)
        finally:
            # 동기 서버는 스레드를 다음 요청에 다시 쓴다: 번호가 새지 않게 되돌린다
            request_id.reset(tokens[0])
            user_id.reset(tokens[1])
        response["X-Request-ID"] = request.request_id
        return response

    async def __acall__(self, request):
        # ASGI는 요청마다 따로 된 컨텍스트에서 돈다. 되돌리지 않아야 응답 뒤에 흐르는 스트림의 로그도 번호를 단다.
        self._start(request)
        response = await self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class _LazyUserId:
    """로그 줄을 쓸 때에만 사용자를 본다. 이미 읽힌 사용자만 쓰므로 로그 때문에 DB를 부르지 않는다."""

    def __init__(self, request):
        self.request = request

    def __str__(self):
        user = getattr(self.request, "_cached_user", None) or getattr(
            self.request, "_acached_user", None
        )
        return str(user.pk) if user is not None and user.pk is not None else "-"


class RequestContextFilter(logging.Filter):
    """모든 로그 줄에 request_id와 user_id를 붙인다 (요청 밖에서는 "-")."""

    def filter(self, record):
        record.request_id = request_id.get()
        record.user_id = str(user_id.get())
        return True


class RefusedRequestFilter(logging.Filter):
    """거절한 요청(잘못된 Host, 너무 큰 본문, 너무 많은 필드, 다른 문자셋…)은 트레이스백 없는 경고 한 줄로.

    Django는 악성 요청을 django.security.*에 트레이스백과 함께 ERROR로 쓴다. 거절은 이미 끝난 일이고, 4xx에 붙은
    트레이스백은 보낸 쪽의 잘못이라 운영자에게 아무것도 알려 주지 않는다. ERROR는 "운영자가 손써야 한다"로 남긴다.
    응답이 5xx였다면(예: 400 페이지가 실패했다) 그대로 ERROR다.
    """

    def filter(self, record):
        refused = getattr(record, "status_code", 500) < 500
        if refused and record.name.startswith(("django.security.", "django.request")):
            if record.name.startswith("django.security."):
                record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info = record.exc_text = record.stack_info = None
        return True
