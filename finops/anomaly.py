"""Spend anomalies: a day far outside its trailing same-weekday behaviour (pure, no Django).

The baseline of a day is its weekday over the trailing 4 weeks (the days 7, 14, 21 and 28 days
before it): ``expected`` is their median and the spread their median absolute deviation (MAD).
The robust z score is ``|spend - expected| / (1.4826 * MAD)``, the MAD floored at
``MAD_FLOOR_SHARE`` of the expected spend and at ``MAD_FLOOR_USD`` so that a flat or all-zero
history does not turn every cent into an infinite score. A day is an anomaly when its score
reaches ``threshold`` **and** its dollar impact reaches ``min_impact_usd``: a tiny scope that
triples from $0.40 to $1.20 is not worth an email.

Only days above the baseline are reported unless ``upward=False`` (a drop in spend is rarely a
finance problem; it may be a tracking outage, which is what ``upward=False`` is for).
Money: Decimal in and out, rounded to 1e-6 USD.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from statistics import median

WEEKS = 4  # trailing same-weekday days in the baseline
MIN_WEEKS = 3  # fewer known same-weekday days than this: no verdict
MAD_FLOOR_SHARE = Decimal("0.05")  # MAD never below 5 % of the expected spend
MAD_FLOOR_USD = Decimal("0.01")  # nor below one cent (all-zero history)
MAD_TO_SIGMA = Decimal("1.4826")  # MAD of a normal distribution times this is its sigma
MICRO = Decimal("0.000001")


@dataclass(frozen=True)
class Anomaly:
    """A day of unusual spend. USD Decimals rounded to 1e-6."""

    day: date
    spend_usd: Decimal
    expected_usd: Decimal  # median of the same weekday over the trailing 4 weeks
    score: float  # robust z: |spend - expected| / (1.4826 * max(MAD, floor))
    impact_usd: Decimal  # spend - expected (negative for a drop)
    baseline_usd: tuple[Decimal, ...] = ()  # the same-weekday days the median came from


def detect(
    daily: Sequence[tuple[date, Decimal]],
    day: date,
    *,
    min_impact_usd: Decimal = Decimal("10"),
    threshold: float = 4.0,
    upward: bool = True,
) -> Anomaly | None:
    """The anomaly of ``day`` in ``daily`` (USD spend per day), or None if it is not one.

    A day missing from ``daily`` counts as $0 if it comes after the first day listed; days
    before the first listed are unknown. Fewer than ``MIN_WEEKS`` known same-weekday days in
    the trailing 4 weeks: None (not enough history to judge).
    """
    by_day = {d: Decimal(v) for d, v in daily}
    if not by_day:
        return None
    first = min(by_day)
    baseline = _same_weekday(by_day, first, day)
    if len(baseline) < MIN_WEEKS:
        return None
    spend = by_day.get(day, Decimal(0)) if day >= first else Decimal(0)
    expected = median(baseline)
    spread = max(
        median(abs(b - expected) for b in baseline),
        _pooled_relative_mad(by_day, first, day) * abs(expected),
        MAD_FLOOR_SHARE * abs(expected),
        MAD_FLOOR_USD,
    )
    impact = spend - expected
    score = float(abs(impact) / (MAD_TO_SIGMA * spread))
    if upward and impact <= 0:
        return None
    if score < threshold or abs(impact) < min_impact_usd:
        return None
    return Anomaly(
        day=day,
        spend_usd=spend.quantize(MICRO),
        expected_usd=expected.quantize(MICRO),
        score=round(score, 3),
        impact_usd=impact.quantize(MICRO),
        baseline_usd=tuple(b.quantize(MICRO) for b in baseline),
    )


def _same_weekday(by_day: dict[date, Decimal], first: date, day: date) -> list[Decimal]:
    """Spend on the same weekday in the ``WEEKS`` weeks before ``day`` (known days only)."""
    weeks = (day - timedelta(days=7 * k) for k in range(1, WEEKS + 1))
    return [by_day.get(d, Decimal(0)) for d in weeks if d >= first]


def _pooled_relative_mad(by_day: dict[date, Decimal], first: date, day: date) -> Decimal:
    """The median relative error of this same-weekday median as a prediction of each of the
    28 days before ``day``: a spread from 28 days instead of 4, so that 4 close values by
    chance do not make an ordinary day look extreme, and one that includes the baseline's lag
    behind a growing series."""
    errors = []
    for back in range(1, 7 * WEEKS + 1):
        past = day - timedelta(days=back)
        baseline = _same_weekday(by_day, first, past)
        if past < first or len(baseline) < MIN_WEEKS:
            continue
        centre = median(baseline)
        if centre > 0:
            errors.append(abs(by_day.get(past, Decimal(0)) - centre) / centre)
    return median(errors) if errors else Decimal(0)
