"""Waterfall layout, trace cost shares and attempt chains on hand-built traces."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from finops.waterfall import (
    Attempt,
    CallCost,
    Node,
    Placed,
    Share,
    attempt_neighbours,
    layout,
    trace_cost,
)

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)


def _node(span_id: str, parent: str, start_ms: int, end_ms: int) -> Node:
    return Node(
        span_id, parent, T0 + timedelta(milliseconds=start_ms), T0 + timedelta(milliseconds=end_ms)
    )


# root 0..1000 ms: retrieve 0..100, llm-1 100..400 (fails), llm-2 400..900, its tool 500..600
TRACE = [
    _node("llm2", "root", 400, 900),
    _node("tool", "llm2", 500, 600),
    _node("root", "", 0, 1000),
    _node("llm1", "root", 100, 400),
    _node("retr", "root", 0, 100),
]


def _order(placed: list[Placed], nodes: list[Node]) -> list[tuple[str, int]]:
    return [(nodes[p.index].span_id, p.depth) for p in placed]


def test_layout_orders_depth_first_with_children_by_start():
    assert _order(layout(TRACE), TRACE) == [
        ("root", 0),
        ("retr", 1),
        ("llm1", 1),
        ("llm2", 1),
        ("tool", 2),
    ]


def test_layout_offsets_and_widths_are_percent_of_the_trace():
    placed = {TRACE[p.index].span_id: (p.offset_pct, p.width_pct) for p in layout(TRACE)}

    assert placed == {
        "root": (0.0, 100.0),
        "retr": (0.0, 10.0),
        "llm1": (10.0, 30.0),
        "llm2": (40.0, 50.0),
        "tool": (50.0, 10.0),
    }


def test_tiny_span_gets_a_visible_width_inside_the_trace():
    nodes = [_node("root", "", 0, 10_000), _node("tiny", "root", 9_999, 10_000)]

    tiny = layout(nodes)[1]

    assert (tiny.offset_pct, tiny.width_pct) == (99.99, 0.4)


def test_span_whose_parent_has_not_arrived_is_a_flagged_root():
    nodes = [_node("root", "", 0, 100), _node("late", "missing", 50, 60)]

    assert [(nodes[p.index].span_id, p.depth, p.orphan) for p in layout(nodes)] == [
        ("root", 0, False),
        ("late", 0, True),
    ]


def test_parent_cycle_places_each_span_once():
    nodes = [_node("a", "b", 0, 10), _node("b", "a", 5, 10)]

    assert sorted(nodes[p.index].span_id for p in layout(nodes)) == ["a", "b"]


def test_empty_trace_has_no_bars():
    assert layout([]) == []


def test_trace_cost_splits_retries_fallbacks_and_escalations():
    calls = [
        CallCost(Decimal("0.50")),
        CallCost(Decimal("0.25"), is_retry=True),
        CallCost(Decimal("0.20"), is_fallback=True),
        CallCost(Decimal("0.05"), is_fallback=True, escalation="model"),
        CallCost(None, is_retry=True),
    ]

    cost = trace_cost(calls)

    assert cost.total_usd == Decimal("1.00")
    assert cost.unpriced_calls == 1
    assert cost.shares == (
        Share("Retries", 2, Decimal("0.25"), Decimal("25.0")),
        Share("Fallbacks", 2, Decimal("0.25"), Decimal("25.0")),
        Share("Escalations", 1, Decimal("0.05"), Decimal("5.0")),
    )


def test_free_trace_has_no_share_percentages():
    assert trace_cost([CallCost(None)]).shares[0] == Share("Retries", 0, Decimal(0), None)


def _attempt(span_id: str, site: str, start_ms: int, extra: bool, parent: str = "root") -> Attempt:
    return Attempt(span_id, parent, site, T0 + timedelta(milliseconds=start_ms), extra)


def test_attempt_neighbours_follow_the_call_site_in_start_order():
    calls = [
        _attempt("fallback", "answer", 300, True),
        _attempt("first", "answer", 100, False),
        _attempt("retry", "answer", 200, True),
        _attempt("other", "summarise", 150, False),
    ]

    assert attempt_neighbours(calls, "first") == ("", "retry")
    assert attempt_neighbours(calls, "retry") == ("first", "fallback")
    assert attempt_neighbours(calls, "fallback") == ("retry", "")
    assert attempt_neighbours(calls, "other") == ("", "")


def test_repeated_calls_without_retry_or_fallback_are_not_attempts():
    calls = [_attempt("a", "answer", 100, False), _attempt("b", "answer", 200, False)]

    assert attempt_neighbours(calls, "a") == ("", "")


def test_same_template_under_another_parent_is_another_request():
    calls = [_attempt("a", "answer", 100, False), _attempt("b", "answer", 200, True, "step2")]

    assert attempt_neighbours(calls, "b") == ("", "")
    assert attempt_neighbours(calls, "missing") == ("", "")
