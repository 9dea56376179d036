"""Chromium에서 반에 들기: 초대 링크(/join/<코드>/)로 가입한다 (JavaScript를 켜고, 끄고). 코드가 채워진 가입 화면,
강사의 초대 코드 목록과 프로젝터용 QR 화면을 폰과 노트북, 밝고 어두운 테마로 찍고 axe로 본다."""

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import SIZES, axe_violations, shot
from tests.support.servers import asgi_server, llm_env, manage, server_env

pytestmark = [pytest.mark.browser, pytest.mark.live]

PASSWORD = "cedar-window-73"
CODE = "ABCDEFGHJK"
SETUP = f"""
from accounts.models import Course, Invitation, User
teacher = User.objects.create_user("teacher", password="{PASSWORD}", first_name="박선생")
course = Course.objects.create(name="파이썬 입문 1반")
course.instructors.add(teacher)
invitation = Invitation.objects.create(course=course, code="{CODE}", max_uses=30, created_by=teacher)
Invitation.objects.create(course=course, max_uses=5, uses=5, created_by=teacher)
print(course.pk, invitation.pk)
"""


@pytest.fixture(scope="module")
def invite_site(tmp_path_factory, fake_openai_server):
    """SIGNUP_MODE=invite이고 초대 코드가 있는 반 하나를 가진 앱 (이 파일만의 DB)."""
    workdir = tmp_path_factory.mktemp("joining")
    env = {
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "SIGNUP_MODE": "invite",
        **llm_env(fake_openai_server),
    }
    with asgi_server(workdir, **env) as base_url:
        seeded = manage(server_env(workdir, **env), "shell", "-v", "0", "-c", SETUP)
        course, invitation = seeded.stdout.split()[-2:]
        yield base_url, course, invitation


@pytest.fixture
def opener(browser, invite_site):
    from tests.support.browser import page_opener

    with page_opener(browser, invite_site[0]) as make:
        yield make


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_student_signs_up_through_the_join_link(opener, javascript):
    page = opener(javascript=javascript)
    username = "student_js" if javascript else "student_nojs"

    page.goto(f"/join/{CODE}/")

    expect(page).to_have_url(re.compile(rf"/accounts/signup/\?code={CODE}$"))
    expect(page.locator(".joining-notice")).to_have_text("가입하면 파이썬 입문 1반에 듭니다.")
    expect(page.get_by_label("반 코드")).to_have_value(CODE)
    page.get_by_label("아이디").fill(username)
    page.get_by_label("비밀번호", exact=True).fill(PASSWORD)
    page.get_by_label("비밀번호 확인").fill(PASSWORD)
    page.get_by_role("button", name="계정 만들기").click()

    expect(page.get_by_text("“파이썬 입문 1반”에 들었습니다.")).to_be_visible()
    expect(page.get_by_label("메시지")).to_be_visible()
    assert page.console_errors == []


def log_in(page, next_url):
    page.goto(f"/accounts/login/?next={next_url}")
    page.get_by_label("아이디").fill("teacher")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    expect(page).to_have_url(re.compile(re.escape(next_url) + "$"))


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_joining_pages_look_right_and_pass_axe(opener, invite_site, size, scheme):
    _base_url, course, invitation = invite_site
    width = SIZES[size]["viewport"]["width"]
    visitor = opener(size, scheme)

    visitor.goto(f"/join/{CODE}/")
    expect(visitor.locator(".joining-notice")).to_be_visible()
    shot(visitor, f"joining-signup-{size}-{scheme}")
    assert axe_violations(visitor) == []

    teacher = opener(size, scheme)
    log_in(teacher, f"/classes/{course}/invitations/")
    expect(teacher.locator(".invitation-item")).to_have_count(2)
    expect(teacher.locator(".invitation-used_up")).to_contain_text("모두 사용됨")
    shot(teacher, f"joining-invitations-{size}-{scheme}")
    assert axe_violations(teacher) == []
    assert teacher.evaluate("document.documentElement.scrollWidth") <= width

    teacher.get_by_role("link", name=re.compile("QR 보기 ABCDE-FGHJK")).click()
    expect(teacher).to_have_url(re.compile(rf"/classes/{course}/invitations/{invitation}/$"))
    qr = teacher.get_by_role("img", name=re.compile("QR 코드"))
    expect(qr).to_be_visible()
    # 그림이 실제로 그려졌다 (CSP가 막지 않았다)
    assert qr.evaluate("image => image.naturalWidth") > 100
    expect(teacher.locator(".invitation-big-code")).to_have_text("ABCDE-FGHJK")
    shot(teacher, f"joining-qr-{size}-{scheme}")
    assert axe_violations(teacher) == []
    assert teacher.evaluate("document.documentElement.scrollWidth") <= width
    assert visitor.console_errors == []
    assert teacher.console_errors == []
