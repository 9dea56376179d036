"""첨부 파일을 브라우저에서 (이슈 #25): 휴대폰에서 CP949 코드와 붙여 넣은 화면 그림, JavaScript 없는 데스크톱에서 PDF,
끌어 놓기와 빼기, 거절된 파일과 남는 파일, 그림을 못 읽는 모델. 가짜 모델 서버가 받은 것을 본다."""

import base64
import re

import pytest
from django.utils import translation
from playwright.sync_api import expect

from tests.support import files
from tests.support.browser import axe_violations, page_opener, send, shot, sign_up
from tests.support.fake_openai import Reply
from tests.support.servers import asgi_server, llm_env

pytestmark = [pytest.mark.browser, pytest.mark.live]

# 학생이 흔히 올리는 윈도우 메모장의 한글 코드 (CP949)
KOREAN_CODE = (
    "# 성적 평균을 구하는 프로그램\n"
    "def 평균(점수들):\n"
    '    """점수 목록의 평균"""\n'
    "    return sum(점수들) / len(점수들)\n"
    "\n"
    "print('평균 점수:', 평균([90, 85, 77]))\n"
)
SCREENSHOT_NAME = re.compile(r"^screenshot-\d{8}-\d{6}\.png$")


def ko(message: str, **values) -> str:
    """화면이 보일 한국어 문장 (서버와 같은 번역 카탈로그에서)."""
    with translation.override("ko"):
        sentence = translation.gettext(message)
    return sentence % values if values else sentence


def upload(name: str, data: bytes, mime: str = "application/octet-stream") -> dict:
    return {"name": name, "mimeType": mime, "buffer": data}


def file_input(page):
    return page.locator(".composer input[type=file][name=attachments]")


def chosen(page):
    return page.locator(".composer .attach-chosen .attachment-chip")


def question(page):
    return page.locator("#messages article.bubble-user").last


def last_reply(page):
    return page.locator("#messages article.bubble-assistant").last


def give(page, event: str, name: str, data: bytes, mime: str) -> None:
    """Playwright는 OS의 파일을 끌어 놓지 못한다: 같은 DataTransfer를 담은 붙여 넣기(입력창)나 놓기(입력창) 사건을
    보낸다. 브라우저가 클립보드의 그림을 부르는 이름 그대로 (image.png)."""
    page.evaluate(
        """([event, name, data, mime]) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], name, {type: mime}));
        const field = document.querySelector('.composer textarea');
        if (event === 'paste') {
          field.dispatchEvent(new ClipboardEvent('paste', {clipboardData: transfer, bubbles: true, cancelable: true}));
        } else {
          for (const type of ['dragenter', 'dragover', 'drop']) {
            field.dispatchEvent(new DragEvent(type, {dataTransfer: transfer, bubbles: true, cancelable: true}));
          }
        }
    }""",
        [event, name, base64.b64encode(data).decode(), mime],
    )


def user_turn(fake_openai, needle: str):
    """가짜 모델 서버가 받은 요청 중 needle이 든 사람의 마지막 메시지 content (글이면 str, 그림이 있으면 조각 목록)."""
    for body in fake_openai.requests:
        content = body["messages"][-1]["content"]
        text = content if isinstance(content, str) else " ".join(p.get("text", "") for p in content)
        if body["messages"][-1]["role"] == "user" and needle in text:
            return content
    raise AssertionError(f"the model never received {needle!r}")


def in_both_schemes(page, name: str) -> None:
    """밝게와 어둡게 (기기 설정을 따르는 기본 테마): 화면을 남기고 axe가 깨끗한지 본다."""
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        assert axe_violations(page) == [], scheme
        shot(page, f"{name}-{scheme}")


def test_a_phone_sends_korean_code_and_a_pasted_screenshot(open_page, fake_openai):
    fake_openai.script(Reply(tokens=["평균을 ", "구하는 코드입니다."]), Reply(tokens=["성적 코드"]))
    page = open_page("phone")
    sign_up(page)

    # 파일 칸은 숨고 단추 같은 이름표가 보인다
    expect(page.locator(".composer .attach-label")).to_be_visible()
    assert file_input(page).bounding_box()["width"] <= 1
    file_input(page).set_input_files(
        [upload("성적.py", KOREAN_CODE.encode("cp949"), "text/x-python")]
    )
    give(page, "paste", "image.png", files.make_png(1170, 800), "image/png")

    # 고른 파일에 붙여 넣은 그림이 더해졌다 (바꾸지 않고): 이름과 크기, 빼기 단추
    expect(chosen(page)).to_have_count(2)
    expect(chosen(page).nth(0).locator(".attachment-name")).to_have_text("성적.py")
    expect(chosen(page).nth(0).locator(".attachment-meta")).to_have_text(
        re.compile(r"\d+\s*(byte|B|바이트)")
    )
    expect(chosen(page).nth(1).locator(".attachment-name")).to_have_text(SCREENSHOT_NAME)
    expect(chosen(page).nth(1).locator(".attachment-meta")).to_have_text(
        re.compile(r"\d.*(kB|KB|킬로바이트)")
    )
    assert page.evaluate("document.querySelector('.composer .attach-input').files.length") == 2
    expect(page.locator(".composer .attach-remove")).to_have_count(2)
    # 파일이 많아도 입력창은 휴대폰 화면의 40%를 넘지 않는다 (목록이 제 안에서 스크롤한다): 대화가 보인다
    for number in range(3):
        give(page, "drop", f"메모{number}.txt", b"note", "text/plain")
    expect(chosen(page)).to_have_count(5)
    assert page.locator(".composer-dock").bounding_box()["height"] < 844 * 0.4
    shot(page, "attachments-many-phone-light")
    for number in range(3):
        page.get_by_role("button", name=f"메모{number}.txt").click()
    expect(chosen(page).locator(".attachment-name")).to_have_text(["성적.py", SCREENSHOT_NAME])
    in_both_schemes(page, "attachments-chosen-phone")
    page.emulate_media(color_scheme="light")

    send(page, "이 코드가 무슨 일을 하는지, 화면의 오류는 왜 나는지 알려 줘")
    expect(last_reply(page).locator(".markdown")).to_have_text("평균을 구하는 코드입니다.")

    content = user_turn(fake_openai, "화면의 오류는 왜 나는지")
    assert isinstance(content, list), "the image did not reach the model"
    text = content[0]["text"]
    assert '<file name="성적.py"' in text
    # 바이트가 아니라 풀어 읽은 한글 코드가 그대로 간다
    assert KOREAN_CODE.strip() in text
    images = [part for part in content if part["type"] == "image_url"]
    assert len(images) == 1
    assert re.match(r"data:image/(png|jpeg);base64,", images[0]["image_url"]["url"])

    # 보낸 말풍선의 칩: 코드는 내려받기, 그림은 작은 그림과 보기
    chips = question(page).locator(".attachment-chip")
    expect(chips).to_have_count(2)
    expect(chips.nth(0).locator(".attachment-name")).to_have_text("성적.py")
    expect(chips.nth(0).locator("a")).to_have_attribute("href", re.compile(r"^/chat/files/\d+/$"))
    expect(chips.nth(0).locator("a")).to_have_attribute("download", "")
    expect(chips.nth(1).locator(".attachment-name")).to_have_text(SCREENSHOT_NAME)
    expect(chips.nth(1).locator("a")).to_have_attribute(
        "href", re.compile(r"^/chat/files/\d+/preview/$")
    )
    thumb = chips.nth(1).locator("img.attachment-thumb")
    expect(thumb).to_be_visible()
    thumb.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    box = thumb.bounding_box()
    assert box["width"] == box["height"], "the thumbnail box is fixed, whatever the picture's shape"
    in_both_schemes(page, "attachments-sent-phone")

    # 고쳐 보내기: 그림을 빼고 코드만 다시 묻는다 (뺀 그림은 옛 버전에 남는다)
    fake_openai.script(Reply(tokens=["코드만 ", "봤습니다."]))
    question(page).get_by_role("link", name="고치기").click()
    kept = question(page).get_by_role("group", name="이 버전과 함께 보낼 파일")
    expect(kept.get_by_role("checkbox")).to_have_count(2)
    in_both_schemes(page, "attachments-edit-phone")
    page.emulate_media(color_scheme="light")
    expect(kept.locator("label").nth(1)).to_contain_text("screenshot-")
    kept.get_by_role("checkbox").nth(1).uncheck()
    question(page).get_by_label("메시지 고치기").fill("코드만 다시 봐 줘")
    question(page).get_by_role("button", name="보내기").click()
    expect(last_reply(page).locator(".markdown")).to_have_text("코드만 봤습니다.")
    assert isinstance(user_turn(fake_openai, "코드만 다시"), str), "the left-out image was sent"
    expect(question(page).locator(".attachment-chip")).to_have_count(1)
    assert page.console_errors == []


def test_a_desktop_without_javascript_sends_a_pdf(open_page, fake_openai):
    fake_openai.script(Reply(tokens=["과제는 CSV 읽기입니다."]), Reply(tokens=["과제"]))
    pdf = files.make_pdf(2, "Assignment 3: write a CSV reader\nDue on Friday")
    page = open_page("desktop", javascript=False)
    sign_up(page)

    # JavaScript가 없으면 보통의 파일 칸이 보이고 그대로 쓴다
    expect(file_input(page)).to_be_visible()
    file_input(page).set_input_files([upload("과제.pdf", pdf, "application/pdf")])
    shot(page, "attachments-nojs-chosen-desktop-light")
    send(page, "이 과제에서 무엇을 하라는 거야?")

    expect(last_reply(page).locator(".markdown")).to_have_text("과제는 CSV 읽기입니다.")
    text = user_turn(fake_openai, "무엇을 하라는 거야")
    assert isinstance(text, str)
    assert '<file name="과제.pdf" type="application/pdf">' in text
    assert "Assignment 3: write a CSV reader" in text
    assert "Due on Friday 2" in text

    chip = question(page).locator(".attachment-chip")
    expect(chip).to_have_count(1)
    expect(chip.locator(".attachment-name")).to_have_text("과제.pdf")
    # 내려받으면 올린 그대로의 파일이다 (페이지로 열지 않는다)
    response = page.request.get(chip.locator("a").get_attribute("href"))
    assert response.ok
    assert response.body() == pdf
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["x-content-type-options"] == "nosniff"
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        shot(page, f"attachments-nojs-sent-desktop-{scheme}")
    assert page.console_errors == []


@pytest.mark.parametrize(("size", "javascript"), [("phone", True), ("desktop", False)])
def test_a_refused_file_keeps_the_text_and_the_good_file(open_page, fake_openai, size, javascript):
    fake_openai.script(
        Reply(tokens=["안녕하세요"]), Reply(tokens=["인사"]), Reply(tokens=["메모를 읽었습니다."])
    )
    page = open_page(size, javascript=javascript)
    sign_up(page)
    send(page, "안녕")
    expect(last_reply(page).locator(".markdown")).to_have_text("안녕하세요")

    file_input(page).set_input_files(
        [
            upload("빈파일.txt", b"", "text/plain"),
            upload("메모.txt", "회의는 목요일 3시".encode(), "text/plain"),
        ]
    )
    send(page, "두 파일을 읽어 줘")

    # 빈 파일은 까닭과 함께 거절되고, 쓴 글과 좋은 파일은 남는다. 모델은 아무것도 받지 않았다
    alert = page.locator(".composer .attach-field [role=alert]")
    expect(alert).to_contain_text("빈파일.txt")
    expect(alert).to_contain_text(ko("This file is empty."))
    expect(page.get_by_label("메시지")).to_have_value("두 파일을 읽어 줘")
    kept = page.locator(".composer .kept-files input[name=kept]")
    expect(kept).to_have_count(1)
    expect(kept).to_be_checked()
    expect(page.locator(".composer .kept-files")).to_contain_text("메모.txt")
    expect(page.locator(".composer .kept-files")).not_to_contain_text("빈파일.txt")
    assert not any("두 파일을 읽어 줘" in str(body) for body in fake_openai.requests)
    if javascript:
        assert axe_violations(page) == []
    shot(page, f"attachments-refused-{size}-{'js' if javascript else 'nojs'}")

    page.get_by_role("button", name="보내기").click()
    expect(last_reply(page).locator(".markdown")).to_have_text("메모를 읽었습니다.")
    text = user_turn(fake_openai, "두 파일을 읽어 줘")
    assert '<file name="메모.txt" type="text/plain">\n회의는 목요일 3시\n</file>' in text
    assert "빈파일" not in text
    expect(question(page).locator(".attachment-name")).to_have_text(["메모.txt"])
    # 보낸 뒤의 입력창은 비었다: 글도, 남겨 둔 파일도, 고른 파일도
    expect(page.get_by_label("메시지")).to_have_value("")
    expect(page.locator(".composer .kept-files")).to_have_count(0)
    assert page.evaluate("document.querySelector('.composer .attach-input').files.length") == 0
    # JavaScript가 없으면 거절한 페이지의 상태 400만: 다른 오류나 CSP 위반은 없다
    refused = "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    assert page.console_errors == ([] if javascript else [refused])


def test_a_desktop_drops_files_removes_one_and_sends_with_enter(open_page, fake_openai):
    fake_openai.script(
        Reply(tokens=["첫 답"]), Reply(tokens=["제목"]), Reply(tokens=["표를 읽었습니다."])
    )
    page = open_page("desktop")
    sign_up(page)
    send(page, "표를 하나 보낼게")
    expect(last_reply(page).locator(".markdown")).to_have_text("첫 답")

    # 파일을 끄는 동안 입력창이 놓을 자리로 보인다
    page.evaluate(
        """() => {
        const transfer = new DataTransfer();
        transfer.items.add(new File(['x'], 'a.txt', {type: 'text/plain'}));
        document.querySelector('#messages').dispatchEvent(
          new DragEvent('dragover', {dataTransfer: transfer, bubbles: true, cancelable: true}));
    }"""
    )
    expect(page.locator("#composer")).to_have_class(re.compile(r"\bis-dropping\b"))
    shot(page, "attachments-dropzone-desktop-light")
    expect(page.locator("#composer")).not_to_have_class(re.compile(r"\bis-dropping\b"))

    long_name = (
        "2024년 2학기 데이터 분석 과제 결과 — 팀 3 최종 제출본 (수정 4회차, 교수님 의견 반영).csv"
    )
    give(page, "drop", long_name, "이름,점수\n김민지,90\n이서준,85\n".encode(), "text/csv")
    give(page, "drop", "필요없음.txt", b"remove me", "text/plain")
    give(page, "paste", "image.png", files.make_png(300, 900), "image/png")
    expect(chosen(page)).to_have_count(3)
    # 긴 이름은 한 줄에서 말줄임표로 잘린다: 칩이 입력창보다 넓어지지 않는다
    name = chosen(page).nth(0).locator(".attachment-name")
    assert name.evaluate("n => n.scrollWidth > n.clientWidth")
    assert (
        chosen(page).nth(0).bounding_box()["width"]
        <= page.locator("#composer").bounding_box()["width"]
    )
    in_both_schemes(page, "attachments-chosen-desktop")
    page.emulate_media(color_scheme="light")

    # 키보드로 빼면 초점은 파일 칸으로 돌아가고, 단추처럼 보이는 이름표에 초점 테두리가 보인다
    page.get_by_role("button", name="필요없음.txt").focus()
    page.keyboard.press("Enter")
    expect(chosen(page)).to_have_count(2)
    expect(chosen(page).locator(".attachment-name")).not_to_contain_text(["필요없음.txt"])
    expect(file_input(page)).to_be_focused()
    label = page.locator("#composer .attach-label")
    assert label.evaluate("n => getComputedStyle(n).outlineStyle") == "solid"
    shot(page, "attachments-removed-desktop-light")
    assert page.evaluate(
        "[...document.querySelector('#composer .attach-input').files].map(f => f.name)"
    ) == [
        long_name,
        chosen(page).nth(1).locator(".attachment-name").inner_text(),
    ]

    # 글 없이 파일만: Enter로 보낸다
    page.get_by_label("메시지").press("Enter")
    expect(last_reply(page).locator(".markdown")).to_have_text("표를 읽었습니다.")
    content = user_turn(fake_openai, "김민지,90")
    assert isinstance(content, list)
    assert f'<file name="{long_name}" type="text/csv">' in content[0]["text"]
    assert "remove me" not in content[0]["text"]
    expect(question(page).locator(".attachment-chip")).to_have_count(2)
    expect(question(page).locator(".bubble-text")).to_have_count(0)
    # 보낸 뒤 고른 목록도 비었다
    expect(chosen(page)).to_have_count(0)
    assert page.evaluate("document.querySelector('#composer .attach-input').files.length") == 0
    in_both_schemes(page, "attachments-sent-desktop")
    assert page.console_errors == []


@pytest.fixture(scope="module")
def blind_site(tmp_path_factory, fake_openai_server):
    """그림을 읽는 모델이 없는 사이트 (LLM_VISION_MODELS 비움)."""
    with asgi_server(tmp_path_factory.mktemp("blind"), **llm_env(fake_openai_server)) as base_url:
        yield base_url


def test_an_image_to_a_model_that_cannot_see_is_refused_and_the_text_stays(
    browser, blind_site, fake_openai
):
    fake_openai.script(Reply(tokens=["글만 읽었습니다."]), Reply(tokens=["그림"]))
    with page_opener(browser, blind_site) as open_page:
        page = open_page("phone", "dark")
        sign_up(page)
        file_input(page).set_input_files([upload("오류.png", files.make_png(), "image/png")])
        send(page, "이 오류 화면을 봐 줘")

        expect(page.locator(".composer [role=alert]").first).to_have_text(
            ko(
                "The model %(model)s cannot read images. Choose a model that reads images, or remove the image and send again.",
                model="fake-model",
            )
        )
        expect(page.get_by_label("메시지")).to_have_value("이 오류 화면을 봐 줘")
        kept = page.locator(".composer .kept-files input[name=kept]")
        expect(kept).to_be_checked()
        assert fake_openai.requests == []
        assert axe_violations(page) == []
        shot(page, "attachments-cannot-see-phone-dark")

        # 그림을 빼고 다시 보내면 글만 간다
        kept.uncheck()
        page.get_by_role("button", name="보내기").click()
        expect(last_reply(page).locator(".markdown")).to_have_text("글만 읽었습니다.")
        assert user_turn(fake_openai, "이 오류 화면을 봐 줘") == "이 오류 화면을 봐 줘"
        expect(question(page).locator(".attachment-chip")).to_have_count(0)
        assert page.console_errors == []
