"""첨부 파일의 값 (#25): 100쪽 PDF 읽기와, 1 MiB 글 파일·화면 캡처 한 장을 단 보내기를 파일 없는 보내기 옆에서 잰다.
결과는 docs/bench-attachments.md.

한 실행, 한 서버(SQLite, 워커 하나: make run의 기본)에서 잰다. 같은 클라이언트가 upstream(bench/upstream.py)을
직접 부른 값을 옆에 둔다. 보내기의 종류들을 한 차례 안에서 섞은 순서로 돌리고 그 차례를 되풀이한다: 기계의 잡음이
모두에게 같이 닿게. 서버 CPU는 /proc에서 앱 프로세스의 시간을 읽는다 (bench/chat_cycle.py의 Meter). PDF와 그림은
앱이 따로 띄우는 읽개(chat/attachments/sandbox.py)가 읽으므로, 앱이 거둔 자식 프로세스의 시간을 더한 값도 적는다.

    .venv/bin/python bench/attachments.py
    .venv/bin/python bench/attachments.py --rounds 3 --output /tmp/attachments.md
"""

import argparse
import asyncio
import io
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from contextlib import ExitStack
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.chat_cycle import (  # noqa: E402
    Direct,
    Meter,
    Person,
    configuration,
    server_pid,
    shape,
    upstream_process,
)
from bench.serve import manage  # noqa: E402
from chat.attachments import extract  # noqa: E402 - Django 설정 없이 불러와지는 모듈이다

GIT = shutil.which("git") or "git"
QUESTION = "이 파일을 읽고 요점을 정리해 줘"
PDF_PAGES = 100
# 보내기의 종류: 이름, 표에 적을 말
SENDS = {
    "plain": "plain send, no files (urlencoded, as bench/chat_cycle.py sends)",
    "browser": "plain send as the browser's form sends it (multipart, empty file field)",
    "text": "send with a 1 MiB text file",
    "image": "send with one PNG screenshot to a vision model",
    "pdf": f"send with a {PDF_PAGES}-page PDF",
}

SETTINGS = (
    "from django.conf import settings as s; "
    "print(s.ATTACHMENT_TEXT_CHARS, s.ATTACHMENT_EXTRACT_SECONDS, s.ATTACHMENT_EXTRACT_MEMORY_MB, "
    "s.LLM_CONTEXT_TOKENS)"
)

# 종류마다 새 대화를 넉넉히: 보내기마다 첫 질문이라 앞의 파일이 문맥에 들지 않는다 (모두 같은 조건)
CONVERSATIONS = """
from accounts.models import User
from chat.models import Conversation
for name in {names!r}:
    user = User.objects.get(username=name)
    made = [Conversation.objects.create(owner=user, title="벤치", model="fake-model") for _ in range({count})]
    print(",".join(str(item.pk) for item in made))
"""

AFTERWARDS = """
from django.db.models import Avg, Count, Max, Sum
from chat.attachments.models import Attachment
from chat.models import Message
print(dict(Message.objects.filter(role="assistant").values_list("status").annotate(n=Count("id"))))
print(Message.objects.filter(role="user", has_attachments=True).count())
for kind, n, pages, truncated in Attachment.objects.values_list("kind").annotate(
    n=Count("id"), pages=Max("pages"), truncated=Sum("text_truncated")
).order_by("kind"):
    sizes = [len(text) for text in Attachment.objects.filter(kind=kind).values_list("text", flat=True)[:3]]
    print(f"{kind} {n} (most pages {pages}, cut at the limit {int(truncated or 0)}, characters kept {max(sizes):,})")
cut = Message.objects.filter(role="assistant", omitted_attachment_chars__gt=0).aggregate(
    n=Count("id"), chars=Avg("omitted_attachment_chars"))
print(f"{cut['n']} (on average {cut['chars'] or 0:,.0f} characters left out)")
"""

# 쪽과 화면 캡처를 채우는 낱말
PAGE_WORDS = (
    "the of and to in a is that for it as was with be by on not he this are or his from at which "
    "but have an they you were her she there been one all we their has would when if so no will "
    "more can said who what up its about into than them only other new some could time these two "
    "may then do first any my now such like our over man me even most made after also did many "
    "before must through back years where much your way well down should because each just those "
    "people how too little state good very make world still own see men work long get here between "
    "both life being under never day same another know while last might us great old year off come "
    "since against go came right used take three states himself few house use during without again "
    "place around however home small found thought went say part once general high upon school"
)
CODE_WORDS = (
    "def return self for in if else import from class print value items data result error "
    "request response model text page file user"
)


# ---------------------------------------------------------------- 파일


def page_text(rng: random.Random) -> str:
    """보통의 글 한 쪽: 11pt 글자로 쪽을 채우는 40줄, 줄마다 70–80자. 글꼴은 cp1252만 쓰므로 영어다."""
    words = PAGE_WORDS.split()
    lines = []
    for _ in range(40):
        line = ""
        while len(line) < 70:
            line = f"{line} {rng.choice(words)}".strip()
        lines.append(line[:80].capitalize() if not lines or lines[-1].endswith(".") else line[:80])
        if rng.random() < 0.3:
            lines[-1] += "."
    return "\n".join(lines)


def make_pdf(pages: list[str]) -> bytes:
    """쪽마다 글 흐름 하나(Helvetica, 줄마다 한 줄)가 있는 PDF. 흐름은 보통의 PDF처럼 FlateDecode로 줄인다.

    tests/support/files.py에도 PDF를 짓는 도우미가 있지만 벤치는 테스트를 불러오지 않는다 (tests/test_repository.py).
    """
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    }
    kids = []
    for index, text in enumerate(pages):
        page, content = 4 + 2 * index, 5 + 2 * index
        shown = [
            b"("
            + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("cp1252")
            + b")"
            for line in text.split("\n")
        ]
        stream = zlib.compress(
            b"BT /F1 11 Tf 14 TL 72 750 Td " + b" Tj T* ".join(shown) + b" Tj ET"
        )
        objects[page] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % content
        )
        objects[content] = b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (
            len(stream),
            stream,
        )
        kids.append(b"%d 0 R" % page)
    objects[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(pages))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, objects[number])
    xref, size = len(out), max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    out += b"".join(b"%010d 00000 n \n" % offsets[number] for number in range(1, size))
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)


def text_file(size: int) -> bytes:
    """size 바이트 안의 UTF-8 글 파일: 한국어와 영어가 섞인 서버 로그 (학생이 올리는 큰 글 파일의 흔한 모양)."""
    rng = random.Random(25)  # noqa: S311 - 같은 파일을 다시 짓는 씨앗
    paths = ["/chat/", "/chat/42/messages/", "/accounts/login/", "/api/items/?page=3", "/healthz"]
    notes = ["요청 처리", "세션 확인", "질의 느림", "캐시 없음", "다시 시도", "응답 보냄"]
    out = io.StringIO()
    second = 0
    while out.tell() < size:
        second += rng.randint(0, 3)
        out.write(
            f"2026-12-07 {9 + second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d} "
            f"{rng.choice(['INFO', 'INFO', 'INFO', 'WARN', 'DEBUG'])} worker-{rng.randint(1, 4)} "
            f"{rng.choice(notes)} {rng.choice(paths)} status={rng.choice([200, 200, 200, 302, 404])} "
            f"user={rng.randint(1, 900)} took={rng.randint(2, 900)}ms\n"
        )
    data = out.getvalue().encode()
    return data[: data.rindex(b"\n", 0, size) + 1]


def screenshot() -> bytes:
    """1920×1080 화면 캡처 모양의 PNG: 윗줄, 옆 목록, 코드 편집기의 줄들 (색이 단순한 그림보다 덜 줄어든다)."""
    from PIL import Image, ImageDraw, ImageFont

    rng = random.Random(25)  # noqa: S311 - 같은 그림을 다시 짓는 씨앗
    width, height = 1920, 1080
    image = Image.new("RGB", (width, height), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=15)
    draw.rectangle((0, 0, width, 40), fill=(45, 45, 52))
    draw.rectangle((0, 40, 300, height), fill=(236, 238, 242))
    words = CODE_WORDS.split()
    for row in range(48):
        y = 60 + row * 21
        draw.text(
            (20, y), " ".join(rng.choice(words) for _ in range(3)), fill=(60, 60, 70), font=font
        )
        code = " " * rng.choice([0, 0, 4, 8, 12]) + " ".join(
            rng.choice(words) for _ in range(rng.randint(2, 12))
        )
        color = (rng.randint(0, 120), rng.randint(0, 120), rng.randint(60, 160))
        draw.text((330, y), f"{row + 1:>4}  {code}", fill=color, font=font)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


# ---------------------------------------------------------------- 재기


class Sender(Person):
    """입력창처럼 보낸다: 파일이 있으면 multipart로 글과 함께. POST가 돌아온 때(올리기와 읽기가 끝난 때)도 적는다."""

    def __init__(self, base_url, conversations, session, upload=None, multipart=False):
        super().__init__(base_url, conversations, session)
        self.upload = upload
        self.multipart = multipart

    async def chat(self) -> dict:
        started = time.perf_counter()
        files = None
        if self.upload is not None:
            files = [("attachments", self.upload)]
        elif self.multipart:
            # 파일을 고르지 않은 브라우저의 양식: 이름 없는 빈 파일 칸이 함께 간다
            files = [("attachments", ("", b"", "application/octet-stream"))]
        response = await self.client.post(
            f"/chat/{self.conversation}/messages/",
            data={"content": QUESTION},
            files=files,
            headers={"HX-Request": "true"},
        )
        posted = time.perf_counter() - started
        result = await self.follow(response, started)
        result["post"] = posted
        return result


async def send_batch(app_pid: int, sender: Sender, count: int) -> dict:
    """count번 보내고 읽는 동안의 앱 CPU: 앱 프로세스만, 그리고 앱이 거둔 자식(읽개)까지."""
    with Meter(app_pid, children=True) as whole, Meter(app_pid) as own:
        results = [await sender.chat() for _ in range(count)]
    ok = [r for r in results if "total" in r]
    return {
        "ok": len(ok),
        "errors": [r["error"] for r in results if "error" in r],
        "own": own.seconds / max(1, len(ok)),
        "whole": whole.seconds / max(1, len(ok)),
        "post": [r["post"] for r in ok],
        "total": [r["total"] for r in ok],
    }


async def direct_batch(upstream_pid: int, direct: Direct, count: int) -> dict:
    with Meter(upstream_pid) as meter:
        results = [await direct.chat() for _ in range(count)]
    ok = [r for r in results if "total" in r]
    return {
        "ok": len(ok),
        "errors": [r["error"] for r in results if "error" in r],
        "own": meter.seconds / max(1, len(ok)),
        "total": [r["total"] for r in ok],
    }


def extract_once(data: bytes, name: str, limits: dict, max_chars: int) -> dict:
    """앱과 같은 한도로 chat.attachments.extract.extract를 바로 부른다. 읽개의 CPU는 거둔 자식의 시간이다."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = time.process_time()
    started = time.perf_counter()
    found = extract.extract(
        data,
        filename=name,
        max_chars=max_chars,
        seconds=limits["seconds"],
        memory_mb=limits["memory_mb"],
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "wall": wall,
        "child": (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime),
        "own": time.process_time() - own,
        "pages": found.pages,
        "chars": len(found.text),
        "truncated": found.truncated,
    }


async def rounds(args, app_pid, upstream, upstream_pid, senders, files, limits) -> dict:
    """차례마다 모든 항목을 섞은 순서로 한 번씩. 항목의 값은 차례마다 하나 (묶음의 보내기 하나당)."""
    direct = Direct(upstream)
    extracts = {
        "pdf": (files["pdf"], "book.pdf", limits["chars"]),
        "pdf_all": (files["pdf"], "book.pdf", 10**7),
        "text": (files["text"], "server.log", limits["chars"]),
        "image": (files["image"], "screenshot.png", limits["chars"]),
    }
    out = {key: [] for key in ["direct", *SENDS, *(f"extract_{k}" for k in extracts)]}
    try:
        # 데우기: 워커의 첫 요청들(URL 표, 템플릿, 번역), 종류마다 한 번. 재지 않는다
        await direct_batch(upstream_pid, direct, 5)
        for name in SENDS:
            await send_batch(app_pid, senders[name], 1 if name == "pdf" else 3)
        for data, name, chars in extracts.values():
            extract_once(data, name, limits, chars)
        items = ["direct", *SENDS, *(f"extract_{k}" for k in extracts)]
        for number in range(args.rounds):
            order = items[:]
            random.Random(number).shuffle(order)  # noqa: S311 - 차례마다 같은 순서를 다시 짓는다
            for item in order:
                if item == "direct":
                    # 싼 호출이라 세 배로: /proc의 틱(10 ms)이 호출 하나의 값을 덜 흔든다
                    out[item].append(await direct_batch(upstream_pid, direct, 3 * args.batch))
                elif item in SENDS:
                    count = 1 if item == "pdf" else args.batch
                    out[item].append(await send_batch(app_pid, senders[item], count))
                else:
                    data, name, chars = extracts[item.removeprefix("extract_")]
                    out[item].append(extract_once(data, name, limits, chars))
            print(
                f"  round {number + 1}/{args.rounds}: "
                + ", ".join(
                    f"{key} {1000 * out[key][-1]['own']:.1f}"
                    + (f"/{1000 * out[key][-1]['whole']:.1f}" if "whole" in out[key][-1] else "")
                    for key in ["direct", *SENDS]
                )
                + " ms CPU",
                flush=True,
            )
    finally:
        await direct.aclose()
        await asyncio.gather(*(sender.aclose() for sender in senders.values()))
    return out


# ---------------------------------------------------------------- 보고


def median_range(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


def number(seconds: float) -> str:
    """밀리초로: 100 ms 밑은 소수 한 자리."""
    return f"{1000 * seconds:.1f}" if seconds < 0.1 else f"{1000 * seconds:,.0f}"


def ms(seconds: float) -> str:
    return f"{number(seconds)} ms"


def spread(values: tuple[float, float, float]) -> str:
    """가운데 값과 범위: "20.4 ms (19.0–23.0)"."""
    middle, low, high = values
    return f"{ms(middle)} ({number(low)}–{number(high)})"


def ratio(value: float, base: float) -> str:
    return f"{value / base:.1f}×" if base else "–"


def git_commit() -> str:
    """이 나무의 커밋. 커밋하지 않은 바뀜이 있으면 그렇다고 적는다: 수치가 어느 코드의 것인지."""
    head = subprocess.run(  # noqa: S603 - 읽기만 하는 git
        [GIT, "rev-parse", "--short", "HEAD"], cwd=BASE_DIR, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(  # noqa: S603
        [GIT, "status", "--porcelain", "--untracked-files=no"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return f"{head} (with uncommitted changes)" if dirty else head


def report(args, out, files, limits, after, load) -> str:
    direct_cpu = median_range([b["own"] for b in out["direct"]])
    direct_wall = statistics.median(t for b in out["direct"] for t in b["total"])
    plain_cpu = median_range([b["own"] for b in out["plain"]])
    pdf_probe = out["extract_pdf"][0]
    pdf_all = out["extract_pdf_all"][0]
    cpu = {name: statistics.median(b["whole"] for b in out[name]) for name in SENDS}
    own = {name: statistics.median(b["own"] for b in out[name]) for name in SENDS}
    done = {name: statistics.median(t for b in out[name] for t in b["total"]) for name in SENDS}
    pdf_wall = statistics.median(r["wall"] for r in out["extract_pdf_all"])
    pdf_child = statistics.median(r["child"] for r in out["extract_pdf_all"])
    lines = [
        "# 첨부 파일 벤치 / Attachments benchmark",
        "",
        "이슈 #25의 속도 항목: 100쪽 PDF 읽기와 1 MiB 글 파일을 단 보내기를, 같은 실행의 파일 없는 보내기와 upstream을 "
        "바로 부른 값 옆에. `bench/attachments.py`가 이 파일을 통째로 덮어씁니다.",
        "The speed item of issue #25: extracting a 100-page PDF and a send with a 1 MiB text file, next to a plain send "
        "and the direct upstream in the same run. `bench/attachments.py` overwrites this file.",
        "",
        f"`bench/attachments.py --rounds {args.rounds} --batch {args.batch}` on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}, "
        f"commit {git_commit()}. Load average {load[0]:.1f} at the start, {load[1]:.1f} at the end: the client, "
        "the upstream, the app and the extraction sandbox share the two cores with whatever else runs on the "
        "machine, so wall times move with it; server CPU read from /proc moves least.",
        "",
        f"**결과.** 100쪽 PDF를 모두 읽는 데 {ms(pdf_wall)} (읽개 CPU {ms(pdf_child)}). 보내기 하나의 서버 CPU(읽개 "
        f"포함)는 파일 없이 {ms(cpu['plain'])}, 1 MiB 글 파일과 함께 {ms(cpu['text'])} "
        f"({ratio(cpu['text'], cpu['plain'])}), 화면 캡처 한 장과 함께 {ms(cpu['image'])} "
        f"({ratio(cpu['image'], cpu['plain'])}, 그 가운데 앱 프로세스 {ms(own['image'])}), 100쪽 PDF와 함께 "
        f"{ms(cpu['pdf'])} ({ratio(cpu['pdf'], cpu['plain'])}, 앱 프로세스 {ms(own['pdf'])}); 같은 실행의 upstream "
        f"직접은 {ms(direct_cpu[0])}. 브라우저 양식 그대로(multipart, 빈 파일 칸) 보낸 파일 없는 보내기는 "
        f"{ms(cpu['browser'])}. 보내고 답을 끝까지 받는 데 {ms(done['plain'])} / {ms(done['text'])} / "
        f"{ms(done['image'])} / {ms(done['pdf'])} (파일 없이 / 글 / 그림 / PDF).",
        f"**Results.** Extracting all 100 pages of the PDF takes {ms(pdf_wall)} ({ms(pdf_child)} of sandbox CPU). "
        f"Server CPU per send, sandbox included: {ms(cpu['plain'])} without files, {ms(cpu['text'])} with the "
        f"1 MiB text file ({ratio(cpu['text'], cpu['plain'])}), {ms(cpu['image'])} with one screenshot "
        f"({ratio(cpu['image'], cpu['plain'])}; {ms(own['image'])} in the app's own processes), {ms(cpu['pdf'])} "
        f"with the 100-page PDF ({ratio(cpu['pdf'], cpu['plain'])}; app {ms(own['pdf'])}); the direct upstream "
        f"{ms(direct_cpu[0])} in the same run. A plain send the way the browser's form posts it (multipart, empty "
        f"file field): {ms(cpu['browser'])}. Send to `done`: {ms(done['plain'])} / {ms(done['text'])} / "
        f"{ms(done['image'])} / {ms(done['pdf'])} (no file / text / image / PDF).",
        "",
        "## 방법 / Method",
        "",
        "- 서버 하나: `make run`과 같은 gunicorn + uvicorn 워커 하나, SQLite, 로컬 디스크의 첨부 저장소, "
        "`LLM_VISION_MODELS=fake-model`. 나머지 설정은 기본값입니다 "
        f"(파일 하나에서 {limits['chars']:,}자까지 읽기, 읽기 {limits['seconds']:g}초·{limits['memory_mb']} MB, "
        f"문맥 {limits['context']:,} 토큰).",
        "  One server as `make run` starts it (gunicorn + one uvicorn worker, SQLite, local-disk attachment "
        "storage), with `LLM_VISION_MODELS=fake-model`; all other settings at their defaults.",
        f"- 차례 {args.rounds}번. 차례마다 아래 항목을 모두 한 번씩, 차례마다 다르게 섞은 순서로 돌립니다: 잡음이 모두에게 "
        f"같이 닿게. 보내기는 한 묶음에 {args.batch}번(PDF는 1번), upstream 직접은 {3 * args.batch}번. 표의 CPU는 묶음마다 "
        "보내기 하나의 값의 가운데 값(차례들의 범위)이고, 시간은 모든 보내기의 가운데 값입니다.",
        f"  {args.rounds} rounds; each round runs every item once, in an order shuffled per round. A batch is "
        f"{args.batch} sends (one for the PDF) or {3 * args.batch} direct upstream calls; CPU is the median over rounds of the per-send value (range), "
        "times are the median over all sends.",
        "- 보내기는 브라우저가 하는 일입니다: htmx POST(파일이 있으면 multipart로 글과 함께), 그다음 SSE 스트림을 "
        "`done`까지. 보내기마다 새 대화의 첫 질문이어서 앞의 파일이 문맥에 들지 않습니다. upstream은 200토큰을 곧바로 "
        "답합니다.",
        "  A send is what the browser does: the htmx POST (multipart with the text when there are files), then the "
        "SSE stream read to `done`. Every send is the first question of a fresh conversation. The upstream answers "
        "200 tokens at once.",
        '- "앱" CPU는 gunicorn과 워커 프로세스의 시간, "+ 읽개"는 거기에 워커가 거둔 자식 프로세스(PDF와 그림을 읽는 '
        "`chat/attachments/sandbox.py`)의 시간을 더한 값입니다. upstream 직접은 같은 클라이언트가 `bench/upstream.py`를 "
        "바로 부른 값과 그 프로세스의 CPU입니다.",
        '  "app" CPU is the gunicorn and worker processes; "+ sandbox" adds the children the worker reaped (the '
        "extraction sandbox for PDFs and images). The direct upstream is the same client calling `bench/upstream.py` "
        "directly, with that process's CPU.",
        f"- 파일: PDF는 {PDF_PAGES}쪽, 쪽마다 40줄(평균 {files['page']:,.0f}자)의 서로 다른 영어 글 "
        f"({len(files['pdf']):,} 바이트, FlateDecode로 줄인 글 흐름, `make_pdf`); 글 파일은 한국어와 "
        f"영어가 섞인 UTF-8 서버 로그 {len(files['text']):,} 바이트; 그림은 1920×1080 코드 편집기 모양의 PNG "
        f"{len(files['image']):,} 바이트.",
        f"  Files: the PDF has {PDF_PAGES} pages of 40 lines (on average {files['page']:,.0f} characters) of "
        f"different English text ({len(files['pdf']):,} bytes, FlateDecode content streams, `make_pdf`); the text "
        "file is "
        f"{len(files['text']):,} bytes of a UTF-8 server log mixing Korean and English; the image is a "
        f"{len(files['image']):,}-byte 1920×1080 PNG of a code editor.",
        "",
        "## 파일 읽기 / Extraction",
        "",
        "`chat.attachments.extract.extract`를 벤치 프로세스에서 바로, 앱과 같은 한도로 부른 값입니다. 읽개 CPU는 "
        "따로 뜬 프로세스(파이썬 시작과 pypdf·Pillow 불러오기까지)의 시간, 벤치 CPU는 부른 쪽(글 파일은 여기서 풉니다)의 "
        f"시간입니다. 가운데 값(범위), {args.rounds}번.",
        "`chat.attachments.extract.extract` called directly from the bench process with the app's limits. Sandbox CPU "
        "is the child process (including Python start-up and importing pypdf or Pillow); caller CPU is the bench "
        "process (text files are decoded there).",
        "",
        "| 파일 / file | 읽은 것 / read | 걸린 시간 / wall | 읽개 CPU / sandbox CPU | 부른 쪽 CPU / caller CPU |",
        "|---|---|---|---|---|",
    ]

    def extraction_row(title, key, what):
        wall = median_range([r["wall"] for r in out[key]])
        child = median_range([r["child"] for r in out[key]])
        own = statistics.median(r["own"] for r in out[key])
        lines.append(f"| {title} | {what} | {spread(wall)} | {spread(child)} | {ms(own)} |")

    extraction_row(
        f"PDF, {PDF_PAGES} pages, the app's limit",
        "extract_pdf",
        f"{pdf_probe['chars']:,} characters"
        + (", stops at the character limit" if pdf_probe["truncated"] else ""),
    )
    extraction_row(
        f"PDF, {PDF_PAGES} pages, no character limit",
        "extract_pdf_all",
        f"all {pdf_all['pages']} pages, {pdf_all['chars']:,} characters",
    )
    text_probe = out["extract_text"][0]
    extraction_row(
        "text file, 1 MiB",
        "extract_text",
        f"{text_probe['chars']:,} characters"
        + (", cut at the limit" if text_probe["truncated"] else ""),
    )
    extraction_row("PNG screenshot", "extract_image", "redrawn to 1568 px JPEG and a thumbnail")

    lines += [
        "",
        "## 보내기 한 번 / One send",
        "",
        "서버 CPU는 보내기 하나(POST와 스트림)의 값, 괄호는 파일 없는 보내기(첫 줄)와 upstream 직접에 대한 배수입니다. "
        'POST는 응답이 돌아올 때까지(파일을 받고, 읽고, 저장한 때), "끝까지"는 스트림의 `done`까지입니다.',
        "Server CPU per send (POST and stream); in brackets the multiple of the plain send (first row) and of the "
        'direct upstream. POST is until its response (the file received, read and stored); "to done" until the '
        "stream's `done`.",
        "",
        "| 보내기 / send | 앱 CPU / app CPU | + 읽개 / + sandbox | × 파일 없는 보내기 / × plain | × upstream 직접 / × direct"
        " | POST p50 | 끝까지 p50 / to done p50 | 끝까지 × 직접 / to done × direct |",
        "|---|---|---|---|---|---|---|---|",
        f"| direct upstream (`bench/upstream.py`, its own CPU) | {spread(direct_cpu)} | – | – | 1.0× "
        f"| – | {ms(direct_wall)} | 1.0× |",
    ]
    for name, title in SENDS.items():
        own = median_range([b["own"] for b in out[name]])
        whole = median_range([b["whole"] for b in out[name]])
        post = statistics.median(t for b in out[name] for t in b["post"])
        total = statistics.median(t for b in out[name] for t in b["total"])
        lines.append(
            f"| {title} | {spread(own)} | {spread(whole)} | {ratio(whole[0], plain_cpu[0])} | {ratio(whole[0], direct_cpu[0])} | "
            f"{ms(post)} | {ms(total)} | {ratio(total, direct_wall)} |"
        )
    failed = sum(len(b["errors"]) for key in ["direct", *SENDS] for b in out[key])
    errors = sorted({e for key in ["direct", *SENDS] for b in out[key] for e in b["errors"]})
    lines += [
        "",
        f"Failed sends: {failed} {errors or ''}; tracebacks in the server log: {after['tracebacks']}. "
        f"Replies in the database afterwards: {after['statuses']}; questions with files: {after['with_files']}. "
        f"Stored attachments by kind: {after['kinds']}. "
        f"Replies whose question's file text was cut to the context budget: {after['omitted']}.",
    ]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8, help="interleaved rounds")
    parser.add_argument("--batch", type=int, default=10, help="sends per batch (the PDF sends one)")
    parser.add_argument("--output", default=str(BASE_DIR / "docs" / "bench-attachments.md"))
    args = parser.parse_args()

    rng = random.Random(25)  # noqa: S311 - 같은 쪽들을 다시 짓는 씨앗
    pages = [page_text(rng) for _ in range(PDF_PAGES)]
    files = {
        "page": statistics.mean(len(page) for page in pages),
        "pdf": make_pdf(pages),
        "text": text_file(2**20),
        "image": screenshot(),
    }
    uploads = {
        "text": ("server.log", files["text"], "text/plain"),
        "image": ("screenshot.png", files["image"], "image/png"),
        "pdf": ("book.pdf", files["pdf"], "application/pdf"),
    }
    load = [os.getloadavg()[0], None]
    with (
        upstream_process() as (upstream, upstream_pid),
        tempfile.TemporaryDirectory() as directory,
        ExitStack() as stack,
    ):
        workdir = Path(directory)
        extra = {
            "LLM_VISION_MODELS": "fake-model",
            "ATTACHMENT_ROOT": str(workdir / "attachments"),
        }
        base_url, people, env = configuration(
            "sqlite", workdir, upstream, len(SENDS), stack, extra_env=extra
        )
        app_pid = server_pid(int(base_url.rsplit(":", 1)[1]))
        chars, seconds, memory_mb, context = manage(
            env, "shell", "-v", "0", "-c", SETTINGS
        ).stdout.split()
        limits = {
            "chars": int(chars),
            "seconds": float(seconds),
            "memory_mb": int(memory_mb),
            "context": int(context),
        }
        # 종류마다 한 사람과 새 대화들: 데우기와 차례들을 모두 담고 남게
        count = args.batch * (args.rounds + 1) + 2
        names = [f"bench{index}" for index in range(len(SENDS))]
        created = manage(
            env,
            "shell",
            "-v",
            "0",
            "-c",
            CONVERSATIONS.format(names=names, count=count),
        ).stdout.split()
        senders = {}
        for (name, _title), conversations, (_old, session) in zip(
            SENDS.items(), created, people, strict=True
        ):
            senders[name] = Sender(
                base_url,
                conversations,
                session,
                upload=uploads.get(name),
                multipart=name == "browser",
            )
        shape(upstream, 200, 0.0)
        print(f"SQLite, {args.rounds} rounds (ms CPU per send: app/app + sandbox):", flush=True)
        out = asyncio.run(rounds(args, app_pid, upstream, upstream_pid, senders, files, limits))
        lines = manage(env, "shell", "-v", "0", "-c", AFTERWARDS).stdout.strip().splitlines()
        log = (workdir / "server.log").read_text()
        after = {
            "statuses": lines[0],
            "with_files": lines[1],
            "kinds": "; ".join(lines[2:-1]),
            "omitted": lines[-1],
            "tracebacks": log.count("Traceback"),
        }
        if after["tracebacks"]:
            start = log.index("Traceback")
            print(log[max(0, start - 800) : start + 2500], file=sys.stderr)
    load[1] = os.getloadavg()[0]
    text = report(args, out, files, limits, after, load)
    Path(args.output).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
