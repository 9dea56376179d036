"""오래된 대화 지우기 (보존 기간).

학교와 학원은 학생의 대화를 정해진 기간만 두어야 한다. 두 가지로 고른다:
- --older-than DAYS: 마지막 활동이 DAYS일보다 오래된 대화 (--user, --class로 좁힌다).
- --class-retention: 반마다 정한 "끝난 뒤 N일"(Course.retention_days)이 지난 반의 대화. 매일 cron으로 돌린다.
조각씩 지워 큰 표에서도 메모리와 잠금이 짧고, 지운 수를 감사 기록 한 줄에 남긴다.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts import usage
from accounts.management.arguments import days, find_course, find_user
from accounts.models import Course
from chat.attachments import services as attachment_services
from chat.attachments.models import Attachment
from chat.models import Conversation, Message
from core.audit import Action, audit_record

BATCH = 500


def retention_due(today: datetime.date) -> list[int]:
    """보존 기간이 지난 반의 번호: 끝난 날 + retention_days일이 오늘보다 앞이다. 반은 몇 개뿐이라 파이썬에서 센다
    (날짜와 날 수의 셈은 SQLite와 PostgreSQL이 다르게 쓴다).

    끝난 날에 날 수를 더하지 않고 지난 날 수를 비교한다: 9999-12-31이나 아주 긴 보존 기간을 더하면 OverflowError로
    매일의 cron이 죽어 다른 반의 대화도 지우지 못했다.
    """
    courses = Course.objects.filter(retention_days__isnull=False, ends_on__isnull=False)
    return [
        pk
        for pk, ends_on, retention in courses.values_list("pk", "ends_on", "retention_days")
        if (today - ends_on).days > retention
    ]


class Command(BaseCommand):
    help = (
        "Delete conversations (with their messages) whose last activity is older than the given "
        "number of days, or whose class's retention period has passed, in batches."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument(
            "--older-than",
            type=days,
            metavar="DAYS",
            help="delete conversations with no activity in the last DAYS days",
        )
        which.add_argument(
            "--class-retention",
            action="store_true",
            help="delete the conversations of classes that ended more than their "
            "'delete conversations after' days ago",
        )
        parser.add_argument("--user", metavar="NAME", help="only this user's conversations")
        parser.add_argument(
            "--class",
            dest="course",
            metavar="CLASS",
            help="only the conversations of this class (its number or exact name)",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="count what would be deleted, without deleting anything",
        )

    def handle(
        self,
        *args,
        older_than=None,
        class_retention=False,
        user=None,
        course=None,
        dry_run=False,
        **options,
    ):
        old = Conversation.objects.all()
        if older_than is not None:
            old = old.filter(updated_at__lt=timezone.now() - datetime.timedelta(days=older_than))
        owner = find_user(user) if user else None
        if owner is not None:
            old = old.filter(owner=owner)
        course = find_course(course) if course else None
        if course is not None:
            old = old.filter(course=course)
        due = []
        if class_retention:
            due = retention_due(usage.today())
            if course is not None and course.pk not in due:
                raise CommandError(
                    f"The class {course.name!r} has no retention period that has passed."
                )
            old = old.filter(course__in=due)
        if dry_run:
            conversations = old.count()
            messages = Message.objects.filter(conversation__in=old).count()
            self.stdout.write(
                f"Would delete {conversations} conversations with {messages} messages."
            )
            return
        conversations = messages = 0
        while batch := list(old.order_by("pk").values_list("pk", flat=True)[:BATCH]):
            with transaction.atomic():
                # 첨부를 먼저, 꺼낸 글(text) 없이: 행마다 파일 지우기 신호(chat.apps)가 있어 Django가 행을 읽어 오는데,
                # 글까지 읽으면 한 조각이 파일마다 ATTACHMENT_TEXT_CHARS자를 메모리에 올린다. 파일은 커밋 뒤에 지워진다
                Attachment.objects.filter(message__conversation_id__in=batch).defer("text").delete()
                # 메시지를 먼저 한 번에: 대화를 지울 때 Django가 메시지를 하나씩 모으지 않게.
                # 수는 메시지의 것만 (delete()[0]은 함께 지운 다른 행까지 센다)
                deleted = Message.objects.filter(conversation_id__in=batch).delete()[1]
                messages += deleted.get(Message._meta.label, 0)
                deleted = Conversation.objects.filter(pk__in=batch).delete()[1]
                conversations += deleted.get(Conversation._meta.label, 0)
        # 보내지 않고 두고 간 파일(거절된 보내기가 받아 둔 것): 그 사람이 다시 올리지 않아도 매일의 정리가 지운다
        staged = attachment_services.forget_staged(owner=owner)
        audit_record(
            actor=None,
            action=Action.CONVERSATIONS_PURGED,
            payload={
                "older_than_days": older_than,
                "user": owner.username if owner else None,
                "class": course.pk if course else None,
                "class_retention": sorted(due) if class_retention else None,
                "conversations": conversations,
                "messages": messages,
                "unsent_files": staged,
            },
        )
        self.stdout.write(
            f"Deleted {conversations} conversations with {messages} messages"
            f" and {staged} files that were never sent."
        )
