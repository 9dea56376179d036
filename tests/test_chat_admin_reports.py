"""대화 관리 화면의 신고된 답변: 표시(글로도)와 그 자리의 "처리" 단추. 처리는 chat.moderation을 거쳐 감사 기록에 남는다."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command

from accounts.models import User
from chat.models import Report
from chat.moderation import report_submit
from core.models import AuditEvent
from tests.support.factories import STAFF_PASSWORD, last_reply, make_conversation


@pytest.fixture
def reported(user, other_user):
    conversation = make_conversation(user, messages=4, usage=True)
    reply = last_reply(conversation)
    report_submit(reply=reply, reporter=user, reason="wrong", note="계산이 틀렸어요")
    report_submit(reply=reply, reporter=other_user, reason="harmful", note="")
    return reply


def page_of(client, reply):
    return client.get(f"/admin/chat/conversation/{reply.conversation_id}/change/").content.decode()


def article(html, message):
    return re.search(
        rf'<article id="message-{message.pk}" class="([^"]*)">(.*?)</article>', html, re.S
    )


def resolve_url(reply):
    return f"/admin/chat/conversation/{reply.conversation_id}/messages/{reply.pk}/resolve/"


def test_the_reported_reply_is_marked_in_words_with_its_open_reports(admin_client, reported):
    html = page_of(admin_client, reported)

    found = article(html, reported)
    assert "moderation-reported" in found.group(1)
    body = found.group(2)
    assert "신고됨: 열린 신고 2개" in body
    assert "틀리거나 오해를 부름" in body
    assert "계산이 틀렸어요" in body
    # 단추는 변경 양식 밖의 제 양식에 속한다 (양식은 겹칠 수 없다)
    assert f'form="resolve-{reported.pk}"' in body
    own_form = html.index(f'<form id="resolve-{reported.pk}"')
    assert own_form > html.index("</form>", html.index('id="conversation_form"'))
    assert f'action="{resolve_url(reported)}"' in html[own_form:]
    # 신고가 없는 메시지는 표시가 없다
    first = reported.conversation.messages.order_by("pk").first()
    assert "moderation-reported" not in article(html, first).group(1)
    assert "열린 신고가 있는 답변:" in html


def test_resolving_from_the_conversation_page_closes_its_reports_and_audits_each(
    admin_client, admin_user, reported
):
    response = admin_client.post(resolve_url(reported), {"reason": "답을 고쳐 안내함"})

    assert response.status_code == 302
    assert response["Location"].endswith(f"?message={reported.pk}#message-{reported.pk}")
    assert not Report.objects.open().exists()
    assert set(Report.objects.values_list("resolved_by", "resolution_note")) == {
        (admin_user.pk, "답을 고쳐 안내함")
    }
    events = AuditEvent.objects.filter(action="report.resolved")
    assert events.count() == 2
    assert {event.payload["reply"] for event in events} == {reported.pk}
    after = page_of(admin_client, reported)
    assert "moderation-reported" not in article(after, reported).group(1)
    assert "신고 2개를 처리했습니다." in after


def test_a_moderator_resolves_there_too(db, client, reported):
    User.objects.create_user(username="teacher_kim", password=STAFF_PASSWORD, is_staff=True)
    call_command("createmoderator", "teacher_kim", verbosity=0)
    client.login(username="teacher_kim", password=STAFF_PASSWORD)

    assert 'name="reason"' in article(page_of(client, reported), reported).group(2)
    assert client.post(resolve_url(reported), {"reason": ""}).status_code == 302
    assert not Report.objects.open().exists()


def test_staff_who_may_only_read_see_the_mark_but_cannot_resolve(db, client, reported):
    reader = User.objects.create_user(username="reader", password=STAFF_PASSWORD, is_staff=True)
    reader.user_permissions.add(Permission.objects.get(codename="view_conversation"))
    client.force_login(reader)

    html = page_of(client, reported)
    body = article(html, reported).group(2)
    refused = client.post(resolve_url(reported), {"reason": "x"})

    assert "신고됨" in body
    assert "resolve/" not in html
    assert 'name="reason"' not in body
    assert refused.status_code == 403
    assert Report.objects.open().count() == 2
    assert not AuditEvent.objects.filter(action="report.resolved").exists()


def test_resolving_takes_a_post_and_a_message_of_that_conversation(admin_client, user, reported):
    elsewhere = last_reply(make_conversation(user, messages=2, usage=True))

    fetched = admin_client.get(resolve_url(reported))
    crossed = admin_client.post(
        f"/admin/chat/conversation/{reported.conversation_id}/messages/{elsewhere.pk}/resolve/",
        {"reason": "x"},
    )

    assert fetched.status_code == 405
    assert crossed.status_code == 404
    assert Report.objects.open().count() == 2
