"""테스트용 nginx: 앱 호스트 여럿 앞에 docs/deploy-nginx.md와 같은 프록시 설정으로 띄운다.

데비안의 /usr/sbin/nginx를 서비스가 아닌 하위 프로세스로 돌린다: 설정, pid, 로그, 임시 폴더는 모두 workdir 안이다.
"""

import os
import socket
import subprocess
import textwrap
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support import markers
from tests.support.servers import free_port

NGINX = Path("/usr/sbin/nginx")

# docs/deploy-nginx.md의 server 블록 안과 같은 줄들. 문서가 이것과 어긋나면 test_site_multihost가 실패한다.
PROXY_SETTINGS = """\
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header X-Request-ID $request_id;
    client_max_body_size 25m;

    location / {
        proxy_pass http://daehwa;
    }

    location ~ ^/chat/replies/[0-9]+/stream/$ {
        proxy_pass http://daehwa;
        proxy_buffering off;
        proxy_read_timeout 1h;
    }
"""

# 로그의 줄마다 어느 앞단 포트로 와서 어느 앱 호스트로 갔는지
LOG_FORMAT = "'$server_port $upstream_addr $status \"$request\"'"
# 서비스용 경로(/var/lib/nginx) 대신 workdir 안에
TEMP_KINDS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def require_nginx() -> None:
    """없으면 이유를 밝히고 건너뛴다. CI(환경 변수 CI)에서는 실패로 친다."""
    if NGINX.exists():
        return
    reason = f"nginx is not installed at {NGINX} (apt-get install -y nginx)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def free_ports(count: int) -> list[int]:
    """127.0.0.1의 빈 포트 여럿: 서로 겹치지 않게, 나가는 연결이 쓰는 임시 포트 범위 밖에서 (servers.free_port)."""
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports


def nginx_config(workdir: Path, fronts: dict[int, list[str]]) -> str:
    """앞단 포트마다 upstream 하나와 server 하나. 모든 server의 프록시 설정은 PROXY_SETTINGS 그대로다."""
    sites = []
    for port, upstreams in fronts.items():
        servers = "".join(f"    server {address};\n" for address in upstreams)
        proxy = PROXY_SETTINGS.replace("http://daehwa;", f"http://daehwa_{port};")
        sites.append(
            f"upstream daehwa_{port} {{\n    least_conn;\n{servers}    keepalive 8;\n}}\n"
            f"server {{\n    listen 127.0.0.1:{port};\n{proxy}}}\n"
        )
    temp = workdir / "temp"
    http = "\n".join(
        [
            f"log_format fronts {LOG_FORMAT};",
            f"access_log {workdir / 'access.log'} fronts;",
            *(f"{kind}_temp_path {temp / kind};" for kind in TEMP_KINDS),
            *sites,
        ]
    )
    # root로 돌면 작업 프로세스도 root로: pytest의 임시 폴더(0700)에 nobody는 쓰지 못한다
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (
        f"{user}worker_processes 1;\npid {workdir / 'nginx.pid'};\n"
        f"error_log {workdir / 'error.log'} warn;\n"
        "events {\n    worker_connections 256;\n}\n"
        f"http {{\n{textwrap.indent(http, '    ')}\n}}\n"
    )


@contextmanager
def nginx(workdir: Path, fronts: dict[int, list[str]]):
    """fronts(앞단 포트 → 앱 주소들)대로 nginx를 띄운다. with를 나오면 멈춘다, 실패했더라도."""
    markers.require("live", "nginx")
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "temp").mkdir(exist_ok=True)
    config = workdir / "nginx.conf"
    config.write_text(nginx_config(workdir, fronts))
    command = [str(NGINX), "-p", str(workdir), "-c", str(config), "-e", str(workdir / "error.log")]
    checked = subprocess.run([*command, "-t", "-q"], capture_output=True, text=True, timeout=30)
    if checked.returncode != 0:
        raise RuntimeError(f"nginx rejected its config: {checked.stderr}")
    process = subprocess.Popen(
        [*command, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        _wait_for_ports(list(fronts), process, workdir)
        yield
    finally:
        # SIGTERM은 nginx의 빠른 종료: 열린 스트림을 기다리지 않는다
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_ports(ports, process, workdir, seconds=10):
    deadline = time.monotonic() + seconds
    waiting = set(ports)
    while waiting and time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited: {(workdir / 'error.log').read_text()}")
        for port in list(waiting):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    waiting.discard(port)
        time.sleep(0.05)
    if waiting:
        raise RuntimeError(
            f"nginx did not listen on {waiting}: {(workdir / 'error.log').read_text()}"
        )
