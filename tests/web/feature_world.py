"""Calls and traces of the feature "support" (and a neighbour that must not count) for the
feature page, why-it-moved and ``GET /api/v1/features/{name}/``, and the figures those should
show, computed here straight from the stored rows (never through the rollups or the code's
formulas)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.urls import reverse

from finops import rollups
from ingest.models import Escalation, LLMCall, Trace
from tests.factories import LLMCallFactory, issue_key

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
FIRST_DAY, LAST_DAY = date(2026, 10, 22), date(2026, 11, 20)  # the default 30 days
PREVIOUS = (date(2026, 9, 22), date(2026, 10, 21))
FEATURE = "support"
T1, T2, T3, T4, T5, T6 = (str(i) * 32 for i in range(1, 7))


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def trace(project, trace_id: str, day: date, segment: str, **fields) -> Trace:
    fields.setdefault("feature", FEATURE)
    fields.setdefault("root_name", "answer_ticket")
    return Trace.objects.create(
        project=project,
        trace_id=trace_id,
        start_time=at(day),
        last_span_at=at(day),
        segment=segment,
        **fields,
    )


def call(project, trace_id: str, day: date, segment: str, cost: str | None, **fields):
    fields.setdefault("feature", FEATURE)
    fields.setdefault("template", "answer")
    fields.setdefault("route", "premium")
    fields.setdefault("response_model", fields.get("request_model", "gpt-4o"))
    fields.setdefault("request_model", fields["response_model"])
    return LLMCallFactory(
        project=project,
        trace_id=trace_id,
        start_time=at(day),
        segment=segment,
        cost_usd=None if cost is None else Decimal(cost),
        **fields,
    )


def rebuild(project) -> None:
    """Refresh the rollups of every day with calls or traces (``rebuild`` of the whole span
    would also refresh the empty days between)."""
    moments = LLMCall.objects.filter(project=project).values_list("start_time", flat=True)
    starts = Trace.objects.filter(project=project).values_list("start_time", flat=True)
    for day in sorted({t.astimezone(UTC).date() for t in [*moments, *starts]}):
        rollups.refresh(project.pk, day)


def build(project, client) -> None:
    """Segments enterprise and smb; routes gpt-4o/premium and gpt-4o-mini/cheap; templates
    answer, review and summary. A retry, a fallback, a model and a human escalation, an error,
    an app-cache hit with avoided cost, a prompt-cache read, quality scores, retrieval chunks
    and citations, an unpriced call, outcome values, spend in the compare period, a call of
    another feature in the same trace, and a late outcome for T3 sent through
    ``POST /api/v1/outcomes`` after the rollups were built."""
    d1, d2, d3 = date(2026, 11, 5), date(2026, 11, 19), date(2026, 11, 10)
    trace(
        project,
        T1,
        d1,
        "enterprise",
        outcome="success",
        outcome_value_usd=Decimal("10"),
        duration_ms=2400.0,
    )
    call(
        project,
        T1,
        d1,
        "enterprise",
        "0.3000000000",
        duration_ms=900.0,
        quality_score=0.8,
        input_tokens=3000,
        output_tokens=400,
        cache_read_tokens=1000,
        retrieval_chunks=4,
        retrieval_citations=2,
        customer="c1",
    )
    call(
        project,
        T1,
        d1,
        "enterprise",
        "0.1000000000",
        duration_ms=400.0,
        is_retry=True,
        attempt=2,
        quality_score=0.6,
        customer="c1",
    )
    call(project, T1, d1, "enterprise", "0.0500000000", feature="search", customer="c1")
    trace(project, T2, d2, "smb", outcome="failure", human_escalations=1, duration_ms=5200.0)
    call(
        project,
        T2,
        d2,
        "smb",
        "0.0200000000",
        response_model="gpt-4o-mini",
        route="cheap",
        error_type="timeout",
        duration_ms=3000.0,
        customer="c2",
    )
    call(
        project,
        T2,
        d2,
        "smb",
        "0.2000000000",
        is_fallback=True,
        duration_ms=1200.0,
        retrieval_chunks=6,
        retrieval_citations=1,
        customer="c2",
    )
    call(
        project,
        T2,
        d2,
        "smb",
        "0.2500000000",
        template="review",
        escalation=Escalation.MODEL,
        duration_ms=1500.0,
        input_tokens=2000,
        output_tokens=800,
        customer="c2",
    )
    trace(project, T3, d3, "smb", root_name="summarize", duration_ms=700.0)  # late outcome
    call(
        project,
        T3,
        d3,
        "smb",
        "0",
        response_model="gpt-4o-mini",
        route="cheap",
        template="summary",
        cache_hit=True,
        avoided_cost_usd=Decimal("0.0500000000"),
        input_tokens=0,
        output_tokens=0,
        duration_ms=15.0,
        customer="c3",
    )
    call(
        project,
        T3,
        d3,
        "smb",
        "0.0100000000",
        response_model="gpt-4o-mini",
        route="cheap",
        template="summary",
        duration_ms=600.0,
        customer="c3",
    )
    call(
        project,
        T3,
        d3,
        "smb",
        None,
        response_model="gpt-4o-mini",
        route="cheap",
        template="summary",
        duration_ms=650.0,
    )  # unpriced: a call, no spend
    # Compare period: one success in smb on the cheap route.
    trace(project, T4, date(2026, 10, 10), "smb", outcome="success")
    call(
        project,
        T4,
        date(2026, 10, 10),
        "smb",
        "0.1200000000",
        response_model="gpt-4o-mini",
        route="cheap",
        customer="c2",
    )
    # Another feature, and "support" before both periods: neither may count.
    trace(project, T5, d1, "smb", feature="search", outcome="success")
    call(project, T5, d1, "smb", "0.9000000000", feature="search")
    trace(project, T6, date(2026, 8, 1), "smb", outcome="success")
    call(project, T6, date(2026, 8, 1), "smb", "100")
    rebuild(project)
    key = issue_key(project)
    body = {
        "trace_id": T3,
        "name": "summary_accepted",
        "success": True,
        "value_usd": "5",
        "idempotency_key": "late-t3",
    }
    response = client.post(
        reverse("api:outcome-create"),
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 201, response.content
    rollups.refresh_dirty(limit=None)


def calls_of(project, first: date, last: date, feature: str = FEATURE, **match) -> list:
    """The stored calls of ``feature`` started on ``first`` … ``last`` matching ``match``."""
    rows = LLMCall.objects.filter(project=project, feature=feature)
    return [
        c
        for c in rows
        if first <= c.start_time.date() <= last
        and all(getattr(c, k) == v for k, v in match.items())
    ]


def traces_of(project, first: date, last: date, feature: str = FEATURE, **match) -> list:
    rows = Trace.objects.filter(project=project, feature=feature)
    return [
        t
        for t in rows
        if first <= t.start_time.date() <= last
        and all(getattr(t, k) == v for k, v in match.items())
    ]


def spend(calls) -> Decimal:
    return sum((c.cost_usd for c in calls if c.cost_usd is not None), Decimal(0))


def nearest_rank(durations: list[float], q: float) -> float:
    ordered = sorted(durations)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
