"""채팅 한 번의 전체 주기 벤치: 브라우저처럼 보내고(htmx POST) 스트림을 끝까지 읽는다. 결과는 docs/bench-chat.md.

같은 실행에서 같은 클라이언트가 upstream(bench/upstream.py, 자기 프로세스)을 직접 부른 값을 옆에 두고,
각 수치를 그 값에 대한 비율로도 적는다. 서버 CPU는 /proc에서 앱 프로세스(gunicorn과 워커)의 사용 시간을
재므로 기계가 붐벼도 가장 덜 흔들리는 수치다.

    .venv/bin/python bench/chat_cycle.py              # SQLite(make run 기본, 워커 하나)와 PostgreSQL + Redis(워커 둘)
    .venv/bin/python bench/chat_cycle.py --only sqlite --quick
    .venv/bin/python bench/chat_cycle.py --only sqlite --quick --class-member --output /tmp/class.md

--class-member는 벤치의 사람을 모두 한 반에 넣는다: 하루 한도(넉넉해서 거절하지 않는다)와 허락한 모델 둘이 있는 반,
대화도 그 반의 것. 보내기가 반 자리를 읽고(accounts.courses.standing) 반의 모델과 한도를 확인하는, 가장 무거운 길이다.
"""

import argparse
import asyncio
import html
import os
import platform
import random
import re
import statistics
import string
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx2

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.serve import app_env, app_server, free_port, manage, postgres_database  # noqa: E402

POSTGRES_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")

SETUP = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from accounts.models import User
from chat.models import Conversation
course = None
if {class_member}:
    from accounts.models import Course, Membership
    course = Course.objects.create(
        name="벤치 반", daily_token_quota=10_000_000, allowed_models=["fake-model", "fake-model-2"]
    )
for index in range({people}):
    user = User(username=f"bench{{index}}")
    user.set_unusable_password()
    user.save()
    if course is not None:
        Membership.objects.create(user=user, course=course)
    # 앞의 200명은 대화 10개를 돌려 쓴다: 한 대화가 끝없이 길어져 문맥이 벤치를 지배하지 않게
    conversations = [
        str(Conversation.objects.create(owner=user, title="벤치", model="fake-model", course=course).pk)
        for _ in range(10 if index < 200 else 1)
    ]
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "accounts.backends.UserBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    print(",".join(conversations), session.session_key)
"""

COUNT = (
    "from django.db.models import Count; from chat.models import Message; "
    "print(dict(Message.objects.filter(role='assistant').values_list('status')"
    ".annotate(n=Count('id'))))"
)

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- 프로세스 계측


def process_tree(root: int) -> list[int]:
    pids, stack = [], [root]
    while stack:
        pid = stack.pop()
        pids.append(pid)
        for task in Path(f"/proc/{pid}/task").glob("*"):
            children = (task / "children").read_text().split() if task.exists() else []
            stack.extend(int(child) for child in children)
    return pids


def cpu_seconds(pids: list[int], children: bool = False) -> float:
    """pids가 쓴 CPU 초. children이면 그들이 거둔(wait) 자식 프로세스의 시간도: 잠깐 떴다 끝나는 자식은
    process_tree에 잡히지 않고, 거둔 뒤에야 부모의 cutime·cstime에 더해진다."""
    total = 0.0
    last = 14 if children else 12
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += sum(int(field) for field in fields[11 : last + 1]) / CLOCK_TICKS
    return total


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def server_pid(port: int) -> int:
    """그 포트에서 듣는 프로세스(gunicorn 주인이나 uvicorn)를 찾는다."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        parts = line.split()
        if parts[1].endswith(f":{port:04X}") and parts[3] == "0A":
            inode = parts[9]
    for fd in Path("/proc").glob("[0-9]*/fd/*"):
        try:
            if os.readlink(fd) == f"socket:[{inode}]":
                pid = int(fd.parts[2])
                # 워커는 주인의 소켓을 물려받는다: 가장 위의 것을 고른다
                parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
                return parent if _listens(parent, inode) else pid
        except OSError:
            continue
    raise RuntimeError(f"no process listens on {port}")


def _listens(pid: int, inode: str) -> bool:
    try:
        return any(
            os.readlink(fd) == f"socket:[{inode}]" for fd in Path(f"/proc/{pid}/fd").iterdir()
        )
    except OSError:
        return False


class Meter:
    """한 구간 동안 앱(또는 upstream) 프로세스가 쓴 CPU 초. children이면 그 구간에 끝난 자식 프로세스의 몫도."""

    def __init__(self, root: int, children: bool = False):
        self.root = root
        self.children = children

    def __enter__(self):
        self.pids = process_tree(self.root)
        self.start = cpu_seconds(self.pids, self.children)
        return self

    def __exit__(self, *exc):
        self.seconds = cpu_seconds(self.pids, self.children) - self.start


# ---------------------------------------------------------------- 클라이언트


class Person:
    """브라우저 하나: 자기 세션, 자기 대화, 자기 연결."""

    def __init__(self, base_url: str, conversations: str, session: str):
        csrf = "".join(random.choices(string.ascii_letters + string.digits, k=32))  # noqa: S311
        self.client = httpx2.AsyncClient(
            base_url=base_url,
            timeout=120,
            cookies={"sessionid": session, "csrftoken": csrf},
            headers={"X-CSRFToken": csrf},
        )
        self.conversations = conversations.split(",")
        self.sent = 0
        self.last_reply = None

    @property
    def conversation(self) -> str:
        """보낼 때마다 다음 대화로: 대화마다 몇 번씩만 오간다 (학생의 평범한 대화 길이)."""
        self.sent += 1
        return self.conversations[self.sent % len(self.conversations)]

    async def chat(self) -> dict:
        started = time.perf_counter()
        response = await self.client.post(
            f"/chat/{self.conversation}/messages/",
            data={"content": "벤치 질문"},
            headers={"HX-Request": "true"},
        )
        return await self.follow(response, started)

    async def regenerate(self) -> dict:
        """방금 끝난 답변을 다시 생성하고(htmx POST, 대화 목록을 다시 그린 응답) 새 답변의 스트림을 끝까지 읽는다."""
        started = time.perf_counter()
        response = await self.client.post(
            f"/chat/replies/{self.last_reply}/regenerate/", headers={"HX-Request": "true"}
        )
        return await self.follow(response, started)

    async def follow(self, response, started) -> dict:
        if response.status_code != 200:
            return {"error": f"send HTTP {response.status_code}"}
        found = re.findall(r'sse-connect="([^"]+)"', response.text)
        if not found:
            return {"error": "no reply in the send response"}
        first = None
        url = html.unescape(found[-1])
        self.last_reply = url.split("/")[3]
        # 브라우저가 여는 주소 그대로 (표가 붙어 있으면 chat.streams의 가벼운 입구가 받는다)
        async with self.client.stream("GET", url) as stream:
            if stream.status_code != 200:
                return {"error": f"stream HTTP {stream.status_code}"}
            async for line in stream.aiter_lines():
                # 글이 처음 보이는 순간: 조각이든, 이미 끝난 답변의 마지막 그림이든
                if first is None and line in ("event: token", "event: reply"):
                    first = time.perf_counter() - started
                elif line == "event: done":
                    return {"first": first, "total": time.perf_counter() - started}
        return {"error": "stream closed before done"}

    async def stop_after_first_token(self) -> dict:
        """답변이 흐르기 시작하면 멈추기를 누르고, 멈춘 답변이 화면에 올 때까지를 잰다."""
        response = await self.client.post(
            f"/chat/{self.conversation}/messages/",
            data={"content": "멈출 질문"},
            headers={"HX-Request": "true"},
        )
        found = re.findall(r'sse-connect="([^"]+)"', response.text)
        if response.status_code != 200 or not found:
            return {"error": f"send HTTP {response.status_code}"}
        url = html.unescape(found[-1])
        reply_id = url.split("/")[3]
        pressed = None
        async with self.client.stream("GET", url) as stream:
            async for line in stream.aiter_lines():
                if pressed is None and line == "event: token":
                    pressed = time.perf_counter()
                    stop = await self.client.post(
                        f"/chat/replies/{reply_id}/stop/", headers={"HX-Request": "true"}
                    )
                    if stop.status_code != 204:
                        return {"error": f"stop HTTP {stop.status_code}"}
                elif line == "event: reply":
                    if pressed is None:
                        return {"error": "the reply ended before it could be stopped"}
                    return {"first": time.perf_counter() - pressed, "total": 0.0}
        return {"error": "stream closed before the stopped reply"}

    async def aclose(self):
        await self.client.aclose()


class Direct:
    """같은 클라이언트가 upstream을 직접 부른다: 비교의 바닥."""

    def __init__(self, upstream: str):
        self.client = httpx2.AsyncClient(base_url=upstream, timeout=120)

    async def chat(self) -> dict:
        started = time.perf_counter()
        first = None
        body = {
            "model": "fake-model",
            "messages": [{"role": "user", "content": "벤치 질문"}],
            "stream": True,
        }
        async with self.client.stream("POST", "/v1/chat/completions", json=body) as stream:
            async for line in stream.aiter_lines():
                if first is None and '"content": "' in line and '"content": ""' not in line:
                    first = time.perf_counter() - started
                elif line == "data: [DONE]":
                    return {"first": first, "total": time.perf_counter() - started}
        return {"error": "stream closed before [DONE]"}

    async def aclose(self):
        await self.client.aclose()


def shape(upstream: str, tokens: int, delay: float) -> None:
    httpx2.post(f"{upstream}/control", json={"tokens": tokens, "delay": delay}, timeout=10)


# ---------------------------------------------------------------- 시나리오


async def sequential(person, count: int) -> list[dict]:
    return [await person.chat() for _ in range(count)]


async def for_a_while(people, seconds: float) -> list[dict]:
    """모두가 시간이 다 될 때까지 보내고 읽기를 되풀이한다."""
    deadline = time.perf_counter() + seconds

    async def loop(person):
        results = []
        while time.perf_counter() < deadline:
            results.append(await person.chat())
        return results

    return [r for results in await asyncio.gather(*(loop(p) for p in people)) for r in results]


async def within(people, seconds: float) -> list[dict]:
    """모두가 seconds 안의 무작위 순간에 한 번씩 보낸다 (수업에서 다 함께 Enter를 누를 때)."""

    async def one(person):
        await asyncio.sleep(random.random() * seconds)  # noqa: S311
        return await person.chat()

    return await asyncio.gather(*(one(p) for p in people))


async def regenerates(person, count: int) -> list[dict]:
    """한 번 보내고, 그 답변을 count번 다시 생성한다 (세 번 다시 생성하는 학생을 길게). 다시 생성의 결과만 센다:
    CPU에는 처음 보낸 한 번이 들어가 count가 100이면 1 % 남짓 크게 잡힌다."""
    await person.chat()
    return [await person.regenerate() for _ in range(count)]


async def stops(person, count: int) -> list[dict]:
    return [await person.stop_after_first_token() for _ in range(count)]


def summary(results: list[dict]) -> dict:
    ok = [r for r in results if "total" in r]
    firsts = sorted(r["first"] for r in ok if r["first"] is not None)
    pick = lambda q: firsts[min(len(firsts) - 1, int(q * len(firsts)))] if firsts else float("nan")  # noqa: E731
    return {
        "ok": len(ok),
        "failed": len(results) - len(ok),
        "errors": sorted({r["error"] for r in results if "error" in r})[:3],
        "p50": pick(0.5),
        "p95": pick(0.95),
    }


def measure(target_pid, make_clients, scenario, label, quick) -> dict:
    """클라이언트를 만들고 시나리오를 돌려 결과와 대상 프로세스의 CPU를 잰다."""

    async def run():
        clients = make_clients()
        try:
            with Meter(target_pid) as meter:
                started = time.perf_counter()
                results = await scenario(clients)
                wall = time.perf_counter() - started
            return results, wall, meter.seconds
        finally:
            await asyncio.gather(*(client.aclose() for client in clients))

    results, wall, cpu = asyncio.run(run())
    stats = summary(results)
    stats.update(wall=wall, cpu=cpu, chats=len(results))
    stats["cpu_per_chat_ms"] = 1000 * cpu / max(1, stats["ok"])
    stats["chats_per_second"] = stats["ok"] / wall
    print(f"  {label}: {stats}", flush=True)
    return stats


def run_suite(label, base_url, upstream, people, app_pid, upstream_pid, quick, big) -> dict:
    """한 구성(SQLite 또는 PostgreSQL + Redis)의 모든 시나리오. 각 시나리오 앞에 upstream 직접 값을 잰다."""
    n = 0.25 if quick else 1.0

    def persons(count):
        return lambda: [Person(base_url, *people[i]) for i in range(count)]

    def directs(count):
        return lambda: [Direct(upstream) for _ in range(count)]

    out = {}
    print(f"{label}:", flush=True)
    # 데우기: 워커마다 첫 요청은 URL 표와 템플릿을 읽는다. 재지 않는다.
    shape(upstream, 20, 0.0)
    measure(app_pid, persons(20), lambda c: within(c, 0.5), "warm-up", quick)
    # 1. 한 사람, 곧바로 답하는 upstream, 200토큰: 보내기부터 첫 토큰까지와 한 번의 CPU
    shape(upstream, 200, 0.0)
    count = int(100 * n)
    out["one_direct"] = measure(
        upstream_pid, directs(1), lambda c: sequential(c[0], count), "one person direct", quick
    )
    out["one"] = measure(
        app_pid, persons(1), lambda c: sequential(c[0], count), "one person", quick
    )
    # 1b. 같은 사람이 답변을 다시 생성: 보내기와 같은 길이므로 한 번의 CPU가 보내기와 같아야 한다
    out["regenerate"] = measure(
        app_pid, persons(1), lambda c: regenerates(c[0], count), "one person regenerates", quick
    )
    # 2. 50명이 동시에, 곧바로 답하는 upstream
    seconds = 10 * n
    out["fifty_direct"] = measure(
        upstream_pid, directs(50), lambda c: for_a_while(c, seconds), "50 people direct", quick
    )
    out["fifty"] = measure(
        app_pid, persons(50), lambda c: for_a_while(c, seconds), "50 people", quick
    )
    # 3. 200명이 1초 안에 Enter, 60토큰을 초당 20토큰으로
    shape(upstream, 60, 0.05)
    out["burst_direct"] = measure(
        upstream_pid, directs(200), lambda c: within(c, 1.0), "200 in 1 s direct", quick
    )
    out["burst"] = measure(app_pid, persons(200), lambda c: within(c, 1.0), "200 in 1 s", quick)
    # 4. 토큰 하나의 값: 20 ms마다 토큰 하나, 20개와 220개의 차이를 토큰 200개로 나눈다.
    # 두 실행 모두 50명이 함께 보내는 값을 품어 그 잡음이 차이에 남는다: 세 번 재어 가운데 값을 쓴다.
    rounds = {"": [], "_direct": []}
    for _ in range(1 if quick else 3):
        for tokens in (20, 220):
            shape(upstream, tokens, 0.02)
            out[f"paced{tokens}_direct"] = measure(
                upstream_pid, directs(50), lambda c: within(c, 0.0), f"paced {tokens} direct", quick
            )
            out[f"paced{tokens}"] = measure(
                app_pid, persons(50), lambda c: within(c, 0.0), f"paced {tokens}", quick
            )
        for suffix, values in rounds.items():
            extra = out[f"paced220{suffix}"]["cpu"] - out[f"paced20{suffix}"]["cpu"]
            values.append(1000 * extra / (200 * 50))
    for suffix, values in rounds.items():
        out[f"per_token{suffix}"] = statistics.median(values)
        out[f"per_token{suffix}_range"] = (min(values), max(values))
    # 멈추기: 누른 때부터 멈춘 답변이 화면에 올 때까지 (생성하는 워커가 알아채고, 저장하고, 마지막 그림을 보낸다)
    shape(upstream, 400, 0.02)
    out["stop"] = measure(
        app_pid, persons(1), lambda c: stops(c[0], int(20 * n)), "stop after first token", quick
    )
    # 5. 워커 하나에 1,000개의 스트림을 한꺼번에 (SQLite 구성에서만: 워커가 하나다)
    if big:
        shape(upstream, 50, 0.1)
        streams = int(1000 * (0.2 if quick else 1.0))
        workers = [pid for pid in process_tree(app_pid) if pid != app_pid] or [app_pid]
        before = sum(rss_kib(pid) for pid in workers)
        peak = [before]

        async def sample():
            while True:
                peak.append(sum(rss_kib(pid) for pid in workers))
                await asyncio.sleep(0.2)

        async def thousand(clients):
            sampler = asyncio.create_task(sample())
            try:
                return await within(clients, 1.0)
            finally:
                sampler.cancel()

        out["thousand"] = measure(app_pid, persons(streams), thousand, f"{streams} streams", quick)
        out["thousand"]["streams"] = streams
        out["thousand"]["rss_per_stream_kib"] = (max(peak) - before) / streams
        out["thousand"]["rss_before_mib"] = before / 1024
    return out


@contextmanager
def upstream_process():
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - 이 저장소의 스크립트
        [sys.executable, str(BASE_DIR / "bench" / "upstream.py"), "--port", str(port)]
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(50):
        try:
            shape(url, 200, 0.0)
            break
        except httpx2.HTTPError:
            time.sleep(0.1)
    try:
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def configuration(name, workdir, upstream, people_count, stack, class_member=False, extra_env=None):
    """앱 하나를 띄우고 사람들을 만든다. extra_env는 앱의 환경에 더한다 (다른 벤치가 설정을 바꿀 때)."""
    env = {
        "OPENAI_BASE_URL": f"{upstream}/v1",
        "OPENAI_API_KEY": "bench",
        "OPENAI_MODEL": "fake-model",
        "RATE_LIMIT_MESSAGES_PER_MINUTE": "1000000",
        "LOG_LEVEL": "WARNING",
    }
    if class_member:
        # 반이 허락한 두 번째 모델도 사이트의 모델이다
        env["OPENAI_MODELS"] = "fake-model-2"
    if name == "sqlite":
        env.update(REDIS_URL="", DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}")
        workers = 1
    else:
        database_url = stack.enter_context(postgres_database(POSTGRES_URL))
        env.update(REDIS_URL=REDIS_URL, DATABASE_URL=database_url)
        workers = 2
    env.update(extra_env or {})
    env = app_env(workdir, **env)
    base_url = stack.enter_context(app_server(env, workdir, workers=workers))
    created = manage(
        env, "shell", "-v", "0", "-c", SETUP.format(people=people_count, class_member=class_member)
    )
    people = [line.split() for line in created.stdout.splitlines()]
    return base_url, people, env


def ratio(value, base):
    return f"{value / base:.1f}×" if base and value == value else "–"


def report(args, results) -> str:
    lines = [
        "# 채팅 주기 벤치 / Chat cycle benchmark",
        "",
        f"`bench/chat_cycle.py{' --quick' if args.quick else ''}"
        f"{' --class-member' if args.class_member else ''}` on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}. "
        "One run on a shared, noisy machine: the client, the upstream and the app share the two cores "
        f"(load average {args.load[0]:.1f} at the start, {args.load[1]:.1f} at the end: other work on "
        "the machine slows every figure, the direct upstream's too). "
        "Server CPU per chat (read from /proc for the app's processes) is the figure noise disturbs least. "
        "Each figure stands next to the same client talking to the upstream directly in the same run, "
        "and as a multiple of it (×).",
        "",
        "A chat is what a browser does: an htmx POST of the message, then the SSE stream read to `done`. "
        "SQLite is `make run`'s default (one worker, no Redis); PostgreSQL + Redis runs two workers.",
        "",
        "| figure | target | direct upstream | "
        + " | ".join(f"Daehwa {name}" for name in results)
        + " |",
        "|---|---|---|" + "---|" * len(results),
    ]
    first = next(iter(results.values()))

    def row(title, target, key, field, fmt, direct_key=None):
        direct = (
            first[direct_key or f"{key}_direct"][field]
            if (direct_key or f"{key}_direct") in first
            else None
        )
        cells = []
        for result in results.values():
            value = result[key][field]
            cells.append(f"{fmt(value)} ({ratio(value, direct)})" if direct else fmt(value))
        lines.append(
            f"| {title} | {target} | {fmt(direct) if direct is not None else '–'} | "
            + " | ".join(cells)
            + " |"
        )

    ms = lambda v: f"{v:.1f} ms"  # noqa: E731
    ms1000 = lambda v: f"{1000 * v:.0f} ms"  # noqa: E731
    row("server CPU per 200-token chat, one person", "≤ 15 ms", "one", "cpu_per_chat_ms", ms)
    row(
        "server CPU per 200-token regenerate, one person",
        "= a chat",
        "regenerate",
        "cpu_per_chat_ms",
        ms,
        direct_key="one_direct",
    )
    row("server CPU per 200-token chat, 50 people", "≤ 15 ms", "fifty", "cpu_per_chat_ms", ms)
    row("send to first token, one person (p50)", "≤ 15 ms", "one", "p50", ms1000)
    row(
        "chats per second, 50 people at once",
        "≥ 100",
        "fifty",
        "chats_per_second",
        lambda v: f"{v:.0f}",
    )
    row("200 within 1 s: first token p50", "", "burst", "p50", ms1000)
    row("200 within 1 s: first token p95", "≤ 1,500 ms", "burst", "p95", ms1000)
    row("200 within 1 s: finished of 200", "200", "burst", "ok", str)
    lines.append(
        "| stop pressed → stopped reply on screen, p50 / p95 | ≤ 300 ms (Redis), ≤ 1 s | – | "
        + " | ".join(
            f"{1000 * r['stop']['p50']:.0f} / {1000 * r['stop']['p95']:.0f} ms"
            for r in results.values()
        )
        + " |"
    )
    lines.append(
        "| server CPU per paced token (20 ms apart; median of three, range) | ≤ 0.05 ms | "
        f"{first['per_token_direct']:.3f} ms | "
        + " | ".join(
            f"{r['per_token']:.3f} ms ({ratio(r['per_token'], first['per_token_direct'])}; "
            f"{r['per_token_range'][0]:.3f}–{r['per_token_range'][1]:.3f})"
            for r in results.values()
        )
        + " |"
    )
    failed = {
        name: sum(v["failed"] for k, v in r.items() if isinstance(v, dict))
        for name, r in results.items()
    }
    lines.append(
        "| failed chats, all scenarios | 0 | – | "
        + " | ".join(str(v) for v in failed.values())
        + " |"
    )
    for name, result in results.items():
        if "thousand" in result:
            big = result["thousand"]
            lines += [
                "",
                f"**{big['streams']} streams at once on one worker ({name})**, 50 tokens 100 ms apart: "
                f"{big['ok']} finished, {big['failed']} failed {big['errors'] or ''}; first token p50 "
                f"{1000 * big['p50']:.0f} ms, p95 {1000 * big['p95']:.0f} ms; the worker's RSS grew "
                f"{big['rss_per_stream_kib']:.0f} KiB per open stream (from {big['rss_before_mib']:.0f} MiB).",
            ]
    for name, result in results.items():
        lines += [
            "",
            f"Replies in the {name} database afterwards: {result['statuses']}; tracebacks in the server log: {result['tracebacks']}.",
        ]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument(
        "--quick", action="store_true", help="a quarter of the work, for trying things"
    )
    parser.add_argument(
        "--class-member",
        action="store_true",
        help="everyone is in one class with a daily quota and two allowed models",
    )
    parser.add_argument("--output", default=str(BASE_DIR / "docs" / "bench-chat.md"))
    args = parser.parse_args()
    names = [args.only] if args.only else ["sqlite", "postgres"]

    results = {}
    # 기계가 얼마나 붐볐는지: 수치를 읽는 사람이 함께 봐야 한다
    args.load = [os.getloadavg()[0], None]
    with upstream_process() as (upstream, upstream_pid):
        for name in names:
            with tempfile.TemporaryDirectory() as directory, ExitStack() as stack:
                workdir = Path(directory)
                big = name == "sqlite"
                people_count = (200 if args.quick else 1000) if big else 200
                base_url, people, env = configuration(
                    name, workdir, upstream, people_count, stack, args.class_member
                )
                app_pid = server_pid(int(base_url.rsplit(":", 1)[1]))
                label = "SQLite" if name == "sqlite" else "PostgreSQL + Redis"
                result = run_suite(
                    label, base_url, upstream, people, app_pid, upstream_pid, args.quick, big
                )
                result["statuses"] = manage(env, "shell", "-v", "0", "-c", COUNT).stdout.strip()
                log = (workdir / "server.log").read_text()
                result["tracebacks"] = log.count("Traceback")
                if result["tracebacks"]:
                    # 처음 것을 보여 준다: 수치보다 먼저 고칠 것이다
                    start = log.index("Traceback")
                    print(log[max(0, start - 800) : start + 2500], file=sys.stderr)
                results[label] = result

    args.load[1] = os.getloadavg()[0]
    text = report(args, results)
    Path(args.output).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
