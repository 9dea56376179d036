"""강사의 반 화면이 읽는 학생의 활동 (chat.views.teaching이 쓴다): 오늘과 이번 주의 답변·토큰, 실패한 답변, 열린 신고, 마지막 활동.

사람마다 질의하지 않는다: 학생 목록 한 문장에 부분 질의(subquery)로 붙인다. 장부(DailyUsage)는 사람마다라
토큰은 그 사람이 쓴 모든 것이고, 실패와 신고와 활동은 이 반의 대화에서만 센다 (강사가 열어 볼 수 있는 것).
숨긴(관리자가 감춘) 대화는 강사에게 보이지 않는다: 목록에서도 숫자에서도 뺀다.
"""

import datetime

from django.conf import settings
from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from accounts import usage
from accounts.models import Course, DailyUsage, Membership, User
from chat.models import Conversation, Message, Report

# 이번 주: 오늘을 넣어 7일 (TIME_ZONE의 날짜)
WEEK_DAYS = 7


def week_first_day(today: datetime.date) -> datetime.date:
    return today - datetime.timedelta(days=WEEK_DAYS - 1)


def class_conversations(course: Course):
    """강사가 볼 수 있는 반의 대화: 이 반에서 열었고, 숨기지 않았고, 주인이 아직 이 반에 있다."""
    return Conversation.objects.filter(
        course=course, is_hidden=False, owner__memberships__course=course
    )


def _count(queryset, key: str):
    """사람마다 센 수를 부분 질의로 (없으면 0)."""
    return Coalesce(
        Subquery(
            queryset.order_by().values(key).annotate(n=Count("pk")).values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def _ledger_sum(days: tuple[datetime.date, datetime.date], expression):
    first, last = days
    rows = DailyUsage.objects.filter(user=OuterRef("user"), day__gte=first, day__lte=last)
    return Coalesce(
        Subquery(
            rows.order_by().values("user").annotate(n=Sum(expression)).values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def member_rows(course: Course, *, user_id: int | None = None):
    """반의 학생들과 숫자들. 승인을 기다리는 사람이 먼저, 그다음 이름(없으면 아이디) 순. 질의 하나."""
    today = usage.today()
    week = (week_first_day(today), today)
    week_start = timezone.make_aware(datetime.datetime.combine(week[0], datetime.time()))
    own = {"conversation__owner": OuterRef("user"), "conversation__course": course}
    failed = Message.objects.filter(
        **own,
        conversation__is_hidden=False,
        role=Message.Role.ASSISTANT,
        status=Message.Status.FAILED,
        created_at__gte=week_start,
    )
    reports = Report.objects.open().filter(
        reply__conversation__owner=OuterRef("user"),
        reply__conversation__course=course,
        reply__conversation__is_hidden=False,
    )
    latest = Conversation.objects.filter(
        owner=OuterRef("user"), course=course, is_hidden=False
    ).order_by("-updated_at")
    tokens = F("prompt_tokens") + F("completion_tokens")
    rows = (
        Membership.objects.filter(course=course)
        .select_related("user")
        .annotate(
            last_activity=Subquery(latest.values("updated_at")[:1]),
            replies_today=_ledger_sum((today, today), "replies"),
            tokens_today=_ledger_sum((today, today), tokens),
            replies_week=_ledger_sum(week, "replies"),
            tokens_week=_ledger_sum(week, tokens),
            failed_week=_count(failed, "conversation__owner"),
            open_reports=_count(reports, "reply__conversation__owner"),
        )
        .order_by("-user__awaiting_approval", "user__first_name", "user__username")
    )
    if user_id is not None:
        # user_id가 아니라 user__pk: 64비트를 넘는 번호를 Django는 정수 칸의 =에서만 "없음"으로 읽는다
        # (외래 키나 in에서는 OverflowError로 500)
        rows = rows.filter(user__pk=user_id)
    return rows


def member_row(course: Course, member_id: int) -> Membership:
    """한 학생의 줄. 반에 없는 사람이면 404."""
    row = member_rows(course, user_id=member_id).first()
    if row is None:
        raise Http404
    return row


def member_conversations(course: Course, member: User):
    """그 학생이 이 반에서 연 대화, 최근 활동부터."""
    return (
        class_conversations(course)
        .filter(owner=member)
        .only("id", "title", "updated_at", "created_at", "model")
        .order_by("-updated_at", "-pk")
    )


def readable_conversation(course: Course, conversation_id) -> Conversation:
    """강사가 읽을 대화. 읽기를 끈 사이트(CLASS_INSTRUCTORS_CAN_READ=False), 다른 반이나 반 없는 대화, 숨긴 대화는 404."""
    if not settings.CLASS_INSTRUCTORS_CAN_READ:
        raise Http404
    conversation = (
        class_conversations(course)
        .select_related("owner", "preset")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        raise Http404
    return conversation
