"""Write the searchable text of LLM calls (``CallText``) when their trace is finalized.

Finalize, not the receiver, so the text and its index cost nothing on the hot ingest path;
a call's text is searchable once its trace is finalized (seconds after its last span).
Re-finalizing a trace rewrites its calls' rows (a late log record may add the answer).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction

from ingest.conventions.content import searchable_text
from ingest.copy import upsert_rows
from ingest.models import CallText, LLMCall, Span, SpanLog


def store_call_texts(project_id: int, calls: Iterable[LLMCall]) -> int:
    """Upsert the text of ``calls`` (one project) from their spans' attributes, events and
    GenAI log records; calls without any content get no row. Returns rows written."""
    by_key = {(c.trace_id, c.span_id): c for c in calls}
    if not by_key:
        return 0
    trace_ids = {t for t, _ in by_key}
    span_ids = {s for _, s in by_key}
    logs: dict[tuple[str, str], list[dict]] = defaultdict(list)
    records = (
        SpanLog.objects.filter(project_id=project_id, trace_id__in=trace_ids, span_id__in=span_ids)
        .order_by("time", "pk")
        .values("trace_id", "span_id", "event_name", "body", "attributes")
    )
    for record in records:
        logs[(record["trace_id"], record["span_id"])].append(record)
    spans = Span.objects.filter(
        project_id=project_id, trace_id__in=trace_ids, span_id__in=span_ids
    ).values_list("trace_id", "span_id", "attributes", "events")
    rows = []
    for trace_id, span_id, attributes, events in spans:
        call = by_key.get((trace_id, span_id))
        text = call and searchable_text(attributes, events or (), logs.get((trace_id, span_id), ()))
        if text:
            rows.append(
                {
                    "project_id": project_id,
                    "trace_id": trace_id,
                    "span_id": span_id,
                    "start_time": call.start_time,
                    "text": text.replace("\x00", ""),  # PostgreSQL text cannot hold NUL
                }
            )
    rows.sort(key=lambda row: (row["trace_id"], row["span_id"]))
    # upsert_rows stages rows in a temporary table emptied at commit: one transaction, or
    # in autocommit (the index_call_texts command) the stage would be empty by the insert.
    with transaction.atomic():
        upsert_rows(CallText, rows, ["project", "trace_id", "span_id"], ["start_time", "text"])
    return len(rows)
