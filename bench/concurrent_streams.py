"""동시 스트림 벤치: 한 반이 한꺼번에 질문할 때 작은 서버(SQLite, 워커 = 코어 수)가 버티는지 잰다.

가짜 OpenAI 서버(tests/fake_openai.py)가 토큰마다 조금씩 쉬며 답하고, 앱은 `make run`과 같은
gunicorn + uvicorn 워커로 뜬다. N명의 대기 중 답변을 미리 만들어 두고 N개의 스트림을 동시에 열어
첫 프레임까지의 시간, 전체 시간, 실패 수, DB에 저장된 상태를 잰다. 결과는 docs/bench-streams.md에 쓴다.

    .venv/bin/python bench/concurrent_streams.py --streams 200
"""

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx2

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from tests.fake_openai import FakeOpenAI, Reply  # noqa: E402
from tests.servers import asgi_server, manage, server_env  # noqa: E402

SETUP = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from accounts.models import User
from chat.services import conversation_start
for index in range({streams}):
    user = User.objects.create_user(username=f"bench{{index}}", password="unused-password-1")
    reply = conversation_start(user=user, content="벤치 질문", model="fake-model")
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    print(reply.pk, session.session_key)
"""

COUNT = (
    "from django.db.models import Count; from chat.models import Message; "
    "print(dict(Message.objects.filter(role='assistant').values_list('status').annotate(n=Count('id'))))"
)


async def one_stream(client, base_url, reply_id, session_key):
    started = time.monotonic()
    first_token = None
    async with client.stream(
        "GET", f"{base_url}/chat/replies/{reply_id}/stream/", cookies={"sessionid": session_key}
    ) as response:
        if response.status_code != 200:
            return {"error": f"HTTP {response.status_code}"}
        async for line in response.aiter_lines():
            if line == "event: token" and first_token is None:
                first_token = time.monotonic() - started
            if line == "event: done":
                return {"first_token": first_token, "total": time.monotonic() - started}
    return {"error": "closed before done"}


async def run_streams(base_url, replies):
    limits = httpx2.Limits(max_connections=len(replies) + 10)
    async with httpx2.AsyncClient(timeout=120, limits=limits) as client:
        return await asyncio.gather(
            *(one_stream(client, base_url, reply_id, key) for reply_id, key in replies),
            return_exceptions=True,
        )


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--tokens", type=int, default=60)
    parser.add_argument("--delay", type=float, default=0.05, help="seconds between tokens")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--output", default=str(BASE_DIR / "docs" / "bench-streams.md"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory, FakeOpenAI() as fake:
        workdir = Path(directory)
        llm = {
            "OPENAI_BASE_URL": fake.base_url,
            "OPENAI_API_KEY": "bench",
            "OPENAI_MODEL": "fake-model",
            "RATE_LIMIT_MESSAGES_PER_MINUTE": "100000",
            # make run의 기본처럼 프로세스 메모리 캐시
            "REDIS_URL": "",
        }
        env = server_env(workdir, **llm)
        with asgi_server(workdir, workers=args.workers, **llm) as base_url:
            created = manage(env, "shell", "-v", "0", "-c", SETUP.format(streams=args.streams))
            replies = [line.split() for line in created.stdout.splitlines()]
            fake.script(*[Reply(tokens=["토큰 "] * args.tokens, delay=args.delay)] * args.streams)
            started = time.monotonic()
            results = asyncio.run(run_streams(base_url, replies))
            wall = time.monotonic() - started
        statuses = manage(env, "shell", "-v", "0", "-c", COUNT).stdout.strip()
        server_errors = (workdir / "server.log").read_text().count("Traceback")

    done = [result for result in results if isinstance(result, dict) and "total" in result]
    failures = [
        result for result in results if not (isinstance(result, dict) and "total" in result)
    ]
    first = [result["first_token"] for result in done if result["first_token"] is not None]
    totals = [result["total"] for result in done]
    ideal = args.tokens * args.delay
    report = f"""# 동시 스트림 벤치 / Concurrent streams benchmark

`bench/concurrent_streams.py --streams {args.streams} --tokens {args.tokens} --delay {args.delay} --workers {args.workers}`
on {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, SQLite, per-process memory cache,
gunicorn + {args.workers} uvicorn workers; the fake OpenAI server answers every stream with {args.tokens} tokens,
{args.delay} s apart, so a reply takes at least {ideal:.1f} s on its own. One run; the machine is shared and noisy,
so read the numbers as orders of magnitude and the ratio to the ideal, not as exact timings.

| | |
|---|---|
| streams opened at once | {args.streams} |
| finished with `done` | {len(done)} |
| failed | {len(failures)} {sorted({str(f) for f in failures})[:3] if failures else ""} |
| first token, median / p95 / max | {statistics.median(first):.2f} s / {percentile(first, 0.95):.2f} s / {max(first):.2f} s |
| whole reply, median / p95 / max | {statistics.median(totals):.2f} s / {percentile(totals, 0.95):.2f} s / {max(totals):.2f} s |
| slowest reply ÷ a reply alone | {max(totals) / ideal:.2f} |
| wall time for all | {wall:.2f} s |
| replies in the database afterwards | {statuses} |
| tracebacks in the server log | {server_errors} |

Each open stream saves its text once a second (that is how a stop from another worker is noticed), so this run
also measures {args.streams} streams' worth of small SQLite writes a second next to the token frames.
"""
    Path(args.output).write_text(report)
    print(report)


if __name__ == "__main__":
    main()
