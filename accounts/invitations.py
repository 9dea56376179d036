"""반 초대 코드의 강사 쪽(만들기, 거두기, 상태, QR)과, 코드를 적는 세 곳(가입, 반에 들기, 링크)이 함께 쓰는 확인.

코드를 쓰는 규칙(한 번 쓰기, 반에 넣기)은 accounts.courses에 있다. 여기서는 쓰기 전에 미리 보는 것과 추측 제한이다.
"""

import datetime
import io
from dataclasses import dataclass
from enum import StrEnum

import segno
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import courses, services, usage
from accounts.models import Course, Invitation, Membership, User
from core.audit import Action, audit_record


class InvitationStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    USED_UP = "used_up"
    REVOKED = "revoked"


STATUS_LABELS = {
    InvitationStatus.ACTIVE: _("active"),
    InvitationStatus.EXPIRED: _("expired"),
    InvitationStatus.USED_UP: _("used up"),
    InvitationStatus.REVOKED: _("revoked"),
}


def invitation_status(invitation: Invitation, now=None) -> InvitationStatus:
    """목록에 보일 상태 하나. 거둔 것이 먼저다 (거둔 뒤에는 다른 까닭이 상관없다)."""
    if invitation.is_revoked:
        return InvitationStatus.REVOKED
    if invitation.is_expired(now):
        return InvitationStatus.EXPIRED
    if invitation.is_used_up:
        return InvitationStatus.USED_UP
    return InvitationStatus.ACTIVE


@dataclass(frozen=True)
class InvitationRow:
    invitation: Invitation
    status: InvitationStatus

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]

    @property
    def can_revoke(self) -> bool:
        return self.status != InvitationStatus.REVOKED


def invitation_rows(course: Course) -> list[InvitationRow]:
    """반의 초대 코드, 새것부터. 질의 하나."""
    now = timezone.now()
    return [
        InvitationRow(invitation, invitation_status(invitation, now))
        for invitation in course.invitations.all()
    ]


def pending_members(course: Course):
    """그 반에 들었고 승인을 기다리는 사람 (SIGNUP_MODE=approval), 먼저 든 사람부터."""
    return User.objects.filter(
        memberships__course=course, awaiting_approval=True, is_active=True
    ).order_by("memberships__joined_at", "pk")


def invitation_create(
    *,
    course: Course,
    actor: User,
    max_uses: int | None = None,
    expires_in_days: int | None = None,
    request=None,
) -> Invitation:
    """새 초대 코드. expires_in_days일 동안 (오늘이 첫날이고 마지막 날이 끝날 때까지: 1이면 오늘 밤 자정까지)."""
    expires_at = None
    if expires_in_days:
        last_day = usage.today() + datetime.timedelta(days=expires_in_days - 1)
        expires_at = timezone.make_aware(
            datetime.datetime.combine(last_day + datetime.timedelta(days=1), datetime.time.min)
        )
    with transaction.atomic():
        invitation = Invitation.objects.create(
            course=course, created_by=actor, max_uses=max_uses, expires_at=expires_at
        )
        audit_record(
            actor=actor,
            action=Action.INVITATION_CREATED,
            target=invitation,
            payload={
                "course": course.pk,
                "max_uses": max_uses,
                "expires_at": expires_at.isoformat() if expires_at else None,
            },
            request=request,
        )
    return invitation


def invitation_revoke(*, invitation: Invitation, actor: User, request=None) -> bool:
    """코드를 거둔다: 그 뒤로는 없는 코드와 같다. 이미 든 사람은 그대로 반에 남는다. 이미 거둔 것이면 False."""
    now = timezone.now()
    with transaction.atomic():
        won = Invitation.objects.filter(pk=invitation.pk, revoked_at__isnull=True).update(
            revoked_at=now
        )
        if won:
            audit_record(
                actor=actor,
                action=Action.INVITATION_REVOKED,
                target=invitation,
                payload={"course": invitation.course_id, "uses": invitation.uses},
                request=request,
            )
    if won:
        invitation.revoked_at = now
    return bool(won)


def code_check(*, code: str, address: str) -> Invitation:
    """코드를 쓰기 전에 미리 본다 (반 이름을 보여 주고, 틀린 코드는 바로 알린다). 쓰는 것은 courses.invitation_claim.

    한 주소가 너무 많이 틀렸으면 찾아보지도 않고 THROTTLED. 찾기 전에 세고, 있는 코드면 되돌린다: 없는 코드만 실패로
    남는다 (거둔 코드는 추측이 아니니 되돌리고 REVOKED).
    """
    if services.class_code_attempt_begin(address=address):
        raise courses.InvitationRefused(courses.InvitationProblem.THROTTLED)
    invitation = courses.invitation_find(code)
    if invitation is None:
        if courses.invitation_was_revoked(code):
            services.class_code_found(address=address)
            raise courses.InvitationRefused(courses.InvitationProblem.REVOKED)
        raise courses.InvitationRefused(courses.InvitationProblem.UNKNOWN)
    services.class_code_found(address=address)
    course = invitation.course
    if course.ends_on is not None and course.ends_on < usage.today():
        raise courses.InvitationRefused(courses.InvitationProblem.ENDED)
    if invitation.is_expired():
        raise courses.InvitationRefused(courses.InvitationProblem.EXPIRED)
    if invitation.is_used_up:
        raise courses.InvitationRefused(courses.InvitationProblem.USED_UP)
    return invitation


def course_join_by_code(*, user: User, code: str, address: str) -> Membership:
    """이미 있는 사람이 코드로 반에 든다 (반에 들기 양식, 링크의 확인 단추): 추측 제한을 거친 course_join."""
    code_check(code=code, address=address)
    return courses.course_join(user=user, code=code)


def is_member(*, user: User, invitation: Invitation) -> bool:
    return Membership.objects.filter(user=user, course_id=invitation.course_id).exists()


def refusal_status(refused: courses.InvitationRefused) -> int:
    """거절의 HTTP 상태: 너무 많이 틀렸으면 429, 나머지는 400."""
    return 429 if refused.problem == courses.InvitationProblem.THROTTLED else 400


def qr_svg(url: str) -> bytes:
    """링크의 QR 코드 SVG. 가장자리의 흰 여백(quiet zone, 4칸)까지 흰색으로 칠한다: 어두운 화면에서도 폰이 읽는다.

    오류 정정은 M: 교실 뒤에서 프로젝터 화면을 찍어도 읽히는 정도이면서 칸이 너무 잘지 않게.
    """
    buffer = io.BytesIO()
    segno.make(url, error="m", boost_error=False).save(
        buffer,
        kind="svg",
        scale=8,
        border=4,
        dark="#000",
        light="#fff",
        xmldecl=False,
        svgclass=None,
        lineclass=None,
    )
    return buffer.getvalue()
