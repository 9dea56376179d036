"""반 하나의 계정을 CSV에서 한꺼번에 만든다 (create_users 명령).

모든 줄을 먼저 검사하고(가입과 같은 아이디 규칙, 줄 번호와 함께), 모두 맞을 때만 한 트랜잭션으로 만든다.
비밀번호 칸이 빈 줄은 비밀번호를 지어 주고, 그 사람은 첫 로그인에서 자기 비밀번호를 정해야 채팅할 수 있다.
"""

import csv
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower

from accounts.models import User
from core import spreadsheet

COLUMNS = {"username", "email", "password"}
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

    @property
    def generated(self) -> bool:
        return not self.password


def generate_password() -> str:
    """xxxx-xxxx-xxxx: 받아 적기 쉽고 추측하기 어렵다 (31자 12개, 약 59비트)."""
    groups = ("".join(secrets.choice(GENERATED_CHARACTERS) for _ in range(4)) for _ in range(3))
    return "-".join(groups)


def read_rows(path: Path) -> list[Row]:
    """모든 줄을 검사한다. 하나라도 틀리면 모든 오류를 줄 번호와 함께 CohortFileError로."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            reader = csv.DictReader(file)
            header = [name.strip().lower() for name in reader.fieldnames or []]
            problems = _header_problems(header)
            if problems:
                raise CohortFileError(problems)
            reader.fieldnames = header
            rows = []
            for record in reader:
                rows.append(
                    Row(
                        line=reader.line_num,
                        username=(record.get("username") or "").strip(),
                        email=(record.get("email") or "").strip(),
                        password=record.get("password") or "",
                    )
                )
    except UnicodeDecodeError:
        raise CohortFileError(["the file is not UTF-8 text"]) from None
    except csv.Error as error:
        raise CohortFileError([f"line {reader.line_num}: {error}"]) from None
    if not rows:
        raise CohortFileError(["the file has no rows under its header"])
    problems = _row_problems(rows)
    if problems:
        raise CohortFileError(problems)
    return rows


def _header_problems(header: list[str]) -> list[str]:
    if "username" not in header:
        return ["the first line must be a header with a 'username' column"]
    unknown = sorted(set(header) - COLUMNS)
    if unknown:
        return [f"unknown columns {', '.join(unknown)} (allowed: username, email, password)"]
    return []


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
            errors.append("username is empty")
        else:
            try:
                username_field.run_validators(row.username)
            except ValidationError as error:
                errors += error.messages
            if key in taken:
                errors.append(f"a user named {row.username!r} already exists")
            elif key in seen:
                errors.append(f"{row.username!r} is also on line {seen[key]}")
            seen.setdefault(key, row.line)
        if row.email:
            try:
                validate_email(row.email)
            except ValidationError as error:
                errors += error.messages
        if row.password:
            try:
                validate_password(row.password, User(username=row.username, email=row.email))
            except ValidationError as error:
                errors += error.messages
        problems += [f"line {row.line}: {message}" for message in errors]
    return problems


def users_create(*, rows: list[Row], output: Path | None) -> int:
    """검사를 마친 줄로 계정을 만든다. 지은 비밀번호는 output에만 쓴다 (이미 있는 파일은 덮지 않는다).

    파일을 쓰지 못하면 계정도 만들지 않는다: 비밀번호를 아무도 모르는 계정이 남지 않게.
    """
    generated = [row for row in rows if row.generated]
    if generated and output is None:
        raise CohortFileError(
            [f"{len(generated)} rows have no password: give --output FILE for the generated ones"]
        )
    with transaction.atomic():
        written = []
        for row in rows:
            password = row.password or generate_password()
            User.objects.create_user(
                username=row.username,
                email=row.email,
                password=password,
                must_change_password=row.generated,
            )
            if row.generated:
                written.append((row.username, row.email, password))
        if generated:
            _write_passwords(output, written)
    return len(rows)


def _write_passwords(output: Path, rows: list[tuple[str, str, str]]) -> None:
    # 주인만 읽을 수 있게 새로 만든다
    descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as file:
        # 이메일 주소는 =, +, -로 시작할 수 있다: 강사가 표 계산 프로그램으로 열어도 글로
        writer = spreadsheet.writer(file)
        writer.writerow(["username", "email", "password"])
        writer.writerows(rows)
