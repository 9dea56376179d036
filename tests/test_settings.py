""".env.example이 settings.py가 읽는 환경 변수를 빠짐없이, 주석과 함께 나열하는지."""

import re
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# 테스트 도구만 쓰는 변수
NOT_FOR_DEPLOYMENTS = {"DJANGO_ENV_FILE"}


def settings_variables():
    source = (BASE_DIR / "chatproject" / "settings.py").read_text()
    return set(re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', source)) - NOT_FOR_DEPLOYMENTS


def example_lines():
    return (BASE_DIR / ".env.example").read_text().splitlines()


def test_every_setting_variable_is_in_env_example():
    listed = {line.split("=")[0] for line in example_lines() if re.match(r"[A-Z_]+=", line)}

    assert settings_variables()
    assert settings_variables() <= listed


def test_every_env_example_variable_has_a_comment_above():
    lines = example_lines()
    for number, line in enumerate(lines):
        if re.match(r"[A-Z_]+=", line):
            block_start = number
            while block_start > 0 and re.match(r"[A-Z_]+=", lines[block_start - 1]):
                block_start -= 1
            assert lines[block_start - 1].startswith("#"), f"{line} has no comment"


def test_env_example_holds_no_secret():
    secret = next(line for line in example_lines() if line.startswith("DJANGO_SECRET_KEY="))

    assert secret == "DJANGO_SECRET_KEY="
