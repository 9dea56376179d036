"""반이 채팅에 주는 것: 고를 수 있는 모델, 새 대화의 프리셋, 대화가 속한 반의 한 줄, 공지. 규칙은 accounts.courses.

반 자리(standing)는 요청 하나 동안 user에 붙어 있어서, 여기의 읽기는 대개 질의를 더하지 않는다.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils.text import Truncator

from accounts import courses
from accounts.models import Membership, Preset
from chat import llm
from chat.models import Conversation

# 새 대화 화면의 프리셋 미리보기 길이 (숨기지 않은 것만)
PRESET_PREVIEW_CHARS = 140


def models_for(user) -> list[str]:
    """그 사람이 고를 수 있는 모델: 사이트의 모델 중 기간 안의 반들이 허락한 것 (사이트의 순서 그대로).

    데모 모델은 반이 막지 않는다: 돈이 드는 진짜 모델이 아니고, 설치 직후에도 채팅이 돌아가야 한다.
    """
    available = llm.available_models()
    allowed = courses.standing(user).allowed_models
    if allowed is None or llm.is_demo():
        return available
    return [name for name in available if name in allowed]


def model_allowed(user, model: str) -> bool:
    allowed = courses.standing(user).allowed_models
    return allowed is None or llm.is_demo() or model in allowed


def default_model_for(user) -> str:
    """새 대화의 처음 고른 모델: 사이트의 기본 모델, 반이 허락하지 않으면 허락한 첫 모델."""
    choices = models_for(user)
    default = llm.default_model()
    return default if default in choices or not choices else choices[0]


@dataclass(frozen=True)
class PresetChoice:
    """새 대화 화면의 프리셋 하나. 숨긴 프리셋은 프롬프트를 싣지 않는다 (preview가 빈 글)."""

    pk: int
    name: str
    course_name: str
    hidden: bool
    preview: str


def presets_for(user) -> list[PresetChoice]:
    """기간 안의 반들의 프리셋. 반이 없거나 모두 기간 밖이면 질의하지 않는다."""
    opened = {course.pk: course for course in courses.standing(user).open_courses}
    if not opened:
        return []
    found = Preset.objects.filter(course__in=list(opened)).values_list(
        "pk", "course", "name", "hidden", "system_prompt"
    )
    return [
        PresetChoice(
            pk=pk,
            name=name,
            course_name=opened[course_id].name,
            hidden=hidden,
            preview="" if hidden else Truncator(prompt).chars(PRESET_PREVIEW_CHARS),
        )
        for pk, course_id, name, hidden, prompt in sorted(
            found, key=lambda row: (opened[row[1]].name, row[2], row[0])
        )
    ]


def preset_for(user, pk: int) -> Preset | None:
    """고른 프리셋: 그 사람이 기간 안에 든 반의 것만 (다른 반의 번호는 None)."""
    opened = [course.pk for course in courses.standing(user).open_courses]
    if not opened:
        return None
    return Preset.objects.filter(pk=pk, course__in=opened).select_related("course").first()


def start_prompt(user, preset: Preset | None) -> str:
    """새 대화의 시스템 프롬프트 (학생이 보고 고치는 것).

    숨기지 않은 프리셋은 프롬프트를 앞에, 맞춤 지시를 빈 줄 하나 띄고 뒤에 둔다: 수업의 틀이 먼저이고, 말투 같은
    개인 취향이 그 안에서 더해진다. 숨긴 프리셋은 여기에 없다: 모델에게만 간다 (chat.context).
    """
    if preset is None or preset.hidden:
        return user.custom_instructions
    parts = [preset.system_prompt.strip(), user.custom_instructions.strip()]
    return "\n\n".join(part for part in parts if part)


@dataclass(frozen=True)
class ConversationClass:
    """대화 화면의 한 줄: 어느 반의 대화인지, 강사가 읽을 수 있는지, 어떤 프리셋으로 시작했는지 (이름만)."""

    course_name: str
    instructors_can_read: bool
    preset_name: str


def conversation_class(conversation: Conversation) -> ConversationClass | None:
    """반도 프리셋도 없는 대화는 질의하지 않는다. 있으면 이름 둘을 질의 하나로."""
    if conversation.course_id is None and conversation.preset_id is None:
        return None
    # 반을 떠난(빠진) 학생의 대화는 강사가 더는 열지 못한다 (chat.teaching.class_conversations): 알림도 그것을 따른다
    still_member = Membership.objects.filter(
        user_id=OuterRef("owner_id"), course_id=OuterRef("course_id")
    )
    names = (
        Conversation.objects.filter(pk=conversation.pk)
        .annotate(still_member=Exists(still_member))
        .values_list("course__name", "preset__name", "still_member")
        .first()
    )
    if names is None:
        return None
    course_name, preset_name, still_member = names
    return ConversationClass(
        course_name=course_name or "",
        instructors_can_read=bool(course_name)
        and still_member
        and settings.CLASS_INSTRUCTORS_CAN_READ,
        preset_name=preset_name or "",
    )
