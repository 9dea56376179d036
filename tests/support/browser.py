"""브라우저 테스트 준비: 데비안 chromium을 Playwright로 구동한다. 브라우저를 내려받지 않는다."""

import os
from pathlib import Path

import pytest

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
