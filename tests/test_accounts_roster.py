"""한국어 Excel의 명단으로 반 만들기: 인코딩과 구분 문자, 이름, 로마자 아이디, 한 언어로 답하기, 첫 로그인."""

import csv
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from pytest_django.asserts import assertInHTML

from accounts import usage
from accounts.models import User
from accounts.romanize import romanize
from chat.models import Conversation, Message

BASE_DIR = Path(__file__).resolve().parent.parent
HTMX = {"HX-Request": "true"}
SURNAMES = "김이박최정강조윤장임"
GIVEN = ["민수", "서연", "지훈"]
# 한 반 30명: 김민수, 김서연, 김지훈, 이민수, …
CLASS = [surname + given for surname in SURNAMES for given in GIVEN]
HANGUL = re.compile("[가-힣]")


def roster(tmp_path, text, *, encoding, name="class.csv"):
    """Excel처럼 CRLF로 줄을 끝낸 파일."""
    path = tmp_path / name
    path.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    return path


def passwords(path):
    return {row["username"]: row for row in csv.DictReader(path.open(encoding="utf-8-sig"))}


def test_a_cp949_roster_onboards_thirty_students_with_their_names(admin_client, tmp_path, capsys):
    lines = ["아이디,이름"] + [f"student{index:02d},{name}" for index, name in enumerate(CLASS)]
    # "CSV(쉼표로 분리)": 한국어 Windows의 Excel은 CP949로 쓴다
    source = roster(tmp_path, "\n".join(lines) + "\n", encoding="cp949")
    output = tmp_path / "passwords.csv"

    call_command("create_users", str(source), "--output", str(output), "--language", "en")

    assert "Created 30 users, 30 with a generated password." in capsys.readouterr().out
    students = User.objects.filter(username__startswith="student").order_by("username")
    assert [student.first_name for student in students] == CLASS
    assert {student.last_name for student in students} == {""}
    assert str(students[0]) == "김민수 (student00)"
    assert passwords(output)["student29"]["name"] == CLASS[29]
    listing = admin_client.get("/admin/accounts/user/").content.decode()
    for name in CLASS:
        assertInHTML(f'<td class="field-name">{name}</td>', listing)


def test_an_excel_utf8_roster_with_a_bom_keeps_the_names(db, tmp_path):
    # "CSV UTF-8(쉼표로 분리)": 맨 앞에 BOM이 붙는다. 머리글 "성명"과 "Full Name"도 이름 칸이다
    source = roster(
        tmp_path, "\ufeff성명,Username\n김민수,minsu_kim\n똠양꿍,tom_yang\n", encoding="utf-8"
    )

    call_command("create_users", str(source), "--output", str(tmp_path / "p.csv"))

    assert User.objects.get(username="minsu_kim").first_name == "김민수"
    assert User.objects.get(username="tom_yang").first_name == "똠양꿍"


@pytest.mark.parametrize(
    "text",
    [
        "username;Full Name;email\nminsu_kim;김민수;minsu@school.kr\nseoyeon_lee;이서연;\n",
        "sep=;\nusername;name;email\nminsu_kim;김민수;minsu@school.kr\nseoyeon_lee;이서연;\n",
        "username\tname\temail\nminsu_kim\t김민수\tminsu@school.kr\nseoyeon_lee\t이서연\t\n",
        # 유럽식 Excel이 남기는 끝의 빈 줄 ";;"은 줄이 아니다
        "username;name;email\nminsu_kim;김민수;minsu@school.kr\nseoyeon_lee;이서연;\n;;\n",
    ],
    ids=["semicolon", "sep-line", "tab", "trailing-empty-row"],
)
def test_semicolon_and_tab_rosters_are_read(db, tmp_path, text):
    source = roster(tmp_path, text, encoding="cp949")

    call_command("create_users", str(source), "--output", str(tmp_path / "p.csv"))

    minsu = User.objects.get(username="minsu_kim")
    assert (minsu.first_name, minsu.email) == ("김민수", "minsu@school.kr")
    assert User.objects.get(username="seoyeon_lee").first_name == "이서연"
    assert User.objects.count() == 2


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("en", "the file is neither UTF-8 nor CP949 (EUC-KR) text"),
        ("ko", "파일이 UTF-8도 CP949(EUC-KR)도 아닙니다"),
    ],
)
def test_a_file_that_is_neither_utf8_nor_cp949_is_refused_clearly(
    db, tmp_path, capsys, language, sentence
):
    source = tmp_path / "class.csv"
    source.write_bytes(b"username,name\r\nstudent_a,\x80\x81\r\n")

    with pytest.raises(CommandError):
        call_command("create_users", str(source), "--dry-run", "--language", language)

    assert sentence in capsys.readouterr().err
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("name", "username"),
    [
        ("김민수", "kimminsu"),
        ("이서연", "leeseoyeon"),
        ("박지훈", "parkjihun"),
        ("최유진", "choiyujin"),
        ("정하늘", "junghaneul"),
        ("한복남", "hanboknam"),  # 사람 이름은 소리 바뀜을 적지 않는다 (표기법의 예)
        ("홍빛나", "hongbitna"),
        ("서예린", "seoyerin"),
        ("신짱구", "shinjjanggu"),
        ("황보혜정", "hwangbohyejeong"),
        ("남궁민", "namgungmin"),
        ("배의찬", "baeuichan"),
        ("문꽃님", "moonkkotnim"),
        ("김 민수", "kimminsu"),
        ("Kim민수", "kimminsu"),
    ],
)
def test_romanize_follows_revised_romanization_with_the_usual_surname(name, username):
    assert romanize(name) == username


def test_a_hangul_username_gets_a_suggestion_and_romanize_uses_it(db, tmp_path, capsys):
    User.objects.create_user(username="kimminsu")
    source = roster(tmp_path, "이름,아이디\n김민수,\n김민수,\n이서연,이서연\n", encoding="cp949")
    output = tmp_path / "p.csv"

    with translation.override("en"), pytest.raises(CommandError):
        call_command("create_users", str(source), "--output", str(output))
    refused = capsys.readouterr().err
    call_command("create_users", str(source), "--output", str(output), "--romanize")

    assert "line 2: suggested username: kimminsu (or run with --romanize)" in refused
    assert "line 4: suggested username: leeseoyeon" in refused
    # 이미 있는 kimminsu와 파일 안의 동명이인을 피한다
    made = dict(User.objects.exclude(username="kimminsu").values_list("username", "first_name"))
    assert made == {"kimminsu2": "김민수", "kimminsu3": "김민수", "leeseoyeon": "이서연"}
    assert "김민수 → kimminsu2" in capsys.readouterr().out
    assert set(passwords(output)) == {"kimminsu2", "kimminsu3", "leeseoyeon"}


def test_a_name_decomposed_into_jamo_is_stored_composed(db, tmp_path):
    # macOS의 Numbers가 내보낸 명단은 한글을 자모로 풀어 쓴다 (NFD)
    decomposed = unicodedata.normalize("NFD", "김민수")
    source = roster(tmp_path, f"name,username\n{decomposed},\n", encoding="utf-8")

    call_command("create_users", str(source), "--romanize", "--output", str(tmp_path / "p.csv"))

    assert User.objects.get(username="kimminsu").first_name == "김민수"


def test_a_names_only_roster_needs_romanize(db, tmp_path):
    source = roster(tmp_path, "이름\n김민수\n", encoding="utf-8-sig")

    call_command("create_users", str(source), "--romanize", "--output", str(tmp_path / "p.csv"))

    assert User.objects.get(username="kimminsu").first_name == "김민수"


BAD_ROSTER = "username,email\nx,\nab_cd,not-an-email\nab_cd,\n"


def run(source, *arguments):
    """명령의 모든 출력(표준 출력, 표준 오류, 마지막 오류 문장)을 줄마다."""
    try:
        call_command("create_users", str(source), *arguments)
    except CommandError as error:
        return [str(error)]
    return []


def test_the_command_answers_only_in_korean_under_korean(db, tmp_path, capsys):
    source = roster(tmp_path, BAD_ROSTER, encoding="utf-8")

    with translation.override("ko"):
        last = run(source, "--dry-run")
    captured = capsys.readouterr()
    lines = [*captured.out.splitlines(), *captured.err.splitlines(), *last]

    # 줄마다의 오류 셋과 마지막 문장
    assert len(lines) == 4
    # 모든 줄이 한국어 문장이다 (아이디와 주소 말고는 영어가 없다)
    assert all(HANGUL.search(line) for line in lines), lines
    assert not any(re.search(r"\b(line|Enter|Use|nothing|also)\b", line) for line in lines)
    assert "4번째 줄: 'ab_cd' 아이디가 3번째 줄에도 있습니다" in lines


def test_the_command_answers_only_in_english_when_asked(db, tmp_path, capsys):
    source = roster(tmp_path, BAD_ROSTER, encoding="utf-8")

    with translation.override("ko"):
        last = run(source, "--dry-run", "--language", "en")
    good = roster(tmp_path, "username\nstudent_a\n", encoding="utf-8", name="good.csv")
    with translation.override("ko"):
        run(good, "--dry-run", "--language", "en")
    captured = capsys.readouterr()
    lines = [*captured.out.splitlines(), *captured.err.splitlines(), *last]

    assert not any(HANGUL.search(line) for line in lines), lines
    assert "line 4: 'ab_cd' is also on line 3" in lines
    assert "Would create 1 user, 1 with a generated password." in lines
    # 명령은 켜져 있던 언어를 되돌려 놓는다
    with translation.override("ko"):
        run(good, "--dry-run", "--language", "en")
        assert translation.get_language() == "ko"


def manage(*arguments):
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=BASE_DIR,
        env={"PATH": "/usr/bin:/bin", "DJANGO_ENV_FILE": "", "DJANGO_DEBUG": "true"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_help_is_in_korean_and_in_english_with_language():
    korean = manage("help", "create_users")
    english = manage("create_users", "--language", "en", "--help")

    assert "Excel이 저장한 CSV 파일로 계정을 만듭니다." in korean
    assert "한글 아이디나 이름에서 로마자 아이디를 짓습니다" in korean
    assert "Create accounts from a CSV file (as Excel saves it)" in english
    assert "make a romanized username" in english


@pytest.fixture
def handed_out(client, db, tmp_path):
    """create_users가 비밀번호를 지어 준 학생 하나와 그 비밀번호."""
    source = roster(tmp_path, "이름,아이디\n김민수,minsu_kim\n", encoding="cp949")
    output = tmp_path / "p.csv"
    call_command("create_users", str(source), "--output", str(output))
    return User.objects.get(username="minsu_kim"), passwords(output)["minsu_kim"]["password"]


def test_the_first_log_in_asks_only_for_a_new_password_twice(client, handed_out):
    student, generated = handed_out

    landed = client.post(
        "/accounts/login/", {"username": "minsu_kim", "password": generated}, follow=True
    )
    form = landed.context["form"]
    mismatch = client.post(
        "/accounts/password_set/",
        {"new_password1": "violet-harbor-77", "new_password2": "violet-harbor-78"},
    )
    chosen = client.post(
        "/accounts/password_set/",
        {"new_password1": "violet-harbor-77", "new_password2": "violet-harbor-77"},
        follow=True,
    )

    assert landed.redirect_chain[-1][0] == "/accounts/password_set/"
    assert list(form.fields) == ["new_password1", "new_password2"]
    assert 'action="/accounts/password_set/"' in landed.content.decode()
    assert mismatch.context["form"].has_error("new_password2", "password_mismatch")
    assert chosen.redirect_chain[-1][0] == "/chat/"
    assert chosen.status_code == 200
    student.refresh_from_db()
    assert not student.must_change_password
    assert student.check_password("violet-harbor-77")
    # 세션은 그대로: 다시 로그인하지 않고 채팅한다
    assert client.get("/chat/").status_code == 200


def test_a_student_cannot_skip_choosing_a_password_to_chat(client, handed_out):
    student, generated = handed_out
    conversation = Conversation.objects.create(owner=student, title="숙제")
    client.post("/accounts/login/", {"username": "minsu_kim", "password": generated})

    tries = [
        client.get("/"),
        client.get("/chat/"),
        client.get(f"/chat/{conversation.pk}/"),
        client.post(f"/chat/{conversation.pk}/messages/", {"content": "안녕"}),
        client.get("/accounts/usage/"),
        client.get("/accounts/password_change/"),
    ]
    htmx = client.post(f"/chat/{conversation.pk}/messages/", {"content": "안녕"}, headers=HTMX)

    assert [(response.status_code, response.url) for response in tries] == [
        (302, "/accounts/password_set/")
    ] * len(tries)
    assert htmx.headers["HX-Redirect"] == "/accounts/password_set/"
    assert not Message.objects.exists()


def test_the_set_password_page_still_needs_the_log_in(client, handed_out):
    response = client.get("/accounts/password_set/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_staff_see_the_name_in_moderation_and_usage(admin_client, handed_out, capsys):
    student, _ = handed_out
    Conversation.objects.create(owner=student, title="숙제")
    usage.usage_record(
        user_id=student.pk,
        model="fake-model",
        prompt_tokens=3,
        completion_tokens=1,
        estimated=False,
    )

    conversations = admin_client.get("/admin/chat/conversation/").content.decode()
    found = admin_client.get("/admin/chat/conversation/", {"q": "김민수"}).context["cl"]
    call_command("usage_report", "--format", "csv")

    assertInHTML('<td class="field-owner nowrap">김민수 (minsu_kim)</td>', conversations)
    assert found.result_count == 1
    report = list(csv.DictReader(capsys.readouterr().out.splitlines()))
    # 쓰지 않은 활성 계정(관리자)도 0으로 나온다
    assert [(row["user"], row["name"], row["total_tokens"]) for row in report] == [
        ("admin", "", "0"),
        ("minsu_kim", "김민수", "4"),
    ]
