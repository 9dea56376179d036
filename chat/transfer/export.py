"""대화를 흘려 내보낸다: 대화도 메시지도 조각씩 읽어 표가 커도 메모리가 일정하다."""

import datetime
import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.template.defaultfilters import filesizeformat
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from chat import tree
from chat.attachments import services as attachments
from chat.markdown import emphasis_for_any_viewer, headings_below
from chat.models import Conversation, Message

FORMAT_NAME = "daehwa.conversation"
# 2: 메시지마다 parent, 대화마다 current (버전 나무). 1(한 줄)도 그대로 읽는다.
# 질문마다의 attachments(파일의 이름과 종류, 내용은 없다)는 더한 칸이라 판을 올리지 않았다: 옛 판은 모르는 칸을 건너뛴다
FORMAT_VERSION = 2
# 한 번에 읽는 행 수
CHUNK_ROWS = 500
# 파일 이름 안에서 Markdown이 서식으로 읽을 글자
MARKDOWN_SPECIAL = str.maketrans({char: f"\\{char}" for char in "\\`*_[]<>#|~!"})


@dataclass
class ExportCount:
    conversations: int = 0
    messages: int = 0


def conversations_to_export(*, user=None, course=None, since: datetime.datetime | None = None):
    """내보낼 대화: 한 사람의 것 또는 모두, 한 반의 것(Conversation.course), since 뒤에 활동이 있던 것. 만든 순서대로."""
    conversations = Conversation.objects.select_related("owner").order_by("created_at", "pk")
    if user is not None:
        conversations = conversations.filter(owner=user)
    if course is not None:
        conversations = conversations.filter(course=course)
    if since is not None:
        conversations = conversations.filter(updated_at__gte=since)
    return conversations


def _messages(conversation: Conversation, *, all_versions: bool = False) -> Iterator[Message]:
    """지금 갈래의 메시지들, 옛것부터 (chat.tree). 번호만 먼저 걷고 글은 조각씩 읽는다.

    all_versions면 모든 버전을 번호 순서로 (부모는 언제나 자식보다 먼저다): 수업이 끝나 지우기 전에 다 남길 때.
    """
    if all_versions:
        ids = list(conversation.messages.order_by("pk").values_list("pk", flat=True))
    else:
        ids = tree.ancestors(tree.leaf_id(conversation))[::-1]
    for start in range(0, len(ids), CHUNK_ROWS):
        chunk = ids[start : start + CHUNK_ROWS]
        found = (
            Message.objects.filter(conversation=conversation, pk__in=chunk)
            .only(
                "parent",
                "role",
                "content",
                "status",
                "error_kind",
                "model",
                "prompt_tokens",
                "completion_tokens",
                "has_attachments",
                "created_at",
                "updated_at",
            )
            .in_bulk()
        )
        # 파일이 붙은 질문의 첨부를 조각마다 한 번에 (보통의 대화는 조각 하나라 대화마다 한 번, 없으면 묻지 않는다)
        attachments.prefetch(found.values())
        yield from (found[pk] for pk in chunk if pk in found)


def attachment_record(attachment) -> dict:
    """첨부 하나의 참조: 이름과 종류와 크기, 저장소의 이름(file, 이름만 남은 것은 null). 파일의 내용은 담지 않는다
    (docs/decisions.md의 "내보내기는 첨부를 참조로"). import_conversations는 이름만 남긴 첨부로 다시 짓는다."""
    return {
        "name": attachment.name,
        "kind": attachment.kind,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "text_truncated": attachment.text_truncated,
        "file": attachment.file.name or None,
    }


def message_record(message: Message) -> dict:
    record = {
        "role": message.role,
        "content": message.content,
        "status": message.status,
        "error_kind": message.error_kind,
        "model": message.model,
        "prompt_tokens": message.prompt_tokens,
        "completion_tokens": message.completion_tokens,
        "created_at": message.created_at.isoformat(),
        "updated_at": message.updated_at.isoformat(),
    }
    if message.is_user:
        record["attachments"] = [attachment_record(item) for item in message.attachment_list]
    return record


def conversation_record(conversation: Conversation, *, all_versions: bool = False) -> dict:
    """대화 하나의 기록 (메시지 포함): JSONL의 한 줄이자 대화 페이지의 JSON 내려받기.

    메시지마다 parent는 이 목록에서 부모의 자리(첫 메시지는 null), current는 지금 갈래의 끝의 자리다: 버전 나무를
    그대로 옮긴다 (import_conversations가 다시 짓는다). 지금 갈래만이면 한 줄로 이어진 나무다.
    """
    messages = list(_messages(conversation, all_versions=all_versions))
    position = {message.pk: index for index, message in enumerate(messages)}
    records = []
    for message in messages:
        record = message_record(message)
        record["parent"] = position.get(message.parent_id)
        records.append(record)
    leaf = tree.leaf_id(conversation)
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "id": str(conversation.pk),
        "owner": conversation.owner.username,
        "title": conversation.title,
        "model": conversation.model,
        "system_prompt": conversation.system_prompt,
        "created_at": conversation.created_at.isoformat(),
        "updated_at": conversation.updated_at.isoformat(),
        "current": position.get(leaf, len(messages) - 1 if messages else None),
        "messages": records,
    }


def record_line(record: dict) -> str:
    """기록 한 줄. import_conversations가 그대로 다시 읽는다."""
    return json.dumps(record, ensure_ascii=False) + "\n"


def jsonl_lines(conversations, count: ExportCount, *, all_versions: bool = False) -> Iterator[str]:
    """한 줄에 대화 하나(메시지 포함). import_conversations가 그대로 다시 읽는다."""
    for conversation in conversations.iterator(chunk_size=CHUNK_ROWS):
        record = conversation_record(conversation, all_versions=all_versions)
        count.conversations += 1
        count.messages += len(record["messages"])
        yield record_line(record)


def _when(moment: datetime.datetime) -> str:
    """사이트 시간대(TIME_ZONE)와 지금 언어의 날짜·시각: 화면의 말풍선과 같은 꼴 (core/formats)."""
    return formats.date_format(
        timezone.localtime(moment, timezone.get_default_timezone()), "DATETIME_FORMAT"
    )


def markdown_lines(conversations, count: ExportCount) -> Iterator[str]:
    """사람이 읽는 Markdown: 대화마다 conversation_markdown."""
    for conversation in conversations.iterator(chunk_size=CHUNK_ROWS):
        yield from conversation_markdown(conversation, count)


def conversation_markdown(conversation: Conversation, count: ExportCount) -> Iterator[str]:
    """# 대화 제목, ## 누가 언제, 그 아래에 메시지. 낱말은 지금 언어로. 대화 페이지의 Markdown 내려받기도 이것이다.

    메시지 안의 제목은 ###부터로 옮긴다 (chat.markdown.headings_below): 목차가 대화 › 메시지 › 답변 속 제목이 된다.
    """
    count.conversations += 1
    owner = conversation.owner.username
    yield f"# {conversation.title}\n\n"
    yield (
        f"- {_('owner')}: {owner}\n- {_('model')}: {conversation.model}\n"
        f"- {_('created')}: {_when(conversation.created_at)}\n\n"
    )
    if conversation.system_prompt:
        prompt = headings_below(conversation.system_prompt)
        yield f"> {prompt.replace(chr(10), chr(10) + '> ')}\n\n"
    for message in _messages(conversation):
        count.messages += 1
        who = owner if message.role == Message.Role.USER else message.get_role_display()
        # 답변마다 그 답을 쓴 모델: 대화 중에 모델을 바꿀 수 있다
        model = f" · {message.model}" if message.model and not message.is_user else ""
        status = (
            "" if message.status == Message.Status.DONE else f" ({message.get_status_display()})"
        )
        yield (
            f"## {who}{status}{model} · {_when(message.created_at)}\n\n"
            f"{headings_below(emphasis_for_any_viewer(message.content))}\n\n"
        )
        if files := message.attachment_list:
            yield "".join(f"- {_attachment_line(item)}\n" for item in files) + "\n"
    yield "---\n\n"


def _attachment_line(attachment) -> str:
    """📎 이름 (종류, 크기). 내용 없이 이름만 가져온 파일은 화면의 칩과 같은 말을 붙인다."""
    line = (
        f"📎 {attachment.name.translate(MARKDOWN_SPECIAL)} "
        f"({attachment.get_kind_display()}, {filesizeformat(attachment.size)})"
    )
    if attachment.is_missing:
        line += f" · {_('Not imported: only the name was kept')}"
    return line
