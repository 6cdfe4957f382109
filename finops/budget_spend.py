"""What budgets have spent, read from the daily rollups: status of each budget (spend to
date, forecast, state) and the drivers behind its spend. Shared by the Budgets pages, the API
and the alert evaluation, so all three show the same numbers.

Rollups are per UTC day; a budget's period is a calendar period in the project's time zone.
The period's days are read as those UTC days, so for a project far from UTC a period's first
and last few hours may be counted in the neighbouring period.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import DecimalField, Sum, Value
from django.db.models.functions import Coalesce

from finops import budgets as rules
from finops.forecast import Forecast, forecast_period
from finops.models import Budget, DailyCustomerRollup, DailyRollup

# Days before a period that feed the forecast's weekday pattern and the anomaly baseline.
HISTORY_DAYS = 56
ZERO = Decimal("0")
_SUM = Coalesce(
    Sum("cost_usd"), Value(ZERO), output_field=DecimalField(max_digits=30, decimal_places=10)
)
ROLLUP_DIMENSIONS = ("feature", "segment", "model", "template")
CUSTOMER_DIMENSIONS = ("feature", "segment")


@dataclass(frozen=True)
class BudgetStatus:
    """A budget now: ``period`` (in the project's time zone), ``today`` (project's day),
    ``spent_usd`` (period to date, today's partial spend included, Decimal USD),
    ``daily`` (USD per day from ``HISTORY_DAYS`` before the period through today),
    ``forecast`` of the period total (None when the period has no day left to forecast)."""

    budget: Budget
    period: rules.Period
    today: date
    spent_usd: Decimal
    daily: dict[date, Decimal]
    forecast: Forecast

    @property
    def percent_used(self) -> Decimal | None:
        return rules.percent_of(self.spent_usd, self.budget.amount_usd)

    @property
    def forecast_usd(self) -> Decimal | None:
        """The period-end forecast when it rests on enough data, else None."""
        return self.forecast.total_usd if self.forecast.enough_data else None

    @property
    def state(self) -> str:
        """over (spend reached the amount) | at-risk (forecast reaches it) | ok."""
        if self.spent_usd >= self.budget.amount_usd:
            return "over"
        forecast = self.forecast_usd
        if forecast is not None and forecast >= self.budget.amount_usd:
            return "at-risk"
        return "ok"

    def series(self, first: date, last: date) -> list[tuple[date, Decimal]]:
        """``(day, USD)`` for the days from ``first`` to ``last`` that have spend."""
        return [(d, v) for d, v in sorted(self.daily.items()) if first <= d <= last]


def period_of(budget: Budget, now: datetime) -> tuple[rules.Period, date]:
    """The budget's current period and today's date, both in the project's time zone."""
    today = rules.local_day(now, budget.project.time_zone)
    return rules.period_for(budget.period, today), today


def load_statuses(budgets: list[Budget], now: datetime) -> dict[int, BudgetStatus]:
    """``{budget id: BudgetStatus}``; one rollup query per (project, scope kind) in use.
    The budgets need ``project`` loaded (``select_related``)."""
    frames = {b.pk: period_of(b, now) for b in budgets}
    groups: dict[tuple[int, str], list[Budget]] = defaultdict(list)
    for budget in budgets:
        groups[(budget.project_id, budget.scope)].append(budget)
    spend: dict[int, dict[date, Decimal]] = {}
    for (project_id, scope), members in groups.items():
        first = min(frames[b.pk][0].first for b in members) - timedelta(days=HISTORY_DAYS)
        last = max(frames[b.pk][1] for b in members)
        by_value = _daily_by_scope_value(project_id, scope, members, first, last)
        for budget in members:
            spend[budget.pk] = by_value.get(budget.scope_value, {})
    return {b.pk: _status(b, *frames[b.pk], spend[b.pk]) for b in budgets}


def _daily_by_scope_value(project_id, scope, members, first, last):
    """``{scope value: {day: USD}}`` for one scope kind (value "" for the whole project)."""
    if scope == Budget.Scope.CUSTOMER:
        rows = DailyCustomerRollup.objects.for_project(project_id)
    else:
        rows = DailyRollup.objects.for_project(project_id)
    rows = rows.on_days(first, last).order_by()
    if scope == Budget.Scope.PROJECT:
        grouped = (
            ("", d, v) for d, v in rows.values("day").annotate(s=_SUM).values_list("day", "s")
        )
    else:
        values = sorted({b.scope_value for b in members})
        grouped = (
            rows.filter(**{f"{scope}__in": values})
            .values(scope, "day")
            .annotate(spend=_SUM)
            .values_list(scope, "day", "spend")
        )
    by_value: dict[str, dict[date, Decimal]] = defaultdict(dict)
    for value, day, amount in grouped:
        by_value[value][day] = amount
    return by_value


def _status(budget: Budget, period: rules.Period, today: date, daily) -> BudgetStatus:
    in_period = [(d, v) for d, v in sorted(daily.items()) if period.first <= d <= today]
    forecast = forecast_period(
        [(d, v) for d, v in in_period if d < today],
        period.first,
        period.last,
        today,
        history=[(d, v) for d, v in sorted(daily.items()) if d < period.first],
        budget_usd=budget.amount_usd,
    )
    spent = sum((v for _, v in in_period), ZERO)
    return BudgetStatus(budget, period, today, spent, dict(daily), forecast)


def load_drivers(
    budget: Budget, current: rules.Period, previous: rules.Period
) -> list[rules.Driver]:
    """The budget's drivers (largest increase first) over the ``current`` days against the
    ``previous`` ones: every value of every dimension other than the budget's own. Two
    rollup queries."""
    if budget.scope == Budget.Scope.CUSTOMER:
        dimensions = CUSTOMER_DIMENSIONS
    else:
        dimensions = tuple(d for d in ROLLUP_DIMENSIONS if d != budget.scope)
    groups = []
    for days in (current, previous):
        rows = budget.rollups().on_days(days.first, days.last).order_by().values(*dimensions)
        groups.append([(row, row.pop("spend")) for row in rows.annotate(spend=_SUM)])
    return rules.rank_drivers(groups[0], groups[1], dimensions)


def comparison_period(budget: Budget, period: rules.Period, today: date) -> rules.Period:
    """The days of the previous period that match the period through ``today``."""
    return rules.same_days_of(period, today, rules.previous_period(budget.period, period))
