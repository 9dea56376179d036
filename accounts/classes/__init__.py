"""강사의 반 화면이 쓰는 것 중 accounts 층의 것: 반의 상태, 메뉴의 "반" 고리, 쓰기(services), 양식(forms).

학생의 대화·메시지·신고를 읽는 통계는 chat 층에 있다 (chat.teaching): accounts는 chat을 가져오지 않는다.
"""

import datetime
from enum import StrEnum

from django.contrib.auth.models import Permission
from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext as _

from accounts import usage
from accounts.models import Course, User

# 반을 만들 수 있는 권한 (Instructors 모둠이 가진다: accounts/migrations/0006)
CREATE_PERMISSION = "accounts.add_course"


class CourseStatus(StrEnum):
    """오늘 반이 선 자리. 값은 CSS 클래스(class-status-…)의 끝이다."""

    UPCOMING = "upcoming"
    RUNNING = "running"
    ENDED = "ended"


def course_status(course: Course, day: datetime.date | None = None) -> CourseStatus:
    day = day or usage.today()
    if course.starts_on is not None and day < course.starts_on:
        return CourseStatus.UPCOMING
    if course.ends_on is not None and course.ends_on < day:
        return CourseStatus.ENDED
    return CourseStatus.RUNNING


def status_label(status: CourseStatus) -> str:
    return {
        CourseStatus.UPCOMING: _("Upcoming"),
        CourseStatus.RUNNING: _("Running"),
        CourseStatus.ENDED: _("Ended"),
    }[status]


def status_context(course: Course) -> dict:
    """반 화면들의 머리(classes/includes/header.html)가 그리는 상태와 그 말."""
    status = course_status(course)
    return {"status": status, "status_label": status_label(status)}


def courses_for_list(user: User):
    """/classes/의 목록: 가르치는 반(운영자는 모두)과 학생 수. 질의 하나."""
    return Course.objects.taught_by(user).annotate(member_count=Count("memberships", distinct=True))


# 계정 메뉴의 "반" 고리를 세션에 적어 두는 이름: (그날, 참거짓)
SESSION_KEY = "sees_classes"


def menu_shows_classes(request) -> bool:
    """계정 메뉴에 "반"을 보일까. 채팅 화면마다 질의하지 않도록 세션에 적어 둔 값을 쓴다.

    값은 로그인할 때(accounts.apps가 user_logged_in에 건다) 적고 하루에 한 번 다시 센다: 그 사이에 강사로 더해진
    사람은 다음 로그인이나 다음 날부터 고리를 본다 (주소 /classes/는 그 전에도 열린다).
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    stored = request.session.get(SESSION_KEY)
    if isinstance(stored, list) and len(stored) == 2 and stored[0] == usage.today().isoformat():
        return bool(stored[1])
    return remember_sees_classes(request=request, user=user)


def remember_sees_classes(*, request, user: User) -> bool:
    """세어서 세션에 적는다. 로그인 때는 세션이 어차피 저장되므로 쓰기가 늘지 않는다."""
    value = sees_classes(user)
    request.session[SESSION_KEY] = [usage.today().isoformat(), value]
    return value


def sees_classes(user: User) -> bool:
    """가르치는 반이 있거나 반을 만들 수 있는 사람인가.

    운영자와 최고 관리자는 질의 없이 참이다. 다른 사람은 EXISTS 하나 (권한 전체를 읽는 has_perm은 질의 둘이다).
    권한의 뜻은 has_perm과 같다: 모둠 또는 사람에게 준 add_course.
    """
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_staff or user.is_superuser:
        return True
    app_label, codename = CREATE_PERMISSION.split(".")
    permission = Q(codename=codename, content_type__app_label=app_label)
    teaches = Course.instructors.through.objects.filter(user=OuterRef("pk"))
    by_group = User.groups.through.objects.filter(
        user=OuterRef("pk"),
        group__permissions__in=_permissions(permission),
    )
    by_person = User.user_permissions.through.objects.filter(
        user=OuterRef("pk"), permission__in=_permissions(permission)
    )
    return (
        User.objects.filter(pk=user.pk)
        .filter(Exists(teaches) | Exists(by_group) | Exists(by_person))
        .exists()
    )


def _permissions(condition: Q):
    return Permission.objects.filter(condition).values("pk")
