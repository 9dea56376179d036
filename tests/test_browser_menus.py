"""메뉴와 기다림: Escape와 바깥 누르기로 닫히는 메뉴, 다시 열면 그대로인 신고 양식, 목록에서 이름 바꾸기와
지우기, 답변을 쓰는 동안 숨 쉬는 점과 탭 제목, JavaScript 없는 "쓰는 중" 화면."""

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import axe_violations, send, shot, sign_up
from tests.support.fake_openai import Reply

pytestmark = [pytest.mark.browser, pytest.mark.live]


def finished_reply(page, fake_openai, text="끝난 답"):
    fake_openai.script(Reply(tokens=[text]), Reply(tokens=["메뉴 시험"]))
    send(page, "안녕")
    expect(page.locator("article.bubble-assistant .markdown")).to_contain_text(text)


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_menus_close_on_escape_and_outside_and_one_closes_the_other(open_page, fake_openai, size):
    page = open_page(size)
    sign_up(page)
    finished_reply(page, fake_openai)
    account = page.locator("details.account-menu")
    options = page.locator("details.conversation-menu")

    account.locator("summary").click()
    expect(account).to_have_attribute("open", "")
    page.keyboard.press("Escape")
    expect(account).not_to_have_attribute("open", "")
    expect(account.locator("summary")).to_be_focused()

    # 열린 계정 메뉴는 데스크톱에서 Options 단추를 덮는다: Options를 먼저 열고 계정 메뉴로 닫게 한다
    options.locator("summary").click()
    expect(options).to_have_attribute("open", "")
    account.locator("summary").click()
    expect(account).to_have_attribute("open", "")
    expect(options).not_to_have_attribute("open", "")

    page.locator("#messages article").first.click()
    expect(account).not_to_have_attribute("open", "")
    assert page.console_errors == []


def test_the_report_form_opens_in_view_closes_and_keeps_what_was_typed(open_page, fake_openai):
    page = open_page("phone", "dark")
    sign_up(page)
    finished_reply(page, fake_openai)
    requests = []
    page.on(
        "request", lambda request: "/report/" in request.url and requests.append(request.method)
    )

    page.get_by_role("link", name="신고").click()
    form = page.locator(".report-form")
    expect(form).to_be_in_viewport()
    form.get_by_label("메모 (선택)").fill("표가 틀렸어요")
    assert axe_violations(page) == []
    shot(page, "report-form-phone-dark")
    page.keyboard.press("Escape")
    expect(form).to_be_hidden()
    expect(page.get_by_role("link", name="신고")).to_be_focused()

    # 다시 열면 받아 둔 양식 그대로: 쓴 글이 남아 있고 서버에 다시 묻지 않는다
    page.get_by_role("link", name="신고").click()
    expect(form).to_be_visible()
    expect(form.get_by_label("메모 (선택)")).to_have_value("표가 틀렸어요")
    assert requests == ["GET"]

    # 다른 메뉴를 열면 닫히고, 취소 단추도 닫는다
    page.locator("details.account-menu summary").click()
    expect(form).to_be_hidden()
    page.keyboard.press("Escape")
    page.get_by_role("link", name="신고").click()
    form.get_by_role("button", name="취소").click()
    expect(form).to_be_hidden()
    assert page.console_errors == []


def test_a_conversation_is_renamed_and_deleted_from_the_sidebar(open_page, fake_openai):
    page = open_page("desktop")
    sign_up(page)
    finished_reply(page, fake_openai, "첫 대화의 답")
    first = page.url
    page.get_by_role("link", name="새 대화").click()
    fake_openai.script(Reply(tokens=["둘째 답"]), Reply(tokens=["둘째 대화"]))
    send(page, "또 안녕")
    expect(page.locator("#conversation-title")).to_have_text("둘째 대화")
    item = page.locator(".conversation-list li", has_text="메뉴 시험")

    item.locator("summary").click()
    assert axe_violations(page) == []
    shot(page, "sidebar-item-menu-desktop-light")
    page.once("dialog", lambda dialog: dialog.accept())
    item.get_by_role("link", name="지우기").click()

    # 보던 대화에 머물고 목록의 그 줄만 빠진다
    expect(item).to_have_count(0)
    expect(page.locator("#conversation-title")).to_have_text("둘째 대화")
    assert page.url != first

    page.locator(".conversation-list li", has_text="둘째 대화").locator("summary").click()
    page.get_by_role("link", name="이름 바꾸기").click()
    page.get_by_label("이름", exact=True).fill("정리한 이름")
    page.get_by_role("button", name="저장").click()
    expect(page.locator("#conversation-title")).to_have_text("정리한 이름")
    assert page.console_errors == []


def test_a_reply_being_written_pulses_and_names_itself_in_the_tab(open_page, fake_openai):
    fake_openai.script(
        Reply(
            tokens=["첫 조각 ", *[f"조각{n} " for n in range(8)]],
            delay=0.3,
            stall=1.0,
            stall_after=0,
        ),
        Reply(tokens=["기다림"]),
    )
    page = open_page("phone")
    sign_up(page)
    send(page, "천천히 답해 줘")

    reply = page.locator("article.bubble-assistant").last
    tail = reply.locator(".stream-tail")
    # 첫 토큰 전: 점 하나만, 숨 쉬며
    expect(tail).to_be_visible()
    animation = tail.evaluate("node => getComputedStyle(node, '::after').animationName")
    assert animation == "writing-pulse"
    expect(page).to_have_title(re.compile("^쓰는 중… · "))
    expect(tail).to_contain_text("조각1")
    shot(page, "writing-phone-light")
    expect(reply.locator(".markdown")).to_contain_text("조각7")
    expect(page).not_to_have_title(re.compile("쓰는 중"))
    assert page.console_errors == []


def test_the_pulse_holds_still_for_reduced_motion(open_page, fake_openai):
    fake_openai.script(Reply(tokens=["a"], stall=3.0, stall_after=0), Reply(tokens=["b"]))
    page = open_page("desktop", "dark", reduced_motion="reduce")
    sign_up(page)
    send(page, "x")

    tail = page.locator("article.bubble-assistant .stream-tail").last
    expect(tail).to_be_visible()
    # 멈춘 3초 안에 먼저 읽는다: axe와 화면 찍기가 그 시간을 다 쓰면 꼬리가 사라진다
    assert tail.evaluate("node => getComputedStyle(node, '::after').animationName") == "none"
    assert axe_violations(page) == []
    shot(page, "writing-desktop-dark")


def test_without_javascript_a_long_reply_shows_a_writing_page_not_a_spinner(open_page, fake_openai):
    fake_openai.script(
        Reply(tokens=[f"조각{n} " for n in range(10)], delay=0.6), Reply(tokens=["긴 답"])
    )
    page = open_page("phone", javascript=False)
    sign_up(page)

    page.get_by_label("메시지").fill("길게 답해 줘")
    page.get_by_role("button", name="보내기").click()

    # Playwright의 글자 찾기는 noscript 안을 보지 않는다: 클래스로 찾는다
    note = page.locator(".writing-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("답변을 쓰고 있습니다")
    expect(page).to_have_title(re.compile("^쓰는 중… · "))
    shot(page, "writing-nojs-phone-light")
    # 스스로 새로 읽다가 끝난 답을 보인다 (제목도 그때 짓는다)
    expect(page.locator("article.bubble-assistant .markdown")).to_contain_text(
        "조각9", timeout=20_000
    )
    expect(page.locator("#conversation-title")).to_have_text("긴 답")
