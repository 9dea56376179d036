"""운영자 명령들이 함께 쓰는 인자 해석: 틀린 값은 한 문장으로 거절한다."""

import datetime

from django.core.management.base import CommandError

from accounts.models import User


def day(value: str) -> datetime.date:
    """YYYY-MM-DD. argparse가 '--since: invalid date (YYYY-MM-DD) value'로 거절한다."""
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ValueError(value) from None


day.__name__ = "date (YYYY-MM-DD)"


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


positive_int.__name__ = "positive whole number"


def find_user(username: str) -> User:
    try:
        return User.objects.get_by_natural_key(username)
    except User.DoesNotExist:
        raise CommandError(f"There is no user named {username!r}.") from None
