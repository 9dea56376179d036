"""따로 도는 파일 읽개: PDF, DOCX, 그림을 자원 한도 안에서 읽어 결과를 stdout에 JSON 하나로 낸다.

chat.attachments.extract가 `python -I sandbox.py 종류 글자수 메모리MB CPU초`로 부르고 파일은 stdin으로 준다.
표준 라이브러리와 그 종류의 라이브러리(pypdf, docx, PIL)만 불러온다. Django도 chat도 아니다:
빨리 떠야 하고, 망가졌거나 악의적인 파일이 웹 프로세스의 메모리와 시간을 먹지 못하게 하려는 것이다.
"""

import base64
import io
import json
import logging
import resource
import sys
import warnings

PDF_MAX_PAGES = 300
IMAGE_MAX_SIDE = 1568
THUMBNAIL_SIDE = 160
IMAGE_MAX_PIXELS = 40_000_000
JPEG_QUALITY = 85
# 압축 폭탄: 풀린 크기의 합과 큰 멤버의 압축률 (보통의 docx는 이보다 훨씬 덜 줄어든다)
DOCX_MAX_UNPACKED = 100 * 2**20
DOCX_MAX_RATIO = 200
DOCX_RATIO_FROM = 2**20

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class Refused(Exception):
    """부른 쪽이 사람에게 보일 문장을 고를 코드와 함께 읽기를 멈춘다."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def limit(memory_mb: int, cpu_seconds: int) -> None:
    """이 프로세스의 주소 공간과 CPU 시간을 묶는다. 코어 파일도 남기지 않는다 (SIGXCPU의 기본 동작)."""
    for which, soft in (
        (resource.RLIMIT_AS, memory_mb * 2**20),
        (resource.RLIMIT_CPU, cpu_seconds),
        (resource.RLIMIT_CORE, 0),
    ):
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(which, (soft, soft if which != resource.RLIMIT_CPU else soft + 1))


def cut(parts: list[str], max_chars: int, more: bool, between: str = "\n") -> dict:
    """조각들을 잇고 max_chars에서 자른다. more는 조각 말고도 읽지 않은 것이 남았다는 뜻."""
    text = between.join(parts)
    return {"text": text[:max_chars], "truncated": more or len(text) > max_chars}


def read_pdf(data: bytes, max_chars: int) -> dict:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        # 여는 암호 없이 권한만 잠근 PDF는 빈 암호로 풀린다
        try:
            opened = reader.decrypt("")
        except Exception:
            raise Refused("encrypted") from None
        if not opened:
            raise Refused("encrypted")
    pages = len(reader.pages)
    parts, size = [], 0
    for number in range(min(pages, PDF_MAX_PAGES)):
        text = reader.pages[number].extract_text() or ""
        parts.append(text)
        size += len(text) + 2
        if size > max_chars:
            return cut(parts, max_chars, number + 1 < pages, "\n\n") | {"pages": pages}
    return cut(parts, max_chars, pages > PDF_MAX_PAGES, "\n\n") | {"pages": pages}


def check_zip(data: bytes) -> None:
    """python-docx가 풀기 전에, 중앙 디렉터리가 밝힌 크기로 폭탄을 거른다.

    zipfile은 밝힌 크기보다 많이 풀지 않으므로(넘치면 CRC 오류) 밝힌 크기만 보면 된다.
    """
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
    if sum(member.file_size for member in members) > DOCX_MAX_UNPACKED:
        raise Refused("too_large")
    for member in members:
        if member.file_size > DOCX_RATIO_FROM and member.file_size > DOCX_MAX_RATIO * max(
            member.compress_size, 1
        ):
            raise Refused("too_large")


def docx_lines(element, parent, seen: set):
    """본문의 문단과 표를 문서 순서대로 한 줄씩. 표는 한 행이 한 줄(칸은 탭), 내용 컨트롤(sdt) 안도 읽는다."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in element.iterchildren():
        if child.tag == W + "p":
            yield Paragraph(child, parent).text
        elif child.tag == W + "tbl":
            for row in Table(child, parent).rows:
                cells = []
                for cell in row.cells:
                    # 가로·세로로 합친 칸은 python-docx가 같은 칸을 되풀이해 돌려준다.
                    # 원소 자체를 쥐고 있어야 lxml이 같은 노드에 같은 객체를 돌려준다
                    if cell._tc in seen:
                        continue
                    seen.add(cell._tc)
                    cells.append(" ".join(docx_lines(cell._tc, cell, seen)).strip())
                yield "\t".join(cells)
        elif child.tag not in (W + "sectPr", W + "tblPr"):
            yield from docx_lines(child, parent, seen)


def read_docx(data: bytes, max_chars: int) -> dict:
    check_zip(data)
    import docx

    document = docx.Document(io.BytesIO(data))
    parts, size = [], 0
    for line in docx_lines(document.element.body, document, set()):
        parts.append(line)
        size += len(line) + 1
        if size > max_chars:
            return cut(parts, max_chars, True)
    return cut(parts, max_chars, False)


def encode(image, alpha: bool) -> bytes:
    """메타데이터 없이 새로 쓴다: 투명하면 PNG, 아니면 JPEG."""
    image.info = {}
    out = io.BytesIO()
    if alpha:
        image.save(out, "PNG")
    else:
        image.save(out, "JPEG", quality=JPEG_QUALITY)
    return out.getvalue()


def read_image(data: bytes, max_chars: int) -> dict:
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = IMAGE_MAX_PIXELS
    # 한도의 두 배 밑은 경고만 한다: 그것도 거절이다
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    try:
        image = Image.open(io.BytesIO(data), formats=["PNG", "JPEG", "GIF", "WEBP"])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Refused("too_large") from None
    width, height = image.size
    if width * height > IMAGE_MAX_PIXELS:
        raise Refused("too_large")
    # JPEG는 처음부터 줄여 푼다 (1/2, 1/4, 1/8): 큰 사진의 메모리와 시간을 아낀다
    image.draft("RGB", (IMAGE_MAX_SIDE, IMAGE_MAX_SIDE))
    image.load()
    alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if alpha:
        image = image.convert("RGBA")
        alpha = image.getchannel("A").getextrema() != (255, 255)
        if not alpha:
            image = image.convert("RGB")
    elif image.mode.startswith("I"):
        # 16비트 회색조: 그대로 L로 바꾸면 255에서 잘려 하얗게 된다
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    elif image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    # 줄인 뒤에 돌린다: EXIF는 info에 남아 있고, 돌리는 복사가 작다
    image.thumbnail((IMAGE_MAX_SIDE, IMAGE_MAX_SIDE))
    ImageOps.exif_transpose(image, in_place=True)
    thumbnail = image.copy()
    thumbnail.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    return {
        "image": base64.b64encode(encode(image, alpha)).decode(),
        "image_type": "image/png" if alpha else "image/jpeg",
        "thumbnail": base64.b64encode(encode(thumbnail, alpha)).decode(),
        "width": image.width,
        "height": image.height,
    }


READERS = {"pdf": read_pdf, "docx": read_docx, "image": read_image}


def main() -> None:
    kind, max_chars, memory_mb, cpu_seconds = sys.argv[1], *map(int, sys.argv[2:5])
    limit(memory_mb, cpu_seconds)
    # 망가진 파일마다 pypdf가 남기는 경고 줄은 아무도 읽지 않는다
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    data = sys.stdin.buffer.read()
    try:
        result = READERS[kind](data, max_chars)
    except Refused as refused:
        result = {"error": refused.code}
    except MemoryError:
        result = {"error": "too_large"}
    except Exception:
        result = {"error": "broken"}
    sys.stdout.write(json.dumps(result))


if __name__ == "__main__":
    main()
