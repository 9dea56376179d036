"""실제 브라우저로: 답변 하나가 사용량 페이지의 그림과 표에 나타나고, 어두운 화면에서도 막대가 보인다. CSP 위반 없음."""

import re

import pytest
from playwright.sync_api import expect

from tests.support.fake_openai import Reply
from tests.support.servers import asgi_server, llm_env
from tests.test_browser import sign_up

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
