"""Writes of ingested facts: spans and calls, idempotent on (project, trace_id, span_id)."""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction

from ingest import conventions
from ingest.attribution import DIMENSIONS, SpanNode, resolve
from ingest.models import LLMCall, Span

_BATCH = 500


def store_spans_and_calls(
    project_id: int, spans: list[Span], calls: list[LLMCall]
) -> tuple[int, int]:
    """Insert new spans and calls, skip ones already stored, and attribute the touched traces.

    New calls are attributed before they are inserted; calls stored by earlier requests are
    updated only when a newly arrived ancestor changes their attribution. Returns (spans
    inserted, calls inserted). All or nothing: one transaction.
    """
    trace_ids = {span.trace_id for span in spans}
    with transaction.atomic():
        stored = _stored_nodes(project_id, trace_ids)
        new_spans = _unseen(spans, stored)
        new_calls = _unseen(calls, stored)
        nodes = _nodes_by_trace(stored, new_spans)
        for call in new_calls:
            _apply(call, resolve(nodes.get(call.trace_id, {}), call.span_id))
        _reattribute_stored_calls(project_id, nodes, {trace_id for trace_id, _ in stored})
        # ignore_conflicts still guards a concurrent request storing the same spans: the
        # unique constraint makes "stored once" a database fact, so no cost counts twice.
        Span.objects.bulk_create(new_spans, batch_size=_BATCH, ignore_conflicts=True)
        LLMCall.objects.bulk_create(new_calls, batch_size=_BATCH, ignore_conflicts=True)
    return len(new_spans), len(new_calls)


def _stored_nodes(project_id: int, trace_ids: set[str]) -> dict[tuple[str, str], SpanNode]:
    rows = (
        Span.objects.for_project(project_id)
        .filter(trace_id__in=trace_ids)
        .values_list("trace_id", "span_id", "parent_span_id", "attributes", "resource")
    )
    return {
        (trace_id, span_id): _node(span_id, parent, attributes, resource)
        for trace_id, span_id, parent, attributes, resource in rows
    }


def _node(span_id: str, parent: str, attributes: dict, resource: dict) -> SpanNode:
    return SpanNode(
        span_id=span_id,
        parent_span_id=parent,
        own=conventions.attribution_of(attributes),
        resource=conventions.attribution_of(resource),
    )


def _unseen(rows: list, existing) -> list:
    """Rows whose (trace_id, span_id) is neither stored nor repeated earlier in the batch."""
    fresh = {}
    for row in rows:
        key = (row.trace_id, row.span_id)
        if key not in existing:
            fresh.setdefault(key, row)
    return list(fresh.values())


def _nodes_by_trace(
    stored: dict[tuple[str, str], SpanNode], new_spans: list[Span]
) -> dict[str, dict[str, SpanNode]]:
    """trace id → span id → node, over stored spans and the batch's new ones."""
    nodes: dict[str, dict[str, SpanNode]] = defaultdict(dict)
    for (trace_id, span_id), node in stored.items():
        nodes[trace_id][span_id] = node
    for span in new_spans:
        nodes[span.trace_id][span.span_id] = _node(
            span.span_id, span.parent_span_id, span.attributes, span.resource
        )
    return nodes


def _apply(call: LLMCall, attribution: dict[str, str]) -> None:
    for dimension in DIMENSIONS:
        setattr(call, dimension, attribution[dimension])


def _reattribute_stored_calls(
    project_id: int, nodes: dict[str, dict[str, SpanNode]], traces: set[str]
) -> int:
    """Update stored calls whose attribution a newly arrived span changes; rows changed.

    Parents are usually exported after their children, so this is what fixes a call stored
    without its feature. Updates are grouped by the new attribution: one UPDATE per distinct
    value set, not one CASE expression per row.
    """
    if not traces:
        return 0
    stored_calls = (
        LLMCall.objects.for_project(project_id)
        .filter(trace_id__in=traces)
        .values_list("pk", "trace_id", "span_id", *DIMENSIONS)
    )
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for pk, trace_id, span_id, *current in stored_calls:
        resolved = resolve(nodes[trace_id], span_id)
        wanted = tuple(resolved[d] for d in DIMENSIONS)
        if wanted != tuple(current):
            groups[wanted].append(pk)
    for values, pks in groups.items():
        LLMCall.objects.filter(pk__in=pks).update(**dict(zip(DIMENSIONS, values, strict=True)))
    return sum(len(pks) for pks in groups.values())
