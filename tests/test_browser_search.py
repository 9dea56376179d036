"""사이드바에서 찾기: 휴대폰(390×844)과 데스크톱(1366×850), 밝게와 어둡게, JavaScript를 켜고 끄고.

휴대폰은 ☰ 서랍을 열어 찾기 칸을 쓴다 (JavaScript 없이는 :target으로 열린다). 결과 페이지는 axe가 깨끗하고 옆으로
넘치지 않으며, 모델이 쓴 적대적인 글은 글자로만 보이고, 찾은 줄을 누르면 대화가 그 메시지에서 열린다.
스크린숏은 screenshots/search-*.png (git 밖).
"""

import pytest
from playwright.sync_api import expect

from tests.support.browser import PASSWORD, SIZES, axe_violations, shot, watched_page
from tests.support.servers import asgi_server, llm_env, manage, server_env, shared_database

pytestmark = [pytest.mark.browser, pytest.mark.live]

# 찾을 대화 하나(앞에 오래된 메시지가 많아 찾은 메시지가 첫 화면 밖에 있다)와 적대적인 글이 든 대화 하나
SEED = f"""
from accounts.models import User
from chat.models import Conversation, Message
from tests.support.factories import add_message
student = User.objects.create_user("search_student", password={PASSWORD!r})
old = Conversation.objects.create(owner=student, title="파이썬 자료형", model="fake-model", needs_title=False)
add_message(conversation=old, role="user", content="파이썬의 리스트와 튜플은 무엇이 다른가요?")
hit = add_message(conversation=old, role="assistant", content="리스트는 바꿀 수 있고, 튜플은 함수를 써도 바뀌지 않습니다.",
    rendered_html="<p>리스트는 바꿀 수 있고, 튜플은 함수를 써도 바뀌지 않습니다.</p>")
for n in range(40):
    add_message(conversation=old, role="user" if n % 2 == 0 else "assistant", content=f"다른 이야기 {{n}}",
        rendered_html=f"<p>다른 이야기 {{n}}</p>")
hostile = Conversation.objects.create(owner=student, title="<b>굵게</b> 제목", model="fake-model", needs_title=False)
add_message(conversation=hostile, role="user",
    content='"><img src=x onerror=alert(1)><script>alert(2)</script> 리스트 컴프리헨션')
print(hit.pk)
"""


def clean_and_fitting(page, javascript):
    """axe의 위반이 없고 옆으로 넘치지 않는다. 둘 다 페이지 안의 스크립트로 재므로 JavaScript를 끈 창에서는 건너뛴다
    (같은 HTML을 켠 창이 잰다)."""
    if not javascript:
        return True
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    return axe_violations(page) == [] and fits


def search_from_the_sidebar(page, size, words, name):
    page.goto("/chat/")
    if size == "phone":
        # 좁은 화면의 목록은 서랍: 머리글의 ☰로 연다
        page.locator("a.drawer-toggle").click()
        # 서랍이 다 미끄러져 나온 뒤에 찍는다 (0.2초 transition)
        page.wait_for_timeout(300)
    box = page.get_by_role("search").get_by_label("대화 검색")
    expect(box).to_be_visible()
    expect(box).to_be_in_viewport()
    shot(page, f"search-sidebar-{name}")
    box.fill(words)
    box.press("Enter")
    expect(page.get_by_role("heading", name="내 대화 검색")).to_be_visible()


@pytest.fixture(scope="module")
def seeded_site(tmp_path_factory, fake_openai_server):
    """찾을 대화가 든 DB와 그 위의 서버 (모듈 동안 하나): (기본 URL, 찾은 메시지의 id)."""
    tmp_path = tmp_path_factory.mktemp("search")
    with shared_database(tmp_path) as url:
        env = {"DATABASE_URL": url, **llm_env(fake_openai_server)}
        (tmp_path / "app").mkdir()
        with asgi_server(tmp_path / "app", **env) as base_url:
            seeded = manage(server_env(tmp_path / "app", **env), "shell", "-v", "0", "-c", SEED)
            yield base_url, seeded.stdout.split()[-1]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", list(SIZES))
def test_a_student_searches_from_the_sidebar(browser, seeded_site, size, scheme, javascript):
    base_url, hit = seeded_site
    context = browser.new_context(
        base_url=base_url,
        locale="ko-KR",
        color_scheme=scheme,
        java_script_enabled=javascript,
        **SIZES[size],
    )
    page = watched_page(context)
    dialogs = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    page.goto("/accounts/login/")
    page.get_by_label("아이디").fill("search_student")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    name = f"{size}-{scheme}-{'js' if javascript else 'nojs'}"

    search_from_the_sidebar(page, size, "리스트", name)

    results = page.locator(".search-result")
    expect(results).to_have_count(2)
    expect(page.locator("mark").first).to_have_text("리스트")
    # 적대적인 글은 글자로: 태그가 생기지 않고 스크립트가 돌지 않는다
    expect(results.first).to_contain_text("<script>alert(2)</script>")
    expect(results.first).to_contain_text("<b>굵게</b> 제목")
    assert page.locator(".search-results img, .search-results script").count() == 0
    assert clean_and_fitting(page, javascript)
    shot(page, f"search-results-{name}")

    page.locator(f'a[href$="#message-{hit}"]').click()
    expect(page.locator(f"#message-{hit}")).to_be_in_viewport()
    # 찾은 답은 긴 대화의 앞쪽에 있다: 그 답과 그 앞의 질문이 든 쪽이 열린다 (버전은 없다)
    expect(page.get_by_text("파이썬의 리스트와 튜플은 무엇이 다른가요?")).to_be_visible()
    expect(page.locator(".version-count")).to_have_count(0)
    # 대화만 스크롤된다: 문서째 밀려 머리글이 가려지지 않는다 (폰에서 화면 읽기용 글이 문서를 늘렸었다)
    assert page.evaluate(
        "[window.scrollY, document.documentElement.scrollHeight <= window.innerHeight]"
    ) == [0, True]
    assert clean_and_fitting(page, javascript)
    shot(page, f"search-hit-{name}")

    search_from_the_sidebar(page, size, "함수", name)
    expect(page.locator(".search-result")).to_have_count(1)
    box = page.get_by_role("search").get_by_label("대화 검색")
    box.fill("없는말")
    box.press("Enter")
    expect(page.get_by_text("찾은 대화가 없습니다")).to_be_visible()
    assert clean_and_fitting(page, javascript)
    shot(page, f"search-empty-{name}")
    assert dialogs == []
    assert page.console_errors == []
    context.close()
