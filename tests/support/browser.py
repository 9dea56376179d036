"""브라우저 테스트 준비: 데비안 chromium을 Playwright로 구동한다. 브라우저를 내려받지 않는다."""

import os
from contextlib import contextmanager
from itertools import count
from pathlib import Path

import axe_playwright_python
import pytest
from playwright.sync_api import expect

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_chromium() -> None:
    """없으면 이유를 밝히고 건너뛴다. CI(DAEHWA_REQUIRE_BROWSER=1)에서는 실패로 친다."""
    if CHROMIUM.exists():
        return
    reason = "Debian's chromium is not installed (apt-get install -y chromium)"
    if os.environ.get("DAEHWA_REQUIRE_BROWSER"):
        pytest.fail(reason)
    pytest.skip(reason)


def watched_page(context):
    """새 창. 콘솔 오류와 CSP 위반을 page.console_errors에 모은다 (시험은 빈 목록을 기대한다)."""
    page = context.new_page()
    page.console_errors = []
    page.on(
        "console",
        lambda message: message.type == "error" and page.console_errors.append(message.text),
    )
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    return page


PASSWORD = "maple-lantern-58"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
SIZES = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1366, "height": 850}},
}
# 시험용으로 설치된 axe-core (실행 중에 내려받지 않는다)
AXE = Path(axe_playwright_python.__file__).with_name("axe.min.js").read_text()
_names = count()


def sign_up(page, prefix="student"):
    page.goto("/accounts/signup/")
    page.get_by_label("아이디").fill(f"{prefix}{next(_names)}")
    page.get_by_label("비밀번호", exact=True).fill(PASSWORD)
    page.get_by_label("비밀번호 확인").fill(PASSWORD)
    page.get_by_role("button", name="계정 만들기").click()
    expect(page.get_by_label("메시지")).to_be_visible()
    # 입력창이 보여도 defer 스크립트(단축키, 메뉴)는 아직일 수 있다: 바쁜 CI에서 그 사이에 누른 ?가 그냥 지나갔다
    page.wait_for_load_state("domcontentloaded")


def send(page, text):
    page.get_by_label("메시지").fill(text)
    page.get_by_role("button", name="보내기").click()


def axe_violations(page):
    """axe-core의 위반 목록 (영향과 상관없이 모두). CSP는 Playwright의 evaluate를 막지 않는다."""
    page.evaluate(AXE)
    return page.evaluate(
        """async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.map(v => `${v.id} (${v.impact}): ${v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', ')}`);
    }"""
    )


def shot(page, name):
    """화면을 남긴다. 커서를 숨기려고 Playwright가 넣는 <style>은 CSP가 막아 콘솔 오류가 되므로 커서는 그대로 둔다."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", caret="initial")


def watch_final_swap(page):
    """마지막 답변으로 바뀌기 직전과 직후의 말풍선 높이를 잰다 (끝날 때의 레이아웃 이동)."""
    page.evaluate(
        """() => {
        window.finalSwap = null;
        document.addEventListener('htmx:sseBeforeMessage', event => {
          if (event.detail.type !== 'reply') return;
          const id = event.target.id, before = event.target.getBoundingClientRect().height;
          requestAnimationFrame(() => setTimeout(() => {
            window.finalSwap = {before, after: document.getElementById(id).getBoundingClientRect().height};
          }, 50));
        });
    }"""
    )


@contextmanager
def page_opener(browser, base_url):
    """크기와 테마를 고른 새 창을 여는 함수. 창마다 콘솔 오류(CSP 위반 포함)를 모으고, 끝나면 모두 닫는다."""
    contexts = []

    def make(size="desktop", scheme="light", *, javascript=True, **options):
        context = browser.new_context(
            locale="ko-KR",
            base_url=base_url,
            color_scheme=scheme,
            java_script_enabled=javascript,
            **SIZES[size],
            **options,
        )
        contexts.append(context)
        return watched_page(context)

    try:
        yield make
    finally:
        for context in contexts:
            context.close()
