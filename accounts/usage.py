"""사용량 장부와 하루 토큰 한도: 더하기(끝난 답변마다 한 번), 오늘 쓴 양, 한도 확인, 30일 그림.

날짜는 TIME_ZONE의 날짜다: 한도는 그 시간대의 자정에 풀린다.
"""

import datetime
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, Sum
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from accounts import courses
from accounts.models import DailyUsage, User

# 계량기가 "거의 다 씀"이 되는 비율: 한도의 80 %부터. 입력창의 계량기는 이때부터 보인다
METER_FROM_PERCENT = 80
CHART_DAYS = 30


def now() -> datetime.datetime:
    """지금. 테스트는 이것을 바꿔 시간을 멈춘다."""
    return timezone.now()


def today() -> datetime.date:
    return timezone.localdate(now())


def next_reset() -> datetime.datetime:
    """한도가 풀리는 때: 다음 현지 자정."""
    tomorrow = today() + datetime.timedelta(days=1)
    return datetime.datetime.combine(
        tomorrow, datetime.time(), tzinfo=timezone.get_current_timezone()
    )


# ---------------------------------------------------------------- 더하기


def usage_record(
    *,
    user_id: int,
    model: str,
    prompt_tokens: int,
    completion_tokens: int,
    estimated: bool,
    day: datetime.date | None = None,
) -> None:
    """답변 하나가 쓴 토큰을 그날 그 모델의 줄에 더한다. 워커와 호스트가 여럿이어도 원자적이다.

    `UPDATE ... SET x = x + n`이 먼저고, 줄이 없으면 만든다. 동시에 둘이 만들려 하면 유일 제약이 하나를
    막고, 진 쪽은 다시 더한다: SQLite와 PostgreSQL 모두 읽고 나서 쓰는 틈이 없다.
    """
    day = day or today()
    increments = (prompt_tokens, completion_tokens, 1, int(estimated))
    if _add_to_row(user_id, day, model, increments):
        return
    try:
        with transaction.atomic():
            DailyUsage.objects.create(
                user_id=user_id,
                day=day,
                model=model,
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                replies=1,
                estimated_replies=int(estimated),
            )
    except IntegrityError:
        # 다른 워커가 방금 만들었다
        _add_to_row(user_id, day, model, increments)


_COUNTERS = ("prompt_tokens", "completion_tokens", "replies", "estimated_replies")


def _add_to_row(user_id: int, day: datetime.date, model: str, increments: tuple) -> bool:
    """그날 그 모델의 줄에 더한다. 줄이 없으면 False.

    답변마다 한 번 도는 쓰기라 SQL을 직접 쓴다: 같은 일을 하는 ORM의 update(F() + n 네 개)는 식을 풀고 짓는 값이
    이 UPDATE를 보내는 값보다 훨씬 컸다 (docs/architecture.md "Django와 SDK를 비켜 가는 곳" 6).
    """
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(name)} = {quote(name)} + %s" for name in _COUNTERS)
    where = " AND ".join(f"{quote(name)} = %s" for name in ("user_id", "day", "model"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(DailyUsage._meta.db_table)} SET {sets} WHERE {where}",  # noqa: S608 - quote_name을 거친 이름
            [*increments, user_id, connection.ops.adapt_datefield_value(day), model],
        )
        return cursor.rowcount > 0


# ---------------------------------------------------------------- 반으로


def in_class_days(course_path: str, day_path: str = "day") -> Q:
    """장부 줄의 날이 그 반의 기간 안이다 (비운 끝은 열려 있다). course_path는 장부 줄에서 반까지의 길."""
    return (
        Q(**{f"{course_path}__starts_on__isnull": True})
        | Q(**{f"{course_path}__starts_on__lte": F(day_path)})
    ) & (
        Q(**{f"{course_path}__ends_on__isnull": True})
        | Q(**{f"{course_path}__ends_on__gte": F(day_path)})
    )


CLASS_PATH = "user__memberships__course"


def class_totals(ledger, *, course=None):
    """장부 줄을 반별로 더한다: 학생의 줄을 그 사람이 든 반마다, 반의 기간 안의 날만. 한 조인 안에서 거른다.

    usage_report --by class와 관리 화면의 사용량 목록이 함께 쓴다. 줄마다 CLASS_PATH, CLASS_PATH__name과 합계
    (prompt, completion, count, estimated).
    """
    path = CLASS_PATH
    rows = ledger.filter(
        in_class_days(path),
        # 기간의 "비었으면 열림" 조건이 LEFT JOIN을 만들어, 반에 들지 않은 사람의 장부가 반 없는 줄로 나왔다
        **({path: course} if course else {f"{path}__isnull": False}),
    )
    return (
        rows.values(path, f"{path}__name")
        .annotate(
            prompt=Sum("prompt_tokens"),
            completion=Sum("completion_tokens"),
            count=Sum("replies"),
            estimated=Sum("estimated_replies"),
        )
        .order_by(f"{path}__name", path)
    )


# ---------------------------------------------------------------- 한도


def quota_for(user: User) -> int:
    """그 사람의 하루 토큰 한도. 0이면 제한 없음.

    앞선 것이 이긴다: 그 사람의 한도 > 기간 안의 반들 중 가장 넉넉한 것 > DAILY_TOKEN_QUOTA (accounts.courses).
    """
    if user.daily_token_quota is not None:
        return user.daily_token_quota
    course_quota = courses.standing(user).quota
    return settings.DAILY_TOKEN_QUOTA if course_quota is None else course_quota


def tokens_on(user_id: int, day: datetime.date) -> int:
    """그날 쓴 토큰 (모든 모델). 장부의 몇 줄만 더하는 질의 하나."""
    totals = DailyUsage.objects.filter(user_id=user_id, day=day).aggregate(
        prompt=Sum("prompt_tokens"), completion=Sum("completion_tokens")
    )
    return (totals["prompt"] or 0) + (totals["completion"] or 0)


class QuotaLevel(StrEnum):
    """계량기의 세 단계. 값은 CSS 클래스(usage-level-…)의 끝이다."""

    OK = "ok"
    NEAR = "near"
    OVER = "over"


@dataclass(frozen=True)
class QuotaStatus:
    """오늘 쓴 양과 한도. 화면(계량기, 사용량 페이지)과 보내기 확인이 함께 쓴다."""

    used: int
    quota: int
    resets_at: datetime.datetime

    @property
    def limited(self) -> bool:
        return self.quota > 0

    @property
    def reached(self) -> bool:
        return self.limited and self.used >= self.quota

    @property
    def percent(self) -> int:
        """쓴 비율. 넘었으면 100보다 크다 ("40개 중 80개 (100%)"는 거짓말이다). 한도가 없으면 0."""
        if not self.limited:
            return 0
        return self.used * 100 // self.quota

    @property
    def resets_when_html(self) -> SafeString:
        """풀리는 때를 한 덩이로: "자정(0시)"가 "자정"과 "(0시)"로 줄에서 갈라지지 않게."""
        return format_html('<span class="nowrap">{}</span>', self.resets_when)

    @property
    def level(self) -> QuotaLevel:
        """80 % 이상이면 거의 다 씀, 한도에 닿았거나 넘었으면 넘음. 한도가 없으면 늘 OK."""
        if self.reached:
            return QuotaLevel.OVER
        if self.limited and self.used * 100 >= self.quota * METER_FROM_PERCENT:
            return QuotaLevel.NEAR
        return QuotaLevel.OK

    @property
    def level_word(self) -> str:
        """단계를 색만으로 알리지 않게 글에도 쓰는 말. OK는 말이 없다."""
        return level_word(self.level)

    @property
    def shows_meter(self) -> bool:
        """입력창의 계량기: 한도의 80 %부터 보인다."""
        return self.level != QuotaLevel.OK

    @property
    def resets_when(self) -> str:
        return reset_phrase(self.resets_at)

    @property
    def left(self) -> int:
        return max(0, self.quota - self.used)


def quota_status(user: User, *, count_without_quota: bool = False) -> QuotaStatus:
    """한도가 없으면 (사용량 페이지처럼 count_without_quota로 묻지 않는 한) 질의하지 않는다."""
    quota = quota_for(user)
    used = tokens_on(user.pk, today()) if quota > 0 or count_without_quota else 0
    return QuotaStatus(used=used, quota=quota, resets_at=next_reset())


def level_word(level: QuotaLevel) -> str:
    if level == QuotaLevel.OVER:
        return _("Limit reached")
    if level == QuotaLevel.NEAR:
        return _("Almost used up")
    return ""


# ---------------------------------------------------------------- 말로


def reset_phrase(resets_at: datetime.datetime) -> str:
    """한도가 풀리는 때를 사이트 시간대와 켜진 언어의 짧은 말로: "자정(0시)", "내일 9시"처럼.

    Django의 날짜 형식은 자정을 "12:00 오전"으로 써서 학생이 낮 12시로 읽었다. 그래서 시계는 24시간제로
    쓰고, 오늘이 끝나는 자정은 날짜 없이 "자정(0시)"라고만 한다. 한국어는 뒤에 "에"를 붙여 읽는다.
    """
    zone = timezone.get_default_timezone()
    moment = resets_at.astimezone(zone)
    days = (moment.date() - now().astimezone(zone).date()).days
    if days == 1 and moment.time() == datetime.time():
        return _("at midnight")
    if moment.minute:
        clock = _("%(hour)s:%(minute)s") % {"hour": moment.hour, "minute": f"{moment.minute:02}"}
    else:
        clock = _("%(hour)s:00") % {"hour": moment.hour}
    if days == 0:
        return _("today at %(time)s") % {"time": clock}
    if days == 1:
        return _("tomorrow at %(time)s") % {"time": clock}
    day = formats.date_format(moment, "MONTH_DAY_FORMAT")
    return _("on %(day)s at %(time)s") % {"day": day, "time": clock}


def _with_usage_link(sentence: str) -> SafeString:
    """거절 문구 뒤에 사용량 페이지로 가는 고리. 입력창 위의 오류 자리에 그대로 그려진다."""
    return format_html(
        '{} <a href="{}">{}</a>', sentence, reverse("accounts:usage"), _("See usage")
    )


def quota_reached_message(status: QuotaStatus) -> SafeString:
    """한도에 닿은 보내기의 거절: 무슨 일인지, 언제 풀리는지, 어디서 더 보는지. 휴대폰에서 두세 줄."""
    # 번역문을 먼저 이스케이프하고 나서 값을 넣는다: 풀리는 때는 줄에서 갈라지지 않는 덩이(HTML)다
    sentence = conditional_escape(
        _("You have used today's %(quota)s tokens. You can send again %(when)s.")
    ) % {
        "quota": formats.number_format(status.quota, force_grouping=True),
        "when": status.resets_when_html,
    }
    return _with_usage_link(mark_safe(sentence))  # noqa: S308 - 위에서 이스케이프했다


def quota_reserved_message() -> SafeString:
    """쓰이는 중인 답변의 몫까지 더하면 한도에 닿는 보내기의 거절."""
    return _with_usage_link(
        _("Replies still being written may use up today's tokens. Send again when they finish.")
    )


# ---------------------------------------------------------------- 사용량 페이지


@dataclass(frozen=True)
class ChartBar:
    day: datetime.date
    tokens: int
    replies: int
    x: float
    y: float
    height: float
    width: float


CHART_WIDTH = 600
CHART_HEIGHT = 160
CHART_GAP = 2


@dataclass(frozen=True)
class Chart:
    bars: list[ChartBar]
    # 한도의 가로선 y. 한도가 없으면 None.
    quota_y: float | None
    peak: int
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT

    @property
    def total(self) -> int:
        return sum(bar.tokens for bar in self.bars)


def usage_chart(user: User, days: int = CHART_DAYS) -> Chart:
    """한 사람의 그림: 그 사람의 장부와 그 사람의 한도선."""
    return ledger_chart(DailyUsage.objects.filter(user=user), quota=quota_for(user), days=days)


def ledger_chart(ledger, *, quota: int = 0, days: int = CHART_DAYS) -> Chart:
    """장부의 몇 줄(한 사람, 한 반의 사람들…)로 오늘까지 days일의 하루 합계와 막대 자리. 쓰지 않은 날도 0으로.

    quota가 0이면 한도선이 없다 (반 전체의 합에는 한 사람의 한도가 맞지 않는다). SVG는 템플릿이 그린다.
    """
    last = today()
    first = last - datetime.timedelta(days=days - 1)
    rows = (
        ledger.filter(day__gte=first, day__lte=last)
        .order_by()
        .values("day")
        .annotate(
            prompt=Sum("prompt_tokens"), completion=Sum("completion_tokens"), count=Sum("replies")
        )
    )
    by_day = {row["day"]: (row["prompt"] + row["completion"], row["count"]) for row in rows}
    # 한도선이 늘 그림 안에 들어오게 한도까지 눈금에 넣는다
    peak = max([tokens for tokens, _ in by_day.values()] + [quota, 1])
    step = CHART_WIDTH / days
    bars = []
    for index in range(days):
        day = first + datetime.timedelta(days=index)
        tokens, count = by_day.get(day, (0, 0))
        height = round(CHART_HEIGHT * tokens / peak, 1)
        bars.append(
            ChartBar(
                day=day,
                tokens=tokens,
                replies=count,
                x=round(index * step + CHART_GAP / 2, 1),
                y=round(CHART_HEIGHT - height, 1),
                height=height,
                width=round(step - CHART_GAP, 1),
            )
        )
    quota_y = round(CHART_HEIGHT - CHART_HEIGHT * quota / peak, 1) if quota > 0 else None
    return Chart(bars=bars, quota_y=quota_y, peak=peak)
