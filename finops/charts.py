"""Plotly figure dicts for the pages. Pure: rows in, JSON-ready dicts out.

Money arrives as Decimal and is turned into float here, at the last step, for drawing only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

_FONT = {"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 12}
_ACCENT = "#4f46e5"


def _layout(**extra: Any) -> dict[str, Any]:
    layout = {
        "margin": {"l": 56, "r": 16, "t": 8, "b": 40},
        "font": _FONT,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "hovermode": "x unified",
        "yaxis": {"tickprefix": "$", "gridcolor": "#e5e7eb", "rangemode": "tozero"},
        "xaxis": {"gridcolor": "#f3f4f6"},
        "height": 280,
    }
    layout.update(extra)
    return layout


def spend_over_time(rows: Iterable[Mapping[str, Any]], first: date, last: date) -> dict[str, Any]:
    """A line of daily spend from ``first`` to ``last``; days without calls show as $0.

    ``rows``: dicts with ``day`` (date) and ``spend_usd`` (Decimal USD).
    """
    by_day = {row["day"]: row["spend_usd"] for row in rows}
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "Spend",
                "x": [d.isoformat() for d in days],
                "y": [float(by_day.get(d, Decimal("0"))) for d in days],
                "line": {"color": _ACCENT, "width": 2},
                "marker": {"size": 4},
                "hovertemplate": "%{y:$,.2f}<extra></extra>",
            }
        ],
        "layout": _layout(),
    }


def spend_by_feature(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Horizontal bars of spend per feature, largest on top.

    ``rows``: dicts with ``feature`` ("" = unattributed) and ``spend_usd`` (Decimal USD).
    """
    rows = list(rows)
    names = [row["feature"] or "(unattributed)" for row in rows][::-1]
    values = [float(row["spend_usd"]) for row in rows][::-1]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "x": values,
                "y": names,
                "marker": {"color": _ACCENT},
                "hovertemplate": "%{y}: %{x:$,.2f}<extra></extra>",
            }
        ],
        "layout": _layout(
            hovermode="closest",
            height=max(160, 48 + 36 * len(names)),
            xaxis={"tickprefix": "$", "gridcolor": "#e5e7eb", "rangemode": "tozero"},
            yaxis={"automargin": True, "ticksuffix": "  "},
            margin={"l": 16, "r": 16, "t": 8, "b": 40},
        ),
    }


SPARK_WIDTH, SPARK_HEIGHT = 100, 24


def sparkline_points(
    values: Iterable[Decimal], width: int = SPARK_WIDTH, height: int = SPARK_HEIGHT
) -> str:
    """The ``points`` of an SVG polyline drawing ``values`` (e.g. daily spend, Decimal USD)
    left to right in a ``width`` x ``height`` box, 0 at the bottom and the maximum at the
    top. One value is a flat line; all zeros lie on the bottom edge; none gives "".
    """
    ys = [float(v) for v in values]
    if not ys:
        return ""
    if len(ys) == 1:
        ys = ys * 2
    top = max(ys) or 1.0
    # One pixel of padding so the stroke at the top and bottom edge is not clipped.
    usable = height - 2
    step = width / (len(ys) - 1)
    return " ".join(
        f"{i * step:.1f},{1 + usable - (y / top) * usable:.1f}" for i, y in enumerate(ys)
    )


# A qualitative palette (Tableau 10) so stacked series stay apart; "Other" is grey.
_SERIES_COLOURS = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
)  # fmt: skip
_OTHER_COLOUR = "#d1d5db"


def stacked_spend_over_time(days: list[date], series: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Stacked bars of daily spend, one series per segment or template.

    ``days``: the dates of the x axis. ``series``: dicts with ``name``, ``values`` (Decimal
    USD per day, same length as ``days``) and ``links`` (URL paths per day, the calls behind
    each bar, put in ``customdata`` for ``charts.js``; empty for no links).
    """
    x = [d.isoformat() for d in days]
    data = []
    for i, item in enumerate(series):
        trace: dict[str, Any] = {
            "type": "bar",
            "name": item["name"],
            "x": x,
            "y": [float(v) for v in item["values"]],
            "marker": {"color": _SERIES_COLOURS[i % 10] if item["links"] else _OTHER_COLOUR},
            "hovertemplate": "%{fullData.name}: %{y:$,.2f}<extra></extra>",
        }
        if item["links"]:
            trace["customdata"] = list(item["links"])
        data.append(trace)
    layout = _layout(barmode="stack", legend={"orientation": "h", "y": -0.2}, height=320)
    layout["margin"] = {"l": 56, "r": 16, "t": 8, "b": 64}
    return {"data": data, "layout": layout}
