"""모델에 보낼 문맥: 시스템 프롬프트와, 토큰 예산에 들어가는 만큼의 최근 메시지 (첨부 파일은 그 질문에 실린다)."""

from typing import NamedTuple

from django.conf import settings
from django.db import connection

from accounts.models import Preset
from chat import tree
from chat.attachments import prompt as attachment_prompt
from chat.database import in_thread
from chat.models import Message
from core import rows

# 메시지마다 역할 표시 등으로 붙는 토큰 (OpenAI 형식의 대략값)
MESSAGE_OVERHEAD_TOKENS = 4


def estimate_tokens(text: str) -> int:
    """토크나이저 없이 쓰는 보수적인 어림값.

    영어 등 ASCII는 평균 4글자에 1토큰, 한글처럼 ASCII가 아닌 글자는 1글자에 1토큰으로 센다.
    요즘 토크나이저에서 한글 한 음절은 1토큰 안팎이라, 모자라기보다 남게 잡는 쪽이다.
    """
    # ASCII 글자 수를 C에서 센다: 글자마다 도는 Python 반복은 긴 메시지에서 문맥 만들기의 대부분이었다
    ascii_chars = len(text) if text.isascii() else len(text.encode("ascii", "ignore"))
    return (ascii_chars + 3) // 4 + (len(text) - ascii_chars) + MESSAGE_OVERHEAD_TOKENS


def message_tokens(role: str, content: str, completion_tokens: int | None) -> int:
    """API가 알려 준 사용량이 있으면 그것을, 없으면 어림값을 쓴다."""
    if role == Message.Role.ASSISTANT and completion_tokens:
        return completion_tokens + MESSAGE_OVERHEAD_TOKENS
    return estimate_tokens(content)


# 후보를 이만큼씩 읽는다: 예산이 차면 멈추므로 긴 대화도 들어갈 수 있는 행만 읽는다
CANDIDATE_SLICE = 50


class Context(NamedTuple):
    """답변 요청의 messages와, 예산을 넘어 빠진 이전 메시지 수와 첨부 파일의 글자 수."""

    messages: list[dict]
    omitted: int
    omitted_chars: int = 0


def build_context(reply: Message) -> Context:
    """답변 요청의 문맥.

    답변의 조상만 싣는다 (chat.tree): 다른 갈래의 질문과 답은 모델이 보지 않는다.
    가장 최근 메시지는 길어도 늘 싣는다: 그것이 답할 질문이고, 너무 길면 모델이 알려 준다. 그 질문의 파일은 남은
    예산만큼만 싣는다 (뺀 글자 수는 omitted_chars). 그보다 앞의 파일 달린 질문은 다른 메시지처럼 통째로 들거나 빠진다.
    중간을 건너뛰지 않고, 들어가지 않는 첫 메시지에서 멈춰 그보다 오래된 것은 모두 뺀다.
    후보는 모델 객체가 아니라 값의 튜플로 읽는다: 답변마다 수십 행을 읽으므로 객체를 만드는 값이 컸다.
    """
    conversation = reply.conversation
    budget = settings.LLM_CONTEXT_TOKENS - settings.LLM_REPLY_TOKENS
    system_prompt = "\n\n".join(
        part for part in (hidden_prompt(conversation), conversation.system_prompt.strip()) if part
    )
    if system_prompt:
        budget -= estimate_tokens(system_prompt)

    chosen: list[tuple[str, str | list]] = []
    omitted = omitted_chars = 0
    start = reply.parent_id
    while start is not None:
        batch, start = _candidates(reply, start)
        files = attachment_prompt.files_for([row[0] for row in batch if row[4]])
        for index, (pk, role, content, completion_tokens, _has_files) in enumerate(batch):
            if pk in files:
                built = attachment_prompt.user_content(
                    content,
                    files[pk],
                    # 답변을 만들 모델 (대화의 모델이 설정에서 빠졌으면 대신 쓰는 것): 그 모델이 그림을 읽는지
                    model=reply.model or conversation.model,
                    budget=None if chosen else budget,
                    estimate=estimate_tokens,
                )
                content, cost = built.content, built.tokens
                omitted_chars += built.omitted_chars
            else:
                cost = message_tokens(role, content, completion_tokens)
            if chosen and cost > budget:
                # 이것과 그보다 오래된 후보는 모두 빠진다
                omitted = len(batch) - index + _count_rest(reply, start)
                start = None
                break
            chosen.append((role, content))
            budget -= cost

    payload = [{"role": "system", "content": system_prompt}] if system_prompt else []
    payload += [{"role": role, "content": content} for role, content in reversed(chosen)]
    return Context(payload, omitted, omitted_chars)


def content_tokens(content: str | list) -> int:
    """요청의 content 하나의 어림값: 그림이 든 질문은 글 조각과 그림 몫을 더한다."""
    if isinstance(content, str):
        return estimate_tokens(content)
    return sum(
        estimate_tokens(part["text"]) if part["type"] == "text" else attachment_prompt.IMAGE_TOKENS
        for part in content
    )


def hidden_prompt(conversation) -> str:
    """숨긴 프리셋의 프롬프트: 대화의 시스템 프롬프트 앞에 모델에게만 간다. 학생이 보는 곳(화면, 설정, 내보내기,
    공유)에는 복사하지 않았다 (chat.classes.start_prompt). 숨긴 프리셋으로 연 대화가 아니면 질의하지 않는다. 강사가
    프리셋을 고치면 다음 답변부터 고친 것이, 지우면 아무것도 가지 않는다. 숨김을 나중에 바꿔도 연 때의 값(preset_hidden)을
    따른다."""
    if conversation.preset_id is None or not conversation.preset_hidden:
        return ""
    found = rows.values(Preset, ["system_prompt"], {"pk": conversation.preset_id})
    return found[0][0].strip() if found else ""


def _qualifies(role, content, status, has_files) -> bool:
    """싣는 후보: 내용(글이나 파일)이 있고, 아직 대기 중인 답변이 아닌 것 (_count_rest의 SQL과 같은 조건)."""
    return (bool(content) or has_files) and (
        role == Message.Role.USER or status != Message.Status.PENDING
    )


def _candidates(reply: Message, start: int) -> tuple[list[tuple], int | None]:
    """start부터 뿌리 쪽으로 CANDIDATE_SLICE 걸음의 후보 (최신부터)와 다음 묶음의 시작. 답변마다 돌아 SQL을 직접 쓴다."""
    ids = tree.ancestors(start, limit=CANDIDATE_SLICE)
    found = {
        pk: row
        for pk, *row in rows.values(
            Message,
            ["pk", "role", "content", "completion_tokens", "status", "parent", "has_attachments"],
            {"pk": ids, "conversation": reply.conversation_id},
        )
    }
    batch = [
        (pk, role, content, completion_tokens, has_files)
        for pk, (role, content, completion_tokens, status, _parent, has_files) in zip(
            ids, map(found.get, ids), strict=True
        )
        if _qualifies(role, content, status, has_files)
    ]
    # 마지막으로 걸은 메시지의 부모: 뿌리에 닿았으면 None
    following = found[ids[-1]][4] if ids else None
    return batch, following


def _count_rest(reply: Message, start: int | None) -> int:
    """start부터 뿌리까지의 후보 수: 예산을 넘어 빠진 메시지로 센다. 글을 읽지 않고 DB가 센다."""
    if start is None:
        return 0
    quote = connection.ops.quote_name
    table = quote(Message._meta.db_table)
    sql, params = tree.chain_sql(start)
    with connection.cursor() as cursor:
        cursor.execute(
            sql + f"SELECT COUNT(*) FROM chain JOIN {table} m ON m.id = chain.id"  # noqa: S608 - quote_name을 거친 이름
            f" WHERE (m.{quote('content')} <> '' OR m.{quote('has_attachments')} = %s)"
            f" AND (m.{quote('role')} = %s OR m.{quote('status')} <> %s)",
            [*params, True, Message.Role.USER, Message.Status.PENDING],
        )
        return cursor.fetchone()[0]


abuild_context = in_thread(build_context)
