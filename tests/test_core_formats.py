"""날짜·시각은 한 가족 (core/formats): 말풍선, "읽음" 알림, 관리 화면, 내보내기가 같은 꼴로 쓴다."""

import datetime
import re
import zoneinfo

import pytest
from django.utils import formats, translation

from chat.models import Message
from chat.moderation import conversation_view_record
from core.models import AuditEvent
from tests.support.factories import make_conversation

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")
WHEN = datetime.datetime(2026, 12, 6, 15, 5, tzinfo=SEOUL)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ko", {"DATETIME_FORMAT": "2026년 12월 6일 오후 3:05", "TIME_FORMAT": "오후 3:05"}),
        ("en", {"DATETIME_FORMAT": "Dec. 6, 2026, 3:05 p.m.", "TIME_FORMAT": "3:05 p.m."}),
    ],
)
def test_one_family_of_formats_per_language(language, expected):
    with translation.override(language):
        shown = {name: formats.date_format(WHEN, name) for name in expected}
        short = formats.date_format(WHEN, "SHORT_DATETIME_FORMAT")

    assert shown == expected
    assert short == expected["DATETIME_FORMAT"]


def test_bubbles_and_the_read_by_staff_notice_write_dates_alike(client, user, admin_user):
    conversation = make_conversation(user, messages=2, usage=True)
    Message.objects.filter(conversation=conversation).update(created_at=WHEN)
    conversation_view_record(conversation=conversation, viewer=admin_user)
    AuditEvent.objects.update(created_at=WHEN)
    client.force_login(user)

    page = client.get(f"/chat/{conversation.pk}/").content.decode()

    notice = re.search(r'<p class="looked-notice"[^>]*>(.*?)</p>', page, re.S).group(1)
    assert "admin (2026년 12월 6일 오후 3:05)" in notice
    assert '<span class="visually-hidden">2026년 12월 6일 오후 3:05</span>' in page
    assert "2026-12-6 15:05" not in page
    assert "3:05 오후" not in page
