"""반 하나의 계정을 CSV에서 한꺼번에 만든다 (create_users 명령).

명단은 대개 한국어 Excel이 쓴 파일이다: CP949나 BOM 붙은 UTF-8, 쉼표·세미콜론·탭, 한글 머리글("이름", "아이디").
모든 줄을 먼저 검사하고(가입과 같은 아이디 규칙, 줄 번호와 함께), 모두 맞을 때만 한 트랜잭션으로 만든다.
비밀번호 칸이 빈 줄은 비밀번호를 지어 주고, 그 사람은 첫 로그인에서 자기 비밀번호를 정해야 채팅할 수 있다.
문장은 모두 번역한다: 명령이 켠 언어 하나로 답한다.
"""

import csv
import io
import os
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from accounts import courses
from accounts.models import Course, User
from accounts.romanize import has_hangul, romanize
from accounts.validators import USERNAME_MAX_LENGTH
from core import spreadsheet

# 머리글의 여러 이름(다듬은 뒤: 소문자, _는 띄어쓰기) → 우리 칸
HEADERS = {
    "username": "username",
    "user name": "username",
    "login": "username",
    "아이디": "username",
    "사용자 이름": "username",
    "email": "email",
    "e-mail": "email",
    "이메일": "email",
    "password": "password",
    "비밀번호": "password",
    "name": "name",
    "full name": "name",
    "fullname": "name",
    "이름": "name",
    "성명": "name",
}
NAME_MAX_LENGTH = User._meta.get_field("first_name").max_length
# 칠판에 적거나 불러 줄 때 헷갈리는 글자(0, O, 1, l, I)는 뺀다
GENERATED_CHARACTERS = "abcdefghjkmnpqrstuvwxyz23456789"


class CohortFileError(Exception):
    """파일 전체가 틀렸거나(머리글, 인코딩) 줄마다의 오류 목록. 명령은 이것을 보여 주고 아무것도 만들지 않는다."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Row:
    line: int
    username: str
    email: str
    password: str
    name: str = ""
    # --romanize가 이름에서 지은 아이디인가
    romanized: bool = False

    @property
    def generated(self) -> bool:
        return not self.password


def generate_password() -> str:
    """xxxx-xxxx-xxxx: 받아 적기 쉽고 추측하기 어렵다 (31자 12개, 약 59비트)."""
    groups = ("".join(secrets.choice(GENERATED_CHARACTERS) for _ in range(4)) for _ in range(3))
    return "-".join(groups)


def header_key(cell: str) -> str:
    return " ".join(cell.replace("_", " ").split()).casefold()


def read_rows(path: Path, *, make_usernames: bool = False) -> list[Row]:
    """모든 줄을 검사한다. 하나라도 틀리면 모든 오류를 줄 번호와 함께 CohortFileError로.

    make_usernames(--romanize)면 비었거나 규칙에 맞지 않는 아이디를 한글 아이디나 이름에서 로마자로 짓는다.
    """
    try:
        text = spreadsheet.excel_text(path.read_bytes())
    except spreadsheet.UndecodableText:
        raise CohortFileError(
            [
                _(
                    "the file is neither UTF-8 nor CP949 (EUC-KR) text: in Excel, save it as "
                    "“CSV UTF-8 (Comma delimited)” or “CSV (Comma delimited)”"
                )
            ]
        ) from None
    delimiter, skipped = spreadsheet.excel_dialect(text)
    lines = io.StringIO(text, newline="")
    for _skip in range(skipped):
        lines.readline()
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        header = [HEADERS.get(header_key(cell), cell.strip()) for cell in next(reader, [])]
        problems = _header_problems(header, make_usernames=make_usernames)
        if problems:
            raise CohortFileError(problems)
        rows = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                # Excel이 끝에 남기는 빈 줄(;;;)은 줄이 아니다
                continue
            record = dict(zip(header, cells, strict=False))
            rows.append(
                Row(
                    line=reader.line_num + skipped,
                    username=_cell(record.get("username")),
                    email=(record.get("email") or "").strip(),
                    password=record.get("password") or "",
                    name=" ".join(_cell(record.get("name")).split()),
                )
            )
    except csv.Error as error:
        raise CohortFileError(
            [_("line %(line)d: %(error)s") % {"line": reader.line_num + skipped, "error": error}]
        ) from None
    if not rows:
        raise CohortFileError([_("the file has no rows under its header")])
    if make_usernames:
        _make_usernames(rows)
    problems = _row_problems(rows)
    if problems:
        raise CohortFileError(problems)
    return rows


def _cell(value: str | None) -> str:
    # macOS(Numbers, 파일 이름)는 한글을 자모로 풀어(NFD) 쓴다: 같은 이름이 다른 글자가 되지 않게 모은다
    return unicodedata.normalize("NFC", value or "").strip()


def _header_problems(header: list[str], *, make_usernames: bool) -> list[str]:
    if "username" not in header and not (make_usernames and "name" in header):
        return [
            _(
                "the first line must be a header with a 'username' column "
                "(or a 'name' column and --romanize to make usernames from the names)"
            )
        ]
    unknown = sorted(set(header) - set(HEADERS.values()))
    if unknown:
        return [
            _("unknown columns %(columns)s (allowed: username, name, email, password)")
            % {"columns": ", ".join(unknown)}
        ]
    return []


def _valid_username(username: str) -> bool:
    # 검증기는 빈 값을 건너뛴다: 빈 아이디는 따로 맞지 않다고 본다
    if not username:
        return False
    try:
        User._meta.get_field("username").run_validators(username)
    except ValidationError:
        return False
    return True


def suggested_username(row: Row) -> str:
    """로마자 아이디의 제안: 한글 아이디가 있으면 그것에서, 아니면 이름에서. 지을 수 없으면 빈 글."""
    source = row.username if has_hangul(row.username) else row.name
    return romanize(source)[:USERNAME_MAX_LENGTH]


def _make_usernames(rows: list[Row]) -> None:
    """규칙에 맞지 않는 아이디를 로마자로 바꾼다. 파일이나 DB에서 겹치면 뒤에 2, 3, …을 붙인다 (동명이인)."""
    used = {row.username.casefold() for row in rows if _valid_username(row.username)}
    for row in rows:
        if _valid_username(row.username):
            continue
        base = suggested_username(row)
        if not base:
            continue
        candidate, number = base, 1
        while candidate in used or User.objects.filter(username__iexact=candidate).exists():
            number += 1
            suffix = str(number)
            candidate = base[: USERNAME_MAX_LENGTH - len(suffix)] + suffix
        used.add(candidate)
        if not row.name and has_hangul(row.username):
            # 아이디 칸에 이름을 적은 명단: 그 이름을 이름으로 지킨다
            row.name = row.username
        row.username, row.romanized = candidate, True


def _row_problems(rows: list[Row]) -> list[str]:
    problems = []
    seen: dict[str, int] = {}
    wanted = {row.username.casefold() for row in rows}
    taken = set(
        User.objects.annotate(lower=Lower("username"))
        .filter(lower__in=wanted)
        .values_list("lower", flat=True)
    )
    username_field = User._meta.get_field("username")
    for row in rows:
        errors = []
        key = row.username.casefold()
        if not row.username:
            errors.append(_("username is empty"))
        else:
            try:
                username_field.run_validators(row.username)
            except ValidationError as error:
                errors += error.messages
            if key in taken:
                errors.append(
                    _("a user named '%(username)s' already exists") % {"username": row.username}
                )
            elif key in seen:
                errors.append(
                    _("'%(username)s' is also on line %(line)d")
                    % {"username": row.username, "line": seen[key]}
                )
            seen.setdefault(key, row.line)
        if errors and not _valid_username(row.username) and suggested_username(row):
            errors.append(
                _("suggested username: %(suggestion)s (or run with --romanize)")
                % {"suggestion": suggested_username(row)}
            )
        if len(row.name) > NAME_MAX_LENGTH:
            errors.append(
                _("the name is longer than %(most)d characters") % {"most": NAME_MAX_LENGTH}
            )
        if row.email:
            try:
                validate_email(row.email)
            except ValidationError as error:
                errors += error.messages
        if row.password:
            try:
                validate_password(
                    row.password,
                    User(username=row.username, email=row.email, first_name=row.name),
                )
            except ValidationError as error:
                errors += error.messages
        problems += [
            _("line %(line)d: %(error)s") % {"line": row.line, "error": message}
            for message in errors
        ]
    return problems


def course_find(text: str) -> Course:
    """--class의 반: 번호나 정확한 이름. 없거나 이름이 여럿이면 CohortFileError (아무도 만들기 전에)."""
    text = text.strip()
    # isdigit()은 "²"도 참이라 int()가 ValueError로 죽는다: int()가 읽는 것만
    found = list(Course.objects.filter(pk=int(text)) if text.isdecimal() else [])
    if not found:
        found = list(Course.objects.filter(name=text)[:2])
    if not found:
        raise CohortFileError([_("There is no class “%(name)s”.") % {"name": text}])
    if len(found) > 1:
        raise CohortFileError(
            [
                _("Several classes are named “%(name)s”: give the class number instead.")
                % {"name": text}
            ]
        )
    return found[0]


def users_create(*, rows: list[Row], output: Path | None, course: Course | None = None) -> int:
    """검사를 마친 줄로 계정을 만든다. 지은 비밀번호는 output에만 쓴다 (이미 있는 파일은 덮지 않는다).
    course가 있으면 같은 트랜잭션에서 그 반에 넣는다: 파일을 쓰지 못하면 반에 든 것도 없다.

    이름은 first_name에 통째로 둔다 (한국 이름은 성과 이름으로 나누지 않는다: docs/decisions.md).
    파일을 쓰지 못하면 계정도 만들지 않는다: 비밀번호를 아무도 모르는 계정이 남지 않게.
    """
    generated = [row for row in rows if row.generated]
    if generated and output is None:
        raise CohortFileError(
            [
                _("%(count)d rows have no password: give --output FILE for the generated ones")
                % {"count": len(generated)}
            ]
        )
    with transaction.atomic():
        written = []
        for row in rows:
            password = row.password or generate_password()
            user = User.objects.create_user(
                username=row.username,
                email=row.email,
                password=password,
                first_name=row.name,
                must_change_password=row.generated,
            )
            if course is not None:
                courses.membership_create(user=user, course=course)
            if row.generated:
                written.append((row.username, row.name, row.email, password))
        if generated:
            _write_passwords(output, written)
    return len(rows)


def _write_passwords(output: Path, rows: list[tuple[str, str, str, str]]) -> None:
    # 주인만 읽을 수 있게 새로 만든다. BOM을 붙인다: 한국어 Excel이 이름을 깨뜨리지 않고 UTF-8로 연다
    descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8-sig", newline="") as file:
        # 이메일 주소는 =, +, -로 시작할 수 있다: 강사가 표 계산 프로그램으로 열어도 글로
        writer = spreadsheet.writer(file)
        writer.writerow(["username", "name", "email", "password"])
        writer.writerows(rows)
