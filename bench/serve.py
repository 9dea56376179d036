"""벤치가 재는 앱을 `make run`의 명령줄(gunicorn + uvicorn 워커, chatproject/gunicorn.py)로 띄운다.

테스트의 서버 도우미(tests/support/servers.py)를 가져오지 않고 따로 둔다: 벤치는 운영과 같은 길을 재고, 테스트의
도우미는 서버마다 새 PostgreSQL DB, 루프백 주소 여럿, live 표시 검사 같은 테스트의 사정을 따른다. 겹치는 것은
환경 변수 몇 개와 manage.py 실행뿐이다.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env(workdir: Path, **overrides: str) -> dict[str, str]:
    """앱 프로세스의 환경 변수: 개발자의 .env는 읽지 않고, DB와 정적 파일은 workdir 안에 둔다."""
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_ENV_FILE": "",
        "DJANGO_SECRET_KEY": "bench-only-secret-" + "y" * 40,
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "DJANGO_STATIC_ROOT": str(workdir / "static"),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        # 실행마다 새 DB라 사용자 번호가 겹친다: 같은 Redis에서 앞 실행의 카운터와 섞이지 않게
        "CACHE_KEY_PREFIX": f"bench-{uuid.uuid4().hex}",
    }
    return {**env, **overrides}


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """이 저장소의 manage.py를 env만으로 실행한다. 실패하면 그 stderr와 함께 멈춘다."""
    result = subprocess.run(  # noqa: S603 - 이 저장소의 manage.py
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
    return result


@contextmanager
def app_server(env: dict[str, str], workdir: Path, *, workers: int = 1):
    """마이그레이션과 collectstatic 뒤 앱을 띄우고 기본 URL을 준다. 로그는 workdir/server.log (접근 로그 없이)."""
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    port = free_port()
    command = [
        *(str(GUNICORN), "chatproject.asgi:application", "-c", "python:chatproject.gunicorn"),
        *("--workers", str(workers), "--bind", f"127.0.0.1:{port}"),
    ]
    base_url = f"http://127.0.0.1:{port}"
    with (workdir / "server.log").open("w") as log:
        process = subprocess.Popen(  # noqa: S603 - 이 저장소의 앱
            command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_until_healthy(base_url, process, workdir)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_healthy(base_url: str, process: subprocess.Popen, workdir: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the app exited: {(workdir / 'server.log').read_text()}")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the app did not become healthy: {(workdir / 'server.log').read_text()}")


@contextmanager
def postgres_database(admin_url: str):
    """admin_url의 서버에 새 데이터베이스를 만들어 그 URL을 주고, 끝나면 지운다."""
    import psycopg

    name = f"daehwa_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urllib.parse.urlsplit(admin_url)._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
