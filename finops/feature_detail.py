"""One feature over a period, from the daily rollups only: totals and KPIs, per day, per model
route, template, segment and user action (the feature page and ``GET /api/v1/features/{name}/``).

``load_detail`` runs a fixed number of queries whatever the range (eight, six without a compare
period): the database sums ``DailyRollup`` per (model, route), template, segment and day;
``DailyOutcomeRollup`` rows (few: per day, segment and action) are summed here; latency
sketches are merged here (``finops.feature_stats``). ``calls_url`` is the one place that
builds the link from a number to the calls behind it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import date

from django.db.models import Sum
from django.urls import reverse

from finops.feature_stats import CallTotals, Kpis, OutcomeTotals, group, sum_sketches, usd
from finops.filters import UNATTRIBUTED, Filters
from finops.models import DailyOutcomeRollup, DailyRollup

CALL_COLUMNS = tuple(f.name for f in fields(CallTotals) if f.name != "latency_sketch")
OUTCOME_COLUMNS = tuple(f.name for f in fields(OutcomeTotals) if f.name != "latency_sketch")
# An annotation may not reuse a field's name ("calls"): sum under a prefix, then strip it.
_PREFIX = "sum__"


def feature_value(name: str) -> str:
    """The rollups' value of a feature named in a URL ("" for ``(unattributed)``)."""
    return "" if name == UNATTRIBUTED else name


def for_feature(filters: Filters, name: str) -> Filters:
    """``filters`` narrowed to the feature of the URL path (a ``?feature=`` is ignored)."""
    return replace(filters, feature=name or UNATTRIBUTED)


def calls_url(slug: str, filters: Filters, **changes) -> str:
    """The trace search (``finops:traces``) of the calls behind a number: the period and
    dimension filters of ``filters`` with ``changes`` (e.g. ``model=``, ``is_retry=1``)."""
    return reverse("finops:traces", args=[slug]) + "?" + filters.calls_query(**changes)


@dataclass
class FeatureDetail:
    """Everything the feature page shows; keys of the dicts are tuples of group values."""

    name: str
    filters: Filters
    totals: CallTotals
    outcomes: OutcomeTotals
    kpis: Kpis
    by_day: dict[date, CallTotals]
    outcomes_by_day: dict[date, OutcomeTotals]
    routes: dict[tuple, CallTotals]
    templates: dict[tuple, CallTotals]
    segments: dict[tuple, CallTotals]
    outcomes_by_segment: dict[tuple, OutcomeTotals]
    actions: dict[tuple, OutcomeTotals]

    @property
    def has_data(self) -> bool:
        return bool(self.totals.calls or self.outcomes.traces)

    @property
    def has_retrieval(self) -> bool:
        return self.totals.retrieval_calls > 0


def _sums(columns: tuple[str, ...]) -> dict:
    return {_PREFIX + name: Sum(name) for name in columns}


def _grouped(rows, keys: tuple[str, ...]) -> dict[tuple, CallTotals]:
    """``DailyRollup`` rows summed per ``keys`` by the database, largest spend first."""
    found = {}
    for row in rows.values(*keys).annotate(**_sums(CALL_COLUMNS)).order_by():
        sums = {k.removeprefix(_PREFIX): v for k, v in row.items() if k.startswith(_PREFIX)}
        found[tuple(row[k] for k in keys)] = CallTotals().add(sums)
    return dict(sorted(found.items(), key=lambda item: (-item[1].cost_usd, item[0])))


def _compare(project_id: int, filters: Filters) -> dict:
    """``Kpis`` fields of the compare period (two aggregates); {} without one."""
    if filters.compare is None:
        return {}
    first, last = filters.compare.first, filters.compare.last
    calls = filters.apply(DailyRollup.objects.for_project(project_id).on_days(first, last))
    spend = calls.aggregate(v=Sum("cost_usd"))["v"]
    traces = filters.apply(DailyOutcomeRollup.objects.for_project(project_id).on_days(first, last))
    outcomes = traces.aggregate(v=Sum("outcomes"))["v"]
    return {"compare_spend_usd": usd(spend), "compare_outcomes": outcomes or 0}


def load_detail(project_id: int, name: str, filters: Filters) -> FeatureDetail:
    """The feature ``name`` (``(unattributed)`` for calls without one) under ``filters``."""
    filters = for_feature(filters, name)
    period = filters.period
    calls = filters.apply(
        DailyRollup.objects.for_project(project_id).on_days(period.first, period.last)
    )
    routes = _grouped(calls, ("model", "route"))
    sketches = sum_sketches(calls.values_list("model", "route", "latency_sketch"))
    for key, merged in sketches.items():
        routes[key].latency_sketch = merged
    totals = CallTotals()
    for row in routes.values():
        totals.add(asdict(row))
    traces = filters.apply(
        DailyOutcomeRollup.objects.for_project(project_id).on_days(period.first, period.last)
    )
    outcome_rows = list(
        traces.values("day", "segment", "action", "latency_sketch", *OUTCOME_COLUMNS)
    )
    outcomes = OutcomeTotals()
    for row in outcome_rows:
        outcomes.add(row)
    compare = _compare(project_id, filters)
    kpis = Kpis(
        spend_usd=totals.cost_usd,
        calls=totals.calls,
        outcomes=outcomes.outcomes,
        successes=outcomes.successes,
        outcome_value_usd=outcomes.outcome_value_usd,
        **compare,
    )
    return FeatureDetail(
        name=name,
        filters=filters,
        totals=totals,
        outcomes=outcomes,
        kpis=kpis,
        by_day={k[0]: v for k, v in _grouped(calls, ("day",)).items()},
        outcomes_by_day={k[0]: v for k, v in group(outcome_rows, ("day",), OutcomeTotals).items()},
        routes=routes,
        templates=_grouped(calls, ("template",)),
        segments=_grouped(calls, ("segment",)),
        outcomes_by_segment=group(outcome_rows, ("segment",), OutcomeTotals),
        actions=dict(
            sorted(
                group(outcome_rows, ("action",), OutcomeTotals).items(),
                key=lambda item: (-item[1].traces, item[0]),
            )
        ),
    )


def has_any_data(project_id: int, name: str) -> bool:
    """Whether the feature has rollup rows on any day (the empty state and the API's 404)."""
    feature = feature_value(name)
    return (
        DailyRollup.objects.for_project(project_id).filter(feature=feature).exists()
        or DailyOutcomeRollup.objects.for_project(project_id).filter(feature=feature).exists()
    )
