"""강사의 초대 코드: 만들기(횟수, 기간), 목록의 상태, 거두기, 프로젝터용 QR 화면과 SVG, 권한(404), 감사 기록.
그리고 create_users --class."""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from accounts import courses, invitations
from accounts.courses import InvitationProblem, InvitationRefused
from accounts.models import Invitation, Membership, User
from core.audit import Action
from core.models import AuditEvent
from tests.support.factories import STAFF_PASSWORD, make_class_operator
from tests.support.joining import make_course, make_invitation


@pytest.fixture
def course(db):
    return make_course("과학 1반")


@pytest.fixture
def teacher(course):
    client = Client()
    client.force_login(course.instructors.get())
    return client


def test_an_instructor_creates_a_code_with_a_limit_and_days(teacher, course, settings):
    teacher.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = teacher.post(
        f"/classes/{course.pk}/invitations/", {"max_uses": "30", "expires_in_days": "7"}
    )

    invitation = Invitation.objects.get(course=course)
    assert response.url == f"/classes/{course.pk}/invitations/"
    assert invitation.max_uses == 30
    assert invitation.created_by == course.instructors.get()
    # 오늘이 첫날, 이레째 밤 자정까지
    last_day = timezone.localdate() + datetime.timedelta(days=6)
    assert timezone.localtime(invitation.expires_at).date() == last_day + datetime.timedelta(days=1)
    event = AuditEvent.objects.get(action=Action.INVITATION_CREATED)
    assert event.target_id == str(invitation.pk)
    assert event.payload["max_uses"] == 30
    page = teacher.get(response.url).content.decode()
    assert invitation.code_display in page
    assert f"http://testserver/join/{invitation.code}/" in page
    assert "0 of 30" in page


def test_a_code_without_limits_needs_nothing(teacher, course):
    teacher.post(f"/classes/{course.pk}/invitations/", {"max_uses": "", "expires_in_days": ""})

    invitation = Invitation.objects.get(course=course)
    assert (invitation.max_uses, invitation.expires_at) == (None, None)


@pytest.mark.parametrize(
    "fields", [{"max_uses": "0"}, {"expires_in_days": "-1"}, {"max_uses": "x"}]
)
def test_bad_numbers_are_field_errors(teacher, course, fields):
    response = teacher.post(f"/classes/{course.pk}/invitations/", fields)

    assert response.status_code == 400
    assert response.context["form"].errors
    assert not Invitation.objects.exists()


def test_the_list_shows_each_status(teacher, course):
    past = timezone.now() - datetime.timedelta(days=1)
    make_invitation(course, code="AAAAAAAAAA")
    make_invitation(course, code="BBBBBBBBBB", expires_at=past)
    make_invitation(course, code="CCCCCCCCCC", max_uses=1, uses=1)
    make_invitation(course, code="DDDDDDDDDD", revoked_at=past)

    rows = teacher.get(f"/classes/{course.pk}/invitations/").context["rows"]

    statuses = {row.invitation.code: row.status for row, _link in rows}
    assert statuses == {
        "AAAAAAAAAA": "active",
        "BBBBBBBBBB": "expired",
        "CCCCCCCCCC": "used_up",
        "DDDDDDDDDD": "revoked",
    }


def test_the_list_reads_the_same_number_of_queries_for_many_codes(
    teacher, course, django_assert_max_num_queries
):
    make_invitation(course)
    with django_assert_max_num_queries(12) as few:
        teacher.get(f"/classes/{course.pk}/invitations/")
    for _number in range(15):
        make_invitation(course)
    for number in range(3):
        waiting = User.objects.create_user(
            f"waiting{number}", password=STAFF_PASSWORD, awaiting_approval=True
        )
        courses.membership_create(user=waiting, course=course)
    with django_assert_max_num_queries(len(few)):
        teacher.get(f"/classes/{course.pk}/invitations/")


def test_revoking_stops_the_code_and_keeps_the_members(teacher, course, user):
    invitation = make_invitation(course)
    courses.course_join(user=user, code=invitation.code)

    response = teacher.post(f"/classes/{course.pk}/invitations/{invitation.pk}/revoke/")
    teacher.post(f"/classes/{course.pk}/invitations/{invitation.pk}/revoke/")

    assert response.url == f"/classes/{course.pk}/invitations/"
    invitation.refresh_from_db()
    assert invitation.is_revoked
    assert AuditEvent.objects.filter(action=Action.INVITATION_REVOKED).count() == 1
    assert Membership.objects.filter(user=user, course=course).exists()
    with pytest.raises(InvitationRefused) as refused:
        invitations.code_check(code=invitation.code, address="10.0.0.1")
    assert refused.value.problem == InvitationProblem.REVOKED


def test_the_projector_page_shows_the_code_link_and_qr(teacher, course):
    invitation = make_invitation(course)

    page = teacher.get(f"/classes/{course.pk}/invitations/{invitation.pk}/")
    qr = teacher.get(f"/classes/{course.pk}/invitations/{invitation.pk}/qr.svg")

    text = page.content.decode()
    assert invitation.code_display in text
    assert f"http://testserver/join/{invitation.code}/" in text
    assert f'src="/classes/{course.pk}/invitations/{invitation.pk}/qr.svg"' in text
    assert qr.status_code == 200
    assert qr["Content-Type"] == "image/svg+xml"
    assert qr.content.startswith(b'<svg xmlns="http://www.w3.org/2000/svg"')
    # 흰 바탕(여백 포함)이 그림 안에 있다: 어두운 화면에서도 읽힌다
    assert b'fill="#fff"' in qr.content


def test_invitation_pages_are_404_for_anyone_else(course, user, logged_in):
    invitation = make_invitation(course)
    other_course = make_course("다른 반")
    other_teacher = Client()
    other_teacher.force_login(other_course.instructors.get())
    courses.membership_create(user=user, course=course)
    urls = [
        f"/classes/{course.pk}/invitations/",
        f"/classes/{course.pk}/invitations/{invitation.pk}/",
        f"/classes/{course.pk}/invitations/{invitation.pk}/qr.svg",
    ]

    for client in (logged_in, other_teacher):
        for url in urls:
            assert client.get(url).status_code == 404, url
        assert client.post(urls[0], {"max_uses": "3"}).status_code == 404
        assert (
            client.post(f"/classes/{course.pk}/invitations/{invitation.pk}/revoke/").status_code
            == 404
        )
    # 이 반의 강사라도 다른 반의 코드는 이 반의 주소로 열 수 없다
    other = make_invitation(other_course)
    teacher = Client()
    teacher.force_login(course.instructors.get())
    assert teacher.get(f"/classes/{course.pk}/invitations/{other.pk}/").status_code == 404
    assert Invitation.objects.filter(revoked_at__isnull=False).count() == 0


def test_staff_see_every_class_invitations(course):
    boss = Client()
    boss.force_login(make_class_operator("boss"))

    assert boss.get(f"/classes/{course.pk}/invitations/").status_code == 200


# ---------------------------------------------------------------- create_users --class


def write_roster(tmp_path):
    roster = tmp_path / "class.csv"
    roster.write_text(
        "username,password\nhana,maple-lantern-58\ndul,maple-lantern-59\n", encoding="utf-8"
    )
    return roster


@pytest.mark.parametrize("by", ["pk", "name"])
def test_create_users_puts_everyone_in_the_class(tmp_path, capsys, course, by):
    target = str(course.pk) if by == "pk" else course.name

    call_command("create_users", str(write_roster(tmp_path)), "--class", target, "--language", "en")

    assert set(course.members.values_list("username", flat=True)) == {"hana", "dul"}
    assert "2 joined the class “과학 1반”." in capsys.readouterr().out


def test_create_users_with_an_unknown_class_creates_nobody(tmp_path, course):
    with pytest.raises(CommandError, match="There is no class “없는 반”"):
        call_command(
            "create_users", str(write_roster(tmp_path)), "--class", "없는 반", "--language", "en"
        )

    assert not User.objects.filter(username__in=["hana", "dul"]).exists()


def test_create_users_asks_for_the_number_when_names_repeat(tmp_path, course):
    make_course(course.name)

    with pytest.raises(CommandError):
        call_command(
            "create_users", str(write_roster(tmp_path)), "--class", course.name, "--language", "en"
        )

    assert not User.objects.filter(username="hana").exists()
