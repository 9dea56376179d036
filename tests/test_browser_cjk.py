"""한국어 답변의 굵은 글씨가 브라우저에서 굵게: 스트리밍 중에 끝난 문단과 마지막 답변 모두."""

import pytest
from playwright.sync_api import expect

from tests.support.browser import axe_violations, send, shot, sign_up
from tests.support.fake_openai import Reply
from tests.support.html import STUDENT_REPORT

pytestmark = [pytest.mark.browser, pytest.mark.live]

BOLD = ["리스트(list)", "튜플(tuple)", '"안녕"']


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_korean_bold_before_a_particle_is_bold_while_streaming_and_after(
    open_page, fake_openai, size, scheme
):
    tokens = [f"{STUDENT_REPORT}\n\n", *[f"문단 {index}.\n\n" for index in range(8)], "끝."]
    # 두 문단 뒤에 멈춰 둔다: 바쁜 기계에서도 "쓰는 중"을 보는 동안 답이 끝나지 않게
    fake_openai.script(
        Reply(tokens=tokens, delay=0.05, stall=20.0, stall_after=2, stall_ping=1.0),
        Reply(tokens=["리스트와 튜플"]),
    )
    page = open_page(size, scheme)
    sign_up(page)

    send(page, "리스트와 튜플의 차이?")
    reply = page.locator("article.bubble-assistant").last
    # 쓰는 중: 끝난 첫 문단은 이미 굵다
    expect(reply.locator(".stream-blocks strong")).to_have_text(BOLD)
    expect(reply).to_have_attribute("aria-busy", "true")
    assert "**" not in reply.locator(".stream-blocks").inner_text()
    shot(page, f"cjk-bold-streaming-{size}-{scheme}")
    fake_openai.release()

    expect(reply.locator(".markdown p").last).to_have_text("끝.", timeout=15_000)
    expect(reply.locator(".markdown strong")).to_have_text(BOLD)
    assert "**" not in reply.inner_text()
    expect(page.locator("#conversation-title")).to_have_text("리스트와 튜플")
    shot(page, f"cjk-bold-finished-{size}-{scheme}")
    assert axe_violations(page) == []
    assert page.console_errors == []
