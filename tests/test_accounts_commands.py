"""운영자 명령: 반 하나의 계정 만들기(create_users)와 사용량 보고서(usage_report)."""

import codecs
import csv
import datetime
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from accounts import usage
from accounts.models import User

HTMX = {"HX-Request": "true"}


def write_csv(tmp_path, text, name="class.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- create_users


def test_create_users_onboards_a_class_and_writes_generated_passwords_only_to_the_file(
    db, tmp_path, capsys
):
    rows = ["username,email,password"]
    rows += [f"student{index:03d},s{index}@school.kr," for index in range(200)]
    rows.append("teacher_kim,,violet-harbor-77")
    roster = write_csv(tmp_path, "\n".join(rows) + "\n")
    output = tmp_path / "passwords.csv"

    call_command("create_users", str(roster), "--output", str(output), "--language", "en")

    captured = capsys.readouterr()
    assert "Created 201 users, 200 with a generated password" in captured.out
    assert User.objects.count() == 201
    # BOM: 한국어 Excel이 UTF-8로 연다
    assert output.read_bytes().startswith(codecs.BOM_UTF8)
    generated = list(csv.DictReader(output.open(encoding="utf-8-sig")))
    assert len(generated) == 200
    assert oct(output.stat().st_mode & 0o777) == "0o600"
    first = User.objects.get(username="student000")
    assert first.email == "s0@school.kr"
    assert first.must_change_password
    assert first.check_password(generated[0]["password"])
    # 지은 비밀번호는 화면에 나오지 않는다
    assert generated[0]["password"] not in captured.out + captured.err
    teacher = User.objects.get(username="teacher_kim")
    assert not teacher.must_change_password
    assert teacher.check_password("violet-harbor-77")


def test_create_users_reports_every_bad_row_with_its_line_and_creates_nobody(
    user, tmp_path, capsys
):
    roster = write_csv(
        tmp_path,
        "username,email,password\n"
        "good_one,,\n"
        "x,,\n"  # 너무 짧다
        "MINJI,,\n"  # 이미 있다 (대소문자 무관)
        "good_one,,\n"  # 파일 안에서 겹친다
        "mail_bad,not-an-email,\n"
        "weak_pw,,123\n",
    )

    with translation.override("en"), pytest.raises(CommandError, match="nothing was created"):
        call_command("create_users", str(roster), "--output", str(tmp_path / "out.csv"))

    err = capsys.readouterr().err
    assert "line 3: Use 3 to 20 characters" in err
    assert "line 4: a user named 'MINJI' already exists" in err
    assert "line 5: 'good_one' is also on line 2" in err
    assert "line 6: Enter a valid email address." in err
    assert "line 7: This password is too short." in err
    assert User.objects.count() == 1
    assert not (tmp_path / "out.csv").exists()


def test_create_users_dry_run_creates_nobody_and_writes_no_file(db, tmp_path, capsys):
    roster = write_csv(tmp_path, "username\nstudent_a\nstudent_b\n")

    with translation.override("en"):
        call_command("create_users", str(roster), "--dry-run", "--output", str(tmp_path / "o.csv"))

    assert "Would create 2 users, 2 with a generated password." in capsys.readouterr().out
    assert not User.objects.exists()
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize(
    ("text", "extra", "sentence"),
    [
        ("name,email\nabc,\n", [], "nothing was created"),
        ("username,pasword\nabc,x\n", [], "nothing was created"),
        ("username\nstudent_a\n", [], "nothing was created"),
    ],
)
def test_create_users_refuses_bad_files(db, tmp_path, capsys, text, extra, sentence):
    roster = write_csv(tmp_path, text)

    with translation.override("en"), pytest.raises(CommandError, match=sentence):
        call_command("create_users", str(roster), *extra)

    err = capsys.readouterr().err
    assert err.strip()
    assert not User.objects.exists()


def test_create_users_names_the_problem_of_each_bad_file(db, tmp_path, capsys):
    for text, problem in [
        ("email\nabc\n", "the first line must be a header with a 'username' column"),
        # 이름만 있는 명단은 --romanize로 아이디를 지을 수 있다고 알린다
        ("이름\n김민수\n", "or a 'name' column and --romanize"),
        ("username,pasword\nabc,x\n", "unknown columns pasword"),
        ("username\nstudent_a\n", "1 rows have no password: give --output FILE"),
        ("username\n", "the file has no rows under its header"),
    ]:
        with translation.override("en"), pytest.raises(CommandError):
            call_command("create_users", str(write_csv(tmp_path, text)))
        assert problem in capsys.readouterr().err


def test_create_users_never_overwrites_a_password_file(db, tmp_path):
    roster = write_csv(tmp_path, "username\nstudent_a\n")
    existing = write_csv(tmp_path, "old secrets", name="passwords.csv")

    with translation.override("en"), pytest.raises(CommandError, match="already exists"):
        call_command("create_users", str(roster), "--output", str(existing))

    assert existing.read_text() == "old secrets"
    assert not User.objects.exists()


def test_create_users_writes_an_address_a_spreadsheet_would_run_as_text(db, tmp_path):
    # 아이디 규칙은 =, +, -, @로 시작하는 아이디를 막지만 이메일 주소의 앞부분은 그럴 수 있다
    roster = write_csv(
        tmp_path,
        "username,email\n"
        "student_a,=1+2@school.kr\n"
        "student_b,-2+3@school.kr\n"
        "student_c,+1@school.kr\n"
        "student_d,d@school.kr\n",
    )
    output = tmp_path / "passwords.csv"

    call_command("create_users", str(roster), "--output", str(output))

    written = {
        row["username"]: row["email"] for row in csv.DictReader(output.open(encoding="utf-8-sig"))
    }
    assert written == {
        "student_a": "'=1+2@school.kr",
        "student_b": "'-2+3@school.kr",
        "student_c": "'+1@school.kr",
        "student_d": "d@school.kr",
    }
    # 계정에는 주소가 그대로
    assert User.objects.get(username="student_a").email == "=1+2@school.kr"


def test_a_generated_password_user_must_choose_a_password_before_chatting(client, db, tmp_path):
    roster = write_csv(tmp_path, "username\nstudent_a\n")
    output = tmp_path / "passwords.csv"
    call_command("create_users", str(roster), "--output", str(output))
    password = next(csv.DictReader(output.open(encoding="utf-8-sig")))["password"]
    assert client.login(username="student_a", password=password)

    blocked = client.get("/chat/")
    blocked_htmx = client.post("/chat/", {"content": "안녕"}, headers=HTMX)
    # 지금 비밀번호를 묻는 보통의 변경 화면도 "비밀번호 정하기"로 보낸다
    blocked_change = client.get("/accounts/password_change/")
    chosen = client.post(
        "/accounts/password_set/",
        {"new_password1": "my-own-secret-42", "new_password2": "my-own-secret-42"},
    )
    allowed = client.get("/chat/")

    assert blocked.status_code == 302
    assert blocked.url == "/accounts/password_set/"
    assert blocked_htmx.headers["HX-Redirect"] == "/accounts/password_set/"
    assert blocked_change.url == "/accounts/password_set/"
    assert chosen.status_code == 302
    assert allowed.status_code == 200
    student = User.objects.get(username="student_a")
    assert not student.must_change_password
    assert student.check_password("my-own-secret-42")


# ---------------------------------------------------------------- usage_report


@pytest.fixture
def ledger(user, other_user):
    for who, day, model, tokens in [
        (user, datetime.date(2026, 3, 1), "fake-model", 100),
        (user, datetime.date(2026, 3, 2), "fake-large", 1000),
        (other_user, datetime.date(2026, 3, 2), "fake-model", 10),
        (other_user, datetime.date(2026, 2, 1), "fake-model", 99999),
    ]:
        usage.usage_record(
            user_id=who.pk,
            model=model,
            prompt_tokens=tokens,
            completion_tokens=1,
            estimated=False,
            day=day,
        )


def test_usage_report_sums_by_user_as_a_table(ledger, capsys):
    call_command(
        "usage_report", "--since", "2026-03-01", "--until", "2026-03-02", "--language", "en"
    )

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "user",
        "name",
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "replies",
        "estimated_replies",
    ]
    assert lines[1].split() == ["junho", "10", "1", "11", "1", "0"]
    assert lines[2].split() == ["minji", "1,100", "2", "1,102", "2", "0"]
    assert lines[3] == "2 rows from 2026-03-01 to 2026-03-02."


def test_usage_report_lists_every_active_user_even_without_use(ledger, django_user_model, capsys):
    django_user_model.objects.create_user(username="quiet", first_name="조용한")
    django_user_model.objects.create_user(username="gone", is_active=False)
    left = django_user_model.objects.create_user(username="left", is_active=False)
    usage.usage_record(
        user_id=left.pk,
        model="fake-model",
        prompt_tokens=5,
        completion_tokens=0,
        estimated=False,
        day=datetime.date(2026, 3, 2),
    )

    call_command(
        "usage_report", "--since", "2026-03-02", "--until", "2026-03-02", "--format", "csv"
    )

    captured = capsys.readouterr()
    # 쓰지 않은 학생도 0으로 (강사가 찾는 사람), 떠난 계정은 그 기간에 쓴 것이 있을 때만
    assert list(csv.reader(io.StringIO(captured.out)))[1:] == [
        ["junho", "", "10", "1", "11", "1", "0"],
        ["left", "", "5", "0", "5", "1", "0"],
        ["minji", "", "1000", "1", "1001", "1", "0"],
        ["quiet", "조용한", "0", "0", "0", "0", "0"],
    ]
    assert "2026-03-02부터 2026-03-02까지 4줄." in captured.err


def test_usage_report_by_model_as_csv(ledger, capsys):
    call_command(
        "usage_report",
        "--since",
        "2026-02-01",
        "--until",
        "2026-03-31",
        "--by",
        "model",
        "--format",
        "csv",
    )

    captured = capsys.readouterr()
    assert list(csv.reader(io.StringIO(captured.out))) == [
        [
            "model",
            "prompt_tokens",
            "completion_tokens",
            "total_tokens",
            "replies",
            "estimated_replies",
        ],
        ["fake-large", "1000", "1", "1001", "1", "0"],
        ["fake-model", "100109", "3", "100112", "3", "0"],
    ]
    assert "2026-02-01부터 2026-03-31까지 2줄." in captured.err


def test_usage_report_csv_writes_cells_a_spreadsheet_would_run_as_text(db, capsys):
    # 아이디 규칙이 생기기 전의 계정이나 운영자가 정한 모델 이름은 무엇으로든 시작할 수 있다
    hostile = User.objects.create_user(
        username='=HYPERLINK("http://evil.example","x")', first_name="+김민수"
    )
    usage.usage_record(
        user_id=hostile.pk,
        model="@SUM(1+1)",
        prompt_tokens=5,
        completion_tokens=1,
        estimated=False,
        day=datetime.date(2026, 3, 2),
    )
    period = ["--since", "2026-03-01", "--until", "2026-03-02", "--format", "csv"]

    call_command("usage_report", *period)
    by_user = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    call_command("usage_report", *period, "--by", "model")
    by_model = list(csv.reader(io.StringIO(capsys.readouterr().out)))

    assert by_user[0][:2] == ["user", "name"]
    assert by_user[1] == [
        '\'=HYPERLINK("http://evil.example","x")',
        "'+김민수",
        "5",
        "1",
        "6",
        "1",
        "0",
    ]
    assert by_model[1] == ["'@SUM(1+1)", "5", "1", "6", "1", "0"]


def test_usage_report_by_day_defaults_to_the_last_30_days(ledger, capsys, monkeypatch):
    frozen = datetime.datetime(2026, 3, 3, 12, tzinfo=datetime.UTC)
    monkeypatch.setattr(usage, "now", lambda: frozen)

    call_command("usage_report", "--by", "day")

    out = capsys.readouterr().out
    assert "2026-03-01" in out
    assert "2026-02-01" not in out
    assert "2026-02-02부터 2026-03-03까지 2줄." in out


@pytest.mark.parametrize(
    ("arguments", "sentence"),
    [
        (
            ["--since", "2026-03-05", "--until", "2026-03-01"],
            "--since (2026-03-05) is after --until",
        ),
        (["--since", "03/01"], "invalid date (YYYY-MM-DD) value: '03/01'"),
        (["--by", "week"], "invalid choice: 'week'"),
        # 기본 --since(29일 전)를 셈하다 OverflowError의 역추적이었다
        (["--until", "0001-01-01"], "0001-01-01 is not a day from 1970-01-01 to 9998-12-31"),
    ],
)
def test_usage_report_refuses_bad_input_in_one_sentence(db, arguments, sentence):
    with translation.override("en"), pytest.raises(CommandError, match=re.escape(sentence)):
        call_command("usage_report", *arguments)
