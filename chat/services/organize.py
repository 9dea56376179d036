"""대화를 고치는 작은 동작: 이름, 지시, 모델, 고정, 보관, 지우기, 반의 공지 닫기."""

from django.db import transaction
from django.utils import timezone

from accounts import courses
from accounts.models import Course, Membership
from chat import llm
from chat.attachments.models import Attachment
from chat.models import Conversation, Message
from chat.services.sending import reply_stop


def conversation_rename(*, conversation: Conversation, title: str) -> Conversation:
    conversation.title = title
    # 사람이 지은 이름은 자동 제목이 덮어쓰지 않는다
    conversation.needs_title = False
    conversation.save(update_fields=["title", "needs_title"])
    return conversation


def conversation_configure(*, conversation: Conversation, system_prompt: str) -> Conversation:
    conversation.system_prompt = system_prompt
    conversation.save(update_fields=["system_prompt"])
    return conversation


def conversation_model_choose(*, conversation: Conversation, model: str) -> Conversation:
    """다음 답변부터 쓸 모델. 지난 답변은 저마다 쓴 모델을 기억한다 (Message.model)."""
    conversation.model = llm.usable_model(model)
    conversation.save(update_fields=["model"])
    return conversation


def conversation_pin(*, conversation: Conversation, pinned: bool) -> Conversation:
    """사이드바 맨 위에 고정하거나 푼다. 이미 고정한 것을 다시 고정해도 순서(고정한 때)는 그대로다."""
    if pinned != conversation.is_pinned:
        conversation.pinned_at = timezone.now() if pinned else None
        conversation.save(update_fields=["pinned_at"])
    return conversation


def conversation_archive(*, conversation: Conversation, archived: bool) -> Conversation:
    """보관함에 넣거나 꺼낸다. 보관해도 지우지 않고, 고정 여부는 꺼낼 때를 위해 남긴다."""
    if archived != conversation.is_archived:
        conversation.archived_at = timezone.now() if archived else None
        conversation.save(update_fields=["archived_at"])
    return conversation


def conversation_delete(*, conversation: Conversation) -> None:
    """대화와 메시지를 지운다. 생성 중인 답변은 먼저 멈춤과 같은 길로 멈춘다: 모델 호출이 바로 닫히고,
    열린 스트림은 done으로 끝난다 (다음 진행 저장까지 기다리지 않는다)."""
    for reply in Message.objects.filter(conversation=conversation, status__in=Message.ACTIVE):
        reply_stop(reply=reply)
    with transaction.atomic():
        # 첨부를 먼저, 꺼낸 글 없이: 파일 지우기 신호 때문에 Django가 행을 읽어 오는데 글까지 읽을 까닭이 없다
        Attachment.objects.filter(message__conversation=conversation).defer("text").delete()
        conversation.delete()


def announcement_dismiss(*, user, course: Course) -> bool:
    """그 반의 공지를 닫는다. 강사가 공지를 고치면 (announcement_at이 더 나중) 다시 보인다. 반에 든 사람만: 아니면 False."""
    closed = Membership.objects.filter(user=user, course=course).update(
        announcement_dismissed_at=timezone.now()
    )
    courses.standing_forget(user)
    return closed == 1
