"""Pure rules of ``ingest.attribution.judge_trace``: retries, fallbacks, escalations,
duplicate spans of one call, cache hits and the trace summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from ingest.attribution import CallFacts, SpanNode, find_duplicates, judge_trace

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _node(span_id, parent="", **kw) -> SpanNode:
    return SpanNode(span_id=span_id, parent_span_id=parent, start=T0, end=T0, **kw)


def _call(
    span_id,
    at_s,
    *,
    parent="root",
    template="t",
    model="gpt-4o-mini",
    provider="openai",
    tokens=(1000, 100),
    cost="0.001",
    error="",
    **kw,
) -> CallFacts:
    start = T0 + timedelta(seconds=at_s)
    return CallFacts(
        span_id=span_id,
        parent_span_id=parent,
        start=start,
        end=start + timedelta(seconds=1),
        provider=provider,
        model=model,
        input_tokens=tokens[0],
        output_tokens=tokens[1],
        has_usage=not error,
        cost_usd=None if error else Decimal(cost),
        error_type=error,
        **kw,
    )


def _trace(*calls, root_own=None, templates=None, **root_kw):
    nodes = {
        "root": _node("root", own=root_own or {"feature": "support"}, name="answer", **root_kw)
    }
    for c in calls:
        nodes[c.span_id] = _node(
            c.span_id, c.parent_span_id, own={"template": (templates or {}).get(c.span_id, "t")}
        )
    return judge_trace(nodes, calls)


def test_call_inherits_feature_from_root_and_template_from_itself():
    verdict = _trace(_call("a", 0))

    assert verdict.calls["a"].attribution["feature"] == "support"
    assert verdict.calls["a"].attribution["template"] == "t"


def test_same_template_after_error_is_a_retry_with_attempt_two():
    verdict = _trace(_call("a", 0, error="rate_limit_exceeded"), _call("b", 2))

    assert (verdict.calls["b"].is_retry, verdict.calls["b"].attempt) == (True, 2)
    assert verdict.summary.retries == 1
    assert verdict.summary.errors == 1


def test_other_model_after_error_is_a_fallback_not_a_retry():
    verdict = _trace(
        _call("a", 0, error="server_error"),
        _call("b", 2, model="claude-haiku-4-5", provider="anthropic"),
    )

    assert verdict.calls["b"].is_fallback
    assert not verdict.calls["b"].is_retry
    assert verdict.summary.fallbacks == 1


def test_pricier_model_after_success_is_a_model_escalation():
    verdict = _trace(
        _call("a", 0, cost="0.0003"),
        _call("b", 2, model="claude-sonnet-4-5", provider="anthropic", cost="0.0095"),
    )

    assert verdict.calls["b"].escalation == "model"
    assert verdict.summary.model_escalations == 1


def test_cheaper_model_after_success_is_not_an_escalation():
    verdict = _trace(_call("a", 0, cost="0.0095", model="gpt-4o"), _call("b", 2, cost="0.0003"))

    assert verdict.calls["b"].escalation == ""


def test_different_templates_are_never_retries_or_escalations():
    verdict = _trace(
        _call("a", 0, error="x"),
        _call("b", 2, cost="0.5"),
        templates={"a": "triage", "b": "answer"},
    )

    assert not verdict.calls["b"].is_retry
    assert verdict.calls["b"].escalation == ""


def test_explicit_marks_win_over_inference():
    verdict = _trace(_call("a", 0, attempt=3, escalation="human"), _call("b", 5, is_fallback=True))

    assert (verdict.calls["a"].attempt, verdict.calls["a"].is_retry) == (3, True)
    assert verdict.calls["a"].escalation == "human"
    assert verdict.calls["b"].is_fallback
    assert verdict.summary.human_escalations == 1


def test_later_attempt_on_the_fallback_model_is_a_retry_not_another_fallback():
    verdict = _trace(_call("a", 0, is_fallback=True), _call("b", 5, is_fallback=True, attempt=2))

    assert (verdict.calls["a"].is_fallback, verdict.calls["a"].is_retry) == (True, False)
    assert (verdict.calls["b"].is_fallback, verdict.calls["b"].is_retry) == (False, True)


def test_client_resend_count_marks_a_retry():
    verdict = _trace(_call("a", 0, resend_count=1))

    assert verdict.calls["a"].is_retry


def test_human_handoff_span_counts_as_human_escalation():
    nodes = {
        "root": _node("root", own={"feature": "support"}),
        "h": _node("h", "root", escalation="human"),
    }

    assert judge_trace(nodes, []).summary.human_escalations == 1


def test_parent_and_child_reporting_one_call_count_once():
    outer = _call("outer", 0, tokens=(1300, 300), richness=20)
    inner = _call("inner", 0.01, parent="outer", tokens=(1300, 300), richness=9)

    verdict = _trace(outer, inner)

    assert verdict.duplicates == {"inner"}
    assert verdict.summary.calls == 1
    assert verdict.summary.cost_usd == Decimal("0.001")


def test_siblings_from_two_instrumentations_with_nearly_equal_usage_count_once():
    a = _call(
        "a",
        0,
        tokens=(1300, 301),
        richness=12,
        model="claude-haiku-4-5",
        scope="opentelemetry.instrumentation.anthropic",
    )
    b = _call(
        "b",
        0.02,
        tokens=(1300, 300),
        richness=8,
        model="claude-haiku-4-5-20251001",
        scope="com.anthropic.sdk.python",
    )

    assert find_duplicates([a, b], {}) == {"b"}


def test_parallel_siblings_from_one_scope_are_separate_calls():
    a = _call("a", 0, scope="app")
    b = _call("b", 0.01, scope="app")

    assert find_duplicates([a, b], {}) == set()


def test_sequential_identical_calls_are_not_duplicates():
    a, b = _call("a", 0), _call("b", 5)

    assert find_duplicates([a, b], {}) == set()


def test_duplicate_choice_does_not_depend_on_order():
    a = _call("aaaa", 0, tokens=(100, 10), scope="x")
    b = _call("bbbb", 0.01, tokens=(100, 10), scope="y")

    assert find_duplicates([a, b], {}) == find_duplicates([b, a], {}) == {"bbbb"}


def test_cache_hit_records_template_average_as_avoided_cost():
    hit = CallFacts(
        span_id="c",
        parent_span_id="root",
        start=T0,
        end=T0,
        provider="",
        model="",
        input_tokens=0,
        output_tokens=0,
        has_usage=False,
        cost_usd=Decimal(0),
        error_type="",
        cache_hit=True,
    )
    nodes = {"root": _node("root"), "c": _node("c", "root", own={"template": "docqa.answer"})}

    verdict = judge_trace(nodes, [hit], {"docqa.answer": Decimal("0.0042")})

    assert verdict.calls["c"].avoided_cost_usd == Decimal("0.0042")
    assert verdict.summary.cache_hits == 1
    assert verdict.summary.avoided_cost_usd == Decimal("0.0042")
    assert verdict.summary.cost_usd == Decimal(0)


def test_summary_totals_outcome_and_quality():
    calls = [
        _call("a", 0, cost="0.002", quality_score=0.5),
        _call("b", 3, cost="0.001", error="", quality_score=1.0),
        _call("c", 6, error="boom"),
    ]
    nodes = {
        "root": _node(
            "root",
            own={"feature": "f", "segment": "smb"},
            name="POST /x",
            outcome="success",
            outcome_name="ticket_resolved",
            outcome_value_usd=Decimal("2.5"),
        ),
        **{c.span_id: _node(c.span_id, "root", own={"template": c.span_id}) for c in calls},
    }

    s = judge_trace(nodes, calls).summary

    assert (s.root_span_id, s.root_name, s.calls) == ("root", "POST /x", 3)
    assert s.cost_usd == Decimal("0.003")
    assert s.unpriced_calls == 1
    assert s.attribution["segment"] == "smb"
    assert (s.outcome, s.outcome_name, s.outcome_value_usd) == (
        "success",
        "ticket_resolved",
        Decimal("2.5"),
    )
    assert s.quality_score == 0.75
    assert s.duration_ms == 7000.0


def test_trace_without_root_yet_has_empty_root_and_unattributed_calls():
    nodes = {"a": _node("a", "missing-parent")}
    call = _call("a", 0, parent="missing-parent")

    verdict = judge_trace(nodes, [call])

    assert verdict.calls["a"].attribution["feature"] == ""
    assert verdict.summary.root_span_id == "a"  # the earliest orphan stands in for the root
