"""저장소에는 만든 것만: 가상환경, DB, 비밀(.env)은 커밋되지 않고, 벤치는 테스트를 가져오지 않는다.

가상환경이 링크(.venv -> 다른 곳)일 때 `.venv/` 규칙은 디렉터리만 가려서, 링크 하나가 커밋된 적이 있다.
그 커밋을 받은 체크아웃에서는 git이 진짜 가상환경을 지우고 링크로 바꿨다.
"""

import re
import subprocess
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def tracked_files() -> list[str]:
    result = subprocess.run(
        ["git", "ls-files"], cwd=BASE_DIR, capture_output=True, text=True, check=True
    )
    return result.stdout.splitlines()


def test_no_virtualenv_database_or_secret_is_tracked():
    bad = [
        path
        for path in tracked_files()
        if path.split("/")[0] in {".venv", ".venv-compat", "venv", "staticfiles"}
        or path.endswith((".sqlite3", ".pyc"))
        or Path(path).name == ".env"
    ]

    assert bad == []


def test_the_virtualenv_is_ignored_as_a_link_as_well_as_a_directory():
    # `.venv/`(끝에 /)는 디렉터리만 가린다: 링크로 만든 가상환경은 `git add -A`에 딸려 들어간다
    ignored = (BASE_DIR / ".gitignore").read_text().split()
    assert ".venv" in ignored
    # LiteLLM 프록시 시험의 따로 된 가상환경 (make compat)
    assert ".venv-compat" in ignored


def test_the_bench_does_not_import_the_tests():
    # 벤치는 운영의 길을 재려고 앱을 스스로 띄운다 (bench/serve.py): 테스트의 도우미가 바뀌어도 벤치는 그대로다
    importing = [
        path.name
        for path in (BASE_DIR / "bench").glob("*.py")
        if re.search(r"^\s*(from|import) tests\b", path.read_text(), re.MULTILINE)
    ]

    assert importing == []


def test_the_test_modules_do_not_import_each_other():
    # pytest가 테스트 파일을 한 번 더 읽게 되고, 처음 읽는 사람은 도우미가 어디 사는지 모른다:
    # 둘이 쓰는 도우미는 tests/support/에, 픽스처는 tests/conftest.py에 둔다
    importing = [
        path.name
        for path in (BASE_DIR / "tests").glob("test_*.py")
        if re.search(
            r"^\s*(from|import) (tests\.test_|\.test_|tests import test_)",
            path.read_text(),
            re.MULTILINE,
        )
    ]

    assert importing == []


def test_template_comments_written_with_braces_stay_on_one_line():
    """{# … #}는 한 줄만 주석이다: 두 줄로 쓰면 Django가 글로 그려 화면에 나온다 (다시 생성 단추 위에 나왔다)."""
    broken = [
        f"{path.relative_to(BASE_DIR)}:{number}"
        for path in sorted((BASE_DIR / "templates").rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "{#" in line and "#}" not in line[line.index("{#") :]
    ]
    assert broken == []
