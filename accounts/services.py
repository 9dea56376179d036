"""계정 쪽 데이터를 바꾸는 동작: 가입, 그리고 로그인 실패를 세고, 제한하고, 풀어 주기.

실패 카운터는 캐시에 있다. Redis를 쓰면 모든 워커와 호스트가 같은 카운터를 본다.
창(window)은 첫 실패에서 시작해 LOGIN_FAILURE_WINDOW_SECONDS 동안 이어진다.
"""

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache

from accounts.models import User


def _key(kind: str, value: str) -> str:
    # 사용자 입력을 그대로 키에 넣지 않는다: 길이와 문자가 제각각이라서
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"login-failures:{kind}:{digest}"


def _keys(*, username: str, address: str) -> list[tuple[str, int]]:
    return [
        (_key("username", username.casefold()), settings.LOGIN_FAILURES_PER_USERNAME),
        (_key("address", address), settings.LOGIN_FAILURES_PER_ADDRESS),
    ]


def login_retry_after(*, username: str, address: str) -> int:
    """지금 로그인을 시도하면 안 되는 남은 초. 0이면 시도해도 된다."""
    now = time.time()
    wait = 0.0
    for key, limit in _keys(username=username, address=address):
        values = cache.get_many([f"{key}:count", f"{key}:until"])
        if values.get(f"{key}:count", 0) >= limit:
            wait = max(wait, values.get(f"{key}:until", now) - now)
    return math.ceil(wait)


def login_failure_record(*, username: str, address: str) -> None:
    """실패 한 번을 아이디와 주소 양쪽에 센다."""
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    until = time.time() + window
    for key, _limit in _keys(username=username, address=address):
        cache.add(f"{key}:until", until, timeout=window)
        # add는 처음 한 번만 성공하고, incr은 여러 워커가 동시에 불러도 원자적이다
        if not cache.add(f"{key}:count", 1, timeout=window):
            try:
                cache.incr(f"{key}:count")
            except ValueError:
                # 그 사이에 창이 끝났다: 새 창을 연다
                cache.set(f"{key}:count", 1, timeout=window)
                cache.set(f"{key}:until", until, timeout=window)


def login_failures_reset(*, username: str) -> None:
    """성공한 로그인이나 강사의 해제가 아이디의 실패 기록을 지운다.

    주소 카운터는 그대로 둔다: 계정 하나로 로그인해서 추측 공격 기록을 지울 수 없도록.
    """
    _forget(_key("username", username.casefold()))


def login_address_reset(*, address: str) -> None:
    """한 주소(예: 교실의 공인 IP)의 실패 기록을 지운다."""
    _forget(_key("address", address))


def _forget(key: str) -> None:
    cache.delete_many([f"{key}:count", f"{key}:until"])


def user_signup(*, username: str, password: str) -> User:
    """가입: 검증은 SignupForm이 마쳤다. 동시 가입 경쟁은 DB 제약이 IntegrityError로 막는다."""
    return User.objects.create_user(username=username, password=password)
