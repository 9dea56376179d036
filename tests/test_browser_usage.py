"""실제 브라우저로: 답변 하나가 사용량 페이지의 그림과 표에 나타나고, 어두운 화면에서도 막대가 보인다. CSP 위반 없음.

한도 가까이에서 계량기가 호박색, 넘으면 빨강(말로도)이 되고, 거절은 휴대폰에서 몇 줄로 풀리는 때와 사용량
페이지로 가는 고리를 보인다 (390x844와 1366x850, 밝은 화면과 어두운 화면, JavaScript 없이도)."""

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import SIZES, axe_violations, send, shot, sign_up, watched_page
from tests.support.fake_openai import Reply
from tests.support.servers import asgi_server, llm_env

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_a_reply_shows_on_the_usage_page_as_svg_and_table_in_dark_mode(
    browser, live_asgi, fake_openai
):
    fake_openai.script(
        Reply(tokens=["사용량 ", "확인"], usage={"prompt_tokens": 30, "completion_tokens": 5}),
        Reply(tokens=["제목"]),
    )
    context = browser.new_context(locale="ko-KR", base_url=live_asgi, color_scheme="dark")
    page = context.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        sign_up(page, "usage_viewer")
        page.get_by_label("메시지").fill("사용량을 보여 줘")
        page.get_by_role("button", name="보내기").click()
        expect(page.locator("article.bubble-assistant .markdown")).to_have_text("사용량 확인")

        # 사용량은 머리글의 계정 메뉴 안에 있다
        page.locator(".account-menu summary").click()
        page.get_by_role("link", name="사용량", exact=True).click()

        expect(page).to_have_url(re.compile(r"/accounts/usage/$"))
        chart = page.get_by_role("img", name="지난 30일 동안 하루에 쓴 토큰")
        expect(chart).to_be_visible()
        bar = page.locator("rect.usage-chart-bar")
        expect(bar).to_have_count(1)
        # 어두운 화면의 강조색: 배경(#14161b) 위에서 읽힌다
        assert bar.evaluate("element => getComputedStyle(element).fill") == "rgb(124, 156, 255)"
        today = page.locator("table.usage-table tbody tr").first
        expect(today.locator("td").first).to_have_text("35")
        assert errors == []
    finally:
        context.close()


@pytest.fixture(scope="module")
def quota_site(tmp_path_factory, fake_openai_server):
    """하루 한도가 40토큰인 사이트."""
    env = {**llm_env(fake_openai_server), "DAILY_TOKEN_QUOTA": "40"}
    with asgi_server(tmp_path_factory.mktemp("quota"), **env) as base_url:
        yield base_url


def test_crossing_the_quota_shows_the_meter_then_refuses_and_keeps_the_text(
    browser, quota_site, fake_openai
):
    fake_openai.script(
        Reply(tokens=["한도 ", "근처"], usage={"prompt_tokens": 30, "completion_tokens": 5}),
        Reply(tokens=["제목"]),
        Reply(tokens=["한도 ", "넘음"], usage={"prompt_tokens": 40, "completion_tokens": 5}),
    )
    context = browser.new_context(locale="ko-KR", base_url=quota_site)
    page = context.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    try:
        sign_up(page, "quota_student")
        page.get_by_label("메시지").fill("첫 질문")
        page.get_by_role("button", name="보내기").click()
        expect(page.locator("article.bubble-assistant .markdown").last).to_have_text("한도 근처")
        expect(page.locator("#conversation-title")).to_have_text("제목")

        # 35/40 = 87 %: 다시 읽으면 입력창 위에 계량기가 보인다
        page.reload()
        expect(page.locator("#usage-meter")).to_contain_text("87%")
        page.get_by_label("메시지").fill("둘째 질문")
        page.get_by_role("button", name="보내기").click()
        expect(page.locator("article.bubble-assistant .markdown").last).to_have_text("한도 넘음")

        page.get_by_label("메시지").fill("한도를 넘은 뒤의 질문")
        page.get_by_role("button", name="보내기").click()

        expect(page.locator("#composer [role=alert]")).to_contain_text(
            "오늘의 토큰 40개를 모두 썼습니다"
        )
        expect(page.get_by_label("메시지")).to_have_value("한도를 넘은 뒤의 질문")
        expect(page.locator("article.bubble-user")).to_have_count(2)
        assert len(fake_openai.requests) == 3
        assert errors == []
    finally:
        context.close()


def quota_page(browser, base_url, size, scheme="light", *, javascript=True):
    """한도가 40토큰인 사이트의 새 창 (open_page와 같은 크기와 테마, 콘솔 오류를 모은다)."""
    context = browser.new_context(
        locale="ko-KR",
        base_url=base_url,
        color_scheme=scheme,
        java_script_enabled=javascript,
        **SIZES[size],
    )
    return watched_page(context)


def line_count(locator) -> float:
    """한 요소가 화면에서 차지한 줄 수: 높이를 줄 높이로 나눈다."""
    return locator.evaluate(
        "element => element.getBoundingClientRect().height"
        " / parseFloat(getComputedStyle(element).lineHeight)"
    )


# 계량기 막대의 색: 밝은 화면과 어두운 화면의 호박색 (app.css --warn-fill), 빨강 (--danger)
AMBER = {"light": "#d97706", "dark": "#f0b43c"}
RED = {"light": "#b3261e", "dark": "#ffb4ab"}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_meter_turns_amber_then_red_and_the_refusal_fits_in_a_few_lines(
    browser, quota_site, fake_openai, size, scheme
):
    fake_openai.script(
        Reply(tokens=["한도 ", "근처"], usage={"prompt_tokens": 30, "completion_tokens": 5}),
        Reply(tokens=["제목"]),
        Reply(tokens=["한도 ", "넘음"], usage={"prompt_tokens": 40, "completion_tokens": 5}),
    )
    page = quota_page(browser, quota_site, size, scheme)
    try:
        sign_up(page, "meter")
        send(page, "첫 질문")
        expect(page.locator("#conversation-title")).to_have_text("제목")

        # 35/40: 호박색과 "거의 다 씀", 풀리는 때는 "자정(0시)" (Django의 "오전 12:00"이 아니다)
        page.reload()
        meter = page.locator("#usage-meter")
        expect(meter).to_have_class(re.compile(r"\busage-level-near\b"))
        expect(meter).to_contain_text("거의 다 씀")
        expect(meter).to_contain_text("자정(0시)에 다시 0부터 셉니다.")
        assert (
            meter.evaluate("e => getComputedStyle(e).getPropertyValue('--meter-fill')")
            == (AMBER[scheme])
        )
        assert axe_violations(page) == []
        shot(page, f"quota-near-{size}-{scheme}")
        # axe가 입력칸에 남긴 빈 style=""을 htmx가 바꿔 넣을 때 옮겨 쓰면 CSP가 막는다: 새로 읽고 보낸다
        page.reload()

        # 80/40: 다시 읽으면 빨강과 "한도 도달" (계량기는 보낼 때와 페이지를 그릴 때 센다)
        send(page, "둘째 질문")
        expect(page.locator("article.bubble-assistant .markdown").last).to_have_text("한도 넘음")
        page.reload()
        expect(meter).to_have_class(re.compile(r"\busage-level-over\b"))
        expect(meter).to_contain_text("한도 도달")
        assert (
            meter.evaluate("e => getComputedStyle(e).getPropertyValue('--meter-fill')")
            == (RED[scheme])
        )

        send(page, "한도를 넘은 뒤의 질문")
        alert = page.locator("#composer [role=alert]")
        expect(alert).to_contain_text(
            "오늘의 토큰 40개를 모두 썼습니다. 자정(0시)에 다시 보낼 수 있습니다."
        )
        expect(alert).not_to_contain_text("오전")
        assert line_count(alert.locator("li")) <= 3
        expect(page.get_by_label("메시지")).to_have_value("한도를 넘은 뒤의 질문")
        assert len(fake_openai.requests) == 3
        assert axe_violations(page) == []
        shot(page, f"quota-refused-{size}-{scheme}")

        alert.get_by_role("link", name="사용량 보기").click()
        expect(page).to_have_url(re.compile(r"/accounts/usage/$"))
        today = page.locator(".usage-today")
        expect(today).to_have_class(re.compile(r"\busage-level-over\b"))
        expect(today).to_contain_text("한도 도달")
        expect(today).to_contain_text("자정(0시)에 다시 0부터 셉니다.")
        expect(page.locator(".usage-explain")).to_contain_text("대화 전체를 입력으로 읽으므로")
        assert axe_violations(page) == []
        shot(page, f"quota-usage-{size}-{scheme}")
        page.get_by_role("link", name="새 대화를 시작하세요").click()
        expect(page).to_have_url(re.compile(r"/chat/$"))
        assert page.console_errors == []
    finally:
        page.context.close()


def test_without_javascript_the_refusal_page_keeps_the_text_and_links_to_usage(
    browser, quota_site, fake_openai
):
    fake_openai.script(
        Reply(tokens=["한도 ", "넘음"], usage={"prompt_tokens": 40, "completion_tokens": 5}),
        Reply(tokens=["제목"]),
    )
    page = quota_page(browser, quota_site, "phone", javascript=False)
    try:
        sign_up(page, "nojs_quota")
        send(page, "첫 질문")
        expect(page.locator("article.bubble-assistant .markdown")).to_have_text("한도 넘음")

        send(page, "한도를 넘은 뒤의 질문")

        alert = page.locator("#composer [role=alert]")
        expect(alert).to_contain_text("자정(0시)에 다시 보낼 수 있습니다.")
        assert line_count(alert.locator("li")) <= 3
        expect(page.get_by_label("메시지")).to_have_value("한도를 넘은 뒤의 질문")
        expect(page.locator("#usage-meter")).to_contain_text("한도 도달")
        # axe는 JavaScript가 꺼진 창에서 돌지 않는다: 같은 마크업을 위의 시험이 JavaScript와 함께 본다
        shot(page, "quota-refused-nojs-phone")
        alert.get_by_role("link", name="사용량 보기").click()
        expect(page).to_have_url(re.compile(r"/accounts/usage/$"))
        # 거절 페이지의 상태 429만: 다른 오류나 CSP 위반은 없다
        assert page.console_errors == [
            "Failed to load resource: the server responded with a status of 429 (Too Many Requests)"
        ]
    finally:
        page.context.close()
