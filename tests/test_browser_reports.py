"""Chromium에서 답변 신고: htmx로는 답변 밑에서 열리고 닫히며, JavaScript가 꺼져도 페이지로 같은 일을 한다."""

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import sign_up
from tests.support.fake_openai import Reply

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_with_htmx_a_report_opens_under_the_reply_and_can_be_changed(page, fake_openai):
    fake_openai.script(Reply(tokens=["틀린 ", "답변"]), Reply(tokens=["신고 제목"]))
    sign_up(page, "reporter_js")
    page.get_by_label("메시지").fill("2 더하기 2는?")
    page.get_by_role("button", name="보내기").click()
    reply = page.locator("article.bubble-assistant").last
    expect(reply.locator(".markdown")).to_contain_text("틀린 답변")
    url = page.url

    reply.get_by_role("link", name="신고").click()
    # 페이지를 떠나지 않고 답변 밑에 양식이 열린다
    expect(reply.get_by_label("틀리거나 오해를 부름")).to_be_visible()
    assert page.url == url
    # 이유는 필수다: 브라우저가 고르기 전에는 보내지 않는다
    expect(reply.get_by_label("틀리거나 오해를 부름")).to_have_attribute("required", "")

    reply.get_by_label("틀리거나 오해를 부름").check()
    reply.get_by_label("메모 (선택)").fill("4입니다")
    reply.get_by_role("button", name="신고 보내기").click()
    expect(reply.get_by_role("status")).to_contain_text("강사가 이 답변을 살펴볼 것입니다")

    reply.get_by_role("link", name="신고 바꾸기").click()
    expect(reply.get_by_text("이미 이 답변을 신고했습니다")).to_be_visible()
    expect(reply.get_by_label("틀리거나 오해를 부름")).to_be_checked()
    expect(reply.get_by_label("메모 (선택)")).to_have_value("4입니다")
    assert page.url == url
    assert page.console_errors == []


def test_with_javascript_off_a_report_is_its_own_page(browser, live_asgi, fake_openai):
    fake_openai.script(Reply(tokens=["해로운 답변"]), Reply(tokens=["제목"]))
    context = browser.new_context(base_url=live_asgi, java_script_enabled=False)
    page = context.new_page()
    sign_up(page, "reporter_nojs")
    page.get_by_label("메시지").fill("질문")
    page.get_by_role("button", name="보내기").click()
    reply = page.locator("article.bubble-assistant").last
    expect(reply.locator(".markdown")).to_contain_text("해로운 답변")

    reply.get_by_role("link", name="신고").click()
    expect(page).to_have_url(re.compile(r"/chat/replies/\d+/report/$"))
    expect(page.get_by_role("heading", name="답변 신고하기")).to_be_visible()
    page.get_by_label("해롭거나 불쾌함").check()
    page.get_by_role("button", name="신고 보내기").click()

    expect(page).to_have_url(re.compile(r"/chat/[0-9a-f-]{36}/#message-\d+$"))
    expect(page.get_by_text("강사가 이 답변을 살펴볼 것입니다")).to_be_visible()
    context.close()
