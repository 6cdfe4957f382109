"""The Segments and Templates pages' figures, from the daily rollups only (never the call
table): a ``finops.pivot.BreakdownRow`` per segment or prompt template, their total and the
stacked spend chart whose points link to the calls behind them.

Queries: call sums per (value, day) over the period and the compare period, the rows' latency
sketches over the period, outcome sums, and for segments active customers (per segment and in
all). The dimension filters of ``finops.filters`` narrow every query whose rollup has them:
template and model narrow calls only (outcomes and customers belong to whole traces).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from finops import charts, pivot, sketch
from finops.filters import Filters
from finops.links import calls_url
from finops.models import DailyCustomerRollup, DailyOutcomeRollup, DailyRollup
from finops.pivot import BreakdownRow

CHART_SERIES = 10  # the largest rows get a series each; the rest stack as "Other"


@dataclass
class Breakdown:
    """Rows (by spend, largest first), their total and the compare period's spend."""

    dimension: str
    rows: list[BreakdownRow]
    total: BreakdownRow
    compare_spend: dict[str, Decimal] | None = None
    extra: dict = field(default_factory=dict)


def _plain(group: dict) -> dict:
    return {key.removeprefix("total_"): value for key, value in group.items()}


def _call_rows(project_id: int, filters: Filters, dimension: str, keys: tuple[str, ...]):
    """Rows from the call rollups, with their sketches (and the features per value)."""
    calls = filters.apply(DailyRollup.objects.for_project(project_id))
    groups = calls.on_day_ranges(filters.period, filters.compare).call_sums_by(dimension, "day")
    compare_days = filters.compare.dates() if filters.compare else None
    rows, compare = pivot.build_rows(
        [_plain(g) for g in groups], dimension, filters.period.dates(), compare_days
    )
    features: dict[str, set[str]] = {}
    period = calls.on_days(filters.period.first, filters.period.last)
    for name, *rest in period.latency_sketches(*keys):
        row = rows.get(name)
        if row is not None:
            row.latency_sketch = sketch.merge(row.latency_sketch, rest[-1])
            if len(rest) == 2:
                features.setdefault(name, set()).add(rest[0])
    return rows, compare, features


def load_segments(project_id: int, filters: Filters) -> Breakdown:
    """A row per segment with calls or outcomes in the period (five queries)."""
    rows, compare, _ = _call_rows(project_id, filters, "segment", ("segment",))
    period = (filters.period.first, filters.period.last)
    outcomes = filters.apply(DailyOutcomeRollup.objects.for_project(project_id)).on_days(*period)
    for group in outcomes.outcome_sums_by("segment"):
        name = group["segment"]
        if name not in rows and (not group["total_outcomes"] or not filters.narrows_outcomes):
            continue  # no calls (of the filtered template or model) and no outcomes
        row = rows.setdefault(name, _outcome_only_row(name, filters, compare))
        row.traces, row.outcomes = group["total_traces"], group["total_outcomes"]
        row.successes = group["total_successes"]
        row.human_escalations = group["total_human_escalations"]
    customers = filters.apply(DailyCustomerRollup.objects.for_project(project_id)).on_days(*period)
    active = {g["segment"]: g["customers"] for g in customers.active_customers_by("segment")}
    for name, row in rows.items():
        row.active_customers = active.get(name, 0)
    ordered = sorted(rows.values(), key=lambda r: (-r.spend_usd, r.label))
    total = pivot.total_row(ordered, "All segments", _sum(compare))
    total.active_customers = customers.active_customers() if ordered else 0
    return Breakdown("segment", ordered, total, compare)


def load_templates(project_id: int, filters: Filters) -> Breakdown:
    """A row per prompt template with calls in the period (three queries)."""
    keys = ("template", "feature")
    rows, compare, features = _call_rows(project_id, filters, "template", keys)
    period = (filters.period.first, filters.period.last)
    outcomes = filters.apply(DailyOutcomeRollup.objects.for_project(project_id)).on_days(*period)
    by_feature = {g["feature"]: g["total_outcomes"] for g in outcomes.outcome_sums_by("feature")}
    for name, row in rows.items():
        row.features = tuple(sorted(features.get(name, ())))
        # Outcomes of distinct features are distinct traces: this sum counts none twice.
        row.feature_outcomes = sum(by_feature.get(f, 0) for f in row.features)
    ordered = sorted(rows.values(), key=lambda r: (-r.spend_usd, r.label))
    total = pivot.total_row(ordered, "All templates", _sum(compare))
    total.features = tuple(sorted(set().union(*(r.features for r in ordered))))
    total.feature_outcomes = sum(by_feature.get(f, 0) for f in total.features)
    return Breakdown("template", ordered, total, compare)


def _outcome_only_row(name: str, filters: Filters, compare) -> BreakdownRow:
    row = BreakdownRow(name, daily_spend_usd=[Decimal("0")] * filters.period.days)
    if compare is not None:
        row.compare_spend_usd = compare.get(name, Decimal("0"))
    return row


def _sum(compare: dict[str, Decimal] | None) -> Decimal | None:
    return None if compare is None else sum(compare.values(), Decimal("0"))


def link_rows(breakdown: Breakdown, slug: str, filters: Filters) -> None:
    """Point every row (and the total) at the calls behind it."""
    for row in breakdown.rows:
        row.calls_url = calls_url(slug, filters, **{breakdown.dimension: row.filter_value})
    breakdown.total.calls_url = calls_url(slug, filters)


def spend_chart(breakdown: Breakdown, slug: str, filters: Filters) -> dict:
    """Daily spend stacked per row (the largest ``CHART_SERIES``, then "Other"); a point
    links to that row's calls of that day."""
    days = filters.period.dates()
    series = []
    for row in breakdown.rows[:CHART_SERIES]:
        links = [
            calls_url(slug, filters, start=d, end=d, **{breakdown.dimension: row.filter_value})
            for d in days
        ]
        series.append({"name": row.label, "values": row.daily_spend_usd, "links": links})
    rest = breakdown.rows[CHART_SERIES:]
    if rest:
        values = [
            sum(day, Decimal("0")) for day in zip(*(r.daily_spend_usd for r in rest), strict=True)
        ]
        series.append({"name": f"Other ({len(rest)})", "values": values, "links": []})
    return charts.stacked_spend_over_time(days, series)
