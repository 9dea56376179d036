"""live와 browser 표시: 쓰는 픽스처로 붙이고, 표시 없이 서버나 브라우저를 띄우는 테스트는 그 자리에서 실패시킨다.

`pytest -m "not live and not browser"`는 서버 없이 도는 빠른 고리다. 표시 하나를 잊은 새 테스트가 그 고리를
느리게 만들거나 서버를 몰래 띄우지 않도록, 수집할 때 픽스처를 보고 표시를 붙이고(mark_by_fixtures), 실행할 때
지킨다: 이 프로세스에서 연결을 기다리는 소켓(listen: 가짜 OpenAI 서버, asyncio 서버)과, 하위 프로세스를 띄우는
도우미(asgi_server, nginx)는 지금 도는 테스트가 live가 아니면 UnmarkedServer로 실패한다.
"""

import socket
from contextlib import contextmanager

import pytest

# 이 픽스처를 바로든 다른 픽스처를 거쳐서든 쓰는 테스트는 서버를 띄운다
# (fake_openai와 llm_server는 fake_openai_server를, live_asgi는 uvicorn을 띄운다)
LIVE_FIXTURES = frozenset({"fake_openai_server", "live_asgi"})
# conftest의 page는 Playwright로 Chromium을 띄운다
BROWSER_FIXTURES = frozenset({"page"})

_real_listen = socket.socket.listen
# 지금 도는 테스트. pytest 밖(스크립트)에서는 None이라 막지 않는다
_running: pytest.Item | None = None


class UnmarkedServer(RuntimeError):
    """표시 없는 테스트가 서버나 브라우저를 띄우려 했다."""


def mark_by_fixtures(items: list[pytest.Item]) -> None:
    for item in items:
        # parametrize로 받는 값은 이름이 같아도 픽스처가 아니다 (@parametrize("page", ["message", …]))
        callspec = getattr(item, "callspec", None)
        names = set(getattr(item, "fixturenames", ())) - set(callspec.params if callspec else ())
        if names & LIVE_FIXTURES:
            item.add_marker(pytest.mark.live)
        if names & BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)


@contextmanager
def running(item: pytest.Item):
    """item의 준비, 실행, 정리 동안 require가 그 테스트의 표시를 본다."""
    global _running
    _running = item
    try:
        yield
    finally:
        _running = None


def require(marker: str, what: str) -> None:
    if _running is not None and _running.get_closest_marker(marker) is None:
        raise UnmarkedServer(
            f"{_running.nodeid} starts {what} but is not marked {marker}: mark the test "
            f"@pytest.mark.{marker} (or the module's pytestmark) so that "
            f'`pytest -m "not live and not browser"` stays quick and starts nothing'
        )


def _listen(self, *args):
    require("live", "a server (a socket that listens)")
    return _real_listen(self, *args)


def install() -> None:
    socket.socket.listen = _listen
