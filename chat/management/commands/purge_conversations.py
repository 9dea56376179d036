"""오래된 대화 지우기 (보존 기간).

학교와 학원은 학생의 대화를 정해진 기간만 두어야 한다. 마지막 활동이 DAYS일보다 오래된 대화를 메시지와 함께
지운다. 조각씩 지워 큰 표에서도 메모리와 잠금이 짧고, 지운 수를 감사 기록 한 줄에 남긴다.
"""

import datetime

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.management.arguments import days, find_user
from chat.models import Conversation, Message
from core.audit import Action, audit_record

BATCH = 500


class Command(BaseCommand):
    help = (
        "Delete conversations (with their messages) whose last activity is older than the given "
        "number of days, in batches."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=days,
            required=True,
            metavar="DAYS",
            help="delete conversations with no activity in the last DAYS days",
        )
        parser.add_argument("--user", metavar="NAME", help="only this user's conversations")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="count what would be deleted, without deleting anything",
        )

    def handle(self, *args, older_than, user=None, dry_run=False, **options):
        cutoff = timezone.now() - datetime.timedelta(days=older_than)
        old = Conversation.objects.filter(updated_at__lt=cutoff)
        owner = find_user(user) if user else None
        if owner is not None:
            old = old.filter(owner=owner)
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
                # 메시지를 먼저 한 번에: 대화를 지울 때 Django가 메시지를 하나씩 모으지 않게
                messages += Message.objects.filter(conversation_id__in=batch).delete()[0]
                deleted = Conversation.objects.filter(pk__in=batch).delete()[1]
                conversations += deleted.get(Conversation._meta.label, 0)
        audit_record(
            actor=None,
            action=Action.CONVERSATIONS_PURGED,
            payload={
                "older_than_days": older_than,
                "user": owner.username if owner else None,
                "conversations": conversations,
                "messages": messages,
            },
        )
        self.stdout.write(f"Deleted {conversations} conversations with {messages} messages.")
