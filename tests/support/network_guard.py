"""테스트가 루프백 밖으로 나가지 못하게 한다: 연결, 데이터그램, 이름 조회를 보내기 전에 막고 기록한다.

막힌 시도는 오류(ConnectionRefusedError)로 돌아가는데, 앱이 그 오류를 "연결 끊김"으로 삼켜도
테스트가 통과하지 않도록 기록해 두었다가 conftest가 테스트 끝에 실패시킨다.
이 프로세스의 파이썬 소켓만 지킨다: 하위 프로세스 서버와 C 드라이버(libpq)는 루프백 주소로만 설정한다.
"""

import ipaddress
import socket
import threading

import pytest

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_sendto = socket.socket.sendto
_real_getaddrinfo = socket.getaddrinfo
_real_gethostbyname = socket.gethostbyname
_real_gethostbyname_ex = socket.gethostbyname_ex
_real_gethostbyaddr = socket.gethostbyaddr

_lock = threading.Lock()
_escapes: list[str] = []


class NonLoopbackAddress(ConnectionRefusedError):
    """테스트가 루프백이 아닌 주소로 나가려 했다."""


def is_loopback(host) -> bool:
    if host is None or host == "localhost":
        return True
    if isinstance(host, bytes):
        host = host.decode()
    try:
        # IPv6 범위 표시(%lo)는 떼고 본다
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _refuse(what: str, target) -> NonLoopbackAddress:
    with _lock:
        _escapes.append(f"{what} {target!r}")
    return NonLoopbackAddress(f"tests may only reach loopback addresses, not {target!r}")


def _check(sock, address, what):
    # 유닉스 소켓의 주소는 파일 경로다
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address[0]):
        raise _refuse(what, address)


def _connect(self, address):
    _check(self, address, "connect")
    return _real_connect(self, address)


def _connect_ex(self, address):
    _check(self, address, "connect")
    return _real_connect_ex(self, address)


def _sendto(self, data, *args):
    _check(self, args[-1], "sendto")
    return _real_sendto(self, data, *args)


def _getaddrinfo(host, *args, **kwargs):
    if not is_loopback(host):
        raise _refuse("getaddrinfo", host)
    return _real_getaddrinfo(host, *args, **kwargs)


def _lookup(name, real):
    """gethostbyname 같은 옛 조회 함수들: 루프백 이름만 (getfqdn도 이것으로 묻는다)."""

    def guarded(host):
        if not is_loopback(host):
            raise _refuse(name, host)
        return real()(host)

    return guarded


def install() -> None:
    socket.socket.connect = _connect
    socket.socket.connect_ex = _connect_ex
    socket.socket.sendto = _sendto
    socket.getaddrinfo = _getaddrinfo
    socket.gethostbyname = _lookup("gethostbyname", lambda: _real_gethostbyname)
    socket.gethostbyname_ex = _lookup("gethostbyname_ex", lambda: _real_gethostbyname_ex)
    socket.gethostbyaddr = _lookup("gethostbyaddr", lambda: _real_gethostbyaddr)


def take_escapes() -> list[str]:
    """지금까지 막은 시도를 돌려주고 비운다."""
    with _lock:
        taken = list(_escapes)
        _escapes.clear()
    return taken


def fail_on_escapes() -> None:
    """막은 시도가 있었으면 지금 테스트를 실패시킨다."""
    if escapes := take_escapes():
        pytest.fail(f"the test tried to reach non-loopback addresses: {escapes}", pytrace=False)
