"""강사가 반을 바꾸는 일: 만들기, 고치기, 프리셋, 학생 빼기. 반에 관한 쓰기는 감사 기록과 같은 트랜잭션에서 한다."""

from django.db import transaction
from django.utils import timezone

from accounts import courses
from accounts.models import Course, Membership, Preset, User
from core.audit import Action, audit_record

# 양식이 고칠 수 있는 반의 칸. 감사 기록에는 바뀐 칸의 이름만 남긴다 (공지 글은 길다)
COURSE_FIELDS = (
    "name",
    "starts_on",
    "ends_on",
    "daily_token_quota",
    "allowed_models",
    "announcement",
    "retention_days",
)


def course_create(*, creator: User, values: dict, instructors: list[User], request=None) -> Course:
    """반을 만든다. 만든 사람은 늘 강사다 (강사 칸에서 자기를 뺐더라도)."""
    course = Course(**{name: values[name] for name in COURSE_FIELDS})
    if course.announcement:
        course.announcement_at = timezone.now()
    with transaction.atomic():
        course.save()
        course.instructors.set({creator.pk, *(user.pk for user in instructors)})
        audit_record(
            actor=creator,
            action=Action.CLASS_CREATED,
            target=course,
            payload={"instructors": sorted(course.instructors.values_list("username", flat=True))},
            request=request,
        )
    return course


def course_change(
    *, course: Course, actor: User, values: dict, instructors: list[User], request=None
) -> list[str]:
    """반을 고친다. 바뀐 칸의 이름을 돌려준다 (강사가 바뀌었으면 "instructors"도). 바뀐 것이 없으면 쓰지 않는다.

    공지 글이 바뀌면 announcement_at을 지금으로: 학생이 닫아 둔 공지가 다시 보인다.
    """
    changed = [name for name in COURSE_FIELDS if getattr(course, name) != values[name]]
    before = set(course.instructors.values_list("pk", flat=True))
    after = {user.pk for user in instructors}
    if before != after:
        changed.append("instructors")
    if not changed:
        return []
    for name in COURSE_FIELDS:
        setattr(course, name, values[name])
    if "announcement" in changed:
        course.announcement_at = timezone.now() if course.announcement else None
    with transaction.atomic():
        course.save()
        if before != after:
            course.instructors.set(after)
        audit_record(
            actor=actor,
            action=Action.CLASS_CHANGED,
            target=course,
            payload={"fields": changed},
            request=request,
        )
    return changed


def preset_create(*, course: Course, name: str, system_prompt: str, hidden: bool) -> Preset:
    return Preset.objects.create(
        course=course, name=name, system_prompt=system_prompt, hidden=hidden
    )


def preset_change(*, preset: Preset, name: str, system_prompt: str, hidden: bool) -> Preset:
    """이미 이 프리셋으로 연 대화는 그대로다: 숨기지 않은 프롬프트는 대화에 복사되었고, 숨긴 것은 새 글을 읽는다."""
    preset.name, preset.system_prompt, preset.hidden = name, system_prompt, hidden
    preset.save(update_fields=["name", "system_prompt", "hidden", "updated_at"])
    return preset


def preset_delete(*, preset: Preset) -> None:
    """지운다. 이 프리셋으로 연 대화는 남고 프리셋 고리만 비워진다 (Conversation.preset은 SET_NULL)."""
    preset.delete()


def member_remove(*, course: Course, member: User, actor: User, request=None) -> bool:
    """반에서 뺀다. 그 사람의 대화는 남는다 (학생의 것이다). 이미 빠졌으면 아무것도 쓰지 않고 False."""
    with transaction.atomic():
        deleted, _rows = Membership.objects.filter(course=course, user=member).delete()
        if not deleted:
            return False
        audit_record(
            actor=actor,
            action=Action.CLASS_MEMBER_REMOVED,
            target=course,
            payload={"member": member.username},
            request=request,
        )
    courses.standing_forget(member)
    return True
