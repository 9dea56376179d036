"""make의 약속: 요구사항이 그대로면 다시 설치하지 않고, 있는 .env는 덮어쓰지 않으며, make test는 검사부터 한다.

`make -n`(실행 없이 할 일만 출력)으로 임시 복사본에서 확인한다.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


@pytest.fixture
def project(tmp_path):
    for name in ("Makefile", "requirements.txt", "requirements-dev.txt", "requirements-compat.txt"):
        shutil.copy(BASE_DIR / name, tmp_path / name)
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.touch()
    return tmp_path


def dry_run(project, target):
    result = subprocess.run(
        ["make", "-n", target], cwd=project, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_install_runs_again_only_when_requirements_change(project):
    first = dry_run(project, "lint")
    assert "pip install --quiet -r requirements-dev.txt" in first
    stamps = re.search(r"^touch (.+)$", first, re.MULTILINE).group(1).split()
    for stamp in stamps:
        (project / stamp).touch()

    unchanged = dry_run(project, "lint")
    (project / "requirements-dev.txt").write_text(
        (project / "requirements-dev.txt").read_text() + "pytest-timeout==2.4.0\n"
    )
    changed = dry_run(project, "lint")

    assert "pip install" not in unchanged
    assert "pip install --quiet -r requirements-dev.txt" in changed


def test_the_litellm_venv_is_separate_and_reinstalls_only_when_its_file_changes(project):
    first = dry_run(project, "compat")
    assert "venv .venv-compat" in first
    assert ".venv-compat/bin/python -m pip install --quiet -r requirements-compat.txt" in first
    (project / ".venv-compat" / "bin").mkdir(parents=True)
    (project / ".venv-compat" / "bin" / "python").touch()
    (project / re.search(r"^touch (.+)$", first, re.MULTILINE).group(1)).touch()

    unchanged = dry_run(project, "compat")
    (project / "requirements-compat.txt").write_text(
        (project / "requirements-compat.txt").read_text() + "# 판을 올린다\n"
    )
    changed = dry_run(project, "compat")

    assert "pip install" not in unchanged
    assert "pip install --quiet -r requirements-compat.txt" in changed
    # 앱의 가상환경은 건드리지 않는다
    assert ".venv/" not in first + changed


def test_run_writes_env_with_a_secret_only_when_there_is_none(project):
    without_env = dry_run(project, "run")
    (project / ".env").write_text("DJANGO_SECRET_KEY=mine\n")
    with_env = dry_run(project, "run")

    assert "secrets.token_urlsafe(50)" in without_env
    assert "secrets.token_urlsafe" not in with_env
    assert (project / ".env").read_text() == "DJANGO_SECRET_KEY=mine\n"


def test_run_serves_with_gunicorn_and_uvicorn_workers(project):
    commands = dry_run(project, "run")

    assert "-c python:chatproject.gunicorn" in commands
    # 워커 수는 설정 파일이 정한다 (Redis가 없으면 하나)
    assert "--workers" not in commands
    assert "--bind 127.0.0.1:8000" in commands
    assert "manage.py migrate" in commands
    assert "manage.py collectstatic" in commands


def test_the_stream_tests_run_once_more_with_the_fast_path_off(project):
    commands = dry_run(project, "test")
    runs = [line for line in commands.splitlines() if "bin/pytest" in line]
    off = [line for line in runs if "STREAM_FAST_PATH=false" in line]

    # SQLite로 한 번만: 하위 프로세스 서버는 tests/support/servers.py의 server_env가 이 변수를 이어 받는다
    assert len(off) == 1
    assert off[0].startswith("env -u DATABASE_URL -u REDIS_URL STREAM_FAST_PATH=false ")
    assert "tests/test_chat_streams_live.py" in off[0]


def test_the_browser_tests_run_in_the_first_pass_only(project):
    commands = dry_run(project, "test")
    first = next(line for line in commands.splitlines() if "bin/pytest" in line)
    # 둘째 판(PostgreSQL + Redis)은 셸의 if 안에 있다: make -n은 그 줄을 그대로 보인다
    second = commands[commands.index('DATABASE_URL="${TEST_DATABASE_URL:-}"') :].splitlines()[0]

    assert "-m" not in first.split()
    assert '-m "not browser"' in second


def test_test_checks_migrations_and_translations_before_pytest(project):
    commands = dry_run(project, "test")

    migrations = commands.index("manage.py makemigrations --check --dry-run")
    messages = commands.index(".ci/check-messages .venv/bin/python")
    assert migrations < messages < commands.index("bin/pytest")
    # 검사는 개발자의 .env와 DB 파일을 쓰지 않는다
    assert "DJANGO_ENV_FILE= " in commands
    assert "DATABASE_URL=sqlite://:memory:" in commands
