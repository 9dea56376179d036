"""학생 화면의 서버 쪽 (#9): 사람이 쓴 코드, 사이드바 묶음, 예시 질문, 복사할 원문, 시간, 생성 중인 답변."""

import datetime
import re
import zoneinfo
from pathlib import Path

import pytest
from django.utils import timezone

from chat.models import Conversation, Message
from chat.services import conversation_start
from chat.templatetags.chat_tags import user_text
from chat.views.conversations import EXAMPLES
from chat.views.shared import recency_group
from tests.support.factories import add_message, make_conversation
from tests.support.html import problems

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")
APP_CSS = Path(__file__).resolve().parent.parent / "static" / "css" / "app.css"


# 사람이 보낸 글


def test_user_text_keeps_whitespace_and_escapes_everything():
    assert user_text("  <b>굵게</b>\n\n둘째  줄") == "  &lt;b&gt;굵게&lt;/b&gt;\n\n둘째  줄"


def test_a_fenced_block_becomes_monospace():
    html = user_text("이 코드를 봐 주세요\n```python\nprint('<hi>')\n```\n어때요?")

    assert html == (
        "이 코드를 봐 주세요"
        '<pre class="user-code"><code>print(&#x27;&lt;hi&gt;&#x27;)</code></pre>'
        "어때요?"
    )


def test_indented_lines_after_a_blank_line_become_monospace_but_a_continued_line_does_not():
    assert user_text("설명\n\n    x = 1\n    y = 2\n\n끝") == (
        '설명<pre class="user-code"><code>x = 1\ny = 2</code></pre>끝'
    )
    assert user_text("설명이 이어지고\n    들여쓴 줄") == "설명이 이어지고\n    들여쓴 줄"


def test_an_unclosed_fence_still_shows_its_code():
    assert user_text("```\nx = 1") == '<pre class="user-code"><code>x = 1</code></pre>'


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        "```\n</code></pre><script>alert(1)</script>\n```",
        "    <img src=x onerror=1>",
    ],
)
def test_user_text_is_harmless(payload):
    html = user_text(payload)

    assert "<script" not in html
    assert "<img" not in html
    assert problems(html.replace('<pre class="user-code">', "<pre>")) == []


# 사이드바 묶음


@pytest.mark.parametrize(
    ("days_ago", "group"),
    [(0, "Today"), (1, "Yesterday"), (2, "Previous 7 days"), (6, "Previous 7 days"), (7, "Older")],
)
def test_recency_groups_count_local_days(days_ago, group, settings):
    settings.LANGUAGE_CODE = "en"
    today = datetime.date(2026, 11, 29)
    # 서울의 자정 직후: UTC로는 전날이지만 서울의 날짜로 센다
    moment = datetime.datetime(2026, 11, 29, 0, 5, tzinfo=SEOUL) - datetime.timedelta(days=days_ago)

    with timezone.override(SEOUL):
        assert recency_group(moment, today) == group


def test_the_sidebar_is_grouped_and_a_next_page_does_not_repeat_its_group(logged_in, user):
    # 오늘 정오에서 몇 분 전: 지금에서 거꾸로 세면 자정 직후(서울 0시, UTC 15시)에 "오늘"이 어제가 되어 실패했다
    noon = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    # 오늘 5개, 열흘 전 30개: 첫 쪽(30개)은 두 묶음, 둘째 쪽은 "이전"의 나머지 5개
    for index in range(35):
        conversation = make_conversation(user, title=f"대화 {index}")
        Conversation.objects.filter(pk=conversation.pk).update(
            updated_at=noon - datetime.timedelta(days=10 if index < 30 else 0, minutes=index)
        )

    first = logged_in.get("/chat/").content.decode()
    second = logged_in.get("/chat/?page=2", headers={"HX-Request": "true"}).content.decode()

    assert first.count('<li class="sidebar-group"><h2>오늘</h2></li>') == 1
    assert first.count('<li class="sidebar-group"><h2>이전</h2></li>') == 1
    assert '<li class="sidebar-group">' not in second
    assert "대화 29" in second


# 새 대화 화면


def test_the_new_conversation_page_greets_and_offers_examples(logged_in, user):
    page = logged_in.get("/chat/").content.decode()

    assert f"{user.username}님, 안녕하세요." in page
    assert page.count('class="example"') == len(EXAMPLES) == 4


def test_an_example_link_fills_the_composer_without_javascript(logged_in):
    page = logged_in.get("/chat/?example=2").content.decode()

    assert "SQL 기초를 배우는 일주일 공부 계획을 세워 주세요.</textarea>" in page


@pytest.mark.parametrize("example", ["9", "-1", "x", "²"])
def test_a_wrong_example_number_shows_an_empty_composer(logged_in, example):
    response = logged_in.get(f"/chat/?example={example}")

    assert response.status_code == 200
    assert re.search(r"<textarea[^>]*>\s*</textarea>", response.content.decode())


# 복사할 원문


def test_the_source_of_a_reply_is_its_markdown(logged_in, user):
    conversation = make_conversation(user)
    reply = add_message(
        conversation=conversation,
        role=Message.Role.ASSISTANT,
        status=Message.Status.DONE,
        content="**굵게**\n\n```py\nx = 1\n```",
        rendered_html="<p><strong>굵게</strong></p>",
    )

    response = logged_in.get(f"/chat/messages/{reply.pk}/source/")

    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == "**굵게**\n\n```py\nx = 1\n```"
    assert "no-store" in response["Cache-Control"]


def test_someone_elses_message_source_is_404(client, other_user, user):
    conversation = make_conversation(user, messages=2)
    client.force_login(other_user)

    response = client.get(f"/chat/messages/{conversation.messages.first().pk}/source/")

    assert response.status_code == 404


# 메시지의 시간과 생성 중인 답변


def test_messages_show_their_time_with_the_full_date_for_screen_readers(logged_in, user):
    conversation = make_conversation(user, messages=2)
    Message.objects.filter(conversation=conversation).update(
        created_at=datetime.datetime(2026, 3, 1, 14, 5, tzinfo=SEOUL)
    )

    page = logged_in.get(f"/chat/{conversation.pk}/").content.decode()

    assert '<time datetime="2026-03-01T14:05:00+09:00"' in page
    assert '<span aria-hidden="true">오후 2:05</span>' in page
    assert '<span class="visually-hidden">2026년 3월 1일 오후 2:05</span>' in page


WRITING = "## 제목\n\n| a |\n|---|\n| 1 |\n\n**아직\n쓰는"


def test_a_reply_being_written_is_drawn_as_finished_blocks_and_a_plain_tail(logged_in, user):
    reply = conversation_start(user=user, content="질문", model="")
    Message.objects.filter(pk=reply.pk).update(status=Message.Status.STREAMING, content=WRITING)

    page = logged_in.get(f"/chat/{reply.conversation_id}/").content.decode()

    assert (
        '<div class="stream-blocks" sse-swap="blocks" hx-swap="beforeend settle:0ms"><h3>제목</h3>'
        in page
    )
    assert "<table>" in page
    # 표는 다음 블록이 시작되어 끝났고, 마지막 블록은 글 그대로다. 스트림은 페이지가 그린 글 뒤부터 잇는다
    assert f'id="tail-{reply.pk}" sse-swap="token" hx-swap="beforeend">**아직\n쓰는</p>' in page
    assert re.search(rf'/stream/\?t=[^"&]+&amp;from={len(WRITING)}"', page)


# 데모 모델 안내


def test_students_see_a_one_line_demo_notice_and_staff_see_how_to_connect(client, user):
    client.force_login(user)
    student_page = client.get("/chat/").content.decode()
    user.is_staff = True
    user.save()
    staff_page = client.get("/chat/").content.decode()

    assert "답변은 예시입니다." in student_page
    assert "OPENAI_API_KEY" not in student_page
    assert "OPENAI_API_KEY" in staff_page


# 색 대비 (WCAG 1.4.11: 입력칸 테두리와 초점 고리는 배경과 3:1)


def _custom_properties(css, scheme):
    block = (
        css.split(":root {")[1] if scheme == "light" else css.split("prefers-color-scheme: dark")[1]
    )
    block = block.split("}")[0]
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", block))


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_input_borders_and_the_focus_ring_reach_three_to_one(scheme):
    from chat.management.commands.code_css import contrast

    css = APP_CSS.read_text()
    colours = {**_custom_properties(css, "light"), **_custom_properties(css, scheme)}
    for foreground in ("input-border", "focus"):
        for background in ("bg", "surface"):
            ratio = contrast(colours[foreground].lstrip("#"), colours[background].lstrip("#"))
            assert ratio >= 3, (scheme, foreground, background, ratio)
