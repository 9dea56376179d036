"""서투르거나 악의적인 요청: 500이 아니라 400으로 답하고, 로그에는 경고 한 줄만 남긴다."""

import pytest
from django.test import Client

from chat.services import conversation_start

CHARSETS = ["latin-1", "iso-8859-1", "utf-16", "UTF8"]


@pytest.fixture
def csrf_client(db):
    """진짜 브라우저처럼 CSRF 쿠키를 가진 클라이언트 (테스트 클라이언트는 기본으로 CSRF를 건너뛴다)."""
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/login/")
    return client


@pytest.mark.parametrize("charset", CHARSETS)
@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/signup/", "/i18n/setlang/"])
def test_a_form_in_another_charset_is_a_400_not_a_500(csrf_client, path, charset):
    token = csrf_client.cookies["csrftoken"].value

    response = csrf_client.post(
        path,
        f"csrfmiddlewaretoken={token}&username=minji&password=x",
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
    )

    assert response.status_code == 400
    assert "잘못된 요청" in response.content.decode()


@pytest.mark.parametrize("charset", CHARSETS)
@pytest.mark.parametrize("path", ["/chat/", "/chat/{c}/messages/", "/chat/replies/{r}/stop/"])
def test_a_logged_in_form_in_another_charset_is_a_400(csrf_client, user, path, charset):
    reply = conversation_start(user=user, content="질문", model="daehwa-demo")
    csrf_client.force_login(user)
    token = csrf_client.cookies["csrftoken"].value

    response = csrf_client.post(
        path.format(c=reply.conversation_id, r=reply.pk),
        "content=x",
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
        # htmx는 토큰을 본문이 아니라 머리글로 보낸다
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )

    assert response.status_code == 400


@pytest.mark.parametrize("before", ["²", "¹", "③", "١٢", "-1", "1.5", "abc", ""])
def test_an_odd_before_value_is_ignored(logged_in, user, before):
    reply = conversation_start(user=user, content="첫 질문", model="daehwa-demo")

    page = logged_in.get(f"/chat/{reply.conversation_id}/", {"before": before})
    fragment = logged_in.get(
        f"/chat/{reply.conversation_id}/", {"before": before}, headers={"HX-Request": "true"}
    )

    assert page.status_code == 200
    assert "첫 질문" in page.content.decode()
    assert fragment.status_code == 200
