"""첨부 파일의 종류 가리기와 글 꺼내기(chat.attachments.extract): 받을 파일은 제대로 읽고, 적대적인 파일은 한도 안에서 거절한다."""

import io
import json
import subprocess
import sys
import unicodedata

import pytest
from PIL import Image

from chat.attachments import extract
from chat.attachments.extract import Kind, Unreadable, clean_name
from tests.support import files

LIMITS = {"max_chars": 200_000, "seconds": 20.0}


def read(data: bytes, filename: str = "upload", **limits) -> extract.Extracted:
    return extract.extract(data, filename=filename, **(LIMITS | limits))


def refused(data: bytes, filename: str = "upload", **limits) -> str:
    with pytest.raises(Unreadable) as caught:
        read(data, filename, **limits)
    assert str(caught.value.message)
    return caught.value.code


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# 그림


def test_a_large_png_comes_back_as_a_smaller_jpeg_and_a_thumbnail():
    found = read(files.make_png(3000, 2000), "photo.png")

    assert (found.kind, found.content_type, found.text) == (Kind.IMAGE, "image/png", "")
    assert (found.width, found.height) == (1568, 1045)
    assert found.image_type == "image/jpeg"
    assert opened(found.image).format == "JPEG"
    assert opened(found.image).size == (1568, 1045)
    assert max(opened(found.thumbnail).size) == 160
    assert len(found.thumbnail) < 8_000


def test_a_png_with_transparency_stays_png():
    found = read(files.make_png(300, 200, alpha=True))

    assert found.image_type == "image/png"
    assert opened(found.image).mode == "RGBA"
    assert opened(found.thumbnail).format == "PNG"


def test_a_jpeg_is_turned_upright_and_loses_its_camera_metadata():
    found = read(files.make_jpeg(200, 100, orientation=6))

    assert found.content_type == "image/jpeg"
    assert (found.width, found.height) == (100, 200)
    assert b"SecretCam" not in found.image
    assert not opened(found.image).getexif()


def test_webp_is_read():
    found = read(files.make_webp(400, 300))

    assert (found.content_type, found.width, found.height) == ("image/webp", 400, 300)
    assert max(opened(found.thumbnail).size) == 160


def test_an_animated_gif_gives_its_first_frame():
    found = read(files.make_gif(64, 48, frames=3))

    assert found.content_type == "image/gif"
    red, _, blue = opened(found.image).convert("RGB").getpixel((2, 2))
    # 첫 장은 남색, 나머지는 빨강
    assert blue > 100
    assert red < 60


@pytest.mark.parametrize("make", [files.polyglot_gif, files.polyglot_png])
def test_html_hidden_in_an_image_does_not_survive_the_redraw(make):
    found = read(make(), "cat.png")

    assert found.kind is Kind.IMAGE
    for output in (found.image, found.thumbnail):
        assert b"<html" not in output
        assert b"<script" not in output


def test_a_png_bomb_is_refused_before_it_is_decoded():
    assert refused(files.png_bomb(), "huge.png") == "too_large"


def test_an_image_just_over_the_pixel_limit_is_refused():
    # 7000×7000 = 4900만: 한도의 두 배 밑이라 Pillow는 경고만 한다
    assert refused(files.png_bomb(7000)) == "too_large"


def test_an_image_that_needs_more_memory_than_allowed_is_refused():
    assert refused(files.make_png(6000, 6000, alpha=True), memory_mb=100) == "too_large"


# PDF


def test_pdf_text_of_every_page():
    found = read(files.make_pdf(3, "Hello"), "slides.pdf")

    assert (found.kind, found.content_type, found.pages) == (Kind.PDF, "application/pdf", 3)
    assert found.text == "Hello 1\n\nHello 2\n\nHello 3"
    assert not found.truncated


def test_pdf_text_is_cut_at_max_chars():
    found = read(files.make_pdf(10, "x" * 100), max_chars=250)

    assert len(found.text) == 250
    assert found.truncated
    assert found.pages == 10


def test_a_pdf_of_five_thousand_pages_is_read_up_to_the_page_cap_in_time():
    found = read(files.make_pdf(5000, "tiny"), seconds=10)

    assert found.pages == 5000
    assert found.truncated
    assert f"tiny {extract.PDF_MAX_PAGES}" in found.text
    assert f"tiny {extract.PDF_MAX_PAGES + 1}" not in found.text


def test_a_password_protected_pdf_is_refused():
    assert refused(files.make_encrypted_pdf(user_password="secret")) == "encrypted"


def test_a_pdf_locked_only_against_editing_is_read():
    found = read(files.make_encrypted_pdf(user_password=""))

    assert found.text == "Locked 1\n\nLocked 2\n\nLocked 3"


@pytest.mark.parametrize("make", [files.broken_pdf_truncated, files.broken_pdf_garbage])
def test_a_damaged_pdf_is_refused(make):
    assert refused(make(), "report.pdf") == "broken"


def test_a_pdf_with_a_wrong_xref_is_mended():
    assert read(files.broken_pdf_bad_xref()).text == "Mended 1\n\nMended 2\n\nMended 3"


def test_a_slow_read_is_stopped():
    assert refused(files.make_pdf(3), seconds=0.01) == "timeout"


# DOCX


def test_docx_paragraphs_and_table_rows_in_document_order():
    data = files.make_docx(["첫 문단", "Second"], [["이름", "점수"], ["민지", "90"]])

    found = read(data, "report.docx")

    assert (found.kind, found.content_type) == (Kind.DOCX, extract.DOCX_CONTENT_TYPE)
    assert found.text == "첫 문단\nSecond\n이름\t점수\n민지\t90\nAfter the table"
    assert not found.truncated


def test_docx_text_is_cut_at_max_chars():
    found = read(files.make_docx(["a" * 100] * 5), max_chars=150)

    assert found.text == "a" * 100 + "\n" + "a" * 49
    assert found.truncated


@pytest.mark.parametrize("make", [files.docx_bomb, files.docx_many_members, files.docx_high_ratio])
def test_a_docx_that_unpacks_too_far_is_refused(make):
    assert refused(make(), "report.docx") == "too_large"


def test_a_docx_with_thousands_of_entries_is_refused_before_its_names_are_read(monkeypatch):
    # 이름 목록을 만드는 것만으로 웹 프로세스가 메모리와 시간을 쓴다: 끝 레코드의 수로 먼저 거절한다
    def no_directory(*args, **kwargs):
        raise AssertionError("the central directory was read")

    data = files.docx_many_entries()
    monkeypatch.setattr(extract.zipfile, "ZipFile", no_directory)

    assert refused(data, "report.docx") == "too_large"


def test_a_zip_without_its_end_record_is_damaged():
    data = files.make_docx(["Hello"])

    assert refused(data[: data.rfind(b"PK\x05\x06")], "report.docx") == "broken"


def test_the_sandbox_gets_none_of_the_web_process_secrets(monkeypatch):
    monkeypatch.setenv("DJANGO_SECRET_KEY", "web-secret")
    monkeypatch.setenv("DATABASE_URL", "postgres://user:password@db/daehwa")
    seen = {}
    run = subprocess.run

    def watched(*args, **kwargs):
        seen.update(kwargs["env"])
        return run(*args, **kwargs)

    monkeypatch.setattr(extract.subprocess, "run", watched)

    found = read(files.make_pdf(1, "Homework"), "a.pdf")

    assert "Homework" in found.text
    assert "PATH" in seen
    assert not {"DJANGO_SECRET_KEY", "DATABASE_URL"} & set(seen)


def test_a_server_that_cannot_start_the_sandbox_says_try_again(monkeypatch):
    def no_more_processes(*args, **kwargs):
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(extract.subprocess, "run", no_more_processes)

    assert refused(files.make_pdf(1), "a.pdf") == "unavailable"


def test_a_zip_that_is_not_a_word_document_is_unsupported():
    assert refused(files.not_docx_zip(), "report.docx") == "unsupported"


# 글


def test_a_cp949_python_file_comes_out_as_hangul():
    source = '# 설정을 읽는다\ndef 인사(이름):\n    return f"안녕하세요, {이름}님! 똠방각하"\n'

    found = read(source.encode("cp949"), "hello.py")

    assert (found.kind, found.content_type, found.encoding) == (Kind.TEXT, "text/plain", "cp949")
    assert found.text == source


@pytest.mark.parametrize("source", ["한글", 'print("안녕")\n'])
def test_a_few_korean_words_in_cp949_are_not_mistaken_for_chinese(source):
    # 이만큼 짧으면 charset-normalizer는 Big5를 고른다
    assert read(source.encode("cp949"), "a.py").text == source


def test_an_euc_kr_file_comes_out_as_hangul():
    source = "회의록\n참석: 민지, 준호\n다음 회의는 금요일입니다.\n"

    assert read(source.encode("euc_kr"), "notes.txt").text == source


def test_japanese_shift_jis_is_not_mistaken_for_korean():
    source = "今日は良い天気ですね。散歩に行きましょう。"

    found = read(source.encode("shift_jis"), "memo.txt")

    assert found.text == source


def test_a_western_legacy_file_keeps_its_accents():
    source = "Le café est très bon à Montréal."

    assert read(source.encode("cp1252")).text == source


def test_utf8_with_a_bom_loses_the_bom():
    found = read("\ufeff안녕 hello".encode(), "a.txt")

    assert (found.text, found.encoding) == ("안녕 hello", "utf-8")


def test_utf16_from_notepad_is_read():
    assert read("메모장 note".encode("utf-16"), "a.txt").text == "메모장 note"


def test_text_is_nfc_and_has_unix_line_ends():
    decomposed = unicodedata.normalize("NFD", "한글\r\n둘째 줄")

    assert read(decomposed.encode()).text == "한글\n둘째 줄"


def test_utf8_with_a_stray_byte_is_still_text():
    data = "가".encode() * 5000 + b"\xff" + "끝".encode()

    found = read(data)

    assert found.encoding == "utf-8"
    assert found.text.endswith("\ufffd끝")


def test_long_text_is_cut_at_max_chars():
    found = read(("가" * 1000).encode(), max_chars=300)

    assert found.text == "가" * 300
    assert found.truncated


@pytest.mark.parametrize(
    ("data", "filename", "content_type"),
    [
        (b"name,score\n\xeb\xaf\xbc\xec\xa7\x80,90\n", "scores.csv", "text/csv"),
        (b"a\tb\n1\t2\n", "table.tsv", "text/csv"),
        (b'{"answer": [1, 2, "\xec\x85\x8b"]}', "data.txt", "application/json"),
        (b"[1, 2]\n", "list", "application/json"),
        (b"{not json", "broken.json", "text/plain"),
        (b"# Title\n\n- item\n", "README.md", "text/plain"),
    ],
)
def test_text_sub_types(data, filename, content_type):
    found = read(data, filename)

    assert (found.kind, found.content_type) == (Kind.TEXT, content_type)
    assert found.text == data.decode()


def test_an_svg_with_a_script_is_plain_text_source():
    found = read(files.svg_with_script(), "logo.svg")

    assert (found.kind, found.content_type) == (Kind.TEXT, "text/plain")
    assert "<script>alert(1)</script>" in found.text
    assert found.image is None


def test_a_binary_file_named_txt_is_unsupported():
    assert refused(files.binary_bytes(), "notes.txt") == "unsupported"


def test_binary_bytes_without_nul_are_unsupported():
    assert refused(bytes(range(1, 256)) * 100, "notes.txt") == "unsupported"


@pytest.mark.parametrize("data", [b"", b"  \n\t\r\n "])
def test_an_empty_file_is_refused(data):
    assert refused(data, "empty.txt") == "empty"


# 이름이 아니라 내용


def test_the_name_does_not_decide_the_kind():
    assert read(files.make_pdf(1), "notes.txt").kind is Kind.PDF
    assert read(files.make_png(), "report.pdf").kind is Kind.IMAGE
    assert read(b"just text", "photo.png").kind is Kind.TEXT
    assert refused(files.make_pdf(1)[:9] + b"\x00" * 50, "a.txt") == "broken"


@pytest.mark.parametrize(
    ("kind", "make", "libraries"),
    [
        # pypdf는 스스로 PIL을 불러온다
        ("pdf", lambda: files.make_pdf(2, "Alone"), "PIL pypdf"),
        ("docx", lambda: files.make_docx(["Alone"]), "docx"),
        ("image", files.make_png, "PIL"),
    ],
)
def test_the_sandbox_runs_alone_and_imports_only_what_the_kind_needs(kind, make, libraries):
    probe = (
        "import runpy, sys\n"
        f"sys.argv = ['sandbox', {kind!r}, '1000', '512', '10']\n"
        f"runpy.run_path({str(extract.SANDBOX)!r}, run_name='__main__')\n"
        "loaded = {name.split('.')[0] for name in sys.modules}\n"
        "print('\\n' + ' '.join(sorted(loaded & {'django', 'chat', 'docx', 'PIL', 'pypdf'})))\n"
    )

    done = subprocess.run(
        [sys.executable, "-I", "-c", probe],
        input=make(),
        capture_output=True,
        timeout=30,
        check=True,
    )

    result, loaded = done.stdout.decode().rstrip("\n").rsplit("\n", 1)
    assert "error" not in json.loads(result)
    assert loaded == libraries


# 파일 이름


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\민지\\Desktop\\과제.docx", "과제.docx"),
        ("D:notes.txt", "notes.txt"),
        ("folder/", "file"),
        ("..", "file"),
        ("", "file"),
        ("...hidden.txt", "hidden.txt"),
        ("a\x00b\nc\td.txt", "a b c d.txt"),
        ("  many    spaces  .txt", "many spaces .txt"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("\u2066evil\u2069.txt", "evil.txt"),
        (unicodedata.normalize("NFD", "한글.txt"), "한글.txt"),
        ("family 👨\u200d👩\u200d👧.png", "family 👨\u200d👩\u200d👧.png"),
    ],
)
def test_clean_name(raw, name):
    assert clean_name(raw) == name


def test_a_long_name_keeps_its_extension():
    name = clean_name("가" * 1000 + ".pdf")

    assert len(name) == 120
    assert name == "가" * 116 + ".pdf"


def test_a_long_name_without_a_real_extension_is_cut():
    name = clean_name("x" * 500 + "." + "y" * 500)

    assert name == "x" * 120
