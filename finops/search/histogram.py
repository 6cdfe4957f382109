"""Latency histogram of a search: bins and the Plotly figure. Pure (no Django).

Each bar carries the URL of its calls in ``customdata`` (``static/js/charts.js`` opens it on
click), so a bar leads to the calls behind it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from finops import sketch as sketches


@dataclass(frozen=True)
class Bin:
    """Calls with ``low_ms <= latency < high_ms`` (the last bin includes ``high_ms``)."""

    low_ms: float
    high_ms: float
    count: int


def latency_bins(values: Sequence[float], bins: int = 20) -> list[Bin]:
    """``bins`` equal-width bins from the smallest to the largest value, with whole-ms
    edges; [] for no values, one bin when all values are equal."""
    if not values:
        return []
    low, high = math.floor(min(values)), math.ceil(max(values))
    if high <= low:
        return [Bin(float(low), float(low), len(values))]
    width = max(1, math.ceil((high - low) / bins))
    counts = [0] * math.ceil((high - low) / width + 1e-9)
    for value in values:
        counts[min(int((value - low) // width), len(counts) - 1)] += 1
    return [
        Bin(float(low + i * width), float(low + (i + 1) * width), count)
        for i, count in enumerate(counts)
    ]


def sketch_bins(sketch: sketches.Sketch) -> list[Bin]:
    """One bin per non-empty stretch of a latency sketch's log-spaced buckets, from the
    first to the last non-empty bucket (empty buckets between them kept as zero bars); the
    open-ended last bucket ends at its lower bound times ``GROWTH``. [] for an empty sketch."""
    used = [i for i, n in enumerate(sketch) if n]
    if not used:
        return []
    return [
        Bin(sketches.lower_bound_ms(i), _upper_ms(i), sketch[i])
        for i in range(used[0], used[-1] + 1)
    ]


def _upper_ms(index: int) -> float:
    if index + 1 < sketches.BUCKETS:
        return sketches.lower_bound_ms(index + 1)
    return sketches.lower_bound_ms(index) * sketches.GROWTH


def latency_figure(bins: Sequence[Bin], link: Callable[[Bin], str]) -> dict[str, Any]:
    """Bars of calls per latency bin; ``link(bin)`` is the URL path of the bin's calls."""
    return {
        "data": [
            {
                "type": "bar",
                "x": [(b.low_ms + b.high_ms) / 2 for b in bins],
                "y": [b.count for b in bins],
                "width": [max(b.high_ms - b.low_ms, 1) * 0.95 for b in bins],
                "customdata": [link(b) for b in bins],
                "text": [f"{b.low_ms:,.0f} to {b.high_ms:,.0f} ms" for b in bins],
                "hovertemplate": "%{text}: %{y} calls<extra></extra>",
                "marker": {"color": "#4f46e5"},
            }
        ],
        "layout": {
            "margin": {"l": 40, "r": 8, "t": 4, "b": 32},
            "height": 140,
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)",
            "font": {"family": "system-ui, sans-serif", "size": 11},
            "xaxis": {"ticksuffix": " ms", "gridcolor": "#f3f4f6"},
            "yaxis": {"gridcolor": "#e5e7eb", "rangemode": "tozero"},
            "bargap": 0,
        },
    }
