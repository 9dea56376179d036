"""관리 화면 벤치: 메시지 100,000개가 든 DB에서 대화 목록과 대화 한 쪽이 얼마나 걸리는가. 결과는 docs/bench-moderation.md.

앱 안에서 Django 테스트 클라이언트로 잰다 (HTTP와 브라우저는 빼고, 서버가 쓰는 시간만). 대화 2,000개 × 메시지 50개와
메시지 5,000개짜리 긴 대화 하나를 만들고, 실패한 답변과 열린 신고를 흩어 둔다.

    .venv/bin/python bench/moderation_admin.py                      # 새 SQLite 파일
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_mod .venv/bin/python bench/moderation_admin.py
"""

import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatproject.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-" + "x" * 40)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ.pop("REDIS_URL", None)
if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

# collectstatic 없이 돌린다: 정적 파일의 해시 목록(manifest)을 찾지 않게
settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from chat.models import Conversation, Message, Report  # noqa: E402

CONVERSATIONS = 2000
PER_CONVERSATION = 50
LONG = 5000
RUNS = 30


def fill():
    people = User.objects.bulk_create(User(username=f"student_{n}") for n in range(200))
    conversations = Conversation.objects.bulk_create(
        Conversation(owner=people[n % 200], title=f"대화 {n}", model="fake-model")
        for n in range(CONVERSATIONS + 1)
    )
    long_one = conversations[-1]
    for conversation in conversations:
        count = LONG if conversation is long_one else PER_CONVERSATION
        Message.objects.bulk_create(
            (
                Message(
                    conversation=conversation,
                    role=Message.Role.USER if n % 2 == 0 else Message.Role.ASSISTANT,
                    content=f"메시지 {n} " + "내용 " * 40,
                    rendered_html=f"<p>메시지 {n} " + "내용 " * 40 + "</p>",
                    status=Message.Status.FAILED if n % 97 == 1 else Message.Status.DONE,
                    prompt_tokens=None if n % 2 == 0 else 120,
                    completion_tokens=None if n % 2 == 0 else 80,
                )
                for n in range(count)
            ),
            batch_size=2000,
        )
    replies = Message.objects.filter(role=Message.Role.ASSISTANT).order_by("pk")[
        :: PER_CONVERSATION * 5
    ]
    Report.objects.bulk_create(
        Report(reply=reply, reporter=people[0], reason="wrong") for reply in replies[:300]
    )
    return long_one


def timed(client, url):
    client.get(url)  # 첫 요청의 캐시 채우기는 빼고
    samples, cpu = [], []
    for _ in range(RUNS):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    samples.sort()
    p95 = samples[int(len(samples) * 0.95) - 1]
    return statistics.median(samples), p95, statistics.median(cpu), len(queries)


def main():
    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    long_one = fill()
    filled = time.perf_counter() - start
    if connection.vendor == "postgresql":
        # 실제 DB에서는 autovacuum이 통계를 모은다. 막 채운 표는 통계가 없어 계획기가 크게 빗나가고 JIT까지 켠다.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    admin = User.objects.create_superuser(username="bench_admin", password=None)
    client = Client()
    client.force_login(admin)
    total = Message.objects.count()
    pages = {
        "conversation changelist (most recent first)": "/admin/chat/conversation/",
        "changelist, has open reports": "/admin/chat/conversation/?reported=yes",
        "changelist, has failed replies": "/admin/chat/conversation/?failed=yes",
        "changelist, search a word in every message (full scan)": "/admin/chat/conversation/?q=%EB%82%B4%EC%9A%A9",
        "changelist, search a username": "/admin/chat/conversation/?q=student_7",
        f"conversation page 1 of a {LONG:,}-message conversation": f"/admin/chat/conversation/{long_one.pk}/change/",
        "same conversation, page 60": f"/admin/chat/conversation/{long_one.pk}/change/?page=60",
        "message changelist, failed": "/admin/chat/message/?status__exact=failed",
        "report queue": "/admin/chat/report/",
    }
    engine = connection.vendor
    lines = [
        f"### {engine}, {total:,} messages, {Conversation.objects.count():,} conversations",
        "",
        f"`bench/moderation_admin.py` on {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {date.today().isoformat()}; filled in {filled:.0f} s. "
        f"In-process Django test client, {RUNS} runs each after one warm-up (no HTTP, no browser). "
        "CPU is this process's own time (SQLite runs inside it; PostgreSQL's server time is not "
        "counted): on a shared, busy machine it moves least. Load average at the start: "
        f"{os.getloadavg()[0]:.1f}.",
        "",
        "| page | target | median | p95 | CPU (median) | queries |",
        "|---|---|---|---|---|---|",
    ]
    for name, url in pages.items():
        median, p95, cpu, queries = timed(client, url)
        lines.append(
            f"| {name} | < 300 ms | {median:.0f} ms | {p95:.0f} ms | {cpu:.0f} ms | {queries} |"
        )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
