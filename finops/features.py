"""Per-feature figures from the daily rollups: spend, calls, outcomes, cost per outcome and
per success, success rate, trend against the previous period and share of spend.

Shared by the Features page (``finops.views.features``) and ``GET /api/v1/features/``
(``finops.api.features``). Every number comes from ``DailyRollup`` (spend, calls) and
``DailyOutcomeRollup`` (outcomes), never from the call table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from finops import charts
from finops.filters import DayRange, Filters
from finops.models import DailyOutcomeRollup, DailyRollup

UNATTRIBUTED = "(unattributed)"
USD_PLACES = Decimal("0.0000000001")  # the precision of the rollups' cost columns
PCT_PLACES = Decimal("0.1")
DEFAULT_SORT = "-spend"


def _per(amount: Decimal, count: int) -> Decimal | None:
    """``amount`` / ``count`` in USD, or None when there is nothing to divide by."""
    if not count:
        return None
    return (amount / count).quantize(USD_PLACES, rounding=ROUND_HALF_UP)


def _pct(part: Decimal, whole: Decimal) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(PCT_PLACES, rounding=ROUND_HALF_UP)


@dataclass
class FeatureRow:
    """One feature over one period; money is Decimal USD (priced calls only)."""

    feature: str  # "" = unattributed
    calls: int = 0
    unpriced_calls: int = 0
    spend_usd: Decimal = Decimal("0")
    outcomes: int = 0
    successes: int = 0
    previous_spend_usd: Decimal = Decimal("0")
    daily_spend_usd: list[Decimal] = field(default_factory=list)
    share_of_spend_pct: Decimal | None = None
    # The trace search for this row's calls (set by the page: ``finops.links.calls_url``).
    calls_url: str = ""
    # False without a compare period: the trend then reads "—", not "new".
    compared: bool = True

    @property
    def label(self) -> str:
        return self.feature or UNATTRIBUTED

    @property
    def cost_per_outcome_usd(self) -> Decimal | None:
        return _per(self.spend_usd, self.outcomes)

    @property
    def cost_per_success_usd(self) -> Decimal | None:
        return _per(self.spend_usd, self.successes)

    @property
    def success_rate(self) -> float | None:
        return self.successes / self.outcomes if self.outcomes else None

    @property
    def success_rate_pct(self) -> Decimal | None:
        return _pct(Decimal(self.successes), Decimal(self.outcomes))

    @property
    def spend_change_pct(self) -> Decimal | None:
        """Spend against the previous period in percent; None when that spend was $0."""
        return _pct(self.spend_usd - self.previous_spend_usd, self.previous_spend_usd)

    @property
    def sparkline(self) -> str:
        return charts.sparkline_points(self.daily_spend_usd)


def load_feature_rows(
    project_id: int,
    period: DayRange,
    previous: DayRange | None = None,
    filters: Filters | None = None,
) -> list[FeatureRow]:
    """A row per feature with calls or outcomes in ``period`` (two queries), by spend, largest
    first; with ``previous`` (any compare period: the previous days, a year earlier, custom),
    its spend too (for the trend). ``filters`` narrows by feature / segment / template /
    model where a rollup has that column (outcomes: feature and segment only)."""
    calls = DailyRollup.objects.for_project(project_id)
    outcomes = DailyOutcomeRollup.objects.for_project(project_id)
    if filters is not None:
        calls, outcomes = filters.apply(calls), filters.apply(outcomes)
    rows: dict[str, FeatureRow] = {}
    daily: dict[str, dict[date, Decimal]] = defaultdict(dict)
    earlier: dict[str, Decimal] = defaultdict(Decimal)
    for group in calls.on_day_ranges(period, previous).spend_by_feature_day():
        name, day = group["feature"], group["day"]
        # SQLite sums as REAL, returned with 15 significant digits: back to the column's 10.
        group["spend_usd"] = group["spend_usd"].quantize(USD_PLACES, rounding=ROUND_HALF_UP)
        if previous is not None and previous.first <= day <= previous.last:
            earlier[name] += group["spend_usd"]  # a custom compare period may overlap
        if not period.first <= day <= period.last:
            continue
        row = rows.setdefault(name, FeatureRow(name))
        row.calls += group["total_calls"]
        row.unpriced_calls += group["total_unpriced_calls"]
        row.spend_usd += group["spend_usd"]
        daily[name][day] = group["spend_usd"]
    for group in outcomes.on_days(period.first, period.last).outcomes_by_feature():
        if not group["total_outcomes"] and group["feature"] not in rows:
            continue  # traces without outcomes or calls: nothing to show
        if group["feature"] not in rows and filters is not None and not filters.narrows_outcomes:
            continue  # no calls of the filtered template or model
        row = rows.setdefault(group["feature"], FeatureRow(group["feature"]))
        row.outcomes, row.successes = group["total_outcomes"], group["total_successes"]
    days = [period.first + timedelta(days=i) for i in range(period.days)]
    total = sum((row.spend_usd for row in rows.values()), Decimal("0"))
    for name, row in rows.items():
        row.previous_spend_usd = earlier.get(name, Decimal("0"))
        row.compared = previous is not None
        row.daily_spend_usd = [daily[name].get(day, Decimal("0")) for day in days]
        row.share_of_spend_pct = _pct(row.spend_usd, total)
    return sort_rows(list(rows.values()), DEFAULT_SORT)


def total_row(rows: list[FeatureRow]) -> FeatureRow:
    """All features together (outcomes add up: each trace is under one feature)."""
    total = FeatureRow("All features")
    for row in rows:
        total.calls += row.calls
        total.unpriced_calls += row.unpriced_calls
        total.spend_usd += row.spend_usd
        total.outcomes += row.outcomes
        total.successes += row.successes
        total.previous_spend_usd += row.previous_spend_usd
    daily = zip(*(r.daily_spend_usd for r in rows), strict=True)
    total.daily_spend_usd = [sum(day, Decimal("0")) for day in daily]
    total.share_of_spend_pct = Decimal("100.0") if total.spend_usd else None
    total.compared = all(row.compared for row in rows)
    return total


SORT_KEYS: dict[str, Callable[[FeatureRow], object]] = {
    "spend": lambda row: row.spend_usd,
    "cost_per_outcome": lambda row: row.cost_per_outcome_usd,
    "success_rate": lambda row: row.success_rate,
    "trend": lambda row: row.spend_change_pct,
}


def parse_sort(raw: str) -> str:
    """``spend`` (ascending) or ``-spend`` (descending), etc.; anything else is the default."""
    return raw if raw.lstrip("-") in SORT_KEYS else DEFAULT_SORT


def sort_rows(rows: list[FeatureRow], sort: str) -> list[FeatureRow]:
    """Rows by ``sort`` (see ``parse_sort``); rows without a value ("—") last, ties by name."""
    key = SORT_KEYS[sort.lstrip("-")]
    known = sorted((r for r in rows if key(r) is not None), key=lambda r: r.feature)
    known.sort(key=key, reverse=sort.startswith("-"))  # stable: ties keep name order
    unknown = sorted((r for r in rows if key(r) is None), key=lambda r: r.feature)
    return known + unknown


COLUMNS = [
    ("Feature", ""),
    ("Spend", "spend"),
    ("Calls", ""),
    ("Outcomes", ""),
    ("Successes", ""),
    ("Cost per outcome", "cost_per_outcome"),
    ("Cost per success", ""),
    ("Success rate", "success_rate"),
    ("Trend", "trend"),
    ("Share of spend", ""),
]
CSV_HEADER = [
    "feature",
    "spend_usd",
    "calls",
    "outcomes",
    "successes",
    "cost_per_outcome_usd",
    "cost_per_success_usd",
    "success_rate",
    "spend_change_pct",
    "share_of_spend_pct",
]
