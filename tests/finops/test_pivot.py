"""finops.pivot and finops.pivot_table (pure): breakdown rows from rollup sums, their ratios,
sorting, headers, cells and CSV records; and the stacked spend chart."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from finops import charts, pivot_table
from finops.pivot import BreakdownRow, CallSums, build_rows, pct, per, total_row
from finops.pivot_table import SEGMENT_COLUMNS, TEMPLATE_COLUMNS

D1, D2, D0 = date(2026, 11, 1), date(2026, 11, 2), date(2026, 10, 31)


def _group(name: str, day: date, cost: str, **counts) -> dict:
    return {"segment": name, "day": day, "cost_usd": Decimal(cost), **counts}


def test_build_rows_splits_period_and_compare_days():
    groups = [
        _group("ent", D0, "1"),
        _group("ent", D1, "2", calls=3, cache_hits=1, retries=1),
        _group("ent", D2, "0.5", calls=1),
        _group("gone", D0, "4"),
        _group("smb", D2, "1.5", calls=2),
    ]
    rows, compare = build_rows(groups, "segment", [D1, D2], [D0])
    assert set(rows) == {"ent", "smb"}  # "gone" spent only in the compare period
    assert compare == {"ent": Decimal("1"), "gone": Decimal("4")}
    ent = rows["ent"]
    assert (ent.calls, ent.spend_usd, ent.daily_spend_usd) == (
        4,
        Decimal("2.5"),
        [Decimal("2"), Decimal("0.5")],
    )
    assert ent.compare_spend_usd == Decimal("1")
    assert ent.spend_change_pct == Decimal("150.0")
    assert rows["smb"].spend_change_pct is None  # nothing to compare with
    assert (ent.share_of_spend_pct, rows["smb"].share_of_spend_pct) == (
        Decimal("62.5"),
        Decimal("37.5"),
    )
    assert ent.retry_rate_pct == Decimal("33.3")  # 1 retry of 3 model calls


def test_a_day_in_both_periods_counts_in_both():
    rows, compare = build_rows([_group("ent", D1, "2", calls=1)], "segment", [D1], [D1])
    assert (rows["ent"].spend_usd, compare["ent"]) == (Decimal("2"), Decimal("2"))


def test_without_compare_period_the_trend_is_none():
    rows, compare = build_rows([_group("ent", D1, "2", calls=1)], "segment", [D1], None)
    assert compare is None
    assert rows["ent"].compare_spend_usd is None
    assert rows["ent"].spend_change_pct is None


def test_ratios_divide_by_model_calls_and_say_none_without_divisor():
    sums = CallSums()
    sums.add({"calls": 4, "cache_hits": 2, "input_tokens": 301, "output_tokens": 10})
    sums.add({"prompt_cache_calls": 1, "quality_sum": 1.5, "quality_count": 2})
    row = BreakdownRow("x", sums=sums, outcomes=3, successes=0)
    assert row.sums.model_calls == 2
    assert (row.input_tokens_per_call, row.output_tokens_per_call) == (
        Decimal("150.5"),
        Decimal("5.0"),
    )
    assert row.prompt_cache_rate_pct == Decimal("50.0")
    assert row.app_cache_rate_pct == Decimal("50.0")
    assert row.quality == 0.75
    assert row.cost_per_outcome_usd == Decimal("0")
    assert row.cost_per_success_usd is None
    assert row.success_rate_pct == Decimal("0.0")
    empty = BreakdownRow("")
    assert empty.label == "(unattributed)"
    assert (empty.input_tokens_per_call, empty.retry_rate_pct, empty.quality) == (
        None,
        None,
        None,
    )
    assert (empty.latency_p50_ms, empty.spend_per_feature_outcome_usd) == (None, None)


def test_per_and_pct_round_half_up():
    assert per(Decimal("1"), 3) == Decimal("0.3333333333")
    assert per(Decimal("1"), 0) is None
    assert pct(1, 8) == Decimal("12.5")
    assert pct(1, 0) is None


def test_total_row_adds_sums_sketches_and_outcomes():
    a = BreakdownRow("a", latency_sketch=[1, 2], outcomes=2, successes=1)
    a.sums.add({"calls": 2, "cost_usd": Decimal("1")})
    a.daily_spend_usd = [Decimal("1"), Decimal("0")]
    b = BreakdownRow("b", latency_sketch=[0, 0, 3], outcomes=1)
    b.sums.add({"calls": 1, "cost_usd": Decimal("0.5")})
    b.daily_spend_usd = [Decimal("0"), Decimal("0.5")]
    total = total_row([a, b], "All", Decimal("3"))
    assert (total.calls, total.spend_usd, total.outcomes, total.successes) == (
        3,
        Decimal("1.5"),
        3,
        1,
    )
    assert total.latency_sketch == [1, 2, 3]
    assert total.daily_spend_usd == [Decimal("1"), Decimal("0.5")]
    assert total.spend_change_pct == Decimal("-50.0")
    assert total.share_of_spend_pct == Decimal("100.0")


def _rows() -> list[BreakdownRow]:
    a, b, c = BreakdownRow("a"), BreakdownRow("b"), BreakdownRow("")
    a.sums.add({"calls": 1, "cost_usd": Decimal("2")})
    b.sums.add({"calls": 5, "cost_usd": Decimal("2")})
    a.outcomes, b.outcomes = 4, 1
    return [a, b, c]


def test_sort_puts_none_last_and_breaks_ties_by_name():
    rows = _rows()
    order = lambda sort: [r.key for r in pivot_table.sort_rows(rows, sort, SEGMENT_COLUMNS)]  # noqa: E731
    assert order("-spend") == ["a", "b", ""]  # 2, 2 (tie by name), 0
    assert order("calls") == ["", "a", "b"]
    assert order("-cost_per_outcome") == ["b", "a", ""]  # 2.0, 0.5, —
    assert order("cost_per_outcome") == ["a", "b", ""]
    assert order("name") == ["", "a", "b"]


def test_parse_sort_accepts_only_known_columns():
    assert pivot_table.parse_sort("-p95", SEGMENT_COLUMNS) == "-p95"
    assert pivot_table.parse_sort("customers", TEMPLATE_COLUMNS) == "-spend"
    assert pivot_table.parse_sort("features", TEMPLATE_COLUMNS) == "features"


def test_headers_toggle_the_current_column():
    heads = pivot_table.headers(SEGMENT_COLUMNS, "-spend", lambda s: f"?sort={s}")
    by_label = {h["label"]: h for h in heads}
    assert (by_label["Spend"]["url"], by_label["Spend"]["aria_sort"]) == (
        "?sort=spend",
        "descending",
    )
    assert by_label["Calls"]["url"] == "?sort=-calls"
    assert by_label["Segment"]["url"] == "?sort=name"  # names A → Z first
    assert by_label["Segment"]["numeric"] is False


def test_cells_read_like_the_csv_values():
    row = _rows()[0]
    row.calls_url = "/p/acme/traces/?segment=a"
    row.compare_spend_usd = Decimal("0")
    row.daily_spend_usd = [Decimal("1"), Decimal("2")]
    cells = {c["col"]: c for c in pivot_table.cells(row, SEGMENT_COLUMNS)}
    assert (cells["spend"]["text"], cells["spend"]["url"]) == ("$2.00", row.calls_url)
    assert cells["share"]["url"] == ""
    assert cells["trend"]["text"] == "new"  # $0 before, spend now
    assert cells["trend"]["spark"] == "0.0,12.0 100.0,1.0"  # 1 is half of the maximum 2
    assert cells["cost_per_outcome"]["text"] == "$0.5000"
    assert cells["success_rate"]["text"] == "0.0%"
    assert cells["p50"]["text"] == "—"
    record = dict(
        zip(
            pivot_table.csv_header(SEGMENT_COLUMNS),
            pivot_table.csv_record(row, SEGMENT_COLUMNS),
            strict=True,
        )
    )
    assert (record["segment"], record["spend_usd"], record["cost_per_outcome_usd"]) == (
        "a",
        "2.0000000000",
        "0.5000000000",
    )
    assert record["latency_p50_ms"] == ""


def test_cell_text_formats():
    assert pivot_table.cell_text(Decimal("1234.565"), "money") == "$1,234.57"
    assert pivot_table.cell_text(Decimal("-12.5"), "change") == "-12.5%"
    assert pivot_table.cell_text(Decimal("12.5"), "change") == "+12.5%"
    assert pivot_table.cell_text(1234.4, "ms") == "1,234 ms"
    assert pivot_table.cell_text(0.8333, "score") == "0.83"
    assert pivot_table.cell_text(None, "money") == "—"


def test_stacked_chart_carries_links_per_point():
    days = [D1, D2]
    fig = charts.stacked_spend_over_time(
        days,
        [
            {"name": "ent", "values": [Decimal("1.5"), Decimal("0")], "links": ["/a", "/b"]},
            {"name": "Other (3)", "values": [Decimal("0.25"), Decimal("1")], "links": []},
        ],
    )
    ent, other = fig["data"]
    assert fig["layout"]["barmode"] == "stack"
    assert (ent["x"], ent["y"], ent["customdata"]) == (
        ["2026-11-01", "2026-11-02"],
        [1.5, 0.0],
        ["/a", "/b"],
    )
    assert "customdata" not in other
    assert other["marker"]["color"] != ent["marker"]["color"]
