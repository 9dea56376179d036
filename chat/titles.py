"""대화의 제목: 첫 메시지의 앞 단어들(곧바로)과, 첫 답변 뒤 한 번 모델에게 묻는 제목."""

import logging

from asgiref.sync import async_to_sync
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from chat import llm, tree
from chat.models import Conversation, Message

logger = logging.getLogger(__name__)

TITLE_MAX_CHARS = llm.TITLE_MAX_CHARS


def fallback_title(content: str) -> str:
    """첫 메시지의 앞 단어들: 모델이 제목을 못 지어도 사이드바에 보일 이름. 단어 중간에서 자르지 않는다."""
    words = content.split()
    title = ""
    for word in words:
        candidate = f"{title} {word}".lstrip()
        if len(candidate) >= TITLE_MAX_CHARS:
            break
        title = candidate
    if not title:
        # 아주 긴 한 단어 (URL 같은 것)
        return Truncator(" ".join(words)).chars(TITLE_MAX_CHARS) or _("New conversation")
    return title if title == " ".join(words) else f"{title}…"


async def aconversation_title_generate(*, conversation: Conversation, language: str) -> str | None:
    """첫 답변 뒤 한 번만 모델에게 제목을 묻는다. 실패하면 첫 메시지로 지은 제목이 남는다."""
    claimed = await Conversation.objects.filter(pk=conversation.pk, needs_title=True).aupdate(
        needs_title=False
    )
    if not claimed:
        return None
    # 지금 갈래의 첫 질문과 첫 답: 첫 답을 다시 생성했으면 새 버전이 제목의 재료다
    first = await tree.aopening(conversation)
    if len(first) < 2 or first[1].status != Message.Status.DONE:
        return None
    try:
        answer = await llm.complete_title(
            [{"role": m.role, "content": m.content} for m in first],
            model=llm.usable_model(conversation.model),
            language=language,
        )
    except Exception:
        # 제목은 덤이다: 어떤 실패도 대화를 막지 않는다
        logger.warning(
            "title generation failed for conversation %s", conversation.pk, exc_info=True
        )
        return None
    title = _clean_title(answer)
    if not title:
        return None
    await Conversation.objects.filter(pk=conversation.pk).aupdate(title=title)
    return title


def conversation_title_generate(*, conversation: Conversation, language: str) -> str | None:
    """JavaScript 없는 보내기가 쓰는 동기 버전."""
    return async_to_sync(aconversation_title_generate)(conversation=conversation, language=language)


def _clean_title(answer: str) -> str:
    """모델이 덧붙이는 머리말, 따옴표, 강조, 여러 줄을 걷어 낸다."""
    line = (
        next((line for line in answer.splitlines() if line.strip()), "").strip().strip("*#").strip()
    )
    for prefix in ("Title:", "제목:"):
        line = line.removeprefix(prefix).strip()
    line = line.strip("\"'“”‘’「」『』*").strip()
    return Truncator(line.rstrip(".")).chars(TITLE_MAX_CHARS)
