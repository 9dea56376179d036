"""로그인, 로그인 유지, 로그아웃, 비밀번호 변경."""

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, get_user

WRONG = "The username or password is incorrect."
WRONG_KO = "아이디 또는 비밀번호가 올바르지 않습니다."


def log_in(client, username, password, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password, **extra})


def test_login_page_is_korean_by_default(client, db):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert response.status_code == 200
    assert '<html lang="ko" ' in response.content.decode()
    assert "로그인" in response.content.decode()


def test_home_sends_anonymous_people_to_login(client, db):
    response = client.get("/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_login_lands_on_home(client, user, password):
    response = log_in(client, "minji", password)

    assert response.status_code == 302
    assert response.url == "/"
    assert get_user(client) == user


def test_login_ignores_username_case(client, user, password):
    log_in(client, "MINJI", password)

    assert get_user(client) == user


def test_login_follows_next_but_not_off_site(client, user, password):
    inside = log_in(client, "minji", password, next="/accounts/password_change/")
    client.logout()
    outside = log_in(client, "minji", password, next="https://evil.example/")

    assert inside.url == "/accounts/password_change/"
    assert outside.url == "/"


@pytest.mark.parametrize(("language", "message"), [("en", WRONG), ("ko", WRONG_KO)])
def test_wrong_password_and_unknown_user_get_the_same_message(
    client, user, password, language, message
):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    wrong_password = log_in(client, "minji", password + "x")
    unknown_user = log_in(client, "nobody_here", password)

    for response in (wrong_password, unknown_user):
        assert response.status_code == 200
        assert response.context["form"].non_field_errors() == [message]
        assert not get_user(client).is_authenticated
    assert wrong_password.content.decode().count(message) == 1


def test_failed_login_keeps_the_username_but_not_the_password(client, user, password):
    response = log_in(client, "minji", "not-my-password")

    html = response.content.decode()
    assert 'value="minji"' in html
    assert "not-my-password" not in html


def test_without_remember_me_the_session_ends_with_the_browser(client, user, password):
    log_in(client, "minji", password)

    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == ""
    assert cookie["expires"] == ""
    assert client.session.get_expire_at_browser_close()


def test_remember_me_keeps_the_session_for_two_weeks(client, user, password):
    log_in(client, "minji", password, remember_me="on")

    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == 14 * 24 * 60 * 60
    assert not client.session.get_expire_at_browser_close()


def test_login_rotates_the_session_key(client, user, password):
    client.get("/accounts/login/")
    client.session.save()
    before = client.session.session_key

    log_in(client, "minji", password)

    assert client.session.session_key != before


def test_get_on_logout_asks_instead_of_logging_out(client, user):
    client.force_login(user)

    response = client.get("/accounts/logout/")

    assert response.status_code == 200
    assert 'action="/accounts/logout/"' in response.content.decode()
    assert get_user(client).is_authenticated


def test_post_on_logout_logs_out(client, user):
    client.force_login(user)

    response = client.post("/accounts/logout/", follow=True)

    assert not get_user(client).is_authenticated
    assert response.redirect_chain[-1][0] == "/accounts/login/"
    assert "로그아웃했습니다." in response.content.decode()


def test_password_change_keeps_the_person_logged_in(client, user, password):
    client.force_login(user)
    new_password = "violet-harbor-77-moss"

    response = client.post(
        "/accounts/password_change/",
        {"old_password": password, "new_password1": new_password, "new_password2": new_password},
        follow=True,
    )

    user.refresh_from_db()
    assert user.check_password(new_password)
    assert get_user(client).is_authenticated
    assert "비밀번호를 바꿨습니다." in response.content.decode()


def test_password_change_needs_the_old_password(english, user, password):
    english.force_login(user)

    response = english.post(
        "/accounts/password_change/",
        {"old_password": "guess", "new_password1": "x-violet-77", "new_password2": "x-violet-77"},
    )

    assert response.status_code == 200
    assert "Your old password was entered incorrectly." in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(password)


def test_a_handed_out_password_cannot_be_kept_as_the_new_one(client, user, password):
    user.must_change_password = True
    user.save(update_fields=["must_change_password"])
    client.force_login(user)

    response = client.post(
        "/accounts/password_set/",
        {"new_password1": password, "new_password2": password},
    )

    assert response.status_code == 200
    assert response.context["form"].has_error("new_password2", "password_unchanged")
    user.refresh_from_db()
    assert user.must_change_password
    assert client.get("/chat/").url == "/accounts/password_set/"


def test_the_old_password_is_still_checked_on_the_usual_change_page(client, user, password):
    client.force_login(user)
    wrong = {
        "old_password": "guess",
        "new_password1": "x-violet-77",
        "new_password2": "x-violet-77",
    }

    response = client.post("/accounts/password_change/", wrong)

    assert response.context["form"].has_error("old_password", "password_incorrect")
    # 바꿀 일이 없는 사람에게 지금 비밀번호를 묻지 않는 양식은 열리지 않는다
    assert client.get("/accounts/password_set/").url == "/accounts/password_change/"


@pytest.mark.parametrize("path", ["/", "/accounts/password_change/"])
def test_pages_behind_login_send_anonymous_people_to_login_and_back(client, user, password, path):
    response = client.get(path)
    back = log_in(client, "minji", password, next=path)

    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={path}"
    assert back.url == path


def test_logout_page_without_a_session_goes_to_login(client, db):
    response = client.get("/accounts/logout/")

    assert response.status_code == 302
    assert response.url == "/accounts/login/"


def test_a_wrong_password_is_checked_once_not_once_per_backend(client, user, monkeypatch):
    # ModelBackend는 옛 세션을 위해 목록에 남아 있다: 틀린 비밀번호마다 해시를 두 번 계산하면 안 된다
    from django.contrib.auth.backends import ModelBackend

    calls = []
    original = ModelBackend.authenticate
    monkeypatch.setattr(
        ModelBackend,
        "authenticate",
        lambda self, *args, **kwargs: (
            calls.append(type(self).__name__) or original(self, *args, **kwargs)
        ),
    )

    response = log_in(client, "minji", "wrong-password")

    assert WRONG_KO in response.content.decode()
    assert calls == ["UserBackend"]


def test_a_session_from_before_the_user_backend_stays_logged_in(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")

    response = client.get("/chat/")

    assert response.status_code == 200
    assert get_user(client) == user


def test_each_request_reads_the_logged_in_person_in_one_plain_statement(client, user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(user)
    assert client.session[BACKEND_SESSION_KEY] == "accounts.backends.UserBackend"
    with CaptureQueriesContext(connection) as queries:
        client.get("/chat/")

    user_reads = [q["sql"] for q in queries if 'FROM "accounts_user"' in q["sql"]]
    assert len(user_reads) == 1
    # ORM의 get()은 LIMIT 21로 읽는다: 이것은 core.rows의 한 줄 읽기다
    assert "LIMIT 21" not in user_reads[0]


def test_a_deactivated_person_is_logged_out_on_the_next_request(client, user):
    client.force_login(user)
    user.is_active = False
    user.save()

    response = client.get("/chat/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
