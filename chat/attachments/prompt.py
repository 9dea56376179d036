"""첨부 파일을 모델에 싣는 모양: 파일마다 이름이 붙은 구획 하나, 그림은 image_url 조각.

글은 올릴 때 꺼내 둔 것(Attachment.text)을 쓴다. 문맥 예산(chat.context)이 모자라면 마지막 질문의 파일은 앞부분만
싣고 뺀 글자 수를 돌려준다: 화면이 "파일의 N자를 빼고 보냈다"고 알린다.
"""

import base64
import fnmatch
import logging
from typing import NamedTuple

from django.conf import settings

from chat.attachments.extract import Kind
from chat.attachments.models import Attachment, attachment_storage
from core import rows

logger = logging.getLogger(__name__)

# 그림 한 장의 토큰 어림값: 줄인 그림(긴 변 1568px 이하)은 OpenAI의 high detail로 1,000 안팎이다
IMAGE_TOKENS = 1000
# 잘린 파일 구획 끝에 붙는 안내 (모델이 읽는다)
CUT_NOTE = "\n[… the rest of this file was left out: it does not fit in the model's context]"


class File(NamedTuple):
    name: str
    kind: str
    content_type: str
    text: str
    truncated: bool
    preview: str


def sees_images(model: str) -> bool:
    """LLM_VISION_MODELS에 든 모델인가. 끝이 *인 항목은 앞부분이 같은 모든 모델."""
    return any(fnmatch.fnmatchcase(model, pattern) for pattern in settings.LLM_VISION_MODELS)


def files_for(message_ids: list[int]) -> dict[int, list[File]]:
    """메시지별 첨부 (올린 순서). 첨부가 있는 메시지만 물으므로 보통의 답변에는 질의가 없다."""
    found: dict[int, list[File]] = {}
    if not message_ids:
        return found
    for message_id, *row in rows.values(
        Attachment,
        ["message", "name", "kind", "content_type", "text", "text_truncated", "preview"],
        {"message": message_ids},
        order_by="pk",
    ):
        found.setdefault(message_id, []).append(File(*row))
    return found


def block(item: File, text: str, *, cut: bool) -> str:
    """파일 하나의 구획. 이름의 따옴표는 바꿔 구획이 깨지지 않게 한다."""
    name = item.name.replace('"', "'")
    note = ""
    if item.truncated:
        note = (
            "\n[… the rest of this file was not read: it is longer than Daehwa reads from one file]"
        )
    if cut:
        note = CUT_NOTE
    return f'<file name="{name}" type="{item.content_type}">\n{text}{note}\n</file>'


def image_note(item: File) -> str:
    return f'<file name="{item.name.replace(chr(34), chr(39))}" type="{item.content_type}">[an image; this model does not read images]</file>'


class Built(NamedTuple):
    content: str | list
    tokens: int
    omitted_chars: int


def user_content(
    text: str, files: list[File], *, model: str, budget: int | None, estimate
) -> Built:
    """질문 하나의 content. budget이 None이면 파일을 다 싣고, 아니면 그 안에 들도록 파일 글을 자른다.

    estimate: chat.context.estimate_tokens (순환 가져오기를 피해 받는다).
    """
    sees = sees_images(model)
    blocks, images, omitted = [], [], 0
    used = estimate(text)
    for item in files:
        if item.kind == Kind.IMAGE:
            url = _data_url(item) if sees and item.preview else None
            if url:
                images.append(url)
                used += IMAGE_TOKENS
            else:
                blocks.append(image_note(item))
                used += estimate(blocks[-1])
            continue
        whole = block(item, item.text, cut=False)
        cost = estimate(whole)
        if budget is None or used + cost <= budget:
            blocks.append(whole)
            used += cost
            continue
        room = max(0, budget - used - estimate(block(item, "", cut=True)))
        kept = _prefix_within(item.text, room, estimate)
        omitted += len(item.text) - len(kept)
        blocks.append(block(item, kept, cut=True))
        used += estimate(blocks[-1])
    body = "\n\n".join([*blocks, text] if text else blocks)
    if not images:
        return Built(body, used, omitted)
    parts = [{"type": "text", "text": body}] + [
        {"type": "image_url", "image_url": {"url": url}} for url in images
    ]
    return Built(parts, used, omitted)


def _prefix_within(text: str, room: int, estimate) -> str:
    """어림값(estimate)이 room 토큰 안에 드는 가장 긴 앞부분. 어림값은 ASCII를 한글보다 싸게 세므로 글자 수로
    자르면 코드와 CSV가 자리를 남긴다: 이분 탐색으로 찾는다 (어림값은 앞부분이 길수록 커진다)."""
    if estimate(text) <= room:
        return text
    low, high = 0, min(len(text), room * 4)
    while low < high:
        middle = (low + high + 1) // 2
        if estimate(text[:middle]) <= room:
            low = middle
        else:
            high = middle - 1
    return text[:low]


def _data_url(item: File) -> str | None:
    """줄인 그림을 data URL로: 모델 서버가 우리 저장소에 닿지 않아도 된다. 저장소에서 읽지 못하면 None (그림 대신
    한 줄의 안내가 간다): 그림 하나 때문에 그 대화의 모든 답변이 실패하지 않게."""
    try:
        with attachment_storage().open(item.preview, "rb") as handle:
            data = handle.read()
    except Exception as error:
        logger.warning(
            "attachment preview unreadable name=%s error=%s", item.preview, type(error).__name__
        )
        return None
    kind = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"
