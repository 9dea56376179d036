"""메시지 보내기, 다시 생성, 고쳐 보내기, 갈래 바꾸기, 멈추기. 두 번 이상 쓰는 동작은 한 트랜잭션으로 묶는다.

규칙의 확인은 chat.services.rules에 있다: 트랜잭션과 잠금보다 먼저 부를 것(반, 그림)과 잠근 뒤에 부를 것(진행 중,
한도, 빠르기)을 여기서 고른다.
"""

import copy
from functools import partial
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import courses
from accounts.models import Preset
from chat import classes, feed, generation, llm, replies, titles, tree
from chat.attachments import services as attachments
from chat.attachments.models import Attachment
from chat.models import Conversation, Message
from chat.services import rules
from chat.services.rules import ChatRefused, RefusalCode
from core import rows


class SentPair(NamedTuple):
    """보낸 메시지와 그 답변(대기 중). 화면은 이 둘을 그린다."""

    message: Message
    reply: Message


def _pair_create(
    conversation: Conversation,
    content: str,
    *,
    parent_id: int | None,
    files: list[Attachment] = (),
    copied: list[Attachment] = (),
) -> SentPair:
    """사람의 메시지를 parent_id 밑에, 대기 중인 답변을 그 밑에 만들고 그 답변을 대화의 지금 끝으로 삼는다.

    files: 올려 둔 파일을 이 메시지에 붙인다. copied: 고쳐 보낸 질문이 이어받는 옛 질문의 파일 (사람이 남긴 것).
    """
    now = timezone.now()
    message = Message(
        conversation=conversation,
        parent_id=parent_id,
        role=Message.Role.USER,
        content=content,
        has_attachments=bool(files) or bool(copied),
        created_at=now,
        updated_at=now,
    )
    # bulk_create와 같은 문장을 직접 짓는다 (core.rows): 보낼 때마다 도는 곳이라 ORM이 문장을 짓는 값을
    # 아낀다 (docs/bench-history.md#따로-잰-값--one-off-measurements). 답변은 질문의 번호를 알아야 해서 따로 넣는다.
    rows.insert(Message, [message])
    if files:
        attachments.attach(message=message, attachments=list(files))
    if copied:
        attachments.copy(items=copied, message=message)
    return SentPair(message, _reply_create(conversation, parent_id=message.pk, now=now))


def _reply_create(
    conversation: Conversation, *, parent_id: int, now, regenerated: bool = False
) -> Message:
    """parent_id 밑에 대기 중인 답변을 만들고, 대화의 끝으로 삼고, 커밋 뒤에 생성을 시작한다."""
    reply = Message(
        conversation=conversation,
        parent_id=parent_id,
        role=Message.Role.ASSISTANT,
        status=Message.Status.PENDING,
        model=llm.usable_model(conversation.model),
        created_at=now,
        updated_at=now,
    )
    rows.insert(Message, [reply])
    # 보관한 대화에 보내면 보관이 풀린다 (ChatGPT처럼): 다시 쓰는 대화는 사이드바에 있어야 찾는다
    rows.update(
        Conversation,
        {"pk": conversation.pk},
        updated_at=now,
        current_leaf=reply.pk,
        archived_at=None,
    )
    conversation.current_leaf_id = reply.pk
    conversation.archived_at = None
    # "‹ 2 / 3 ›"는 여기서 정해 둔다: 답변이 쓰이는 동안 형제가 더 생기지 않으므로 끝날 때도 같다. 같은 프로세스의
    # 스트림은 사본에 붙은 이 값으로 마지막 그림을 그린다 (보내기의 답변은 형제가 없어 질의도 없다)
    if regenerated:
        tree.reply_versions(reply)
    else:
        reply.versions = None
    # 작업에는 사본을: 화면이 그리는 답변을 작업이 바꾸지 않게. 작업은 이것으로 맡아 다시 읽지 않는다.
    _start_after_commit(reply.pk, reply.attempt, copy.copy(reply))
    return reply


def _start_after_commit(reply_id: int, attempt: int, reply: Message | None = None) -> None:
    # 받아들인 순간 생성을 시작한다: 브라우저가 스트림을 여는 동안 모델은 첫 토큰을 만든다.
    # 커밋 뒤에: 되돌려진 행을 작업이 보는 일이 없게.
    transaction.on_commit(partial(generation.start, reply_id, attempt, reply))


def conversation_start(
    *, user, content: str, model: str, preset: Preset | None = None, files: list[Attachment] = ()
) -> Message:
    """새 대화와 첫 메시지, 대기 중인 답변을 한 번에 만든다. 답변을 돌려준다.

    그 사람의 맞춤 지시를 대화의 시스템 프롬프트로 복사한다: 맞춤 지시를 나중에 고쳐도 이 대화는 그대로다.
    프리셋(양식이 그 사람의 기간 안 반의 것만 받는다)으로 시작하면 대화는 그 반의 것이고, 숨기지 않은 프롬프트는
    맞춤 지시 앞에 복사된다 (chat.classes.start_prompt). 아니면 가장 최근에 든 기간 안의 반의 것이다.
    """
    model = llm.usable_model(model)
    rules.class_check(user, model)
    rules.sight_check(model, files)
    course = preset.course if preset is not None else courses.standing(user).default_course()
    with rules.busy_as_refusal(), transaction.atomic():
        rules.quota_check(user)
        rules.rate_check(user)
        conversation = Conversation.objects.create(
            owner=user,
            title=titles.fallback_title(content or (files[0].name if files else "")),
            model=model,
            system_prompt=classes.start_prompt(user, preset),
            course=course,
            preset=preset,
            preset_hidden=preset is not None and preset.hidden,
        )
        return _pair_create(conversation, content, parent_id=None, files=files).reply


def message_post(
    *,
    conversation: Conversation,
    user,
    content: str,
    seen_leaf: int | None = None,
    files: list[Attachment] = (),
) -> SentPair:
    """사람의 메시지와 대기 중인 답변을 한 트랜잭션으로 저장하고 둘을 돌려준다.

    seen_leaf: 보낸 화면이 보던 갈래의 끝. 다른 창에서 버전을 바꾸거나 이어 보냈으면 지금 끝과 달라진다: 보던 것과
    다른 갈래에 잇지 않고 거절한다 (화면이 지금 갈래를 다시 그리고, 쓴 글은 남는다).
    """
    rules.class_check(user, llm.usable_model(conversation.model))
    rules.sight_check(llm.usable_model(conversation.model), files)
    with rules.busy_as_refusal(), transaction.atomic():
        conversation = rules.locked(conversation)
        if seen_leaf is not None and seen_leaf != tree.leaf_id(conversation):
            raise ChatRefused(
                code=RefusalCode.BRANCH_CHANGED,
                message=_(
                    "This conversation changed in another window. It now shows the latest version; send your message again."
                ),
            )
        rules.refuse_while_replying(conversation)
        rules.quota_check(user)
        rules.rate_check(user)
        return _pair_create(
            conversation, content, parent_id=tree.leaf_id(conversation), files=files
        )


def reply_regenerate(*, reply: Message, user) -> Message:
    """끝난 답변(끝, 멈춤, 실패, 중단)의 형제로 새 답변을 만든다. 옛 답변은 버전으로 남는다.

    보내기와 같은 길이다: 한 대화에 한 답변씩, 한도와 빠르기 제한, 커밋 뒤에 생성. 새 답변이 지금 끝이 되므로
    그 뒤에 이어지던 메시지는 옛 갈래에 남는다.
    """
    model = llm.usable_model(reply.conversation.model)
    rules.class_check(user, model)
    if reply.parent_id is not None:
        # 다시 생성은 질문의 파일을 그대로 싣는다: 그 사이 그림을 못 읽는 모델로 바꿨으면 미리 알린다
        rules.sight_check(
            model, Attachment.objects.filter(message_id=reply.parent_id).only("kind", "file")
        )
    with rules.busy_as_refusal(), transaction.atomic():
        conversation = rules.locked(reply.conversation)
        rules.refuse_while_replying(conversation)
        if reply.is_user or reply.parent_id is None:
            raise ChatRefused(
                code=RefusalCode.NOT_RETRYABLE,
                message=_("Only a finished reply can be generated again."),
            )
        rules.quota_check(user)
        rules.rate_check(user)
        return _reply_create(
            conversation, parent_id=reply.parent_id, now=timezone.now(), regenerated=True
        )


def message_edit(*, message: Message, user, content: str, keep_files=None) -> SentPair:
    """사람의 메시지를 고쳐 보낸다: 고친 글은 옛 메시지의 형제가 되고, 그 밑에 새 답변이 생성된다.

    옛 메시지와 그 뒤의 대화는 제 갈래에 그대로 남아 "‹ 1 / 2"로 돌아갈 수 있다. 옛 질문의 파일은 이어받는다:
    keep_files(파일 번호들)가 있으면 그 파일만 (고치기 양식에서 뺀 파일은 새 버전에 가지 않는다).
    """
    model = llm.usable_model(message.conversation.model)
    rules.class_check(user, model)
    kept = [item for item in message.attachment_list if keep_files is None or item.pk in keep_files]
    # 뺀 그림은 묻지 않는다: 그림을 못 보는 모델이면 그림을 빼고 고쳐 보낼 수 있다
    rules.sight_check(model, kept)
    with rules.busy_as_refusal(), transaction.atomic():
        conversation = rules.locked(message.conversation)
        rules.refuse_while_replying(conversation)
        if not message.is_user:
            raise ChatRefused(
                code=RefusalCode.NOT_RETRYABLE, message=_("Only your own messages can be edited.")
            )
        rules.quota_check(user)
        rules.rate_check(user)
        return _pair_create(conversation, content, parent_id=message.parent_id, copied=kept)


def branch_switch(*, message: Message) -> Message:
    """그 메시지를 지나는 갈래를 지금 갈래로 삼는다 (버전 고르기, 검색 결과 열기). 갈래의 끝을 돌려준다.

    답변이 쓰이는 동안은 바꾸지 않는다: 쓰이는 답변이 화면에서 사라지고 보내기가 엉뚱한 갈래에 잇게 된다.
    """
    with rules.busy_as_refusal(), transaction.atomic():
        conversation = rules.locked(message.conversation)
        rules.refuse_while_replying(conversation)
        leaf = tree.leaf_under(conversation.pk, message.pk)
        rows.update(Conversation, {"pk": conversation.pk}, current_leaf=leaf)
        conversation.current_leaf_id = leaf
    return message


def reply_stop(*, reply: Message) -> bool:
    """멈춤은 DB에 먼저 쓰고, 생성 중인 작업에 알린다: 같은 프로세스는 바로, 다른 워커와 호스트는 Redis로."""
    stopped = replies.stop(reply=reply)
    if stopped:
        # 커밋을 기다리지 않는다: 신호가 먼저 닿아도 작업이 스스로 멈춤으로 저장한다
        feed.stop(reply.pk)
    return stopped
