"""테스트용 실제 서버: uvicorn 위의 ASGI 앱과, 그 앱을 HTTP로 쓰는 작은 사용자.

runserver와 pytest-django의 live_server는 WSGI라서 스트림을 버퍼링한다. 운영과 같은 경로를
시험하려고 앱을 하위 프로세스의 uvicorn으로 띄운다. DB는 임시 폴더의 SQLite 파일이고,
테스트가 PostgreSQL로 돌 때(DATABASE_URL)는 서버마다 새 PostgreSQL 데이터베이스를 쓴다.
REDIS_URL이 있으면 캐시는 Redis를 쓴다.
"""

import html
import http.client
import http.cookiejar
import os
import random
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from contextlib import contextmanager, nullcontext
from pathlib import Path

from tests.support import markers

BASE_DIR = Path(__file__).resolve().parents[2]


# 리눅스의 임시 포트(ip_local_port_range, 기본 32768~60999) 아래에서 고른다: 이 공유 기계의 나가는 연결은 그
# 범위에서 포트를 받으니, 거기서 고르면 고른 뒤 서버가 묶기 전에 빼앗기기 쉽다
PORT_RANGE = range(20000, 32000)


def free_port(host: str = "127.0.0.1") -> int:
    for _ in range(50):
        port = random.choice(PORT_RANGE)  # noqa: S311 (포트 고르기, 비밀이 아니다)
        with socket.socket() as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def server_env(workdir: Path, *, host: str = "127.0.0.1", **overrides) -> dict[str, str]:
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_ENV_FILE": "",
        "DJANGO_SECRET_KEY": "asgi-test-server-secret-" + "y" * 40,
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "DJANGO_STATIC_ROOT": str(workdir / "static"),
        "ATTACHMENT_ROOT": str(workdir / "attachments"),
        "DJANGO_ALLOWED_HOSTS": host,
        # 테스트들이 한 주소(127.0.0.1)에서 여러 번 가입한다: 가입 제한을 시험하는 테스트만 낮춘다
        "SIGNUP_PER_ADDRESS_PER_HOUR": "10000",
        # 서버마다 새 DB라 사용자 번호가 겹친다: 같은 Redis에서 카운터가 섞이지 않게
        "CACHE_KEY_PREFIX": f"test-server-{uuid.uuid4().hex}",
    }
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    # 스트림의 지름길을 끈 실행(make test)이면 서버도 끈다
    if os.environ.get("STREAM_FAST_PATH"):
        env["STREAM_FAST_PATH"] = os.environ["STREAM_FAST_PATH"]
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
def asgi_server(
    workdir: Path, *, workers: int | None = None, host: str = "127.0.0.1", **env_overrides
):
    """마이그레이션과 collectstatic을 마친 앱을 띄우고 기본 URL을 준다.

    workers가 없으면 uvicorn 하나, 있으면 `make run`처럼 gunicorn + uvicorn 워커 여럿.
    host는 묶을 루프백 주소: 127.0.0.2, 127.0.0.3으로 한 기계에서 호스트 여럿을 흉내 낸다.
    """
    markers.require("live", "the app under uvicorn or gunicorn")
    database = nullcontext(env_overrides.get("DATABASE_URL"))
    if "DATABASE_URL" not in env_overrides and running_on_postgres():
        database = postgres_database()
    with database as database_url:
        if database_url:
            env_overrides = {**env_overrides, "DATABASE_URL": database_url}
        with _serve(workdir, workers, env_overrides, host=host) as base_url:
            yield base_url


def llm_env(fake_openai) -> dict[str, str]:
    """앱이 가짜 OpenAI 서버를 부르게 하는 환경 변수."""
    return {
        "OPENAI_BASE_URL": fake_openai.base_url,
        "OPENAI_API_KEY": "test-key",
        "OPENAI_MODEL": "fake-model",
        "OPENAI_TIMEOUT": "5",
    }


@contextmanager
def shared_database(workdir: Path):
    """서버 여럿(다른 호스트, 재시작 전후)이 함께 쓸 DB의 URL: 이번 실행과 같은 종류로."""
    if running_on_postgres():
        with postgres_database() as url:
            yield url
    else:
        yield f"sqlite:///{workdir / 'shared.sqlite3'}"


def running_on_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


@contextmanager
def postgres_database():
    """테스트 서버 하나(또는 DB를 나눠 쓰는 서버 여럿)의 새 PostgreSQL 데이터베이스. 끝나면 지운다.

    pytest-django의 테스트 DB와 따로 둔다: 하위 프로세스의 커밋이 테스트의 트랜잭션과 섞이지 않게.
    """
    import psycopg

    admin_url = os.environ["DATABASE_URL"]
    name = f"daehwa_server_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urllib.parse.urlsplit(admin_url)._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def _serve(
    workdir: Path, workers: int | None, env_overrides: dict[str, str], *, host: str = "127.0.0.1"
):
    env = server_env(workdir, host=host, **env_overrides)
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    # 빈 포트를 고른 뒤 서버가 묶기 전에 이 공유 기계의 다른 프로세스가 가져갈 수 있다: 그때는 새 포트로 다시
    for attempt in range(3):
        port = free_port(host)
        log = (workdir / "server.log").open("w")
        process = subprocess.Popen(
            _server_command(workers, host, port),
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base_url = ServerURL(f"http://{host}:{port}")
        base_url.process = process
        try:
            _wait_until_healthy(base_url, process, workdir)
            break
        except RuntimeError as error:
            _stop(process, log)
            if attempt == 2 or not _port_taken(str(error)):
                raise
    try:
        yield base_url
    finally:
        _stop(process, log)


def _server_command(workers: int | None, host: str, port: int) -> list[str]:
    if workers is None:
        return [
            *(sys.executable, "-m", "uvicorn", "chatproject.asgi:application"),
            *("--host", host, "--port", str(port), "--no-access-log"),
        ]
    return [
        *(str(Path(sys.executable).parent / "gunicorn"), "chatproject.asgi:application"),
        *("-k", "uvicorn_worker.UvicornWorker", "--workers", str(workers)),
        *("--bind", f"{host}:{port}"),
    ]


def _port_taken(server_log: str) -> bool:
    # uvicorn: "[Errno 98] ... address already in use", gunicorn: "Connection in use"
    return (
        "address already in use" in server_log.lower() or "connection in use" in server_log.lower()
    )


def _stop(process: subprocess.Popen, log) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


class ServerURL(str):
    """서버의 기본 URL. process는 그 서버의 프로세스: 고장 시험이 kill -9로 죽인다."""

    process: subprocess.Popen


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


class Browserless:
    """쿠키와 CSRF를 다루는 작은 HTTP 사용자: 가입하고, 대화를 시작하고, 스트림을 연다.

    base_url을 바꾸면 같은 쿠키로 다른 서버(워커)에 간다: 쿠키는 포트가 아니라 호스트에 붙는다.
    """

    def __init__(self, base_url, *, signup=True):
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.username = f"live_{uuid.uuid4().hex[:8]}"
        self.password = "river-stone-4821"
        if signup:
            self.post(
                "/accounts/signup/",
                {
                    "username": self.username,
                    "password1": self.password,
                    "password2": self.password,
                },
            )

    def get(self, path):
        with self.opener.open(self.base_url + path, timeout=10) as response:
            return response.read().decode()

    def post(self, path, data, headers=None, files=None):
        """files(칸 이름, 파일 이름, 바이트의 목록)가 있으면 파일을 고른 브라우저의 양식처럼 multipart로 보낸다."""
        page = self.get(path if path.startswith("/accounts/") else "/chat/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        fields = {"csrfmiddlewaretoken": token, **data}
        headers = dict(headers or {})
        if files:
            body, headers["Content-Type"] = multipart(fields, files)
        else:
            body = urllib.parse.urlencode(fields).encode()
        request = urllib.request.Request(self.base_url + path, body, headers=headers)  # noqa: S310 - 우리 테스트 서버
        return self.opener.open(request, timeout=30)

    def start(self, content):
        """htmx처럼 대화를 시작하고 (대화 주소, 스트림 주소)를 돌려준다."""
        response = self.post(
            "/chat/", {"content": content, "model": "fake-model"}, {"HX-Request": "true"}
        )
        conversation_url = response.headers["HX-Redirect"]
        # 생성은 보내는 순간 시작해서, 빠른 답변은 화면을 읽기 전에 끝나 있다: 답변 번호로 스트림 주소를 만든다
        reply_id = re.findall(
            r'id="message-(\d+)" class="bubble bubble-assistant', self.get(conversation_url)
        )[-1]
        return conversation_url, f"/chat/replies/{reply_id}/stream/"

    def send(self, conversation_url, content):
        """htmx처럼 메시지를 보내고, 브라우저가 열 스트림 주소(응답의 sse-connect, 표가 붙은 것)를 돌려준다."""
        response = self.post(
            f"{conversation_url}messages/", {"content": content}, {"HX-Request": "true"}
        )
        return sse_url(response.read().decode())

    def open_stream(self, path, *, last_event_id=None):
        host, port = urllib.parse.urlsplit(self.base_url).netloc.split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.jar)
        headers = {"Cookie": cookies, "Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        # 실패하면 무엇이 왔는지 보인다 (로그인 화면으로 이동, 404, 서버 오류)
        assert response.status == 200, (response.status, response.headers, response.read()[:500])
        assert response.headers["Content-Type"].startswith("text/event-stream")
        return connection, response


def multipart(fields: dict, files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """multipart/form-data 본문과 그 Content-Type. 종류는 앱이 내용으로 가리므로 파일마다 octet-stream이다."""
    boundary = f"----daehwa-{uuid.uuid4().hex}"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    for field, filename, content in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def wait_for_page(user, url, needle, seconds=15):
    """needle이 보일 때까지(길어야 seconds초) user로 url을 다시 읽고, 마지막에 읽은 페이지를 돌려준다."""
    deadline = time.monotonic() + seconds
    while needle not in (page := user.get(url)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return page


def wait_for_a_fresh_minute():
    """메시지 제한은 분 단위 창이다: 창이 바뀌는 순간에 걸리지 않게 한다."""
    left = 60 - time.time() % 60
    if left < 10:
        time.sleep(left + 0.5)


def sse_url(page: str) -> str:
    """조각이나 페이지의 마지막 sse-connect 주소 (HTML의 &amp;를 푼 것)."""
    return html.unescape(re.findall(r'sse-connect="([^"]+)"', page)[-1])
