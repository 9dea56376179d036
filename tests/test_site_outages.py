"""DB나 Redis에 잠깐 닿지 못할 때: 500이 아니라 503과 "잠시 뒤 다시", 보내던 글은 그대로 돌려준다."""

import pytest
from django.db import OperationalError
from django.test import Client

from chat.models import Conversation, Message
from tests.support.servers import free_port

HTMX = {"HX-Request": "true"}


@pytest.fixture
def browser(user):
    """오류를 다시 올리지 않는 테스트 클라이언트: 사람이 받는 응답(500 또는 503)을 본다."""
    client = Client(raise_request_exception=False, enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/chat/")
    return client


def _post(client, path, data, **extra):
    return client.post(
        path, {"csrfmiddlewaretoken": client.cookies["csrftoken"].value, **data}, **extra
    )


def test_a_send_while_the_database_is_unreachable_answers_503_with_the_text(
    browser, user, monkeypatch
):
    from accounts.backends import UserBackend

    conversation = Conversation.objects.create(owner=user, title="대화", model="daehwa-demo")

    def unreachable(self, user_id):
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    # 미들웨어가 사람을 읽는 데서부터 실패한다: 뷰에 닿기도 전이다
    monkeypatch.setattr(UserBackend, "get_user", unreachable)

    response = _post(browser, f"/chat/{conversation.pk}/messages/", {"content": "꼭 보낼 <글>"})

    page = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "잠시 뒤에 다시 해 주세요" in page
    # 같은 주소로 다시 보낼 양식에 입력한 글이 그대로 (escape되어) 있다
    assert f'action="/chat/{conversation.pk}/messages/"' in page
    assert "꼭 보낼 &lt;글&gt;</textarea>" in page
    assert not Message.objects.exists()


def test_the_resend_form_of_the_503_page_sends_the_message(browser, user, monkeypatch):
    from accounts.backends import UserBackend

    conversation = Conversation.objects.create(owner=user, title="대화", model="daehwa-demo")
    real = UserBackend.get_user

    def unreachable(self, user_id):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(UserBackend, "get_user", unreachable)
    page = _post(browser, f"/chat/{conversation.pk}/messages/", {"content": "다시"}).content
    token = page.decode().split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    monkeypatch.setattr(UserBackend, "get_user", real)

    # DB가 돌아왔다: 503 페이지의 양식 그대로 보낸다 (CSRF 토큰도 그 양식의 것)
    response = browser.post(
        f"/chat/{conversation.pk}/messages/", {"csrfmiddlewaretoken": token, "content": "다시"}
    )

    assert response.status_code == 302
    assert conversation.messages.filter(content="다시").exists()


def test_a_real_defect_still_answers_500(browser, user, monkeypatch):
    from accounts.backends import UserBackend

    def broken(self, user_id):
        raise RuntimeError("a bug of ours")

    monkeypatch.setattr(UserBackend, "get_user", broken)

    assert browser.get("/chat/").status_code == 500


@pytest.fixture
def redis_down(settings):
    """Redis가 꺼졌다: 아무도 듣지 않는 루프백 포트."""
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.SharedRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        },
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.SESSION_CACHE_ALIAS = "default"


def test_a_sign_up_while_redis_is_down_answers_503(db, redis_down):
    client = Client(raise_request_exception=False)

    response = client.post(
        "/accounts/signup/",
        {"username": "newbie", "password1": "river-stone-4821", "password2": "river-stone-4821"},
    )

    assert response.status_code == 503
    assert "잠시 뒤에 다시 해 주세요" in response.content.decode()
    # 비밀번호는 되돌려 주지 않는다
    assert "river-stone-4821" not in response.content.decode()


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["no javascript", "htmx"])
def test_a_send_while_redis_is_down_answers_503_with_the_text(browser, user, settings, headers):
    conversation = Conversation.objects.create(owner=user, title="대화", model="daehwa-demo")
    token = browser.cookies["csrftoken"].value
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.SharedRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        },
    }
    settings.SESSION_CACHE_ALIAS = "default"

    response = browser.post(
        f"/chat/{conversation.pk}/messages/",
        {"csrfmiddlewaretoken": token, "content": "지켜 줄 글"},
        headers=headers,
    )

    assert response.status_code == 503
    assert "지켜 줄 글</textarea>" in response.content.decode()
    assert not Message.objects.exists()
