"""대화를 가져온다: 우리 JSON Lines 내보내기와 ChatGPT 데이터 내보내기(conversations.json).

먼저 파일 전체를 읽어 검사만 하고(하나라도 틀리면 아무것도 쓰지 않는다), 그다음 파일 전체를 한 트랜잭션으로 쓴다.
DB가 쓰다가 거절할 값(넘치는 수와 시각, 저장할 수 없는 글자)은 읽을 때 거른다: 거절은 쓰기 전에, 그 줄의 이름으로.
같은 사람에게 같은 대화(만든 시각과 제목이 같은 것)가 이미 있으면 건너뛰어, 같은 파일을 다시 가져와도 두 번 생기지 않는다.
"""

import datetime
import json
import re
import reprlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext

from chat import tree
from chat.llm import ErrorKind
from chat.markdown import render_or_escape
from chat.models import Conversation, Message

TITLE_MAX = Conversation._meta.get_field("title").max_length
MODEL_MAX = Conversation._meta.get_field("model").max_length
# 가져온 답변의 상태: 생성 중이던 것은 끝날 수 없으니 중단으로
FINISHED = {status.value for status in Message.FINISHED}
# 토큰 수 열(PositiveIntegerField)의 끝: PostgreSQL의 integer. SQLite는 더 받아서 시험으로는 드러나지 않는다.
TOKENS_MAX = 2**31 - 1
# 받는 시각. 1970년 전의 대화는 없고, 9999년 끝은 시간대를 더하면 파이썬의 날짜를 넘어 화면이 깨진다.
EARLIEST = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
LATEST = datetime.datetime(9999, 1, 1, tzinfo=datetime.UTC)
# 짝 없는 서로게이트(UTF-8로 바꿀 수 없다)와 NUL(PostgreSQL이 거절한다)
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# 틀린 값을 문장에 보일 때: 길거나 깊은 값도 짧게
_shown = reprlib.Repr(maxlevel=2, maxstring=40, maxother=40).repr
# 파일에서 읽다 나는 오류: 이것들만 "그 줄이 틀렸다"는 문장이 된다
MALFORMED = (ValueError, TypeError, KeyError, AttributeError)


class ImportFileError(Exception):
    """파일의 어느 줄(또는 몇 번째 대화)이 왜 틀렸는지. 명령은 이 한 문장을 보여 주고 끝난다."""


@dataclass
class ParsedMessage:
    role: str
    content: str
    created_at: datetime.datetime
    status: str = Message.Status.DONE
    error_kind: str = ""
    model: str = ""
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    # 이 대화의 메시지 목록에서 부모의 자리 (export의 version 2). 없으면 바로 앞 메시지다.
    parent: int | None = None


@dataclass
class ParsedConversation:
    title: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    model: str = ""
    system_prompt: str = ""
    messages: list[ParsedMessage] = field(default_factory=list)
    # 버전 나무로 온 대화(parent가 적힌 것)와 그 지금 갈래의 끝의 자리. 나무가 아니면 한 줄로 잇는다.
    is_tree: bool = False
    current: int | None = None


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
        yield from _read_chatgpt(path)
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
                raise ImportFileError(f"line {number}: {_too_deep()}") from None
            except MALFORMED as error:
                raise ImportFileError(f"line {number}: {_reason(error)}") from error


def _read_chatgpt(path: Path) -> Iterator[ParsedConversation]:
    # ChatGPT의 파일은 JSON 배열 하나라 한 번에 읽는다
    try:
        with path.open(encoding="utf-8-sig") as file:
            data = json.load(file)
    except RecursionError:
        raise ImportFileError(_too_deep()) from None
    except ValueError as error:
        raise ImportFileError(f"not valid JSON: {error}") from error
    if not isinstance(data, list):
        raise ImportFileError("a ChatGPT export is a list of conversations")
    for number, item in enumerate(data, start=1):
        try:
            parsed = _chatgpt(item)
        except MALFORMED as error:
            title = item.get("title") if isinstance(item, dict) else None
            raise ImportFileError(
                f"conversation {number} ({_shown(title)}): {_reason(error)}"
            ) from error
        if parsed is not None:
            yield parsed


def _too_deep() -> str:
    # 십만 겹의 [[[...]]]는 json이 파이썬의 재귀 한도에 걸려 RecursionError를 낸다
    return gettext("the JSON is nested too deeply")


def _reason(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"missing field {_shown(error.args[0])}"
    return str(error)


def _text(value, name: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text")
    return _storable(value, name)


def _storable(text: str, name: str) -> str:
    """DB가 쓰다가 거절할 글자가 없는 글. 있으면 어느 글자인지 말한다."""
    if found := UNSTORABLE.search(text):
        raise ValueError(
            gettext("%(name)s has a character that cannot be stored (U+%(code)04X)")
            % {"name": name, "code": ord(found.group())}
        )
    return text


def _when(value, name: str) -> datetime.datetime:
    """ISO 8601 문자열 또는 유닉스 시각. 시간대가 없으면 TIME_ZONE으로 본다. EARLIEST부터 LATEST 전까지."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        # 비교가 먼저다: inf, nan, 1e20은 fromtimestamp가 OverflowError로 거절한다
        if EARLIEST.timestamp() <= value < LATEST.timestamp():
            return datetime.datetime.fromtimestamp(value, tz=datetime.UTC)
        raise ValueError(_out_of_range(value, name))
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise ValueError(f"{name} is not a date and time: {_shown(value)}")
    try:
        parsed = parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
        # 저장할 때 UTC로 바꾸므로 9999-12-31T23:00-05:00 같은 값은 여기서 넘친다
        inside = EARLIEST <= parsed < LATEST
    except OverflowError:
        inside = False
    if not inside:
        raise ValueError(_out_of_range(value, name))
    return parsed


def _out_of_range(value, name: str) -> str:
    return gettext("%(name)s is not a date and time from %(first)s to %(last)s: %(value)s") % {
        "name": name,
        "first": EARLIEST.year,
        "last": LATEST.year - 1,
        "value": _shown(value),
    }


def _ours(record) -> ParsedConversation:
    if not isinstance(record, dict):
        raise ValueError("each line must be a JSON object")
    messages = record["messages"]
    if not isinstance(messages, list):
        raise ValueError("messages must be a list")
    conversation = ParsedConversation(
        title=_text(record["title"], "title")[:TITLE_MAX],
        created_at=_when(record["created_at"], "created_at"),
        updated_at=_when(record.get("updated_at") or record["created_at"], "updated_at"),
        model=_text(record.get("model") or "", "model")[:MODEL_MAX],
        system_prompt=_text(record.get("system_prompt") or "", "system_prompt"),
    )
    conversation.is_tree = any(isinstance(item, dict) and "parent" in item for item in messages)
    if conversation.is_tree:
        conversation.current = _position(record.get("current"), len(messages), "current")
    for index, item in enumerate(messages, start=1):
        if not isinstance(item, dict):
            raise ValueError(f"message {index} must be an object")
        role = item["role"]
        if role not in Message.Role.values:
            raise ValueError(f"message {index} has an unknown role {_shown(role)}")
        status = item.get("status") or Message.Status.DONE
        if status not in Message.Status.values:
            raise ValueError(f"message {index} has an unknown status {_shown(status)}")
        error_kind = item.get("error_kind") or ""
        # 모르는 값은 PostgreSQL에서 길이 제한(max_length)에 걸릴 수 있고, 화면은 그 문장을 모른다
        if error_kind and error_kind not in ErrorKind.values:
            raise ValueError(
                gettext("message %(index)s has an unknown error kind %(kind)s")
                % {"index": index, "kind": _shown(error_kind)}
            )
        conversation.messages.append(
            ParsedMessage(
                role=role,
                content=_text(item["content"], f"message {index} content"),
                created_at=_when(item["created_at"], f"message {index} created_at"),
                status=status if status in FINISHED else Message.Status.INTERRUPTED,
                error_kind=error_kind,
                model=_text(item.get("model") or "", "model")[:MODEL_MAX],
                prompt_tokens=_count(item.get("prompt_tokens"), f"message {index} prompt_tokens"),
                completion_tokens=_count(
                    item.get("completion_tokens"), f"message {index} completion_tokens"
                ),
                # 부모는 앞의 메시지여야 한다: 고리가 생기지 않는다
                parent=_position(item.get("parent"), index - 1, f"message {index} parent"),
            )
        )
    return conversation


def _position(value, below: int, name: str) -> int | None:
    """목록 안의 자리: 없거나 0 이상 below 미만의 정수."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < below:
        raise ValueError(
            gettext("%(name)s must point at an earlier message: %(value)s")
            % {"name": name, "value": _shown(value)}
        )
    return value


def _count(value, name: str) -> int | None:
    """토큰 수: 없거나, 열에 들어가는 0 이상의 정수. 2**70은 SQLite에서 OverflowError, PostgreSQL에서 DataError였다."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= TOKENS_MAX:
        raise ValueError(
            gettext("%(name)s must be a whole number from 0 to %(most)s: %(value)s")
            % {"name": name, "most": TOKENS_MAX, "value": _shown(value)}
        )
    return value


def _chatgpt(item) -> ParsedConversation | None:
    """mapping 나무에서 current_node부터 뿌리까지 거슬러 그 사람이 본 가지를 잇는다.

    시스템, 도구, 숨긴 메시지와 글이 아닌 내용은 건너뛴다. 남는 메시지가 없으면 None.
    """
    if not isinstance(item, dict):
        raise ValueError("each conversation must be an object")
    mapping = item["mapping"]
    if not isinstance(mapping, dict):
        raise ValueError("mapping must be an object")
    created = _when(item["create_time"], "create_time")
    conversation = ParsedConversation(
        title=_text(item.get("title") or "", "title")[:TITLE_MAX] or "ChatGPT",
        created_at=created,
        updated_at=_when(item.get("update_time") or item["create_time"], "update_time"),
        model=_text(item.get("default_model_slug") or "", "default_model_slug")[:MODEL_MAX],
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
        message = _chatgpt_message(node.get("message"), created)
        if message is not None:
            conversation.messages.append(message)
    return conversation if conversation.messages else None


def _chatgpt_message(message, fallback: datetime.datetime) -> ParsedMessage | None:
    if message is None:
        return None
    role = message["author"]["role"]
    metadata = message.get("metadata") or {}
    if role not in Message.Role.values or metadata.get("is_visually_hidden_from_conversation"):
        return None
    content = message.get("content") or {}
    # 사진을 붙인 질문(multimodal_text)은 글 부분만 가져온다. 코드 실행, 검색 결과 같은 것은 건너뛴다.
    if content.get("content_type") not in ("text", "multimodal_text"):
        return None
    text = "".join(part for part in content.get("parts") or [] if isinstance(part, str)).strip()
    if not text:
        return None
    created = message.get("create_time")
    return ParsedMessage(
        role=role,
        content=_storable(text, f"message {_shown(message.get('id'))}"),
        created_at=_when(created, "create_time") if created is not None else fallback,
        model=_text(metadata.get("model_slug") or "", "model_slug")[:MODEL_MAX],
    )


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
    if not parsed.is_tree:
        # 한 줄로 온 대화(ChatGPT, 옛 형식): 번호 순서대로 잇고 마지막 메시지를 지금 갈래의 끝으로
        tree.link_in_order(conversation)
        return conversation
    # 버전 나무로 온 대화: 만든 순서가 목록의 순서라 자리로 부모를 찾는다
    created = list(conversation.messages.order_by("pk"))
    for message, item in zip(created, parsed.messages, strict=True):
        message.parent_id = created[item.parent].pk if item.parent is not None else None
    Message.objects.bulk_update(created, ["parent"], batch_size=500)
    leaf = created[parsed.current] if parsed.current is not None else created[-1]
    conversation.current_leaf = leaf
    conversation.save(update_fields=["current_leaf"])
    return conversation
