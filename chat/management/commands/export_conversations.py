"""대화 내보내기.

수업이 끝나 기록을 지우기 전에 남겨 두거나, 학생이 자기 대화를 가져가거나, 다른 서버로 옮길 때 쓴다.
JSON Lines는 한 줄에 대화 하나(메시지 포함)이고 import_conversations가 그대로 다시 읽는다. Markdown은 사람이 읽는다.
대화와 메시지를 조각씩 읽어 흘려 쓰므로 표가 커도 메모리가 일정하다.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.management.arguments import day, find_user
from chat.transfer import export
from core.audit import Action, audit_record


class Command(BaseCommand):
    help = (
        "Write conversations with their messages as JSON Lines (one conversation per line, "
        "re-importable with import_conversations) or as Markdown."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", metavar="NAME", help="only this user's conversations")
        parser.add_argument(
            "--since",
            type=day,
            metavar="DATE",
            help="only conversations with activity on or after this day (YYYY-MM-DD, in TIME_ZONE)",
        )
        parser.add_argument(
            "--format",
            choices=["jsonl", "markdown"],
            default="jsonl",
            help="jsonl (default): one conversation per line, for import_conversations; "
            "markdown: for people to read",
        )
        parser.add_argument(
            "--output",
            metavar="PATH",
            help="file to write (default: standard output; the count then goes to standard error)",
        )

    def handle(self, *args, user=None, since=None, format="jsonl", output=None, **options):
        owner = find_user(user) if user else None
        start = (
            timezone.make_aware(datetime.datetime.combine(since, datetime.time()))
            if since
            else None
        )
        conversations = export.conversations_to_export(user=owner, since=start)
        lines = export.jsonl_lines if format == "jsonl" else export.markdown_lines
        count = export.ExportCount()
        try:
            file = open(output, "w", encoding="utf-8") if output else None  # noqa: SIM115
        except OSError as error:
            raise CommandError(f"Cannot write {output}: {error.strerror}.") from None
        write = file.write if file else lambda line: self.stdout.write(line, ending="")
        try:
            for line in lines(conversations, count):
                write(line)
        finally:
            if file:
                file.close()
        audit_record(
            actor=None,
            action=Action.CONVERSATIONS_EXPORTED,
            payload={
                "user": owner.username if owner else None,
                "since": since.isoformat() if since else None,
                "format": format,
                "conversations": count.conversations,
                "messages": count.messages,
            },
        )
        summary = f"Exported {count.conversations} conversations with {count.messages} messages."
        # 표준 출력으로 내보냈다면 그 내용을 더럽히지 않게 표준 오류로
        (self.stdout if output else self.stderr).write(summary)
