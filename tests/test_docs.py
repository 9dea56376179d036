"""한 번 잰 값은 docs/에, 코드의 주석에는 이유만 (STYLE.md "Comments and docs").

잰 값(시간, CPU의 몫, 배수, 크기)은 코드가 바뀌고 기계가 바뀌어도 주석에 남아 낡는다. 그래서 앱 코드(chat/,
accounts/, core/, chatproject/의 .py와 requirements*.txt)의 주석과 독스트링을 한 줄씩 읽어, 잰 값의 모양인 줄이
있으면 실패한다. 규칙은 일부러 단순하다:

1. µs나 ms로 적은 시간 ("51 µs", "0.6 ms"): 1초보다 짧은 시간은 거의 언제나 잰 값이다.
2. 지난 일로 적은 초 ("6초였다", "몇 초가 걸렸다").
3. 크기 ("60 KB", "19 MiB").
4. 퍼센트, 배수, 몫("30 %", "5.2×", "열 배", "몇 배", "4분의 1", "열에 하나")이 속도의 말(CPU, 빠르다, 느리다,
   준다, 값, 걸리다)과 한 줄에: 속도의 비율은 재어야 나온다. "한도의 80 %" 같은 설정은 속도의 말이 없어 지나간다.

설계로 정한 값(멈춤이 300 ms 안에 닿는다, Argon2의 메모리)은 ALLOWED에 파일과 글귀, 이유로 적는다. 잰 값은
docs/bench-history.md의 "따로 잰 값" 표(또는 docs/architecture.md)에 커밋과 함께 두고, 주석은 그곳을 가리킨다.
주석이 가리키는 docs/의 절이 있는지도 여기서 본다.
"""

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
APP_DIRS = ("chat", "accounts", "core", "chatproject")

SPEED_WORDS = re.compile(r"CPU|빠르|빨라|느리|느려|준다|줄었|줄어|값|걸리|걸렸|faster|slower|cost")
MEASURED = (
    re.compile(r"\d+(\.\d+)?\s?(µs|us|ms)(?![A-Za-z])"),
    re.compile(r"(\d+(\.\d+)?|몇)\s?(초|s)(가|이)?\s?(였|이었|걸렸|걸린)"),
    re.compile(r"\d+(\.\d+)?\s?(KB|MB|GB|KiB|MiB|GiB)(?![A-Za-z])"),
)
RATIOS = re.compile(
    r"\d+(\.\d+)?\s?%"
    r"|\d+(\.\d+)?\s?×|×\s?\d"
    r"|(\d+(\.\d+)?|몇|두|세|네|네댓|다섯|열|백)\s?배(?![가-힣])|(\d+|몇|두|세|네|네댓|열)\s?배[를가의로는]"
    r"|(\d+|[가-힣])\s?분의\s?(1|하나|일)|열에\s?하나"
)

# 설계로 정한 값: (파일, 글귀, 이유). 글귀가 사라지면 test_every_allowed_figure_is_still_there가 알린다.
ALLOWED = (
    ("chat/feed/__init__.py", "(300 ms 안)", "Redis 멈춤 채널이 지키는 약속 (bench의 멈춤 목표)"),
    ("accounts/hashers.py", "(19 MiB, 2회, 병렬 1)", "OWASP가 권하는 Argon2id 설정값"),
    ("accounts/hashers.py", "(100 MiB, 병렬 8)", "Django 기본값: 설정이다"),
    ("chatproject/settings.py", "메모리 100 MiB를", "Django 기본 Argon2의 설정값"),
    ("chatproject/settings.py", "(19 MiB)", "OWASP 최소 권장값"),
)


def measured(line: str) -> bool:
    """이 줄이 잰 값의 모양인가 (모듈 독스트링의 규칙)."""
    if any(pattern.search(line) for pattern in MEASURED):
        return True
    return bool(RATIOS.search(line) and SPEED_WORDS.search(line))


def python_comments(path: Path) -> list[tuple[int, str]]:
    """주석과 독스트링(모듈, 클래스, 함수)의 줄. 화면에 나가는 글(문자열)은 읽지 않는다."""
    source = path.read_text()
    lines = [
        (token.start[0], token.string)
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    ]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            docstring = ast.get_docstring(node, clean=False)
            if docstring:
                start = node.body[0].lineno
                lines += [(start + i, line) for i, line in enumerate(docstring.splitlines())]
    return lines


def app_comments() -> list[tuple[str, int, str]]:
    found = []
    for top in APP_DIRS:
        for path in sorted((BASE_DIR / top).rglob("*.py")):
            name = path.relative_to(BASE_DIR).as_posix()
            found += [(name, number, line) for number, line in python_comments(path)]
    for path in sorted(BASE_DIR.glob("requirements*.txt")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if "#" in line:
                found.append((path.name, number, line[line.index("#") :]))
    return found


def allowed(name: str, line: str) -> bool:
    return any(name == path and phrase in line for path, phrase, _ in ALLOWED)


@pytest.mark.parametrize(
    "line",
    [
        "ModelBackend의 User.objects.get(pk=)은 이 기계에서 0.55 ms, 같은 읽기를 직접 하면 0.2 ms였다.",
        "풀이 연결을 빌려줄 때마다 51 µs의 빈 질의",
        "# 약 30% 준다 (docs/bench-chat.md).",
        "채팅 한 번에 40번쯤 건너 CPU의 4분의 1을",
        "생성기를 지나고 작업에 더하는 값이 곧바로 답하는 모델에서 채팅 한 번의 CPU의 열에 하나였다.",
        "orjson이 표준 라이브러리보다 몇 배 빠르다.",
        "이 UPDATE를 보내는 값의 열 배 넘게 들었다.",
        "파서를 바꾸니 ×5.2 빨라졌다",
        "대화 화면이 메시지 30개에 약 60 KB에서",
        "# 조인 + DISTINCT는 메시지 100,000개에서 6초였다",
        "대화마다 도는 EXISTS는 몇 초가 걸렸다.",
    ],
)
def test_a_measured_figure_is_recognised(line):
    assert measured(line)


@pytest.mark.parametrize(
    "line",
    [
        "# 화면의 계량기가 나타나는 비율: 한도의 80 %를 넘으면",
        "진행 저장이 0행: 멈췄거나, 다시 시도됐거나, 대화가 지워졌다 (2초 안, 어느 설정에서나).",
        "# 끝 저장을 다시 하는 시간과 간격 (0.25, 0.5, 1, 2, 4, 5, 5 … 초)",
        "Redis 없이 다른 프로세스에서 누른 멈춤: 루프마다 1초에 한 번 DB를 읽는다.",
        "코드 블록의 글자도 글이다: 배경과 4.5:1이 안 되는 색은 읽을 수 있을 때까지 어둡게",
        "토큰마다 드는 값이 가장 큰 곳이라 C 파서를 쓴다 (docs/bench-history.md#따로-잰-값)",
    ],
)
def test_a_reason_or_a_design_constant_passes(line):
    assert not measured(line)


def test_app_comments_quote_no_measured_figure():
    offenders = [
        f"{name}:{number}: {line.strip()}"
        for name, number, line in app_comments()
        if measured(line) and not allowed(name, line)
    ]

    assert offenders == [], (
        "잰 값은 docs/bench-history.md의 '따로 잰 값' 표(날짜, 커밋과 함께)로 옮기고, 주석에는 이유를 말로 "
        "적어 그곳을 가리키세요. 설계로 정한 값이면 tests/test_docs.py의 ALLOWED에 이유와 함께:\n"
        + "\n".join(offenders)
    )


def test_every_allowed_figure_is_still_there():
    comments = app_comments()
    gone = [
        (path, phrase)
        for path, phrase, _ in ALLOWED
        if not any(name == path and phrase in line for name, _, line in comments)
    ]

    assert gone == []


def heading_anchors(doc: Path) -> set[str]:
    """GitHub가 제목에서 짓는 앵커: 소문자로, 글자·숫자·공백·-·_ 밖은 빼고, 공백은 -로."""
    anchors = set()
    for line in doc.read_text().splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return anchors


def heading_texts(doc: Path) -> str:
    return "\n".join(line for line in doc.read_text().splitlines() if line.startswith("#"))


def test_the_doc_sections_comments_point_at_exist():
    missing = []
    for name, number, line in app_comments():
        for doc, anchor in re.findall(r"docs/([\w-]+\.md)#([^\s)]+)", line):
            if anchor.rstrip(".") not in heading_anchors(BASE_DIR / "docs" / doc):
                missing.append(f"{name}:{number}: docs/{doc}#{anchor}")
        for doc, title in re.findall(r'docs/([\w-]+\.md) "([^"]+)"', line):
            if title not in heading_texts(BASE_DIR / "docs" / doc):
                missing.append(f'{name}:{number}: docs/{doc} "{title}"')

    assert missing == []
