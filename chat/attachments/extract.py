"""올린 파일의 종류를 내용으로 가리고 글(그림이면 다시 그린 그림)을 꺼낸다. 이름은 종류를 정하지 않는다.

글 파일은 이 프로세스에서 푼다. PDF, DOCX, 그림은 자원 한도를 건 따로 된 프로세스(sandbox.py)가 읽는다.
"""

import base64
import codecs
import io
import json
import os
import re
import signal
import subprocess
import sys
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.db import models
from django.utils.translation import gettext_lazy as _

# 한도는 sandbox.py에 한 번만 적는다 (그 스크립트는 이 꾸러미를 불러오지 못한다)
from chat.attachments.sandbox import IMAGE_MAX_SIDE as IMAGE_MAX_SIDE
from chat.attachments.sandbox import PDF_MAX_PAGES as PDF_MAX_PAGES
from chat.attachments.sandbox import THUMBNAIL_SIDE as THUMBNAIL_SIDE

SANDBOX = Path(__file__).with_name("sandbox.py")
# 인코딩을 고를 때 보는 앞부분. 고른 인코딩으로는 전체를 푼다
TEXT_SAMPLE = 64 * 1024
NAME_MAX_CHARS = 120
DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

IMAGE_MAGIC = [
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
]


class Kind(models.TextChoices):
    TEXT = "text", _("Text")
    PDF = "pdf", _("PDF")
    DOCX = "docx", _("Word document")
    IMAGE = "image", _("Image")


@dataclass(frozen=True)
class Extracted:
    kind: Kind
    content_type: str
    text: str
    truncated: bool
    encoding: str = ""
    pages: int = 0
    image: bytes | None = None
    image_type: str = ""
    thumbnail: bytes | None = None
    width: int = 0
    height: int = 0


# DOCX의 ZIP 항목 수 한도: Word의 문서는 그림이 많아도 수백 개다
ZIP_MAX_ENTRIES = 2000

# 코드마다 사람에게 보일 문장: 무엇을 하면 되는지까지
MESSAGES = {
    "empty": _("This file is empty."),
    "unsupported": _(
        "Daehwa can read text, code, PDF, Word (.docx) and image files (PNG, JPEG, WebP, GIF). "
        "This file is none of those."
    ),
    "broken": _("This file seems to be damaged and could not be read."),
    "encrypted": _(
        "This PDF is protected with a password. Remove the password and attach it again."
    ),
    "too_large": _("This file is too large once unpacked."),
    "timeout": _("Reading this file took too long. Try a smaller file or paste the part you need."),
    "unavailable": _("The server cannot read files right now. Try again in a moment."),
}


class Unreadable(Exception):
    """읽지 않은 파일. code로 부른 쪽이 갈래를 고르고, message는 번역된 안내문이다."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _refuse(code: str) -> Unreadable:
    return Unreadable(code, str(MESSAGES[code]))


def extract(
    data: bytes, *, filename: str, max_chars: int, seconds: float, memory_mb: int = 512
) -> Extracted:
    """파일을 읽어 Extracted를 돌려준다. 읽지 않으면 Unreadable. 시간과 메모리는 묶여 있다."""
    if not data:
        raise _refuse("empty")
    kind, content_type = _sniff(data)
    if kind is Kind.TEXT:
        return _text(data, filename=filename, max_chars=max_chars)
    found = _sandboxed(kind, data, max_chars=max_chars, seconds=seconds, memory_mb=memory_mb)
    if kind is Kind.IMAGE:
        return Extracted(
            kind=kind,
            content_type=content_type,
            text="",
            truncated=False,
            image=base64.b64decode(found["image"]),
            image_type=found["image_type"],
            thumbnail=base64.b64decode(found["thumbnail"]),
            width=found["width"],
            height=found["height"],
        )
    text = _tidy(found["text"])
    return Extracted(
        kind=kind,
        content_type=content_type,
        text=text[:max_chars],
        truncated=found["truncated"] or len(text) > max_chars,
        pages=found.get("pages", 0),
    )


def _sniff(data: bytes) -> tuple[Kind, str]:
    """앞 바이트로 종류를 가린다. 아는 바이너리가 아니면 글로 보고, 글인지는 _text가 푼 뒤 정한다."""
    if data.startswith(b"%PDF-"):
        return Kind.PDF, "application/pdf"
    for magic, content_type in IMAGE_MAGIC:
        if data.startswith(magic):
            return Kind.IMAGE, content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return Kind.IMAGE, "image/webp"
    if data.startswith(b"PK\x03\x04"):
        # 항목 수부터: 작은 항목 수십만 개의 중앙 디렉터리는 이름 목록만으로도 이 프로세스의 메모리와 시간을 쓴다
        entries = _zip_entries(data)
        if entries is None:
            raise _refuse("broken")
        if entries > ZIP_MAX_ENTRIES:
            raise _refuse("too_large")
        # 중앙 디렉터리의 이름만 읽는다: 아무것도 풀지 않는다
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except Exception:
            # 깨진 중앙 디렉터리는 BadZipFile 말고도 NotImplementedError(모르는 판) 등을 낸다: 모두 깨진 파일이다
            raise _refuse("broken") from None
        if "word/document.xml" not in names:
            raise _refuse("unsupported")
        return Kind.DOCX, DOCX_CONTENT_TYPE
    return Kind.TEXT, "text/plain"


# 자식에게 넘기는 환경 변수: 적대적인 파일을 푸는 곳이라 웹 프로세스의 비밀(SECRET_KEY, DB와 S3)은 주지 않는다
SANDBOX_ENV_NAMES = ("PATH", "TMPDIR", "LANG", "LC_ALL")


def _zip_entries(data: bytes) -> int | None:
    """끝 레코드(EOCD, 파일 끝 22바이트 + 주석 65,535바이트 안)에 적힌 항목 수. 끝 레코드가 없으면 None.
    ZIP64(0xFFFF)는 수를 따로 적으므로 한도를 넘는 것으로 본다: Word의 DOCX는 ZIP64가 아니다."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 65535))
    if end < 0 or end + 22 > len(data):
        return None
    return int.from_bytes(data[end + 10 : end + 12], "little")


def _sandboxed(kind: Kind, data: bytes, *, max_chars: int, seconds: float, memory_mb: int) -> dict:
    """sandbox.py를 한도와 함께 띄워 결과 JSON을 받는다. 시간을 넘기면 죽이고, 이상한 끝은 모두 거절이다."""
    command = [
        sys.executable,
        "-I",
        str(SANDBOX),
        kind.value,
        str(max_chars),
        str(memory_mb),
        str(int(seconds) + 1),
    ]
    try:
        done = subprocess.run(  # noqa: S603 — 우리 스크립트를 고정된 인자로 부른다
            command,
            input=data,
            capture_output=True,
            timeout=seconds,
            check=False,
            env={name: os.environ[name] for name in SANDBOX_ENV_NAMES if name in os.environ},
        )
    except subprocess.TimeoutExpired:
        raise _refuse("timeout") from None
    except OSError:
        # 프로세스를 더 만들 수 없다 (EAGAIN, ENOMEM): 바쁜 서버의 일이라 다시 해 볼 수 있다
        raise _refuse("unavailable") from None
    if done.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        raise _refuse("timeout")
    try:
        found = json.loads(done.stdout) if done.returncode == 0 else {"error": "broken"}
    except ValueError:
        found = {"error": "broken"}
    if "error" in found:
        raise _refuse(found["error"] if found["error"] in MESSAGES else "broken")
    return found


def _text(data: bytes, *, filename: str, max_chars: int) -> Extracted:
    """글 파일: NUL이 없고 풀리는 것만. UTF-8이 먼저, 그다음 CP949, cp1252, charset-normalizer의 추측."""
    decoded = _decode(data)
    if decoded is None:
        raise _refuse("unsupported")
    text, encoding = decoded
    text = _tidy(text.replace("\r\n", "\n"))
    if not text.strip():
        raise _refuse("empty")
    return Extracted(
        kind=Kind.TEXT,
        content_type=_text_type(text, filename),
        text=text[:max_chars],
        truncated=len(text) > max_chars,
        encoding=encoding,
    )


def _decode(data: bytes) -> tuple[str, str] | None:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # 메모장의 "유니코드" 저장: NUL이 섞이는 유일한 글 파일
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            return None
        return (text, "utf-16") if "\x00" not in text else None
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    sample = data[:TEXT_SAMPLE]
    if len(data) > TEXT_SAMPLE and b"\n" in sample:
        sample = sample[: sample.rindex(b"\n") + 1]
    # 우리 쓰는 사람의 옛 파일은 거의 CP949다. 짧은 글은 charset-normalizer가 Big5나 cp1250과 헷갈린다
    # 마지막 후보는 몇 바이트만 깨진 UTF-8
    for guess in (_korean, _western, _guess, lambda _sample: "utf-8"):
        encoding = guess(sample)
        if encoding is None:
            continue
        text = data.decode(encoding, "replace")
        # 표본 뒤의 몇 바이트가 깨진 글은 받고(�로), 깨진 곳이 많으면 다음 후보로
        if text.count("\ufffd") <= 8 + len(text) // 1000:
            return text, encoding
    return None


def _partial(sample: bytes, encoding: str) -> str | None:
    """표본을 푼다. 끝에서 잘린 글자 하나는 봐준다."""
    try:
        return codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
    except UnicodeDecodeError:
        return None


def _korean(sample: bytes) -> str | None:
    """CP949(EUC-KR의 상위 집합)로 풀리고, ASCII 밖 글자가 거의 한글이며 그 반 넘게가 KS X 1001의 흔한 한글이면.

    일본어 Shift_JIS는 CP949로 풀리면 드문 확장 한글이 되고, 중국어는 한자가 되어 걸러진다.
    """
    text = _partial(sample, "cp949")
    wide = [char for char in text or "" if ord(char) > 0x7F]
    hangul = [char for char in wide if "\uac00" <= char <= "\ud7a3"]
    # 드문 음절도 euc_kr 코덱은 8바이트 조합형으로 쓴다: 2바이트면 KS X 1001의 글자다
    common = sum(len(char.encode("euc_kr")) == 2 for char in hangul)
    return (
        "cp949" if wide and len(hangul) >= 0.8 * len(wide) and common >= 0.5 * len(hangul) else None
    )


def _western(sample: bytes) -> str | None:
    """cp1252로 풀리고 ASCII 밖 글자가 드문 글자·문장 부호뿐이면 (café, naïve, “따옴표”)."""
    text = _partial(sample, "cp1252")
    wide = [char for char in text or "" if ord(char) > 0x7F]
    if not wide or len(wide) > 0.2 * len(text):
        return None
    return "cp1252" if all(char.isalpha() or char in "‘’“”–—…€•«»°·" for char in wide) else None


def _guess(sample: bytes) -> str | None:
    import charset_normalizer  # 느린 import라 필요할 때만

    best = charset_normalizer.from_bytes(sample).best()
    if best is None:
        return None
    # EUC-KR의 상위 집합: 확장 완성형(똠, 뷁)이 표본 뒤에 나와도 풀린다
    return "cp949" if best.encoding == "euc_kr" else best.encoding


def _text_type(text: str, filename: str) -> str:
    """내용이 JSON 객체·배열이면 application/json. 이름은 글 안에서의 이름표(CSV)만 고른다."""
    if text.lstrip()[:1] in ("{", "["):
        try:
            json.loads(text)
        except (ValueError, RecursionError):
            # 아주 깊이 겹친 배열([[[…)은 RecursionError: JSON이라 부르지 않고 글로 둔다
            pass
        else:
            return "application/json"
    if filename.lower().endswith((".csv", ".tsv")):
        return "text/csv"
    return "text/plain"


def _tidy(text: str) -> str:
    """NFC로 모으고, 데이터베이스가 받지 않는 NUL과 짝 없는 서로게이트를 뺀다."""
    text = text.replace("\x00", "")
    text = text.encode("utf-8", "replace").decode("utf-8")
    return unicodedata.normalize("NFC", text)


def clean_name(raw: str) -> str:
    """보여 주고 저장해도 되는 파일 이름: 경로와 드라이브 문자를 떼고, 제어·방향 문자를 빼고, 120자까지 (확장자는 지킨다)."""
    name = re.split(r"[\\/]", raw or "")[-1]
    name = re.sub(r"^[A-Za-z]:", "", name)
    kept = []
    for char in unicodedata.normalize("NFC", name):
        category = unicodedata.category(char)
        if category == "Cc":
            kept.append(" ")
        # 형식 문자(Cf)에는 글자 방향을 뒤집는 것("txt.exe"를 "exe.txt"로 보이게)이 있다. 이모지의 ZWJ만 남긴다
        elif category not in ("Cs", "Cf") or char in "\u200c\u200d":
            kept.append(char)
    name = " ".join("".join(kept).split()).lstrip(". ").rstrip(" ")
    if len(name) > NAME_MAX_CHARS:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and 0 < len(extension) <= 16:
            name = stem[: NAME_MAX_CHARS - len(extension) - 1].rstrip(" .") + "." + extension
        else:
            name = name[:NAME_MAX_CHARS].rstrip(" .")
    return name or "file"
