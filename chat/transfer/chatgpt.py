"""ChatGPT 데이터 내보내기(conversations.json) 읽기: mapping 나무에서 그 사람이 본 가지만.

첨부 파일은 이름만 (내보내기에 내용이 없다).
"""

import datetime
import json
import re
from collections.abc import Iterator
from pathlib import Path

from chat.attachments.extract import Kind
from chat.models import Message
from chat.transfer.values import (
    ATTACHMENTS_PER_MESSAGE,
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
    reason,
    shown,
    size_field,
    storable,
    text_field,
    too_deep,
)

# ChatGPT의 그림 조각이 가리키는 파일 번호 (file-service://file-abc, sediment://file_abc)
ASSET_POINTER = re.compile(r"^[a-z-]+://(?P<id>.+)$")


def read_chatgpt(path: Path) -> Iterator[ParsedConversation]:
    # ChatGPT의 파일은 JSON 배열 하나라 한 번에 읽는다
    try:
        with path.open(encoding="utf-8-sig") as file:
            data = json.load(file)
    except RecursionError:
        raise ImportFileError(too_deep()) from None
    except ValueError as error:
        raise ImportFileError(f"not valid JSON: {error}") from error
    if not isinstance(data, list):
        raise ImportFileError("a ChatGPT export is a list of conversations")
    for number, item in enumerate(data, start=1):
        try:
            parsed = _conversation(item)
        except MALFORMED as error:
            title = item.get("title") if isinstance(item, dict) else None
            raise ImportFileError(
                f"conversation {number} ({shown(title)}): {reason(error)}"
            ) from error
        if parsed is not None:
            yield parsed


def _conversation(item) -> ParsedConversation | None:
    """mapping 나무에서 current_node부터 뿌리까지 거슬러 그 사람이 본 가지를 잇는다.

    시스템, 도구, 숨긴 메시지와 글이 아닌 내용은 건너뛴다. 남는 메시지가 없으면 None.
    """
    if not isinstance(item, dict):
        raise ValueError("each conversation must be an object")
    mapping = item["mapping"]
    if not isinstance(mapping, dict):
        raise ValueError("mapping must be an object")
    created = moment(item["create_time"], "create_time")
    conversation = ParsedConversation(
        title=text_field(item.get("title") or "", "title")[:TITLE_MAX] or "ChatGPT",
        created_at=created,
        updated_at=moment(item.get("update_time") or item["create_time"], "update_time"),
        model=text_field(item.get("default_model_slug") or "", "default_model_slug")[:MODEL_MAX],
    )
    branch = []
    node_id = item["current_node"]
    seen = set()
    while node_id is not None:
        if node_id in seen:
            raise ValueError("the mapping has a loop")
        seen.add(node_id)
        node = mapping.get(node_id)
        if not isinstance(node, dict):
            raise ValueError(f"node {node_id!r} is missing from the mapping")
        branch.append(node)
        node_id = node.get("parent")
    for node in reversed(branch):
        message = _message(node.get("message"), created)
        if message is not None:
            conversation.messages.append(message)
    return conversation if conversation.messages else None


def _message(message, fallback: datetime.datetime) -> ParsedMessage | None:
    if message is None:
        return None
    role = message["author"]["role"]
    metadata = message.get("metadata") or {}
    if role not in Message.Role.values or metadata.get("is_visually_hidden_from_conversation"):
        return None
    content = message.get("content") or {}
    # 사진을 붙인 질문(multimodal_text)은 글 조각만 글로, 그림 조각과 붙인 파일은 이름만 가져온다.
    # 코드 실행, 검색 결과 같은 것은 건너뛴다.
    if content.get("content_type") not in ("text", "multimodal_text"):
        return None
    parts = content.get("parts") or []
    text = "".join(part for part in parts if isinstance(part, str)).strip()
    # 파일은 질문에만 붙는다 (답변이 만든 그림은 도구의 메시지라 이미 빠졌다)
    attachments = (
        _attachments(metadata.get("attachments"), parts) if role == Message.Role.USER else []
    )
    if not text and not attachments:
        return None
    created = message.get("create_time")
    return ParsedMessage(
        role=role,
        content=storable(text, f"message {shown(message.get('id'))}"),
        created_at=moment(created, "create_time") if created is not None else fallback,
        model=text_field(metadata.get("model_slug") or "", "model_slug")[:MODEL_MAX],
        attachments=attachments,
    )


def _attachments(listed, parts) -> list[ParsedAttachment]:
    """metadata.attachments의 파일들과, 거기 없는 그림 조각(image_asset_pointer)마다 "image.png".

    ChatGPT는 올린 그림을 둘 다에 적는다 (조각의 asset_pointer가 파일 번호를 가리킨다): 한 번만 센다.
    파일의 내용은 내보내기에 없다. 틀린 항목은 건너뛴다: 이름 하나 때문에 대화를 거절하지 않는다.
    """
    found, named = [], set()
    for item in listed if isinstance(listed, list) else []:
        if not isinstance(item, dict):
            continue
        content_type = content_type_field(item.get("mimeType") or item.get("mime_type"))
        found.append(
            ParsedAttachment(
                name=attachment_name(item.get("name")),
                kind=kind_of(content_type),
                content_type=content_type,
                size=size_field(item.get("size")),
            )
        )
        if isinstance(item.get("id"), str):
            named.add(item["id"])
    for part in parts if isinstance(parts, list) else []:
        if not isinstance(part, dict) or part.get("content_type") != "image_asset_pointer":
            continue
        pointer = part.get("asset_pointer")
        matched = ASSET_POINTER.match(pointer) if isinstance(pointer, str) else None
        if matched and matched["id"] in named:
            continue
        found.append(
            ParsedAttachment(
                name="image.png",
                kind=Kind.IMAGE,
                content_type="image/png",
                size=size_field(part.get("size_bytes")),
            )
        )
    return found[:ATTACHMENTS_PER_MESSAGE]
