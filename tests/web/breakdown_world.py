"""A small world of calls and traces for the Segments, Templates and Features pages, and the
figures those pages should show computed here straight from the stored rows (never through
the rollups or the code's formulas)."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from decimal import Decimal

from django.urls import reverse

from finops import rollups
from ingest.models import LLMCall, Trace
from tests.factories import LLMCallFactory, issue_key

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
FIRST_DAY, LAST_DAY = date(2026, 10, 22), date(2026, 11, 20)  # the default 30 days
PREVIOUS = (date(2026, 9, 22), date(2026, 10, 21))
T1, T2, T3, T4, T5 = ("1" * 32, "2" * 32, "3" * 32, "4" * 32, "5" * 32)


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def trace(project, trace_id: str, day: date, feature: str, segment: str, outcome: str = ""):
    return Trace.objects.create(
        project=project,
        trace_id=trace_id,
        start_time=at(day),
        last_span_at=at(day),
        feature=feature,
        segment=segment,
        outcome=outcome,
    )


def call(project, day: date, segment: str, cost: str | None, **fields) -> LLMCall:
    fields.setdefault("template", "answer")
    fields.setdefault("feature", "support")
    cost_usd = None if cost is None else Decimal(cost)
    return LLMCallFactory(
        project=project, start_time=at(day), segment=segment, cost_usd=cost_usd, **fields
    )


def rebuild(project) -> None:
    first, last = rollups.data_days(project.pk)
    rollups.rebuild(project.pk, first, last)


def build(project, client) -> None:
    """Segments enterprise, smb and unattributed; templates answer, classify and none.

    Retries, a fallback, a model escalation, an app-cache hit (avoided cost), prompt-cache
    reads, quality scores, an unpriced call, a trace whose calls span two segments and two
    features, spend in the previous period and before it, and a late outcome for T2 sent
    through ``POST /api/v1/outcomes`` after the rollups were built.
    """
    nov5, nov19 = date(2026, 11, 5), date(2026, 11, 19)
    trace(project, T1, nov5, "support", "enterprise", "success")
    call(project, nov5, "enterprise", "0.3", trace_id=T1, customer="cus_a", duration_ms=400.0,
         quality_score=0.8, cache_read_tokens=500)  # fmt: skip
    call(project, nov5, "enterprise", "0.3", trace_id=T1, customer="cus_a", duration_ms=1200.0,
         is_retry=True, attempt=2, input_tokens=1100, output_tokens=250)  # fmt: skip
    trace(project, T2, nov19, "support", "enterprise")  # its outcome arrives late
    call(project, nov19, "enterprise", "0.1", trace_id=T2, customer="cus_b", template="classify",
         is_fallback=True, response_model="claude-3-5-haiku", duration_ms=90.0,
         input_tokens=300, output_tokens=5)  # fmt: skip
    call(project, nov19, "enterprise", "0", trace_id=T2, customer="cus_b", cache_hit=True,
         avoided_cost_usd=Decimal("0.2"), input_tokens=0, output_tokens=0,
         duration_ms=3.0)  # fmt: skip
    call(project, nov19, "enterprise", None, trace_id=T2, customer="cus_b",
         response_model="acme-llm-9", duration_ms=700.0)  # unpriced  # fmt: skip
    trace(project, T3, nov19, "search", "smb", "failure")
    call(project, nov19, "smb", "0.05", trace_id=T3, feature="search", customer="cus_c",
         template="classify", escalation="model", quality_score=0.4, duration_ms=250.0)  # fmt: skip
    trace(project, T4, LAST_DAY, "search", "smb", "success")
    call(project, LAST_DAY, "smb", "0.15", trace_id=T4, feature="search", customer="cus_a",
         duration_ms=2500.0)  # fmt: skip
    # T5: root in smb / search; one of its calls says enterprise / support.
    trace(project, T5, FIRST_DAY, "search", "smb", "success")
    call(project, FIRST_DAY, "smb", "0.01", trace_id=T5, feature="search", customer="cus_c")
    call(project, FIRST_DAY, "enterprise", "0.02", trace_id=T5, customer="cus_d",
         template="classify")  # fmt: skip
    call(project, date(2026, 11, 1), "", "0.02", feature="", template="")
    # Previous period: enterprise 0.40 (answer); smb had nothing.
    call(project, date(2026, 10, 10), "enterprise", "0.4", customer="cus_a")
    trace(project, "6" * 32, date(2026, 10, 10), "support", "enterprise", "success")
    # Before both periods.
    call(project, date(2026, 9, 1), "enterprise", "100", customer="cus_z")
    trace(project, "7" * 32, date(2026, 9, 1), "support", "enterprise", "success")
    rebuild(project)
    post_late_outcome(project, client, T2)


def post_late_outcome(project, client, trace_id: str) -> None:
    """A ticket resolved hours later: the outcome arrives through the API, the beat task
    refreshes the day it touched."""
    body = {"trace_id": trace_id, "name": "ticket_resolved", "success": True,
            "idempotency_key": f"late-{trace_id}"}  # fmt: skip
    response = client.post(
        reverse("api:outcome-create"),
        body,
        content_type="application/json",
        headers={"x-api-key": issue_key(project)},
    )
    assert response.status_code == 201, response.content
    assert rollups.refresh_dirty(limit=None) >= 1


def _in(rows, first: date, last: date, day_of=lambda r: r.start_time.date()):
    return [r for r in rows if first <= day_of(r) <= last]


def expected(project, dimension: str, first: date, last: date, **narrow) -> dict[str, dict]:
    """Per value of ``dimension`` ("segment" or "template"): sums over the stored calls in
    [first, last] (optionally narrowed: ``narrow={"feature": "support"}``)."""
    calls = _in(LLMCall.objects.filter(project=project, **narrow), first, last)
    out = {}
    for name in sorted({getattr(c, dimension) for c in calls}):
        mine = [c for c in calls if getattr(c, dimension) == name]
        model_calls = [c for c in mine if not c.cache_hit]
        scored = [c.quality_score for c in mine if c.quality_score is not None]
        out[name] = {
            "calls": len(mine),
            "spend_usd": sum((c.cost_usd for c in mine if c.cost_usd is not None), Decimal(0)),
            "unpriced": sum(1 for c in mine if c.cost_usd is None),
            "model_calls": len(model_calls),
            "input_tokens": sum(c.input_tokens for c in model_calls),
            "output_tokens": sum(c.output_tokens for c in model_calls),
            "retries": sum(1 for c in mine if c.is_retry),
            "fallbacks": sum(1 for c in mine if c.is_fallback),
            "escalations": sum(1 for c in mine if c.escalation == "model"),
            "prompt_cache": sum(1 for c in mine if c.cache_read_tokens > 0),
            "cache_hits": sum(1 for c in mine if c.cache_hit),
            "avoided_usd": sum((c.avoided_cost_usd or Decimal(0) for c in mine), Decimal(0)),
            "quality": sum(scored) / len(scored) if scored else None,
            "durations": sorted(c.duration_ms for c in mine),
            "customers": len({c.customer for c in mine if c.customer}),
            "features": sorted({c.feature for c in mine}),
        }
    return out


def expected_outcomes(project, key: str, first: date, last: date, **narrow) -> dict[str, dict]:
    """Per value of the trace's ``key`` ("segment" or "feature"): traces with an outcome and
    successes, each trace once (by its root), over traces started in [first, last]."""
    rows = _in(Trace.objects.filter(project=project, **narrow), first, last)
    out: dict[str, dict] = {}
    for t in rows:
        entry = out.setdefault(getattr(t, key), {"outcomes": 0, "successes": 0})
        entry["outcomes"] += bool(t.outcome)
        entry["successes"] += t.outcome == "success"
    return out


def nearest_rank(values: list[float], q: float) -> float:
    """The exact nearest-rank quantile of sorted ``values``."""
    return values[max(1, math.ceil(q * len(values))) - 1]


def cells(html: str, key: str, attr: str = "key") -> dict[str, str]:
    """The text of each ``data-col`` cell of the table row ``data-<attr>=key``."""
    row = re.search(rf'<tr data-{attr}="{re.escape(key)}">(.*?)</tr>', html, re.S)
    assert row, f"no row for {key!r}"
    found = re.findall(r'<t[dh][^>]*data-col="(\w+)">(.*?)</t[dh]>', row.group(1), re.S)
    return {col: re.sub(r"<[^>]+>", "", text).strip() for col, text in found}


def links(html: str, key: str, attr: str = "key") -> dict[str, str]:
    """The href of each linked cell of row ``data-<attr>=key``."""
    row = re.search(rf'<tr data-{attr}="{re.escape(key)}">(.*?)</tr>', html, re.S)
    assert row, f"no row for {key!r}"
    found = re.findall(r'data-col="(\w+)"><a href="([^"]*)"', row.group(1))
    return {col: href.replace("&amp;", "&") for col, href in found}
