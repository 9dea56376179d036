"""고정·보관·내려받기·공유를 브라우저로: 휴대폰(390×844)과 데스크톱(1366×850), 밝게와 어둡게.

목록 메뉴에서 고정하고 보관한 뒤 보관함에서 꺼내고, Options에서 내려받고 공유 링크를 만든 다음 다른 학생이 그
링크를 연다. 화면마다 axe 위반과 콘솔 오류가 없고 가로로 넘치지 않는다. 스크린숏은 screenshots/share-*.png.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import axe_violations, send, shot, sign_up
from tests.support.fake_openai import Reply

pytestmark = [pytest.mark.browser, pytest.mark.live]


def fits(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def check(page, name):
    assert axe_violations(page) == [], name
    assert fits(page), name
    assert page.console_errors == [], name
    shot(page, name)


def sidebar_item(page, size, title):
    """목록의 그 대화. 휴대폰에서는 서랍을 먼저 연다."""
    if size == "phone":
        page.locator(".drawer-toggle").click()
    return page.locator(".conversation-list li.sidebar-item", has_text=title)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_pin_archive_download_and_share(open_page, fake_openai, size, scheme):
    page = open_page(size, scheme)
    sign_up(page)
    fake_openai.script(Reply(tokens=["**리스트**는 바뀝니다."]), Reply(tokens=["리스트와 튜플"]))
    send(page, "리스트와 튜플의 차이?")
    expect(page.locator("#conversation-title")).to_have_text("리스트와 튜플")
    conversation_url = page.url.split("#")[0]

    # 목록 메뉴에서 고정: 보던 대화라 화면을 새로 읽고, "고정됨" 묶음 맨 위에 선다
    item = sidebar_item(page, size, "리스트와 튜플")
    item.locator("summary").click()
    check(page, f"share-sidebar-menu-{size}-{scheme}")
    item.get_by_role("button", name="맨 위에 고정").click()
    expect(page.locator(".sidebar-group h2").first).to_have_text("고정됨")

    # Options: 정리, 내려받기, 공유
    options = page.locator("details.conversation-menu")
    options.locator("summary").click()
    with page.expect_download() as download:
        options.get_by_role("link", name="Markdown").click()
    assert download.value.suggested_filename == "리스트와 튜플.md"
    options.get_by_role("button", name="공유 링크 만들기").click()
    link = options.locator(".share-url")
    expect(link).to_have_count(1)
    expect(options.get_by_role("status")).to_contain_text("링크를 만들었습니다")
    link.scroll_into_view_if_needed()
    check(page, f"share-options-{size}-{scheme}")
    share_url = link.input_value()

    # 보관: 목록에서 빠지고, 대화에는 안내와 꺼내기가 남는다
    options.get_by_role("button", name="보관").click()
    notice = page.locator(".archived-notice")
    expect(notice).to_be_visible()
    expect(page.locator(".conversation-list li.sidebar-item")).to_have_count(0)
    check(page, f"share-archived-note-{size}-{scheme}")

    # 보관함에서 꺼내기 (htmx): 줄이 빠지고 목록에 돌아온다
    if size == "phone":
        page.locator(".drawer-toggle").click()
    page.locator(".sidebar-archived a").click()
    expect(page.get_by_role("heading", name="보관한 대화", level=1)).to_be_visible()
    check(page, f"share-archive-{size}-{scheme}")
    page.locator(".archive-item").get_by_role("button", name="꺼내기").click()
    expect(page.locator(".archive-item")).to_have_count(0)
    expect(
        page.locator(".conversation-list li.sidebar-item", has_text="리스트와 튜플")
    ).to_have_count(1)
    expect(page.locator("#announcer")).to_contain_text("꺼냈습니다")

    # 다른 학생이 링크를 연다: 읽기 전용 사본, 돌아갈 길이 있다
    reader = open_page(size, scheme)
    sign_up(reader, "reader")
    reader.goto(share_url)
    expect(reader.get_by_role("heading", name="리스트와 튜플", level=1)).to_be_visible()
    expect(reader.locator(".shared-messages strong")).to_have_text("리스트")
    expect(reader.get_by_label("메시지")).to_have_count(0)
    expect(reader.get_by_role("link", name="대화로 돌아가기")).to_be_visible()
    check(reader, f"share-page-{size}-{scheme}")

    # 거두면 404
    page.goto(conversation_url)
    options.locator("summary").click()
    options.get_by_role("button", name="거두기").click()
    expect(options.locator(".share-url")).to_have_count(0)
    assert reader.goto(share_url).status == 404
    assert page.console_errors == []


def test_without_javascript_every_control_still_works(open_page, fake_openai):
    page = open_page("phone", javascript=False)
    sign_up(page)
    fake_openai.script(Reply(tokens=["답"]), Reply(tokens=["자바스크립트 없이"]))
    send(page, "안녕")
    expect(page.locator("#conversation-title")).to_have_text("자바스크립트 없이")

    # 만들면 Options가 열린 채로 돌아와 주소가 보인다
    options = page.locator("details.conversation-menu")
    options.locator("summary").click()
    options.get_by_role("button", name="공유 링크 만들기").click()
    expect(options).to_have_attribute("open", "")
    expect(options.locator(".share-url")).to_have_count(1)
    # JavaScript가 꺼진 창에서는 axe를 돌릴 수 없다 (evaluate가 돌지 않는다): 같은 HTML은 위의 시험이 본다
    shot(page, "share-options-nojs-phone-light")

    options.get_by_role("button", name="보관").click()
    expect(page.locator(".messages")).to_contain_text("보관했습니다")
    page.goto("/chat/archived/")
    page.locator(".archive-item").get_by_role("button", name="꺼내기").click()
    expect(page).to_have_url(re.compile(r"/chat/archived/$"))
    expect(page.locator(".messages")).to_contain_text("꺼냈습니다")
    expect(page.locator(".archive-item")).to_have_count(0)
