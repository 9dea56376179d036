"""Chromium에서 반 안의 학생: 공지 띠, 기간이 끝난 반의 입력창 자리, 새 대화의 프리셋.

390x844와 1366x850, 밝은 화면과 어두운 화면에서 axe 위반 없이, 넓이가 넘치지 않게. 공지 닫기와 프리셋으로 시작하기는
htmx로 한 번씩 지난다."""

import pytest
from playwright.sync_api import expect

from tests.support.browser import SIZES, axe_violations, shot, watched_page
from tests.support.fake_openai import Reply
from tests.support.servers import asgi_server, llm_env, manage, server_env

pytestmark = [pytest.mark.browser, pytest.mark.live]

PASSWORD = "maple-river-58"
SETUP = f"""
import datetime
from django.utils import timezone
from accounts.models import Course, Membership, Preset, User
from chat.models import Conversation
from tests.support.factories import add_message
today = timezone.localdate()
student = User.objects.create_user("minji", password="{PASSWORD}", first_name="김민지")
late = User.objects.create_user("junho", password="{PASSWORD}", first_name="박준호")
course = Course.objects.create(
    name="3학년 2반 파이썬",
    announcement="내일 수업은 컴퓨터실에서 합니다.\\n노트북을 가져오지 않아도 됩니다. 과제는 금요일까지 올려 주세요.",
    announcement_at=timezone.now(),
)
Membership.objects.create(course=course, user=student)
Preset.objects.create(course=course, name="소크라테스 선생님", system_prompt="비밀 지시", hidden=True)
Preset.objects.create(
    course=course,
    name="코드 리뷰",
    system_prompt="학생이 보낸 파이썬 코드를 읽고, 잘한 점 하나와 고칠 점 두 가지를 쉬운 말로 알려 주세요. "
    "정답 코드를 통째로 주지 말고 힌트를 주세요.",
)
Preset.objects.create(course=course, name="영어 이메일 다듬기", system_prompt="Polish the student's English email. Keep it short and polite.")
ended = Course.objects.create(name="여름 특강", starts_on=today - datetime.timedelta(days=40), ends_on=today - datetime.timedelta(days=10))
Membership.objects.create(course=ended, user=late)
for owner, klass in ((student, course), (late, ended)):
    c = Conversation.objects.create(owner=owner, title="리스트 컴프리헨션", model="fake-model", needs_title=False, course=klass)
    add_message(conversation=c, role="user", content="리스트 컴프리헨션이 뭐예요?")
    add_message(conversation=c, role="assistant", content="짧게 리스트를 만드는 문법입니다.", rendered_html="<p>짧게 리스트를 만드는 문법입니다.</p>", status="done")
    print(c.pk)
"""


@pytest.fixture(scope="module")
def class_site(tmp_path_factory, fake_openai_server):
    """반이 있는 앱 (이 파일만의 SQLite): 공지와 프리셋이 있는 반의 민지, 끝난 반의 준호."""
    workdir = tmp_path_factory.mktemp("chat-classes")
    database = {
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        **llm_env(fake_openai_server),
    }
    with asgi_server(workdir, **database) as base_url:
        output = manage(server_env(workdir, **database), "shell", "-c", SETUP).stdout.split()

        def shell(code):
            """서버가 도는 중에 DB를 바꾼다 (페이지를 연 뒤 반이 끝나는 때처럼)."""
            manage(server_env(workdir, **database), "shell", "-c", code)

        yield base_url, output[-2], output[-1], shell


def log_in(browser, base_url, username, size, scheme):
    context = browser.new_context(
        locale="ko-KR", base_url=base_url, color_scheme=scheme, **SIZES[size]
    )
    page = watched_page(context)
    page.goto("/accounts/login/")
    page.get_by_label("아이디").fill(username)
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    expect(page).to_have_url(f"{base_url}/chat/")
    return context, page


def looks_right(page, name, size):
    shot(page, name)
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["viewport"]["width"]


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_announcement_presets_and_a_closed_class_look_right(browser, class_site, size, scheme):
    base_url, open_conversation, closed_conversation, _shell = class_site
    context, page = log_in(browser, base_url, "minji", size, scheme)

    banner = page.locator(".class-announcement")
    expect(banner).to_contain_text("3학년 2반 파이썬")
    expect(banner).to_contain_text("컴퓨터실")
    # 템플릿의 줄 바꿈과 들여쓰기가 빈 줄로 그려지지 않는다 (강사 화면의 같은 이름 클래스가 pre-wrap을 얹었었다)
    banner_box = banner.bounding_box()
    text_box = banner.locator(".class-announcement-text").bounding_box()
    heading_box = banner.locator("h2").bounding_box()
    assert banner_box["height"] < heading_box["height"] + text_box["height"] + 48
    presets = page.get_by_role("group", name="프리셋으로 시작하기")
    expect(presets.get_by_label("코드 리뷰")).to_be_visible()
    expect(presets).to_contain_text("강사가 지시 내용을 공개하지 않은 프리셋입니다.")
    expect(presets).not_to_contain_text("비밀 지시")
    looks_right(page, f"classes-new-chat-{size}-{scheme}", size)

    page.goto(f"/chat/{open_conversation}/")
    expect(page.locator(".class-note")).to_contain_text("반: 3학년 2반 파이썬")
    looks_right(page, f"classes-conversation-{size}-{scheme}", size)
    assert page.console_errors == []
    context.close()

    context, page = log_in(browser, base_url, "junho", size, scheme)
    page.goto(f"/chat/{closed_conversation}/")
    expect(page.locator("#composer")).to_contain_text("“여름 특강” 반은")
    expect(page.get_by_role("button", name="보내기")).to_have_count(0)
    looks_right(page, f"classes-closed-{size}-{scheme}", size)
    assert page.console_errors == []
    context.close()


def test_a_preset_starts_a_conversation_and_a_dismissed_announcement_goes(
    browser, class_site, fake_openai
):
    base_url, _open, _closed, _shell = class_site
    fake_openai.script(Reply(tokens=["좋아요, ", "코드를 볼게요."]), Reply(tokens=["코드 리뷰"]))
    context, page = log_in(browser, base_url, "minji", "desktop", "light")

    page.get_by_label("코드 리뷰").check()
    page.get_by_label("메시지").fill("for문을 봐 주세요")
    page.get_by_role("button", name="보내기").click()

    expect(page.locator("article.bubble-assistant .markdown")).to_have_text(
        "좋아요, 코드를 볼게요."
    )
    expect(page.locator(".class-note")).to_contain_text("“코드 리뷰” 프리셋으로 시작함")
    requests = [body for body in fake_openai.requests if body.get("stream")]
    assert requests[-1]["messages"][0]["content"].startswith("학생이 보낸 파이썬 코드를")

    page.locator(".class-announcement").get_by_role("button", name="닫기").click()
    expect(page.locator(".class-announcement")).to_have_count(0)
    page.reload()
    expect(page.locator(".class-announcement")).to_have_count(0)
    assert page.console_errors == []
    context.close()


CLASS_FOR = """
import datetime
from django.utils import timezone
from accounts.models import Course, Membership, User
student = User.objects.create_user("{name}", password="{password}")
Membership.objects.create(course=Course.objects.create(name="{name}의 반"), user=student)
"""
CLASS_ENDS = """
import datetime
from django.utils import timezone
from accounts.models import Course
Course.objects.filter(name="{name}의 반").update(ends_on=timezone.localdate() - datetime.timedelta(days=1))
"""


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_send_after_the_class_ended_keeps_the_text_to_copy(browser, class_site, size, scheme):
    # 페이지를 연 뒤에 반이 끝났다: 보내기는 거절되고, 입력창 자리에 까닭과 쓴 글(읽기 전용)이 남는다
    base_url, _open, _closed, shell = class_site
    name = f"late_{size}_{scheme}"
    shell(CLASS_FOR.format(name=name, password=PASSWORD))
    context, page = log_in(browser, base_url, name, size, scheme)
    page.get_by_label("메시지").fill("과제 3번을 이렇게 풀었는데\n맞는지 봐 주세요")
    shell(CLASS_ENDS.format(name=name))

    page.get_by_role("button", name="보내기").click()

    notice = page.locator("#start-form.closed-notice")
    expect(notice).to_contain_text(f"“{name}의 반” 반은")
    unsent = notice.get_by_label("메시지는 보내지지 않았습니다. 여기서 복사해 두세요:")
    expect(unsent).to_have_value("과제 3번을 이렇게 풀었는데\n맞는지 봐 주세요")
    expect(unsent).not_to_be_editable()
    looks_right(page, f"classes-refused-{size}-{scheme}", size)
    assert page.console_errors == []
    context.close()
