"""모든 템플릿이 쓰는 사이트 단위 값."""

from django.conf import settings

from accounts.models import Theme


def site(request):
    return {
        "SITE_NAME": settings.SITE_NAME,
        "signup_open": settings.SIGNUP_MODE == "open",
        **theme(request),
    }


def theme(request) -> dict:
    """<html data-theme>과 color-scheme 메타 태그: 서버가 첫 그림부터 정한다 (스크립트 없이, 깜빡임 없이).

    로그인하지 않은 사람은 기기 설정을 따른다.
    """
    user = getattr(request, "user", None)
    chosen = user.theme if user is not None and user.is_authenticated else Theme.SYSTEM
    if chosen not in Theme.values:
        chosen = Theme.SYSTEM
    return {
        "theme": chosen,
        "color_scheme": "light dark" if chosen == Theme.SYSTEM else chosen,
    }
