"""감사 기록(audit trail): 관리와 열람을 한 줄씩 남긴다. 기록을 쓰는 곳은 audit_record 하나뿐이다."""

import ipaddress

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from core.models import AuditEvent


class Action:
    """행동 코드. 이름공간.동작 꼴이라 관리 화면에서 걸러 보기 쉽다 (다른 이슈의 코드도 여기 더한다)."""

    CONVERSATION_VIEWED = "conversation.viewed"
    CONVERSATION_HIDDEN = "conversation.hidden"
    CONVERSATION_UNHIDDEN = "conversation.unhidden"
    REPORT_RESOLVED = "report.resolved"
    CONVERSATIONS_EXPORTED = "conversations.exported"
    CONVERSATIONS_PURGED = "conversations.purged"
    USER_QUOTA_CHANGED = "user.quota_changed"
    SHARE_CREATED = "share.created"
    SHARE_REVOKED = "share.revoked"
    USER_APPROVED = "user.approved"
    INVITATION_CREATED = "invitation.created"
    INVITATION_REVOKED = "invitation.revoked"
    CLASS_CREATED = "class.created"
    CLASS_CHANGED = "class.changed"
    CLASS_MEMBER_REMOVED = "class.member_removed"


# 관리 화면에 보일 이름. 저장하는 것은 코드 그대로다 (이름을 바꿔도 기록은 그대로)
ACTION_LABELS = {
    Action.CONVERSATION_VIEWED: _("conversation viewed"),
    Action.CONVERSATION_HIDDEN: _("conversation hidden"),
    Action.CONVERSATION_UNHIDDEN: _("conversation unhidden"),
    Action.REPORT_RESOLVED: _("report resolved"),
    Action.CONVERSATIONS_EXPORTED: _("conversations exported"),
    Action.CONVERSATIONS_PURGED: _("conversations purged"),
    Action.USER_QUOTA_CHANGED: _("daily quota changed"),
    Action.SHARE_CREATED: _("share link created"),
    Action.SHARE_REVOKED: _("share link revoked"),
    Action.USER_APPROVED: _("account approved"),
    Action.INVITATION_CREATED: _("class invitation created"),
    Action.INVITATION_REVOKED: _("class invitation revoked"),
    Action.CLASS_CREATED: _("class created"),
    Action.CLASS_CHANGED: _("class changed"),
    Action.CLASS_MEMBER_REMOVED: _("member removed from a class"),
}


def action_label(code: str) -> str:
    """행동 코드의 이름. 모르는 코드(다른 판에서 온 기록)는 코드 그대로."""
    return ACTION_LABELS.get(code, code)


def _address(request) -> str | None:
    """요청을 보낸 주소. 프록시 뒤라면 서버가 진짜 주소를 REMOTE_ADDR에 넣는다 (accounts.forms와 같음)."""
    if request is None:
        return None
    value = request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        # 테스트 클라이언트나 유닉스 소켓은 주소가 없거나 이상하다: 기록을 막지 않고 비워 둔다
        return None


def audit_record(
    *, actor, action: str, target: Model | None = None, payload: dict | None = None, request=None
) -> AuditEvent:
    """감사 기록 한 줄을 쓴다. 행동을 하는 서비스가 같은 트랜잭션 안에서 부른다 (시그널이 아니라).

    actor는 명령을 사용자 없이 돌린 운영자라면 None. target은 아무 모델 인스턴스나 None.
    """
    event = AuditEvent(
        actor=actor,
        actor_username=getattr(actor, "username", "") or "",
        action=action,
        payload=payload or {},
        address=_address(request),
    )
    if target is not None:
        event.target_type = ContentType.objects.get_for_model(target)
        event.target_id = str(target.pk)
        event.target_repr = Truncator(str(target)).chars(200)
    event.save()
    return event


def events_about(target: Model):
    """이 대상에 관한 기록, 최신부터. (target_type, target_id, created_at) 색인을 쓴다."""
    return AuditEvent.objects.filter(
        target_type=ContentType.objects.get_for_model(target), target_id=str(target.pk)
    ).order_by("-created_at", "-pk")
