"""실제 브라우저로: 가입, 언어 전환, 로그아웃, 로그인. 콘솔 오류(CSP 위반 포함)는 하나도 없어야 한다."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.support.browser import PASSWORD, sign_up
from tests.support.fake_openai import Reply

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_sign_up_switch_language_log_out_and_back_in(page):
    page.goto("/accounts/login/")
    # 영어 브라우저여도 첫 화면은 한국어다
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.get_by_role("heading", name="로그인")).to_be_visible()
    # htmx가 CSP nonce로 실제로 실행되었다
    assert page.evaluate("typeof htmx") == "object"

    page.get_by_role("link", name="계정 만들기").click()
    page.get_by_label("아이디").fill("browser_user")
    page.get_by_label("비밀번호", exact=True).fill(PASSWORD)
    page.get_by_label("비밀번호 확인").fill(PASSWORD)
    page.get_by_role("button", name="계정 만들기").click()

    expect(page).to_have_url(re.compile(r"/chat/$"))
    expect(page.get_by_text("browser_user 님, 환영합니다!")).to_be_visible()

    # 언어와 로그아웃은 계정 메뉴 안에 있다 (좁은 화면에서도 머리글이 한 줄이게)
    page.locator(".account-menu summary").click()
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="New conversation")).to_be_visible()

    page.locator(".account-menu summary").click()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_text("You have been logged out.")).to_be_visible()

    page.get_by_label("Username").fill("BROWSER_USER")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("The username or password is incorrect.")
    expect(page.get_by_label("Username")).to_have_value("BROWSER_USER")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Keep me logged in for two weeks").check()
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="New conversation")).to_be_visible()

    session = next(c for c in page.context.cookies() if c["name"] == "sessionid")
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Lax"
    assert 13 * 86400 < session["expires"] - time.time() <= 14 * 86400

    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.console_errors == []


def test_a_get_on_logout_only_asks(page):
    page.goto("/accounts/signup/")
    page.get_by_label("아이디").fill("asker")
    page.get_by_label("비밀번호", exact=True).fill(PASSWORD)
    page.get_by_label("비밀번호 확인").fill(PASSWORD)
    page.get_by_role("button", name="계정 만들기").click()

    page.goto("/accounts/logout/")
    expect(page.get_by_text("로그아웃할까요?")).to_be_visible()
    page.goto("/")
    expect(page.get_by_role("link", name="새 대화")).to_be_visible()
    assert page.console_errors == []


def test_chat_send_watch_the_reply_grow_reload_and_stop(page, fake_openai):
    fake_openai.script(
        # 단어0 뒤에 멈춰 둔다: 바쁜 기계에서도 "자라는 중"을 보는 동안 답이 끝나지 않게
        Reply(
            tokens=[f"단어{index} " for index in range(12)] + ["**끝**"],
            delay=0.05,
            stall=20.0,
            stall_after=1,
            stall_ping=1.0,
        ),
        Reply(tokens=["브라우저 인사"]),
        Reply(tokens=[f"긴답{index} " for index in range(200)], delay=0.05),
    )
    page.on("dialog", lambda dialog: dialog.accept())
    sign_up(page, "chatter")

    composer = page.get_by_label("메시지")
    composer.fill("첫 줄")
    # Shift+Enter는 줄을 바꾸고, 입력기 조합 중이 아닌 Enter는 보낸다
    composer.press("Shift+Enter")
    composer.press_sequentially("둘째 줄")
    expect(composer).to_have_value("첫 줄\n둘째 줄")
    composer.press("Enter")

    reply = page.locator("article.bubble-assistant").last
    expect(reply.locator(".streaming")).to_contain_text("단어0")
    # 답변이 자라는 동안: 일부만 보이고, 보내기 단추는 꺼져 있다
    partial = reply.locator(".streaming").inner_text()
    assert "단어11" not in partial
    expect(page.get_by_role("button", name="보내기")).to_be_disabled()
    fake_openai.release()
    expect(reply.locator(".markdown strong")).to_have_text("끝")
    expect(page.get_by_role("button", name="보내기")).to_be_enabled()
    # 첫 답변 뒤 제목이 사이드바와 머리글에 out-of-band로 들어온다
    expect(page.locator("#conversation-title")).to_have_text("브라우저 인사")
    expect(page.locator(".conversation-list [aria-current=page]")).to_have_text("브라우저 인사")

    page.reload()
    expect(page.locator("article.bubble-user").first).to_contain_text("첫 줄\n둘째 줄")
    expect(page.locator("article.bubble-assistant .markdown strong")).to_have_text("끝")

    page.get_by_label("메시지").fill("아주 길게 답해 줘")
    page.get_by_role("button", name="보내기").click()
    long_reply = page.locator("article.bubble-assistant").last
    expect(long_reply.locator(".streaming")).to_contain_text("긴답3")
    long_reply.get_by_role("button", name="멈추기").click()
    expect(long_reply.locator(".badge")).to_have_text("멈춤")
    expect(page.get_by_role("button", name="다시 시도")).to_be_visible()
    stopped_text = page.locator("article.bubble-assistant").last.inner_text()
    assert "긴답199" not in stopped_text

    page.reload()
    expect(page.locator("article.bubble-assistant").last.locator(".badge")).to_have_text("멈춤")
    assert len(fake_openai.requests) == 3
    assert page.console_errors == []


def test_a_reply_keeps_growing_after_a_reload_and_is_whole_after_the_tab_closed(page, fake_openai):
    fake_openai.script(
        Reply(tokens=[f"조각{index} " for index in range(40)], delay=0.1),
        Reply(tokens=["제목"]),
    )
    sign_up(page, "reloader")
    page.get_by_label("메시지").fill("길게 답해 줘")
    page.get_by_role("button", name="보내기").click()
    expect(page.locator("article.bubble-assistant .streaming")).to_contain_text("조각3")

    # 새로고침: 지금까지의 글이 바로 보이고 이어서 자란다. 같은 글이 두 번 붙지 않는다.
    page.reload()
    growing = page.locator("article.bubble-assistant").last.locator(".streaming")
    expect(growing).to_contain_text("조각3")
    expect(growing).to_contain_text("조각15")
    assert growing.inner_text().count("조각1 ") == 1
    page.screenshot(path="screenshots/reply-reattached.png")

    # 탭을 닫았다가 나중에 다시 열면 답이 다 있다
    url = page.url
    later = page.context.new_page()
    page.close()
    time.sleep(3)
    later.goto(url)
    whole = later.locator("article.bubble-assistant").last
    expect(whole.locator(".markdown")).to_contain_text("조각39")
    assert whole.inner_text().count("조각0 ") == 1
    # 새로고침과 다시 열기는 따라갈 뿐, 답변을 다시 만들지 않는다
    assert sum(1 for request in fake_openai.requests if request.get("stream")) == 1


def test_ime_enter_while_composing_does_not_send(page):
    sign_up(page, "ime_user")
    composer = page.get_by_label("메시지")
    composer.fill("한글")

    # 입력기가 조합 중일 때의 Enter (isComposing=true, keyCode 229)
    page.evaluate(
        """() => {
        const field = document.querySelector('#start-form textarea');
        for (const init of [{isComposing: true}, {keyCode: 229}]) {
          field.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true, cancelable: true, ...init}));
        }
    }"""
    )

    page.wait_for_timeout(300)
    expect(page).to_have_url(re.compile(r"/chat/$"))
    expect(composer).to_have_value("한글")
    assert page.console_errors == []


def test_delete_with_htmx_asks_first(page, fake_openai):
    # 제목은 답이 끝난 뒤에 지어진다: 묻는 말이 어느 제목을 담을지 정해 두고, 지어질 때까지 기다린다
    fake_openai.script(Reply(tokens=["답"]), Reply(tokens=["지울 대화"]))
    sign_up(page, "deleter")
    page.get_by_label("메시지").fill("이 대화를 지울 거예요")
    page.get_by_role("button", name="보내기").click()
    expect(page.locator("#conversation-title")).to_have_text("지울 대화")

    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.get_by_text("옵션").click()
    page.get_by_role("link", name="이 대화 지우기").click()

    expect(page).to_have_url(re.compile(r"/chat/$"))
    assert "지울 대화" in dialogs[0]
    expect(page.get_by_text("아직 대화가 없습니다.")).to_be_visible()
    assert page.console_errors == []


def test_with_javascript_off_a_conversation_is_started_continued_renamed_and_deleted(
    browser, live_asgi, fake_openai
):
    fake_openai.script(
        Reply(tokens=["첫 ", "**답변**"]),
        Reply(tokens=["노 스크립트"]),
        Reply(tokens=["둘째 답변"]),
    )
    context = browser.new_context(base_url=live_asgi, java_script_enabled=False)
    page = context.new_page()
    sign_up(page, "nojs_user")

    page.get_by_label("메시지").fill("자바스크립트 없이")
    page.get_by_role("button", name="보내기").click()
    expect(page.locator("article.bubble-assistant .markdown strong")).to_have_text("답변")
    expect(page.locator("#conversation-title")).to_have_text("노 스크립트")

    page.get_by_label("메시지").fill("계속")
    page.get_by_role("button", name="보내기").click()
    expect(page.locator("article.bubble-assistant").last).to_contain_text("둘째 답변")

    # 대화 옵션은 <details>라서 JavaScript 없이도 열린다
    page.get_by_text("옵션").click()
    page.get_by_role("textbox", name="이름").fill("손으로 지은 이름")
    page.get_by_role("button", name="저장", exact=True).click()
    expect(page.get_by_text("대화 이름을 바꿨습니다.")).to_be_visible()
    expect(page.locator("#conversation-title")).to_have_text("손으로 지은 이름")

    page.get_by_text("옵션").click()
    page.get_by_role("link", name="이 대화 지우기").click()
    expect(page.get_by_role("heading", name="대화 지우기")).to_be_visible()
    page.get_by_role("button", name="지우기").click()
    expect(page.get_by_text("“손으로 지은 이름” 대화를 지웠습니다.")).to_be_visible()
    expect(page.get_by_text("아직 대화가 없습니다.")).to_be_visible()
    context.close()
