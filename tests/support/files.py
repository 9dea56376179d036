"""시험용 첨부 파일을 바이트로 만든다: 받아야 할 보통 파일과, 거절하거나 안전하게 다시 그려야 할 적대적인 파일.

reportlab이 없어 PDF는 손으로 쓴다. 폭탄은 큰 내용을 실제로 만들지 않고 압축된 모양만 싸게 짓는다.
"""

import functools
import io
import struct
import zipfile
import zlib

import docx
from PIL import Image, ImageDraw
from PIL.PngImagePlugin import PngInfo

MB = 2**20
SCRIPT = b"<html><script>alert(1)</script></html>"


def _pdf_string(text: str) -> bytes:
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("cp1252") + b")"


def make_pdf(pages: int, text: str = "Page") -> bytes:
    """쪽마다 글 흐름 하나가 있는 가장 작은 PDF. i쪽(1부터)에는 "{text} {i}"가 줄(\\n)마다 한 줄씩 찍힌다."""
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    }
    kids = []
    for index in range(pages):
        page, content = 4 + 2 * index, 5 + 2 * index
        lines = f"{text} {index + 1}".split("\n")
        stream = (
            b"BT /F1 11 Tf 14 TL 72 750 Td "
            + b" Tj T* ".join(_pdf_string(line) for line in lines)
            + b" Tj ET"
        )
        objects[page] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % content
        )
        objects[content] = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream)
        kids.append(b"%d 0 R" % page)
    objects[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), pages)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, objects[number])
    xref, size = len(out), max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    out += b"".join(b"%010d 00000 n \n" % offsets[number] for number in range(1, size))
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)


def make_encrypted_pdf(*, user_password: str) -> bytes:
    """pypdf로 잠근 3쪽짜리 PDF. user_password가 빈 문자열이면 암호 없이 열리고 권한만 잠긴다."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(3, "Locked"))))
    writer.encrypt(user_password, owner_password="owner-secret", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_docx(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    """문단들, 그 뒤에 표(행의 목록), 그 뒤에 "After the table" 문단이 있는 Word 문서 (표가 있을 때만)."""
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, values in zip(grid.rows, table, strict=True):
            for cell, value in zip(row.cells, values, strict=True):
                cell.text = value
        document.add_paragraph("After the table")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _picture(width: int, height: int, mode: str) -> Image.Image:
    """빈 그림이 아니라 줄였을 때도 모양이 남는 그림: 배경과 사각형 하나."""
    image = Image.new(mode, (width, height), "navy" if mode != "L" else 40)
    color = "orange" if mode != "L" else 200
    ImageDraw.Draw(image).rectangle((width // 4, height // 4, width // 2, height // 2), fill=color)
    return image


def _save(image: Image.Image, format: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format, **options)
    return out.getvalue()


def make_png(width: int = 64, height: int = 48, *, alpha: bool = False, **options) -> bytes:
    image = _picture(width, height, "RGBA" if alpha else "RGB")
    if alpha:
        image.putpixel((0, 0), (0, 0, 0, 0))
    return _save(image, "PNG", **options)


def make_jpeg(width: int = 64, height: int = 48, *, orientation: int | None = None) -> bytes:
    """orientation을 주면 EXIF 방향 태그(6 = 시계 방향 90도 돌려 볼 것)와 카메라 정보를 싣는다."""
    image = _picture(width, height, "RGB")
    if orientation is None:
        return _save(image, "JPEG", quality=90)
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "SecretCam"
    return _save(image, "JPEG", quality=90, exif=exif.tobytes())


def make_gif(width: int = 64, height: int = 48, *, frames: int = 2) -> bytes:
    """첫 장은 남색 바탕, 다음 장들은 빨강: 첫 장만 읽었는지 색으로 안다."""
    first = _picture(width, height, "RGB").convert("P")
    rest = [Image.new("RGB", (width, height), "red").convert("P") for _ in range(frames - 1)]
    return _save(first, "GIF", save_all=bool(rest), append_images=rest, duration=100, loop=0)


def make_webp(width: int = 64, height: int = 48) -> bytes:
    return _save(_picture(width, height, "RGB"), "WEBP", quality=80)


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _repeated_member(archive: zipfile.ZipFile, name: str, size: int, pattern: bytes) -> None:
    """size 바이트의 되풀이를 1 MB씩 써 넣는다: 메모리에 한꺼번에 두지 않는다."""
    chunk = (pattern * (MB // len(pattern) + 1))[:MB]
    with archive.open(name, "w", force_zip64=True) as member:
        for start in range(0, size, MB):
            member.write(chunk[: min(MB, size - start)])


def _docx_with(extra: dict[str, int], document_size: int = 0) -> bytes:
    """진짜 docx에 되풀이 멤버를 더하거나(extra: 이름 → 크기) word/document.xml을 키운다."""
    real = zipfile.ZipFile(io.BytesIO(make_docx(["Hello"])))
    out = io.BytesIO()
    # 압축 단계 1: 200 MB를 1초 안에 (되풀이라 그래도 200:1이 넘는다)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for info in real.infolist():
            if info.filename == "word/document.xml" and document_size:
                _repeated_member(archive, info.filename, document_size, b"<w:p/>")
            else:
                archive.writestr(info.filename, real.read(info))
        for name, size in extra.items():
            _repeated_member(archive, name, size, b"\0")
    return out.getvalue()


@functools.cache
def docx_bomb() -> bytes:
    """word/document.xml이 210 MB로 풀리는 1 MB 남짓의 docx."""
    return _docx_with({}, document_size=210 * MB)


@functools.cache
def docx_many_members() -> bytes:
    """멤버마다 1 MB(압축률 검사 밖)지만 모두 합치면 110 MB로 풀리는 docx."""
    return _docx_with({f"word/media/blob{number}.bin": MB for number in range(110)})


def docx_many_entries(count: int = 2500) -> bytes:
    """작은 항목이 아주 많은 docx: 풀린 크기는 작아도 중앙 디렉터리가 길다."""
    real = zipfile.ZipFile(io.BytesIO(make_docx(["Hello"])))
    members = {info.filename: real.read(info) for info in real.infolist()}
    members |= {f"word/media/{number}.bin": b"" for number in range(count)}
    return _zip(members)


def docx_high_ratio() -> bytes:
    """합은 작지만(8 MB) 멤버 하나가 수백 대 일로 압축된 docx."""
    return _docx_with({"word/media/zeros.bin": 8 * MB})


def not_docx_zip() -> bytes:
    """word/document.xml이 없는 보통 zip."""
    return _zip({"readme.txt": b"hello", "data.csv": b"a,b\n1,2\n"})


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@functools.cache
def png_bomb(side: int = 30000) -> bytes:
    """side×side 8비트 회색조, 모두 0인 PNG. 푼 크기는 (side+1)×side 바이트, 파일은 그 천분의 일.

    0만 압축하므로 1 MB 덩어리를 한 번 압축해(전체 플러시로 끊어) 되풀이하고, Adler-32는 식으로 구한다.
    """
    raw = (side + 1) * side
    block_compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = block_compressor.compress(bytes(MB)) + block_compressor.flush(zlib.Z_FULL_FLUSH)
    tail_compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    tail = tail_compressor.compress(bytes(raw % MB)) + tail_compressor.flush()
    # 모두 0인 데이터의 Adler-32: A = 1, B = 길이
    adler = ((raw % 65521) << 16) | 1
    stream = b"\x78\xda" + block * (raw // MB) + tail + struct.pack(">I", adler)
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", stream)
        + _png_chunk(b"IEND", b"")
    )


def broken_pdf_truncated() -> bytes:
    """3분의 2에서 끊긴 PDF: 쪽 목록도 xref도 없다."""
    whole = make_pdf(3, "Cut")
    return whole[: len(whole) * 2 // 3]


def broken_pdf_bad_xref() -> bytes:
    """객체는 멀쩡하고 xref의 자리 값만 모두 틀린 PDF: 읽는 쪽이 객체를 훑어 다시 세울 수 있다."""
    whole = make_pdf(3, "Mended")
    return whole.replace(b"00000 n", b"99999 n").replace(b"startxref\n", b"startxref\n9")


def broken_pdf_garbage() -> bytes:
    """PDF 머리 뒤가 모두 쓰레기인 파일."""
    return (
        b"%PDF-1.7\n"
        + bytes(range(1, 256)) * 40
        + b"\nxref\nnot a table\nstartxref\n999999\n%%EOF\n"
    )


def binary_bytes() -> bytes:
    """글이 아닌 바이트(NUL 포함): .txt 이름을 달고 올라온다."""
    return b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 64


def polyglot_gif() -> bytes:
    """GIF 주석에도, 끝 뒤에도 HTML이 붙은 유효한 GIF."""
    image = _picture(40, 30, "RGB").convert("P")
    return _save(image, "GIF", comment=SCRIPT) + SCRIPT


def polyglot_png() -> bytes:
    """tEXt 조각과 IEND 뒤에 HTML이 붙은 유효한 PNG."""
    info = PngInfo()
    info.add_text("Comment", SCRIPT.decode())
    return make_png(40, 30, pnginfo=info) + SCRIPT


def svg_with_script() -> bytes:
    return (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b"<script>alert(1)</script>"
        b'<circle cx="5" cy="5" r="4" fill="red"/></svg>\n'
    )
