"""시험용 앱 서버 띄우기 (tests/support/servers.py): 공유 기계에서 흔들리지 않게."""

import socket
import urllib.request

import pytest

from tests.support import servers

pytestmark = pytest.mark.live


def test_a_port_taken_between_choosing_and_binding_is_chosen_again(tmp_path, monkeypatch):
    # 고른 포트를 다른 프로세스가 먼저 묶은 경우: 서버는 "address already in use"로 끝난다
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    ports = [taken.getsockname()[1]]
    choose = servers.free_port

    def first_the_taken_one(host="127.0.0.1"):
        return ports.pop() if ports else choose(host)

    monkeypatch.setattr(servers, "free_port", first_the_taken_one)
    try:
        with servers.asgi_server(tmp_path) as base_url:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=5) as response:  # noqa: S310
                assert response.status == 200
            assert not base_url.endswith(f":{taken.getsockname()[1]}")
    finally:
        taken.close()
    assert ports == []


def test_free_ports_come_from_below_the_ephemeral_range():
    # 나가는 연결이 받는 임시 포트와 겹치지 않는 곳에서 고른다
    from tests.support.nginx import free_ports

    chosen = [servers.free_port() for _ in range(20)] + free_ports(3)

    assert all(port in servers.PORT_RANGE for port in chosen)
    assert len(set(free_ports(5))) == 5
