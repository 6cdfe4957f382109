"""The simulated LLM app (ingest/simulator.py): what it reports equals what it exports.

Pure: the spans go to an in-memory exporter and every expectation is recomputed from their
attributes, with the attribute names spelled as in DESIGN.md rather than imported.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from ingest.simulator import SimulatedApp, SimulationSummary

NOW = datetime(2026, 6, 15, 12, 30, tzinfo=UTC)
DAYS = 30
TRACES = 500
SEED = 7
ANSWER_TEMPLATES = {"support.answer", "docqa.answer"}
ROUTES = {"mini-first", "flagship-direct", "self-hosted"}
# List input prices, USD per million tokens: enough to order the models by cost.
INPUT_PRICE = {"gpt-4o-mini": 0.15, "claude-haiku-4-5": 1.0, "claude-sonnet-4-5": 3.0}

Spans = Sequence[ReadableSpan]


def _simulate(seed: int = SEED, traces: int = TRACES) -> tuple[SimulationSummary, Spans]:
    exporter = InMemorySpanExporter()
    summary = SimulatedApp(exporter, now=NOW, days=DAYS, seed=seed).run(traces)
    return summary, exporter.get_finished_spans()


@pytest.fixture(scope="module")
def run() -> tuple[SimulationSummary, Spans]:
    return _simulate()


@pytest.fixture(scope="module")
def spans(run) -> Spans:
    return run[1]


def _is_error(span: ReadableSpan) -> bool:
    return span.status.status_code == StatusCode.ERROR


def _is_call(span: ReadableSpan) -> bool:
    """A model call: it reports GenAI usage, or it is a failed call."""
    return _is_error(span) or any(key.startswith("gen_ai.usage.") for key in span.attributes)


def _calls(spans: Spans) -> list[ReadableSpan]:
    return [span for span in spans if _is_call(span)]


def _by_trace(spans: Spans) -> dict[int, list[ReadableSpan]]:
    """Spans per trace id, in start order."""
    traces: dict[int, list[ReadableSpan]] = defaultdict(list)
    for span in sorted(spans, key=lambda s: (s.start_time, s.end_time)):
        traces[span.context.trace_id].append(span)
    return traces


def _root(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> ReadableSpan | None:
    """The span at the top of ``span``'s parent chain, or None if the chain is broken."""
    seen = set()
    while span.parent is not None:
        if span.context.span_id in seen or span.parent.span_id not in by_id:
            return None
        seen.add(span.context.span_id)
        span = by_id[span.parent.span_id]
    return span


def _roots(spans: Spans) -> list[ReadableSpan]:
    return [span for span in spans if span.parent is None]


def _feature_of_trace(spans: Spans) -> dict[int, str]:
    return {root.context.trace_id: root.attributes["finops.feature"] for root in _roots(spans)}


def _attempt(span: ReadableSpan) -> int:
    return span.attributes.get("finops.attempt", 1)


COUNTS: dict[str, Callable[[Spans], int]] = {
    "traces": lambda spans: len({span.context.trace_id for span in spans}),
    "spans": len,
    "spans_exported": len,
    "llm_calls": lambda spans: len(_calls(spans)),
    "failed_calls": lambda spans: sum(_is_error(span) for span in _calls(spans)),
    "rejected_outputs": lambda spans: sum(
        span.attributes.get("error.type") == "validation_failed" for span in _calls(spans)
    ),
    "retries": lambda spans: sum(_attempt(span) >= 2 for span in _calls(spans)),
    "fallbacks": lambda spans: sum(
        span.attributes.get("finops.fallback") is True for span in _calls(spans)
    ),
    "model_escalations": lambda spans: sum(
        span.attributes.get("finops.escalation") == "model" for span in _calls(spans)
    ),
    "human_escalations": lambda spans: sum(
        span.attributes.get("finops.escalation") == "human" for span in spans
    ),
    "cache_hits": lambda spans: sum(
        span.attributes.get("finops.cache.hit") is True for span in spans
    ),
    "sessions": lambda spans: len(
        {root.attributes.get("finops.session.id") for root in _roots(spans)} - {None}
    ),
    "outcomes": lambda spans: sum("finops.outcome" in root.attributes for root in _roots(spans)),
    "successes": lambda spans: sum(
        root.attributes.get("finops.outcome") == "success" for root in _roots(spans)
    ),
}


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_summary_count_equals_count_from_exported_spans(run, name):
    summary, spans = run

    assert getattr(summary, name) == COUNTS[name](spans)


def test_summary_counts_traces_and_calls_per_feature(run):
    summary, spans = run
    feature = _feature_of_trace(spans)

    assert summary.by_feature == Counter(feature.values())
    assert summary.calls_by_feature == Counter(
        feature[call.context.trace_id] for call in _calls(spans)
    )


def test_every_behaviour_appears_in_a_few_hundred_traces(run):
    summary, _ = run
    behaviours = (
        "failed_calls",
        "rejected_outputs",
        "retries",
        "fallbacks",
        "model_escalations",
        "human_escalations",
        "cache_hits",
    )

    assert {name: getattr(summary, name) for name in behaviours if not getattr(summary, name)} == {}
    assert 0 < summary.successes < summary.outcomes < summary.traces
    assert summary.spans_failed == 0


def test_model_calls_are_exactly_the_spans_that_name_a_model(spans):
    assert {id(s) for s in _calls(spans)} == {
        id(s) for s in spans if "gen_ai.request.model" in s.attributes
    }


def test_every_call_reaches_a_root_with_feature_segment_and_customer(spans):
    by_id = {span.context.span_id: span for span in spans}
    keys = {"finops.feature", "finops.customer.segment", "finops.customer.id"}

    roots = [_root(call, by_id) for call in _calls(spans)]

    assert None not in roots
    assert all(keys <= set(root.attributes) for root in roots)


def test_fallback_follows_a_server_error_of_another_provider(spans):
    traces = _by_trace(spans)
    fallbacks = [c for c in _calls(spans) if c.attributes.get("finops.fallback") is True]

    for fallback in fallbacks:
        calls = [c for c in traces[fallback.context.trace_id] if _is_call(c)]
        before = calls[calls.index(fallback) - 1]
        assert _is_error(before)
        assert before.attributes["error.type"] == "server_error"
        assert not any(key.startswith("gen_ai.usage.") for key in before.attributes)
        assert before.attributes["finops.template"] == fallback.attributes["finops.template"]
        assert (
            before.attributes["gen_ai.provider.name"] != fallback.attributes["gen_ai.provider.name"]
        )
        assert not _is_error(fallback)
    assert fallbacks


def test_escalated_call_uses_a_pricier_model_than_earlier_calls_of_its_template(spans):
    traces = _by_trace(spans)
    escalated = [c for c in _calls(spans) if c.attributes.get("finops.escalation") == "model"]

    for call in escalated:
        template = call.attributes["finops.template"]
        trace_calls = [c for c in traces[call.context.trace_id] if _is_call(c)]
        earlier = [
            c
            for c in trace_calls[: trace_calls.index(call)]
            if c.attributes["finops.template"] == template and not _is_error(c)
        ]
        price = INPUT_PRICE[call.attributes["gen_ai.request.model"]]
        assert earlier
        assert all(INPUT_PRICE[c.attributes["gen_ai.request.model"]] < price for c in earlier)
    assert escalated


def test_cache_hit_spans_carry_no_model_or_usage(spans):
    hits = [span for span in spans if span.attributes.get("finops.cache.hit") is True]
    traces = _by_trace(spans)

    for hit in hits:
        assert not any(key.startswith("gen_ai.") for key in hit.attributes)
        assert hit.attributes["finops.cache.kind"] == "semantic"
        assert hit.attributes["finops.template"] == "docqa.answer"
        templates = [
            c.attributes["finops.template"] for c in traces[hit.context.trace_id] if _is_call(c)
        ]
        assert templates == ["docqa.query-embedding"]  # the lookup's embedding, nothing else
    assert hits


def test_human_handoff_is_a_support_span_without_a_model_call(spans):
    handoffs = [span for span in spans if span.attributes.get("finops.escalation") == "human"]
    feature = _feature_of_trace(spans)

    for handoff in handoffs:
        assert handoff.name == "handoff human-agent"
        assert not any(key.startswith("gen_ai.") for key in handoff.attributes)
        assert feature[handoff.context.trace_id] == "support-assistant"
    assert handoffs


def test_rate_limited_call_is_retried_with_the_same_template_and_model(spans):
    traces = _by_trace(spans)
    limited = [c for c in _calls(spans) if c.attributes.get("error.type") == "rate_limit_exceeded"]

    for call in limited:
        calls = [c for c in traces[call.context.trace_id] if _is_call(c)]
        retry = calls[calls.index(call) + 1]
        assert _is_error(call)
        assert not any(key.startswith("gen_ai.usage.") for key in call.attributes)
        assert _attempt(call) == 1
        assert _attempt(retry) == 2
        for key in ("finops.template", "gen_ai.request.model"):
            assert retry.attributes[key] == call.attributes[key]
    assert limited
    assert not any("http.request.resend_count" in span.attributes for span in spans)


def test_rejected_output_is_a_priced_ok_call_retried_with_the_same_template(spans):
    traces = _by_trace(spans)
    rejected = [c for c in _calls(spans) if c.attributes.get("error.type") == "validation_failed"]

    for call in rejected:
        calls = [c for c in traces[call.context.trace_id] if _is_call(c)]
        retry = calls[calls.index(call) + 1]
        assert not _is_error(call)
        assert call.attributes["gen_ai.usage.output_tokens"] > 0
        assert retry.attributes["finops.template"] == call.attributes["finops.template"]
        assert _attempt(retry) == _attempt(call) + 1
        assert call.attributes["finops.quality.score"] < 0.4
    assert rejected


def test_answer_calls_carry_route_quality_and_citations_within_chunks(spans):
    answers = [
        c
        for c in _calls(spans)
        if c.attributes["finops.template"] in ANSWER_TEMPLATES and not _is_error(c)
    ]

    for call in answers:
        attrs = call.attributes
        assert attrs["finops.route"] in ROUTES
        assert 0.0 <= attrs["finops.quality.score"] <= 1.0
        if attrs.get("error.type") != "validation_failed":  # a rejected output cites nothing
            assert 0 <= attrs["finops.retrieval.citations"] <= attrs["finops.retrieval.chunks"]
        if attrs["gen_ai.provider.name"] == "vllm":
            assert attrs["finops.route"] == "self-hosted"
    assert answers


def test_flagship_answers_score_higher_than_mini_answers(spans):
    scores: dict[str, list[float]] = defaultdict(list)
    for call in _calls(spans):
        if "finops.quality.score" in call.attributes:
            model = call.attributes["gen_ai.request.model"]
            scores[model].append(call.attributes["finops.quality.score"])

    def mean(model: str) -> float:
        return sum(scores[model]) / len(scores[model])

    assert mean("claude-sonnet-4-5") > mean("gpt-4o-mini") + 0.05


def test_support_sessions_span_up_to_four_traces_of_one_customer(spans):
    sessions: dict[str, list[ReadableSpan]] = defaultdict(list)
    for root in _roots(spans):
        if root.attributes["finops.feature"] == "support-assistant":
            sessions[root.attributes["finops.session.id"]].append(root)

    for turns in sessions.values():
        turns.sort(key=lambda root: root.start_time)
        assert len(turns) <= 4
        assert len({turn.attributes["finops.customer.id"] for turn in turns}) == 1
        # the outcome is the conversation's: only its last turn may carry it
        assert not any("finops.outcome" in turn.attributes for turn in turns[:-1])
    assert max(len(turns) for turns in sessions.values()) > 1


def test_same_seed_gives_identical_spans_and_another_seed_does_not():
    def fingerprint(spans: Spans) -> list[tuple]:
        return [
            (
                s.context.trace_id,
                s.context.span_id,
                s.name,
                s.start_time,
                dict(s.attributes),
                dict(s.resource.attributes),
            )
            for s in spans
        ]

    first, again, other = (fingerprint(_simulate(seed, 80)[1]) for seed in (3, 3, 4))

    assert first == again
    assert first != other


def test_service_instance_id_comes_from_the_seed_not_the_process():
    # The SDK otherwise adds a random id per process, and re-sent spans would differ.
    ids = {
        seed: {s.resource.attributes["service.instance.id"] for s in _simulate(seed, 2)[1]}
        for seed in (3, 4)
    }

    assert len(ids[3]) == len(ids[4]) == 1
    assert ids[3] != ids[4]


def test_every_span_lies_within_the_requested_days_before_now(spans):
    earliest = int((NOW - timedelta(days=DAYS)).timestamp() * 1e9)
    latest = int(NOW.timestamp() * 1e9)

    assert all(earliest <= span.start_time <= span.end_time <= latest for span in spans)
