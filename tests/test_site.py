"""사이트 전체: 상태 점검, 언어 전환, 오류 페이지, 정적 파일."""

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.test import Client

from chatproject import views


@pytest.mark.django_db
def test_healthz_reports_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok", "status": "ok"}
    assert "no-cache" in response.headers["Cache-Control"]


@pytest.mark.django_db
def test_healthz_names_a_cache_that_is_down(client, settings):
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "core.cache.SharedRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        },
    }

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"database": "ok", "cache": "error", "status": "error"}


@pytest.mark.django_db
def test_healthz_names_a_database_that_is_down(client, monkeypatch, settings):
    # 캐시를 DB와 떼어 놓는다: Redis가 없을 때의 기본 캐시는 DB에 있어 함께 멈춘다
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }

    def refuse():
        raise OperationalError("connection refused")

    monkeypatch.setattr(views.connection, "cursor", refuse)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"database": "error", "cache": "ok", "status": "error"}


@pytest.mark.django_db
def test_language_switch_works_logged_out_and_persists(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})

    assert response.status_code == 302
    assert response.url == "/accounts/login/"
    cookie = client.cookies["django_language"]
    assert cookie.value == "en"
    assert cookie["max-age"] == 365 * 24 * 60 * 60
    page = client.get("/accounts/login/").content.decode()
    assert '<html lang="en" ' in page
    assert "Log in" in page
    assert 'value="ko"' in page  # 되돌아갈 한국어 버튼


@pytest.mark.django_db
def test_language_switch_back_to_korean(english):
    english.post("/i18n/setlang/", {"language": "ko", "next": "/accounts/login/"})

    page = english.get("/accounts/login/").content.decode()

    assert '<html lang="ko" ' in page
    assert "로그인 유지" in page


@pytest.mark.django_db
def test_language_switch_ignores_unknown_languages(client):
    client.post("/i18n/setlang/", {"language": "xx", "next": "/accounts/login/"})

    page = client.get("/accounts/login/").content.decode()

    assert '<html lang="ko" ' in page


@pytest.mark.django_db
def test_unknown_page_is_a_404_in_the_site_look(client):
    response = client.get("/no-such-page/")

    html = response.content.decode()
    assert response.status_code == 404
    assert 'class="site-header"' in html
    assert "페이지를 찾을 수 없습니다" in html


@pytest.mark.django_db
def test_server_error_is_a_500_in_the_site_look(settings):
    settings.ROOT_URLCONF = "tests.support.urls_with_error"
    client = Client(raise_request_exception=False)

    response = client.get("/broken/")

    html = response.content.decode()
    assert response.status_code == 500
    assert 'class="site-header"' in html
    assert "서버에 문제가 생겼습니다" in html
    assert "<script" not in html


@pytest.mark.django_db
def test_favicon_is_served(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response.url.endswith("favicon.svg")
    assert 'rel="icon"' in client.get("/accounts/login/").content.decode()


@pytest.mark.django_db
def test_collected_static_files_are_hashed_compressed_and_cached_for_long(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)

    page = Client().get("/accounts/login/").content.decode()
    css_url = next(part for part in page.split('"') if "/css/app." in part)
    response = Client().get(css_url)

    assert css_url != "/static/css/app.css"
    assert (tmp_path / "django_htmx" / "ext").is_dir()
    assert list(tmp_path.glob("css/app.*.css.gz"))
    assert response.status_code == 200
    assert "immutable" in response.headers["Cache-Control"]
    assert "max-age=315360000" in response.headers["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/accounts/signup/", "/no-such-page/", "/healthz-nope"]
)
def test_site_name_setting_names_every_page(client, settings, path):
    # Django의 LoginView는 자기 site_name(요청 호스트)을 컨텍스트에 넣는다: 그것에 덮이면 안 된다
    settings.SITE_NAME = "Bootcamp Chat"

    html = client.get(path).content.decode()

    assert '<a class="brand" href="/">Bootcamp Chat</a>' in html
    assert "Bootcamp Chat</title>" in html
