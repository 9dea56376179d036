"""대화 찾기 벤치: 메시지 200,000개에서 한 사람의 검색이 얼마나 걸리는가. 결과는 docs/bench-search.md.

한국어·영어·코드가 섞인 메시지를 여러 학생(그중 메시지 5,000개인 한 사람)에게 나눠 채우고, 낱말마다
chat.search.conversations_search(질의 둘과 미리 보기 글)를 재고, 같은 실행에서 색인 없이 LIKE로 찾는 값과 나란히 적는다.
색인 없는 값은 둘이다: 그 사람의 메시지만 LIKE로 읽기(두 글자 낱말의 길), 표 전체를 LIKE로 읽기(관리 화면의 검색).

    .venv/bin/python bench/search.py            # SQLite(임시 파일)와 PostgreSQL(만들고 지우는 bench_search DB) 둘 다
    .venv/bin/python bench/search.py --only sqlite

PostgreSQL은 127.0.0.1:5432의 postgres 사용자로 DB를 하나 만들어 쓰고 끝나면 지운다 (BENCH_PG_URL로 바꾼다).
"""

import argparse
import itertools
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from datetime import date, timedelta
from functools import partial
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.serve import postgres_database  # noqa: E402

DOC = BASE_DIR / "docs" / "bench-search.md"
# 벤치 DB를 만들고 지울 서버 (bench.serve.postgres_database가 이름을 지어 만든다)
PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")

TOTAL = 200_000
HEAVY = 5_000
PEOPLE = 400
PER_CONVERSATION = 20
RUNS = 30
SCAN_RUNS = 5
WRITE_RUNS = 200
TARGET_MS = 50

QUERIES = [
    ("리스트", "Korean, part of a word (3)"),
    ("파이썬", "Korean, part of a word (3)"),
    ("함수", "Korean, two syllables"),
    ("변수", "Korean, two syllables"),
    ("df.groupby", "code"),
    ("useState", "code, any case"),
    ("리스트 튜플", "two words"),
    ("존재하지않는말", "no hit"),
    ("useEffect", "code, rare site-wide"),
]

TOPICS = [
    "파이썬",
    "자바스크립트",
    "리액트",
    "판다스",
    "SQL",
    "자료구조",
    "알고리즘",
    "장고",
    "깃",
    "리눅스",
]
CONCEPTS = [
    "리스트", "튜플", "딕셔너리", "함수", "변수", "클래스", "반복문", "조건문", "재귀", "예외 처리",
    "모듈", "정렬", "해시", "스택", "큐", "집합", "문자열", "포인터", "인덱스", "트랜잭션",
]  # fmt: skip
PARTICLES = ["와", "를", "는", "에서", "의", "로", "가", "도", "에", "이"]
ASKS = [
    "설명해 주세요", "왜 오류가 나나요?", "예제를 보여 주세요", "차이가 뭔가요?", "어떻게 고치나요?",
    "언제 쓰나요?", "시험에 나올까요?", "더 쉽게 알려 줘", "Could you explain it in English?",
]  # fmt: skip
CODE = [
    "df.groupby('반')['점수'].mean()", "const [count, setCount] = useState(0);", "for i in range(10):",
    "SELECT name FROM students WHERE score > 80;", "console.log(items.map(x => x * 2))",
    "git rebase -i HEAD~3", "import numpy as np", "scores.sort(key=lambda s: s[1])", "def solve(n):",
    "fetch('/api/items').then(r => r.json())", "while stack: node = stack.pop()",
]  # fmt: skip
SENTENCES = [
    "{c}{p} 쓰면 코드가 짧아집니다.", "먼저 {c}의 정의부터 보겠습니다.", "{t}에서는 {c}{p} 자주 씁니다.",
    "이 경우 시간 복잡도는 O(n log n)입니다.", "Note that the edge case matters here.",
    "테스트를 먼저 작성해 보세요.", "{c}{p} 바꾸면 결과가 달라집니다.", "아래 예제를 실행해 보세요.",
    "A common mistake is to mutate the input.", "{c}과 {c2}의 차이를 표로 정리하면 이렇습니다.",
    "오류 메시지의 마지막 줄을 읽어 보세요.", "이 방법은 메모리를 더 씁니다.",
]  # fmt: skip


def text_for(rng: random.Random, role: str) -> str:
    topic, concept = rng.choice(TOPICS), rng.choice(CONCEPTS)
    if role == "user":
        text = f"{topic}에서 {concept}{rng.choice(PARTICLES)} {rng.choice(ASKS)}"
        if rng.random() < 0.3:
            text += "\n\n```\n" + rng.choice(CODE) + "\n```"
        if rng.random() < 0.002:
            text += " useEffect(() => {}, [])는 왜 두 번 도나요?"
        return text
    parts = []
    for _ in range(rng.randint(4, 9)):
        sentence = rng.choice(SENTENCES).format(
            t=topic, c=rng.choice(CONCEPTS), c2=rng.choice(CONCEPTS), p=rng.choice(PARTICLES)
        )
        parts.append(sentence)
    if rng.random() < 0.4:
        parts.append("\n\n```python\n" + "\n".join(rng.sample(CODE, 3)) + "\n```\n")
    return " ".join(parts)


def setup_django(database_url: str):
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatproject.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-" + "x" * 40)
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()


def fill():
    from django.utils import timezone

    from accounts.models import User
    from chat.models import Conversation, Message

    rng = random.Random(23)  # noqa: S311 - 같은 글을 다시 짓는 씨앗
    now = timezone.now()
    people = User.objects.bulk_create(User(username=f"student_{n}") for n in range(PEOPLE))
    heavy, others = people[0], people[1:]
    plan = [(heavy, HEAVY // 50, 50)]
    per_person = (TOTAL - HEAVY) // len(others)
    for person in others:
        plan.append((person, per_person // PER_CONVERSATION, PER_CONVERSATION))
    made = 0
    for person, conversations, size in plan:
        rows = Conversation.objects.bulk_create(
            Conversation(
                owner=person,
                title=f"{rng.choice(TOPICS)} {rng.choice(CONCEPTS)} 질문",
                model="fake-model",
                needs_title=False,
                updated_at=now - timedelta(minutes=rng.randint(0, 90 * 24 * 60)),
            )
            for _ in range(conversations)
        )
        messages = [
            Message(
                conversation=conversation,
                role="user" if n % 2 == 0 else "assistant",
                content=text_for(rng, "user" if n % 2 == 0 else "assistant"),
            )
            for conversation in rows
            for n in range(size)
        ]
        Message.objects.bulk_create(messages, batch_size=2000)
        made += len(messages)
    return heavy, others[len(others) // 2], made


def timed(function, runs):
    """(p50, p95, CPU p50) 밀리초. CPU는 이 프로세스의 시간: 바쁜 공용 기계에서 가장 덜 흔들린다."""
    function()  # 첫 번째(캐시 채우기)는 빼고
    samples, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        function()
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    samples.sort()
    return (
        statistics.median(samples),
        samples[max(0, int(len(samples) * 0.95) - 1)],
        statistics.median(cpu),
    )


def like_scans(user, query):
    """색인 없이: (그 사람의 메시지만 LIKE, 표 전체를 LIKE). 색인을 쓰지 못하게 SQL을 직접 쓴다."""
    from django.db import connection

    words = query.split()
    escaped = [
        "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        for word in words
    ]
    if connection.vendor == "sqlite":
        like = " AND ".join("m.content LIKE %s ESCAPE '\\'" for _ in words)
        table = "chat_message m NOT INDEXED"
    else:
        like = " AND ".join("m.content ILIKE %s" for _ in words)
        table = "chat_message m"
    own = (
        f"SELECT COUNT(*) FROM chat_message m JOIN chat_conversation c ON c.id = m.conversation_id "  # noqa: S608
        f"WHERE c.owner_id = %s AND NOT c.is_hidden AND {like}"
    )
    whole = (
        f"SELECT COUNT(*) FROM {table} JOIN chat_conversation c ON c.id = m.conversation_id "  # noqa: S608
        f"WHERE {like} AND c.owner_id = %s AND NOT c.is_hidden"
    )

    def run(sql):
        def query_once():
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    # 색인 없는 길만: 트랜잭션 안에서 끄고 되돌린다
                    cursor.execute("BEGIN")
                    cursor.execute("SET LOCAL enable_bitmapscan = off")
                    if sql is whole:
                        cursor.execute("SET LOCAL enable_indexscan = off")
                        cursor.execute("SET LOCAL enable_nestloop = off")
                cursor.execute(sql, [*escaped, user.pk] if sql is whole else [user.pk, *escaped])
                cursor.fetchone()
                if connection.vendor == "postgresql":
                    cursor.execute("ROLLBACK")

        return query_once

    return run(own), run(whole)


def path(query: str, user) -> str:
    """검색이 고른 길: 색인, 또는 그 사람의 메시지를 LIKE로."""
    from django.db import connection

    from chat import search

    long_words = [word for word in query.split() if len(word) >= search.TRIGRAM]
    if not long_words:
        return "own messages, LIKE"
    if connection.vendor == "sqlite":
        return "FTS5, own rowid range"
    if search._rare_on_postgresql(long_words, user) is None:
        return f"common (> {search.RARE_HITS:,} site-wide): own messages, LIKE"
    return "pg_trgm index"


def measure(label: str) -> str:
    from django.core.management import call_command
    from django.db import connection

    from chat import search, search_index
    from chat.models import Conversation, Message

    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    heavy, typical, made = fill()
    filled = time.perf_counter() - start
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    start = time.perf_counter()
    search_index.rebuild()
    rebuilt = time.perf_counter() - start
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    people = {
        f"heavy ({Message.objects.filter(conversation__owner=heavy).count():,} messages)": heavy,
        f"typical ({Message.objects.filter(conversation__owner=typical).count():,} messages)": typical,
    }
    engine = connection.vendor
    lines = [
        f"## {engine}, {made:,} messages, {Conversation.objects.count():,} conversations, {label}",
        "",
        f"`bench/search.py` on {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {date.today().isoformat()}; filled in {filled:.0f} s with "
        f"the index kept by every write, `rebuild_search_index` took {rebuilt:.1f} s. "
        f"`conversations_search` (both queries and the snippets of a page of 20) {RUNS} runs, "
        f"LIKE scans {SCAN_RUNS} runs, each after one warm-up. Load average at the start: "
        f"{os.getloadavg()[0]:.1f}.",
        "",
        "| query | kind | person | path | conversations found (page 1) | search p50 | search p95 "
        "| search CPU p50 | LIKE, own messages p50 | LIKE, whole table p50 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    worst = 0.0
    for query, kind in QUERIES:
        for who, user in people.items():
            page = search.conversations_search(user=user, query=query)
            p50, p95, cpu = timed(
                partial(search.conversations_search, user=user, query=query), RUNS
            )
            worst = max(worst, p95)
            own, whole = like_scans(user, query)
            own_p50, _, _ = timed(own, SCAN_RUNS)
            whole_p50, _, _ = timed(whole, SCAN_RUNS)
            found = f"{len(page.results)}{'+' if page.has_next else ''}"
            lines.append(
                f"| `{query}` | {kind} | {who} | {path(query, user)} | {found} | {p50:.1f} ms | {p95:.1f} ms | {cpu:.1f} ms "
                f"| {own_p50:.1f} ms | {whole_p50:.0f} ms |"
            )
    lines += ["", f"Worst search p95: {worst:.1f} ms (target < {TARGET_MS} ms).", ""]
    with_index = write_costs(typical)
    search_index.drop()
    without_index = write_costs(typical)
    lines += [
        f"Writes with and without the index (median of {WRITE_RUNS}, each its own transaction):",
        "",
        "| write | with the index | without |",
        "|---|---|---|",
        *(
            f"| {name} | {with_index[name]:.2f} ms | {without_index[name]:.2f} ms |"
            for name in with_index
        ),
        "",
    ]
    return "\n".join(lines)


def write_costs(user) -> dict[str, float]:
    """보내기와 답변 저장의 쓰기 하나씩: 색인(트리거, GIN)이 보내기의 길에 얹는 값."""
    from django.db import transaction

    from chat.models import Conversation, Message

    conversation = Conversation.objects.filter(owner=user).first()
    question = "파이썬에서 리스트와 튜플은 무엇이 다른가요? df.groupby도 알려 주세요. " * 6
    answer = "리스트는 바꿀 수 있고 튜플은 바꿀 수 없습니다. 함수에 넘길 때도 다릅니다. " * 30
    replies = iter(
        Message.objects.bulk_create(
            Message(conversation=conversation, role="assistant", status="streaming", content="")
            for _ in range(2 * (WRITE_RUNS + 1))
        )
    )
    streaming = next(replies)
    # 진행 저장마다 글이 자란다
    lengths = itertools.cycle(range(100, len(answer), 37))

    def send():
        with transaction.atomic():
            Message.objects.create(conversation=conversation, role="user", content=question)

    def progress():
        with transaction.atomic():
            Message.objects.filter(pk=streaming.pk).update(content=answer[: next(lengths)])

    def finish():
        with transaction.atomic():
            Message.objects.filter(pk=next(replies).pk).update(status="done", content=answer)

    return {
        f"send: INSERT a {len(question)}-character message": timed(send, WRITE_RUNS)[0],
        "progress save of a streaming reply (UPDATE content)": timed(progress, WRITE_RUNS)[0],
        f"finish a reply (UPDATE status and {len(answer)} characters)": timed(finish, WRITE_RUNS)[
            0
        ],
    }


def child(engine: str, url: str | None) -> None:
    if engine == "sqlite":
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    setup_django(url)
    from django.db import connection

    label = "FTS5 trigram" if connection.vendor == "sqlite" else "pg_trgm GIN"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT datctype FROM pg_database WHERE datname = current_database()")
            label += f", LC_CTYPE {cursor.fetchone()[0]}"
    print(measure(label))


HEADER = """# 대화 찾기 벤치 / Search benchmark

이슈 #23의 목표: 메시지 200,000개에서 한 사람의 검색이 p95 50 ms 안에. `bench/search.py`로 잽니다.
The target of issue #23: with 200,000 messages, one person's search under 50 ms at p95.

**읽는 법 / How to read it.** "search"는 검색 화면이 부르는 `chat.search.conversations_search` 전체입니다 (찾은 대화 한 쪽,
대화마다 찾은 메시지 셋, 미리 보기 글; 템플릿과 HTTP는 빼고). "path"는 고른 길입니다: SQLite는 세 글자 이상이면 FTS5
trigram 색인에서 그 사람의 rowid 범위만 읽고, PostgreSQL은 사이트 전체에서 드문 낱말(300개 이하)만 pg_trgm 색인으로,
흔한 낱말은 그 사람의 메시지를 읽습니다. 두 글자 이하는 어느 DB에서나 그 사람의 메시지를 LIKE로 읽습니다
(`docs/architecture.md`의 "대화 찾기"). 같은 실행에서 색인 없이 잰 값 둘을 나란히 둡니다: 그 사람의 메시지만 LIKE로 세기,
표 전체를 LIKE로 세기 (관리 화면의 검색이 하는 일). 이 둘은 수만 세어(COUNT) 한 쪽을 짓고 미리 보기 글을 만드는 값이
빠져 있습니다. "CPU"는 이 프로세스의 시간입니다 (SQLite는 질의까지 들어 있고 PostgreSQL은 서버의 시간이 빠져 있습니다):
다른 일이 함께 도는 공용 기계에서 가장 덜 흔들립니다.
"search" is the whole `chat.search.conversations_search` the results page calls (a page of conversations, three hits
each, the snippets; no template, no HTTP). "path" is the road it took: SQLite reads only the person's rowid range of
the FTS5 trigram index for words of three characters or more; PostgreSQL asks the pg_trgm index only for words that
are rare site-wide (300 messages or fewer) and reads the person's own messages for common ones; words under three
characters are read from the person's own messages with LIKE on both. Two index-free figures from the same run sit
next to it: LIKE over the person's own messages, and LIKE over the whole table (what the admin search does); both
only count, without building a page or snippets. "CPU" is this process's own time (for SQLite it includes the
queries; PostgreSQL's server time is not in it): on a shared, busy machine it moves least.

"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--child", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    parser.add_argument("url", nargs="?", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options.child, options.url)
        return
    sections = []
    for engine in [options.only] if options.only else ["sqlite", "postgresql"]:
        with postgres_database(PG_ADMIN) if engine == "postgresql" else nullcontext() as url:
            result = subprocess.run(  # noqa: S603 - 이 저장소의 스크립트
                [sys.executable, __file__, "--child", engine, *([url] if url else [])],
                check=True,
                capture_output=True,
                text=True,
            )
        print(result.stdout)
        sections.append(result.stdout)
    DOC.write_text(HEADER + "\n".join(sections))


if __name__ == "__main__":
    main()
