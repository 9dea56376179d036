"""계정 쪽 데이터를 바꾸는 동작: 가입(주소마다 제한, 반 코드, 승인), 로그인과 반 코드의 실패를 세고 제한하고 풀어 주기.

카운터는 모든 워커와 호스트가 함께 보는 캐시(Redis 또는 DB 캐시)에 있다.
창(window)은 첫 번째에서 시작해 정해진 시간(로그인은 LOGIN_FAILURE_WINDOW_SECONDS, 가입은 한 시간) 이어진다.
"""

import contextlib
import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from accounts import courses
from accounts.models import User
from core.audit import Action, audit_record


def _key(kind: str, value: str) -> str:
    # 사용자 입력을 그대로 키에 넣지 않는다: 길이와 문자가 제각각이라서
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"throttle:{kind}:{digest}"


def _window_add(key: str, window: int) -> int:
    """창 안의 횟수에 하나를 더하고 새 횟수를 돌려준다. 창은 첫 번째에서 시작해 window초 이어진다."""
    until = time.time() + window
    cache.add(f"{key}:until", until, timeout=window)
    # add는 처음 한 번만 성공하고, incr은 여러 워커가 동시에 불러도 원자적이다
    if cache.add(f"{key}:count", 1, timeout=window):
        return 1
    try:
        return cache.incr(f"{key}:count")
    except ValueError:
        # 그 사이에 창이 끝났다: 새 창을 연다
        cache.set(f"{key}:count", 1, timeout=window)
        cache.set(f"{key}:until", until, timeout=window)
        return 1


def _window_wait(key: str, limit: int) -> float:
    """한도에 닿았으면 창이 끝날 때까지 남은 초, 아니면 0."""
    now = time.time()
    values = cache.get_many([f"{key}:count", f"{key}:until"])
    if values.get(f"{key}:count", 0) >= limit:
        return max(0.0, values.get(f"{key}:until", now) - now)
    return 0.0


def _keys(*, username: str, address: str) -> list[tuple[str, int]]:
    return [
        (_key("username", username.casefold()), settings.LOGIN_FAILURES_PER_USERNAME),
        (_key("address", address), settings.LOGIN_FAILURES_PER_ADDRESS),
    ]


def login_attempt_begin(*, username: str, address: str) -> int:
    """비밀번호를 확인하기 전에 시도 하나를 아이디와 주소 양쪽에 센다. 한도를 넘었으면 남은 초, 아니면 0.

    세고 나서 확인한다: 확인(느린 해시) 뒤에 세면, 동시에 온 시도들이 모두 세기 전의 수를 보고 모두 확인되었다
    (두 워커에서 12번이 한도 5를 지나갔다). 세는 것은 원자적이라 동시에 와도 한도만큼만 확인된다.
    맞은 시도는 login_attempt_succeeded가 되돌린다: 세는 것은 결국 실패뿐이다.
    """
    waits = [
        _window_wait(key, limit)
        for key, limit in _keys(username=username, address=address)
        if _window_add(key, settings.LOGIN_FAILURE_WINDOW_SECONDS) > limit
    ]
    return max(1, math.ceil(max(waits))) if waits else 0


def login_attempt_succeeded(*, username: str, address: str) -> None:
    """맞은 로그인: 아이디의 기록을 지우고, 주소에 센 이 시도 하나를 되돌린다 (교실의 공인 IP에서 반 전체가 로그인해도
    실패만 쌓이게)."""
    login_failures_reset(username=username)
    # 그 사이에 창이 끝났으면 되돌릴 것이 없다
    with contextlib.suppress(ValueError):
        cache.decr(f"{_key('address', address)}:count")


def login_failures_reset(*, username: str) -> None:
    """성공한 로그인이나 강사의 해제가 아이디의 실패 기록을 지운다.

    주소 카운터는 그대로 둔다: 계정 하나로 로그인해서 추측 공격 기록을 지울 수 없도록.
    """
    _forget(_key("username", username.casefold()))


def address_reset(*, address: str) -> None:
    """한 주소(예: 교실의 공인 IP)의 로그인 실패와 가입 기록을 지운다: 반 전체가 막혔을 때 강사가 푼다."""
    _forget(_key("address", address))
    _forget(_key("signup", address))
    _forget(_key("class-code", address))


def _forget(key: str) -> None:
    cache.delete_many([f"{key}:count", f"{key}:until"])


class SignupThrottled(Exception):
    """한 주소에서 한 시간에 가입할 수 있는 수를 넘었다. retry_after는 창이 끝날 때까지 남은 초."""

    def __init__(self, retry_after: int):
        super().__init__(f"sign-up throttled for {retry_after} s")
        self.retry_after = retry_after


SIGNUP_WINDOW_SECONDS = 60 * 60


def user_signup(*, username: str, password: str, address: str, code: str = "") -> User:
    """가입: 검증은 SignupForm이 마쳤다. 동시 가입 경쟁은 DB 제약이 IntegrityError로 막는다.

    계정 하나마다 Argon2 해시 한 번과 새 메시지 몫이 생기므로, 한 주소의 가입은 한 시간에
    SIGNUP_PER_ADDRESS_PER_HOUR번까지. 먼저 세고 나서 만들어, 동시에 몰려도 한도를 넘지 않는다.
    반 코드가 있으면 초대 한 번을 쓰고 반에 넣는 것까지 계정과 한 트랜잭션이다: 계정을 만들지 못하면
    (같은 아이디가 먼저 가입) 쓴 한 번도 되돌려진다. 코드를 쓸 수 없으면 courses.InvitationRefused.
    SIGNUP_MODE=approval이면 새 계정은 승인을 기다린다 (accounts.middleware.ApprovalRequiredMiddleware).
    """
    limit = settings.SIGNUP_PER_ADDRESS_PER_HOUR
    if limit > 0:
        key = _key("signup", address)
        if _window_add(key, SIGNUP_WINDOW_SECONDS) > limit:
            raise SignupThrottled(math.ceil(_window_wait(key, limit)) or SIGNUP_WINDOW_SECONDS)
    with transaction.atomic():
        invitation = courses.invitation_claim(code=code) if code else None
        user = User.objects.create_user(
            username=username,
            password=password,
            awaiting_approval=settings.SIGNUP_MODE == "approval",
        )
        if invitation is not None:
            courses.membership_create(user=user, course=invitation.course, invitation=invitation)
    return user


def class_code_attempt_begin(*, address: str) -> int:
    """코드 하나를 찾아보기 전에 주소에 센다. 한도를 넘었으면 창이 끝날 때까지 남은 초, 아니면 0.

    제한 중에는 코드를 찾아보지도 않는다: 맞는 코드도 거절해야 추측을 막는다. 세고 나서 찾는다 (login_attempt_begin과
    같은 까닭): 찾은 뒤에 세면 여러 워커에 한꺼번에 온 추측이 모두 세기 전의 수를 보고 한도를 지나갔다.
    있는 코드였으면 class_code_found가 되돌린다: 세는 것은 결국 없는 코드뿐이다.
    """
    key = _key("class-code", address)
    limit = settings.CLASS_CODE_FAILURES_PER_ADDRESS
    if _window_add(key, settings.LOGIN_FAILURE_WINDOW_SECONDS) <= limit:
        return 0
    return max(1, math.ceil(_window_wait(key, limit)))


def class_code_found(*, address: str) -> None:
    """있는 코드였다 (끝났거나 다 쓴 것도): 센 한 번을 되돌린다. 추측이 아니고, 반 전체가 한 주소에서 같은 코드를
    적어도 막히지 않게."""
    # 그 사이에 창이 끝났으면 되돌릴 것이 없다
    with contextlib.suppress(ValueError):
        cache.decr(f"{_key('class-code', address)}:count")


def password_chosen(*, user: User) -> None:
    """스스로 비밀번호를 정했다: 지어 받은 비밀번호로 만든 계정도 이제 채팅할 수 있다."""
    if user.must_change_password:
        User.objects.filter(pk=user.pk).update(must_change_password=False)
        user.must_change_password = False


def user_quota_changed(*, actor, user: User, previous: int | None, request=None) -> None:
    """관리 화면에서 한 사람의 하루 한도를 바꿨다: 누가, 무엇에서 무엇으로."""
    audit_record(
        actor=actor,
        action=Action.USER_QUOTA_CHANGED,
        target=user,
        payload={"from": previous, "to": user.daily_token_quota},
        request=request,
    )


def user_preferences_save(*, user: User, custom_instructions: str, theme: str) -> User:
    """맞춤 지시와 화면 색. 맞춤 지시는 새 대화에만 쓰인다 (chat.services.sending.conversation_start가 복사한다)."""
    user.custom_instructions = custom_instructions
    user.theme = theme
    user.save(update_fields=["custom_instructions", "theme"])
    return user


def user_approve(*, user: User, actor, request=None) -> bool:
    """승인을 기다리는 계정을 받아 준다 (운영자나 그 사람이 든 반의 강사). 조건부 UPDATE라 두 사람이 함께
    눌러도 기록은 하나다. 이미 승인된 계정이면 False."""
    with transaction.atomic():
        won = User.objects.filter(pk=user.pk, awaiting_approval=True).update(
            awaiting_approval=False
        )
        if won:
            audit_record(actor=actor, action=Action.USER_APPROVED, target=user, request=request)
    user.awaiting_approval = False
    return bool(won)
