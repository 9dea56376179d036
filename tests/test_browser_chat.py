"""학생이 사는 채팅 화면: 휴대폰(390×844)과 데스크톱(1366×850), 밝은 테마와 어두운 테마에서.

최신 메시지가 보이는지, 스트리밍 중에도 Markdown이 그려지는지, 끝날 때 화면이 뛰지 않는지, 서랍, 복사,
초점, 그리고 axe-core의 접근성 검사. 화면의 주요 상태는 screenshots/ (git 밖)에 남긴다.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import (
    PASSWORD,
    SIZES,
    axe_violations,
    send,
    shot,
    sign_up,
    watch_final_swap,
)
from tests.support.fake_openai import Reply
from tests.support.servers import asgi_server, llm_env, manage, server_env, shared_database

pytestmark = [pytest.mark.browser, pytest.mark.live]

# 스트리밍 중에 표와 코드 블록이 먼저 끝나고, 뒤로 문단이 천천히 이어지는 답변
MARKDOWN_TOKENS = [
    "## 요약\n\n",
    "| 방식 | 길이 |\n",
    "|---|---|\n",
    "| for 문 | 4줄 |\n",
    "| 컴프리헨션 | 1줄 |\n\n",
    "```python\n",
    "squares = [x * x for x in range(10)]\n",
    "```\n\n",
    *[f"문단 {index}: 리스트 컴프리헨션은 짧고 읽기 쉽습니다.\n\n" for index in range(14)],
    "끝.",
]


def newest_is_visible(page):
    """마지막 메시지의 아래 끝이 화면 안에 있다 (대화 영역과 입력창 사이)."""
    return page.evaluate(
        """() => {
        const last = [...document.querySelectorAll('#messages > article')].pop();
        const composer = document.querySelector('.composer-dock').getBoundingClientRect();
        const box = last.getBoundingClientRect();
        return box.bottom > 0 && box.bottom <= composer.top + 1 && box.top < composer.top;
    }"""
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_student_follows_a_reply_that_renders_markdown_while_it_streams(
    open_page, fake_openai, size, scheme
):
    fake_openai.script(
        Reply(tokens=MARKDOWN_TOKENS, delay=0.12),
        Reply(tokens=["컴프리헨션"]),
    )
    page = open_page(size, scheme)
    sign_up(page)
    assert axe_violations(page) == []
    shot(page, f"home-{size}-{scheme}")

    send(page, "리스트 컴프리헨션을 표와 코드로 설명해 줘")
    reply = page.locator("article.bubble-assistant").last
    # 스트리밍 중: 끝난 블록은 이미 HTML(표, 코드)이고, 쓰는 중인 블록만 글자 그대로다
    expect(reply.locator(".stream-blocks table")).to_be_visible()
    expect(reply.locator(".stream-blocks pre.code")).to_be_visible()
    expect(reply).to_have_attribute("aria-busy", "true")
    assert "|---|" not in reply.locator(".stream-blocks").inner_text()
    expect(reply.locator(".stream-tail")).to_contain_text("문단")
    watch_final_swap(page)
    page.wait_for_timeout(600)
    assert newest_is_visible(page)
    shot(page, f"streaming-{size}-{scheme}")
    assert axe_violations(page) == []

    expect(reply.locator(".markdown p").last).to_have_text("끝.", timeout=15_000)
    expect(page.locator("#announcer")).to_have_text("답변이 끝났습니다.")
    page.wait_for_function("window.finalSwap !== null")
    swap = page.evaluate("window.finalSwap")
    assert abs(swap["after"] - swap["before"]) <= 8, swap
    assert newest_is_visible(page)
    # 자동 제목이 탭 제목에도
    expect(page).to_have_title(re.compile("^컴프리헨션 · "))
    shot(page, f"finished-{size}-{scheme}")

    # 다시 열면 최신 메시지가 보인다
    page.reload()
    expect(page.locator("article.bubble-assistant .markdown table")).to_be_visible()
    assert newest_is_visible(page)
    assert axe_violations(page) == []
    assert page.console_errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_pages_pass_axe_logged_out_failed_reply_options_and_password(
    open_page, fake_openai, size, scheme
):
    page = open_page(size, scheme)
    page.goto("/accounts/login/")
    assert axe_violations(page) == []
    shot(page, f"login-{size}-{scheme}")

    fake_openai.script(Reply(status=401, error_code="invalid_api_key"), Reply(tokens=["실패"]))
    sign_up(page)
    send(page, "실패하는 답변")
    expect(page.locator("article.bubble-assistant .bubble-error")).to_be_visible()
    expect(page.locator("#announcer")).not_to_be_empty()
    assert axe_violations(page) == []
    shot(page, f"failed-{size}-{scheme}")

    page.get_by_text("옵션").click()
    expect(page.get_by_label("시스템 프롬프트")).to_be_visible()
    # 한국어 단추는 글자 사이에서 꺾이지 않는다: "저장"이 한 줄
    save = page.get_by_role("button", name="저장", exact=True)
    assert save.bounding_box()["height"] < 48
    assert axe_violations(page) == []
    shot(page, f"options-{size}-{scheme}")

    page.goto("/accounts/password_change/")
    assert axe_violations(page) == []
    assert page.console_errors == []


def test_the_drawer_opens_with_and_without_javascript(open_page, fake_openai):
    fake_openai.script(Reply(tokens=["안녕"]), Reply(tokens=["첫 대화"]))
    page = open_page("phone")
    sign_up(page)
    send(page, "안녕")
    expect(page.locator("#conversation-title")).to_have_text("첫 대화")
    drawer = page.locator("#conversations")
    expect(drawer).not_to_be_visible()

    page.get_by_role("link", name="대화 목록").click()
    expect(drawer).to_be_visible()
    expect(drawer.get_by_role("link", name="첫 대화")).to_be_focused()
    shot(page, "drawer-phone-light")
    page.keyboard.press("Escape")
    expect(drawer).not_to_be_visible()
    # 주소는 바뀌지 않는다 (JavaScript가 열었다)
    assert "#" not in page.url

    cookies = page.context.cookies()
    plain = open_page("phone", javascript=False)
    plain.context.add_cookies(cookies)
    plain.goto("/chat/")
    plain.get_by_role("link", name="대화 목록").click()
    expect(plain.locator("#conversations")).to_be_visible()
    plain.locator("#conversations").get_by_role("link", name="첫 대화").click()
    expect(plain.locator("#conversation-title")).to_have_text("첫 대화")
    expect(plain.locator("#conversations")).not_to_be_visible()


def test_without_javascript_the_newest_message_is_visible_on_opening(open_page, fake_openai):
    fake_openai.script(Reply(tokens=MARKDOWN_TOKENS), Reply(tokens=["긴 답변"]))
    page = open_page("phone", javascript=False)
    sign_up(page)
    send(page, "길게 답해 줘")
    expect(page.locator("article.bubble-assistant .markdown table")).to_be_visible()
    conversation_url = page.url.split("#")[0]

    page.goto(conversation_url)
    assert newest_is_visible(page)
    shot(page, "nojs-conversation-phone-light")


def test_enter_on_a_touch_keyboard_adds_a_line(open_page, fake_openai):
    page = open_page("phone")
    sign_up(page)
    composer = page.get_by_label("메시지")
    composer.fill("첫 줄")
    composer.press("Enter")
    composer.press_sequentially("둘째 줄")

    expect(composer).to_have_value("첫 줄\n둘째 줄")
    expect(page).to_have_url(re.compile(r"/chat/$"))
    # 줄이 늘면 입력창이 자란다
    one_line = composer.bounding_box()["height"]
    composer.fill("\n".join(f"줄 {index}" for index in range(6)))
    assert composer.bounding_box()["height"] > one_line
    composer.fill("\n".join(f"줄 {index}" for index in range(60)))
    assert composer.bounding_box()["height"] <= 844 * 0.4 + 1


def test_copy_buttons_put_the_right_text_on_the_clipboard(open_page, fake_openai):
    source = "코드입니다.\n\n```python\nprint('복사')\n```\n\n끝."
    fake_openai.script(Reply(tokens=[source]), Reply(tokens=["복사"]))
    page = open_page("desktop", permissions=["clipboard-read", "clipboard-write"])
    sign_up(page)
    send(page, "복사할 코드를 줘\n  들여쓴 둘째 줄")
    reply = page.locator("article.bubble-assistant").last
    expect(reply.locator(".markdown pre.code")).to_be_visible()

    code_button = reply.get_by_role("button", name="코드 복사 (python)")
    code_button.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#announcer")).to_have_text("복사됨")
    assert page.evaluate("navigator.clipboard.readText()") == "print('복사')\n"

    reply.get_by_role("button", name="답변 복사").click()
    expect(reply.get_by_role("button", name="복사됨")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == source

    page.locator("article.bubble-user").get_by_role("button", name="메시지 복사").click()
    page.wait_for_function("navigator.clipboard.readText().then(t => t.startsWith('복사할'))")
    assert page.evaluate("navigator.clipboard.readText()") == "복사할 코드를 줘\n  들여쓴 둘째 줄"
    expect(page.locator("#conversation-title")).to_have_text("복사")
    assert page.console_errors == []


def test_copy_buttons_are_absent_without_javascript(open_page, fake_openai):
    fake_openai.script(Reply(tokens=["```python\nx = 1\n```"]), Reply(tokens=["코드"]))
    page = open_page("desktop", javascript=False)
    sign_up(page)
    send(page, "코드")
    expect(page.locator("article.bubble-assistant pre.code")).to_be_visible()

    expect(page.get_by_role("button", name=re.compile("복사"))).to_have_count(0)


def test_after_a_send_the_composer_is_empty_and_an_earlier_refusal_is_gone(open_page, fake_openai):
    # 보낸 뒤의 입력창은 서버가 다시 그리지 않고 js/chat/composer.js가 비운다
    fake_openai.script(Reply(tokens=["첫 답"]), Reply(tokens=["제목"]), Reply(tokens=["둘째 답"]))
    page = open_page("desktop")
    sign_up(page)
    send(page, "처음")
    expect(page.locator("article.bubble-assistant .markdown").last).to_have_text("첫 답")
    expect(page.locator("#conversation-title")).to_have_text("제목")

    composer = page.get_by_label("메시지")
    # 브라우저의 maxlength를 걷어 내고 너무 긴 글을 보낸다: 서버가 거절하고 글은 그대로 남는다
    page.evaluate("document.querySelector('#composer textarea').removeAttribute('maxlength')")
    composer.fill("가" * 8001)
    page.get_by_role("button", name="보내기").click()
    expect(page.locator("#composer .errorlist, #composer .form-errors").first).to_be_visible()
    expect(composer).to_have_value("가" * 8001)

    page.get_by_label("메시지").fill("둘째")
    page.get_by_role("button", name="보내기").click()
    expect(page.locator("article.bubble-assistant .markdown").last).to_have_text("둘째 답")
    expect(page.get_by_label("메시지")).to_have_value("")
    expect(page.locator("#composer .errorlist, #composer .form-errors")).to_have_count(0)
    expect(page.locator("article.bubble-user")).to_have_count(2)
    assert page.console_errors == []


def test_focus_goes_to_the_composer_after_stop_and_to_the_new_version_after_try_again(
    open_page, fake_openai
):
    fake_openai.script(
        Reply(tokens=[f"긴답{index} " for index in range(200)], delay=0.05),
        Reply(tokens=["다시 쓴 답"]),
        Reply(tokens=["제목"]),
    )
    page = open_page("desktop")
    sign_up(page)
    send(page, "길게")
    reply = page.locator("article.bubble-assistant").last
    expect(reply.locator(".stream-tail")).to_contain_text("긴답3")

    # 답변이 자라는 동안 Enter는 보내지 않고 이유를 말한다
    composer = page.get_by_label("메시지")
    composer.fill("기다리는 중")
    composer.press("Enter")
    expect(page.locator("#composer-hint")).to_contain_text("아직 답변을 쓰는 중")
    expect(page.locator("article.bubble-user")).to_have_count(1)

    reply.get_by_role("button", name="멈추기").click()
    expect(reply.locator(".badge")).to_have_text("멈춤")
    expect(composer).to_be_focused()

    page.get_by_role("button", name="다시 시도").click()
    retried = page.locator("article.bubble-assistant").last
    expect(retried).to_be_focused()
    expect(retried.locator(".markdown")).to_have_text("다시 쓴 답")
    expect(retried.locator(".version-count")).to_have_text("2 / 2")
    # 제목 요청까지 받아 둔다: 늦게 온 요청이 다음 테스트의 각본을 먹지 않게
    expect(page.locator("#conversation-title")).to_have_text("제목")
    assert page.console_errors == []


def test_focus_goes_to_the_composer_when_the_stopped_reply_arrives_before_the_stops_answer(
    open_page, fake_openai
):
    fake_openai.script(
        Reply(tokens=[f"긴답{index} " for index in range(200)], delay=0.05), Reply(tokens=["제목"])
    )
    page = open_page("desktop")
    sign_up(page)
    send(page, "길게")
    reply = page.locator("article.bubble-assistant").last
    expect(reply.locator(".stream-tail")).to_contain_text("긴답3")

    def answer_late(route):
        # 서버는 곧바로 멈추고 멈춘 답변을 스트림으로 보낸다: 멈춤 요청의 응답만 늦게 닿는다
        response = route.fetch()
        page.wait_for_timeout(1500)
        route.fulfill(response=response)

    page.route("**/stop/", answer_late)
    reply.get_by_role("button", name="멈추기").click()

    expect(page.locator("article.bubble-assistant").last.locator(".badge")).to_have_text("멈춤")
    # 멈춤 양식은 멈춘 답변과 함께 사라졌다: 그 요청의 이벤트는 문서까지 오지 않는다
    expect(page.get_by_label("메시지")).to_be_focused()
    # 늦춘 응답까지 보내고 끝낸다: 다음 테스트의 페이지가 이 처리기를 만나지 않게
    page.unroute_all(behavior="wait")
    assert page.console_errors == []


def test_renaming_changes_the_tab_title(open_page, fake_openai):
    fake_openai.script(Reply(tokens=["안녕"]), Reply(tokens=["처음 제목"]))
    page = open_page("desktop")
    sign_up(page)
    send(page, "안녕")
    expect(page).to_have_title(re.compile("^처음 제목 · "))

    page.get_by_text("옵션").click()
    page.locator("#id_title").fill("새 이름")
    page.get_by_role("button", name="저장", exact=True).click()

    expect(page.locator("#conversation-title")).to_have_text("새 이름")
    expect(page).to_have_title(re.compile("^새 이름 · "))


SEED_LONG_CONVERSATION = f"""
from accounts.models import User
from chat.models import Conversation, Message
from tests.support.factories import add_message
user = User.objects.create_user("reader", password={PASSWORD!r})
conversation = Conversation.objects.create(owner=user, title="긴 대화", model="fake-model", needs_title=False)
for index in range(40):
    add_message(conversation=conversation, role="user" if index % 2 == 0 else "assistant",
        status="done", content=f"메시지 {{index}}", rendered_html=f"<p>메시지 {{index}}</p>")
print(conversation.pk)
"""


def test_loading_earlier_messages_keeps_the_one_you_were_reading_in_place(
    browser, tmp_path, fake_openai
):
    with shared_database(tmp_path) as url:
        env = {"DATABASE_URL": url, **llm_env(fake_openai)}
        (tmp_path / "app").mkdir()
        with asgi_server(tmp_path / "app", **env) as base_url:
            seeded = manage(
                server_env(tmp_path / "app", **env),
                "shell",
                "-v",
                "0",
                "-c",
                SEED_LONG_CONVERSATION,
            )
            pk = seeded.stdout.split()[-1]
            context = browser.new_context(base_url=base_url, locale="ko-KR", **SIZES["phone"])
            page = context.new_page()
            page.goto("/accounts/login/")
            page.get_by_label("아이디").fill("reader")
            page.get_by_label("비밀번호").fill(PASSWORD)
            page.get_by_role("button", name="로그인").click()
            page.goto(f"/chat/{pk}/")
            expect(page.locator("#messages > article")).to_have_count(30)

            page.locator("#chat-scroll").evaluate("pane => { pane.scrollTop = 0 }")
            # 지금 맨 위에 보이는 메시지 (로케이터는 게을러서 id로 고정한다)
            reading_id = page.locator("#messages > article").first.get_attribute("id")
            reading = page.locator(f"#{reading_id}")
            top_before = reading.bounding_box()["y"]
            page.get_by_role("link", name="이전 메시지 불러오기").click()

            expect(page.locator("#messages > article")).to_have_count(40)
            # 들어간 그 순간에 이미 제자리다 (정착을 기다리면 잠깐 튀었고, 바쁜 CI에서 그 틈이 보였다)
            moved = page.evaluate(
                "([id, top]) => document.getElementById(id).getBoundingClientRect().y - top",
                [reading_id, top_before],
            )
            assert abs(moved) <= 2
            assert abs(reading.bounding_box()["y"] - top_before) <= 2
            context.close()


def test_scrolling_up_stops_following_and_the_jump_button_brings_it_back(open_page, fake_openai):
    fake_openai.script(
        Reply(tokens=[f"줄 {index}\n\n" for index in range(80)], delay=0.06),
        Reply(tokens=["따라가기"]),
    )
    page = open_page("phone")
    sign_up(page)
    # js/chat/*.js(defer)가 돈 뒤에 누른다: 그 전의 클릭은 JavaScript 없는 길(?example=0)로 가고, 바쁜 CI에서 그랬다
    expect(page.locator("html.js")).to_have_count(1)
    # 예시 질문을 누르면 입력창이 채워질 뿐 보내지 않는다
    page.get_by_role("link", name=re.compile("^개념 설명")).click()
    expect(page.get_by_label("메시지")).to_have_value(re.compile("^파이썬 리스트 컴프리헨션"))
    expect(page).to_have_url(re.compile(r"/chat/$"))

    send(page, "길게 답해 줘")
    reply = page.locator("article.bubble-assistant").last
    expect(reply.locator(".stream-blocks p").nth(12)).to_be_attached()
    assert newest_is_visible(page)
    jump = page.get_by_role("button", name="최신 메시지로")
    expect(jump).to_be_hidden()

    pane = page.locator("#chat-scroll")
    pane.evaluate("pane => { pane.scrollTop = 0 }")
    page.wait_for_timeout(500)
    # 위로 올린 사람: 글이 자라도 읽던 자리에 머문다
    assert pane.evaluate("pane => pane.scrollTop") == 0
    expect(jump).to_be_visible()

    jump.click()
    assert newest_is_visible(page)
    expect(jump).to_be_hidden()
    expect(reply.locator(".stream-blocks p").nth(30)).to_be_attached()
    assert newest_is_visible(page)
    assert page.console_errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_reasoning_model_thinks_collapsed_and_a_cut_reply_continues(
    open_page, fake_openai, size, scheme
):
    page = open_page(size, scheme)
    thoughts = [f"단계 {index}: 리스트와 튜플의 차이를 따져 본다.\n" for index in range(12)]
    fake_openai.script(
        Reply(
            reasoning=thoughts,
            tokens=["리스트는 바뀌고, ", "튜플은 바뀌지 않습니다."],
            delay=0.15,
            finish_reason="length",
        ),
        # 첫 답변 뒤의 제목 요청
        Reply(tokens=["리스트와 튜플"]),
        Reply(tokens=["이어서: 튜플은 ", "딕셔너리 키가 될 수 있습니다."]),
    )
    sign_up(page, "thinker")
    send(page, "리스트와 튜플의 차이는?")

    reply = page.locator("article.bubble-assistant").last
    summary = reply.locator("details.reasoning > summary")
    expect(summary).to_have_text("생각하는 중…")
    # 접혀 있다: 생각의 글은 보이지 않는다
    expect(reply.locator(".reasoning-text")).to_be_hidden()
    shot(page, f"thinking-{size}-{scheme}")

    expect(reply.locator(".continue-button")).to_be_visible(timeout=15000)
    expect(summary).to_have_text("생각한 과정")
    expect(reply.locator(".bubble-body")).to_have_text("리스트는 바뀌고, 튜플은 바뀌지 않습니다.")
    expect(reply.get_by_text("답변이 길이 한도에서 끊겼습니다.")).to_be_visible()
    summary.click()
    expect(reply.locator(".reasoning-text")).to_contain_text("단계 11")
    assert axe_violations(page) == []
    shot(page, f"thought-{size}-{scheme}")

    # 계속은 보통의 보내기: 입력창에 쓰던 글은 그대로 남는다
    expect(page.locator("#conversation-title")).to_have_text("리스트와 튜플")
    page.get_by_label("메시지").fill("쓰던 글")
    reply.get_by_role("button", name="계속").click()
    expect(page.locator("article.bubble-user").last).to_contain_text(
        "끊긴 곳에서 그대로 이어서 써 주세요."
    )
    expect(page.locator("article.bubble-assistant").last).to_contain_text(
        "딕셔너리 키가 될 수 있습니다."
    )
    expect(page.get_by_label("메시지")).to_have_value("쓰던 글")
    # 앞의 답변에 남은 단추는 숨는다 (계속은 마지막 답변에만)
    expect(page.locator(".continue-button")).to_be_hidden()
    assert page.console_errors == []
