"""언어 선택(한국어가 기본이고, 사람이 고른 언어만 따른다), 첫 로그인의 비밀번호 바꾸기, 승인 기다리기."""

from django.conf import settings
from django.contrib import messages
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect


def chosen_language(cookies: dict) -> str:
    """사람이 고른 언어(set_language가 남긴 쿠키), 없거나 모르는 값이면 LANGUAGE_CODE."""
    try:
        return translation.get_supported_language_variant(
            cookies.get(settings.LANGUAGE_COOKIE_NAME)
        )
    except LookupError:
        return settings.LANGUAGE_CODE


class KoreanFirstLocaleMiddleware(LocaleMiddleware):
    """Accept-Language는 보지 않는다.

    한국 교실의 노트북은 영어 OS인 경우가 많아서 브라우저 언어를 따르면 한국어 우선 제품이
    영어로 뜬다. 그래서 언어 선택(set_language가 남긴 쿠키)이 없으면 LANGUAGE_CODE를 쓴다.
    """

    def process_request(self, request):
        translation.activate(chosen_language(request.COOKIES))
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        # 같은 주소라도 언어 쿠키에 따라 내용이 다르다
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


# 비밀번호를 바꾸기 전에도 열 수 있는 화면
PASSWORD_CHANGE_OPEN_URLS = ("accounts:password-set", "accounts:logout", "set_language")


class PasswordChangeRequiredMiddleware(MiddlewareMixin):
    """create_users가 지어 준 비밀번호로 들어온 사람은 자기 비밀번호를 정해야 채팅할 수 있다.

    강사가 나눠 준 비밀번호는 여러 사람이 보았을 수 있다: 본인만 아는 비밀번호로 바꿀 때까지 다른 화면은 막는다.
    가는 곳은 새 비밀번호만 두 번 묻는 "비밀번호 정하기"다 (지어 받은 비밀번호를 다시 옮겨 적지 않게).
    """

    def process_request(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.must_change_password:
            return None
        if request.path in {reverse(name) for name in PASSWORD_CHANGE_OPEN_URLS}:
            return None
        url = reverse("accounts:password-set")
        # HtmxMiddleware보다 앞이라 request.htmx가 아직 없다
        if request.headers.get("HX-Request") == "true":
            return HttpResponseClientRedirect(url)
        messages.info(request, _("Please choose your own password before you start."))
        return redirect(url)


# 승인을 기다리는 사람이 열 수 있는 화면
APPROVAL_OPEN_URLS = ("accounts:waiting", "accounts:logout", "set_language")


class ApprovalRequiredMiddleware(MiddlewareMixin):
    """SIGNUP_MODE=approval로 가입한 사람은 운영자나 반의 강사가 받아 줄 때까지 기다리는 화면만 본다.

    로그인은 된다: 기다리는 화면이 무엇을 기다리는지 알려 주고, 승인되면 다시 로그인하지 않고 바로 채팅한다.
    채팅(보내기와 스트림 포함)을 포함한 다른 모든 화면은 기다리는 화면으로 보낸다.
    """

    def process_request(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.awaiting_approval:
            return None
        if request.path in {reverse(name) for name in APPROVAL_OPEN_URLS}:
            return None
        url = reverse("accounts:waiting")
        # HtmxMiddleware보다 앞이라 request.htmx가 아직 없다
        if request.headers.get("HX-Request") == "true":
            return HttpResponseClientRedirect(url)
        return redirect(url)
