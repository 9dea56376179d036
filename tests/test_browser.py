"""실제 브라우저로: 가입, 언어 전환, 로그아웃, 로그인. 콘솔 오류(CSP 위반 포함)는 하나도 없어야 한다."""

import re
import time

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PASSWORD = "maple-lantern-58"


def test_sign_up_switch_language_log_out_and_back_in(page):
    page.goto("/accounts/login/")
    # 영어 브라우저여도 첫 화면은 한국어다
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.get_by_role("heading", name="로그인")).to_be_visible()
    # htmx가 CSP nonce로 실제로 실행되었다
    assert page.evaluate("typeof htmx") == "object"

    page.get_by_role("link", name="계정 만들기").click()
    page.get_by_label("아이디").fill("browser_user")
    page.get_by_label("비밀번호", exact=True).fill(PASSWORD)
    page.get_by_label("비밀번호 확인").fill(PASSWORD)
    page.get_by_role("button", name="계정 만들기").click()

    expect(page).to_have_url(re.compile(r"/chat/$"))
    expect(page.get_by_text("browser_user 님, 환영합니다!")).to_be_visible()

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="New conversation")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_text("You have been logged out.")).to_be_visible()

    page.get_by_label("Username").fill("BROWSER_USER")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("The username or password is incorrect.")
    expect(page.get_by_label("Username")).to_have_value("BROWSER_USER")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Keep me logged in for two weeks").check()
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="New conversation")).to_be_visible()

    session = next(c for c in page.context.cookies() if c["name"] == "sessionid")
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Lax"
    assert 13 * 86400 < session["expires"] - time.time() <= 14 * 86400

    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.console_errors == []


def test_a_get_on_logout_only_asks(page):
    page.goto("/accounts/signup/")
    page.get_by_label("아이디").fill("asker")
    page.get_by_label("비밀번호", exact=True).fill(PASSWORD)
    page.get_by_label("비밀번호 확인").fill(PASSWORD)
    page.get_by_role("button", name="계정 만들기").click()

    page.goto("/accounts/logout/")
    expect(page.get_by_text("로그아웃할까요?")).to_be_visible()
    page.goto("/")
    expect(page.get_by_role("heading", name="새 대화")).to_be_visible()
    assert page.console_errors == []
