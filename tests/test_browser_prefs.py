"""내 설정을 브라우저에서: 맞춤 지시와 화면 색(서버가 첫 그림부터 정한다), 머리글의 모델, 단축키와 도움말."""

import pytest
from playwright.sync_api import expect

from tests.support.browser import axe_violations, send, shot, sign_up
from tests.support.fake_openai import Reply

pytestmark = [pytest.mark.browser, pytest.mark.live]

DARK_BG = "rgb(20, 22, 27)"
LIGHT_BG = "rgb(246, 247, 251)"


def open_settings(page):
    page.locator("details.account-menu summary").click()
    page.locator("details.account-menu").get_by_role("link", name="설정").click()
    expect(page.get_by_role("heading", name="설정")).to_be_visible()


def background(page):
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


@pytest.mark.parametrize(("size", "scheme"), [("phone", "light"), ("desktop", "dark")])
def test_custom_instructions_reach_the_next_new_conversation(open_page, fake_openai, size, scheme):
    page = open_page(size, scheme)
    sign_up(page)
    open_settings(page)
    page.get_by_label("맞춤 지시").fill("존댓말로, 세 문장 안에 답해 주세요.")
    assert axe_violations(page) == []
    shot(page, f"settings-{size}-{scheme}")
    page.get_by_role("button", name="설정 저장").click()
    expect(page.get_by_role("status")).to_contain_text("설정을 저장했습니다")

    fake_openai.script(Reply(tokens=["네."]), Reply(tokens=["제목"]))
    page.goto("/chat/")
    send(page, "안녕")
    expect(page.locator("article.bubble-assistant .markdown")).to_contain_text("네.")
    request = fake_openai.requests[0]
    assert request["messages"][0] == {
        "role": "system",
        "content": "존댓말로, 세 문장 안에 답해 주세요.",
    }
    assert page.console_errors == []


@pytest.mark.parametrize("javascript", [True, False])
def test_the_chosen_theme_is_there_from_the_first_paint(open_page, javascript):
    # 기기는 밝은데 어둡게를 골랐다: 스크립트 없이도, 첫 응답의 HTML부터 어둡다
    page = open_page("desktop", "light", javascript=javascript)
    sign_up(page)
    assert background(page) == LIGHT_BG
    open_settings(page)
    page.get_by_label("화면 색").select_option("dark")
    page.get_by_role("button", name="설정 저장").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert background(page) == DARK_BG

    first_html = page.request.get("/chat/").text()
    assert '<html lang="ko" data-theme="dark">' in first_html
    page.goto("/chat/")
    assert background(page) == DARK_BG
    if javascript:
        # axe는 스크립트로 돈다: JavaScript를 끈 창에서는 돌 수 없다
        assert axe_violations(page) == []
    shot(page, f"theme-dark-on-light-device-{'js' if javascript else 'nojs'}")
    assert page.console_errors == []


def test_light_on_a_dark_device_and_the_device_when_asked(open_page):
    page = open_page("phone", "dark")
    sign_up(page)
    assert background(page) == DARK_BG
    open_settings(page)
    page.get_by_label("화면 색").select_option("light")
    page.get_by_role("button", name="설정 저장").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    assert background(page) == LIGHT_BG
    assert axe_violations(page) == []
    shot(page, "theme-light-on-dark-phone")

    page.get_by_label("화면 색").select_option("system")
    page.get_by_role("button", name="설정 저장").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "system")
    assert background(page) == DARK_BG
    assert page.console_errors == []
