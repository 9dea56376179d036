"""서투르거나 악의적인 요청: 500이 아니라 400으로 답하고, 로그에는 경고 한 줄만 남긴다."""

import logging
import sys
import urllib.error
import urllib.request
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from chat.services import conversation_start
from core.request_log import RefusedRequestFilter
from tests.support.servers import Browserless, asgi_server

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


def test_too_many_files_at_once_say_what_went_wrong(english, user, settings):
    # Django는 본문을 읽다가 DATA_UPLOAD_MAX_NUMBER_FILES에서 멈춘다: 양식의 거절까지 가지 못하니 400 페이지가 말한다
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    reply = conversation_start(user=user, content="질문", model="daehwa-demo")
    english.force_login(user)
    files = [SimpleUploadedFile(f"note{n}.txt", b"hello") for n in range(4)]

    response = english.post(
        f"/chat/{reply.conversation_id}/messages/", {"content": "봐 주세요", "attachments": files}
    )

    assert response.status_code == 400
    assert "You picked too many files at once: a message carries at most 5." in (
        response.content.decode()
    )


def test_a_body_too_large_says_so(english, user, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    reply = conversation_start(user=user, content="질문", model="daehwa-demo")
    english.force_login(user)

    response = english.post(f"/chat/{reply.conversation_id}/messages/", {"content": "가" * 2000})

    assert response.status_code == 400
    assert "too large for the server" in response.content.decode()


@pytest.mark.parametrize(
    "before", ["²", "¹", "③", "١٢", "-1", "1.5", "abc", "", "9" * 5000, "9" * 30]
)
def test_an_odd_before_value_is_ignored(logged_in, user, before):
    reply = conversation_start(user=user, content="첫 질문", model="daehwa-demo")

    page = logged_in.get(f"/chat/{reply.conversation_id}/", {"before": before})
    fragment = logged_in.get(
        f"/chat/{reply.conversation_id}/", {"before": before}, headers={"HX-Request": "true"}
    )

    assert page.status_code == 200
    assert "첫 질문" in page.content.decode()
    assert fragment.status_code == 200


@pytest.fixture(scope="module")
def server_and_log(tmp_path_factory):
    """진짜 앱과 그 로그 파일: 로그 설정(필터, 형식)을 운영과 같게 시험한다."""
    workdir = tmp_path_factory.mktemp("refusals")
    with asgi_server(workdir) as base_url:
        yield base_url, workdir / "server.log"


def send(base_url, path, body=None, headers=None):
    """쿠키(CSRF) 하나를 받아 두고 요청 하나를 보낸다. (상태 코드, 로그에서 찾을 요청 번호)."""
    user = Browserless(base_url, signup=False)
    user.get("/accounts/login/")
    token = next(cookie.value for cookie in user.jar if cookie.name == "csrftoken")
    request_id = f"refusal-{uuid.uuid4().hex}"
    request = urllib.request.Request(  # noqa: S310 - 우리 테스트 서버
        base_url + path,
        body,
        headers={"X-CSRFToken": token, "X-Request-ID": request_id, **(headers or {})},
    )
    try:
        with user.opener.open(request, timeout=30) as response:
            return response.status, request_id
    except urllib.error.HTTPError as error:
        return error.code, request_id


def log_lines_of(log, request_id):
    """그 요청이 남긴 로그 줄. 서버는 응답을 보내기 전에 로그를 다 쓴다."""
    text = log.read_text()
    return [line for line in text.splitlines() if f"request={request_id}" in line], text


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.mark.live
@pytest.mark.parametrize(
    ("case", "path", "body", "headers"),
    [
        ("disallowed host", "/accounts/login/", None, {"Host": "evil.example"}),
        ("too big", "/accounts/login/", b"a=" + b"x" * (3 * 1024 * 1024), FORM),
        ("too many fields", "/accounts/login/", "&".join(["f=1"] * 1500).encode(), FORM),
        (
            "other charset",
            "/accounts/login/",
            b"username=a",
            {"Content-Type": "application/x-www-form-urlencoded; charset=latin-1"},
        ),
    ],
)
def test_a_refused_request_logs_one_warning_and_no_traceback(
    server_and_log, case, path, body, headers
):
    base_url, log = server_and_log

    status, request_id = send(base_url, path, body, headers)

    assert status == 400
    lines, text = log_lines_of(log, request_id)
    assert len(lines) == 1, text
    assert " WARNING " in lines[0]
    assert "ERROR" not in text
    assert "Traceback" not in text


def security_record(status_code):
    record = logging.LogRecord(
        "django.security.DisallowedHost",
        logging.ERROR,
        __file__,
        1,
        "Invalid HTTP_HOST",
        None,
        None,
    )
    record.status_code = status_code
    try:
        raise ValueError("hostile")
    except ValueError:
        record.exc_info = sys.exc_info()
    return record


def test_a_refusal_becomes_a_warning_but_a_failing_error_page_stays_an_error():
    refusal, failure = security_record(400), security_record(500)

    RefusedRequestFilter().filter(refusal)
    RefusedRequestFilter().filter(failure)

    assert (refusal.levelname, refusal.exc_info) == ("WARNING", None)
    # 400 페이지가 실패해 500이 되었다면 운영자가 봐야 한다
    assert failure.levelname == "ERROR"
    assert failure.exc_info is not None


def test_django_logs_only_through_our_handler():
    # Django의 기본 처리기가 남아 있으면 DEBUG에서 같은 줄이 필터 없이 한 번 더 찍힌다
    assert logging.getLogger("django").handlers == []
