"""Chromium에서 강사의 반 화면: 반 목록, 학생 여덟 명과 사용량이 있는 반, 한 학생, 대화 읽기.

폰(390x844)과 노트북(1366x850), 밝은 화면과 어두운 화면에서 axe가 깨끗하고 가로로 넘치지 않는다.
학생 표는 폰에서 카드로 쌓인다: 강사가 학생, 그림, 돌아가는 길을 찾는다.
"""

import pytest
from playwright.sync_api import expect

from tests.support.browser import SIZES, axe_violations, shot, watched_page
from tests.support.servers import asgi_server, llm_env, manage, server_env

pytestmark = [pytest.mark.browser, pytest.mark.live]

PASSWORD = "birch-lantern-64"
SETUP = f"""
import datetime
from django.contrib.auth.models import Group
from accounts import usage
from accounts.models import Course, DailyUsage, Membership, Preset, User
from chat.markdown import render_markdown
from chat.models import Conversation, Message, Report
from tests.support.factories import add_message
today = usage.today()
teacher = User.objects.create_user("teacher_kim", password="{PASSWORD}", first_name="김선생")
teacher.groups.add(Group.objects.get(name="Instructors"))
course = Course.objects.create(
    name="파이썬 기초 1반", starts_on=today - datetime.timedelta(days=20),
    ends_on=today + datetime.timedelta(days=40), daily_token_quota=20000,
    allowed_models=["fake-model", "fake-large"], announcement="금요일까지 과제를 내세요.",
)
course.instructors.add(teacher)
Course.objects.create(name="데이터 분석 (지난 학기)", starts_on=today - datetime.timedelta(days=200),
    ends_on=today - datetime.timedelta(days=90)).instructors.add(teacher)
Preset.objects.create(course=course, name="코드 리뷰 도우미", system_prompt="정답을 바로 주지 마세요.", hidden=True)
names = ["김민지", "이준호", "박서연", "최도윤", "정하은", "강지호", "조수아", "윤시우"]
first = None
for index, name in enumerate(names):
    student = User.objects.create_user(f"student{{index}}", password="{PASSWORD}", first_name=name,
        awaiting_approval=index == 7)
    Membership.objects.create(course=course, user=student)
    for days in range(0, 30, 1 + index % 3):
        DailyUsage.objects.create(user=student, day=today - datetime.timedelta(days=days), model="fake-model",
            prompt_tokens=300 + 40 * ((days * 7 + index) % 11), completion_tokens=120, replies=1 + days % 4)
    c = Conversation.objects.create(owner=student, title=f"리스트 컴프리헨션 질문 {{index}}", model="fake-model",
        needs_title=False, course=course)
    add_message(conversation=c, role="user", content="리스트 컴프리헨션이 뭐예요?")
    text = "리스트를 짧게 만드는 문법입니다.\\n\\n```python\\nsquares = [n * n for n in range(10)]\\n```"
    reply = add_message(conversation=c, role="assistant", content=text, rendered_html=render_markdown(text),
        status="done", model="fake-model")
    if index == 1:
        add_message(conversation=c, role="user", content="다시 설명해 주세요")
        add_message(conversation=c, role="assistant", content="", status="failed", error_kind="server_error")
    if index == 2:
        Report.objects.create(reply=reply, reporter=student, reason="wrong")
    first = first or (student, c)
print(course.pk, first[0].pk, first[1].pk)
"""


@pytest.fixture(scope="module")
def class_site(tmp_path_factory, fake_openai_server):
    workdir = tmp_path_factory.mktemp("classes")
    database = {
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        **llm_env(fake_openai_server),
    }
    with asgi_server(workdir, **database) as base_url:
        output = manage(server_env(workdir, **database), "shell", "-c", SETUP).stdout.split()
        yield base_url, *output[-3:]


def log_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("아이디").fill(username)
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    expect(page.get_by_label("메시지")).to_be_visible()


def looks_right(page, name, size):
    shot(page, name)
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["viewport"]["width"]


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_an_instructor_finds_the_class_its_members_and_reads_a_conversation(
    browser, class_site, size, scheme
):
    base_url, course, student, _conversation = class_site
    context = browser.new_context(
        locale="ko-KR", base_url=base_url, color_scheme=scheme, **SIZES[size]
    )
    page = watched_page(context)
    log_in(page, "teacher_kim")

    # 계정 메뉴에서 반으로
    page.locator(".account-menu summary").click()
    page.get_by_role("link", name="반", exact=True).click()
    expect(page.get_by_role("heading", name="반", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="새 반")).to_be_visible()
    looks_right(page, f"classes-list-{size}-{scheme}", size)

    page.get_by_role("link", name="파이썬 기초 1반").click()
    expect(page.get_by_role("heading", name="학생 8명")).to_be_visible()
    expect(page.get_by_text("1명이 승인을 기다립니다", exact=False)).to_be_visible()
    expect(page.get_by_role("img", name="지난 30일 동안 하루에 쓴 토큰")).to_be_visible()
    looks_right(page, f"classes-detail-{size}-{scheme}", size)
    page.locator(".member-table").scroll_into_view_if_needed()
    shot(page, f"classes-detail-members-{size}-{scheme}")
    page.get_by_role("img", name="지난 30일 동안 하루에 쓴 토큰").scroll_into_view_if_needed()
    shot(page, f"classes-detail-chart-{size}-{scheme}")

    page.get_by_role("link", name="김민지 (student0)", exact=True).click()
    expect(page.get_by_role("heading", name="김민지 (student0)")).to_be_visible()
    looks_right(page, f"classes-member-{size}-{scheme}", size)

    page.get_by_role("link", name="리스트 컴프리헨션 질문 0").click()
    expect(page.get_by_text("squares = [n * n for n in range(10)]")).to_be_visible()
    expect(page.get_by_label("메시지")).to_have_count(0)
    looks_right(page, f"classes-read-{size}-{scheme}", size)

    page.get_by_role("link", name="김민지 (student0) 화면으로 돌아가기").click()
    expect(page).to_have_url(f"{base_url}/classes/{course}/members/{student}/")
    assert page.console_errors == []
    context.close()


def test_the_class_form_and_presets_look_right_on_a_phone(browser, class_site):
    base_url, course, _student, _conversation = class_site
    context = browser.new_context(locale="ko-KR", base_url=base_url, **SIZES["phone"])
    page = watched_page(context)
    log_in(page, "teacher_kim")

    page.goto(f"/classes/{course}/edit/")
    expect(page.get_by_role("group", name="학생이 쓸 수 있는 모델")).to_be_visible()
    looks_right(page, "classes-edit-phone-light", "phone")
    page.goto(f"/classes/{course}/presets/")
    expect(page.get_by_role("heading", name="코드 리뷰 도우미 프롬프트 숨김")).to_be_visible()
    looks_right(page, "classes-presets-phone-light", "phone")
    page.goto("/classes/new/")
    page.get_by_label("이름").fill("새 반")
    page.get_by_label("시작일").fill("2026-09-01")
    page.get_by_label("종료일").fill("2026-08-01")
    page.get_by_role("button", name="반 만들기").click()
    expect(page.get_by_text("종료일이 시작일보다 앞입니다.")).to_be_visible()
    looks_right(page, "classes-new-error-phone-light", "phone")
    assert page.console_errors == []
    context.close()
