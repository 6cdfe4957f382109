"""A hand-built trace for the trace page and API tests: an app span with a retrieval, a failed
gpt-4o call, its gpt-4o-mini fallback (with prompt, answer, score) and a tool call."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from finops.pricing import UsageTokens, price_call
from ingest.models import LLMCall, Outcome, Score, SpanLog, Trace
from tests.factories import LLMCallFactory, SpanFactory

TRACE_ID = "5eed0000000000000000000000000001"
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
QUESTION = "Where is my parcel 4471?"
ANSWER = "Your parcel 4471 is in Lyon and arrives tomorrow."
SYSTEM = "You are a helpful support agent. " * 40  # long: shown truncated, with "show more"
USAGE = UsageTokens(1200, 300, 1000, 0)


@dataclass
class World:
    root: str = "a0000000000000a1"
    retrieval: str = "a0000000000000b2"
    failed: str = "a0000000000000c3"
    fallback: str = "a0000000000000d4"
    tool: str = "a0000000000000e5"


def _at(ms: int) -> datetime:
    return T0 + timedelta(milliseconds=ms)


def _span(project, span_id, parent, name, start, end, **fields):
    return SpanFactory(
        project=project,
        trace_id=TRACE_ID,
        span_id=span_id,
        parent_span_id=parent,
        name=name,
        start_time=_at(start),
        end_time=_at(end),
        duration_ms=float(end - start),
        **fields,
    )


def build_trace(project) -> World:
    """Store the trace in ``project``; returns the span ids."""
    w = World()
    _span(project, w.root, "", "app.answer", 0, 2000)
    _span(
        project,
        w.retrieval,
        w.root,
        "vector_search",
        0,
        200,
        attributes={"openinference.span.kind": "RETRIEVER"},
    )
    error = {
        "exception.type": "openai.InternalServerError",
        "exception.message": "Error code: 500",
        "exception.stacktrace": "Traceback (most recent call last):\n  boom",
    }
    _span(
        project,
        w.failed,
        w.root,
        "chat gpt-4o",
        200,
        900,
        status_code=2,
        attributes={"gen_ai.request.model": "gpt-4o", "gen_ai.operation.name": "chat"},
        events=[{"name": "exception", "time_ns": 1, "attributes": error}],
    )
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}]
    _span(
        project,
        w.fallback,
        w.root,
        "chat gpt-4o-mini",
        900,
        1500,
        attributes={
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.operation.name": "chat",
            "gen_ai.request.temperature": 0.2,
            "gen_ai.request.max_tokens": 512,
            "gen_ai.input.messages": json.dumps(messages),
        },
    )
    _span(
        project,
        w.tool,
        w.root,
        "execute_tool lookup_parcel",
        1500,
        1800,
        attributes={"gen_ai.operation.name": "execute_tool"},
    )
    SpanLog.objects.create(
        project=project,
        trace_id=TRACE_ID,
        span_id=w.fallback,
        time=_at(1500),
        event_name="gen_ai.choice",
        fingerprint="f1",
        body={"index": 0, "message": {"role": "assistant", "content": ANSWER}},
    )
    common = {
        "project": project,
        "trace_id": TRACE_ID,
        "parent_span_id": w.root,
        "template": "answer",
        "customer": "cust-42",
        "feature": "support",
    }
    LLMCallFactory(
        **common,
        span_id=w.failed,
        start_time=_at(200),
        duration_ms=700.0,
        request_model="gpt-4o",
        response_model="",
        input_tokens=0,
        output_tokens=0,
        has_usage=False,
        cost_usd=None,
        price_source="",
        price_note="no usage reported",
        error_type="openai.InternalServerError",
    )
    cost = price_call("openai", "gpt-4o-mini", USAGE, _at(900)).cost_usd
    LLMCallFactory(
        **common,
        span_id=w.fallback,
        start_time=_at(900),
        duration_ms=600.0,
        input_tokens=1200,
        output_tokens=300,
        cache_read_tokens=1000,
        reasoning_tokens=120,
        cost_usd=cost,
        is_fallback=True,
        attempt=2,
        quality_score=0.8,
    )
    Score.objects.create(
        project=project,
        trace_id=TRACE_ID,
        span_id=w.fallback,
        name="relevance",
        value=0.8,
        source="eval",
        idempotency_key="s1",
    )
    Outcome.objects.create(
        project=project,
        trace_id=TRACE_ID,
        applied_trace_id=TRACE_ID,
        name="parcel_answered",
        success=True,
        idempotency_key="o1",
        occurred_at=_at(2100),
    )
    Trace.objects.create(
        project=project,
        trace_id=TRACE_ID,
        root_span_id=w.root,
        root_name="app.answer",
        start_time=T0,
        duration_ms=2000.0,
        feature="support",
        customer="cust-42",
        cost_usd=cost,
        calls=2,
        fallbacks=1,
        errors=1,
        outcome="success",
        outcome_name="parcel_answered",
        quality_score=0.8,
        last_span_at=_at(2000),
        needs_finalize=False,
    )
    return w


def stored_cost(project) -> Decimal:
    """The trace's cost summed from its stored calls (the test's own arithmetic)."""
    calls = LLMCall.objects.filter(project=project, trace_id=TRACE_ID, cost_usd__isnull=False)
    return sum((c.cost_usd for c in calls), Decimal(0))
