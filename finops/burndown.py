"""The burn-down figure of a budget: actual spend to date, the budget, and the forecast with
its 80 % range (Plotly figure dict). Pure: no Django; money turns into float only here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

_ACTUAL, _BUDGET, _FORECAST, _BAND = "#4f46e5", "#b91c1c", "#d97706", "rgba(217,119,6,0.18)"
_FONT = {"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 12}


def burndown(
    first: date,
    last: date,
    today: date,
    daily: Sequence[tuple[date, Decimal]],
    amount_usd: Decimal,
    forecast: Sequence[tuple[date, Decimal, Decimal, Decimal]] = (),
    day_links: dict[date, str] | None = None,
) -> dict[str, Any]:
    """Cumulative spend of the period ``first``..``last`` through ``today`` (from ``daily``,
    USD per day), a flat budget line at ``amount_usd``, and the ``forecast`` as cumulative
    ``(day, mean, low, high)`` rows for the remaining days (``finops.forecast``), drawn from
    the last complete day on. ``day_links``: a URL path per day, the calls behind that day's
    point (opened on click).
    """
    by_day = dict(daily)
    days = [first + timedelta(days=i) for i in range((min(today, last) - first).days + 1)]
    cumulative, total = [], Decimal(0)
    for day in days:
        total += by_day.get(day, Decimal(0))
        cumulative.append(float(total))
    x = [d.isoformat() for d in days]
    links = day_links or {}
    data: list[dict[str, Any]] = [
        _line(
            "Budget",
            [first.isoformat(), last.isoformat()],
            [float(amount_usd)] * 2,
            _BUDGET,
            "dash",
        ),
    ]
    if forecast:
        data += _forecast_lines(first, today, daily, forecast)
    actual = _line("Actual", x, cumulative, _ACTUAL, "solid")
    actual.update(mode="lines+markers", customdata=[links.get(d, "") for d in days])
    data.append(actual)
    return {"data": data, "layout": _layout(first, last)}


def _forecast_lines(first, today, daily, forecast) -> list[dict[str, Any]]:
    """The range (low edge, then high edge filled down to it) and the mean, starting at the
    cumulative spend of the last complete day so the lines join the actual one."""
    start_day = today - timedelta(days=1)
    lead_x, lead_y = [], []
    if start_day >= first:
        lead_x = [start_day.isoformat()]
        lead_y = [float(sum((v for d, v in daily if first <= d <= start_day), Decimal(0)))]
    fx = lead_x + [row[0].isoformat() for row in forecast]
    low = lead_y + [float(row[2]) for row in forecast]
    high = lead_y + [float(row[3]) for row in forecast]
    mean = lead_y + [float(row[1]) for row in forecast]
    return [
        _line("80% low", fx, low, _BAND, "solid", edge=True),
        _line("80% range", fx, high, _BAND, "solid", fill="tonexty"),
        _line("Forecast", fx, mean, _FORECAST, "dot"),
    ]


def _line(name, x, y, color, dash, *, fill: str = "", edge: bool = False) -> dict[str, Any]:
    trace: dict[str, Any] = {
        "type": "scatter",
        "mode": "lines",
        "name": name,
        "x": x,
        "y": y,
        "line": {"color": color, "width": 2, "dash": dash},
        "hovertemplate": f"{name}: %{{y:$,.2f}}<extra></extra>",
    }
    if fill:  # the high edge of the range, filled down to the previous (low) trace
        trace.update(fill=fill, fillcolor=_BAND, line={"width": 0, "color": _BAND})
        trace["hovertemplate"] = "80% range: up to %{y:$,.2f}<extra></extra>"
    if edge:  # the low edge: invisible, only there for the high edge to fill down to
        trace.update(line={"width": 0, "color": _BAND}, showlegend=False, hoverinfo="skip")
        trace.pop("hovertemplate")
    return trace


def _layout(first: date, last: date) -> dict[str, Any]:
    return {
        "margin": {"l": 64, "r": 16, "t": 8, "b": 40},
        "font": _FONT,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "hovermode": "x unified",
        "height": 320,
        "legend": {"orientation": "h", "y": -0.18},
        "xaxis": {"range": [first.isoformat(), last.isoformat()], "gridcolor": "#f3f4f6"},
        "yaxis": {"tickprefix": "$", "gridcolor": "#e5e7eb", "rangemode": "tozero"},
    }
