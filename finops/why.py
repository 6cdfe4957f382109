"""Why a feature's cost per outcome moved: load ``finops.drivers`` inputs from the rollups.

Between the period and the compare period, and week by week over the last ``WEEKS`` weeks
(ending on the period's last day), each period becomes a ``PeriodStats``: its calls per
(segment, model) cell from ``DailyRollup`` and its outcomes from ``DailyOutcomeRollup``;
active customers per week are distinct customers in ``DailyCustomerRollup``.

Cost is bounded two ways. Cells: ``bound_cells`` keeps the largest (segment, model) cells
(``CELL_LIMIT`` for the period comparison, ``WEEKLY_CELL_LIMIT`` for each week) and merges the
rest per segment into an "(other)" model, so a project with 5 segments x 10 models costs what
12 cells cost; totals, and so the change to explain, are unchanged. Results: the exact
decomposition is memoised on its inputs (the ``PeriodStats`` themselves, frozen and hashable),
so a reload with unchanged rollups costs the queries only, and a refreshed rollup is a new key:
nothing stale is ever served.

Output weights are the rate card's output/input price ratio per model (``finops.pricing``, one
cached card per model and day), the drivers' default for models it cannot price.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from django.db.models import Count, Q, Sum

from finops import drivers
from finops.drivers import Decomposition, GroupStats, PeriodStats, WeekSummary
from finops.feature_detail import for_feature
from finops.feature_stats import bound_cells, usd
from finops.filters import DayRange, Filters
from finops.models import DailyCustomerRollup, DailyOutcomeRollup, DailyRollup
from finops.pricing import UsageTokens, price_call

CELL_LIMIT = 12
WEEKLY_CELL_LIMIT = 6
WEEKS = 8
_GROUP_SUMS = (
    "calls",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "retry_cost_usd",
    "cache_hits",
    "avoided_cost_usd",
)
_PREFIX = "sum__"


@dataclass(frozen=True)
class Why:
    name: str
    filters: Filters
    before: PeriodStats | None  # None without a compare period
    after: PeriodStats
    decomposition: Decomposition | None
    weeks: list[WeekSummary]
    week_ranges: list[DayRange]  # the shown weeks, oldest first (as ``weeks``)

    @property
    def has_data(self) -> bool:
        return bool(
            self.after.groups or self.after.outcomes or any(w.spend_usd for w in self.weeks)
        )


def _group(segment: str, model: str, sums: dict) -> GroupStats:
    """A ``GroupStats`` from summed rollup columns, kept inside its invariants (SQLite sums
    money as REAL; a cell whose every call hit the app cache has no billed call)."""
    calls, hits = sums["calls"] or 0, sums["cache_hits"] or 0
    cost, retry = usd(sums["cost_usd"]), usd(sums["retry_cost_usd"])
    if cost > 0 and hits >= calls:
        hits = calls - 1
    return GroupStats(
        segment=segment,
        model=model,
        calls=calls,
        input_tokens=sums["input_tokens"] or 0,
        output_tokens=sums["output_tokens"] or 0,
        cost_usd=cost,
        retry_cost_usd=min(retry, cost),
        cache_hits=hits,
        avoided_cost_usd=usd(sums["avoided_cost_usd"]),
    )


def _cells(rows, keys: tuple[str, ...]):
    """``DailyRollup`` rows summed per ``keys`` (ending in segment, model): (key, GroupStats)."""
    sums = {_PREFIX + name: Sum(name) for name in _GROUP_SUMS}
    for row in rows.values(*keys).annotate(**sums).order_by(*keys):
        values = {k.removeprefix(_PREFIX): v for k, v in row.items() if k.startswith(_PREFIX)}
        yield tuple(row[k] for k in keys), _group(row["segment"], row["model"], values)


def _period_stats(project_id: int, filters: Filters, period: DayRange, label: str) -> PeriodStats:
    calls = filters.apply(
        DailyRollup.objects.for_project(project_id).on_days(period.first, period.last)
    )
    traces = filters.apply(
        DailyOutcomeRollup.objects.for_project(project_id).on_days(period.first, period.last)
    )
    outcomes = traces.aggregate(v=Sum("outcomes"))["v"] or 0
    groups = tuple(g for _, g in _cells(calls, ("segment", "model")))
    return PeriodStats(outcomes=outcomes, groups=groups, label=label)


def output_weights(models, day: date) -> dict[str, Decimal]:
    """The output/input price ratio of each model the rate card prices on ``day``."""
    at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    weights = {}
    for model in sorted(set(models)):
        price = price_call("", model, UsageTokens(1000, 1000), at) if model else None
        if price is not None and price.is_priced and price.input_usd and price.output_usd:
            weights[model] = price.output_usd / price.input_usd
    return weights


@lru_cache(maxsize=256)
def _decompose(before: PeriodStats, after: PeriodStats, weights: tuple) -> Decomposition:
    return drivers.decompose(before, after, dict(weights))


@lru_cache(maxsize=256)
def _weekly(series: tuple[PeriodStats, ...], weights: tuple) -> tuple[WeekSummary, ...]:
    return tuple(drivers.weekly(series, WEEKS, dict(weights)))


def week_ranges(last: date, weeks: int = WEEKS + 1) -> list[DayRange]:
    """``weeks`` consecutive 7-day ranges ending on ``last``, oldest first."""
    return [
        DayRange(last - timedelta(days=7 * k + 6), last - timedelta(days=7 * k))
        for k in reversed(range(weeks))
    ]


def _label(week: DayRange) -> str:
    return f"{week.first:%b} {week.first.day}\N{EN DASH}{week.last:%b} {week.last.day}"


def _weekly_series(project_id: int, filters: Filters) -> tuple[list[DayRange], list[PeriodStats]]:
    ranges = week_ranges(filters.period.last)
    first, last = ranges[0].first, ranges[-1].last
    calls = filters.apply(DailyRollup.objects.for_project(project_id).on_days(first, last))
    groups: list[list[GroupStats]] = [[] for _ in ranges]
    for (day, *_), cell in _cells(calls, ("day", "segment", "model")):
        groups[len(ranges) - 1 - (last - day).days // 7].append(cell)
    traces = filters.apply(DailyOutcomeRollup.objects.for_project(project_id).on_days(first, last))
    outcomes = [0] * len(ranges)
    for row in traces.values("day").annotate(n=Sum("outcomes")).order_by():
        outcomes[len(ranges) - 1 - (last - row["day"]).days // 7] += row["n"] or 0
    bounded = bound_cells(groups, WEEKLY_CELL_LIMIT)
    series = [
        PeriodStats(outcomes=n, groups=cells, label=_label(week))
        for week, n, cells in zip(ranges, outcomes, bounded, strict=True)
    ]
    return ranges, series


def _active_customers(project_id: int, filters: Filters, ranges: list[DayRange]) -> list[int]:
    """Distinct customers with calls of the feature in each range (one query)."""
    rows = filters.apply(
        DailyCustomerRollup.objects.for_project(project_id).on_days(
            ranges[0].first, ranges[-1].last
        )
    )
    counts = rows.aggregate(
        **{
            f"w{i}": Count("customer", distinct=True, filter=Q(day__gte=r.first, day__lte=r.last))
            for i, r in enumerate(ranges)
        }
    )
    return [counts[f"w{i}"] for i in range(len(ranges))]


def load_why(project_id: int, name: str, filters: Filters) -> Why:
    """The drivers of ``name``'s cost per outcome between the compare period and the
    period, and the last ``WEEKS`` weeks; fixed spend is not modelled (volume driver 0)."""
    filters = for_feature(filters, name)
    after = _period_stats(project_id, filters, filters.period, "period")
    before = None
    if filters.compare is not None:
        before = _period_stats(project_id, filters, filters.compare, "compare")
    ranges, series = _weekly_series(project_id, filters)
    models = {g.model for p in (after, before, *series) if p for g in p.groups}
    weights = tuple(sorted(output_weights(models, filters.period.last).items()))
    decomposition = None
    if before is not None:
        cells = bound_cells([before.groups, after.groups], CELL_LIMIT)
        before, after = replace(before, groups=cells[0]), replace(after, groups=cells[1])
        decomposition = _decompose(before, after, weights)
    shown = ranges[1:]
    customers = _active_customers(project_id, filters, shown)
    weeks = [
        replace(week, active_customers=n)
        for week, n in zip(_weekly(tuple(series), weights), customers, strict=True)
    ]
    return Why(name, filters, before, after, decomposition, weeks, shown)
