"""감사 기록이 chat에서 core로 옮겨 갈 때 행과 권한을 잃지 않는다. 모델과 마이그레이션이 어긋나지 않는다."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from core.models import AuditEvent
from tests.support.migrations import migrate

BEFORE_THE_MOVE = [("chat", "0005_reply_reasoning")]


def migrate_back_before_the_move():
    """chat/0006과 core/0001만 되돌리고, 그때의 모델(다른 앱은 모두 마지막 상태)을 돌려준다."""
    executor = migrate(BEFORE_THE_MOVE)
    others = [
        node for node in executor.loader.graph.leaf_nodes() if node[0] not in {"chat", "core"}
    ]
    return executor.loader.project_state(others + BEFORE_THE_MOVE).apps


def migrate_to_the_latest():
    migrate()
    ContentType.objects.clear_cache()


def old_audit_rows(old_apps):
    """옮기기 전의 DB: chat의 표에 감사 기록 둘, 그 보기 권한을 받은 모둠 하나."""
    User = old_apps.get_model("accounts", "User")
    OldContentType = old_apps.get_model("contenttypes", "ContentType")
    OldPermission = old_apps.get_model("auth", "Permission")
    OldGroup = old_apps.get_model("auth", "Group")
    OldAuditEvent = old_apps.get_model("chat", "AuditEvent")
    teacher = User.objects.create(username="teacher_kim")
    conversation_type = OldContentType.objects.get_or_create(
        app_label="chat", model="conversation"
    )[0]
    OldAuditEvent.objects.create(
        actor=teacher,
        actor_username="teacher_kim",
        action="conversation.hidden",
        target_type=conversation_type,
        target_id="4d6f",
        target_repr="숨긴 대화",
        payload={"reason": "욕설"},
        address="203.0.113.7",
    )
    OldAuditEvent.objects.create(actor=None, action="conversations.purged", payload={"count": 3})
    audit_type = OldContentType.objects.get(app_label="chat", model="auditevent")
    view = OldPermission.objects.get_or_create(
        content_type=audit_type, codename="view_auditevent", defaults={"name": "Can view"}
    )[0]
    OldGroup.objects.create(name="auditors").permissions.add(view)
    return teacher.pk


@pytest.mark.django_db(transaction=True)
def test_audit_rows_written_before_the_move_are_read_through_core_after_it():
    old_apps = migrate_back_before_the_move()
    teacher_id = old_audit_rows(old_apps)

    migrate_to_the_latest()

    rows = list(
        AuditEvent.objects.order_by("pk").values_list(
            "actor_id", "action", "target_type__model", "target_id", "payload", "address"
        )
    )
    assert rows == [
        (
            teacher_id,
            "conversation.hidden",
            "conversation",
            "4d6f",
            {"reason": "욕설"},
            "203.0.113.7",
        ),
        (None, "conversations.purged", None, "", {"count": 3}, None),
    ]
    assert AuditEvent._meta.db_table == "core_auditevent"
    # 모둠이 받은 보기 권한이 core의 것으로 따라왔다: 관리 화면의 감사 기록을 계속 본다
    permission = Permission.objects.get(codename="view_auditevent")
    assert permission.content_type.app_label == "core"
    assert list(Group.objects.get(name="auditors").permissions.all()) == [permission]
    assert not ContentType.objects.filter(app_label="chat", model="auditevent").exists()


@pytest.mark.django_db(transaction=True)
def test_a_second_migrate_after_going_back_keeps_the_granted_permission():
    old_apps = migrate_back_before_the_move()
    old_audit_rows(old_apps)
    # 되돌린 뒤의 migrate가 끝나면 post_migrate는 지금의 모델(core)로 빈 콘텐트 타입과 권한을 새로 만든다
    fresh = ContentType.objects.create(app_label="core", model="auditevent")
    Permission.objects.create(content_type=fresh, codename="view_auditevent", name="Can view")

    migrate_to_the_latest()

    (audit_type,) = ContentType.objects.filter(model="auditevent")
    assert audit_type.app_label == "core"
    assert list(Group.objects.get(name="auditors").permissions.all()) == [
        Permission.objects.get(content_type=audit_type, codename="view_auditevent")
    ]
    assert AuditEvent.objects.count() == 2


@pytest.mark.django_db
def test_every_model_change_has_its_migration():
    # 모델을 바꾸고 마이그레이션을 잊으면 여기서 멈춘다 (--check는 바뀐 것이 있으면 1로 끝난다)
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
