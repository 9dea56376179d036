"""모든 템플릿이 쓰는 사이트 단위 값."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from accounts.classes import menu_shows_classes
from accounts.models import Theme


def site(request):
    return {
        "SITE_NAME": settings.SITE_NAME,
        # invite와 approval도 가입 화면이 열려 있다 (코드를 적거나, 승인을 기다리며)
        "signup_open": settings.SIGNUP_MODE != "closed",
        # 계정 메뉴의 "반": 템플릿이 물을 때만, 세션에 적어 둔 값으로 (accounts.classes.menu_shows_classes)
        "sees_classes": SimpleLazyObject(lambda: menu_shows_classes(request)),
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
