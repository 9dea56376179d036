"""모든 템플릿이 쓰는 사이트 단위 값."""

from django.conf import settings


def site(request):
    return {
        "SITE_NAME": settings.SITE_NAME,
        "signup_open": settings.SIGNUP_MODE == "open",
    }
