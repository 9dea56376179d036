"""호스트 둘이 한 사이트다: nginx 뒤의 앱 둘이 PostgreSQL과 Redis를 나눠 쓰고, 사람은 차이를 모른다.

한 기계에서 호스트 둘을 흉내 낸다: 앱은 127.0.0.2와 127.0.0.3에 따로 묶이고, nginx는 127.0.0.1의 포트 셋에서
docs/deploy-nginx.md와 같은 설정으로 받는다. "front"는 두 호스트를 고루 쓰는 운영 그대로의 앞단이고,
"a"와 "b"는 같은 설정에 upstream만 한 호스트인 앞단이다: 시나리오가 요청을 특정 호스트로 보내야 할 때 쓴다.
셋 다 127.0.0.1이라 쿠키는 어느 포트로 가든 함께 간다 (쿠키는 포트가 아니라 호스트에 붙는다).
첨부 파일은 두 호스트가 함께 쓰는 S3 호환 저장소(루프백의 moto_server, 이 모듈의 새 버킷)에 둔다.
"""

import http.client
import io
import os
import re
import time
import urllib.parse
import uuid
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from tests.support import files, s3
from tests.support.fake_openai import Reply
from tests.support.nginx import PROXY_SETTINGS, free_ports, nginx, require_nginx
from tests.support.s3 import moto_server  # noqa: F401 (픽스처)
from tests.support.servers import (
    Browserless,
    asgi_server,
    llm_env,
    running_on_postgres,
    shared_database,
    wait_for_a_fresh_minute,
    wait_for_page,
)
from tests.support.sse import read_events

DOC = Path(__file__).resolve().parent.parent / "docs" / "deploy-nginx.md"
HOSTS = {"a": "127.0.0.2", "b": "127.0.0.3"}
MESSAGES_PER_MINUTE = 5
MB = 2**20
# 말풍선의 첨부 칩: 파일 번호와 이름 (templates/chat/includes/attachments.html)
CHIP = re.compile(r'href="/chat/files/(\d+)/(?:preview/)?"(?: download)? title="([^"]+)"')


@dataclass(frozen=True)
class Site:
    """nginx 앞단의 주소(front, a, b), 앱 호스트의 주소(a, b), 어느 요청이 어느 호스트로 갔는지 적힌 nginx 로그,
    두 호스트가 함께 쓰는 첨부 저장소(S3 호환 서버의 주소와 버킷)."""

    fronts: dict[str, str]
    apps: dict[str, str]
    access_log: Path
    storage: str
    bucket: str


class Visitor(Browserless):
    """앞단 셋을 같은 쿠키로 오가는 사람. 브라우저처럼 POST마다 Origin을 보낸다: nginx가 넘긴 Host로 CSRF를 통과하는지까지 본다."""

    def __init__(self, site: Site):
        self.fronts = site.fronts
        super().__init__(site.fronts["front"])

    def through(self, front: str) -> "Visitor":
        self.base_url = self.fronts[front]
        return self

    def post(self, path, data, headers=None, files=None):
        return super().post(path, data, {"Origin": self.base_url, **(headers or {})}, files)

    def download(self, path) -> tuple[bytes, str]:
        """내려받은 바이트와 Content-Type."""
        with self.opener.open(self.base_url + path, timeout=10) as response:
            return response.read(), response.headers["Content-Type"]


@pytest.fixture(scope="module")
def site(request, tmp_path_factory, fake_openai_server):
    """앱 호스트 둘(DB, Redis, 캐시 접두어, 첨부 버킷을 함께 쓴다)과 그 앞의 nginx. 끝나면 nginx, 앱, DB 순서로 정리한다."""
    if not (os.environ.get("REDIS_URL") and running_on_postgres()):
        pytest.skip(
            "several hosts share state through PostgreSQL and Redis by design: "
            "this runs in make test's PostgreSQL + Redis pass"
        )
    require_nginx()
    # 건너뛰지 않을 때만 띄운다. 뜨지 않으면 실패한다 (tests/support/s3.py)
    storage = request.getfixturevalue("moto_server")
    bucket = s3.new_bucket(storage)
    workdir = tmp_path_factory.mktemp("multihost")
    with ExitStack() as stack:
        env = {
            "DATABASE_URL": stack.enter_context(shared_database(workdir)),
            "CACHE_KEY_PREFIX": f"multihost-{uuid.uuid4().hex}",
            "RATE_LIMIT_MESSAGES_PER_MINUTE": str(MESSAGES_PER_MINUTE),
            # 끝날 때 도는 답변을 오래 기다리지 않는다
            "REPLY_SHUTDOWN_SECONDS": "2",
            **llm_env(fake_openai_server),
            # 가짜 모델은 그림을 읽는다: 첨부한 그림이 image_url 조각으로 간다
            "LLM_VISION_MODELS": "fake-model",
            "ATTACHMENT_STORAGE": "s3",
            "ATTACHMENT_S3_BUCKET": bucket,
            "ATTACHMENT_S3_ENDPOINT_URL": storage,
            "ATTACHMENT_S3_REGION": s3.REGION,
            "ATTACHMENT_S3_ACCESS_KEY": s3.ACCESS_KEY,
            "ATTACHMENT_S3_SECRET_KEY": s3.SECRET_KEY,
        }
        apps = {}
        for name, host in HOSTS.items():
            (workdir / name).mkdir()
            server = asgi_server(
                workdir / name,
                host=host,
                # nginx가 넘기는 Host(127.0.0.1:<앞단 포트>)와, 상태 점검이 쓰는 자기 주소
                DJANGO_ALLOWED_HOSTS=f"127.0.0.1,{host}",
                **env,
            )
            apps[name] = stack.enter_context(server).removeprefix("http://")
        ports = dict(zip(("front", "a", "b"), free_ports(3), strict=True))
        upstreams = {"front": [apps["a"], apps["b"]], "a": [apps["a"]], "b": [apps["b"]]}
        # ExitStack은 거꾸로 닫는다: nginx가 앱보다 먼저 멈춘다
        stack.enter_context(
            nginx(workdir / "nginx", {ports[name]: upstreams[name] for name in ports})
        )
        yield Site(
            fronts={name: f"http://127.0.0.1:{port}" for name, port in ports.items()},
            apps=apps,
            access_log=workdir / "nginx" / "access.log",
            storage=storage,
            bucket=bucket,
        )


def tokens_of(events):
    return [data for name, data, _ in events if name == "token"]


def final_reply(events):
    (reply,) = [data for name, data, _ in events if name == "reply"]
    return reply


def test_the_documented_nginx_config_is_the_one_tested():
    doc = DOC.read_text()
    for line in PROXY_SETTINGS.splitlines():
        assert line in doc


def test_the_front_spreads_requests_over_both_hosts(site):
    user = Visitor(site)

    for _ in range(4):
        user.get("/chat/")

    # 접근 로그의 줄: 앞단 포트, 요청을 받은 앱 호스트, …
    port = site.fronts["front"].rsplit(":", 1)[1]
    lines = [line.split() for line in site.access_log.read_text().splitlines()]
    assert {fields[1] for fields in lines if fields[0] == port} == set(site.apps.values())


def test_a_reply_sent_through_one_host_streams_live_through_the_other(site, fake_openai):
    whole = [f"y{index} " for index in range(20)]
    fake_openai.script(Reply(tokens=whole, delay=0.1))
    user = Visitor(site)

    conversation_url, stream_url = user.through("a").start("다른 호스트에서 보기")
    connection, response = user.through("b").open_stream(stream_url)
    events = read_events(response)
    connection.close()

    tokens = [(data, at) for name, data, at in events if name == "token"]
    # 한 덩어리가 아니라 여러 프레임이 시간에 걸쳐 온다: 프록시가 모아 두지 않았다
    assert len(tokens) > 3
    assert tokens[-1][1] - tokens[0][1] > 1.0
    assert "".join(data for data, _ in tokens) == "".join(whole)
    assert [name for name, _, _ in events[-2:]] == ["reply", "done"]
    assert "is-done" in events[-2][1]
    assert "y19" in events[-2][1]
    assert "y19" in user.through("front").get(conversation_url)
    assert len(fake_openai.requests) == 1


@pytest.mark.parametrize("stop_through", ["a", "b"])
def test_a_stop_through_either_host_ends_the_stream_on_the_other(site, fake_openai, stop_through):
    fake_openai.script(Reply(tokens=[f"x{index} " for index in range(100)], delay=0.05))
    user = Visitor(site)
    conversation_url, stream_url = user.through("a").start("멈춰 볼게")
    reply_id = stream_url.split("/")[3]
    connection, response = user.through("b").open_stream(stream_url)
    seen = read_events(response, until="token")

    # 답변을 만드는 호스트(a)로 가든, 스트림을 보내는 호스트(b)로 가든
    user.through(stop_through).post(f"/chat/replies/{reply_id}/stop/", {}, {"HX-Request": "true"})
    events = seen + read_events(response)
    connection.close()

    assert [name for name, _, _ in events[-2:]] == ["reply", "done"]
    final = final_reply(events)
    assert "is-stopped" in final
    assert "x0" in final
    assert "x98 x99" not in final
    page = user.through("front").get(conversation_url)
    assert "is-stopped" in page
    assert "x98 x99" not in page


def test_a_reload_through_the_other_host_gets_only_the_rest(site, fake_openai):
    whole = [f"t{index} " for index in range(30)]
    fake_openai.script(Reply(tokens=["첫 답변"]), Reply(tokens=whole, delay=0.1))
    user = Visitor(site)
    conversation_url, _ = user.through("a").start("첫 질문")
    wait_for_page(user, conversation_url, "bubble-assistant is-done")

    # 브라우저가 여는 주소 그대로 (표가 붙어 가벼운 입구가 받는다): a에서 만들고, 다시 연결은 b로
    stream_url = user.send(conversation_url, "두 번째 질문")
    first, response = user.open_stream(stream_url)
    received = read_events(response, until="token")
    time.sleep(0.5)
    first.sock.close()
    first.close()

    # 끊긴 EventSource가 다시 연결하듯, 이번에는 다른 호스트로
    again, resumed_response = user.through("b").open_stream(
        stream_url, last_event_id=response.last_event_id
    )
    resumed = read_events(resumed_response)
    again.close()

    assert int(response.last_event_id) == len("".join(tokens_of(received)))
    # 이미 받은 글은 다시 오지 않고, 나머지는 살아 있는 프레임으로 온다
    assert "".join(tokens_of(received) + tokens_of(resumed)) == "".join(whole)
    assert len(tokens_of(resumed)) > 3
    assert "t29" in final_reply(resumed)
    assert resumed[-1][0] == "done"


def test_the_message_rate_limit_counts_once_across_both_hosts(site, fake_openai):
    fake_openai.script(*[Reply(tokens=["네"])] * MESSAGES_PER_MINUTE)
    user = Visitor(site)
    wait_for_a_fresh_minute()

    accepted = []
    for attempt in range(MESSAGES_PER_MINUTE + 3):
        # 새 대화마다: 한 대화는 답변이 도는 동안 다음 메시지를 받지 않는다
        user.through("a" if attempt % 2 == 0 else "b")
        response = user.post(
            "/chat/", {"content": f"질문 {attempt}", "model": "fake-model"}, {"HX-Request": "true"}
        )
        accepted.append("HX-Redirect" in response.headers)

    assert accepted == [True] * MESSAGES_PER_MINUTE + [False] * 3
    conversations = set(re.findall(r'href="(/chat/[0-9a-f-]{36}/)"', user.get("/chat/")))
    assert len(conversations) == MESSAGES_PER_MINUTE


def test_files_uploaded_through_one_host_download_through_the_other(site, fake_openai):
    fake_openai.script(Reply(tokens=["파일 둘을 ", "읽었어요"]))
    user = Visitor(site)
    secret = f"확인 단어 {uuid.uuid4().hex}"
    notes = f"# 과제 메모\n{secret}\n".encode()
    picture = files.make_png(320, 200)

    # 입력창이 보내는 그대로: 글, 모델, 파일 둘을 multipart로, 호스트 a에만 닿는 앞단으로
    response = user.through("a").post(
        "/chat/",
        {"content": "이 파일들을 봐 줘", "model": "fake-model"},
        {"HX-Request": "true"},
        files=[("attachments", "notes.txt", notes), ("attachments", "screen.png", picture)],
    )
    conversation_url = response.headers["HX-Redirect"]
    page = user.through("b").get(conversation_url)
    reply_id = re.findall(r'id="message-(\d+)" class="bubble bubble-assistant', page)[-1]
    connection, stream = user.open_stream(f"/chat/replies/{reply_id}/stream/")
    events = read_events(stream)
    connection.close()
    chips = {name: pk for pk, name in CHIP.findall(user.get(conversation_url))}
    text_file, text_type = user.download(f"/chat/files/{chips['notes.txt']}/")
    original, _ = user.download(f"/chat/files/{chips['screen.png']}/")
    preview, preview_type = user.download(f"/chat/files/{chips['screen.png']}/preview/")

    assert "파일 둘을 읽었어요" in final_reply(events)
    # 모델은 파일의 글을 이름 붙은 덩어리로, 그림을 image_url 조각으로 받았다
    (prompt,) = [body["messages"] for body in fake_openai.requests if body.get("stream")]
    text_part, image_part = prompt[-1]["content"]
    assert '<file name="notes.txt"' in text_part["text"]
    assert secret in text_part["text"]
    assert image_part["image_url"]["url"].startswith(("data:image/png", "data:image/jpeg"))
    # a가 받은 파일을 b가 그대로 내어 준다
    assert chips.keys() == {"notes.txt", "screen.png"}
    assert (text_file, text_type) == (notes, "application/octet-stream")
    assert original == picture
    assert preview_type in ("image/png", "image/jpeg")
    assert Image.open(io.BytesIO(preview)).format == preview_type.split("/")[1].upper()
    # 파일은 두 호스트가 함께 쓰는 버킷에 있다: 원본 둘과, 그림의 줄인 그림 둘
    keys = s3.stored_keys(site.storage, site.bucket)
    assert len(keys) == 4
    assert sorted(key.rsplit("-", 1)[-1] for key in keys if "-" in key) == ["preview", "thumb"]
    bucket = s3.client(site.storage)
    stored = {
        bucket.get_object(Bucket=site.bucket, Key=key)["Body"].read()
        for key in keys
        if "-" not in key
    }
    assert stored == {notes, picture}


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_nginx_refuses_a_body_over_its_limit_before_the_app(site, framing):
    """client_max_body_size 25m: 크기를 미리 밝힌 본문도, 밝히지 않고 흘려 보낸 본문도 앱에 닿기 전에 413."""
    user = Visitor(site)
    host, port = urllib.parse.urlsplit(site.fronts["front"]).netloc.split(":")
    # 이 요청의 로그 줄을 찾는 표
    path = f"/chat/?upload={uuid.uuid4().hex}"
    cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in user.jar)
    headers = {"Cookie": cookies, "Content-Type": "multipart/form-data; boundary=x"}
    if framing == "content-length":
        headers["Content-Length"] = str(26 * MB)
    else:
        headers["Transfer-Encoding"] = "chunked"
    zeros = bytes(MB)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    started = time.monotonic()
    # nginx가 413을 보내고 나머지를 받지 않으면 보내기가 끊긴다: 답은 이미 와 있다
    with suppress(BrokenPipeError, ConnectionResetError):
        connection.request(
            "POST",
            path,
            body=(zeros for _ in range(26)),
            headers=headers,
            encode_chunked=framing == "chunked",
        )
    response = connection.getresponse()
    response.read()
    connection.close()

    assert response.status == 413
    assert time.monotonic() - started < 10
    # 접근 로그: 앞단 포트, 앱 호스트("-"이면 어느 앱에도 넘기지 않았다), 상태, 요청
    (line,) = logged(site, path)
    assert line[:3] == [port, "-", "413"]


def logged(site, path, seconds=5):
    """path가 든 접근 로그 줄 (나눈 칸). nginx는 413 뒤에 남은 본문을 버리며 기다린 다음에 적으므로 잠시 기다린다."""
    deadline = time.monotonic() + seconds
    while True:
        lines = [line.split() for line in site.access_log.read_text().splitlines() if path in line]
        if lines or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)
