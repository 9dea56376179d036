"""감사 기록: 하나의 서비스 함수로만 쓰이고, 관리 화면에서는 슈퍼유저도 고치거나 지우지 못한다."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db.models import F
from django.test import RequestFactory
from django.utils import timezone

from chat import moderation
from chat.models import Conversation, Message, Report
from chat.moderation import looks_at
from chat.services import conversation_rename, conversation_start
from core.audit import Action, audit_record
from core.models import AuditEvent
from tests.support.factories import make_conversation
from tests.support.fake_openai import Reply


@pytest.fixture
def conversation(user):
    reply = conversation_start(user=user, content="감사 기록 질문", model="daehwa-demo")
    Message.objects.filter(pk=reply.pk).update(status=Message.Status.DONE, content="답")
    return reply.conversation


def test_an_event_names_its_target_and_the_client_address(admin_user, conversation):
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.7")

    event = audit_record(
        actor=admin_user,
        action=Action.USER_QUOTA_CHANGED,
        target=conversation,
        payload={"from": 1, "to": 2},
        request=request,
    )

    event.refresh_from_db()
    assert event.actor_username == "admin"
    assert event.target_type == ContentType.objects.get_for_model(Conversation)
    assert event.target_id == str(conversation.pk)
    assert event.target_repr == conversation.title
    assert event.payload == {"from": 1, "to": 2}
    assert event.address == "203.0.113.7"


@pytest.mark.django_db
def test_an_operator_command_may_record_without_a_user():
    event = audit_record(actor=None, action=Action.CONVERSATIONS_PURGED, payload={"count": 3})

    assert event.actor is None
    assert event.target_id == ""
    assert AuditEvent.objects.get().action == "conversations.purged"


def test_every_moderation_action_writes_exactly_one_event(admin_user, conversation):
    reply = conversation.messages.get(role=Message.Role.ASSISTANT)
    report = moderation.report_submit(
        reply=reply, reporter=conversation.owner, reason="wrong", note=""
    )
    assert not AuditEvent.objects.exists()

    assert moderation.conversation_hide(conversation=conversation, moderator=admin_user, reason="a")
    assert moderation.conversation_unhide(
        conversation=conversation, moderator=admin_user, reason="b"
    )
    assert moderation.report_resolve(report=report, moderator=admin_user, note="checked")
    assert moderation.conversation_view_record(conversation=conversation, viewer=admin_user)

    actions = list(AuditEvent.objects.order_by("pk").values_list("action", "payload"))
    assert actions == [
        ("conversation.hidden", {"reason": "a"}),
        ("conversation.unhidden", {"reason": "b"}),
        (
            "report.resolved",
            {
                "note": "checked",
                "reason": "wrong",
                "reply": reply.pk,
                "conversation": str(conversation.pk),
            },
        ),
        ("conversation.viewed", {}),
    ]


def test_nobody_deletes_a_conversation_in_the_admin(admin_client, conversation):
    single = admin_client.post(
        f"/admin/chat/conversation/{conversation.pk}/delete/", {"post": "yes"}
    )
    admin_client.post(
        "/admin/chat/conversation/",
        {"action": "delete_selected", "_selected_action": [conversation.pk], "post": "yes"},
    )

    assert single.status_code == 403
    assert Conversation.objects.filter(pk=conversation.pk).exists()
    assert "delete_selected" not in admin_client.get("/admin/chat/conversation/").content.decode()


def test_repeating_an_action_that_changes_nothing_records_nothing(admin_user, conversation):
    reply = conversation.messages.get(role=Message.Role.ASSISTANT)
    report = moderation.report_submit(
        reply=reply, reporter=conversation.owner, reason="other", note=""
    )
    moderation.conversation_hide(conversation=conversation, moderator=admin_user, reason="a")
    moderation.report_resolve(report=report, moderator=admin_user, note="")

    assert not moderation.conversation_hide(
        conversation=conversation, moderator=admin_user, reason="again"
    )
    assert not moderation.report_resolve(report=report, moderator=admin_user, note="again")
    assert AuditEvent.objects.count() == 2


def test_a_look_is_recorded_once_an_hour_per_person(admin_user, conversation, user):
    assert moderation.conversation_view_record(conversation=conversation, viewer=admin_user)
    assert not moderation.conversation_view_record(conversation=conversation, viewer=admin_user)
    # 주인이 자기 대화를 보는 것은 열람이 아니다
    assert not moderation.conversation_view_record(conversation=conversation, viewer=user)

    AuditEvent.objects.update(created_at=timezone.now() - timedelta(minutes=61))
    assert moderation.conversation_view_record(conversation=conversation, viewer=admin_user)
    assert [look.actor_username for look in looks_at(conversation)] == ["admin", "admin"]


def test_the_owner_learns_how_many_earlier_reads_are_not_listed(english, admin_user, user):
    # 최근 셋만 이름과 때를 적는다: 그보다 많이 읽혔다는 것까지 숨기지 않는다
    conversation = make_conversation(user, messages=2)
    for hours in range(5):
        moderation.conversation_view_record(conversation=conversation, viewer=admin_user)
        AuditEvent.objects.update(created_at=F("created_at") - timedelta(hours=hours + 1))
    english.force_login(user)

    page = english.get(f"/chat/{conversation.pk}/").content.decode()

    assert len(looks_at(conversation)) == 3
    assert looks_at(conversation).earlier == 2
    assert "and 2 earlier reads" in page


def test_chatting_renaming_and_reporting_write_no_events(logged_in, user, llm_server):
    llm_server.script(Reply(tokens=["답"]), Reply(tokens=["제목"]), Reply(tokens=["둘"]))
    logged_in.post("/chat/", {"content": "하나", "model": "fake-model"})
    conversation = Conversation.objects.get()
    logged_in.post(f"/chat/{conversation.pk}/messages/", {"content": "둘"})
    conversation_rename(conversation=conversation, title="새 이름")
    reply = conversation.messages.filter(role=Message.Role.ASSISTANT).first()
    logged_in.post(f"/chat/replies/{reply.pk}/report/", {"reason": "harmful", "note": ""})

    assert Report.objects.count() == 1
    assert not AuditEvent.objects.exists()


# 관리 화면에서 읽기만


@pytest.fixture
def event(admin_user, conversation):
    moderation.conversation_hide(conversation=conversation, moderator=admin_user, reason="why")
    return AuditEvent.objects.get()


def test_a_superuser_reads_the_trail(admin_client, event):
    listing = admin_client.get("/admin/core/auditevent/")
    about = admin_client.get("/admin/core/auditevent/", {"target_id": event.target_id})
    detail = admin_client.get(f"/admin/core/auditevent/{event.pk}/change/")

    assert listing.status_code == about.status_code == detail.status_code == 200
    assert "conversation.hidden" in listing.content.decode()
    assert "conversation.hidden" in about.content.decode()
    assert 'name="_save"' not in detail.content.decode()


def test_a_superuser_cannot_add_change_or_delete_an_event(admin_client, event):
    add = admin_client.post("/admin/core/auditevent/add/", {"action": "forged"})
    change = admin_client.post(
        f"/admin/core/auditevent/{event.pk}/change/", {"action": "forged", "_save": "1"}
    )
    delete = admin_client.post(f"/admin/core/auditevent/{event.pk}/delete/", {"post": "yes"})
    bulk = admin_client.post(
        "/admin/core/auditevent/",
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )

    assert add.status_code == 403
    assert change.status_code == 403
    assert delete.status_code == 403
    assert bulk.status_code in (200, 302)
    event.refresh_from_db()
    assert event.action == "conversation.hidden"
    assert AuditEvent.objects.count() == 1


@pytest.mark.django_db
def test_migrate_makes_the_moderators_group_with_only_reading_hiding_and_resolving():
    # 테스트 DB는 마이그레이션으로 만들어진다: 0004가 새 DB에서 권한까지 만들어 모둠에 넣었다
    codenames = set(
        Group.objects.get(name="Moderators").permissions.values_list("codename", flat=True)
    )
    assert codenames == {
        "view_user",
        "view_conversation",
        "hide_conversation",
        "view_message",
        "view_report",
        "resolve_report",
        "view_auditevent",
        # accounts/0003: 반을 맡은 강사는 사용량 장부도 읽는다
        "view_dailyusage",
    }
