"""finops.budgets and finops.burndown: periods, thresholds, drivers, the burn-down figure.
Pure: no database, no mocks."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from finops import budgets as rules
from finops.burndown import burndown

ACT, FC = rules.ACTUAL, rules.FORECAST
SPEC = rules.BudgetSpec(
    Decimal("1000"),
    (
        rules.Threshold(ACT, 50),
        rules.Threshold(ACT, 80),
        rules.Threshold(ACT, 100),
        rules.Threshold(FC, 100),
    ),
)


@pytest.mark.parametrize(
    ("kind", "day", "first", "last", "label"),
    [
        ("monthly", date(2026, 2, 14), date(2026, 2, 1), date(2026, 2, 28), "Feb 2026"),
        ("monthly", date(2028, 2, 29), date(2028, 2, 1), date(2028, 2, 29), "Feb 2028"),
        (
            "weekly",
            date(2026, 11, 22),
            date(2026, 11, 16),
            date(2026, 11, 22),
            "week of Nov 16, 2026",
        ),
        (
            "weekly",
            date(2026, 11, 23),
            date(2026, 11, 23),
            date(2026, 11, 29),
            "week of Nov 23, 2026",
        ),
        ("daily", date(2026, 11, 23), date(2026, 11, 23), date(2026, 11, 23), "Nov 23, 2026"),
    ],
)
def test_period_for_is_the_calendar_period(kind, day, first, last, label):
    assert rules.period_for(kind, day) == rules.Period(first, last, label)


def test_unknown_period_is_an_error():
    with pytest.raises(ValueError, match="unknown period 'yearly'"):
        rules.period_for("yearly", date(2026, 1, 1))


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("UTC", date(2026, 12, 1)),
        ("America/Los_Angeles", date(2026, 11, 30)),
        ("Nowhere/Else", date(2026, 12, 1)),
    ],
)
def test_local_day_uses_the_project_time_zone(zone, expected):
    # 02:00 UTC on Dec 1 is still November in California: its monthly budget is November's.
    assert rules.local_day(datetime(2026, 12, 1, 2, tzinfo=UTC), zone) == expected


def test_same_days_of_previous_month_clamps_to_its_length():
    march = rules.period_for("monthly", date(2026, 3, 31))
    february = rules.previous_period("monthly", march)
    assert rules.same_days_of(march, date(2026, 3, 31), february).last == date(2026, 2, 28)
    assert rules.same_days_of(march, date(2026, 3, 12), february).last == date(2026, 2, 12)


@pytest.mark.parametrize(
    ("spent", "forecast", "crossed"),
    [
        ("499.99", None, []),
        ("500.00", None, [(ACT, 50)]),
        ("850", "990", [(ACT, 50), (ACT, 80)]),
        ("300", "1000", [(FC, 100)]),
        ("1000", "1200", [(FC, 100), (ACT, 50), (ACT, 80), (ACT, 100)]),
    ],
)
def test_evaluate_lists_crossed_thresholds(spent, forecast, crossed):
    breaches = rules.evaluate(SPEC, Decimal(spent), Decimal(forecast) if forecast else None)
    assert [(b.kind, b.percent) for b in breaches] == crossed


def test_zero_amount_crosses_nothing():
    spec = rules.BudgetSpec(Decimal("0"), SPEC.thresholds)
    assert rules.evaluate(spec, Decimal("5"), Decimal("5")) == []


def test_loudest_sends_the_highest_new_actual_and_a_forecast_above_it():
    breaches = rules.evaluate(SPEC, Decimal("850"), Decimal("1100"))
    assert [(b.kind, b.percent) for b in rules.loudest(breaches, set())] == [(ACT, 80), (FC, 100)]
    # Already alerted at 50 %: only 80 % is new.
    assert [(b.kind, b.percent) for b in rules.loudest(breaches, {(ACT, 50), (FC, 100)})] == [
        (ACT, 80)
    ]


def test_loudest_drops_a_forecast_that_actual_spend_already_reached():
    breaches = rules.evaluate(SPEC, Decimal("1000"), Decimal("1100"))
    assert [(b.kind, b.percent) for b in rules.loudest(breaches, set())] == [(ACT, 100)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("50, 80, 100", [50, 80, 100]), ("100% 50 50", [50, 100]), ("", [])],
)
def test_parse_percents(text, expected):
    assert rules.parse_percents(text) == expected


@pytest.mark.parametrize("text", ["0", "1001", "ten", "5.5"])
def test_parse_percents_refuses_bad_items(text):
    with pytest.raises(ValueError, match="is not a whole percentage"):
        rules.parse_percents(text)


def test_rank_drivers_orders_by_increase_and_skips_single_valued_dimensions():
    current = [
        ({"feature": "search", "segment": "", "model": "gpt-4o"}, Decimal("300")),
        ({"feature": "chat", "segment": "", "model": "gpt-4o-mini"}, Decimal("500")),
    ]
    previous = [({"feature": "chat", "segment": "", "model": "gpt-4o-mini"}, Decimal("450"))]
    drivers = rules.rank_drivers(current, previous, ("feature", "segment", "model"))

    assert [(d.dimension, d.value, d.change_usd, d.change_pct) for d in drivers] == [
        ("feature", "search", Decimal("300"), None),
        ("model", "gpt-4o", Decimal("300"), None),
        ("feature", "chat", Decimal("50"), Decimal("11.1")),
        ("model", "gpt-4o-mini", Decimal("50"), Decimal("11.1")),
    ]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("4210.555", "$4,210.56"),
        ("0", "$0.00"),
        ("-12.5", "-$12.50"),
        ("1234567.8", "$1,234,567.80"),
    ],
)
def test_format_usd(value, text):
    assert rules.format_usd(Decimal(value)) == text


def test_burndown_draws_cumulative_actual_budget_and_forecast_from_yesterday():
    fig = burndown(
        date(2026, 11, 1),
        date(2026, 11, 4),
        date(2026, 11, 3),
        [(date(2026, 11, 1), Decimal("10")), (date(2026, 11, 3), Decimal("5"))],
        Decimal("40"),
        [
            (date(2026, 11, 3), Decimal("20"), Decimal("18"), Decimal("22")),
            (date(2026, 11, 4), Decimal("30"), Decimal("25"), Decimal("35")),
        ],
        {date(2026, 11, 1): "/p/acme/traces/?start=2026-11-01"},
    )
    traces = {t["name"]: t for t in fig["data"]}
    assert traces["Actual"]["y"] == [10.0, 10.0, 15.0]
    assert traces["Actual"]["customdata"] == ["/p/acme/traces/?start=2026-11-01", "", ""]
    assert traces["Budget"]["y"] == [40.0, 40.0]
    assert traces["Forecast"]["x"] == ["2026-11-02", "2026-11-03", "2026-11-04"]
    assert traces["Forecast"]["y"] == [10.0, 20.0, 30.0]
    assert (
        traces["80% range"]["y"] == [10.0, 22.0, 35.0] and traces["80% range"]["fill"] == "tonexty"
    )
    assert traces["80% low"]["y"] == [10.0, 18.0, 25.0]
