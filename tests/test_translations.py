"""번역 검사(.ci/check-messages, make check가 부른다): 저장소의 복사본을 고쳐 보며 검사가 무엇을 잡는지 본다.

한국어는 빈 칸과 fuzzy 없이 다 채워지고, .mo는 .po를 컴파일한 그대로이며, 코드의 문자열과 .po의 msgid가 같아야 한다.
영어는 원문(msgid)이 곧 영어라 빈 칸이 정상이다.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
PO = {language: Path(f"locale/{language}/LC_MESSAGES/django.po") for language in ("ko", "en")}
SKIPPED = shutil.ignore_patterns(
    *(".git", ".venv*", "staticfiles", "screenshots", "__pycache__", ".*_cache"),
    *(".env", ".dev-secret-key*", "*.sqlite3*"),
)


@pytest.fixture
def project(tmp_path):
    """저장소의 복사본 (가상환경, DB, 비밀은 빼고)."""
    if shutil.which("msgfmt") is None:
        reason = "gettext is not installed (apt-get install -y gettext)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    copy = tmp_path / "project"
    shutil.copytree(BASE_DIR, copy, ignore=SKIPPED, symlinks=True)
    return copy


def check(project):
    return subprocess.run(
        [project / ".ci" / "check-messages", sys.executable],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )


def first_translation(project) -> tuple[str, str]:
    """머리글 다음의 첫 한 줄짜리 항목의 (msgid, 한국어 msgstr)."""
    match = re.search(r'\nmsgid "(.+)"\nmsgstr "(.+)"\n', (project / PO["ko"]).read_text())
    return match.group(1), match.group(2)


def edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_the_repository_as_it_is_passes(project):
    result = check(project)

    assert (result.returncode, result.stderr) == (0, "")


def test_an_empty_korean_msgstr_fails(project):
    msgid, msgstr = first_translation(project)
    edit(project / PO["ko"], f'msgid "{msgid}"\nmsgstr "{msgstr}"', f'msgid "{msgid}"\nmsgstr ""')

    result = check(project)

    assert result.returncode == 1
    assert f"{PO['ko']} has entries without a translation" in result.stderr
    assert f'msgid "{msgid}"' in result.stderr


def test_a_fuzzy_entry_fails(project):
    msgid, _ = first_translation(project)
    edit(project / PO["ko"], f'msgid "{msgid}"', f'#, fuzzy\nmsgid "{msgid}"')

    result = check(project)

    assert result.returncode == 1
    assert f"{PO['ko']} has fuzzy entries" in result.stderr


def test_a_translation_changed_without_compiling_fails(project):
    _, msgstr = first_translation(project)
    edit(project / PO["ko"], f'msgstr "{msgstr}"', f'msgstr "{msgstr}!"')

    result = check(project)

    assert result.returncode == 1
    assert "django.mo is not locale/ko/LC_MESSAGES/django.po compiled" in result.stderr


def test_a_string_added_to_the_code_without_make_messages_fails(project):
    (project / "chat" / "new_words.py").write_text(
        'from django.utils.translation import gettext as _\n\nWORDS = _("Nobody extracted this")\n'
    )

    result = check(project)

    assert result.returncode == 1
    for po in PO.values():
        assert f"{po} lacks strings the code uses" in result.stderr
    assert '#: chat/new_words.py:3\nmsgid "Nobody extracted this"' in result.stderr


def test_a_string_the_code_no_longer_uses_fails(project):
    for language, text in (("ko", "코드가 버린 문장"), ("en", "")):
        po = project / PO[language]
        po.write_text(po.read_text() + f'\nmsgid "A sentence the code dropped"\nmsgstr "{text}"\n')
        subprocess.run(
            ["msgfmt", "--check-format", "-o", po.with_suffix(".mo"), po], check=True, timeout=30
        )

    result = check(project)

    assert result.returncode == 1
    assert f"{PO['ko']} has strings the code no longer uses" in result.stderr
    assert 'msgid "A sentence the code dropped"' in result.stderr
