"""대화와 메시지를 바꾸는 동작. 두 번 이상 쓰는 동작은 한 트랜잭션으로 묶는다."""

import copy
import logging
import time
from contextlib import contextmanager
from enum import StrEnum
from functools import partial
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import usage
from accounts.models import User
from chat import feed, generation, llm, replies, titles, tree
from chat.models import Conversation, Message
from core import rows

logger = logging.getLogger(__name__)


class SentPair(NamedTuple):
    """보낸 메시지와 그 답변(대기 중). 화면은 이 둘을 그린다."""

    message: Message
    reply: Message


class RefusalCode(StrEnum):
    """거절의 이유. 문장은 번역되므로 뷰(상태 코드)와 테스트는 이것으로 가려낸다."""

    RATE_LIMITED = "rate_limited"
    QUOTA_REACHED = "quota_reached"
    QUOTA_RESERVED = "quota_reserved"
    REPLY_IN_PROGRESS = "reply_in_progress"
    NOT_RETRYABLE = "not_retryable"
    SERVER_BUSY = "server_busy"
    BRANCH_CHANGED = "branch_changed"


class ChatRefused(Exception):
    """사람에게 그대로 보여 줄 번역된 이유와 함께 요청을 거절한다. 아무것도 저장하지 않은 상태다.

    한도의 거절은 사용량 페이지로 가는 고리가 든 SafeString이다: 화면의 오류 자리가 그대로 그린다.
    """

    def __init__(self, *, code: RefusalCode, message: str):
        super().__init__(message)
        # 모르는 코드는 여기서 ValueError: 뷰가 상태 코드를 못 고르는 거절이 생기지 않게
        self.code = RefusalCode(code)
        self.message = message


def _rate_check(user) -> None:
    """1분 창마다 캐시 카운터 하나. Redis면 워커와 호스트가 같은 수를 센다."""
    limit = settings.RATE_LIMIT_MESSAGES_PER_MINUTE
    key = f"chat:sent:{user.pk}:{int(time.time() // 60)}"
    cache.add(key, 0, timeout=90)
    if cache.incr(key) > limit:
        raise ChatRefused(
            code=RefusalCode.RATE_LIMITED,
            message=_(
                "You are sending messages too fast (at most %(limit)d a minute). Please wait a moment and send again."
            )
            % {"limit": limit},
        )


def _quota_check(user) -> None:
    """오늘의 토큰 한도: 장부에 적힌 양과 아직 끝나지 않은 답변의 몫을 더해 한도에 닿으면 보내기 전에 거절한다.

    끝나지 않은 답변(대기·생성 중)은 하나에 LLM_REPLY_TOKENS(한 답변이 쓸 수 있는 최대)를 잡아 둔다.
    답변이 끝나면 그 몫은 풀리고 장부의 실제 값이 대신한다 (정산). 여러 탭, 워커, 호스트에서 동시에 보내도
    한 사람의 확인은 한 줄로 선다: PostgreSQL은 사용자 행을 잠그고, SQLite는 IMMEDIATE 트랜잭션이 이미 쓰기를
    세운다. 그래서 먼저 받아들인 답변이 뒤의 확인에 보인다.
    이미 생성 중인 답변은 한도를 넘어도 끝까지 가고 모두 센다: 확인은 보낼 때만 한다.
    """
    quota = usage.quota_for(user)
    if quota <= 0:
        return
    if connection.features.has_select_for_update:
        rows.exists(User, {"pk": user.pk}, lock=True)
    status = usage.quota_status(user)
    if status.reached:
        raise ChatRefused(
            code=RefusalCode.QUOTA_REACHED, message=usage.quota_reached_message(status)
        )
    if status.used + _tokens_reserved(user) >= status.quota:
        raise ChatRefused(code=RefusalCode.QUOTA_RESERVED, message=usage.quota_reserved_message())


def _tokens_reserved(user) -> int:
    """끝나지 않은 답변의 몫. 죽은 작업이 남긴 답변(오래 소식 없는 것)은 치지 않는다."""
    running = Message.objects.filter(
        conversation__owner=user,
        role=Message.Role.ASSISTANT,
        status__in=Message.ACTIVE,
        updated_at__gte=replies.stale_before(),
    ).count()
    return running * settings.LLM_REPLY_TOKENS


def _pair_create(conversation: Conversation, content: str, *, parent_id: int | None) -> SentPair:
    """사람의 메시지를 parent_id 밑에, 대기 중인 답변을 그 밑에 만들고 그 답변을 대화의 지금 끝으로 삼는다."""
    now = timezone.now()
    message = Message(
        conversation=conversation,
        parent_id=parent_id,
        role=Message.Role.USER,
        content=content,
        created_at=now,
        updated_at=now,
    )
    # bulk_create와 같은 문장을 직접 짓는다 (core.rows): 보낼 때마다 도는 곳이라 ORM이 문장을 짓는 값을
    # 아낀다 (docs/bench-history.md#따로-잰-값--one-off-measurements). 답변은 질문의 번호를 알아야 해서 따로 넣는다.
    rows.insert(Message, [message])
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


def _refuse_while_replying(conversation: Conversation) -> None:
    """같은 대화에서 답변이 생성되는 동안에는 보내지 않는다. 죽은 작업이 남긴 답변은 정리한다."""
    # 보낼 때마다 도는 확인이라 SQL을 직접 쓴다 (core.rows). 대개 여기서 끝난다.
    if not rows.exists(Message, {"conversation": conversation.pk, "status": Message.ACTIVE}):
        return
    unfinished = Message.objects.filter(conversation=conversation, status__in=Message.ACTIVE)
    replies.sweep_stale(unfinished)
    if unfinished.exists():
        raise ChatRefused(
            code=RefusalCode.REPLY_IN_PROGRESS,
            message=_(
                "Please wait until the current reply has finished, or stop it, before sending another message."
            ),
        )


def _locked(conversation: Conversation) -> Conversation:
    """같은 대화로 동시에 두 번 보내면 하나는 기다렸다가 진행 중인 답변을 보고 거절된다.

    PostgreSQL은 대화 행을 잠근다. SQLite는 IMMEDIATE 트랜잭션이 쓰기를 이미 한 줄로 세운다.
    잠근 뒤 지금 끝(current_leaf)만 다시 읽는다: 다른 탭이 그 사이 버전을 바꿨으면 그 갈래에 잇는다.
    """
    found = rows.values(Conversation, ["current_leaf"], {"pk": conversation.pk}, lock=True)
    if not found:
        raise Conversation.DoesNotExist
    conversation.current_leaf_id = found[0][0]
    return conversation


@contextmanager
def _busy_as_refusal():
    """DB가 제때 쓰기를 받지 못하면(SQLite의 잠금 대기 초과, PostgreSQL 풀의 대기 초과) 500 대신 거절한다.

    트랜잭션은 되돌려져 아무것도 저장되지 않았고, 화면은 입력한 글을 그대로 둔 채 다시 보내라고 말한다.
    """
    try:
        yield
    except OperationalError:
        logger.warning("a send found the database too busy", exc_info=True)
        raise ChatRefused(
            code=RefusalCode.SERVER_BUSY,
            message=_(
                "The server is very busy right now and your message was not sent. Please send it again in a moment."
            ),
        ) from None


def conversation_start(*, user, content: str, model: str) -> Message:
    """새 대화와 첫 메시지, 대기 중인 답변을 한 번에 만든다. 답변을 돌려준다.

    그 사람의 맞춤 지시를 대화의 시스템 프롬프트로 복사한다: 맞춤 지시를 나중에 고쳐도 이 대화는 그대로다.
    """
    with _busy_as_refusal(), transaction.atomic():
        _quota_check(user)
        _rate_check(user)
        conversation = Conversation.objects.create(
            owner=user,
            title=titles.fallback_title(content),
            model=llm.usable_model(model),
            system_prompt=user.custom_instructions,
        )
        return _pair_create(conversation, content, parent_id=None).reply


def message_post(
    *, conversation: Conversation, user, content: str, seen_leaf: int | None = None
) -> SentPair:
    """사람의 메시지와 대기 중인 답변을 한 트랜잭션으로 저장하고 둘을 돌려준다.

    seen_leaf: 보낸 화면이 보던 갈래의 끝. 다른 창에서 버전을 바꾸거나 이어 보냈으면 지금 끝과 달라진다: 보던 것과
    다른 갈래에 잇지 않고 거절한다 (화면이 지금 갈래를 다시 그리고, 쓴 글은 남는다).
    """
    with _busy_as_refusal(), transaction.atomic():
        conversation = _locked(conversation)
        if seen_leaf is not None and seen_leaf != tree.leaf_id(conversation):
            raise ChatRefused(
                code=RefusalCode.BRANCH_CHANGED,
                message=_(
                    "This conversation changed in another window. It now shows the latest version; send your message again."
                ),
            )
        _refuse_while_replying(conversation)
        _quota_check(user)
        _rate_check(user)
        return _pair_create(conversation, content, parent_id=tree.leaf_id(conversation))


def reply_regenerate(*, reply: Message, user) -> Message:
    """끝난 답변(끝, 멈춤, 실패, 중단)의 형제로 새 답변을 만든다. 옛 답변은 버전으로 남는다.

    보내기와 같은 길이다: 한 대화에 한 답변씩, 한도와 빠르기 제한, 커밋 뒤에 생성. 새 답변이 지금 끝이 되므로
    그 뒤에 이어지던 메시지는 옛 갈래에 남는다.
    """
    with _busy_as_refusal(), transaction.atomic():
        conversation = _locked(reply.conversation)
        _refuse_while_replying(conversation)
        if reply.is_user or reply.parent_id is None:
            raise ChatRefused(
                code=RefusalCode.NOT_RETRYABLE,
                message=_("Only a finished reply can be generated again."),
            )
        _quota_check(user)
        _rate_check(user)
        return _reply_create(
            conversation, parent_id=reply.parent_id, now=timezone.now(), regenerated=True
        )


def message_edit(*, message: Message, user, content: str) -> SentPair:
    """사람의 메시지를 고쳐 보낸다: 고친 글은 옛 메시지의 형제가 되고, 그 밑에 새 답변이 생성된다.

    옛 메시지와 그 뒤의 대화는 제 갈래에 그대로 남아 "‹ 1 / 2"로 돌아갈 수 있다.
    """
    with _busy_as_refusal(), transaction.atomic():
        conversation = _locked(message.conversation)
        _refuse_while_replying(conversation)
        if not message.is_user:
            raise ChatRefused(
                code=RefusalCode.NOT_RETRYABLE, message=_("Only your own messages can be edited.")
            )
        _quota_check(user)
        _rate_check(user)
        return _pair_create(conversation, content, parent_id=message.parent_id)


def branch_switch(*, message: Message) -> Message:
    """그 메시지를 지나는 갈래를 지금 갈래로 삼는다 (버전 고르기, 검색 결과 열기). 갈래의 끝을 돌려준다.

    답변이 쓰이는 동안은 바꾸지 않는다: 쓰이는 답변이 화면에서 사라지고 보내기가 엉뚱한 갈래에 잇게 된다.
    """
    with _busy_as_refusal(), transaction.atomic():
        conversation = _locked(message.conversation)
        _refuse_while_replying(conversation)
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
    conversation.delete()
