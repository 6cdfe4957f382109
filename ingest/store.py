"""Writes of ingested facts: spans and calls, idempotent on (project, trace_id, span_id)."""

from __future__ import annotations

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from finops.rollups import refresh_dirty_if_eager
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
    with transaction.atomic():
        # The database tells which spans are new: the unique constraints make "stored once"
        # a fact even for two requests racing with the same batch, so no cost counts twice.
        new_spans = insert_new_rows(Span, _unique(spans), _KEY)
        new = {(span["trace_id"], span["span_id"]) for span in new_spans}
        # A call is new with its span: a re-sent batch stores no call again.
        new_calls = [c for c in _unique(calls) if (c["trace_id"], c["span_id"]) in new]
        insert_new_rows(LLMCall, new_calls, _KEY)
        touched = {span["trace_id"] for span in new_spans}
        _mark_traces(project_id, touched)
        _schedule_finalize(project_id, touched)
    return len(new_spans), len(new_calls)


# What makes a span or a call the same one again.
_KEY = ("project_id", "trace_id", "span_id")


def store_logs(project_id: int, logs: list[SpanLog]) -> None:
    """Store GenAI log records once (unique fingerprint) and re-finalize their traces."""
    with transaction.atomic():
        SpanLog.objects.bulk_create(logs, batch_size=_BATCH, ignore_conflicts=True)
        traces = {log.trace_id for log in logs}
        _mark_traces(project_id, traces)
        _schedule_finalize(project_id, traces)


def _unique(rows: list[dict]) -> list[dict]:
    """Rows whose (trace_id, span_id) was not repeated earlier in the batch."""
    fresh = {}
    for row in rows:
        fresh.setdefault((row["trace_id"], row["span_id"]), row)
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
            # No beat either: bring the days finalize marked dirty up to date once committed.
            transaction.on_commit(refresh_dirty_if_eager)
        return
    ids = sorted(trace_ids)
    transaction.on_commit(
        lambda: finalize_traces_task.apply_async(
            (project_id, ids), countdown=settings.TRACE_IDLE_SECONDS
        )
    )
