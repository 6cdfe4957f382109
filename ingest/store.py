"""Writes of ingested facts: spans and calls, idempotent on (project, trace_id, span_id)."""

from __future__ import annotations

from django.db import transaction

from ingest import conventions
from ingest.attribution import DIMENSIONS, SpanNode, resolve
from ingest.models import LLMCall, Span

_BATCH = 500


def store_spans_and_calls(
    project_id: int, spans: list[Span], calls: list[LLMCall]
) -> tuple[int, int]:
    """Insert new spans and calls, skip ones already stored, then re-attribute their traces.

    Returns (spans inserted, calls inserted). All or nothing: one transaction.
    """
    trace_ids = {span.trace_id for span in spans}
    with transaction.atomic():
        existing = set(
            Span.objects.for_project(project_id)
            .filter(trace_id__in=trace_ids)
            .values_list("trace_id", "span_id")
        )
        new_spans = _unseen(spans, existing)
        new_calls = _unseen(calls, existing)
        # ignore_conflicts still guards a concurrent request storing the same spans: the
        # unique constraint makes "stored once" a database fact, so no cost counts twice.
        Span.objects.bulk_create(new_spans, batch_size=_BATCH, ignore_conflicts=True)
        LLMCall.objects.bulk_create(new_calls, batch_size=_BATCH, ignore_conflicts=True)
        attribute_traces(project_id, trace_ids)
    spans_stored, calls_stored = len(new_spans), len(new_calls)
    return spans_stored, calls_stored


def _unseen(rows: list, existing: set[tuple[str, str]]) -> list:
    """Rows whose (trace_id, span_id) is neither stored nor repeated earlier in the batch."""
    fresh = {}
    for row in rows:
        key = (row.trace_id, row.span_id)
        if key not in existing:
            fresh.setdefault(key, row)
    return list(fresh.values())


def attribute_traces(project_id: int, trace_ids: set[str]) -> int:
    """Re-resolve the attribution of every stored call of ``trace_ids``; returns rows changed.

    Runs whenever spans of a trace arrive, because a parent that carries ``finops.feature`` is
    usually exported after its children.
    """
    if not trace_ids:
        return 0
    calls = list(LLMCall.objects.for_project(project_id).filter(trace_id__in=trace_ids))
    if not calls:
        return 0
    traced = {call.trace_id for call in calls}
    nodes: dict[str, dict[str, SpanNode]] = {}
    rows = Span.objects.for_project(project_id).filter(trace_id__in=traced)
    for trace_id, span_id, parent, attributes, resource in rows.values_list(
        "trace_id", "span_id", "parent_span_id", "attributes", "resource"
    ):
        nodes.setdefault(trace_id, {})[span_id] = SpanNode(
            span_id=span_id,
            parent_span_id=parent,
            own=conventions.attribution_of(attributes),
            resource=conventions.attribution_of(resource),
        )
    changed = []
    for call in calls:
        resolved = resolve(nodes.get(call.trace_id, {}), call.span_id)
        if any(getattr(call, d) != resolved[d] for d in DIMENSIONS):
            for dimension in DIMENSIONS:
                setattr(call, dimension, resolved[dimension])
            changed.append(call)
    LLMCall.objects.bulk_update(changed, list(DIMENSIONS), batch_size=_BATCH)
    return len(changed)
