"""관리 화면은 한국어로: 우리 문자열도, Django의 ko 번역에 빠진 문장도 (core/admin_i18n.py). 날짜는 한 가족."""

import json
import re

import pytest
from django.conf import settings

from chat.moderation import report_submit
from tests.support.factories import last_reply, make_conversation

# 고치기 전 한국어 관리 화면에 남아 있던 영어 (찾은 곳)
ENGLISH = [
    'alt="True"',  # 예·아니요 아이콘 (사용자 목록, 대화 목록과 화면)
    'alt="False"',
    'alt="Search"',  # 목록의 돋보기
    "Can add ",  # 권한 고르기 칸 (사용자, 모둠)
    "Can change ",
    "Can delete ",
    "Can view ",
    "Filter by",  # 사용량 장부의 날짜로 훑기
    "If disabled",  # 비밀번호 바꾸기의 경고
    ">None<",  # 오류가 없는 메시지의 오류 칸
    "- Select an option -",  # 동작 고르기의 빈 선택지
    ">conversation.viewed<",  # 감사 기록의 행동 코드
]


@pytest.fixture
def korean(admin_client):
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ko"
    return admin_client


@pytest.fixture
def pages(user):
    conversation = make_conversation(user, messages=2, usage=True)
    reply = last_reply(conversation)
    report = report_submit(reply=reply, reporter=user, reason="wrong", note="")
    return [
        "/admin/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{user.pk}/change/",
        f"/admin/accounts/user/{user.pk}/password/",
        "/admin/auth/group/add/",
        "/admin/chat/conversation/",
        f"/admin/chat/conversation/{conversation.pk}/change/",
        "/admin/chat/message/",
        f"/admin/chat/message/{reply.pk}/change/",
        "/admin/chat/report/",
        f"/admin/chat/report/{report.pk}/change/",
        "/admin/core/auditevent/",
        "/admin/accounts/dailyusage/",
    ]


def test_no_known_english_is_left_in_the_korean_admin(korean, pages):
    left = {}
    for url in pages:
        response = korean.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        found = [english for english in ENGLISH if english in html]
        if found:
            left[url] = found

    assert left == {}


def test_the_fixed_strings_read_in_korean(korean, pages, user):
    users = korean.get("/admin/accounts/user/").content.decode()
    change = korean.get(f"/admin/accounts/user/{user.pk}/change/").content.decode()
    password = korean.get(f"/admin/accounts/user/{user.pk}/password/").content.decode()
    usage = korean.get("/admin/accounts/dailyusage/").content.decode()
    trail = korean.get("/admin/core/auditevent/").content.decode()

    assert 'alt="예"' in users
    assert 'alt="검색"' in users
    assert "- 동작을 고르세요 -" in users
    assert "계정 | 하루 사용량 | 하루 사용량 추가" in change
    assert "대화 | 대화 | Can hide" not in change
    assert "끄면 이 사용자의 지금 비밀번호는 사라집니다." in password
    assert "날짜(으)로 훑기" in usage
    assert "대화 열람" in trail


def test_admin_dates_use_the_same_family_as_the_chat(korean, user):
    conversation = make_conversation(user, messages=2, usage=True)
    html = korean.get(f"/admin/chat/conversation/{conversation.pk}/change/").content.decode()

    # "2026년 12월 6일 오후 3:05": 오전·오후가 시각 앞에, ISO나 24시 꼴은 없다
    assert re.search(r"\d{4}년 \d{1,2}월 \d{1,2}일 (오전|오후) \d{1,2}:\d{2}", html)
    assert not re.search(r"\d{1,2}:\d{2} (오전|오후)", html)
    assert not re.search(r"\d{4}-\d{1,2}-\d{1,2} \d{2}:\d{2}", html)


def test_the_admins_calendar_and_time_zone_note_speak_korean(korean):
    # 날짜 칸의 달력과 시간대 안내는 jsi18n 카탈로그에서 온다: Django의 ko에 빠진 문장은 우리 djangojs가 채운다
    catalog = korean.get("/admin/jsi18n/").content.decode()

    # 카탈로그는 ASCII로 적은 JSON이다
    assert f'"Today (%(date)s)": {json.dumps("오늘 (%(date)s)")}' in catalog
    assert (
        json.dumps("참고: 시각은 %(timezone)s 시간대로 입력하세요. (지금 %(offset)s시간 빠릅니다.)")
        in catalog
    )
    assert json.dumps("%(year)s년 %(month)s %(day)s일") in catalog
