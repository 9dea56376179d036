"""반(수업)의 규칙: 한 사람이 반들 안에서 서 있는 자리(보낼 수 있나, 하루 한도, 고를 수 있는 모델)와 초대 코드로 들기.

한 사람이 여러 반에 들 수 있다. 규칙은 docs/decisions.md "반: 한 사람, 여러 반"에 적었다:
- 반에 하나도 들지 않은 사람은 반이 없던 때와 같다 (사이트의 한도와 모든 모델).
- 반에 든 사람은 기간 안의 반이 하나라도 있어야 보낸다. 모두 끝났거나 아직 시작하지 않았으면 읽기만 한다.
- 하루 한도: 그 사람의 한도 > 기간 안의 반들 중 가장 넉넉한 것(한도를 비운 반은 사이트 기본) > DAILY_TOKEN_QUOTA.
- 모델: 기간 안의 반들이 허락한 모델을 모두 합친 것 (한 반이라도 비워 두면 모든 모델).
"""

import datetime
from dataclasses import dataclass, field
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts import usage
from accounts.models import Course, Invitation, Membership, User

# 요청 하나 동안 user 객체에 붙여 두는 이름: 한도, 모델 고르기, 공지가 질의 하나를 함께 쓴다
_CACHE_ATTRIBUTE = "_course_standing"


@dataclass(frozen=True)
class Standing:
    """한 사람이 오늘 반들 안에서 서 있는 자리. standing(user)가 질의 하나로 만든다."""

    memberships: list[Membership] = field(default_factory=list)
    day: datetime.date | None = None

    @property
    def courses(self) -> list[Course]:
        return [membership.course for membership in self.memberships]

    @property
    def open_courses(self) -> list[Course]:
        """오늘 기간 안의 반."""
        return [course for course in self.courses if course.is_open_on(self.day)]

    @property
    def can_send(self) -> bool:
        """반이 없거나, 기간 안의 반이 하나라도 있으면."""
        return not self.memberships or bool(self.open_courses)

    @property
    def closed_message(self) -> str:
        """보낼 수 없는 까닭 한 문장: 어느 반이 언제 끝났는지, 또는 언제 시작하는지."""
        upcoming = sorted(
            (course for course in self.courses if course.starts_on and course.starts_on > self.day),
            key=lambda course: course.starts_on,
        )
        if upcoming:
            course = upcoming[0]
            return _(
                "Your class “%(name)s” starts on %(day)s. Until then you can read your conversations but not send."
            ) % {"name": course.name, "day": formats.date_format(course.starts_on)}
        ended = sorted(
            (course for course in self.courses if course.ends_on),
            key=lambda course: course.ends_on,
        )
        course = ended[-1] if ended else self.courses[0]
        return _(
            "Your class “%(name)s” ended on %(day)s. You can still read your conversations, but not send new messages."
        ) % {
            "name": course.name,
            "day": formats.date_format(course.ends_on) if course.ends_on else "",
        }

    @property
    def quota(self) -> int | None:
        """기간 안의 반들 중 가장 넉넉한 하루 한도 (0은 제한 없음이라 가장 넉넉하다). 그런 반이 없으면 None."""
        quotas = [
            settings.DAILY_TOKEN_QUOTA
            if course.daily_token_quota is None
            else course.daily_token_quota
            for course in self.open_courses
        ]
        if not quotas:
            return None
        return 0 if 0 in quotas else max(quotas)

    @property
    def allowed_models(self) -> set[str] | None:
        """고를 수 있는 모델. None이면 사이트의 모든 모델 (반이 없거나, 기간 안의 반 하나가 목록을 비워 두었다)."""
        opened = self.open_courses
        if not opened or any(not course.allowed_models for course in opened):
            return None
        return {name for course in opened for name in course.allowed_models}

    @property
    def announcements(self) -> list[Membership]:
        """아직 닫지 않은 공지가 있는 반 (기간 안의 반만)."""
        return [
            membership
            for membership in self.memberships
            if membership.course.announcement
            and membership.course.is_open_on(self.day)
            and (
                membership.announcement_dismissed_at is None
                or (
                    membership.course.announcement_at is not None
                    and membership.announcement_dismissed_at < membership.course.announcement_at
                )
            )
        ]

    def default_course(self) -> Course | None:
        """새 대화가 속할 반: 기간 안의 반 중 가장 최근에 든 것."""
        opened = [m for m in self.memberships if m.course.is_open_on(self.day)]
        return max(opened, key=lambda m: (m.joined_at, m.pk)).course if opened else None


def with_memberships(queryset):
    """standing이 읽는 모양: 반과 함께. 사람 목록에는 Prefetch("memberships", with_memberships(...))로."""
    return queryset.select_related("course").order_by("pk")


def standing(user: User) -> Standing:
    """그 사람의 자리. 질의 하나이고, 요청 하나 동안 user 객체에 붙여 둔다 (한도와 모델 고르기가 함께 쓴다)."""
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is not None:
        return cached
    if "memberships" in getattr(user, "_prefetched_objects_cache", {}):
        # 목록(관리 화면의 사람들)이 with_memberships로 미리 읽어 두었다: 사람마다 질의하지 않는다
        memberships = list(user.memberships.all())
    elif user.pk:
        memberships = list(with_memberships(Membership.objects.filter(user=user)))
    else:
        memberships = []
    result = Standing(memberships=memberships, day=usage.today())
    setattr(user, _CACHE_ATTRIBUTE, result)
    return result


def standing_forget(user: User) -> None:
    """반에 들거나 나간 뒤: 다음 standing(user)가 다시 읽는다."""
    if hasattr(user, _CACHE_ATTRIBUTE):
        delattr(user, _CACHE_ATTRIBUTE)


# ---------------------------------------------------------------- 초대 코드


class InvitationProblem(StrEnum):
    """코드를 쓸 수 없는 까닭. 문장은 invitation_problem_message 한 곳에."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED_UP = "used_up"
    ENDED = "ended"
    THROTTLED = "throttled"
    ALREADY_MEMBER = "already_member"
    REVOKED = "revoked"


def invitation_problem_message(problem: InvitationProblem) -> str:
    return {
        InvitationProblem.UNKNOWN: _(
            "That class code is not valid. Check it with your instructor and try again."
        ),
        InvitationProblem.EXPIRED: _(
            "That class code has expired. Ask your instructor for a new one."
        ),
        InvitationProblem.USED_UP: _(
            "That class code has been used as many times as it allows. Ask your instructor for a new one."
        ),
        InvitationProblem.ENDED: _("That class has ended, so it takes no new members."),
        InvitationProblem.THROTTLED: _(
            "Too many wrong class codes from this network. Please wait a few minutes and try again."
        ),
        InvitationProblem.ALREADY_MEMBER: _("You are already in that class."),
        InvitationProblem.REVOKED: _(
            "Your instructor withdrew that class code. Ask them for the current one."
        ),
    }[problem]


class InvitationRefused(Exception):
    def __init__(self, problem: InvitationProblem):
        super().__init__(problem)
        self.problem = problem
        self.message = invitation_problem_message(problem)


def normalize_code(text: str) -> str:
    """사람이 적은 코드: 대문자로, 붙임표·띄어쓰기는 뺀다 ("abcde-fghjk" → "ABCDEFGHJK")."""
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())


def invitation_find(code: str) -> Invitation | None:
    """쓸 수 있는지와 상관없이 코드의 초대 (가입 화면이 반 이름을 미리 보여 준다). 없거나 거둔 것이면 None."""
    code = normalize_code(code)
    if not code:
        return None
    return (
        Invitation.objects.filter(code=code, revoked_at__isnull=True)
        .select_related("course")
        .first()
    )


def invitation_was_revoked(code: str) -> bool:
    """거둔 코드인가. 없는 코드와 갈라 말하려고 따로 묻는다: 거둔 코드는 추측이 아니다 (강사가 다시 띄운 새 코드를 반
    전체가 한 주소에서 적기 전에 옛 코드로 추측 한도를 다 쓰지 않게). 코드가 거두어졌다는 것 말고는 알리지 않는다."""
    code = normalize_code(code)
    return bool(code) and Invitation.objects.filter(code=code, revoked_at__isnull=False).exists()


def _usable(now) -> Q:
    return (
        Q(revoked_at__isnull=True)
        & (Q(max_uses__isnull=True) | Q(uses__lt=F("max_uses")))
        & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    )


def invitation_claim(*, code: str) -> Invitation:
    """초대 한 번을 쓴다. 호출하는 쪽의 트랜잭션 안에서 부른다: 가입이 실패하면 쓴 것도 되돌려진다.

    조건부 UPDATE 하나로 센다: 마지막 한 번을 두 사람이 동시에 써도 한 사람만 1행을 바꾼다.
    """
    invitation = invitation_find(code)
    if invitation is None:
        raise InvitationRefused(InvitationProblem.UNKNOWN)
    course = invitation.course
    if course.ends_on is not None and course.ends_on < usage.today():
        raise InvitationRefused(InvitationProblem.ENDED)
    now = timezone.now()
    won = Invitation.objects.filter(_usable(now), pk=invitation.pk).update(uses=F("uses") + 1) == 1
    if not won:
        invitation.refresh_from_db(fields=["uses", "expires_at", "max_uses", "revoked_at"])
        if invitation.is_revoked:
            raise InvitationRefused(InvitationProblem.REVOKED)
        if invitation.is_expired(now):
            raise InvitationRefused(InvitationProblem.EXPIRED)
        raise InvitationRefused(InvitationProblem.USED_UP)
    invitation.uses += 1
    return invitation


def membership_create(
    *, user: User, course: Course, invitation: Invitation | None = None
) -> Membership:
    """반에 넣는다. 이미 든 사람이면 그대로 둔다."""
    membership, _created = Membership.objects.get_or_create(
        user=user, course=course, defaults={"invitation": invitation}
    )
    standing_forget(user)
    return membership


def course_join(*, user: User, code: str) -> Membership:
    """이미 있는 사람이 코드로 반에 든다 (계정 메뉴의 "반에 들기"). 이미 든 반이면 코드를 쓰지 않고 거절한다."""
    invitation = invitation_find(code)
    if (
        invitation is not None
        and Membership.objects.filter(user=user, course_id=invitation.course_id).exists()
    ):
        raise InvitationRefused(InvitationProblem.ALREADY_MEMBER)
    with transaction.atomic():
        invitation = invitation_claim(code=code)
        membership, created = Membership.objects.get_or_create(
            user=user, course=invitation.course, defaults={"invitation": invitation}
        )
        if not created:
            # 같은 사람이 동시에 두 번 들었다 (두 탭): 먼저 든 쪽만 한 번을 쓴다. 거절이 이 트랜잭션의 한 번을 되돌린다
            raise InvitationRefused(InvitationProblem.ALREADY_MEMBER)
        standing_forget(user)
        return membership
