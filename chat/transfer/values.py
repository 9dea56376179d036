"""가져오는 파일의 값 읽기: 두 형식(우리 JSON Lines, ChatGPT)이 함께 쓰는 틀과 검사.

DB가 쓰다가 거절할 값(넘치는 수와 시각, 저장할 수 없는 글자)은 여기서 거른다: 거절은 쓰기 전에, 그 값의 이름으로.
"""

import datetime
import re
import reprlib
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext

from chat.attachments.extract import DOCX_CONTENT_TYPE, Kind, clean_name
from chat.attachments.models import Attachment
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
shown = reprlib.Repr(maxlevel=2, maxstring=40, maxother=40).repr
# 파일에서 읽다 나는 오류: 이것들만 "그 줄이 틀렸다"는 문장이 된다
MALFORMED = (ValueError, TypeError, KeyError, AttributeError)
CONTENT_TYPE_MAX = Attachment._meta.get_field("content_type").max_length
# 메시지 하나에서 이름을 남기는 첨부 수: 적대적인 파일이 한 메시지에 행 백만 개를 만들지 않게
ATTACHMENTS_PER_MESSAGE = 20
# 첨부의 크기 열(PositiveBigIntegerField)의 끝
SIZE_MAX = 2**63 - 1
# 종류/세부 꼴 (RFC 6838의 글자)
MIME_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")


class ImportFileError(Exception):
    """파일의 어느 줄(또는 몇 번째 대화)이 왜 틀렸는지. 명령은 이 한 문장을 보여 주고 끝난다."""


@dataclass
class ParsedAttachment:
    """내용 없이 이름만 가져올 첨부."""

    name: str
    kind: str
    content_type: str
    size: int = 0


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
    attachments: list[ParsedAttachment] = field(default_factory=list)


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


def too_deep() -> str:
    # 십만 겹의 [[[...]]]는 json이 파이썬의 재귀 한도에 걸려 RecursionError를 낸다
    return gettext("the JSON is nested too deeply")


def reason(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"missing field {shown(error.args[0])}"
    return str(error)


def text_field(value, name: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text")
    return storable(value, name)


def storable(text: str, name: str) -> str:
    """DB가 쓰다가 거절할 글자가 없는 글. 있으면 어느 글자인지 말한다."""
    if found := UNSTORABLE.search(text):
        raise ValueError(
            gettext("%(name)s has a character that cannot be stored (U+%(code)04X)")
            % {"name": name, "code": ord(found.group())}
        )
    return text


def moment(value, name: str) -> datetime.datetime:
    """ISO 8601 문자열 또는 유닉스 시각. 시간대가 없으면 TIME_ZONE으로 본다. EARLIEST부터 LATEST 전까지."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        # 비교가 먼저다: inf, nan, 1e20은 fromtimestamp가 OverflowError로 거절한다
        if EARLIEST.timestamp() <= value < LATEST.timestamp():
            return datetime.datetime.fromtimestamp(value, tz=datetime.UTC)
        raise ValueError(_out_of_range(value, name))
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise ValueError(f"{name} is not a date and time: {shown(value)}")
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
        "value": shown(value),
    }


def position(value, below: int, name: str) -> int | None:
    """목록 안의 자리: 없거나 0 이상 below 미만의 정수."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < below:
        raise ValueError(
            gettext("%(name)s must point at an earlier message: %(value)s")
            % {"name": name, "value": shown(value)}
        )
    return value


def token_count(value, name: str) -> int | None:
    """토큰 수: 없거나, 열에 들어가는 0 이상의 정수. 2**70은 SQLite에서 OverflowError, PostgreSQL에서 DataError였다."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= TOKENS_MAX:
        raise ValueError(
            gettext("%(name)s must be a whole number from 0 to %(most)s: %(value)s")
            % {"name": name, "most": TOKENS_MAX, "value": shown(value)}
        )
    return value


def attachment_name(value) -> str:
    # 올린 파일과 같은 규칙: 경로, 제어 문자, 방향 문자를 빼고 120자까지 (chat.attachments.extract)
    return clean_name(value if isinstance(value, str) else "")


def content_type_field(value) -> str:
    """종류/세부 꼴의 MIME 형식만 (매개변수는 뗀다). 아니면 모르는 것(application/octet-stream)."""
    found = value.split(";")[0].strip().lower() if isinstance(value, str) else ""
    if len(found) <= CONTENT_TYPE_MAX and MIME_TYPE.fullmatch(found):
        return found
    return "application/octet-stream"


def kind_of(content_type: str) -> str:
    """내용이 없어 가려 볼 수 없다: 적힌 형식을 믿는다. 그림, PDF, Word가 아니면 글로 둔다."""
    if content_type.startswith("image/"):
        return Kind.IMAGE
    return {"application/pdf": Kind.PDF, DOCX_CONTENT_TYPE: Kind.DOCX}.get(content_type, Kind.TEXT)


def size_field(value) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= SIZE_MAX:
        return value
    return 0
