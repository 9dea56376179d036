"""반에 들기: 가입 방식(open, closed, invite, approval)마다 코드로 가입하기, /join/<코드>/ 링크, 계정 메뉴의 "반에 들기",
틀린 코드의 제한, 마지막 한 번의 경쟁, 그리고 "30명이 한 코드로 가입한다"는 이야기."""

import contextlib
import datetime
import threading
from urllib.parse import unquote

import pytest
from django.db import IntegrityError, OperationalError, connection
from django.test import Client
from django.utils import timezone

from accounts import courses, invitations, services
from accounts.courses import InvitationProblem, InvitationRefused
from accounts.models import Invitation, Membership, User
from tests.support.joining import GOOD_PASSWORD, make_course, make_invitation, post_signup
from tests.support.servers import running_on_postgres


@pytest.fixture
def course(db):
    return make_course("국어 1반")


@pytest.fixture
def invitation(course):
    return make_invitation(course)


def code_error(response) -> str | None:
    """가입 양식의 코드 칸 오류 코드 (없으면 None)."""
    errors = response.context["form"].errors.as_data().get("code", [])
    return errors[0].code if errors else None


# ---------------------------------------------------------------- invite


def test_invite_mode_requires_a_code_and_joins_the_class(client, settings, invitation):
    settings.SIGNUP_MODE = "invite"

    page = client.get("/accounts/signup/")
    missing = post_signup(client, "minji")
    response = post_signup(client, "minji", invitation.code_display)

    assert 'name="code"' in page.content.decode()
    assert code_error(missing) == "required"
    assert response.status_code == 302
    minji = User.objects.get(username="minji")
    assert minji.awaiting_approval is False
    assert Membership.objects.get(user=minji).invitation == invitation
    invitation.refresh_from_db()
    assert invitation.uses == 1
    # 가입한 사람은 곧장 채팅한다
    assert client.get("/chat/").status_code == 200


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"max_uses": 2, "uses": 2}, InvitationProblem.USED_UP),
        (
            {"expires_at": datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)},
            InvitationProblem.EXPIRED,
        ),
        (
            {"revoked_at": datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)},
            InvitationProblem.REVOKED,
        ),
    ],
)
def test_invite_mode_refuses_an_unusable_code_on_its_field(
    client, settings, course, fields, problem, english
):
    settings.SIGNUP_MODE = "invite"
    invitation = make_invitation(course, **fields)

    response = post_signup(client, "minji", invitation.code)

    assert response.status_code == 400
    assert code_error(response) == problem.value
    # 적은 아이디는 그대로 남는다
    assert 'value="minji"' in response.content.decode()
    assert courses.invitation_problem_message(problem) in response.content.decode()
    assert not User.objects.filter(username="minji").exists()


def test_a_wrong_code_and_an_ended_class_are_refused(client, settings, course):
    settings.SIGNUP_MODE = "invite"
    ended = make_course("지난 학기", ends_on=datetime.date(2020, 6, 30))
    old = make_invitation(ended)

    wrong = post_signup(client, "minji", "ABCDE-FGHJK")
    finished = post_signup(client, "minji", old.code)

    assert (wrong.status_code, code_error(wrong)) == (400, "unknown")
    assert (finished.status_code, code_error(finished)) == (400, "ended")
    assert not User.objects.filter(username="minji").exists()


def test_a_code_is_read_without_dashes_spaces_or_case(client, settings, invitation):
    settings.SIGNUP_MODE = "invite"
    typed = " " + invitation.code_display.lower().replace("-", " ") + " "

    response = post_signup(client, "minji", typed)

    assert response.status_code == 302
    assert Membership.objects.filter(user__username="minji", course=invitation.course).exists()


def test_the_page_names_the_class_once_the_code_is_valid(client, settings, invitation, english):
    settings.SIGNUP_MODE = "invite"

    from_link = client.get(f"/accounts/signup/?code={invitation.code}")
    typed = client.post(
        "/accounts/signup/",
        {
            "username": "minji",
            "password1": GOOD_PASSWORD,
            "password2": "different-42-x",
            "code": invitation.code,
        },
    )

    assert "You are joining <strong>국어 1반</strong>." in from_link.content.decode()
    assert f'value="{invitation.code}"' in from_link.content.decode()
    # 비밀번호가 틀려도 코드는 맞았다: 어느 반인지 그대로 보인다
    assert typed.status_code == 200
    assert "You are joining <strong>국어 1반</strong>." in typed.content.decode()


def test_losing_the_last_use_between_check_and_claim_is_a_field_error(
    client, settings, course, monkeypatch
):
    settings.SIGNUP_MODE = "invite"
    invitation = make_invitation(course, max_uses=1)
    # 미리 볼 때는 남아 있었는데, 보내기 전에 다른 학생이 마지막 한 번을 썼다
    monkeypatch.setattr(invitations, "code_check", lambda code, address: invitation)
    Invitation.objects.filter(pk=invitation.pk).update(uses=1)

    response = post_signup(client, "minji", invitation.code)

    assert (response.status_code, code_error(response)) == (400, "used_up")
    assert not User.objects.filter(username="minji").exists()


def test_a_failed_account_gives_the_use_back(course):
    invitation = make_invitation(course, max_uses=1)
    User.objects.create_user(username="minji", password=GOOD_PASSWORD)

    with pytest.raises(IntegrityError):
        services.user_signup(
            username="minji", password=GOOD_PASSWORD, address="10.0.0.1", code=invitation.code
        )

    invitation.refresh_from_db()
    assert invitation.uses == 0
    assert not Membership.objects.exists()


# ---------------------------------------------------------------- open and closed


def test_open_mode_shows_no_code_field_unless_from_a_link(client, settings, invitation):
    settings.SIGNUP_MODE = "open"

    plain = client.get("/accounts/signup/")
    linked = client.get(f"/join/{invitation.code}/", follow=True)
    response = post_signup(client, "minji", invitation.code, link=True)

    assert 'name="code"' not in plain.content.decode()
    assert 'name="code"' in linked.content.decode()
    assert response.status_code == 302
    assert Membership.objects.filter(user__username="minji").exists()


def test_open_mode_from_a_link_can_leave_the_code_out(client, settings, invitation):
    settings.SIGNUP_MODE = "open"

    response = post_signup(client, "minji", "", link=True)

    assert response.status_code == 302
    assert not Membership.objects.exists()


def test_closed_mode_sends_the_link_to_log_in_and_never_signs_up(
    client, settings, invitation, user, password
):
    settings.SIGNUP_MODE = "closed"

    closed = client.get("/accounts/signup/")
    linked = client.get(f"/join/{invitation.code}/")
    forged = post_signup(client, "sora", invitation.code, link=True)
    logged_in = client.post(
        linked.url, {"username": user.username, "password": password}, follow=True
    )

    assert 'name="password1"' not in closed.content.decode()
    # 가입이 닫힌 사이트: 링크는 로그인으로, 로그인한 뒤 그 링크(반에 들기 확인)로 돌아온다
    assert unquote(linked.url) == f"/accounts/login/?next=/join/{invitation.code}/"
    assert forged.status_code == 302
    assert not User.objects.filter(username="sora").exists()
    assert logged_in.redirect_chain[-1][0] == f"/join/{invitation.code}/"
    assert invitation.course.name in logged_in.content.decode()


# ---------------------------------------------------------------- /join/<코드>/ and /classes/join/


def test_the_link_sends_a_visitor_to_sign_up_with_the_code_and_a_way_to_log_in(client, invitation):
    response = client.get(f"/join/{invitation.code}/")
    page = client.get(response.url)

    assert response.status_code == 302
    assert response.url == f"/accounts/signup/?code={invitation.code}"
    assert f"/accounts/login/?next=%2Fjoin%2F{invitation.code}%2F" in page.content.decode()


def test_after_logging_in_the_link_asks_before_joining(client, user, password, invitation):
    login = client.post(
        f"/accounts/login/?next=/join/{invitation.code}/",
        {"username": user.username, "password": password, "next": f"/join/{invitation.code}/"},
    )
    confirm = client.get(login.url)

    assert login.url == f"/join/{invitation.code}/"
    assert "국어 1반" in confirm.content.decode()
    # 열기만 해서는 들지 않는다
    assert not Membership.objects.exists()
    invitation.refresh_from_db()
    assert invitation.uses == 0

    joined = client.post(f"/join/{invitation.code}/")

    assert joined.status_code == 302
    assert Membership.objects.filter(user=user, course=invitation.course).exists()
    invitation.refresh_from_db()
    assert invitation.uses == 1


def test_a_member_is_told_they_are_already_in(logged_in, user, invitation, english):
    courses.membership_create(user=user, course=invitation.course)

    page = logged_in.get(f"/join/{invitation.code}/")
    again = logged_in.post(f"/join/{invitation.code}/")

    assert "You are already in <strong>국어 1반</strong>." in page.content.decode()
    assert again.status_code == 400
    invitation.refresh_from_db()
    assert invitation.uses == 0


def test_a_wrong_link_says_so(logged_in, db, english):
    response = logged_in.get("/join/ABCDEFGHJK/")

    assert response.status_code == 400
    assert (
        courses.invitation_problem_message(InvitationProblem.UNKNOWN) in response.content.decode()
    )


def test_joining_from_the_account_menu(logged_in, user, invitation, english):
    menu = logged_in.get("/accounts/settings/")
    form = logged_in.get("/classes/join/")
    wrong = logged_in.post("/classes/join/", {"code": "ABCDE-FGHJK"})
    right = logged_in.post("/classes/join/", {"code": invitation.code_display})

    assert 'href="/classes/join/"' in menu.content.decode()
    assert 'name="code"' in form.content.decode()
    assert wrong.status_code == 400
    assert wrong.context["form"].has_error("code")
    assert right.status_code == 302
    assert Membership.objects.filter(user=user, course=invitation.course).exists()


def test_joining_needs_a_login(client, db):
    response = client.get("/classes/join/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


# ---------------------------------------------------------------- 틀린 코드의 제한


def test_wrong_codes_from_one_address_are_throttled_even_for_a_right_one(
    client, settings, invitation, user, monkeypatch
):
    settings.SIGNUP_MODE = "invite"
    settings.CLASS_CODE_FAILURES_PER_ADDRESS = 3
    member = Client()
    member.force_login(user)

    # 세 입구(가입 양식, 반에 들기 양식, 링크)의 실패가 한 주소에 함께 쌓인다
    post_signup(client, "minji", "WRONGWRONG")
    member.post("/classes/join/", {"code": "WRONGWRONG"})
    member.get("/join/WRONGWRONG/")

    signup = post_signup(client, "minji2", invitation.code)
    join_form = member.post("/classes/join/", {"code": invitation.code})
    join_link = member.post(f"/join/{invitation.code}/")

    assert (signup.status_code, code_error(signup)) == (429, "throttled")
    assert join_form.status_code == 429
    assert join_link.status_code == 429
    invitation.refresh_from_db()
    assert invitation.uses == 0
    assert not Membership.objects.exists()
    # 다른 주소는 그대로 쓴다
    assert invitations.code_check(code=invitation.code, address="10.0.0.9") == invitation
    # 제한 중에는 코드를 찾아보지도 않는다
    monkeypatch.setattr(courses, "invitation_find", lambda code: pytest.fail("looked up"))
    with pytest.raises(InvitationRefused) as refused:
        invitations.code_check(code=invitation.code, address="127.0.0.1")
    assert refused.value.problem == InvitationProblem.THROTTLED


def test_overlapping_wrong_codes_are_looked_up_at_most_the_limit(settings, db, monkeypatch):
    """여러 워커에 한꺼번에 온 추측이 모두 세기 전의 수를 보고 모두 찾아보았다: 세고 나서 찾아야 한도만큼만 찾는다."""
    settings.CLASS_CODE_FAILURES_PER_ADDRESS = 2
    find = courses.invitation_find
    lookups = []

    def overlapping(code):
        lookups.append(code)
        if len(lookups) == 1:
            # 첫 추측을 찾는 사이에 다른 워커의 추측 넷이 같은 주소에서 온다
            for _attempt in range(4):
                with contextlib.suppress(InvitationRefused):
                    invitations.code_check(code="WRONGWRONG", address="10.0.0.1")
        return find(code)

    monkeypatch.setattr(courses, "invitation_find", overlapping)
    with pytest.raises(InvitationRefused):
        invitations.code_check(code="WRONGWRONG", address="10.0.0.1")

    assert len(lookups) == 2


def test_used_up_codes_are_not_counted_as_guesses(settings, course):
    settings.CLASS_CODE_FAILURES_PER_ADDRESS = 2
    old = make_invitation(course, max_uses=1, uses=1)
    fresh = make_invitation(course)

    for _attempt in range(5):
        with pytest.raises(InvitationRefused):
            invitations.code_check(code=old.code, address="10.0.0.1")

    assert invitations.code_check(code=fresh.code, address="10.0.0.1") == fresh


def test_revoked_codes_are_not_counted_as_guesses(settings, course):
    # 강사가 잘못 만든 코드를 거두고 새로 띄웠다: 교실(한 주소)에서 옛 코드를 적은 학생들이 새 코드까지 막지 않는다
    settings.CLASS_CODE_FAILURES_PER_ADDRESS = 2
    old = make_invitation(course, revoked_at=timezone.now())
    fresh = make_invitation(course)

    for _attempt in range(5):
        with pytest.raises(InvitationRefused) as refused:
            invitations.code_check(code=old.code, address="10.0.0.1")
        assert refused.value.problem == InvitationProblem.REVOKED

    assert invitations.code_check(code=fresh.code, address="10.0.0.1") == fresh


def test_unlocking_an_address_clears_its_code_failures(settings, invitation):
    settings.CLASS_CODE_FAILURES_PER_ADDRESS = 1
    with pytest.raises(InvitationRefused):
        invitations.code_check(code="WRONGWRONG", address="10.0.0.1")

    services.address_reset(address="10.0.0.1")

    assert invitations.code_check(code=invitation.code, address="10.0.0.1") == invitation


# ---------------------------------------------------------------- 마지막 한 번의 경쟁


@pytest.mark.django_db(transaction=True)
def test_two_people_racing_for_the_last_use_make_one_account():
    """스레드 둘(각자의 DB 연결)이 max_uses=1인 코드로 동시에 가입한다. PostgreSQL에서는 진짜 경쟁이고 진 쪽은
    "다 썼다"를 받는다. SQLite의 공유 메모리 테스트 DB는 동시에 쓰는 쪽을 바로 "잠겼다"로 거절한다: 그래도 계정은
    하나, 쓴 횟수도 하나다."""
    course = make_course("경쟁반")
    invitation = make_invitation(course, max_uses=1)
    barrier = threading.Barrier(2)
    outcomes = []

    def sign_up(username):
        try:
            barrier.wait()
            services.user_signup(
                username=username, password=GOOD_PASSWORD, address="10.0.0.1", code=invitation.code
            )
            outcomes.append("created")
        except InvitationRefused as refused:
            outcomes.append(refused.problem)
        except OperationalError:
            # SQLite만: 테이블이 잠겼다
            outcomes.append("locked")
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_up, args=(name,)) for name in ("racer1", "racer2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("created") == 1
    if running_on_postgres():
        assert InvitationProblem.USED_UP in outcomes
    assert User.objects.filter(username__startswith="racer").count() == 1
    invitation.refresh_from_db()
    assert invitation.uses == 1
    assert Membership.objects.filter(course=course).count() == 1


# ---------------------------------------------------------------- 다 된 때: 30명이 한 코드로


def test_an_instructor_invites_thirty_students_and_the_thirty_first_is_refused(settings, db):
    settings.SIGNUP_MODE = "invite"
    settings.SIGNUP_PER_ADDRESS_PER_HOUR = 0
    course = make_course("파이썬 입문")
    teacher = Client()
    teacher.force_login(course.instructors.get())

    created = teacher.post(f"/classes/{course.pk}/invitations/", {"max_uses": "30"})
    code = Invitation.objects.get(course=course).code

    assert created.status_code == 302
    for number in range(30):
        student = Client()
        form = student.get(f"/join/{code}/", follow=True)
        assert 'name="code"' in form.content.decode()
        response = post_signup(student, f"student{number}", code, link=True)
        assert response.status_code == 302, response.context["form"].errors
    late = post_signup(Client(), "student30", code, link=True)

    assert course.members.count() == 30
    assert (late.status_code, code_error(late)) == (400, "used_up")
    assert not User.objects.filter(username="student30").exists()
    assert Invitation.objects.get(course=course).uses == 30


def test_joining_twice_at_once_spends_one_use(user, monkeypatch, db):
    from accounts import courses as rules

    course = make_course("동시 반")
    invitation = make_invitation(course, max_uses=5)
    claim = rules.invitation_claim

    def claim_while_another_tab_joins(*, code):
        # 앞의 확인(이미 든 반인가)을 지난 뒤에 다른 탭이 먼저 들었다
        claimed = claim(code=code)
        Membership.objects.get_or_create(user=user, course=course)
        return claimed

    monkeypatch.setattr(rules, "invitation_claim", claim_while_another_tab_joins)

    with pytest.raises(rules.InvitationRefused) as refused:
        rules.course_join(user=user, code=invitation.code)

    assert refused.value.problem == rules.InvitationProblem.ALREADY_MEMBER
    invitation.refresh_from_db()
    # 한 연결 안의 흉내라 "다른 탭"의 행도 함께 되돌려진다: 실제로는 그 탭이 따로 커밋해 한 번만 쓴다
    assert invitation.uses == 0
