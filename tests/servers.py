"""테스트용 실제 서버: uvicorn 위의 ASGI 앱.

runserver와 pytest-django의 live_server는 WSGI라서 스트림을 버퍼링한다. 운영과 같은 경로를
시험하려고 앱을 하위 프로세스의 uvicorn으로 띄운다. DB는 임시 폴더의 SQLite 파일이고,
REDIS_URL이 있으면 캐시는 Redis를 쓴다.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(workdir: Path, **overrides) -> dict[str, str]:
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_ENV_FILE": "",
        "DJANGO_SECRET_KEY": "asgi-test-server-secret-" + "y" * 40,
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "DJANGO_STATIC_ROOT": str(workdir / "static"),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    }
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    return {**env, **overrides}


def manage(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """이 저장소의 manage.py를 주어진 환경 변수만으로 실행한다."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        check=check,
        capture_output=True,
        text=True,
        timeout=120,
    )


@contextmanager
def asgi_server(workdir: Path, *, workers: int | None = None, **env_overrides):
    """마이그레이션과 collectstatic을 마친 앱을 띄우고 기본 URL을 준다.

    workers가 없으면 uvicorn 하나, 있으면 `make run`처럼 gunicorn + uvicorn 워커 여럿.
    """
    env = server_env(workdir, **env_overrides)
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    port = free_port()
    if workers is None:
        command = [
            *(sys.executable, "-m", "uvicorn", "chatproject.asgi:application"),
            *("--host", "127.0.0.1", "--port", str(port), "--no-access-log"),
        ]
    else:
        command = [
            *(str(Path(sys.executable).parent / "gunicorn"), "chatproject.asgi:application"),
            *("-k", "uvicorn_worker.UvicornWorker", "--workers", str(workers)),
            *("--bind", f"127.0.0.1:{port}"),
        ]
    log = (workdir / "server.log").open("w")
    process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base_url, process, workdir)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _wait_until_healthy(base_url, process, workdir, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {(workdir / 'server.log').read_text()}")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not become healthy: {(workdir / 'server.log').read_text()}")
