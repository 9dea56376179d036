"""관리 화면을 한국어로 채우는 조각: Django의 ko 번역에 빠진 문장, 권한 이름, 예·아니요 아이콘.

Django 6.1의 ko 카탈로그에는 몇 문장이 없어 관리 화면 한가운데 영어가 남는다. 그 msgid를 여기 적어 두면
make messages가 우리 카탈로그(locale/ko)에 싣고, 쓰는 곳이 없다고 치워 버리지 않는다. 우리 카탈로그는
LOCALE_PATHS라 Django 자신의 번역보다 먼저 읽힌다. Django가 번역을 채우면 이 줄은 지워도 된다.
"""

from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_noop, ngettext_lazy

# Django가 번역하려 하지만 ko 카탈로그에 없는 것 (tests/test_admin_korean.py가 화면에서 확인한다)
DJANGO_MISSING = [
    # 관리 동작 고르기의 빈 선택지
    gettext_noop("- Select an option -"),
    # 날짜로 훑기(date_hierarchy)의 이름표: 사용량 장부
    gettext_noop("Filter by %(field_name)s"),
    # 로그아웃한 뒤의 화면
    gettext_noop("Logout"),
    # 지우기 확인 화면에서 긴 목록을 줄일 때 (복수형이라 ngettext의 표시로: 값은 쓰지 않는다)
    ngettext_lazy("…and %(count)d more object.", "…and %(count)d more objects."),
    gettext_noop('The app "%s" could not be found.'),
    gettext_noop("“%(value)s” is not a valid binary value."),
]

# Django가 만드는 기본 권한 이름 "Can add <모델>"은 DB에 영어로 저장된다: 코드명에서 다시 짓는다
DEFAULT_PERMISSIONS = {
    "add": gettext_noop("Can add %(model)s"),
    "change": gettext_noop("Can change %(model)s"),
    "delete": gettext_noop("Can delete %(model)s"),
    "view": gettext_noop("Can view %(model)s"),
}


def permission_label(permission) -> str:
    """권한 고르기 칸의 한 줄: "앱 | 모델 | 권한", 권한 이름도 지금 언어로."""
    content_type = permission.content_type
    model = content_type.model_class()
    action, _sep, model_name = permission.codename.partition("_")
    if model is not None and action in DEFAULT_PERMISSIONS and model_name == model._meta.model_name:
        name = gettext(DEFAULT_PERMISSIONS[action]) % {"model": model._meta.verbose_name}
    else:
        # 모델의 Meta.permissions 이름은 gettext_lazy로 표시되어 있어 카탈로그에 있다
        name = gettext(permission.name)
    return f"{content_type} | {name}"


def yes_no_icon(value: bool | None):
    """관리 화면의 예·아니요 아이콘. Django의 것은 alt가 번역되지 않은 "True"/"False"라 화면 읽기가 영어로 읽는다."""
    if value is None:
        return format_html(
            '<img src="{}" alt="{}">', static("admin/img/icon-unknown.svg"), gettext("Unknown")
        )
    icon, word = ("yes", gettext("Yes")) if value else ("no", gettext("No"))
    return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{icon}.svg"), word)
