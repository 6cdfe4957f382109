"""Finalize traces: load their spans and calls, judge them (``ingest.attribution``), save.

Runs when a trace has been idle for ``TRACE_IDLE_SECONDS`` (a Celery task queued by the
receiver, plus a periodic sweep), inline in the embedded default, and on demand
(``manage.py finalize_traces``). Idempotent: the verdict depends only on the stored spans.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from finops.models import AttributeAlias, DirtyDay
from ingest import conventions
from ingest.attribution import (
    DIMENSIONS,
    CallFacts,
    SpanNode,
    TraceVerdict,
    judge_trace,
    resolve,
)
from ingest.calls import fill_call
from ingest.copy import upsert_rows
from ingest.models import LLMCall, Span, SpanLog, Trace
from ingest.outcomes import api_facts_for
from ingest.texts import store_call_texts

_CHUNK = 200
_NO_SPAN: tuple[dict, str, list[float]] = ({}, "", [])  # a call whose span row is missing
# The avoided cost of an app-cache hit is the template's average call cost over this window.
_AVG_COST_WINDOW = timedelta(days=30)
_VERDICT_FIELDS = (
    "quality_score",
    *DIMENSIONS,
    "attempt",
    "is_retry",
    "is_fallback",
    "escalation",
    "avoided_cost_usd",
)


def finalize_traces(project_id: int, trace_ids: Iterable[str]) -> int:
    """Finalize the given traces of one project; returns how many were finalized."""
    ids = sorted(set(trace_ids))
    aliases = AttributeAlias.mapping_for(project_id)
    for start in range(0, len(ids), _CHUNK):
        _finalize_chunk(project_id, ids[start : start + _CHUNK], aliases)
    return len(ids)


def finalize_idle_traces(now=None) -> int:
    """Finalize every trace of every project idle for TRACE_IDLE_SECONDS; the safety net for
    a finalize task that was lost (worker restart, broker outage)."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.TRACE_IDLE_SECONDS)
    pending = (
        Trace.objects.needing_finalize()
        .filter(last_span_at__lte=cutoff)
        .values_list("project_id", "trace_id")
    )
    by_project: dict[int, list[str]] = defaultdict(list)
    for project_id, trace_id in pending.iterator():
        by_project[project_id].append(trace_id)
    return sum(finalize_traces(p, ids) for p, ids in by_project.items())


def _finalize_chunk(project_id: int, trace_ids: list[str], aliases: dict[str, str]) -> None:
    loaded_at = timezone.now()
    with transaction.atomic():
        nodes, attributes = _load_spans(project_id, trace_ids, aliases)
        calls_by_trace: dict[str, list[LLMCall]] = defaultdict(list)
        for call in LLMCall.objects.for_project(project_id).filter(trace_id__in=trace_ids):
            calls_by_trace[call.trace_id].append(call)
        _usage_from_logs(project_id, calls_by_trace, attributes)
        averages = _average_cost_by_template(project_id, calls_by_trace, nodes, loaded_at)
        previous_days = {
            start.astimezone(UTC).date()
            for start in Trace.objects.for_project(project_id)
            .filter(trace_id__in=trace_ids, start_time__isnull=False)
            .values_list("start_time", flat=True)
        }
        api = api_facts_for(project_id, trace_ids)  # API scores and outcomes win over spans
        summaries, all_duplicates, all_changed = [], [], []
        for trace_id in trace_ids:
            calls = calls_by_trace.get(trace_id, [])
            facts = [_facts(c, *attributes.get((trace_id, c.span_id), _NO_SPAN)) for c in calls]
            facts = api.with_call_scores(trace_id, facts)
            verdict = judge_trace(nodes.get(trace_id, {}), facts, averages)
            duplicates, changed = _judged(calls, verdict)
            all_duplicates += duplicates
            all_changed += changed
            summaries.append(_trace_row(project_id, trace_id, verdict, loaded_at))
        api.apply_to_traces(summaries)
        _save_calls(all_duplicates, all_changed)
        _save_summaries(summaries)
        removed = set(all_duplicates)  # the text of calls, for search (ingest.texts)
        store_call_texts(
            project_id, [c for cs in calls_by_trace.values() for c in cs if c.pk not in removed]
        )
        # Rollups of every day these traces touch are stale now (finops.rollups).
        days = {c.start_time.astimezone(UTC).date() for cs in calls_by_trace.values() for c in cs}
        days |= {t.start_time.astimezone(UTC).date() for t in summaries if t.start_time}
        days |= previous_days  # a trace whose root arrived may now start a day earlier
        DirtyDay.mark(project_id, days)
        # A span that arrived while we worked set needs_finalize again and queued another
        # finalize; only clear the flag for traces untouched since we loaded them.
        Trace.objects.for_project(project_id).filter(
            trace_id__in=trace_ids, last_span_at__lte=loaded_at
        ).update(needs_finalize=False, finalized_at=timezone.now())


def _usage_from_logs(
    project_id: int,
    calls_by_trace: dict[str, list[LLMCall]],
    attributes: dict[tuple[str, str], tuple[dict, str, list[float]]],
) -> None:
    """Price calls whose span had no usage from a GenAI log record of the same span (some
    libraries report usage only in ``/v1/logs``). Calls with usage on the span are left
    alone, so usage repeated in logs is never counted twice."""
    lacking = {
        (c.trace_id, c.span_id): c
        for calls in calls_by_trace.values()
        for c in calls
        if not c.has_usage and not c.cache_hit
    }
    if not lacking:
        return
    logs = (
        SpanLog.objects.filter(project_id=project_id)
        .filter(trace_id__in={t for t, _ in lacking}, span_id__in={s for _, s in lacking})
        .order_by("time", "pk")
        .values_list("trace_id", "span_id", "attributes")
    )
    for trace_id, span_id, attrs in logs:
        call = lacking.get((trace_id, span_id))
        # The span's scope says which library wrote the record (openlit logs Anthropic's raw
        # input, excluding cache tokens), so read the record as that family.
        _, scope, _ = attributes.get((trace_id, span_id), _NO_SPAN)
        fields = conventions.extract_call(attrs, scope=scope)
        if call is None or call.has_usage or fields is None or not fields.has_usage:
            continue
        fields = replace(
            fields,
            provider=fields.provider or call.provider,
            request_model=fields.request_model or call.request_model,
            response_model=fields.response_model or call.response_model,
            operation=fields.operation or call.operation,
            error_type=call.error_type,
        )
        fill_call(call, fields, call.start_time)
        call.save()


def _load_spans(project_id: int, trace_ids: list[str], aliases: dict[str, str]):
    nodes: dict[str, dict[str, SpanNode]] = defaultdict(dict)
    attributes: dict[tuple[str, str], tuple[dict, str, list[float]]] = {}
    rows = (
        Span.objects.for_project(project_id)
        .filter(trace_id__in=trace_ids)
        .values_list(
            "trace_id",
            "span_id",
            "parent_span_id",
            "name",
            "start_time",
            "end_time",
            "attributes",
            "resource",
            "scope",
            "events",
        )
    )
    for trace_id, span_id, parent, name, start, end, attrs, resource, scope, events in rows:
        marks = conventions.extract_marks(attrs)
        outcome = conventions.outcome_of(attrs)
        nodes[trace_id][span_id] = SpanNode(
            span_id=span_id,
            parent_span_id=parent,
            own=conventions.attribution_of(attrs, aliases),
            resource=conventions.attribution_of(resource, aliases),
            name=name,
            start=start,
            end=end,
            escalation=marks.escalation,
            outcome=_outcome_word(outcome),
            outcome_name=outcome.name if outcome else "",
            outcome_value_usd=outcome.value_usd if outcome else None,
        )
        attributes[(trace_id, span_id)] = (attrs, scope, _evaluations(events or []))
    _add_logged_evaluations(project_id, trace_ids, attributes)
    return nodes, attributes


def _evaluations(events: list[dict]) -> list[float]:
    """0..1 scores of the span's ``gen_ai.evaluation.result`` events."""
    scores = (
        conventions.evaluation_score(event.get("attributes") or {})
        for event in events
        if isinstance(event, dict) and event.get("name") == conventions.GEN_AI_EVALUATION_RESULT
    )
    return [score for score in scores if score is not None]


def _add_logged_evaluations(project_id: int, trace_ids: list[str], attributes: dict) -> None:
    """Evaluation results that arrived as log records (the newer way) join their span's."""
    logged = SpanLog.objects.filter(
        project_id=project_id,
        trace_id__in=trace_ids,
        event_name=conventions.GEN_AI_EVALUATION_RESULT,
    ).values_list("trace_id", "span_id", "attributes")
    for trace_id, span_id, attrs in logged:
        score = conventions.evaluation_score(attrs)
        if score is not None and (trace_id, span_id) in attributes:
            attributes[(trace_id, span_id)][2].append(score)


def _outcome_word(outcome) -> str:
    if outcome is None or outcome.success is None:
        return ""
    return "success" if outcome.success else "failure"


def _facts(call: LLMCall, attrs: dict, scope: str, evaluations: list[float]) -> CallFacts:
    marks = conventions.extract_marks(attrs)
    quality = marks.quality_score
    if quality is None and evaluations:  # an explicit finops.quality.score wins
        quality = sum(evaluations) / len(evaluations)
    return CallFacts(
        span_id=call.span_id,
        parent_span_id=call.parent_span_id,
        start=call.start_time,
        end=call.start_time + timedelta(milliseconds=call.duration_ms),
        provider=call.provider,
        model=call.response_model or call.request_model,
        input_tokens=call.input_tokens,
        output_tokens=call.output_tokens,
        has_usage=call.has_usage,
        cost_usd=call.cost_usd,
        error_type=call.error_type,
        cache_hit=marks.cache_hit,
        attempt=marks.attempt,
        resend_count=marks.resend_count,
        is_fallback=marks.is_fallback,
        escalation=marks.escalation,
        quality_score=quality,
        richness=len(attrs),
        scope=scope,
    )


def _average_cost_by_template(project_id, calls_by_trace, nodes, now) -> dict[str, Decimal]:
    """Average priced, non-cache call cost per template, for templates of cache hits here."""
    templates = {
        resolve(nodes.get(call.trace_id, {}), call.span_id)["template"]
        for calls in calls_by_trace.values()
        for call in calls
        if call.cache_hit
    } - {""}
    if not templates:
        return {}
    rows = (
        LLMCall.objects.for_project(project_id)
        .between(now - _AVG_COST_WINDOW, None)
        .filter(template__in=templates, cache_hit=False)
        .values("template")
        .annotate(total=Sum("cost_usd"), priced=Count("id", filter=Q(cost_usd__isnull=False)))
    )
    return {
        row["template"]: (Decimal(row["total"]) / row["priced"]).quantize(Decimal("1e-10"))
        for row in rows
        if row["priced"]
    }


def _judged(calls: list[LLMCall], verdict: TraceVerdict) -> tuple[list[int], list[LLMCall]]:
    """The pks of duplicate call rows, and the calls whose verdict fields changed (updated
    in place on the instances)."""
    duplicates = [c.pk for c in calls if c.span_id in verdict.duplicates]
    changed = []
    for call in calls:
        judged = verdict.calls.get(call.span_id)
        if judged is None:
            continue
        wanted = (
            judged.quality_score,
            *(judged.attribution[d] for d in DIMENSIONS),
            judged.attempt,
            judged.is_retry,
            judged.is_fallback,
            judged.escalation,
            judged.avoided_cost_usd,
        )
        if wanted != tuple(getattr(call, name) for name in _VERDICT_FIELDS):
            for name, value in zip(_VERDICT_FIELDS, wanted, strict=True):
                setattr(call, name, value)
            changed.append(call)
    return duplicates, changed


def _save_calls(duplicates: list[int], changed: list[LLMCall]) -> None:
    """Delete duplicates; write every changed call of the chunk in one statement (COPY into
    staging + ON CONFLICT DO UPDATE on PostgreSQL), not one UPDATE per call."""
    if duplicates:
        LLMCall.objects.filter(pk__in=duplicates).delete()
    upsert_rows(LLMCall, _rows(changed), ["project", "trace_id", "span_id"], _VERDICT_FIELDS)


def _trace_row(project_id: int, trace_id: str, verdict: TraceVerdict, loaded_at) -> Trace:
    s = verdict.summary
    return Trace(
        project_id=project_id,
        trace_id=trace_id,
        root_span_id=s.root_span_id,
        root_name=s.root_name[:500],
        start_time=s.start,
        duration_ms=s.duration_ms,
        feature=s.attribution["feature"],
        segment=s.attribution["segment"],
        customer=s.attribution["customer"],
        session=s.attribution["session"],
        cost_usd=s.cost_usd,
        unpriced_calls=s.unpriced_calls,
        calls=s.calls,
        retries=s.retries,
        fallbacks=s.fallbacks,
        model_escalations=s.model_escalations,
        human_escalations=s.human_escalations,
        errors=s.errors,
        cache_hits=s.cache_hits,
        avoided_cost_usd=s.avoided_cost_usd,
        retry_cost_usd=s.retry_cost_usd,
        outcome=s.outcome,
        outcome_name=s.outcome_name[:200],
        outcome_value_usd=s.outcome_value_usd,
        quality_score=s.quality_score,
        last_span_at=loaded_at,
    )


_SUMMARY_FIELDS = [
    "root_span_id",
    "root_name",
    "start_time",
    "duration_ms",
    "feature",
    "segment",
    "customer",
    "session",
    "cost_usd",
    "unpriced_calls",
    "calls",
    "retries",
    "fallbacks",
    "model_escalations",
    "human_escalations",
    "errors",
    "cache_hits",
    "avoided_cost_usd",
    "retry_cost_usd",
    "outcome",
    "outcome_name",
    "outcome_value_usd",
    "quality_score",
]


def _save_summaries(traces: list[Trace]) -> None:
    # last_span_at is not in update_fields: the receiver owns it, and it decides whether the
    # trace needs finalizing again.
    upsert_rows(Trace, _rows(traces), ["project", "trace_id"], _SUMMARY_FIELDS)


def _rows(instances: list) -> list[dict]:
    """Unsaved or loaded instances as row dicts for ``ingest.copy``, in key order."""
    if not instances:
        return []
    fields = [f for f in instances[0]._meta.concrete_fields if not f.primary_key]
    ordered = sorted(instances, key=lambda i: i.trace_id + getattr(i, "span_id", ""))
    return [{f.attname: getattr(i, f.attname) for f in fields} for i in ordered]
