"""사용량 장부와 하루 토큰 한도: 더하기(끝난 답변마다 한 번), 오늘 쓴 양, 한도 확인, 30일 그림.

날짜는 TIME_ZONE의 날짜다: 한도는 그 시간대의 자정에 풀린다.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import DailyUsage, User

# 화면의 계량기가 나타나는 비율: 한도의 80 %를 넘으면
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


# ---------------------------------------------------------------- 한도


def quota_for(user: User) -> int:
    """그 사람의 하루 토큰 한도. 0이면 제한 없음."""
    if user.daily_token_quota is not None:
        return user.daily_token_quota
    return settings.DAILY_TOKEN_QUOTA


def tokens_on(user_id: int, day: datetime.date) -> int:
    """그날 쓴 토큰 (모든 모델). 장부의 몇 줄만 더하는 질의 하나."""
    totals = DailyUsage.objects.filter(user_id=user_id, day=day).aggregate(
        prompt=Sum("prompt_tokens"), completion=Sum("completion_tokens")
    )
    return (totals["prompt"] or 0) + (totals["completion"] or 0)


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
        """0~100으로 자른 쓴 비율. 한도가 없으면 0."""
        if not self.limited:
            return 0
        return min(100, self.used * 100 // self.quota)

    @property
    def shows_meter(self) -> bool:
        """입력창의 계량기: 한도의 80 %를 넘었을 때만 보인다."""
        return self.limited and self.used * 100 > self.quota * METER_FROM_PERCENT

    @property
    def left(self) -> int:
        return max(0, self.quota - self.used)


def quota_status(user: User, *, count_without_quota: bool = False) -> QuotaStatus:
    """한도가 없으면 (사용량 페이지처럼 count_without_quota로 묻지 않는 한) 질의하지 않는다."""
    quota = quota_for(user)
    used = tokens_on(user.pk, today()) if quota > 0 or count_without_quota else 0
    return QuotaStatus(used=used, quota=quota, resets_at=next_reset())


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
    """오늘까지 days일의 하루 합계와 막대 자리. 쓰지 않은 날도 0으로 넣는다. SVG는 템플릿이 그린다."""
    last = today()
    first = last - datetime.timedelta(days=days - 1)
    rows = (
        DailyUsage.objects.filter(user=user, day__gte=first, day__lte=last)
        .values("day")
        .annotate(
            prompt=Sum("prompt_tokens"), completion=Sum("completion_tokens"), count=Sum("replies")
        )
    )
    by_day = {row["day"]: (row["prompt"] + row["completion"], row["count"]) for row in rows}
    quota = quota_for(user)
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
