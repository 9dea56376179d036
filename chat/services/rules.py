"""보내기의 규칙: 거절의 코드와 문장, 빠르기·한도·반·그림의 확인, 대화의 잠금. 확인은 아무것도 쓰지 않는다 (잠금만).

보내기의 동작(chat.services.sending)이 트랜잭션 안팎에서 부른다. 뷰는 거절을 코드(RefusalCode)로 가려 상태를 고른다
(chat.views.shared.REFUSAL_STATUS).
"""

import logging
import time
from contextlib import contextmanager
from enum import StrEnum

from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError, connection
from django.utils.translation import gettext as _

from accounts import courses, usage
from accounts.models import User
from chat import classes, replies
from chat.attachments import prompt as attachment_prompt
from chat.models import Conversation, Message
from core import rows

logger = logging.getLogger(__name__)


class RefusalCode(StrEnum):
    """거절의 이유. 문장은 번역되므로 뷰(상태 코드)와 테스트는 이것으로 가려낸다."""

    RATE_LIMITED = "rate_limited"
    QUOTA_REACHED = "quota_reached"
    QUOTA_RESERVED = "quota_reserved"
    REPLY_IN_PROGRESS = "reply_in_progress"
    NOT_RETRYABLE = "not_retryable"
    SERVER_BUSY = "server_busy"
    BRANCH_CHANGED = "branch_changed"
    # 반이 모두 기간 밖이다: 읽기만 한다
    CLASS_CLOSED = "class_closed"
    # 반이 허락하지 않은 모델 (반이 목록을 바꿨거나, 고치지 않은 양식)
    MODEL_NOT_ALLOWED = "model_not_allowed"
    # 그림을 읽지 않는 모델에 그림을 보내려 했다 (LLM_VISION_MODELS)
    MODEL_CANNOT_SEE = "model_cannot_see"
    # 붙이려던 올려 둔 파일이 그새 다른 탭에서 보내졌거나 오래되어 지워졌다
    FILES_GONE = "files_gone"


class ChatRefused(Exception):
    """사람에게 그대로 보여 줄 번역된 이유와 함께 요청을 거절한다. 아무것도 저장하지 않은 상태다.

    한도의 거절은 사용량 페이지로 가는 고리가 든 SafeString이다: 화면의 오류 자리가 그대로 그린다.
    """

    def __init__(self, *, code: RefusalCode, message: str):
        super().__init__(message)
        # 모르는 코드는 여기서 ValueError: 뷰가 상태 코드를 못 고르는 거절이 생기지 않게
        self.code = RefusalCode(code)
        self.message = message


def rate_check(user) -> None:
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


def class_check(user, model: str) -> None:
    """반의 규칙: 기간 안의 반이 없으면 읽기만, 반이 허락하지 않은 모델로는 보내지 않는다.

    트랜잭션과 잠금보다 먼저 부른다: 반 자리(질의 하나)를 여기서 읽어 두면 user에 붙어, 잠근 뒤의 한도 확인
    (usage.quota_for)은 질의하지 않는다. 잠근 구간이 길어지지 않는다.
    """
    standing = courses.standing(user)
    if not standing.can_send:
        raise ChatRefused(code=RefusalCode.CLASS_CLOSED, message=standing.closed_message)
    if not classes.model_allowed(user, model):
        if not classes.models_for(user):
            # 반이 고른 모델이 모두 사이트에서 빠졌다: 학생이 고칠 수 없으니 강사에게 알리라고 한다
            raise ChatRefused(
                code=RefusalCode.MODEL_NOT_ALLOWED,
                message=_(
                    "None of the models your class allows is offered on this site right now. Please tell your instructor."
                ),
            )
        raise ChatRefused(
            code=RefusalCode.MODEL_NOT_ALLOWED,
            message=_(
                "Your class does not allow the model %(model)s. Choose another model for this conversation, then send again."
            )
            % {"model": model},
        )


def quota_check(user) -> None:
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


def sight_check(model: str, files) -> None:
    """그림을 읽지 않는 모델에는 그림이 든 질문을 보내지 않는다: 모델 서버의 알 수 없는 오류 대신 미리 알린다."""
    # 이름만 남은 그림(가져온 대화)은 모델에 가지 않는다: 막을 까닭이 없다
    if any(
        item.is_image and not item.is_missing for item in files
    ) and not attachment_prompt.sees_images(model):
        raise ChatRefused(
            code=RefusalCode.MODEL_CANNOT_SEE,
            message=_(
                "The model %(model)s cannot read images. Choose a model that reads images, or remove the image and send again."
            )
            % {"model": model},
        )


def refuse_while_replying(conversation: Conversation) -> None:
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


def locked(conversation: Conversation) -> Conversation:
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
def busy_as_refusal():
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
