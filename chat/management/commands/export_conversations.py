"""대화 내보내기.

수업이 끝나 기록을 지우기 전에 남겨 두거나, 학생이 자기 대화를 가져가거나, 다른 서버로 옮길 때 쓴다.
JSON Lines는 한 줄에 대화 하나(메시지 포함)이고 import_conversations가 그대로 다시 읽는다. Markdown은 사람이 읽는다
(사이트 시간대, 지금 언어 또는 --language). 대화와 메시지를 조각씩 읽어 흘려 쓰므로 표가 커도 메모리가 일정하다.
--output 파일은 학생들의 대화를 담으므로 주인만 읽을 수 있게(0600) 만들고, 있는 파일은 --force 없이 덮지 않는다.
"""

import datetime
import os
from contextlib import nullcontext
from functools import partial

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.management.arguments import OneLanguage, day, find_course, find_user
from chat.transfer import export
from core.audit import Action, audit_record

# 내보낸 파일은 학생들의 대화다: 주인만 읽고 쓴다
OUTPUT_MODE = 0o600


def _open_output(path: str, *, force: bool):
    """쓸 파일을 0600으로 연다. force가 아니면 있는 파일을 덮지 않는다 (O_EXCL이라 확인과 만들기 사이의 틈도 없다)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    descriptor = os.open(path, flags, OUTPUT_MODE)
    # 덮어쓴 파일은 예전 권한을 그대로 가진다: 새 파일과 같이 맞춘다
    os.fchmod(descriptor, OUTPUT_MODE)
    return os.fdopen(descriptor, "w", encoding="utf-8")


class Command(OneLanguage, BaseCommand):
    @property
    def help(self):
        # argparse는 설명을 str로만 받는다: 찍을 때의 언어로 번역한다 (OneLanguage)
        return _(
            "Write conversations with their messages as JSON Lines (one conversation per line, "
            "re-importable with import_conversations) or as Markdown."
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--user", metavar="NAME", help=gettext_lazy("only this user's conversations")
        )
        parser.add_argument(
            "--class",
            dest="course",
            metavar="CLASS",
            help=gettext_lazy(
                "only the conversations of this class (its number or exact name): the end of a course"
            ),
        )
        parser.add_argument(
            "--since",
            type=day,
            metavar="DATE",
            help=gettext_lazy(
                "only conversations with activity on or after this day (YYYY-MM-DD, in TIME_ZONE)"
            ),
        )
        parser.add_argument(
            "--format",
            choices=["jsonl", "markdown"],
            default="jsonl",
            help=gettext_lazy(
                "jsonl (default): one conversation per line, for import_conversations; "
                "markdown: for people to read"
            ),
        )
        parser.add_argument(
            "--all-versions",
            action="store_true",
            help=gettext_lazy(
                "JSON Lines with every version of every message (regenerated replies, edited "
                "questions), not only the branch each conversation shows now"
            ),
        )
        parser.add_argument(
            "--output",
            metavar="PATH",
            help=gettext_lazy(
                "file to write, readable only by you (default: standard output; the count then "
                "goes to standard error)"
            ),
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help=gettext_lazy("overwrite the --output file if it exists"),
        )
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            help=gettext_lazy(
                "language of the Markdown words and of the messages (default: LANGUAGE_CODE)"
            ),
        )

    def handle(self, *args, language=None, **options):
        with translation.override(language) if language else nullcontext():
            self._export(**options)

    def _export(
        self,
        *,
        user=None,
        course=None,
        since=None,
        format="jsonl",
        output=None,
        force=False,
        all_versions=False,
        **_opts,
    ):
        owner = find_user(user) if user else None
        course = find_course(course) if course else None
        start = (
            timezone.make_aware(datetime.datetime.combine(since, datetime.time()))
            if since
            else None
        )
        conversations = export.conversations_to_export(user=owner, course=course, since=start)
        if all_versions and format != "jsonl":
            raise CommandError(_("--all-versions writes JSON Lines; Markdown shows one branch."))
        lines = (
            partial(export.jsonl_lines, all_versions=all_versions)
            if format == "jsonl"
            else export.markdown_lines
        )
        count = export.ExportCount()
        try:
            file = _open_output(output, force=force) if output else None
        except FileExistsError:
            raise CommandError(
                _("%(path)s already exists; add --force to overwrite it.") % {"path": output}
            ) from None
        except OSError as error:
            raise CommandError(
                _("Cannot write %(path)s: %(error)s.") % {"path": output, "error": error.strerror}
            ) from None
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
                "class": course.pk if course else None,
                "since": since.isoformat() if since else None,
                "format": format,
                "all_versions": all_versions,
                "conversations": count.conversations,
                "messages": count.messages,
            },
        )
        summary = ngettext(
            "Exported %(count)d conversation with %(messages)d messages.",
            "Exported %(count)d conversations with %(messages)d messages.",
            count.conversations,
        ) % {"count": count.conversations, "messages": count.messages}
        # 표준 출력으로 내보냈다면 그 내용을 더럽히지 않게 표준 오류로
        (self.stdout if output else self.stderr).write(summary)
