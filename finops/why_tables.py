"""The tables and the waterfall of why-it-moved from a loaded ``Why`` (pure).

``link(**changes)`` gives the URL of the calls behind a number (see ``finops.feature_tables``).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from finops import drivers, feature_charts
from finops.tables import Column, Table

if TYPE_CHECKING:  # a type only: this module never touches the database
    from finops.why import Why

Link = Callable[..., str]
PCT = Decimal("0.01")
# The calls a driver is about, where the trace search can filter them.
DRIVER_CALLS = {
    drivers.RETRIES: {"is_retry": 1},
    drivers.CACHE: {"cache_hit": 1},
}

DRIVER_COLUMNS = [
    Column("driver", "Driver"),
    Column("delta_usd", "USD per outcome", "usd6"),
    Column("share_pct", "Share of change", "pct"),
    Column("phrase", "In words"),
]
WEEKLY_COLUMNS = [
    Column("week", "Week"),
    Column("start", "From"),
    Column("end", "To"),
    Column("spend_usd", "Spend", "usd"),
    Column("outcomes", "Outcomes", "int"),
    Column("active_customers", "Active customers", "int"),
    Column("cost_per_outcome_usd", "Cost per outcome", "usd"),
    Column("change_usd", "Change vs week before", "usd6"),
    Column("primary_driver", "Primary driver", "text"),
]


def drivers_table(why: Why, link: Link) -> Table:
    """One row per driver (USD per outcome, share of the change, words) and the total."""
    table = Table(
        "drivers",
        "Drivers of the change in cost per outcome",
        DRIVER_COLUMNS,
    )
    moved = why.decomposition
    if moved is None or not moved.is_defined:
        return table
    for d in moved.drivers:
        share = None if d.share is None else (d.share * 100).quantize(PCT)
        values = {"driver": d.label, "delta_usd": d.delta_usd, "share_pct": share}
        values["phrase"] = d.phrase
        table.add(values, link(**DRIVER_CALLS.get(d.name, {})))
    total = {"driver": "Total change", "delta_usd": moved.change_usd, "phrase": ""}
    total["share_pct"] = Decimal(100).quantize(PCT) if moved.change_usd else None
    table.add(total, link())
    return table


def weekly_table(why: Why, link: Link) -> Table:
    """The last weeks, oldest first: spend, customers, cost per outcome, primary driver."""
    table = Table(
        "weekly",
        f"Week by week, last {len(why.weeks)} weeks",
        WEEKLY_COLUMNS,
        note="Active customers: distinct customer ids with calls of the feature that week.",
    )
    for week, days in zip(why.weeks, why.week_ranges, strict=True):
        values = {
            "week": week.label,
            "start": days.first.isoformat(),
            "end": days.last.isoformat(),
            "spend_usd": week.spend_usd,
            "outcomes": week.outcomes,
            "active_customers": week.active_customers,
            "cost_per_outcome_usd": week.cost_per_outcome_usd,
            "change_usd": week.change_usd,
            "primary_driver": week.primary_phrase,
        }
        table.add(values, link(start=days.first.isoformat(), end=days.last.isoformat()))
    return table


def waterfall(why: Why, table: Table, link: Link) -> dict | None:
    """The waterfall from the compare period's cost per outcome to the period's; None when
    the change is undefined (no outcomes in a period, or no compare period)."""
    moved = why.decomposition
    if moved is None or not moved.is_defined or why.filters.compare is None:
        return None
    steps = [
        (d.label, d.delta_usd, row.url)
        for d, row in zip(moved.drivers, table.rows, strict=False)
        if d.delta_usd
    ]
    compare = why.filters.compare
    return feature_charts.drivers_waterfall(
        moved.before_usd,
        moved.after_usd,
        steps,
        "Compare period",
        "This period",
        (
            link(start=compare.first.isoformat(), end=compare.last.isoformat()),
            link(),
        ),
    )
