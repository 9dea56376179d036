"""Chromium에서 SIGNUP_MODE=approval: 가입한 학생은 기다리는 화면만 보고, 강사가 반 화면에서 승인하면 "다시 확인"으로
채팅에 들어간다 (JavaScript를 켜고, 끄고). 기다리는 화면을 폰과 노트북, 밝고 어두운 테마로 찍고 axe로 본다."""

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import SIZES, axe_violations, page_opener, shot
from tests.support.servers import asgi_server, llm_env, manage, server_env

pytestmark = [pytest.mark.browser, pytest.mark.live]

PASSWORD = "maple-harbor-61"
CODE = "KMNPQRSTUV"
SETUP = f"""
from accounts.models import Course, Invitation, User
teacher = User.objects.create_user("teacher", password="{PASSWORD}")
course = Course.objects.create(name="데이터 분석반")
course.instructors.add(teacher)
Invitation.objects.create(course=course, code="{CODE}", created_by=teacher)
print(course.pk)
"""


@pytest.fixture(scope="module")
def approval_site(tmp_path_factory, fake_openai_server):
    """SIGNUP_MODE=approval이고 초대 코드가 있는 반 하나를 가진 앱 (이 파일만의 DB)."""
    workdir = tmp_path_factory.mktemp("approval")
    env = {
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "SIGNUP_MODE": "approval",
        **llm_env(fake_openai_server),
    }
    with asgi_server(workdir, **env) as base_url:
        seeded = manage(server_env(workdir, **env), "shell", "-v", "0", "-c", SETUP)
        yield base_url, seeded.stdout.split()[-1]


@pytest.fixture
def opener(browser, approval_site):
    with page_opener(browser, approval_site[0]) as make:
        yield make


def sign_up(page, username, code=""):
    page.goto(f"/accounts/signup/?code={code}" if code else "/accounts/signup/")
    page.get_by_label("아이디").fill(username)
    page.get_by_label("비밀번호", exact=True).fill(PASSWORD)
    page.get_by_label("비밀번호 확인").fill(PASSWORD)
    page.get_by_role("button", name="계정 만들기").click()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_student_waits_until_the_instructor_approves(opener, approval_site, javascript):
    _base_url, course = approval_site
    username = "wait_js" if javascript else "wait_nojs"
    student = opener(javascript=javascript)

    sign_up(student, username, CODE)
    expect(student).to_have_url(re.compile(r"/accounts/waiting/$"))
    expect(student.get_by_role("heading", name="승인을 기다리는 중")).to_be_visible()
    student.goto("/chat/")
    expect(student).to_have_url(re.compile(r"/accounts/waiting/$"))

    teacher = opener(javascript=javascript)
    teacher.goto(f"/accounts/login/?next=/classes/{course}/")
    teacher.get_by_label("아이디").fill("teacher")
    teacher.get_by_label("비밀번호").fill(PASSWORD)
    teacher.get_by_role("button", name="로그인").click()
    teacher.get_by_role("button", name=f"{username} 승인").click()
    expect(teacher).to_have_url(re.compile(rf"/classes/{course}/$"))
    expect(teacher.get_by_role("button", name=f"{username} 승인")).to_have_count(0)

    student.get_by_role("link", name="다시 확인").click()
    expect(student.get_by_label("메시지")).to_be_visible()
    assert student.console_errors == []
    assert teacher.console_errors == []


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_waiting_page_looks_right_and_passes_axe(opener, size, scheme):
    page = opener(size, scheme)

    sign_up(page, f"look_{size}_{scheme}", CODE)

    expect(page.get_by_text("데이터 분석반")).to_be_visible()
    shot(page, f"approval-waiting-{size}-{scheme}")
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["viewport"]["width"]
    assert page.console_errors == []
