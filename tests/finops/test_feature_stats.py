"""Pure pieces of the feature page: totals and rates, bounded driver cells, tables as CSV and
chart points that link to their calls."""

from __future__ import annotations

from decimal import Decimal

import pytest

from finops import drivers, feature_charts
from finops.drivers import GroupStats, PeriodStats
from finops.feature_stats import OTHER, CallTotals, Kpis, bound_cells, change_pct, pct, per, ratio
from finops.tables import Column, Table


@pytest.mark.parametrize(
    ("fn", "a", "b", "expected"),
    [
        (per, Decimal("1"), 3, Decimal("0.3333333333")),
        (per, Decimal("1"), 0, None),
        (pct, 1, 3, Decimal("33.3")),
        (pct, 2, 3, Decimal("66.7")),
        (pct, 1, 0, None),
        (ratio, 10, 4, Decimal("2.50")),
        (change_pct, Decimal("1.5"), Decimal("1"), Decimal("50.0")),
        (change_pct, Decimal("1"), Decimal("0"), None),
        (change_pct, None, Decimal("1"), None),
    ],
)
def test_rounding_helpers(fn, a, b, expected):
    assert fn(a, b) == expected


def test_call_totals_add_rows_and_merge_sketches():
    totals = CallTotals()
    totals.add({"calls": 2, "cost_usd": Decimal("0.1"), "retries": 1, "latency_sketch": [0, 2]})
    totals.add({"calls": 2, "cost_usd": "0.25", "quality_sum": 1.5, "quality_count": 2})
    totals.add({"calls": 1, "latency_sketch": [1], "retrieval_calls": 1, "retrieval_chunks": 4})
    assert (totals.calls, totals.cost_usd) == (5, Decimal("0.35"))
    assert totals.latency_sketch == [1, 2]
    assert totals.retry_rate_pct == Decimal("20.0")
    assert totals.quality == 0.75
    assert totals.chunks_per_call == Decimal("4.00")
    assert totals.citations_used_pct == Decimal("0.0")


def test_empty_totals_have_no_rates():
    totals = CallTotals()
    assert (totals.retry_rate_pct, totals.quality, totals.p50_ms, totals.chunks_per_call) == (
        None,
        None,
        None,
        None,
    )


def test_kpis_value_per_dollar_only_with_values():
    kpis = Kpis(Decimal("2"), 10, 4, 3, Decimal("0"))
    assert kpis.value_per_dollar is None
    assert kpis.cost_per_outcome_usd == Decimal("0.5")
    assert kpis.success_rate_pct == Decimal("75.0")
    assert kpis.cost_per_outcome_change_pct is None
    valued = Kpis(Decimal("2"), 10, 4, 3, Decimal("5"), Decimal("1"), 4)
    assert valued.value_per_dollar == Decimal("2.50")
    assert valued.cost_per_outcome_change_pct == Decimal("100.0")


def _g(segment: str, model: str, cost: str, calls: int = 10) -> GroupStats:
    return GroupStats(segment, model, calls, calls * 100, calls * 10, Decimal(cost))


def _grid(scale: int) -> list[GroupStats]:
    return [
        _g(f"s{s}", f"m{m}", str(Decimal(s * 10 + m + 1) * scale / 100))
        for s in range(5)
        for m in range(10)
    ]


def test_bound_cells_caps_the_cells_and_keeps_totals():
    before, after = _grid(1), _grid(2)
    bounded = bound_cells([before, after], 12)
    for original, cells in zip((before, after), bounded, strict=True):
        assert len({(g.segment, g.model) for g in cells}) <= 12
        assert sum(g.cost_usd for g in cells) == sum(g.cost_usd for g in original)
        assert sum(g.calls for g in cells) == sum(g.calls for g in original)
    assert [(g.segment, g.model) for g in bounded[0]] == [(g.segment, g.model) for g in bounded[1]]
    assert ("s4", "m9") in {(g.segment, g.model) for g in bounded[0]}  # the largest is kept
    assert any(g.model == OTHER for g in bounded[0])


def test_bound_cells_keeps_everything_that_fits():
    groups = [_g("a", "x", "1"), _g("b", "y", "2")]
    assert bound_cells([groups], 12) == [tuple(groups)]


def test_bound_cells_merges_segments_beyond_the_limit():
    groups = [_g(f"s{i}", "m", str(i + 1)) for i in range(6)]
    (cells,) = bound_cells([groups], 3)
    assert len(cells) <= 3
    assert sum(g.cost_usd for g in cells) == Decimal(21)


def test_bounded_decomposition_still_adds_up_to_the_change():
    before, after = bound_cells([_grid(1), _grid(3)], 12)
    moved = drivers.decompose(PeriodStats(40, before), PeriodStats(50, after))
    assert sum(d.delta_usd for d in moved.drivers) == moved.change_usd
    exact = PeriodStats(50, tuple(_grid(3))).cost_per_outcome_usd
    assert moved.after_usd == exact


def test_table_csv_writes_plain_values():
    table = Table("t", "T", [Column("name", "Name"), Column("usd", "USD", "usd6")])
    table.add({"name": "a", "usd": Decimal("0E-12")}, "/p/x/traces/?a=1")
    table.add({"name": "b"})
    assert table.csv_rows() == [["name", "usd"], ["a", "0.000000000000"], ["b", ""]]
    assert table.rows[0].label == "a" and table.rows[0].url == "/p/x/traces/?a=1"


def test_unknown_column_kind_is_refused():
    with pytest.raises(ValueError, match="unknown kind"):
        Column("x", "X", "money")


def test_chart_points_carry_their_calls_link():
    fig = feature_charts.cost_per_outcome_over_time(
        ["2026-11-01", "2026-11-02"], [Decimal("0.5"), None], [None, None], ["/a", "/b"]
    )
    assert fig["data"][0]["y"] == [0.5, None]
    assert fig["data"][0]["customdata"] == ["/a", "/b"]
    bars = feature_charts.spend_bars(["x", "y"], [Decimal("2"), Decimal("1")], ["/x", "/y"])
    assert bars["data"][0]["y"] == ["y", "x"] and bars["data"][0]["customdata"] == ["/y", "/x"]
    waterfall = feature_charts.drivers_waterfall(
        Decimal("1"),
        Decimal("1.5"),
        [("Mix", Decimal("0.5"), "/m")],
        "Before",
        "After",
        ("/0", "/1"),
    )
    data = waterfall["data"][0]
    assert data["measure"] == ["absolute", "relative", "total"]
    assert data["customdata"] == ["/0", "/m", "/1"]
