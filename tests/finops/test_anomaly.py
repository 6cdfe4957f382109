"""finops.anomaly: robust same-weekday anomaly score (pure, no database)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from finops.anomaly import Anomaly, detect

START = date(2026, 5, 4)  # a Monday
SPIKE = date(2026, 6, 10)  # a Wednesday, 37 days after START


def _series(values: dict[date, Decimal] | None = None, days: int = 60, base=Decimal(100)):
    """Weekdays at ``base``, weekends at 30 % of it, with ``values`` overriding days."""
    rows = {}
    for i in range(days):
        day = START + timedelta(days=i)
        rows[day] = base * Decimal("0.3") if day.weekday() >= 5 else base
    rows.update(values or {})
    return sorted(rows.items())


def test_a_spike_day_is_flagged_with_its_baseline_and_impact():
    anomaly = detect(_series({SPIKE: Decimal(1000)}), SPIKE)

    assert anomaly == Anomaly(
        day=SPIKE,
        spend_usd=Decimal("1000.000000"),
        expected_usd=Decimal("100.000000"),
        score=pytest.approx(900 / (1.4826 * 5), abs=1e-3),  # MAD floored at 5 % of $100
        impact_usd=Decimal("900.000000"),
        baseline_usd=(Decimal("100.000000"),) * 4,
    )


@pytest.mark.parametrize("offset", [-7, -2, -1, 1, 2, 7, 14])
def test_the_neighbours_of_a_spike_are_not_flagged(offset):
    daily = _series({SPIKE: Decimal(1000)})

    assert detect(daily, SPIKE + timedelta(days=offset)) is None


def test_a_weekend_is_judged_against_weekends():
    saturday = date(2026, 6, 13)
    daily = _series({saturday: Decimal(100)})  # a weekday's spend on a Saturday ($30 usually)

    anomaly = detect(daily, saturday)

    assert anomaly is not None
    assert anomaly.expected_usd == Decimal("30.000000")
    assert anomaly.impact_usd == Decimal("70.000000")


@pytest.mark.parametrize(
    ("spend", "min_impact", "flagged"),
    [
        (Decimal(1000), Decimal(10), True),
        (Decimal(1000), Decimal(900), True),
        (Decimal(1000), Decimal("900.01"), False),  # impact under the minimum
        (Decimal(129), Decimal(10), False),  # score 3.9 under the threshold of 4
        (Decimal(130), Decimal(10), True),  # score 4.05
        (Decimal(130), Decimal(50), False),
    ],
)
def test_a_day_needs_both_the_score_and_the_dollar_impact(spend, min_impact, flagged):
    anomaly = detect(_series({SPIKE: spend}), SPIKE, min_impact_usd=min_impact)

    assert (anomaly is not None) is flagged


@pytest.mark.parametrize(
    ("history", "spend", "flagged"),
    [
        (Decimal(0), Decimal("9.99"), False),  # the MAD floor makes the score finite; $ rule
        (Decimal(0), Decimal(10), True),
        (Decimal(0), Decimal(0), False),
        (Decimal(50), Decimal(50), False),
        (Decimal(50), Decimal("64.82"), False),  # score (14.82 / (1.4826 * 2.5)) < 4
        (Decimal(50), Decimal(70), True),
    ],
)
def test_a_flat_or_zero_history_uses_the_mad_floor(history, spend, flagged):
    daily = [(START + timedelta(days=i), history) for i in range(35)] + [(SPIKE, spend)]

    anomaly = detect(daily, SPIKE)

    assert (anomaly is not None) is flagged
    if anomaly:
        assert anomaly.score < float("inf")


def test_a_missing_day_after_the_first_counts_as_zero_spend():
    daily = [(SPIKE - timedelta(days=7 * k), Decimal(100)) for k in (1, 2, 4)]
    daily.append((SPIKE, Decimal(300)))

    anomaly = detect(daily, SPIKE)  # baseline 100, 100, 0 (missing), 100: median 100

    assert anomaly is not None
    assert anomaly.baseline_usd == tuple(
        Decimal(v).quantize(Decimal("1e-6")) for v in (100, 100, 0, 100)
    )


@pytest.mark.parametrize("weeks", [0, 1, 2])
def test_under_three_weeks_of_history_gives_no_verdict(weeks):
    daily = [(SPIKE - timedelta(days=7 * k), Decimal(100)) for k in range(1, weeks + 1)]
    daily.append((SPIKE, Decimal(100_000)))

    assert detect(daily, SPIKE) is None


def test_a_drop_is_reported_only_when_asked():
    daily = _series({SPIKE: Decimal(0)})

    assert detect(daily, SPIKE) is None
    anomaly = detect(daily, SPIKE, upward=False)
    assert anomaly is not None
    assert anomaly.impact_usd == Decimal("-100.000000")


def test_an_empty_series_gives_no_verdict():
    assert detect([], SPIKE) is None


def _noisy_growth(seed: int, spike_day: int | None = None) -> list[tuple[date, Decimal]]:
    """90 days growing +20 % a month (the simulator's drift), weekends at 30 %, log-normal
    daily noise of 15 %; ``spike_day`` (an index) at 3 times its usual spend."""
    rng = random.Random(seed)
    rows = []
    for i in range(90):
        day = START + timedelta(days=i)
        value = 500 * 1.2 ** (i / 30) * (0.3 if day.weekday() >= 5 else 1)
        value *= rng.lognormvariate(0, 0.15) * (3 if i == spike_day else 1)
        rows.append((day, Decimal(repr(round(value, 6)))))
    return rows


def test_ordinary_noisy_growing_days_are_rarely_flagged():
    """Under 1.5 % of 1,360 ordinary days (40 series x 34 days) flagged at the defaults."""
    flagged = checked = 0
    for seed in range(40):
        daily = _noisy_growth(seed)
        for day, _ in daily[56:]:
            checked += 1
            flagged += detect(daily, day) is not None

    assert flagged / checked < 0.015


def test_a_tripled_day_in_a_noisy_growing_series_is_flagged():
    spike_days = [60 + seed % 30 for seed in range(40)]
    found = sum(
        detect(daily, daily[i][0]) is not None
        for i, daily in ((i, _noisy_growth(seed, i)) for seed, i in enumerate(spike_days))
    )

    assert found / len(spike_days) >= 0.95
