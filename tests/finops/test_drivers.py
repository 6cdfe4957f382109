"""finops.drivers: why cost per outcome moved, split into dollar drivers (pure, no database)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finops import drivers
from finops.drivers import (
    CACHE,
    CALLS_PER_OUTCOME,
    DRIVER_NAMES,
    INPUT_TOKENS,
    MODEL_MIX,
    OUTPUT_TOKENS,
    QUANTUM,
    RETRIES,
    SEGMENT_MIX,
    VOLUME,
    GroupStats,
    PeriodStats,
    decompose,
    decompose_exact,
    weekly,
)


def g(segment, model, calls, tokens_in, tokens_out, cost, retry="0", hits=0):
    return GroupStats(
        segment, model, calls, tokens_in, tokens_out, Decimal(cost), Decimal(retry), hits
    )


# Every case keeps the USD per weighted token (input + 4 x output, the default weight) of
# each model fixed unless the model mix is what moves, so one driver explains everything.
BASE = [g("pro", "mini", 100, 100_000, 10_000, "1.40")]
CASES = {
    "input tokens per call grew": (
        PeriodStats(100, BASE),
        PeriodStats(100, [g("pro", "mini", 100, 200_000, 10_000, "2.40")]),
        {INPUT_TOKENS: Decimal("0.01")},
        "conversation history grew",
    ),
    "output tokens per call grew": (
        PeriodStats(100, BASE),
        PeriodStats(100, [g("pro", "mini", 100, 100_000, 20_000, "1.80")]),
        {OUTPUT_TOKENS: Decimal("0.004")},
        "answers got longer",
    ),
    # mini: $0.001 a call, large: $0.01 a call, same tokens; 90/10 → 50/50.
    "model mix moved to the premium model": (
        PeriodStats(
            100, [g("pro", "mini", 90, 90_000, 0, "0.09"), g("pro", "large", 10, 10_000, 0, "0.10")]
        ),
        PeriodStats(
            100, [g("pro", "mini", 50, 50_000, 0, "0.05"), g("pro", "large", 50, 50_000, 0, "0.50")]
        ),
        {MODEL_MIX: Decimal("0.0036")},
        "premium-model share up",
    ),
    "a new premium model takes half the calls": (
        PeriodStats(100, [g("pro", "mini", 100, 100_000, 0, "0.10")]),
        PeriodStats(
            100, [g("pro", "mini", 50, 50_000, 0, "0.05"), g("pro", "large", 50, 50_000, 0, "0.50")]
        ),
        {MODEL_MIX: Decimal("0.0045")},
        "premium-model share up",
    ),
    # 10 of 100 calls were retries ($0.10); then 20 of 110 ($0.20): first attempts unchanged.
    "retries doubled": (
        PeriodStats(100, [g("pro", "mini", 100, 100_000, 0, "1.00", retry="0.10")]),
        PeriodStats(100, [g("pro", "mini", 110, 110_000, 0, "1.10", retry="0.20")]),
        {RETRIES: Decimal("0.001")},
        "retry loops",
    ),
    # free: 1,000 tokens ($0.001) a call, enterprise: 3,000 ($0.003); 80/20 → 50/50.
    "segment mix moved to the costlier segment": (
        PeriodStats(
            100, [g("free", "mini", 80, 80_000, 0, "0.08"), g("ent", "mini", 20, 60_000, 0, "0.06")]
        ),
        PeriodStats(
            100,
            [g("free", "mini", 50, 50_000, 0, "0.05"), g("ent", "mini", 50, 150_000, 0, "0.15")],
        ),
        {SEGMENT_MIX: Decimal("0.0006")},
        "costlier segments' share up",
    ),
    "a new segment appears with costlier calls": (
        PeriodStats(100, [g("free", "mini", 100, 100_000, 0, "0.10")]),
        PeriodStats(
            100,
            [g("free", "mini", 50, 50_000, 0, "0.05"), g("ent", "mini", 50, 150_000, 0, "0.15")],
        ),
        {SEGMENT_MIX: Decimal("0.001")},
        "costlier segments' share up",
    ),
    # 20 of 100 requests answered by the app cache (zero-token, zero-cost call rows).
    "cache hits rose": (
        PeriodStats(100, [g("pro", "mini", 100, 100_000, 0, "1.00")]),
        PeriodStats(100, [g("pro", "mini", 100, 80_000, 0, "0.80", hits=20)]),
        {CACHE: Decimal("-0.002")},
        "more cache hits",
    ),
    "outcomes halved at the same calls": (
        PeriodStats(100, BASE),
        PeriodStats(50, BASE),
        {CALLS_PER_OUTCOME: Decimal("0.014")},
        "more calls per outcome",
    ),
    # $10 fixed over 100 then 200 outcomes, calls per outcome unchanged.
    "fixed spend spread over twice the outcomes": (
        PeriodStats(100, [g("pro", "mini", 100, 100_000, 0, "1.00")], Decimal("10")),
        PeriodStats(200, [g("pro", "mini", 200, 200_000, 0, "2.00")], Decimal("10")),
        {VOLUME: Decimal("-0.05")},
        "fixed spend per outcome down",
    ),
    "no calls before, calls after": (
        PeriodStats(100, []),
        PeriodStats(100, BASE),
        {CALLS_PER_OUTCOME: Decimal("0.014")},
        "more calls per outcome",
    ),
    "cost without token counts grows with calls per outcome": (
        PeriodStats(100, [g("pro", "image", 100, 0, 0, "2.00")]),
        PeriodStats(100, [g("pro", "image", 150, 0, 0, "3.00")]),
        {CALLS_PER_OUTCOME: Decimal("0.01")},
        "more calls per outcome",
    ),
}


@pytest.mark.parametrize(("before", "after", "expected", "phrase"), CASES.values(), ids=CASES)
def test_single_change_is_all_explained_by_its_driver(before, after, expected, phrase):
    moved = decompose(before, after)

    assert {d.name: d.delta_usd for d in moved.drivers} == {
        name: expected.get(name, Decimal(0)) for name in DRIVER_NAMES
    }
    assert moved.change_usd == sum(expected.values())
    assert moved.primary.name == next(iter(expected))
    assert moved.primary.phrase == phrase
    assert moved.primary.share == Decimal("1")


def test_no_change_gives_zero_drivers_and_no_primary():
    moved = decompose(PeriodStats(100, BASE), PeriodStats(100, BASE))

    assert moved.change_usd == Decimal(0)
    assert [d.delta_usd for d in moved.drivers] == [Decimal(0)] * len(DRIVER_NAMES)
    assert {d.phrase for d in moved.drivers} == {"no change"}
    assert {d.share for d in moved.drivers} == {None}
    assert moved.primary is None


def test_cost_per_outcome_before_and_after_are_spend_over_outcomes():
    moved = decompose(PeriodStats(100, BASE), PeriodStats(100, BASE, Decimal("0.6")))

    assert (moved.before_usd, moved.after_usd) == (Decimal("0.014"), Decimal("0.02"))
    assert moved.change_usd == Decimal("0.006")


@pytest.mark.parametrize(
    ("before_outcomes", "after_outcomes", "before_usd", "after_usd", "which"),
    [
        (0, 100, None, Decimal("0.014"), "earlier period"),
        (100, 0, Decimal("0.014"), None, "later period"),
        (0, 0, None, None, "earlier and later period"),
    ],
)
def test_period_without_outcomes_is_undefined_not_an_error(
    before_outcomes, after_outcomes, before_usd, after_usd, which
):
    moved = decompose(PeriodStats(before_outcomes, BASE), PeriodStats(after_outcomes, BASE))

    assert not moved.is_defined
    assert (moved.before_usd, moved.after_usd) == (before_usd, after_usd)
    assert (moved.change_usd, moved.drivers, moved.primary) == (None, (), None)
    assert f"No outcomes in the {which}" in moved.note


def test_periods_without_calls_have_zero_cost_and_zero_drivers():
    moved = decompose(PeriodStats(10, []), PeriodStats(20, [g("pro", "mini", 0, 0, 0, "0")]))

    assert (moved.before_usd, moved.after_usd, moved.change_usd) == (0, 0, 0)
    assert moved.primary is None


@pytest.mark.parametrize(
    ("name", "delta", "phrase"),
    [
        (INPUT_TOKENS, "-0.01", "prompts got shorter"),
        (OUTPUT_TOKENS, "-0.004", "answers got shorter"),
        (MODEL_MIX, "-0.0036", "cheaper-model share up"),
        (RETRIES, "-0.001", "fewer retries and fallbacks"),
        (SEGMENT_MIX, "-0.0006", "cheaper segments' share up"),
        (CACHE, "0.002", "fewer cache hits"),
        (CALLS_PER_OUTCOME, "-0.014", "fewer calls per outcome"),
        (VOLUME, "0.05", "fixed spend per outcome up"),
    ],
)
def test_reversed_change_flips_sign_and_words(name, delta, phrase):
    before, after, _, _ = next(c for c in CASES.values() if name in c[2])

    moved = decompose(after, before)

    assert moved.primary.name == name
    assert moved.primary.delta_usd == Decimal(delta)
    assert moved.primary.phrase == phrase


def test_offsetting_drivers_have_shares_that_sum_to_one():
    # Requests per outcome x1.5, 20 % of them cached, $0.014 each: V = n * h * 0.014.
    # Shapley splits the interaction evenly: n gets (0.5 + 0.4) / 2 * 0.014 = 0.0063,
    # h gets (-0.2 - 0.3) / 2 * 0.014 = -0.0035.
    before = PeriodStats(100, BASE)
    after = PeriodStats(100, [g("pro", "mini", 150, 120_000, 12_000, "1.68", hits=30)])

    moved = decompose(before, after)
    by_name = {d.name: d for d in moved.drivers}

    assert moved.change_usd == Decimal("0.0028")
    assert by_name[CALLS_PER_OUTCOME].delta_usd == Decimal("0.0063")
    assert by_name[CACHE].delta_usd == Decimal("-0.0035")
    assert by_name[CALLS_PER_OUTCOME].share == Decimal("2.25")
    assert by_name[CACHE].share == Decimal("-1.25")
    assert moved.primary.phrase == "more calls per outcome"


def test_period_of_only_retries_still_adds_up():
    before = PeriodStats(10, [g("pro", "mini", 5, 500, 50, "0.05", retry="0.05")])
    after = PeriodStats(10, [g("pro", "mini", 5, 500, 50, "0.03")])

    moved = decompose(before, after)

    assert sum(d.delta_usd for d in moved.drivers) == moved.change_usd == Decimal("-0.002")
    assert moved.primary.name == MODEL_MIX  # cheaper per token; retries unmeasurable before


def test_output_weight_moves_a_token_change_between_input_and_output():
    before = PeriodStats(10, [g("pro", "m", 10, 1000, 1000, "0.02")])
    after = PeriodStats(10, [g("pro", "m", 10, 2000, 2000, "0.04")])

    even = decompose(before, after, {"m": Decimal(1)})
    by_name = {d.name: d.delta_usd for d in even.drivers}

    assert by_name[INPUT_TOKENS] == by_name[OUTPUT_TOKENS] == Decimal("0.001")


@pytest.mark.parametrize(
    "row",
    [
        dict(calls=1, cost_usd=Decimal("0.1"), retry_cost_usd=Decimal("0.2")),
        dict(calls=1, cost_usd=Decimal("0.1"), cache_hits=2),
        dict(calls=1, cost_usd=Decimal("0.1"), cache_hits=1),
        dict(calls=-1, cost_usd=Decimal("0")),
    ],
)
def test_inconsistent_group_row_is_rejected(row):
    with pytest.raises(ValueError):
        GroupStats(segment="pro", model="m", input_tokens=0, output_tokens=0, **row)


def _week(label, outcomes, tokens_in, cost, retry="0", calls=100):
    return PeriodStats(outcomes, [g("pro", "mini", calls, tokens_in, 0, cost, retry)], label=label)


def test_weekly_names_each_weeks_primary_driver_against_the_week_before():
    series = [_week(f"W{n}", 100, 100_000, "1.00") for n in range(1, 10)]
    series[4] = _week("W5", 100, 150_000, "1.50")  # longer prompts
    # then 10 retries of the same shape ($0.015 each)
    series[5] = _week("W6", 100, 165_000, "1.65", retry="0.15", calls=110)
    series[6] = _week("W7", 0, 165_000, "1.65")  # no outcomes recorded

    weeks = weekly(series)

    assert [w.label for w in weeks] == [f"W{n}" for n in range(2, 10)]
    assert [w.primary_phrase for w in weeks] == [
        "no change",
        "no change",
        "no change",
        "conversation history grew",
        "retry loops",
        "No outcomes in the later period, so cost per outcome is undefined.",
        "No outcomes in the earlier period, so cost per outcome is undefined.",
        "no change",
    ]
    assert weeks[4].primary_driver == RETRIES
    assert weeks[4].change_usd == Decimal("0.0015")
    assert (weeks[4].spend_usd, weeks[4].cost_per_outcome_usd) == (
        Decimal("1.65"),
        Decimal("0.0165"),
    )
    assert weeks[5].cost_per_outcome_usd is None
    assert {w.active_customers for w in weeks} == {None}


def test_weekly_first_week_without_history_has_no_driver():
    weeks = weekly([_week("W1", 100, 100_000, "1.00")])

    assert len(weeks) == 1
    assert (weeks[0].change_usd, weeks[0].primary_driver, weeks[0].primary_phrase) == (
        None,
        None,
        "",
    )


def test_caller_fills_active_customers():
    week = weekly([_week("W1", 100, 100_000, "1.00")])[0]

    assert replace(week, active_customers=42).active_customers == 42


# Invariants on random periods: segments and models overlap only partly, rows may have no
# calls, no tokens, only cache hits, or only retries.
@st.composite
def groups(draw):
    paid = draw(st.integers(0, 40))
    hits = draw(st.integers(0, 10))
    cost = Decimal(0)
    if paid:
        cost = draw(st.decimals(0, 50, places=4))
    retry = draw(st.decimals(0, cost, places=4)) if cost else Decimal(0)
    return GroupStats(
        segment=draw(st.sampled_from(["free", "pro", "ent"])),
        model=draw(st.sampled_from(["mini", "large", "image"])),
        calls=paid + hits,
        input_tokens=draw(st.integers(0, 10**6)) if paid else 0,
        output_tokens=draw(st.integers(0, 10**5)) if paid else 0,
        cost_usd=cost,
        retry_cost_usd=retry,
        cache_hits=hits,
    )


periods = st.builds(
    PeriodStats,
    outcomes=st.integers(1, 10**4),
    groups=st.lists(groups(), max_size=5),
    fixed_cost_usd=st.sampled_from([Decimal(0), Decimal(0), Decimal("12.5")]),
)
weights = st.dictionaries(st.sampled_from(["mini", "large"]), st.decimals(0, 10, places=2))


@settings(max_examples=150, deadline=None)
@given(periods, periods, weights)
def test_drivers_add_up_exactly_to_the_change(before, after, output_weights):
    moved = decompose(before, after, output_weights)

    assert sum(d.delta_usd for d in moved.drivers) == moved.change_usd
    assert moved.change_usd == after.cost_per_outcome_usd - before.cost_per_outcome_usd


@settings(max_examples=150, deadline=None)
@given(periods, periods, weights)
def test_exact_drivers_add_up_to_the_exact_change(before, after, output_weights):
    exact = decompose_exact(before, after, output_weights)
    change = (
        Fraction(after.spend_usd) / after.outcomes - Fraction(before.spend_usd) / before.outcomes
    )

    assert sum(exact.values()) == change


@settings(max_examples=100, deadline=None)
@given(periods, periods)
def test_rounding_moves_no_driver_by_more_than_a_few_quanta(before, after):
    exact = decompose_exact(before, after)

    for driver in decompose(before, after).drivers:
        assert abs(Fraction(driver.delta_usd) - exact[driver.name]) <= 6 * Fraction(QUANTUM)


@settings(max_examples=100, deadline=None)
@given(periods, periods)
def test_swapping_the_periods_negates_every_driver(before, after):
    forward, backward = decompose(before, after), decompose(after, before)

    assert [d.delta_usd for d in backward.drivers] == [-d.delta_usd for d in forward.drivers]


@settings(max_examples=100, deadline=None)
@given(periods, periods, st.integers(2, 7))
def test_scaling_both_periods_changes_no_driver(before, after, k):
    def scaled(p):
        rows = [
            replace(
                row,
                calls=row.calls * k,
                input_tokens=row.input_tokens * k,
                output_tokens=row.output_tokens * k,
                cost_usd=row.cost_usd * k,
                retry_cost_usd=row.retry_cost_usd * k,
                cache_hits=row.cache_hits * k,
            )
            for row in p.groups
        ]
        return replace(p, outcomes=p.outcomes * k, groups=rows, fixed_cost_usd=p.fixed_cost_usd * k)

    assert decompose(scaled(before), scaled(after)) == decompose(before, after)


def test_module_constants_cover_every_driver():
    assert set(drivers.LABELS) == set(drivers.PHRASES) == set(DRIVER_NAMES)
