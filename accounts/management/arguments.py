"""운영자 명령들이 함께 쓰는 인자 해석: 틀린 값은 한 문장으로 거절한다."""

import datetime
from argparse import ArgumentTypeError
from contextlib import nullcontext

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import Course, User

# 받는 날. 1970년 전은 쓸 일이 없고, 양 끝의 날짜는 시간대를 옮기거나 며칠을 빼면 파이썬의 날짜를 넘는다
# (usage_report --until 0001-01-01, export_conversations --since 0001-01-01이 OverflowError였다).
FIRST_DAY = datetime.date(1970, 1, 1)
LAST_DAY = datetime.date(9998, 12, 31)
# 날 수의 끝: 백 년보다 오래된 대화는 없고, 99999999999일은 timedelta가 넘친다
DAYS_MAX = 36500


def day(value: str) -> datetime.date:
    """YYYY-MM-DD, FIRST_DAY부터 LAST_DAY까지. 꼴이 틀리면 argparse가 'invalid date (YYYY-MM-DD) value'로."""
    try:
        parsed = datetime.date.fromisoformat(value)
    except ValueError:
        raise ValueError(value) from None
    if not FIRST_DAY <= parsed <= LAST_DAY:
        # ArgumentTypeError의 문장은 argparse가 그대로 보인다
        raise ArgumentTypeError(
            gettext("%(value)s is not a day from %(first)s to %(last)s")
            % {"value": value, "first": FIRST_DAY, "last": LAST_DAY}
        )
    return parsed


day.__name__ = "date (YYYY-MM-DD)"


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


positive_int.__name__ = "positive whole number"


def days(value: str) -> int:
    """며칠(--older-than DAYS): 1부터 DAYS_MAX까지. 오늘에서 빼도 넘치지 않는다."""
    number = positive_int(value)
    if number > DAYS_MAX:
        raise ArgumentTypeError(
            gettext("%(value)s is more than %(most)s days (a hundred years)")
            % {"value": value, "most": DAYS_MAX}
        )
    return number


days.__name__ = positive_int.__name__


def find_user(username: str) -> User:
    try:
        return User.objects.get_by_natural_key(username)
    except User.DoesNotExist:
        raise CommandError(f"There is no user named {username!r}.") from None


def find_course(value: str) -> Course:
    """반: 번호 또는 정확한 이름. 같은 이름의 반이 여럿이면 번호를 쓰라고 한다."""
    # isdigit()은 "²"도 참이라 int()가 ValueError로 죽는다: int()가 읽는 것만
    found = list(Course.objects.filter(pk=int(value)) if value.isdecimal() else [])
    if not found:
        found = list(Course.objects.filter(name=value)[:2])
    if len(found) > 1:
        raise CommandError(
            gettext("Several classes are named %(name)r; give the class's number instead.")
            % {"name": value}
        )
    if not found:
        raise CommandError(gettext("There is no class %(class)r.") % {"class": value})
    return found[0]


def _language_in(argv: list[str]) -> str | None:
    """명령줄의 --language 값. --help는 인자를 해석하기 전에 찍히므로 미리 본다."""
    codes = {code for code, _name in settings.LANGUAGES}
    for index, argument in enumerate(argv):
        if argument == "--language" and index + 1 < len(argv):
            value = argv[index + 1]
        elif argument.startswith("--language="):
            value = argument.partition("=")[2]
        else:
            continue
        return value if value in codes else None
    return None


class OneLanguage:
    """--help와 답을 한 언어로 하는 명령: --language가 있으면 그 언어, 없으면 LANGUAGE_CODE.

    BaseCommand 앞에 섞는다. 설명(help)은 찍을 때의 언어로 번역하도록 property로, 인자의 help는 gettext_lazy로 둔다.
    handle은 스스로 options["language"]로 translation.override를 건다 (답의 언어).
    """

    def run_from_argv(self, argv):
        language = _language_in(argv[2:])
        with translation.override(language) if language else nullcontext():
            super().run_from_argv(argv)
