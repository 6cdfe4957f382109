"""Plotly figure dicts of the feature page and why-it-moved (pure: rows in, dicts out).

Every point carries in ``customdata`` the URL path of the calls behind it (trace search),
which ``static/js/charts.js`` opens on click. Money arrives as Decimal and becomes float here,
for drawing only.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

_FONT = {"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 12}
_ACCENT = "#4f46e5"
_SECOND = "#0d9488"
_UP, _DOWN, _TOTAL = "#dc2626", "#16a34a", "#6b7280"


def _layout(**extra: Any) -> dict[str, Any]:
    layout = {
        "margin": {"l": 64, "r": 16, "t": 8, "b": 40},
        "font": _FONT,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "hovermode": "closest",
        "yaxis": {"tickprefix": "$", "gridcolor": "#e5e7eb", "rangemode": "tozero"},
        "xaxis": {"gridcolor": "#f3f4f6"},
        "height": 280,
        "showlegend": True,
        "legend": {"orientation": "h", "y": -0.2},
    }
    layout.update(extra)
    return layout


def _floats(values: Sequence[Decimal | None]) -> list[float | None]:
    return [None if v is None else float(v) for v in values]


def cost_per_outcome_over_time(
    days: Sequence[str],
    per_outcome: Sequence[Decimal | None],
    per_success: Sequence[Decimal | None],
    links: Sequence[str],
) -> dict[str, Any]:
    """Two daily lines, cost per outcome and per success (USD); a day without outcomes is a
    gap. ``days``: ISO dates; ``links``: the calls of each day."""

    def line(name: str, values, color: str) -> dict[str, Any]:
        return {
            "type": "scatter",
            "mode": "lines+markers",
            "name": name,
            "x": list(days),
            "y": _floats(values),
            "customdata": list(links),
            "line": {"color": color, "width": 2},
            "marker": {"size": 6},
            "connectgaps": False,
            "hovertemplate": f"{name}: %{{y:$,.4f}}<extra></extra>",
        }

    return {
        "data": [
            line("Cost per outcome", per_outcome, _ACCENT),
            line("Cost per success", per_success, _SECOND),
        ],
        "layout": _layout(),
    }


def spend_bars(
    labels: Sequence[str], spend_usd: Sequence[Decimal], links: Sequence[str]
) -> dict[str, Any]:
    """Horizontal bars of spend (USD) per label, in the given order top to bottom; each bar
    links to its calls."""
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "x": _floats(spend_usd)[::-1],
                "y": list(labels)[::-1],
                "customdata": list(links)[::-1],
                "marker": {"color": _ACCENT},
                "hovertemplate": "%{y}: %{x:$,.4f}<extra></extra>",
            }
        ],
        "layout": _layout(
            height=max(140, 56 + 30 * len(labels)),
            showlegend=False,
            xaxis={"tickprefix": "$", "gridcolor": "#e5e7eb", "rangemode": "tozero"},
            yaxis={"automargin": True, "ticksuffix": "  ", "type": "category"},
            margin={"l": 16, "r": 16, "t": 8, "b": 40},
        ),
    }


def drivers_waterfall(
    before_usd: Decimal,
    after_usd: Decimal,
    steps: Sequence[tuple[str, Decimal, str]],
    before_label: str,
    after_label: str,
    links: tuple[str, str],
) -> dict[str, Any]:
    """A waterfall from cost per outcome ``before_usd`` to ``after_usd`` through ``steps``
    (label, USD per outcome, calls link); ``links``: the calls of the two periods."""
    labels = [before_label, *(s[0] for s in steps), after_label]
    return {
        "data": [
            {
                "type": "waterfall",
                "orientation": "v",
                "measure": ["absolute", *(["relative"] * len(steps)), "total"],
                "x": labels,
                "y": [float(before_usd), *(float(s[1]) for s in steps), float(after_usd)],
                "customdata": [links[0], *(s[2] for s in steps), links[1]],
                "increasing": {"marker": {"color": _UP}},
                "decreasing": {"marker": {"color": _DOWN}},
                "totals": {"marker": {"color": _TOTAL}},
                "connector": {"line": {"color": "#9ca3af", "width": 1}},
                "hovertemplate": "%{x}: %{y:$,.6f}<extra></extra>",
            }
        ],
        "layout": _layout(
            height=320,
            showlegend=False,
            xaxis={"automargin": True, "type": "category"},
            yaxis={"tickprefix": "$", "gridcolor": "#e5e7eb"},
        ),
    }
