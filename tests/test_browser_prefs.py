"""내 설정을 브라우저에서: 맞춤 지시와 화면 색(서버가 첫 그림부터 정한다), 머리글의 모델, 단축키와 도움말."""

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import (
    axe_violations,
    page_opener,
    send,
    shot,
    sign_up,
)
from tests.support.fake_openai import Reply
from tests.support.servers import asgi_server, llm_env

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


@pytest.fixture(scope="module")
def two_models_site(tmp_path_factory, fake_openai_server):
    """모델 둘을 쓰는 사이트: 머리글에 고르기가 나온다."""
    env = {**llm_env(fake_openai_server), "OPENAI_MODELS": "fake-model,fake-large"}
    with asgi_server(tmp_path_factory.mktemp("models"), **env) as base_url:
        yield base_url


@pytest.fixture
def open_site_page(browser, two_models_site):
    with page_opener(browser, two_models_site) as make:
        yield make


def header_fits(page):
    """머리글이 화면 너비를 넘지 않고, 제목·모델·Options가 한 줄에 있다."""
    return page.evaluate(
        """() => {
        const header = document.getElementById('conversation-header');
        const tops = ['#conversation-title', '#model-picker select, #model-picker', '.conversation-menu > summary']
            .map(s => header.querySelector(s).getBoundingClientRect());
        return header.scrollWidth <= header.clientWidth
            && header.getBoundingClientRect().right <= window.innerWidth
            && tops.every(r => r.right <= window.innerWidth && r.width > 0);
    }"""
    )


@pytest.mark.parametrize(
    ("size", "scheme"),
    [("phone", "light"), ("phone", "dark"), ("desktop", "light"), ("desktop", "dark")],
)
def test_the_header_shows_the_model_and_changing_it_takes_one_tap(
    open_site_page, fake_openai, size, scheme
):
    page = open_site_page(size, scheme)
    sign_up(page)
    fake_openai.script(
        Reply(tokens=["첫 답"]),
        Reply(tokens=["아주 긴 대화 제목이 여기에 들어갑니다 정말로 길게"]),
        Reply(tokens=["둘째 답"]),
    )
    send(page, "안녕")
    expect(page.locator("article.bubble-assistant .markdown")).to_contain_text("첫 답")
    picker = page.get_by_label("모델", exact=True)
    expect(picker).to_have_value("fake-model")
    expect(page.get_by_role("button", name="적용")).to_be_hidden()
    assert header_fits(page)
    assert axe_violations(page) == []
    shot(page, f"model-header-{size}-{scheme}")

    # 고르는 사람의 초점은 고르기에 있다 (select_option은 초점을 옮기지 않는다): 바뀐 뒤에도 그대로다
    picker.focus()
    picker.select_option("fake-large")
    expect(page.locator("#model-picker [role=status]")).to_be_attached()
    expect(page.get_by_label("모델", exact=True)).to_be_focused()
    send(page, "다시")
    expect(page.locator("article.bubble-assistant .markdown").last).to_contain_text("둘째 답")
    assert fake_openai.requests[-1]["model"] == "fake-large"
    assert page.console_errors == []


def test_without_javascript_the_model_is_changed_with_its_button(open_site_page, fake_openai):
    page = open_site_page("phone", "light", javascript=False)
    sign_up(page)
    fake_openai.script(Reply(tokens=["첫 답"]), Reply(tokens=["제목"]))
    send(page, "안녕")
    expect(page.locator("article.bubble-assistant .markdown")).to_contain_text("첫 답")
    page.get_by_label("모델", exact=True).select_option("fake-large")
    page.get_by_role("button", name="적용").click()
    expect(page.locator(".messages")).to_contain_text("다음 답변부터 fake-large 모델을 씁니다")
    expect(page.get_by_label("모델", exact=True)).to_have_value("fake-large")
    assert header_fits(page)
    shot(page, "model-header-phone-nojs")


def test_question_mark_opens_the_shortcuts_help_and_escape_closes_it(open_page, fake_openai):
    page = open_page("desktop", "light")
    sign_up(page)
    help_dialog = page.get_by_role("dialog", name="키보드 단축키")

    page.locator("body").press("?")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("새 대화 시작")
    assert axe_violations(page) == []
    shot(page, "shortcuts-desktop-light")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()

    # 입력창에 쓰는 ?는 글자다
    composer = page.get_by_label("메시지")
    composer.press("?")
    expect(composer).to_have_value("?")
    expect(help_dialog).to_be_hidden()
    assert page.console_errors == []


def test_the_account_menu_opens_the_shortcuts_help(open_page):
    page = open_page("phone", "dark")
    sign_up(page)
    page.locator("details.account-menu summary").click()
    page.get_by_role("link", name="키보드 단축키").click()
    help_dialog = page.get_by_role("dialog", name="키보드 단축키")
    expect(help_dialog).to_be_visible()
    expect(page.locator("details.account-menu")).not_to_have_attribute("open", "")
    assert axe_violations(page) == []
    shot(page, "shortcuts-phone-dark")
    help_dialog.get_by_role("button", name="닫기").click()
    expect(help_dialog).to_be_hidden()
    assert page.console_errors == []


def test_without_javascript_the_shortcuts_link_is_a_page(open_page):
    page = open_page("phone", "light", javascript=False)
    sign_up(page)
    page.locator("details.account-menu summary").click()
    page.get_by_role("link", name="키보드 단축키").click()
    expect(page).to_have_url(re.compile(r"/chat/shortcuts/$"))
    expect(page.get_by_role("heading", name="키보드 단축키")).to_be_visible()
    shot(page, "shortcuts-page-phone-nojs")


def test_slash_focuses_the_composer_and_ctrl_shift_o_starts_a_new_conversation(
    open_page, fake_openai
):
    fake_openai.script(Reply(tokens=["답"]), Reply(tokens=["제목"]))
    page = open_page("desktop", "dark")
    sign_up(page)
    send(page, "안녕")
    expect(page.locator("article.bubble-assistant .markdown")).to_contain_text("답")
    expect(page.locator("#conversation-title")).to_have_text("제목")
    page.locator("#conversation-title").click()

    page.keyboard.press("/")
    composer = page.get_by_label("메시지")
    expect(composer).to_be_focused()
    expect(composer).to_have_value("")

    page.keyboard.press("Control+Shift+O")
    expect(page).to_have_url(re.compile(r"/chat/$"))
    assert page.console_errors == []


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_escape_closes_a_menu_first_then_stops_the_reply(open_page, fake_openai, size):
    fake_openai.script(Reply(tokens=[f"긴답{index} " for index in range(200)], delay=0.05))
    page = open_page(size, "light")
    sign_up(page)
    send(page, "길게")
    reply = page.locator("article.bubble-assistant").last
    expect(reply.locator(".stream-tail")).to_contain_text("긴답3")

    account = page.locator("details.account-menu")
    account.locator("summary").click()
    page.keyboard.press("Escape")
    expect(account).not_to_have_attribute("open", "")
    expect(reply.locator(".badge")).to_have_text("작성 중")
    if size == "phone":
        # 서랍도 메뉴처럼 먼저 닫힌다
        page.get_by_role("link", name="대화 목록").click()
        expect(page.locator("#conversations")).to_be_in_viewport()
        page.keyboard.press("Escape")
        expect(page.locator("#conversations")).not_to_be_in_viewport()
        expect(reply.locator(".badge")).to_have_text("작성 중")

    page.get_by_label("메시지").focus()
    page.keyboard.press("Escape")
    expect(reply.locator(".badge")).to_have_text("멈춤")
    assert page.console_errors == []


def action_styles(locator):
    return locator.evaluate_all(
        """elements => elements.map(element => {
        const style = getComputedStyle(element);
        return [Math.round(element.getBoundingClientRect().height), style.fontSize, style.color,
                style.borderRadius, element.querySelectorAll('svg.action-icon').length];
    })"""
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_message_actions_share_one_style_and_the_users_copy_shows_on_hover(
    open_page, fake_openai, scheme
):
    fake_openai.script(Reply(tokens=["반쯤 ", "쓴 답", " 더"], cut_after=2))
    page = open_page("desktop", scheme)
    sign_up(page)
    send(page, "끊기는 답")
    reply = page.locator("article.bubble-assistant").last
    expect(reply.get_by_role("button", name="다시 시도")).to_be_visible()

    actions = reply.locator(".message-action")
    expect(actions).to_have_count(3)
    styles = action_styles(actions)
    assert len(set(map(tuple, styles))) == 1, styles
    assert styles[0][4] == 1

    copy_mine = page.locator("article.bubble-user .copy-message")
    page.mouse.move(5, 5)
    expect(copy_mine).to_have_css("opacity", "0")
    page.locator("article.bubble-user").hover()
    expect(copy_mine).to_have_css("opacity", "1")
    page.mouse.move(5, 5)
    copy_mine.focus()
    expect(copy_mine).to_have_css("opacity", "1")
    assert axe_violations(page) == []
    shot(page, f"message-actions-desktop-{scheme}")
    assert page.console_errors == []


def test_on_a_phone_the_users_copy_is_always_visible(open_page, fake_openai):
    fake_openai.script(Reply(tokens=["답"]), Reply(tokens=["제목"]))
    page = open_page("phone", "dark")
    sign_up(page)
    send(page, "안녕")
    expect(page.locator("article.bubble-assistant .markdown")).to_contain_text("답")
    expect(page.locator("article.bubble-user .copy-message")).to_have_css("opacity", "1")
    expect(page.locator("#conversation-title")).to_have_text("제목")
    assert axe_violations(page) == []
    shot(page, "message-actions-phone-dark")
    assert page.console_errors == []
