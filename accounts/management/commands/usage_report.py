"""사용량 보고서.

강사와 운영자가 API 청구서와 맞춰 보거나 누가 얼마나 썼는지 볼 때 쓴다. 사용량 장부(accounts.DailyUsage)만 읽고
메시지 표는 더하지 않는다. 사람, 날짜, 모델 가운데 하나로 묶어 표나 CSV로 낸다. 사람별이면 활성 계정은 그 기간에
쓴 것이 없어도 0으로 나온다.

반으로 거르거나(--class) 묶으면(--by class) 그 반 학생들이 반의 기간 안에 쓴 양이다: 두 반에 든 학생의 사용량은
두 반에 모두 보인다 (docs/decisions.md "반: 한 사람, 여러 반").
"""

import datetime
from contextlib import nullcontext

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, FilteredRelation, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts import usage
from accounts.management.arguments import OneLanguage, day, find_course
from accounts.models import Course, DailyUsage, User
from core import spreadsheet

COLUMNS = ["prompt_tokens", "completion_tokens", "total_tokens", "replies", "estimated_replies"]


def _rows_by_class(since: datetime.date, until: datetime.date, course: Course | None):
    """반별 합계 (관리 화면의 사용량 목록과 같은 규칙: accounts.usage.class_totals)."""
    return usage.class_totals(
        DailyUsage.objects.filter(day__gte=since, day__lte=until), course=course
    )


def _rows_by_user(since: datetime.date, until: datetime.date, course: Course | None = None):
    """사람별 합계: 활성 계정은 그 기간에 쓰지 않았어도 0으로 한 줄씩 (강사는 안 쓴 학생도 찾는다).

    비활성 계정은 그 기간에 쓴 것이 있을 때만. 기간의 장부만 LEFT JOIN으로 붙여 질의 하나로 센다.
    """
    users = User.objects.all()
    condition = Q(daily_usage__day__gte=since, daily_usage__day__lte=until)
    if course is not None:
        # 반의 학생만, 반의 기간 안의 날만
        users = users.filter(memberships__course=course)
        if course.starts_on:
            condition &= Q(daily_usage__day__gte=course.starts_on)
        if course.ends_on:
            condition &= Q(daily_usage__day__lte=course.ends_on)
    period = FilteredRelation("daily_usage", condition=condition)
    return (
        users.annotate(period=period)
        .values("username", "first_name")
        .annotate(
            prompt=Coalesce(Sum("period__prompt_tokens"), 0),
            completion=Coalesce(Sum("period__completion_tokens"), 0),
            count=Coalesce(Sum("period__replies"), 0),
            estimated=Coalesce(Sum("period__estimated_replies"), 0),
            ledger_rows=Count("period"),
        )
        .filter(Q(is_active=True) | Q(ledger_rows__gt=0))
        .order_by("username")
    )


class Command(OneLanguage, BaseCommand):
    @property
    def help(self):
        # argparse는 설명을 str로만 받는다: 찍을 때의 언어로 번역한다 (OneLanguage)
        return _(
            "Sum token usage from the usage ledger by user, day, model or class, as a table or CSV."
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--since",
            type=day,
            metavar="DATE",
            help=gettext_lazy(
                "first day to include (YYYY-MM-DD, in TIME_ZONE; default: 29 days before --until)"
            ),
        )
        parser.add_argument(
            "--until",
            type=day,
            metavar="DATE",
            help=gettext_lazy("last day to include (YYYY-MM-DD; default: today)"),
        )
        parser.add_argument(
            "--by",
            choices=["user", "day", "model", "class"],
            default="user",
            help=gettext_lazy("one row per user (default), per day, per model or per class"),
        )
        parser.add_argument(
            "--class",
            dest="course",
            metavar="CLASS",
            help=gettext_lazy(
                "only the usage of this class's members on the class's days (its number or exact name)"
            ),
        )
        parser.add_argument(
            "--format",
            choices=["table", "csv"],
            default="table",
            help=gettext_lazy("table (default) for reading, csv for a spreadsheet"),
        )
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            help=gettext_lazy("language of the messages (default: LANGUAGE_CODE)"),
        )

    def handle(self, *args, language=None, **options):
        with translation.override(language) if language else nullcontext():
            self._report(**options)

    def _report(self, *, since=None, until=None, by="user", format="table", course=None, **_opts):
        until = until or usage.today()
        since = since or until - datetime.timedelta(days=29)
        if since > until:
            raise CommandError(
                _("--since (%(since)s) is after --until (%(until)s).")
                % {"since": since, "until": until}
            )
        course = find_course(course) if course else None
        if by == "user":
            # 사람별 보고서는 이름 칸도: 강사는 아이디보다 이름으로 학생을 안다
            key, name = "username", "first_name"
            rows = _rows_by_user(since, until, course)
        elif by == "class":
            # 반 번호와 이름: 같은 이름의 반이 둘일 수 있다
            key, name = "user__memberships__course", "user__memberships__course__name"
            rows = _rows_by_class(since, until, course)
        else:
            key, name = by, None
            ledger = DailyUsage.objects.filter(day__gte=since, day__lte=until)
            if course is not None:
                ledger = ledger.filter(
                    usage.in_class_days("user__memberships__course"),
                    user__memberships__course=course,
                )
            rows = (
                ledger.values(key)
                .annotate(
                    prompt=Sum("prompt_tokens"),
                    completion=Sum("completion_tokens"),
                    count=Sum("replies"),
                    estimated=Sum("estimated_replies"),
                )
                .order_by(key)
            )
        lines = (
            [
                str(row[key]),
                *([row[name]] if name else []),
                row["prompt"],
                row["completion"],
                row["prompt"] + row["completion"],
                row["count"],
                row["estimated"],
            ]
            for row in rows.iterator(chunk_size=1000)
        )
        header = [by, *(["name"] if name else []), *COLUMNS]
        written = 0
        if format == "csv":
            # 아이디와 모델 이름이 수식으로 돌지 않게
            writer = spreadsheet.writer(self.stdout, lineterminator="\n")
            writer.writerow(header)
            for line in lines:
                writer.writerow(line)
                written += 1
            # CSV를 더럽히지 않게 수는 표준 오류로
            self.stderr.write(self._count_line(written, since, until))
            return
        texts = 2 if name else 1
        widths = [max(len(header[0]), 24), *([12] if name else []), *map(len, COLUMNS)]
        self.stdout.write(
            "  ".join(title.ljust(width) for title, width in zip(header, widths, strict=True))
        )
        for line in lines:
            cells = [text.ljust(width) for text, width in zip(line[:texts], widths, strict=False)]
            cells += [
                f"{value:,}".rjust(width)
                for value, width in zip(line[texts:], widths[texts:], strict=True)
            ]
            self.stdout.write("  ".join(cells))
            written += 1
        self.stdout.write(self._count_line(written, since, until))

    @staticmethod
    def _count_line(written: int, since: datetime.date, until: datetime.date) -> str:
        return ngettext(
            "%(count)s row from %(since)s to %(until)s.",
            "%(count)s rows from %(since)s to %(until)s.",
            written,
        ) % {"count": f"{written:,}", "since": since, "until": until}
