"""테스트 스위트의 안전망: 멈춘 테스트는 제한 시간에 실패하고, 루프백 밖으로는 한 바이트도 나가지 않는다.

live로 표시되지 않은 테스트는 서버를 띄우지 못한다 (tests/support/markers.py).
"""

import contextlib
import socket

import pytest

from tests.support import markers, network_guard
from tests.support.servers import asgi_server

# 이 주소들로는 아무것도 보내지 않는다: 가드가 실제 connect 전에 막는지 기록기로 확인한다
OUTSIDE = [("192.0.2.1", 443), ("10.0.0.1", 80), ("8.8.8.8", 53)]


@pytest.fixture
def real_calls(monkeypatch):
    """가드 뒤의 진짜 소켓 함수 대신 호출을 기록만 한다."""
    calls = []
    monkeypatch.setattr(network_guard, "_real_connect", lambda sock, address: calls.append(address))
    monkeypatch.setattr(network_guard, "_real_getaddrinfo", lambda *args, **kw: calls.append(args))
    monkeypatch.setattr(network_guard, "_real_sendto", lambda sock, data, *args: calls.append(args))
    return calls


@pytest.mark.parametrize("address", OUTSIDE)
def test_a_connection_outside_loopback_is_refused_before_it_leaves(real_calls, address):
    with socket.socket() as sock, pytest.raises(network_guard.NonLoopbackAddress):
        sock.connect(address)

    assert real_calls == []
    assert network_guard.take_escapes() == [f"connect {address!r}"]


def test_name_lookups_and_datagrams_outside_loopback_are_refused(real_calls):
    with pytest.raises(network_guard.NonLoopbackAddress):
        socket.getaddrinfo("api.openai.com", 443)
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock,
        pytest.raises(network_guard.NonLoopbackAddress),
    ):
        sock.sendto(b"x", ("192.0.2.1", 53))

    assert real_calls == []
    assert len(network_guard.take_escapes()) == 2


@pytest.mark.parametrize("lookup", ["gethostbyname", "gethostbyname_ex", "gethostbyaddr"])
def test_old_style_lookups_outside_loopback_are_refused(monkeypatch, lookup):
    calls = []
    monkeypatch.setattr(network_guard, f"_real_{lookup}", lambda host: calls.append(host))

    with pytest.raises(network_guard.NonLoopbackAddress):
        getattr(socket, lookup)("example.org")
    getattr(socket, lookup)("127.0.0.1")

    assert calls == ["127.0.0.1"]
    assert network_guard.take_escapes() == [f"{lookup} 'example.org'"]


def test_a_swallowed_refusal_still_fails_the_test(real_calls):
    # 앱이 연결 오류를 "연결 끊김"으로 삼켜도
    with contextlib.suppress(OSError):
        socket.create_connection(("192.0.2.1", 443), timeout=1)

    with pytest.raises(pytest.fail.Exception, match="non-loopback"):
        network_guard.fail_on_escapes()
    assert network_guard.take_escapes() == []


@pytest.mark.live
def test_loopback_is_allowed():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with socket.create_connection(("localhost", port), timeout=2):
            pass

    assert network_guard.take_escapes() == []


def test_every_test_has_a_time_limit(pytestconfig):
    assert pytestconfig.getini("timeout") == "60"


def test_a_hung_test_fails_at_its_time_limit_instead_of_hanging(pytester):
    pytester.makepyfile(
        """
        import threading

        def test_waits_for_a_stream_that_never_ends():
            threading.Event().wait()
        """
    )

    result = pytester.runpytest_subprocess(
        "-p", "no:django", "-p", "no:cacheprovider", "-o", "timeout=2"
    )

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Timeout (>2.0s)*"])


def test_a_test_not_marked_live_cannot_listen(request):
    assert request.node.get_closest_marker("live") is None

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        with pytest.raises(markers.UnmarkedServer, match="cannot_listen starts a server"):
            sock.listen()


def test_a_test_not_marked_live_cannot_start_the_app(tmp_path):
    with pytest.raises(markers.UnmarkedServer, match="not marked live"), asgi_server(tmp_path):
        pass

    assert list(tmp_path.iterdir()) == []
