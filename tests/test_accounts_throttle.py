"""로그인 실패 제한: 아이디별, 주소별, 그리고 풀리는 방법."""

import time

import pytest
from django.conf import settings
from django.contrib.auth import get_user
from django.core.management import call_command


def log_in(client, username, password, address="10.0.0.1"):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def fail(client, times, username="minji", address="10.0.0.1"):
    for _ in range(times):
        response = log_in(client, username, "wrong-password", address)
        assert response.context["form"].has_error("__all__", "invalid_login")


def is_throttled(response):
    return response.context["form"].has_error("__all__", "throttled")


def test_five_failures_lock_the_username_even_with_the_right_password(client, user, password):
    fail(client, 5)

    response = log_in(client, "minji", password)

    assert is_throttled(response)
    assert not get_user(client).is_authenticated


def test_four_failures_do_not_lock(client, user, password):
    fail(client, 4)

    log_in(client, "minji", password)

    assert get_user(client).is_authenticated


def test_lock_ignores_username_case_and_address(client, user, password):
    fail(client, 5, username="MinJi", address="10.0.0.1")

    response = log_in(client, "minji", password, address="10.9.9.9")

    assert is_throttled(response)


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Too many failed log-in attempts. Try again in 15 minutes."),
        ("ko", "로그인에 너무 많이 실패했습니다. 15분 뒤에 다시 시도하세요."),
    ],
)
def test_throttle_message_says_when_to_try_again(client, user, password, language, message):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    fail(client, 5)

    response = log_in(client, "minji", password)

    assert message in response.content.decode()


def test_one_address_is_locked_after_many_failures_across_usernames(
    client, user, password, settings
):
    settings.LOGIN_FAILURES_PER_ADDRESS = 6
    for name in ("a_one", "b_two", "c_three"):
        fail(client, 2, username=name, address="203.0.113.7")

    from_that_address = log_in(client, "minji", password, address="203.0.113.7")
    from_elsewhere = log_in(client, "minji", password, address="198.51.100.1")

    assert is_throttled(from_that_address)
    assert get_user(client).is_authenticated
    assert from_elsewhere.status_code == 302


def test_a_classroom_sharing_one_address_is_not_locked_by_a_few_mistakes(client, user, password):
    # 기본값에서 학생 다섯이 두 번씩 틀려도 같은 주소의 다른 학생은 로그인한다
    for number in range(5):
        fail(client, 2, username=f"student{number}", address="203.0.113.7")

    log_in(client, "minji", password, address="203.0.113.7")

    assert get_user(client).is_authenticated


def test_success_resets_the_username_count(client, user, password):
    fail(client, 4)
    log_in(client, "minji", password)
    client.logout()

    fail(client, 4)
    log_in(client, "minji", password)

    assert get_user(client).is_authenticated


def test_lock_ends_when_the_window_passes(client, user, password, settings):
    # Django의 DB 캐시는 만료 시각의 초 아래를 버린다: 1초 창은 거의 0초로 줄 수 있어 가끔 실패했다.
    # 3초 창은 2초 넘게 살아 있고 3초 안에 끝난다.
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 3
    fail(client, 5)
    assert is_throttled(log_in(client, "minji", password))

    time.sleep(3.5)
    log_in(client, "minji", password)

    assert get_user(client).is_authenticated


def test_instructor_can_unlock_a_username(client, user, password, capsys):
    fail(client, 5)

    call_command("login_unlock", "MINJI")
    log_in(client, "minji", password)

    assert get_user(client).is_authenticated
    assert "Unlocked username MINJI." in capsys.readouterr().out


def test_instructor_can_unlock_an_address(client, user, password, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    fail(client, 3, username="someone", address="203.0.113.7")

    call_command("login_unlock", address="203.0.113.7")
    log_in(client, "minji", password, address="203.0.113.7")

    assert get_user(client).is_authenticated


def test_unlock_without_arguments_is_an_error(db):
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("login_unlock")


def test_unlocking_an_address_also_lifts_its_sign_up_limit(client, settings, db):
    settings.SIGNUP_PER_ADDRESS_PER_HOUR = 1
    classroom = "203.0.113.9"

    def sign_up(username):
        client.logout()
        return client.post(
            "/accounts/signup/",
            {"username": username, "password1": "blue-river-42", "password2": "blue-river-42"},
            REMOTE_ADDR=classroom,
        )

    assert sign_up("first").status_code == 302
    assert sign_up("second").status_code == 429

    call_command("login_unlock", address=classroom)

    assert sign_up("second").status_code == 302


def test_an_attempt_is_counted_before_its_password_is_checked(client, user, monkeypatch):
    """동시에 온 시도들이 모두 세기 전의 수를 보면 모두 확인된다: 세는 것이 확인보다 먼저다."""
    from django.contrib.auth import forms as auth_forms
    from django.core.cache import cache

    from accounts.services import _key

    counted_at_check = []

    def authenticate(request, **credentials):
        counted_at_check.append(cache.get(f"{_key('username', 'minji')}:count"))

    monkeypatch.setattr(auth_forms, "authenticate", authenticate)

    fail(client, 2)

    assert counted_at_check == [1, 2]


def test_a_right_password_from_a_shared_address_is_not_counted_as_a_failure(
    client, user, password, settings
):
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    # 한 교실의 공인 IP에서 여럿이 차례로 로그인한다: 맞은 로그인은 주소의 실패로 남지 않는다
    for _ in range(5):
        log_in(client, "minji", password)
        client.logout()

    fail(client, 2)
    log_in(client, "minji", password)

    assert get_user(client).is_authenticated


def test_a_window_is_over_for_counting_as_soon_as_it_is_over_for_reading(db, monkeypatch, settings):
    """DB 캐시는 만료 시각의 초 아래를 버려 저장한다: 그 초가 지나면 읽기(get)에도 세기(add, incr)에도 없는 키다."""
    import datetime

    from django.core.cache import cache

    from core import cache as shared_cache

    # Redis로 도는 실행에서도 DB 캐시를 본다
    settings.CACHES = {
        "default": {"BACKEND": "core.cache.SharedDatabaseCache", "LOCATION": "window_cache"}
    }
    call_command("createcachetable")

    moment = datetime.datetime(2026, 3, 2, 9, 0, 0, 100_000, tzinfo=datetime.UTC)
    monkeypatch.setattr(shared_cache, "now", lambda: moment)
    monkeypatch.setattr("django.core.cache.backends.db.tz_now", lambda: moment)
    monkeypatch.setattr("time.time", lambda: moment.timestamp())
    cache.add("window", 5, timeout=3)
    cache.add("count", 5, timeout=3)
    # 9:00:03.1에 만료(저장은 9:00:03). 9:00:03.6에는 세기에도 읽기에도 없다 (읽기는 만료된 행을 지우므로 나중에)
    moment = moment + datetime.timedelta(seconds=3.5)

    assert cache.add("window", 1, timeout=3)
    with pytest.raises(ValueError, match="not found"):
        cache.incr("count")
    assert cache.get("count") is None
