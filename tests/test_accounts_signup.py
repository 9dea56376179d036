"""가입 규칙: 모든 규칙이 한국어와 영어로 분명한 오류를 낸다."""

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user

from accounts.models import User

GOOD_PASSWORD = "blue-river-42-stone"

# 규칙마다 (아이디, 비밀번호1, 비밀번호2, 오류 필드, {언어: 문구})
RULES = {
    "username too short": (
        "ab",
        GOOD_PASSWORD,
        GOOD_PASSWORD,
        "username",
        {
            "en": "Use 3 to 20 characters: English letters, digits or the underscore (_).",
            "ko": "아이디는 3~20자의 영문, 숫자, 밑줄(_)만 쓸 수 있습니다.",
        },
    ),
    "username too long": (
        "a" * 21,
        GOOD_PASSWORD,
        GOOD_PASSWORD,
        "username",
        {
            "en": "Use 3 to 20 characters: English letters, digits or the underscore (_).",
            "ko": "아이디는 3~20자의 영문, 숫자, 밑줄(_)만 쓸 수 있습니다.",
        },
    ),
    "username with a space": (
        "min ji",
        GOOD_PASSWORD,
        GOOD_PASSWORD,
        "username",
        {
            "en": "Use 3 to 20 characters: English letters, digits or the underscore (_).",
            "ko": "아이디는 3~20자의 영문, 숫자, 밑줄(_)만 쓸 수 있습니다.",
        },
    ),
    "username in Hangul": (
        "김민지",
        GOOD_PASSWORD,
        GOOD_PASSWORD,
        "username",
        {
            "en": "Use 3 to 20 characters: English letters, digits or the underscore (_).",
            "ko": "아이디는 3~20자의 영문, 숫자, 밑줄(_)만 쓸 수 있습니다.",
        },
    ),
    "username blank": (
        "",
        GOOD_PASSWORD,
        GOOD_PASSWORD,
        "username",
        {"en": "This field is required.", "ko": "필수 항목입니다."},
    ),
    "password too short": (
        "minji",
        "k3#Lp9q",
        "k3#Lp9q",
        "password2",
        {
            "en": "This password is too short. It must contain at least 8 characters.",
            "ko": "이 비밀번호는 너무 짧습니다. 최소 8자 이상이어야 합니다.",
        },
    ),
    "password too common": (
        "minji",
        "password123",
        "password123",
        "password2",
        {"en": "This password is too common.", "ko": "너무 흔히 사용되는 비밀번호입니다."},
    ),
    "password entirely numeric": (
        "minji",
        "8302917465",
        "8302917465",
        "password2",
        {"en": "This password is entirely numeric.", "ko": "비밀번호가 전부 숫자로 되어 있습니다."},
    ),
    "password like the username": (
        "riverstone",
        "riverstone1",
        "riverstone1",
        "password2",
        {
            "en": "The password is too similar to the username.",
            "ko": "비밀번호가 아이디와(과) 너무 유사합니다.",
        },
    ),
    "passwords differ": (
        "minji",
        GOOD_PASSWORD,
        GOOD_PASSWORD + "x",
        "password2",
        {"en": "The two password fields didn’t match.", "ko": "비밀번호가 일치하지 않습니다."},
    ),
    "password blank": (
        "minji",
        "",
        "",
        "password1",
        {"en": "This field is required.", "ko": "필수 항목입니다."},
    ),
}


def post_signup(client, username, password1, password2):
    return client.post(
        "/accounts/signup/",
        {"username": username, "password1": password1, "password2": password2},
    )


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ko", "en"])
@pytest.mark.parametrize("rule", RULES.keys())
def test_each_signup_rule_explains_itself(client, language, rule):
    username, password1, password2, field, messages = RULES[rule]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    response = post_signup(client, username, password1, password2)

    assert response.status_code == 200
    assert messages[language] in response.context["form"].errors[field]
    assert messages[language] in response.content.decode()
    assert not User.objects.exists()
    # 입력한 아이디는 다시 쓰지 않아도 된다
    if username:
        assert f'value="{username}"' in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("ko", "이미 사용 중인 아이디입니다."),
        ("en", "A user with that username already exists."),
    ],
)
def test_usernames_differing_only_in_case_are_duplicates(client, language, message):
    User.objects.create_user(username="MinJi", password=GOOD_PASSWORD)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    response = post_signup(client, "minji", GOOD_PASSWORD, GOOD_PASSWORD)

    assert response.status_code == 200
    assert message in response.context["form"].errors["username"]
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_database_rejects_case_duplicates_that_skip_the_form():
    from django.db import IntegrityError

    User.objects.create_user(username="MinJi", password=GOOD_PASSWORD)
    with pytest.raises(IntegrityError):
        User.objects.create_user(username="minji", password=GOOD_PASSWORD)


@pytest.mark.django_db
def test_signup_logs_in_and_lands_on_home(client):
    response = post_signup(client, "Min_ji3", GOOD_PASSWORD, GOOD_PASSWORD)

    assert response.status_code == 302
    assert response.url == "/"
    user = get_user(client)
    assert user.is_authenticated
    assert user.username == "Min_ji3"
    assert user.check_password(GOOD_PASSWORD)
    home = client.get("/", follow=True)
    assert "Min_ji3" in home.content.decode()


@pytest.mark.django_db
def test_usernames_of_exactly_three_and_twenty_characters_are_fine(client):
    for username in ("abc", "a" * 20):
        client.logout()
        response = post_signup(client, username, GOOD_PASSWORD, GOOD_PASSWORD)
        assert response.status_code == 302, response.context["form"].errors
    assert set(User.objects.values_list("username", flat=True)) == {"abc", "a" * 20}


@pytest.mark.django_db
def test_logged_in_person_is_sent_home_from_signup(client, user):
    client.force_login(user)

    response = client.get("/accounts/signup/")

    assert response.status_code == 302
    assert response.url == "/"


@pytest.mark.django_db
def test_closed_signup_says_so_and_creates_nobody(client, settings):
    settings.SIGNUP_MODE = "closed"

    page = client.get("/accounts/signup/")
    response = post_signup(client, "minji", GOOD_PASSWORD, GOOD_PASSWORD)

    assert "가입이 닫혀 있습니다" in page.content.decode()
    assert 'name="password1"' not in page.content.decode()
    assert response.status_code == 302
    assert not User.objects.exists()


@pytest.mark.django_db
def test_field_errors_and_help_are_tied_to_their_input(client):
    response = post_signup(client, "a b", GOOD_PASSWORD, GOOD_PASSWORD)

    html = response.content.decode()
    username_input = re.search(r'<input[^>]*name="username"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in username_input
    assert 'aria-describedby="id_username_helptext id_username_error"' in username_input
    assert 'id="id_username_error"' in html
    assert 'id="id_username_helptext"' in html
    assert '<label for="id_username">' in html


@pytest.mark.django_db
def test_signups_from_one_address_are_throttled_with_a_time_to_try_again(client, settings):
    settings.SIGNUP_PER_ADDRESS_PER_HOUR = 3

    answers = []
    for number in range(5):
        client.logout()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        answers.append(post_signup(client, f"student{number}", GOOD_PASSWORD, GOOD_PASSWORD))

    assert [response.status_code for response in answers] == [302, 302, 302, 429, 429]
    assert User.objects.count() == 3
    refused = answers[3]
    assert refused.context["form"].has_error("__all__", "throttled")
    assert "Try again in 60 minutes" in refused.content.decode()
    assert 3500 < int(refused.headers["Retry-After"]) <= 3600
    # 입력한 아이디는 남는다
    assert 'value="student3"' in refused.content.decode()


@pytest.mark.django_db
def test_the_sign_up_throttle_is_per_address_and_translated(client, settings):
    settings.SIGNUP_PER_ADDRESS_PER_HOUR = 1
    post_signup(client, "first_one", GOOD_PASSWORD, GOOD_PASSWORD)
    client.logout()

    refused = post_signup(client, "second_one", GOOD_PASSWORD, GOOD_PASSWORD)
    client.logout()
    # 다른 교실(주소)은 따로 센다
    elsewhere = client.post(
        "/accounts/signup/",
        {"username": "third_one", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
        REMOTE_ADDR="198.51.100.7",
    )

    assert "60분 뒤에 다시 시도하세요" in refused.content.decode()
    assert elsewhere.status_code == 302
    assert set(User.objects.values_list("username", flat=True)) == {"first_one", "third_one"}


@pytest.mark.django_db
def test_a_zero_sign_up_limit_means_no_limit(client, settings):
    settings.SIGNUP_PER_ADDRESS_PER_HOUR = 0

    for number in range(3):
        client.logout()
        assert post_signup(client, f"free{number}", GOOD_PASSWORD, GOOD_PASSWORD).status_code == 302
