"""Writes of ingested facts: spans and calls, idempotent on (project, trace_id, span_id)."""

from __future__ import annotations

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ingest import finalize
from ingest.copy import insert_new_rows, upsert_rows
from ingest.models import LLMCall, Span, SpanLog, Trace
from ingest.tasks import finalize_traces_task

_BATCH = 500


def store_spans_and_calls(project_id: int, spans: list[dict], calls: list[dict]) -> tuple[int, int]:
    """Insert new spans and calls, skip ones already stored, and queue their traces to finalize.

    ``spans`` and ``calls`` are rows of ``Span`` and ``LLMCall`` as dicts by field attname
    (``ingest.copy.insert_new_rows``). Returns (spans inserted, calls inserted). All or
    nothing: one transaction.
    """
    trace_ids = {span["trace_id"] for span in spans}
    with transaction.atomic():
        stored = set(
            Span.objects.for_project(project_id)
            .filter(trace_id__in=trace_ids)
            .values_list("trace_id", "span_id")
        )
        new_spans = _unseen(spans, stored)
        new_calls = _unseen(calls, stored)
        # The inserts still skip rows that conflict, for a concurrent request storing the
        # same spans: the unique constraints make "stored once" a database fact, so no cost
        # counts twice.
        insert_new_rows(Span, new_spans)
        insert_new_rows(LLMCall, new_calls)
        touched = {span["trace_id"] for span in new_spans}
        _mark_traces(project_id, touched)
        _schedule_finalize(project_id, touched)
    return len(new_spans), len(new_calls)


def store_logs(project_id: int, logs: list[SpanLog]) -> None:
    """Store GenAI log records once (unique fingerprint) and re-finalize their traces."""
    with transaction.atomic():
        SpanLog.objects.bulk_create(logs, batch_size=_BATCH, ignore_conflicts=True)
        traces = {log.trace_id for log in logs}
        _mark_traces(project_id, traces)
        _schedule_finalize(project_id, traces)


def _unseen(rows: list[dict], existing: set[tuple[str, str]]) -> list[dict]:
    """Rows whose (trace_id, span_id) is neither stored nor repeated earlier in the batch."""
    fresh = {}
    for row in rows:
        key = (row["trace_id"], row["span_id"])
        if key not in existing:
            fresh.setdefault(key, row)
    return list(fresh.values())


def _mark_traces(project_id: int, trace_ids: set[str]) -> None:
    """Create or touch the Trace rows: new spans arrived, so each needs finalizing again."""
    now = timezone.now()
    rows = [
        {**_TRACE_DEFAULTS, "project_id": project_id, "trace_id": t, "last_span_at": now}
        for t in sorted(trace_ids)  # a fixed order keeps concurrent upserts from deadlocking
    ]
    upsert_rows(
        Trace,
        rows,
        unique_fields=["project", "trace_id"],
        update_fields=["last_span_at", "needs_finalize"],
    )


# A new Trace row: every column at its default, flagged for finalizing.
_TRACE_DEFAULTS = {
    field.attname: field.get_default()
    for field in Trace._meta.concrete_fields
    if not field.primary_key
} | {"needs_finalize": True}


def _schedule_finalize(project_id: int, trace_ids: set[str]) -> None:
    """Finalize the traces once idle: a Celery task after TRACE_IDLE_SECONDS.

    With no broker (the embedded default) there is no worker to wait for: finalize now, in
    this transaction, so the calls are attributed when the export is acknowledged; unless
    TRACE_FINALIZE_INLINE is off, when the traces stay marked for ``finalize_idle_traces``.
    """
    if not trace_ids:
        return
    if current_app.conf.task_always_eager:
        if settings.TRACE_FINALIZE_INLINE:
            finalize.finalize_traces(project_id, trace_ids)
        return
    ids = sorted(trace_ids)
    transaction.on_commit(
        lambda: finalize_traces_task.apply_async(
            (project_id, ids), countdown=settings.TRACE_IDLE_SECONDS
        )
    )
