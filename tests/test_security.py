"""보안 기본값: CSRF, 쿠키, CSP, 비밀 키 없이 시작하지 않기, check --deploy."""

import json
import os
import re
import secrets
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.test import Client

import chatproject.settings as real_settings
from accounts.hashers import SmallServerArgon2PasswordHasher
from tests.support.servers import BASE_DIR, asgi_server, manage


def run_manage(*args, **env_overrides):
    """진짜 settings.py로 manage.py를 띄운다: 테스트 설정과 개발자의 .env 없이."""
    env = {"PATH": os.environ["PATH"], "DJANGO_ENV_FILE": "", **env_overrides}
    return manage(env, *args, check=False)


def test_startup_refuses_without_a_secret_when_debug_is_off():
    result = run_manage("check", DJANGO_DEBUG="false")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_app_import_refuses_without_a_secret():
    result = subprocess.run(
        [sys.executable, "-c", "import chatproject.asgi"],
        cwd=BASE_DIR,
        env={"PATH": os.environ["PATH"], "DJANGO_ENV_FILE": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY is not set" in result.stderr


def test_debug_mode_runs_without_a_secret(tmp_path):
    result = run_manage(
        "check", DJANGO_DEBUG="true", DJANGO_DEV_SECRET_KEY_FILE=str(tmp_path / "key")
    )

    assert result.returncode == 0, result.stderr


def test_deploy_check_passes_behind_tls():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECURE="true",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="daehwa.example.org",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_complains_without_tls_settings():
    # 위 테스트가 아무것도 검사하지 않는 것이 아님을 보인다
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
    )

    assert result.returncode != 0
    assert "SECURE_SSL_REDIRECT" in result.stdout + result.stderr


@pytest.mark.django_db
def test_post_without_csrf_token_is_refused_with_a_clear_page():
    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"username": "minji", "password": "x"})

    assert response.status_code == 403
    assert "이 양식은 만료되었습니다" in response.content.decode()


@pytest.mark.django_db
def test_htmx_requests_carry_the_csrf_token_from_body(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    page = client.get("/", follow=True).content.decode()
    headers = json.loads(re.search(r"<body[^>]* hx-headers='([^']+)'", page).group(1))

    response = client.post("/accounts/logout/", headers=headers)

    assert response.status_code == 302


def test_session_cookie_is_httponly_and_lax(client, user, password):
    client.post("/accounts/login/", {"username": "minji", "password": password})

    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/accounts/signup/", "/no-such-page/", "/healthz"]
)
def test_every_response_has_a_strict_csp(client, path):
    response = client.get(path)

    policy = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "form-action 'self'" in policy
    # 스크립트는 우리 파일과, 페이지가 nonce를 쓸 때만 그 nonce
    assert re.search(r"script-src 'self'( 'nonce-[\w+/=-]+')?;", policy)


@pytest.mark.parametrize("path", ["/chat/", "/accounts/password_change/", "/accounts/logout/"])
def test_pages_have_no_inline_code_and_every_script_has_the_nonce(client, user, path):
    client.force_login(user)

    response = client.get(path)

    html = response.content.decode()
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts, "htmx should be on every page"
    for tag in scripts:
        assert f'nonce="{nonce}"' in tag
        assert " src=" in tag
    assert "<style" not in html
    assert " style=" not in html
    assert "hx-on" not in html


def test_argon2_with_a_small_memory_cost_comes_first():
    assert real_settings.PASSWORD_HASHERS[0] == "accounts.hashers.SmallServerArgon2PasswordHasher"

    encoded = make_password("blue-river-42", hasher=SmallServerArgon2PasswordHasher())

    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert SmallServerArgon2PasswordHasher().verify("blue-river-42", encoded)


def test_debug_workers_without_a_secret_share_one_key(tmp_path):
    # make run의 워커처럼 동시에 뜬 프로세스 둘: 키가 다르면 한 워커의 세션과 CSRF를 다른 워커가 거절한다
    key_file = tmp_path / "dev-secret-key"
    command = [sys.executable, "-c", "from django.conf import settings; print(settings.SECRET_KEY)"]
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_ENV_FILE": "",
        "DJANGO_DEBUG": "true",
        "DJANGO_DEV_SECRET_KEY_FILE": str(key_file),
        "DJANGO_SETTINGS_MODULE": "chatproject.settings",
    }
    workers = [
        subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    keys = {worker.communicate(timeout=60)[0].strip() for worker in workers}

    assert len(keys) == 1
    (key,) = keys
    assert len(key) >= 50
    assert key_file.read_text() == key
    # 남이 읽을 수 없게
    assert key_file.stat().st_mode & 0o077 == 0
    assert list(tmp_path.iterdir()) == [key_file]


def settings_value(name, **env_overrides):
    """진짜 settings.py를 주어진 환경으로 읽은 값 하나."""
    result = subprocess.run(
        [sys.executable, "-c", f"import chatproject.settings as s; print(repr(s.{name}))"],
        cwd=BASE_DIR,
        env={"PATH": os.environ["PATH"], "DJANGO_ENV_FILE": "", **env_overrides},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_hsts_preload_is_opt_in():
    secure = {"DJANGO_SECURE": "true", "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}

    assert settings_value("SECURE_HSTS_PRELOAD", **secure) == "False"
    assert settings_value("SECURE_HSTS_PRELOAD", DJANGO_HSTS_PRELOAD="true", **secure) == "True"


@pytest.fixture(scope="module")
def secure_server(tmp_path_factory):
    """DJANGO_SECURE=true로 뜬 진짜 앱 (TLS는 앞의 프록시가 끝낸다고 가정)."""
    with asgi_server(tmp_path_factory.mktemp("secure"), DJANGO_SECURE="true") as base_url:
        yield base_url


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url, headers=None):
    opener = urllib.request.build_opener(NoRedirects)
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=10) as reply:  # noqa: S310 - 우리 테스트 서버
            return reply.status, reply.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers


@pytest.mark.live
def test_healthz_answers_plain_http_behind_django_secure(secure_server):
    health, _ = fetch(f"{secure_server}/healthz")
    login, headers = fetch(f"{secure_server}/accounts/login/")

    # 로드 밸런서의 평문 점검은 200, 사람이 여는 화면은 HTTPS로
    assert health == 200
    assert login == 301
    assert headers["Location"].startswith("https://")


@pytest.mark.live
def test_hsts_is_sent_over_https_without_preload(secure_server):
    status, headers = fetch(f"{secure_server}/accounts/login/", {"X-Forwarded-Proto": "https"})

    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
