"""관리 동작: 숨기기, 열람 기록, 신고와 그 처리. 쓰는 동작마다 같은 트랜잭션에서 감사 기록을 남긴다."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from chat.models import Conversation, Message, Report
from core.audit import Action, audit_record, events_about

# 주인에게 보이는 열람 알림에 올릴 최근 열람 수
LOOKS_SHOWN = 3

# 같은 사람이 같은 대화를 이 시간 안에 다시 열면 새로 기록하지 않는다 (쪽을 넘길 때마다 쌓이지 않게)
VIEW_RECORD_WINDOW = timedelta(hours=1)


def conversation_view_record(*, conversation: Conversation, viewer, request=None) -> bool:
    """관리 화면에서 남의 대화를 연 것을 기록한다. 한 사람·대화·시간에 한 번. 새로 썼는지를 돌려준다."""
    if viewer.pk == conversation.owner_id:
        # 자기 대화를 관리 화면에서 연 것은 "누가 읽었다"는 알림이 아니다
        return False
    recent = events_about(conversation).filter(
        action=Action.CONVERSATION_VIEWED,
        actor=viewer,
        created_at__gte=timezone.now() - VIEW_RECORD_WINDOW,
    )
    if recent.exists():
        return False
    audit_record(
        actor=viewer, action=Action.CONVERSATION_VIEWED, target=conversation, request=request
    )
    return True


def _set_hidden(*, conversation, moderator, reason, hidden, action, request) -> bool:
    with transaction.atomic():
        changed = Conversation.objects.filter(pk=conversation.pk, is_hidden=not hidden).update(
            is_hidden=hidden
        )
        if not changed:
            # 이미 그 상태: 기록할 일이 없다 (두 강사가 동시에 숨겨도 기록은 하나)
            return False
        conversation.is_hidden = hidden
        audit_record(
            actor=moderator,
            action=action,
            target=conversation,
            payload={"reason": reason},
            request=request,
        )
    return True


def conversation_hide(*, conversation: Conversation, moderator, reason: str, request=None) -> bool:
    """주인에게도 대화를 감춘다 (404). 지우지 않으므로 검토 뒤 되돌릴 수 있다. 바꿨는지를 돌려준다."""
    return _set_hidden(
        conversation=conversation,
        moderator=moderator,
        reason=reason,
        hidden=True,
        action=Action.CONVERSATION_HIDDEN,
        request=request,
    )


def conversation_unhide(
    *, conversation: Conversation, moderator, reason: str, request=None
) -> bool:
    """숨긴 대화를 주인에게 돌려준다."""
    return _set_hidden(
        conversation=conversation,
        moderator=moderator,
        reason=reason,
        hidden=False,
        action=Action.CONVERSATION_UNHIDDEN,
        request=request,
    )


def report_submit(*, reply: Message, reporter, reason: str, note: str) -> Report:
    """답변을 신고한다. 열린 신고가 이미 있으면 그것을 고친다 (한 사람·답변에 열린 신고 하나)."""
    now = timezone.now()
    for _attempt in range(2):
        try:
            with transaction.atomic():
                report, _created = Report.objects.select_for_update().update_or_create(
                    reply=reply,
                    reporter=reporter,
                    resolved_at=None,
                    defaults={"reason": reason, "note": note, "updated_at": now},
                    create_defaults={"reason": reason, "note": note, "created_at": now},
                )
                return report
        except IntegrityError:
            # 같은 사람이 동시에 두 번 보냈다: 먼저 들어간 신고를 고치러 한 번 더
            continue
    raise RuntimeError("report_submit lost twice to itself")


def report_resolve(*, report: Report, moderator, note: str, request=None) -> bool:
    """신고를 처리한다. 이미 처리된 신고는 그대로 두고 False."""
    with transaction.atomic():
        now = timezone.now()
        changed = Report.objects.filter(pk=report.pk, resolved_at__isnull=True).update(
            resolved_at=now, resolved_by=moderator, resolution_note=note
        )
        if not changed:
            return False
        report.resolved_at, report.resolved_by, report.resolution_note = now, moderator, note
        audit_record(
            actor=moderator,
            action=Action.REPORT_RESOLVED,
            target=report,
            payload={
                "note": note,
                "reason": report.reason,
                "reply": report.reply_id,
                "conversation": str(report.reply.conversation_id),
            },
            request=request,
        )
    return True


def reply_reports_resolve(*, reply: Message, moderator, note: str, request=None) -> int:
    """한 답변의 열린 신고를 모두 처리한다 (대화 관리 화면의 "처리" 단추). 처리한 수를 돌려준다.

    신고마다 report_resolve를 불러 감사 기록도 신고마다 하나씩 남는다.
    """
    reports = Report.objects.open().filter(reply=reply).select_related("reply").order_by("pk")
    return sum(
        report_resolve(report=report, moderator=moderator, note=note, request=request)
        for report in reports
    )


class Looks(list):
    """최근 열람 LOOKS_SHOWN개, 최신부터. earlier: 그보다 앞선 열람의 수 (몇 번 읽혔는지 숨기지 않게)."""

    earlier = 0


def looks_at(conversation: Conversation) -> Looks:
    """주인에게 보여 줄 최근 열람: 누가(아이디) 언제, 최신부터. 더 있을 때만 나머지를 센다 (질의 하나 더)."""
    viewed = events_about(conversation).filter(action=Action.CONVERSATION_VIEWED)
    looks = Looks(viewed.only("actor_username", "created_at")[: LOOKS_SHOWN + 1])
    if len(looks) > LOOKS_SHOWN:
        looks.pop()
        looks.earlier = viewed.count() - LOOKS_SHOWN
    return looks
