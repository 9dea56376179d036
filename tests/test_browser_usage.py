"""실제 브라우저로: 답변 하나가 사용량 페이지의 그림과 표에 나타나고, 어두운 화면에서도 막대가 보인다. CSP 위반 없음."""

import re

import pytest
from playwright.sync_api import expect

from tests.fake_openai import Reply
from tests.test_browser import sign_up

pytestmark = pytest.mark.browser


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
