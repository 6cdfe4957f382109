"""The tables and charts of the feature page from a loaded ``FeatureDetail`` (pure).

``link(**changes)`` is the caller's function from trace-search filters to the URL of the calls
behind a number (``finops.feature_detail.calls_url`` bound to a project and filters); every
row and chart point gets one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from finops import feature_charts
from finops.feature_stats import pct, per
from finops.tables import Column, Table

if TYPE_CHECKING:  # a type only: this module never touches the database
    from finops.feature_detail import FeatureDetail

Link = Callable[..., str]
UNATTRIBUTED = "(unattributed)"
NO_MODEL = "(unknown model)"
NO_ROUTE = "(default)"
DAILY_COLUMNS = [
    Column("day", "Day"),
    Column("spend_usd", "Spend", "usd"),
    Column("calls", "Calls", "int"),
    Column("outcomes", "Outcomes", "int"),
    Column("successes", "Successes", "int"),
    Column("cost_per_outcome_usd", "Cost per outcome", "usd"),
    Column("cost_per_success_usd", "Cost per success", "usd"),
]
ROUTE_COLUMNS = [
    Column("model", "Model"),
    Column("route", "Route"),
    Column("spend_usd", "Spend", "usd"),
    Column("calls", "Calls", "int"),
    Column("share_of_spend_pct", "Share", "pct"),
    Column("quality", "Quality", "score"),
    Column("retry_rate_pct", "Retries", "pct"),
    Column("fallback_rate_pct", "Fallbacks", "pct"),
    Column("escalation_rate_pct", "Escalations", "pct"),
    Column("prompt_cache_rate_pct", "Prompt cache", "pct"),
    Column("cache_hits", "App-cache hits", "int"),
    Column("avoided_cost_usd", "Avoided", "usd"),
    Column("p50_ms", "p50", "ms"),
    Column("p95_ms", "p95", "ms"),
]
SEGMENT_COLUMNS = [
    Column("segment", "Segment"),
    Column("spend_usd", "Spend", "usd"),
    Column("calls", "Calls", "int"),
    Column("outcomes", "Outcomes", "int"),
    Column("successes", "Successes", "int"),
    Column("cost_per_outcome_usd", "Cost per outcome", "usd"),
    Column("success_rate_pct", "Success rate", "pct"),
]
ACTION_COLUMNS = [
    Column("action", "User action"),
    Column("traces", "Traces", "int"),
    Column("outcomes", "Outcomes", "int"),
    Column("human_escalation_rate_pct", "Human escalations / trace", "pct"),
    Column("p50_ms", "p50", "ms"),
    Column("p95_ms", "p95", "ms"),
]
RELIABILITY_COLUMNS = [
    Column("metric", "What"),
    Column("count", "Count", "int"),
    Column("rate_pct", "Rate", "pct"),
    Column("per", "Per"),
    Column("usd", "Spend / avoided", "usd"),
]
TEMPLATE_COLUMNS = [
    Column("template", "Template"),
    Column("spend_usd", "Spend", "usd"),
    Column("calls", "Calls", "int"),
    Column("input_per_call", "Input tokens / call", "ratio"),
    Column("output_per_call", "Output tokens / call", "ratio"),
]
RETRIEVAL_COLUMNS = [
    Column("chunks_per_call", "Chunks / call", "ratio"),
    Column("citations_used_pct", "Citations used", "pct"),
]


def _name(value: str) -> str:
    return value or UNATTRIBUTED


def kpi_table(d: FeatureDetail, link: Link) -> Table:
    """The headline numbers, with the compare period's where it has one."""
    k = d.kpis
    table = Table(
        "kpis",
        "Headline",
        [
            Column("metric", "Metric"),
            Column("value", "Value", "usd"),
            Column("compare", "Compare period", "usd"),
            Column("change_pct", "Change", "pct"),
        ],
    )
    every = link()
    rows: list[tuple[str, Any, Any, Any, str, str]] = [
        ("Spend", k.spend_usd, k.compare_spend_usd, k.spend_change_pct, "usd", every),
        ("Calls", k.calls, None, None, "int", every),
        ("Outcomes", k.outcomes, k.compare_outcomes, None, "int", every),
        ("Successes", k.successes, None, None, "int", every),
        (
            "Cost per outcome",
            k.cost_per_outcome_usd,
            k.compare_cost_per_outcome_usd,
            k.cost_per_outcome_change_pct,
            "usd",
            every,
        ),
        ("Cost per success", k.cost_per_success_usd, None, None, "usd", every),
        ("Success rate", k.success_rate_pct, None, None, "pct", every),
    ]
    if k.outcome_value_usd:
        rows.append(("Value per dollar", k.value_per_dollar, None, None, "ratio", every))
    for metric, value, compare, change, kind, url in rows:
        values = {"metric": metric, "value": value, "compare": compare, "change_pct": change}
        table.add(values, url, kinds={"value": kind, "compare": kind})
    return table


def daily_table(d: FeatureDetail, link: Link) -> Table:
    """Days with calls or outcomes, oldest first."""
    table = Table(
        "daily",
        "Per day",
        DAILY_COLUMNS,
    )
    for day in sorted(set(d.by_day) | set(d.outcomes_by_day)):
        calls, outcomes = d.by_day.get(day), d.outcomes_by_day.get(day)
        spend = calls.cost_usd if calls else 0
        done = outcomes.outcomes if outcomes else 0
        wins = outcomes.successes if outcomes else 0
        values = {
            "day": day.isoformat(),
            "spend_usd": spend,
            "calls": calls.calls if calls else 0,
            "outcomes": done,
            "successes": wins,
            "cost_per_outcome_usd": per(spend, done),
            "cost_per_success_usd": per(spend, wins),
        }
        table.add(values, link(start=day.isoformat(), end=day.isoformat()))
    return table


def routes_table(d: FeatureDetail, link: Link) -> Table:
    """Per model route: spend, quality, reliability, caching and latency."""
    table = Table(
        "routes",
        "By model route",
        ROUTE_COLUMNS,
        note="Latency of the LLM calls; quality is the mean 0..1 score of the scored calls.",
    )
    for (model, route), t in d.routes.items():
        values = {
            "model": model or NO_MODEL,
            "route": route or NO_ROUTE,
            "spend_usd": t.cost_usd,
            "share_of_spend_pct": pct(t.cost_usd, d.totals.cost_usd),
        }
        for key in ["calls", *(c.key for c in table.columns[5:])]:
            values.setdefault(key, getattr(t, key))
        table.add(values, link(model=_name(model), route=_name(route)))
    return table


def templates_table(d: FeatureDetail, link: Link) -> Table:
    """Per template: spend and tokens per call; retrieval where any call reported it."""
    columns = list(TEMPLATE_COLUMNS)
    if d.has_retrieval:
        columns += RETRIEVAL_COLUMNS
    table = Table("templates", "By template", columns)
    for (template,), t in d.templates.items():
        values = {c.key: getattr(t, c.key, None) for c in columns[2:]}
        values.update(template=_name(template), spend_usd=t.cost_usd)
        table.add(values, link(template=_name(template)))
    if d.has_retrieval:
        table.note = "Chunks per call counts only calls that reported finops.retrieval.chunks."
    return table


def segments_table(d: FeatureDetail, link: Link) -> Table:
    """Per customer segment: spend, outcomes and cost per outcome."""
    table = Table(
        "segments",
        "By segment",
        SEGMENT_COLUMNS,
    )
    names = list(d.segments) + [k for k in d.outcomes_by_segment if k not in d.segments]
    for key in names:
        calls, outcomes = d.segments.get(key), d.outcomes_by_segment.get(key)
        spend = calls.cost_usd if calls else 0
        done = outcomes.outcomes if outcomes else 0
        values = {
            "segment": _name(key[0]),
            "spend_usd": spend,
            "calls": calls.calls if calls else 0,
            "outcomes": done,
            "successes": outcomes.successes if outcomes else 0,
            "cost_per_outcome_usd": per(spend, done),
            "success_rate_pct": outcomes.success_rate_pct if outcomes else None,
        }
        table.add(values, link(segment=_name(key[0])))
    return table


def actions_table(d: FeatureDetail, link: Link) -> Table:
    """Per user action (the trace's root span): end-to-end latency and human escalations."""
    table = Table(
        "actions",
        "By user action",
        ACTION_COLUMNS,
        note="Latency of the whole trace, from its root span's start to its last span's end.",
    )
    for (action,), t in d.actions.items():
        values = {c.key: getattr(t, c.key, None) for c in table.columns[1:]}
        values["action"] = action or "(unnamed)"
        # The trace search has no action filter: the row opens the feature's calls.
        table.add(values, link())
    return table


def reliability_table(d: FeatureDetail, link: Link) -> Table:
    """Retries, fallbacks, escalations, errors and caching, each with its rate."""
    t, o = d.totals, d.outcomes
    table = Table(
        "reliability",
        "Reliability and caching",
        RELIABILITY_COLUMNS,
        note="Spend on retries, fallbacks and model escalations together: shown on retries.",
    )
    rows = [
        ("Retries", t.retries, t.retry_rate_pct, "call", t.retry_cost_usd, {"is_retry": 1}),
        ("Fallbacks", t.fallbacks, t.fallback_rate_pct, "call", None, {"is_fallback": 1}),
        (
            "Model escalations",
            t.model_escalations,
            t.escalation_rate_pct,
            "call",
            None,
            {"escalation": "model"},
        ),
        (
            "Human escalations",
            o.human_escalations,
            o.human_escalation_rate_pct,
            "trace",
            None,
            {"escalation": "human"},
        ),
        ("Errors", t.errors, t.error_rate_pct, "call", None, {"status": "error"}),
        ("Prompt-cache hits", t.prompt_cache_calls, t.prompt_cache_rate_pct, "call", None, {}),
        (
            "App-cache hits",
            t.cache_hits,
            t.app_cache_rate_pct,
            "call",
            t.avoided_cost_usd,
            {"cache_hit": 1},
        ),
    ]
    for metric, count, rate, unit, usd, changes in rows:
        values = {"metric": metric, "count": count, "rate_pct": rate, "per": unit, "usd": usd}
        table.add(values, link(**changes))
    return table


def tables(d: FeatureDetail, link: Link) -> dict[str, Table]:
    """Every table of the page by its CSV name, in page order."""
    built = [
        kpi_table(d, link),
        reliability_table(d, link),
        daily_table(d, link),
        routes_table(d, link),
        templates_table(d, link),
        segments_table(d, link),
        actions_table(d, link),
    ]
    return {table.name: table for table in built}


def figures(d: FeatureDetail, built: dict[str, Table], link: Link) -> dict[str, dict]:
    """The page's Plotly figures; every point links to its calls (the tables' row URLs)."""
    period = d.filters.period
    per_day = {row.label: row for row in built["daily"].rows}
    days = [day.isoformat() for day in period.dates()]

    def daily(key: str) -> list:
        return [_cell(per_day.get(day), key) for day in days]

    links = [link(start=day, end=day) for day in days]
    return {
        "cost_per_outcome": feature_charts.cost_per_outcome_over_time(
            days, daily("cost_per_outcome_usd"), daily("cost_per_success_usd"), links
        ),
        "routes": _bars(built["routes"], lambda r: f"{r.cells[0].value} · {r.cells[1].value}"),
        "templates": _bars(built["templates"], lambda r: r.label),
        "segments": _bars(built["segments"], lambda r: r.label),
    }


def _cell(row, key: str):
    if row is None:
        return None
    return next(cell.value for cell in row.cells if cell.key == key)


def _bars(table: Table, label: Callable) -> dict:
    rows = table.rows
    return feature_charts.spend_bars(
        [label(r) for r in rows], [_cell(r, "spend_usd") for r in rows], [r.url for r in rows]
    )
