"""Ingest orchestration: OTLP body → decoded spans → LLM-call facts → priced → stored."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.conf import settings
from django.utils import timezone

from ingest import conventions, otlp, store
from ingest.calls import fill_call
from ingest.models import LLMCall, Span, SpanLog

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_NS = int((datetime(9999, 1, 1, tzinfo=UTC) - _EPOCH).total_seconds()) * 10**9
# Spans further than this from the receive time are stored but flagged (clock or id bugs).
_SUSPECT_PAST = timedelta(days=366)
_SUSPECT_FUTURE = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class IngestResult:
    batch: otlp.DecodedBatch
    spans_received: int
    spans_stored: int
    calls_stored: int


def ingest_otlp_traces(
    project_id: int, body: bytes, content_type: str, content_encoding: str = ""
) -> IngestResult:
    """Decode, price and store one OTLP trace export for a project.

    Raises ``otlp.OtlpDecodeError`` (nothing stored) when the body as a whole is unreadable.
    Spans already stored (a re-sent batch) are skipped, so a retry never counts cost twice.
    """
    raw = otlp.decompress(body, content_encoding, settings.OTLP_MAX_DECOMPRESSED_BYTES)
    batch = otlp.decode(raw, content_type)
    received_at = timezone.now()
    plausible = (received_at - _SUSPECT_PAST, received_at + _SUSPECT_FUTURE)
    spans, calls = [], []
    for record in batch.spans:
        try:
            start, end = _to_datetime(record.start_ns), _to_datetime(record.end_ns)
        except ValueError as exc:
            batch.reject(f"span {record.name!r}: {exc}")
            continue
        flags = _flags(record, start, plausible)
        spans.append(_span_row(project_id, record, start, end, flags))
        call = _call_row(project_id, record, start, end, flags)
        if call is not None:
            calls.append(call)
    spans_stored, calls_stored = store.store_spans_and_calls(project_id, spans, calls)
    return IngestResult(batch, len(batch.spans), spans_stored, calls_stored)


def ingest_otlp_logs(
    project_id: int, body: bytes, content_type: str, content_encoding: str = ""
) -> int:
    """Store the GenAI log records of an OTLP log export, tied to their spans; returns how
    many were kept. Records carrying usage queue their trace for finalizing, which reads
    usage from logs for calls whose span had none."""
    raw = otlp.decompress(body, content_encoding, settings.OTLP_MAX_DECOMPRESSED_BYTES)
    rows = []
    for record in otlp.decode_logs(raw, content_type):
        try:
            time = _to_datetime(record.time_ns)
        except ValueError:
            time = timezone.now()
        attributes, _ = otlp.limit_attributes(
            record.attributes, settings.OTLP_MAX_ATTRIBUTES, settings.OTLP_MAX_ATTRIBUTE_LENGTH
        )
        rows.append(
            SpanLog(
                project_id=project_id,
                trace_id=record.trace_id,
                span_id=record.span_id,
                time=time,
                event_name=record.event_name[:200],
                body=record.body,
                attributes=attributes,
                fingerprint=_fingerprint(record),
            )
        )
    store.store_logs(project_id, rows)
    return len(rows)


def _fingerprint(record: otlp.LogRecordData) -> str:
    content = json.dumps(
        [
            record.trace_id,
            record.span_id,
            record.time_ns,
            record.event_name,
            record.body,
            record.attributes,
        ],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(content.encode()).hexdigest()


def _to_datetime(ns: int) -> datetime:
    if ns < 0 or ns >= _MAX_NS:
        raise ValueError(f"timestamp {ns} ns is out of range")
    return _EPOCH + timedelta(microseconds=ns // 1000)


def _flags(record: otlp.SpanRecord, start: datetime, plausible: tuple[datetime, datetime]) -> str:
    """Limit the span's attributes in place and name what was unusual about it; ``plausible``
    is the (earliest, latest) start time not flagged as suspect."""
    flags = []
    max_count, max_length = settings.OTLP_MAX_ATTRIBUTES, settings.OTLP_MAX_ATTRIBUTE_LENGTH
    if not _within_limits(record.attributes, max_count, max_length):
        record.attributes, truncated = otlp.limit_attributes(
            record.attributes, max_count, max_length
        )
        if truncated:
            flags.append("attributes_truncated")
    if not plausible[0] <= start <= plausible[1]:
        flags.append("time_suspect")
    return ",".join(flags)


def _within_limits(attributes: dict, max_count: int, max_length: int) -> bool:
    """True when ``otlp.limit_attributes`` would cut nothing (nearly every span): checked
    without building a new dict for each span. Types it does not expect say False, and
    ``limit_attributes`` decides."""
    if len(attributes) > max_count:
        return False
    for value in attributes.values():
        kind = type(value)
        if kind is str:
            if len(value) > max_length:
                return False
        elif kind is list:
            if any(isinstance(item, str) and len(item) > max_length for item in value):
                return False
        elif kind not in _UNCUT_TYPES:
            return False
    return True


# Attribute value types limit_attributes never cuts (a kvlist is a dict: it is not cut inside).
_UNCUT_TYPES = frozenset((int, float, bool, dict, type(None)))


def _duration_ms(start: datetime, end: datetime) -> float:
    return max((end - start).total_seconds() * 1000.0, 0.0)


def _defaults(model) -> dict:
    """Column defaults of ``model`` by attname, without the primary key and auto timestamps."""
    return {
        field.attname: field.get_default()
        for field in model._meta.concrete_fields
        if not field.primary_key and not getattr(field, "auto_now_add", False)
    }


# Rows are plain dicts by attname (see ``ingest.copy``): building a Django model instance per
# span cost more than storing it (bench/README.md, "Profile").
_SPAN_DEFAULTS = _defaults(Span)
_CALL_DEFAULTS = _defaults(LLMCall)


def _span_row(
    project_id: int, record: otlp.SpanRecord, start: datetime, end: datetime, flags: str
) -> dict:
    return {
        **_SPAN_DEFAULTS,
        "project_id": project_id,
        "trace_id": record.trace_id,
        "span_id": record.span_id,
        "parent_span_id": record.parent_span_id,
        "name": record.name[:500],
        "kind": record.kind,
        "start_time": start,
        "end_time": end,
        "duration_ms": _duration_ms(start, end),
        "status_code": record.status_code,
        "status_message": record.status_message,
        "scope": record.scope[:200],
        "attributes": record.attributes,
        "resource": record.resource,
        "events": record.events,
        "flags": flags,
    }


def _call_row(
    project_id: int, record: otlp.SpanRecord, start: datetime, end: datetime, flags: str
) -> dict | None:
    """The LLM call a span reports (an app-cache hit counts as a free call), or None."""
    fields = conventions.extract_call(
        record.attributes, record.status_code, record.scope, record.events
    )
    marks = conventions.extract_marks(record.attributes)
    if fields is None and not marks.cache_hit:
        return None
    # A namespace, not a model instance: ``fill_call`` sets attributes, ``vars`` is the row.
    call = SimpleNamespace(
        **{
            **_CALL_DEFAULTS,
            "project_id": project_id,
            "trace_id": record.trace_id,
            "span_id": record.span_id,
            "parent_span_id": record.parent_span_id,
            "start_time": start,
            "duration_ms": _duration_ms(start, end),
            "attempt": marks.attempt or 1,
            "is_fallback": marks.is_fallback,
            "escalation": marks.escalation,
            "cache_hit": marks.cache_hit,
            "cache_kind": marks.cache_kind,
            "quality_score": marks.quality_score,
            "retrieval_chunks": marks.retrieval_chunks,
            "retrieval_citations": marks.retrieval_citations,
            "flags": flags,
        }
    )
    if fields is None:  # served from the app's response cache: no model call was billed
        call.has_usage = False
        call.cost_usd = Decimal(0)
        call.price_note = "app cache hit: no model call"
    else:
        fill_call(call, fields, start)
    return vars(call)
