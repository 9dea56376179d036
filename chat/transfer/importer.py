"""대화를 가져온다: 우리 JSON Lines 내보내기와 ChatGPT 데이터 내보내기(conversations.json).

첨부 파일은 내용 없이 이름만 가져온다 (이름, 종류, 크기): 우리 내보내기는 파일을 담지 않고(참조), ChatGPT의 파일에는
내용이 없다. 말풍선은 그 칩에 "가져오지 않음: 이름만 남았다"를 보인다.

먼저 파일 전체를 읽어 검사만 하고(하나라도 틀리면 아무것도 쓰지 않는다), 그다음 파일 전체를 한 트랜잭션으로 쓴다.
DB가 쓰다가 거절할 값(넘치는 수와 시각, 저장할 수 없는 글자)은 읽을 때 거른다: 거절은 쓰기 전에, 그 줄의 이름으로.
같은 사람에게 같은 대화(만든 시각과 제목이 같은 것)가 이미 있으면 건너뛰어, 같은 파일을 다시 가져와도 두 번 생기지 않는다.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext

from chat import tree
from chat.attachments.extract import Kind
from chat.attachments.models import Attachment
from chat.llm import ErrorKind
from chat.markdown import render_or_escape
from chat.models import Conversation, Message
from chat.transfer.chatgpt import read_chatgpt
from chat.transfer.values import (
    ATTACHMENTS_PER_MESSAGE,
    FINISHED,
    MALFORMED,
    MODEL_MAX,
    TITLE_MAX,
    ImportFileError,
    ParsedAttachment,
    ParsedConversation,
    ParsedMessage,
    attachment_name,
    content_type_field,
    kind_of,
    moment,
    position,
    reason,
    shown,
    size_field,
    text_field,
    token_count,
    too_deep,
)

__all__ = ["ImportFileError", "conversation_create", "import_file", "validate_file"]


@dataclass
class ImportCount:
    conversations: int = 0
    messages: int = 0
    skipped: int = 0


# ---------------------------------------------------------------- 파일 읽기


def read_conversations(path: Path) -> Iterator[ParsedConversation]:
    """파일의 대화를 하나씩. 형식은 첫 글자로 안다: '['이면 ChatGPT, 아니면 JSON Lines."""
    with path.open(encoding="utf-8-sig") as file:
        start = file.read(1024).lstrip()[:1]
    if start == "[":
        yield from read_chatgpt(path)
    else:
        yield from _read_jsonl(path)


def _read_jsonl(path: Path) -> Iterator[ParsedConversation]:
    with path.open(encoding="utf-8-sig") as file:
        for number, line in enumerate(file, start=1):
            if not line.strip():
                continue
            try:
                yield _ours(json.loads(line))
            except RecursionError:
                raise ImportFileError(f"line {number}: {too_deep()}") from None
            except MALFORMED as error:
                raise ImportFileError(f"line {number}: {reason(error)}") from error


def _ours(record) -> ParsedConversation:
    if not isinstance(record, dict):
        raise ValueError("each line must be a JSON object")
    messages = record["messages"]
    if not isinstance(messages, list):
        raise ValueError("messages must be a list")
    conversation = ParsedConversation(
        title=text_field(record["title"], "title")[:TITLE_MAX],
        created_at=moment(record["created_at"], "created_at"),
        updated_at=moment(record.get("updated_at") or record["created_at"], "updated_at"),
        model=text_field(record.get("model") or "", "model")[:MODEL_MAX],
        system_prompt=text_field(record.get("system_prompt") or "", "system_prompt"),
    )
    conversation.is_tree = any(isinstance(item, dict) and "parent" in item for item in messages)
    if conversation.is_tree:
        conversation.current = position(record.get("current"), len(messages), "current")
    for index, item in enumerate(messages, start=1):
        if not isinstance(item, dict):
            raise ValueError(f"message {index} must be an object")
        role = item["role"]
        if role not in Message.Role.values:
            raise ValueError(f"message {index} has an unknown role {shown(role)}")
        status = item.get("status") or Message.Status.DONE
        if status not in Message.Status.values:
            raise ValueError(f"message {index} has an unknown status {shown(status)}")
        error_kind = item.get("error_kind") or ""
        # 모르는 값은 PostgreSQL에서 길이 제한(max_length)에 걸릴 수 있고, 화면은 그 문장을 모른다
        if error_kind and error_kind not in ErrorKind.values:
            raise ValueError(
                gettext("message %(index)s has an unknown error kind %(kind)s")
                % {"index": index, "kind": shown(error_kind)}
            )
        conversation.messages.append(
            ParsedMessage(
                role=role,
                content=text_field(item["content"], f"message {index} content"),
                created_at=moment(item["created_at"], f"message {index} created_at"),
                status=status if status in FINISHED else Message.Status.INTERRUPTED,
                error_kind=error_kind,
                model=text_field(item.get("model") or "", "model")[:MODEL_MAX],
                prompt_tokens=token_count(
                    item.get("prompt_tokens"), f"message {index} prompt_tokens"
                ),
                completion_tokens=token_count(
                    item.get("completion_tokens"), f"message {index} completion_tokens"
                ),
                # 부모는 앞의 메시지여야 한다: 고리가 생기지 않는다
                parent=position(item.get("parent"), index - 1, f"message {index} parent"),
                attachments=(
                    _our_attachments(item.get("attachments"), index)
                    if role == Message.Role.USER
                    else []
                ),
            )
        )
    return conversation


def _our_attachments(value, index: int) -> list[ParsedAttachment]:
    """우리 내보내기의 첨부 참조 (chat.transfer.export.attachment_record)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"message {index} attachments must be a list")
    found = []
    for item in value[:ATTACHMENTS_PER_MESSAGE]:
        if not isinstance(item, dict):
            raise ValueError(f"message {index} attachments must be objects")
        content_type = content_type_field(item.get("content_type"))
        kind = item.get("kind")
        found.append(
            ParsedAttachment(
                name=attachment_name(item.get("name")),
                kind=kind if kind in Kind.values else kind_of(content_type),
                content_type=content_type,
                size=size_field(item.get("size")),
            )
        )
    return found


# ---------------------------------------------------------------- 쓰기


def _exists(user, parsed: ParsedConversation) -> bool:
    return Conversation.objects.filter(
        owner=user, created_at=parsed.created_at, title=parsed.title
    ).exists()


def validate_file(path: Path, *, user) -> ImportCount:
    """쓰지 않고 끝까지 읽는다: 틀린 곳이 있으면 ImportFileError. 가져올 것과 건너뛸 것을 센다."""
    count = ImportCount()
    for parsed in read_conversations(path):
        if _exists(user, parsed):
            count.skipped += 1
        else:
            count.conversations += 1
            count.messages += len(parsed.messages)
    return count


@transaction.atomic
def import_file(path: Path, *, user, default_model: str) -> ImportCount:
    """검사를 마친 파일을 한 트랜잭션으로 가져온다: 어디서 실패하든 파일의 어느 대화도 남지 않는다."""
    count = ImportCount()
    for parsed in read_conversations(path):
        if _exists(user, parsed):
            count.skipped += 1
            continue
        conversation_create(user=user, parsed=parsed, default_model=default_model)
        count.conversations += 1
        count.messages += len(parsed.messages)
    return count


def conversation_create(*, user, parsed: ParsedConversation, default_model: str) -> Conversation:
    """가져온 대화 하나. 답변은 화면처럼 미리 그려 둔다. 제목은 파일의 것을 그대로 (다시 짓지 않는다)."""
    conversation = Conversation.objects.create(
        owner=user,
        title=parsed.title,
        needs_title=False,
        model=parsed.model or default_model,
        system_prompt=parsed.system_prompt,
        created_at=parsed.created_at,
        updated_at=parsed.updated_at,
    )
    Message.objects.bulk_create(
        (
            Message(
                has_attachments=bool(message.attachments),
                conversation=conversation,
                role=message.role,
                content=message.content,
                rendered_html=(
                    render_or_escape(message.content)
                    if message.role == Message.Role.ASSISTANT and message.content
                    else ""
                ),
                status=message.status if message.role == Message.Role.ASSISTANT else "done",
                error_kind=message.error_kind,
                model=message.model,
                prompt_tokens=message.prompt_tokens,
                completion_tokens=message.completion_tokens,
                created_at=message.created_at,
                updated_at=message.created_at,
            )
            for message in parsed.messages
        ),
        batch_size=500,
    )
    created = []
    if parsed.is_tree or any(message.attachments for message in parsed.messages):
        # 만든 순서가 목록의 순서라 자리로 메시지를 찾는다
        created = list(conversation.messages.order_by("pk"))
        _attachments_create(user=user, messages=created, parsed=parsed.messages)
    if not parsed.is_tree:
        # 한 줄로 온 대화(ChatGPT, 옛 형식): 번호 순서대로 잇고 마지막 메시지를 지금 갈래의 끝으로
        tree.link_in_order(conversation)
        return conversation
    # 버전 나무로 온 대화: 자리로 부모를 찾는다
    for message, item in zip(created, parsed.messages, strict=True):
        message.parent_id = created[item.parent].pk if item.parent is not None else None
    Message.objects.bulk_update(created, ["parent"], batch_size=500)
    leaf = created[parsed.current] if parsed.current is not None else created[-1]
    conversation.current_leaf = leaf
    conversation.save(update_fields=["current_leaf"])
    return conversation


def _attachments_create(*, user, messages: list[Message], parsed: list[ParsedMessage]) -> None:
    """이름만 남기는 첨부 (파일 칸이 비어 is_missing): 가져오는 사람의 것이다."""
    Attachment.objects.bulk_create(
        (
            Attachment(
                owner=user,
                message=message,
                name=item.name,
                kind=item.kind,
                content_type=item.content_type,
                size=item.size,
            )
            for message, source in zip(messages, parsed, strict=True)
            for item in source.attachments
        ),
        batch_size=500,
    )
