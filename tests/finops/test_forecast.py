"""finops.forecast: period-end spend forecast on synthetic series (pure, no database)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest

from finops.forecast import MIN_DAYS, Forecast, forecast_period

JUNE = (date(2026, 6, 1), date(2026, 6, 30))  # starts on a Monday
HISTORY_DAYS = 56

Series = Callable[[date], float]


def flat(day: date) -> float:
    return 100.0


def growing(day: date) -> float:
    """+20 % per 30 days, like the simulator's cost drift."""
    return 100.0 * 1.2 ** ((day - date(2026, 1, 1)).days / 30)


def weekly(day: date) -> float:
    """Weekends at 30 % of weekdays."""
    return 30.0 if day.weekday() >= 5 else 100.0


def spike(day: date) -> float:
    """Flat, with one day at 10 times the usual spend on June 10."""
    return 1000.0 if day == date(2026, 6, 10) else 100.0


def step_up(day: date) -> float:
    """Flat, then twice as much from June 8 on (a new feature launched)."""
    return 200.0 if day >= date(2026, 6, 8) else 100.0


def _rows(series: Series, first: date, end: date) -> list[tuple[date, Decimal]]:
    days = (first + timedelta(days=i) for i in range((end - first).days))
    return [(d, Decimal(repr(round(series(d), 6)))) for d in days]


def _forecast(series: Series, today: date, period=JUNE, history_days=HISTORY_DAYS, budget=None):
    first, last = period
    daily = _rows(series, first, min(today, last + timedelta(days=1)))
    history = _rows(series, first - timedelta(days=history_days), first)
    return forecast_period(daily, first, last, today, history, budget)


def _actual_total(series: Series, period=JUNE) -> float:
    first, last = period
    return sum(float(v) for _, v in _rows(series, first, last + timedelta(days=1)))


@pytest.mark.parametrize(
    ("series", "day"),
    [(s, d) for s in (flat, growing, weekly) for d in (8, 15, 22)]
    + [(s, d) for s in (spike, step_up) for d in (15, 22)],
)
def test_total_is_close_to_the_realized_total_on_noise_free_series(series, day):
    forecast = _forecast(series, date(2026, 6, day))
    actual = _actual_total(series)

    assert forecast.enough_data
    assert abs(float(forecast.total_usd) / actual - 1) < 0.04


@pytest.mark.parametrize("series", [flat, weekly])
def test_total_is_exact_on_a_flat_or_strictly_weekly_series(series):
    forecast = _forecast(series, date(2026, 6, 11))

    assert forecast.total_usd == Decimal(repr(_actual_total(series))).quantize(Decimal("1e-6"))


def test_a_one_day_spike_does_not_carry_into_the_rest_of_the_period():
    spiked = _forecast(spike, date(2026, 6, 11))
    plain = _forecast(flat, date(2026, 6, 11))
    extra = Decimal(900)

    assert spiked.to_date_usd == plain.to_date_usd + extra
    # The 20 remaining days move by less than 5 % of the spike.
    rest_moved = (spiked.total_usd - spiked.to_date_usd) - (plain.total_usd - plain.to_date_usd)
    assert abs(rest_moved) < extra * Decimal("0.05")


def test_a_lasting_step_is_followed_within_three_days():
    forecast = _forecast(step_up, date(2026, 6, 11))  # 3 days at the new level
    rest = forecast.total_usd - forecast.to_date_usd

    assert abs(rest / Decimal(20 * 200) - 1) < Decimal("0.05")


def test_weekday_pattern_is_carried_into_the_remaining_days():
    forecast = _forecast(weekly, date(2026, 6, 11))
    per_day = [forecast.daily_usd[0][1] - forecast.to_date_usd] + [
        b[1] - a[1] for a, b in zip(forecast.daily_usd, forecast.daily_usd[1:], strict=False)
    ]
    by_day = dict(zip((row[0] for row in forecast.daily_usd), per_day, strict=True))

    assert by_day[date(2026, 6, 13)] == pytest.approx(Decimal(30), abs=Decimal("0.5"))  # Sat
    assert by_day[date(2026, 6, 15)] == pytest.approx(Decimal(100), abs=Decimal("0.5"))  # Mon


def test_daily_rows_are_cumulative_and_end_at_the_period_total():
    forecast = _forecast(weekly, date(2026, 6, 20))

    assert [row[0] for row in forecast.daily_usd] == [
        date(2026, 6, 20) + timedelta(days=i) for i in range(11)
    ]
    means = [row[1] for row in forecast.daily_usd]
    assert means == sorted(means)
    assert forecast.daily_usd[-1][1:] == (forecast.total_usd, forecast.low_usd, forecast.high_usd)
    assert all(low <= mean <= high for _, mean, low, high in forecast.daily_usd)
    assert forecast.low_usd >= forecast.to_date_usd


@pytest.mark.parametrize(
    ("daily_days", "history_days", "enough"),
    [
        (0, 0, False),
        (1, 0, False),
        (2, 0, False),
        (3, 0, True),
        (0, 3, True),
        (1, 2, True),
        (0, 2, False),
    ],
)
def test_enough_data_needs_three_days_with_or_before_the_first_spend(
    daily_days, history_days, enough
):
    today = JUNE[0] + timedelta(days=daily_days)
    forecast = _forecast(flat, today, history_days=history_days)

    assert forecast.enough_data is enough
    assert forecast.days_of_data == daily_days + history_days
    assert (forecast.enough_data is False) == (forecast.days_of_data < MIN_DAYS)


def test_days_before_the_first_spend_are_not_data():
    daily = [(date(2026, 6, 9), Decimal(50)), (date(2026, 6, 10), Decimal(50))]
    forecast = forecast_period(daily, *JUNE, today=date(2026, 6, 11))

    assert forecast.days_of_data == 2
    assert not forecast.enough_data
    assert forecast.total_usd == Decimal(100 + 20 * 50)  # the run rate of the days with data


def test_no_spend_at_all_forecasts_zero():
    forecast = forecast_period([], *JUNE, today=date(2026, 6, 11), budget_usd=Decimal(10))

    assert (forecast.total_usd, forecast.low_usd, forecast.high_usd) == (0, 0, 0)
    assert forecast.crosses_on is None
    assert not forecast.enough_data


def test_an_empty_history_forecasts_from_the_period_alone():
    forecast = _forecast(flat, date(2026, 6, 8), history_days=0)

    assert forecast.enough_data
    assert forecast.total_usd == Decimal(3000)


def test_a_period_of_one_day_is_forecast_from_history():
    day = date(2026, 6, 10)
    forecast = _forecast(weekly, day, period=(day, day))

    assert forecast.to_date_usd == 0
    assert forecast.total_usd == pytest.approx(Decimal(100), abs=Decimal("0.5"))
    assert [row[0] for row in forecast.daily_usd] == [day]


def test_a_complete_period_is_its_actual_spend_with_no_range():
    forecast = _forecast(weekly, date(2026, 7, 3))

    assert forecast.total_usd == forecast.low_usd == forecast.high_usd == forecast.to_date_usd
    assert forecast.to_date_usd == Decimal(repr(_actual_total(weekly)))
    assert forecast.daily_usd == ()


@pytest.mark.parametrize(
    ("budget", "crosses_on"),
    [
        # $100/day: $1,000 by June 10; the forecast reaches $2,500 at the end of June 25.
        (Decimal(2500), date(2026, 6, 25)),
        (Decimal("2500.01"), date(2026, 6, 26)),
        (Decimal(3000), date(2026, 6, 30)),
        (Decimal("3000.01"), None),
        # Already spent: the day the actual spend reached it.
        (Decimal(300), date(2026, 6, 3)),
        (Decimal(1000), date(2026, 6, 10)),
        (Decimal("1000.01"), date(2026, 6, 11)),
        (None, None),
    ],
)
def test_crosses_on_is_the_first_day_the_cumulative_spend_reaches_the_budget(budget, crosses_on):
    assert _forecast(flat, date(2026, 6, 11), budget=budget).crosses_on == crosses_on


@pytest.mark.parametrize(
    ("daily", "history", "message"),
    [
        ([(date(2026, 6, 11), Decimal(1))], [], "daily has a row for 2026-06-11"),
        ([(date(2026, 5, 31), Decimal(1))], [], "daily has a row for 2026-05-31"),
        ([], [(date(2026, 6, 1), Decimal(1))], "history has a row for 2026-06-01"),
    ],
)
def test_rows_outside_their_range_are_refused(daily, history, message):
    with pytest.raises(ValueError, match=message):
        forecast_period(daily, *JUNE, today=date(2026, 6, 11), history=history)


def test_money_is_decimal_rounded_to_micro_dollars():
    forecast = _forecast(growing, date(2026, 6, 11), budget=Decimal(4000))

    values = [forecast.total_usd, forecast.low_usd, forecast.high_usd, forecast.to_date_usd]
    values += [v for row in forecast.daily_usd for v in row[1:]]
    assert all(isinstance(v, Decimal) and v.as_tuple().exponent == -6 for v in values)
    assert isinstance(forecast, Forecast)


def _noisy_month(rng: random.Random, known_days: int = 30) -> Series:
    """A random month: a base rate, a drift of -10..+30 % a month, weekends at 30-100 %, daily
    log-normal noise of 5-25 %, and in a third of the months a one-day spike of 6x within the
    first ``known_days`` days (a spike still to come is an anomaly, not something a forecast
    can foresee)."""
    base = rng.uniform(20, 2000)
    drift = rng.uniform(-0.1, 0.3)
    weekend = rng.uniform(0.3, 1.0)
    noise = {d: rng.lognormvariate(0, rng.uniform(0.05, 0.25)) for d in range(-HISTORY_DAYS, 31)}
    spike_day = rng.randrange(1, known_days + 1) if rng.random() < 1 / 3 else None
    first = JUNE[0]

    def series(day: date) -> float:
        offset = (day - first).days
        value = base * (1 + drift) ** (offset / 30) * (weekend if day.weekday() >= 5 else 1)
        value *= noise[offset] * (6 if offset + 1 == spike_day else 1)
        return value

    return series


@pytest.mark.parametrize("day", [4, 8, 15, 22, 29])
def test_the_80_percent_range_covers_the_realized_total_in_most_simulated_months(day):
    rng = random.Random(7 + day)
    trials = 200
    covered = 0
    for _ in range(trials):
        series = _noisy_month(rng, known_days=day - 1)
        forecast = _forecast(series, date(2026, 6, day))
        covered += forecast.low_usd <= Decimal(repr(_actual_total(series))) <= forecast.high_usd

    assert 0.65 <= covered / trials <= 0.95


def test_the_range_narrows_as_the_period_fills():
    series = _noisy_month(random.Random(3))
    widths = [
        _forecast(series, date(2026, 6, day)).high_usd
        - _forecast(series, date(2026, 6, day)).low_usd
        for day in (5, 12, 19, 26)
    ]

    assert widths == sorted(widths, reverse=True)
    assert not math.isclose(widths[0], widths[-1])
