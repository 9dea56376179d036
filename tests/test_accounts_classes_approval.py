"""SIGNUP_MODE=approval: 새 계정은 기다리는 화면만 보고, 운영자(관리 화면)나 그 반의 강사가 받아 준다."""

import pytest
from django.test import Client

from accounts import courses, services
from accounts.models import User
from core.audit import Action
from core.models import AuditEvent
from tests.support.factories import STAFF_PASSWORD
from tests.support.joining import make_course, make_invitation, post_signup


@pytest.fixture
def approval(settings):
    settings.SIGNUP_MODE = "approval"


@pytest.fixture
def course(db):
    return make_course("영어 2반")


@pytest.fixture
def pending(client, approval, course):
    """코드로 영어 2반에 들며 가입해 승인을 기다리는 minji (client는 그 사람으로 로그인해 있다)."""
    response = post_signup(client, "minji", make_invitation(course).code)
    assert response.status_code == 302
    assert response.url == "/accounts/waiting/"
    return User.objects.get(username="minji")


def test_a_new_account_waits_and_every_page_leads_to_the_waiting_page(client, pending, english):
    assert pending.awaiting_approval is True
    assert pending.courses.get().name == "영어 2반"

    for url in ("/", "/chat/", "/accounts/settings/", "/classes/join/", "/accounts/usage/"):
        response = client.get(url)
        assert (url, response.status_code, response.url) == (url, 302, "/accounts/waiting/")
    page = client.get("/accounts/waiting/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "approve" in text
    assert "영어 2반" in text
    assert 'action="/accounts/logout/"' in text


def test_without_a_code_the_account_waits_too(client, approval, db):
    response = post_signup(client, "junho")

    assert response.url == "/accounts/waiting/"
    assert User.objects.get(username="junho").awaiting_approval is True


def test_a_waiting_person_cannot_chat(client, pending):
    conversation = client.post("/chat/", {"content": "안녕"})
    htmx = client.post("/chat/", {"content": "안녕"}, headers={"HX-Request": "true"})
    stream = client.get("/chat/replies/1/stream/")

    assert (conversation.status_code, conversation.url) == (302, "/accounts/waiting/")
    assert htmx.status_code == 200
    assert htmx.headers["HX-Redirect"] == "/accounts/waiting/"
    assert stream.status_code == 302
    assert not pending.conversations.exists()


def test_a_waiting_person_can_log_out_and_change_language(client, pending):
    language = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/waiting/"})
    logout = client.post("/accounts/logout/")

    assert language.url == "/accounts/waiting/"
    assert logout.status_code == 302
    assert client.get("/accounts/waiting/").url.startswith("/accounts/login/")


def test_staff_approve_with_the_admin_action(client, pending, db):
    boss = User.objects.create_superuser("boss", password=STAFF_PASSWORD)
    other = User.objects.create_user("other", password=STAFF_PASSWORD, awaiting_approval=True)
    admin = Client()
    admin.force_login(boss)

    listed = admin.get("/admin/accounts/user/?awaiting_approval__exact=1")
    response = admin.post(
        "/admin/accounts/user/",
        {"action": "approve", "_selected_action": [pending.pk, other.pk, boss.pk]},
    )

    assert {row.username for row in listed.context["cl"].result_list} == {"minji", "other"}
    assert response.status_code == 302
    assert not User.objects.filter(awaiting_approval=True).exists()
    assert AuditEvent.objects.filter(action=Action.USER_APPROVED).count() == 2
    # 받아 준 뒤에는 바로 채팅한다 (다시 로그인하지 않고)
    assert client.get("/chat/").status_code == 200
    assert client.get("/accounts/waiting/").url == "/"


def test_the_class_instructor_approves_a_pending_member(client, pending, course):
    teacher = Client()
    teacher.force_login(course.instructors.get())
    url = f"/classes/{course.pk}/members/{pending.pk}/approve/"

    page = teacher.get(f"/classes/{course.pk}/invitations/")
    response = teacher.post(url, {"next": f"/classes/{course.pk}/"})
    again = teacher.post(url)

    assert url in page.content.decode()
    assert response.url == f"/classes/{course.pk}/"
    pending.refresh_from_db()
    assert pending.awaiting_approval is False
    event = AuditEvent.objects.get(action=Action.USER_APPROVED)
    assert event.actor == course.instructors.get()
    assert event.target_id == str(pending.pk)
    # 이미 받아 준 사람은 "기다리는 이 반의 사람"이 아니다
    assert again.status_code == 404
    assert client.get("/chat/").status_code == 200


def test_an_unsafe_next_falls_back_to_the_invitations_page(pending, course):
    teacher = Client()
    teacher.force_login(course.instructors.get())

    response = teacher.post(
        f"/classes/{course.pk}/members/{pending.pk}/approve/", {"next": "https://evil.example/"}
    )

    assert response.url == f"/classes/{course.pk}/invitations/"


def test_others_cannot_approve(pending, course, db):
    other_course = make_course("수학 3반")
    other_teacher = Client()
    other_teacher.force_login(other_course.instructors.get())
    student = Client()
    student.force_login(User.objects.create_user("student", password=STAFF_PASSWORD))
    stranger = User.objects.create_user("stranger", password=STAFF_PASSWORD, awaiting_approval=True)
    teacher = Client()
    teacher.force_login(course.instructors.get())
    url = f"/classes/{course.pk}/members/{pending.pk}/approve/"

    # 다른 반의 강사, 학생, 그리고 이 반에 들지 않은 사람을 받아 주려는 이 반의 강사
    assert other_teacher.post(url).status_code == 404
    assert student.post(url).status_code == 404
    assert (
        other_teacher.post(f"/classes/{other_course.pk}/members/{pending.pk}/approve/").status_code
        == 404
    )
    assert teacher.post(f"/classes/{course.pk}/members/{stranger.pk}/approve/").status_code == 404
    assert teacher.get(url).status_code == 405
    pending.refresh_from_db()
    assert pending.awaiting_approval is True


def test_approving_twice_is_recorded_once(pending, course):
    teacher = course.instructors.get()

    assert services.user_approve(user=pending, actor=teacher) is True
    assert services.user_approve(user=pending, actor=teacher) is False
    assert AuditEvent.objects.filter(action=Action.USER_APPROVED).count() == 1


def test_an_approved_member_keeps_the_class(pending, course):
    services.user_approve(user=pending, actor=None)
    courses.standing_forget(pending)

    assert courses.standing(pending).courses == [course]


def test_the_instructor_approves_from_the_class_page_and_returns_to_it(pending, course):
    teacher = course.instructors.get()
    instructor = Client()
    instructor.force_login(teacher)

    page = instructor.get(f"/classes/{course.pk}/").content.decode()
    approve = f'action="/classes/{course.pk}/members/{pending.pk}/approve/"'
    response = instructor.post(
        f"/classes/{course.pk}/members/{pending.pk}/approve/", {"next": f"/classes/{course.pk}/"}
    )

    assert approve in page
    assert (response.status_code, response.url) == (302, f"/classes/{course.pk}/")
    pending.refresh_from_db()
    assert pending.awaiting_approval is False
    assert approve not in instructor.get(f"/classes/{course.pk}/").content.decode()
