"""관리 화면에서 강사가 하는 일: 찾고, 쪽으로 읽고, 숨기고, 신고를 처리한다. 주인은 누가 읽었는지 본다."""

import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from chat.markdown import render_markdown
from chat.models import Conversation, Message, Report
from chat.moderation import report_submit
from core.models import AuditEvent
from tests.support.factories import STAFF_PASSWORD, add_message, last_reply, make_conversation
from tests.support.html import HOSTILE, parsed_tags, problems


@pytest.fixture
def moderator(db, client):
    teacher = User.objects.create_user(username="teacher_kim", password=STAFF_PASSWORD)
    call_command("createmoderator", "teacher_kim", verbosity=0)
    teacher.refresh_from_db()
    client.force_login(teacher)
    return teacher


# 누가 읽었는지


def test_the_owner_sees_who_read_their_conversation(admin_client, client, user):
    conversation = make_conversation(user, messages=2, usage=True)
    before = client
    before.force_login(user)
    assert "looked-notice" not in before.get(f"/chat/{conversation.pk}/").content.decode()

    admin_client.get(f"/admin/chat/conversation/{conversation.pk}/change/")
    page = before.get(f"/chat/{conversation.pk}/").content.decode()

    notice = re.search(r'<p class="looked-notice"[^>]*>(.*?)</p>', page, re.S).group(1)
    assert "강사·운영자가 읽음" in notice
    assert "admin" in notice
    assert AuditEvent.objects.get().action == "conversation.viewed"


def test_opening_one_message_in_the_admin_is_a_look_too(admin_client, user):
    conversation = make_conversation(user, messages=2, usage=True)

    response = admin_client.get(f"/admin/chat/message/{last_reply(conversation).pk}/change/")

    assert response.status_code == 200
    assert AuditEvent.objects.get().target_id == str(conversation.pk)


@pytest.mark.parametrize("page", ["message", "conversation"])
def test_a_history_page_shows_the_words_so_opening_it_is_a_look(moderator, client, user, page):
    conversation = make_conversation(user, messages=2, usage=True)
    shown = last_reply(conversation) if page == "message" else conversation

    response = client.get(f"/admin/chat/{page}/{shown.pk}/history/")

    assert response.status_code == 200
    look = AuditEvent.objects.get()
    assert look.action == "conversation.viewed"
    assert look.actor == moderator
    assert look.target_id == str(conversation.pk)


# 대화 목록


def test_the_changelist_counts_in_one_query_and_filters(admin_client, user, other_user):
    quiet = make_conversation(user, messages=4, usage=True, title="조용한 대화")
    reported = make_conversation(other_user, messages=2, usage=True, title="신고된 대화")
    report_submit(reply=last_reply(reported), reporter=other_user, reason="harmful", note="")
    Message.objects.filter(pk=last_reply(quiet).pk).update(status=Message.Status.FAILED)

    listing = admin_client.get("/admin/chat/conversation/").content.decode()
    with_reports = admin_client.get("/admin/chat/conversation/", {"reported": "yes"})
    failed = admin_client.get("/admin/chat/conversation/", {"failed": "yes"})
    by_words = admin_client.get("/admin/chat/conversation/", {"q": "메시지 3"})

    # 최근 활동 순: 나중에 만든 대화가 위
    assert listing.index("신고된 대화") < listing.index("조용한 대화")
    row = re.search(r"<tr>.*?조용한 대화.*?</tr>", listing, re.S).group(0)
    assert '<td class="field-message_count">4</td>' in row
    assert '<td class="field-token_count">30</td>' in row
    assert "신고된 대화" in with_reports.content.decode()
    assert "조용한 대화" not in with_reports.content.decode()
    assert "조용한 대화" in failed.content.decode()
    assert "신고된 대화" not in failed.content.decode()
    assert "조용한 대화" in by_words.content.decode()
    assert "신고된 대화" not in by_words.content.decode()
    # 목록과 검색은 대화를 연 것이 아니다
    assert not AuditEvent.objects.exists()


def changelist_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/admin/chat/conversation/")
    assert response.status_code == 200
    return len(queries)


def test_the_changelist_query_count_does_not_grow_with_rows(
    admin_client, user, django_assert_max_num_queries
):
    for index in range(10):
        make_conversation(user, messages=2, usage=True, title=f"대화 {index}")
    with_ten = changelist_queries(admin_client)
    owners = User.objects.bulk_create(User(username=f"student_{n}") for n in range(50))
    Conversation.objects.bulk_create(
        Conversation(owner=owners[n % 50], title=f"더 {n}", model="fake-model") for n in range(490)
    )

    with django_assert_max_num_queries(with_ten):
        assert changelist_queries(admin_client) == with_ten


# 대화 하나: 쪽으로


def test_a_long_conversation_is_read_page_by_page_newest_first(admin_client, user):
    conversation = make_conversation(user, messages=2000, usage=True)
    oldest, newest = conversation.messages.order_by("pk")[0], conversation.messages.latest("pk")

    with CaptureQueriesContext(connection) as queries:
        first = admin_client.get(f"/admin/chat/conversation/{conversation.pk}/change/")
    last = admin_client.get(f"/admin/chat/conversation/{conversation.pk}/change/", {"page": 40})
    jump = admin_client.get(
        f"/admin/chat/conversation/{conversation.pk}/change/", {"message": oldest.pk}
    )

    html = first.content.decode()
    assert html.count('class="moderation-message') == 50
    assert f'id="message-{newest.pk}"' in html
    assert f'id="message-{oldest.pk}"' not in html
    # 쪽 링크는 위와 아래에 한 벌씩
    assert html.count('href="?page=40"') == 2
    assert len(queries) < 30
    assert f'id="message-{oldest.pk}"' in last.content.decode()
    assert f'id="message-{oldest.pk}"' in jump.content.decode()


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_content_in_the_admin_never_becomes_markup(admin_client, user, payload):
    # NUL은 저장되지 않는다 (사람의 입력은 Django가 거절하고 모델의 글에서는 뺀다): PostgreSQL도 담지 못한다
    payload = payload.replace("\x00", "")
    conversation = make_conversation(user, messages=0)
    add_message(conversation=conversation, role=Message.Role.USER, content=payload)
    reply = add_message(
        conversation=conversation,
        role=Message.Role.ASSISTANT,
        content=payload,
        rendered_html=render_markdown(payload),
    )

    page = admin_client.get(f"/admin/chat/conversation/{conversation.pk}/change/").content.decode()
    one = admin_client.get(f"/admin/chat/message/{reply.pk}/change/").content.decode()
    listing = admin_client.get("/admin/chat/message/").content.decode()

    section = re.search(r'<section class="module moderation-messages".*?</section>', page, re.S)
    for html in (section.group(0), one, listing):
        # 글로 보이는 것은 괜찮다 (escape된 "&lt;a href=…"). 태그로 들어간 것이 없어야 한다.
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert not re.search(r"<a[^>]+href=\"\s*javascript", html, re.IGNORECASE)
    bodies = re.findall(r'<div class="moderation-body[^"]*">(.*?)</div>', section.group(0), re.S)
    assert len(bodies) == 2
    for body in bodies:
        assert problems(body) == []
        assert "script" not in parsed_tags(body)


# 메시지, 사용자


def test_failed_replies_of_today_are_one_filter_away(admin_client, user):
    conversation = make_conversation(user, messages=4, usage=True)
    Message.objects.filter(pk=last_reply(conversation).pk).update(
        status=Message.Status.FAILED, error_kind="timeout", content="실패한 답변"
    )

    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    response = admin_client.get(
        "/admin/chat/message/",
        {"status__exact": "failed", "created_at__gte": midnight.isoformat()},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "실패한 답변" in html
    assert "메시지 1" not in html


def test_the_users_list_shows_activity_and_conversation_counts(admin_client, user):
    make_conversation(user, messages=2, usage=True)
    make_conversation(user, messages=2, usage=True)

    html = admin_client.get("/admin/accounts/user/").content.decode()

    row = re.search(r"<tr>.*?minji.*?</tr>", html, re.S).group(0)
    assert '<td class="field-conversation_count">2</td>' in row
    assert "field-date_joined" in row
    assert "field-last_login" in row
    assert "groups__id__exact" in html


# 신고 처리


def test_the_report_queue_puts_open_reports_first_oldest_first(admin_client, user, other_user):
    first = make_conversation(user, messages=2, usage=True)
    second = make_conversation(other_user, messages=2, usage=True)
    older = report_submit(reply=last_reply(first), reporter=user, reason="wrong", note="먼저")
    newer = report_submit(
        reply=last_reply(second), reporter=other_user, reason="other", note="나중"
    )
    done = report_submit(
        reply=last_reply(first), reporter=other_user, reason="other", note="지난 일"
    )
    Report.objects.filter(pk=done.pk).update(resolved_at=timezone.now())

    html = admin_client.get("/admin/chat/report/").content.decode()
    index = admin_client.get("/admin/").content.decode()

    assert html.index("먼저") < html.index("나중") < html.index("지난 일")
    assert f"?message={older.reply_id}#message-{older.reply_id}" in html
    assert f"?message={newer.reply_id}" in html
    assert "열린 신고 2개" in index


def test_resolving_a_report_asks_for_a_note_and_records_it(admin_client, user):
    conversation = make_conversation(user, messages=2, usage=True)
    report = report_submit(reply=last_reply(conversation), reporter=user, reason="harmful", note="")
    chosen = {"action": "resolve_reports", "_selected_action": [report.pk]}

    asked = admin_client.post("/admin/chat/report/", chosen)
    done = admin_client.post("/admin/chat/report/", {**chosen, "apply": "1", "reason": "사과함"})

    assert 'name="reason"' in asked.content.decode()
    assert done.status_code == 302
    report.refresh_from_db()
    assert not report.is_open
    assert report.resolution_note == "사과함"
    assert AuditEvent.objects.get().action == "report.resolved"


# 강사 역할


def test_createmoderator_makes_a_staff_member_of_the_group(moderator):
    assert moderator.is_staff
    assert not moderator.is_superuser
    assert moderator.groups.filter(name="Moderators").exists()

    call_command("createmoderator", "teacher_kim", "--remove", verbosity=0)
    moderator.refresh_from_db()
    assert not moderator.is_staff
    assert not moderator.groups.exists()


@pytest.mark.django_db
def test_createmoderator_names_a_missing_user():
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("createmoderator", "nobody", verbosity=0)


def test_a_moderator_does_the_whole_job_in_korean(moderator, client, user):
    conversation = make_conversation(user, messages=120, usage=True)
    reply = last_reply(conversation)
    report = report_submit(reply=reply, reporter=user, reason="harmful", note="무서워요")
    Message.objects.filter(pk=reply.pk).update(status=Message.Status.FAILED, error_kind="timeout")

    index = client.get("/admin/")
    failed = client.get("/admin/chat/message/", {"status__exact": "failed"})
    page_two = client.get(f"/admin/chat/conversation/{conversation.pk}/change/", {"page": 2})
    hide = client.post(
        "/admin/chat/conversation/",
        {
            "action": "hide_conversations",
            "_selected_action": [conversation.pk],
            "apply": "1",
            "reason": "검토 중",
        },
    )
    resolve = client.post(
        "/admin/chat/report/",
        {"action": "resolve_reports", "_selected_action": [report.pk], "apply": "1", "reason": ""},
    )
    trail = client.get("/admin/core/auditevent/")

    assert "열린 신고 1개" in index.content.decode()
    assert "관리" in index.content.decode()
    assert failed.status_code == 200
    assert "실패" in failed.content.decode()
    assert page_two.status_code == 200
    assert "주인에게서 숨기기" in page_two.content.decode()
    assert hide.status_code == resolve.status_code == 302
    assert Conversation.objects.get(pk=conversation.pk).is_hidden
    assert trail.status_code == 200
    assert set(AuditEvent.objects.values_list("action", flat=True)) == {
        "conversation.viewed",
        "conversation.hidden",
        "report.resolved",
    }
    assert set(AuditEvent.objects.values_list("actor_username", flat=True)) == {"teacher_kim"}


def test_a_moderator_cannot_edit_delete_change_passwords_or_grant(moderator, client, user):
    conversation = make_conversation(user, messages=2, usage=True)
    message = last_reply(conversation)
    refused = {
        "edit a message": client.post(
            f"/admin/chat/message/{message.pk}/change/", {"content": "고침", "_save": "1"}
        ),
        "delete a conversation": client.post(
            f"/admin/chat/conversation/{conversation.pk}/delete/", {"post": "yes"}
        ),
        "change a password": client.post(
            f"/admin/accounts/user/{user.pk}/password/",
            {"password1": "new-pass-2026x", "password2": "new-pass-2026x"},
        ),
        "change a user": client.post(
            f"/admin/accounts/user/{user.pk}/change/", {"username": "minji", "is_staff": "on"}
        ),
        "add a user": client.get("/admin/accounts/user/add/"),
        "grant through a group": client.get("/admin/auth/group/add/"),
        "edit the audit trail": client.get("/admin/core/auditevent/add/"),
    }

    assert {name: r.status_code for name, r in refused.items()} == dict.fromkeys(refused, 403)
    message.refresh_from_db()
    assert message.content == "메시지 1"
    assert Conversation.objects.filter(pk=conversation.pk).exists()
    user.refresh_from_db()
    assert user.check_password("correct-horse-battery")
    assert not user.is_staff


def test_a_student_cannot_open_the_admin(logged_in, user):
    conversation = make_conversation(user, messages=2, usage=True)

    response = logged_in.get(f"/admin/chat/conversation/{conversation.pk}/change/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert not AuditEvent.objects.exists()


def test_a_moderator_reads_the_usage_ledger_but_cannot_change_it(moderator, client, user):
    from accounts.usage import usage_record

    usage_record(
        user_id=user.pk, model="fake-model", prompt_tokens=5, completion_tokens=7, estimated=False
    )

    listing = client.get("/admin/accounts/dailyusage/")
    download = client.get("/admin/accounts/dailyusage/csv/")

    assert listing.status_code == 200
    assert user.username in listing.content.decode()
    assert download.status_code == 200
    assert moderator.has_perm("accounts.view_dailyusage")
    assert not moderator.has_perm("accounts.change_dailyusage")
