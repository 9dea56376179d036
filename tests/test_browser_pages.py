"""학생이 닿는 모든 페이지(설정과 단축키 페이지 포함)를 한 바퀴: 휴대폰(390×844)과 데스크톱(1366×850), 밝은 테마와 어두운 테마에서.

페이지마다 axe-core의 위반이 없고, 콘솔 오류(CSP 위반 포함)가 없고, 가로로 넘치지 않는다. 스크린숏은
screenshots/pages-*.png (git 밖)에 남는다. 흐름(보내기, 스트림, 메뉴)은 다른 브라우저 테스트가 본다.
"""

import pytest
from playwright.sync_api import expect

from tests.support.browser import PASSWORD, SIZES, axe_violations, shot, watched_page
from tests.support.servers import asgi_server, llm_env, manage, server_env, shared_database

pytestmark = [pytest.mark.browser, pytest.mark.live]

# 학생 한 명(끝난 답이 있는 대화 하나)과, 지어 받은 비밀번호로 처음 들어오는 학생 한 명
SEED = f"""
from accounts.models import User
from chat.models import Conversation, Message
from tests.support.factories import add_message
student = User.objects.create_user("page_student", password={PASSWORD!r}, first_name="김민지",
    custom_instructions="존댓말로 답해 주세요.")
newcomer = User.objects.create_user("page_newcomer", password={PASSWORD!r}, must_change_password=True)
conversation = Conversation.objects.create(owner=student, title="리스트와 튜플", model="fake-model", needs_title=False)
add_message(conversation=conversation, role="user", status="done", content="차이가 뭐야?")
reply = add_message(conversation=conversation, role="assistant", status="done",
    content="**리스트**는 바뀝니다.", rendered_html="<p><strong>리스트</strong>는 바뀝니다.</p>")
print(conversation.pk, reply.pk, reply.parent_id)
"""


def fits(page):
    """가로 스크롤이 생기지 않는다 (폰에서 옆으로 밀리는 페이지가 없다)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def log_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("아이디").fill(username)
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()


def check(page, name, size, scheme):
    expect(page.locator("main")).to_be_visible()
    assert axe_violations(page) == [], name
    assert fits(page), name
    assert page.console_errors == [], name
    shot(page, f"pages-{name}-{size}-{scheme}")


@pytest.fixture(scope="module")
def pages_site(tmp_path_factory, fake_openai_server):
    """학생 둘을 심은 앱 하나를 크기·테마마다 함께 쓴다: 한 바퀴가 테스트 하나의 시간 한도(60초)에 들게 넷으로 나눈다."""
    workdir = tmp_path_factory.mktemp("pages")
    with shared_database(workdir) as url:
        env = {"DATABASE_URL": url, **llm_env(fake_openai_server)}
        (workdir / "app").mkdir()
        with asgi_server(workdir / "app", **env) as base_url:
            seeded = manage(server_env(workdir / "app", **env), "shell", "-v", "0", "-c", SEED)
            yield base_url, seeded.stdout.split()[-3:]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_a_student_reaches_is_accessible_and_fits(browser, pages_site, size, scheme):
    base_url, (conversation, reply, question) = pages_site
    student_pages = {
        "home": "/chat/",
        "conversation": f"/chat/{conversation}/",
        "usage": "/accounts/usage/",
        "password-change": "/accounts/password_change/",
        "settings": "/accounts/settings/",
        "shortcuts": "/chat/shortcuts/",
        "rename": f"/chat/{conversation}/rename/",
        "delete": f"/chat/{conversation}/delete/",
        "report": f"/chat/replies/{reply}/report/",
        "edit": f"/chat/messages/{question}/edit/",
        "not-found": "/chat/00000000-0000-4000-8000-000000000000/",
    }
    context = browser.new_context(
        base_url=base_url, locale="ko-KR", color_scheme=scheme, **SIZES[size]
    )
    page = watched_page(context)
    for name, path in {
        "login": "/accounts/login/",
        "signup": "/accounts/signup/",
    }.items():
        page.goto(path)
        check(page, name, size, scheme)

    log_in(page, "page_student")
    for name, path in student_pages.items():
        response = page.goto(path)
        if name == "not-found":
            # 404 자체는 브라우저가 콘솔에 적는다: 그 한 줄만 있고 나머지는 깨끗해야 한다
            assert response.status == 404
            assert [e for e in page.console_errors if "404" not in e] == []
            page.console_errors.clear()
        check(page, name, size, scheme)
    context.clear_cookies()

    log_in(page, "page_newcomer")
    # 지어 받은 비밀번호로 처음 들어온 사람: 비밀번호를 정한 적이 없다 (다른 크기·테마도 같은 사람으로 다시 본다)
    expect(page).to_have_url(f"{base_url}/accounts/password_set/")
    check(page, "password-set", size, scheme)
    context.close()
