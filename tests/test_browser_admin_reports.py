"""Chromium에서 관리 화면의 신고된 답변: 글로 표시되고, 그 자리에서 처리한다. 폰과 노트북, 밝고 어두운 테마."""

import pytest
from playwright.sync_api import expect

from tests.support.browser import SIZES, axe_violations, shot, watched_page
from tests.support.servers import asgi_server, llm_env, manage, server_env

pytestmark = [pytest.mark.browser, pytest.mark.live]

PASSWORD = "cedar-window-73"
SETUP = f"""
from accounts.models import User
from chat.models import Conversation, Message
from chat.markdown import render_markdown
from chat.moderation import report_submit
from tests.support.factories import add_message
boss = User.objects.create_superuser("boss", password="{PASSWORD}")
student = User.objects.create_user("minji", password="{PASSWORD}", first_name="김민지")
c = Conversation.objects.create(owner=student, title="2 더하기 2", model="fake-model", needs_title=False)
add_message(conversation=c, role="user", content="2 더하기 2는?")
text = "## 답\\n\\n**5**입니다. 아주 긴 줄 " + "가나다라마바사 " * 20
reply = add_message(
    conversation=c, role="assistant", content=text, rendered_html=render_markdown(text), status="done"
)
report_submit(reply=reply, reporter=student, reason="wrong", note="4가 맞아요")
print(c.pk)
"""


@pytest.fixture(scope="module")
def admin_site(tmp_path_factory, fake_openai_server):
    """신고된 답변이 있는 대화와 슈퍼유저를 가진 앱 (이 파일만의 SQLite)."""
    workdir = tmp_path_factory.mktemp("admin-reports")
    database = {
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        **llm_env(fake_openai_server),
    }
    with asgi_server(workdir, **database) as base_url:
        conversation = manage(server_env(workdir, **database), "shell", "-c", SETUP).stdout.split()[
            -1
        ]
        yield base_url, conversation


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_reported_reply_is_marked_and_resolved_in_place(browser, admin_site, size, scheme):
    base_url, conversation = admin_site
    context = browser.new_context(
        locale="ko-KR", base_url=base_url, color_scheme=scheme, **SIZES[size]
    )
    page = watched_page(context)
    page.goto(f"/accounts/login/?next=/admin/chat/conversation/{conversation}/change/")
    page.get_by_label("아이디").fill("boss")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()

    reported = page.locator("article.moderation-reported")
    expect(reported).to_have_count(1)
    expect(reported.get_by_role("heading", name="신고됨: 열린 신고 1개")).to_be_visible()
    expect(reported).to_contain_text("4가 맞아요")
    reported.scroll_into_view_if_needed()
    shot(page, f"admin-reported-{size}-{scheme}")
    assert axe_violations(page) == []
    # 넓이가 넘치지 않는다 (폰에서도 단추까지 보인다)
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["viewport"]["width"]

    if (size, scheme) == ("desktop", "dark"):
        # 처리는 한 번만: 다른 조합은 같은 신고를 보고 그린다
        reported.get_by_label("메모").fill("4가 맞다고 알려 줌")
        reported.get_by_role("button", name="처리").click()
        expect(page.get_by_text("신고 1개를 처리했습니다.")).to_be_visible()
        expect(page.locator("article.moderation-reported")).to_have_count(0)
        shot(page, "admin-resolved-desktop-dark")
    assert page.console_errors == []
    context.close()
