"""Ingest orchestration: OTLP body → decoded spans → LLM-call facts → priced → stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings

from finops.pricing import UsageTokens, price_call
from ingest import conventions, otlp, store
from ingest.models import LLMCall, Span

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_NS = int((datetime(9999, 1, 1, tzinfo=UTC) - _EPOCH).total_seconds()) * 10**9


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
    spans, calls = [], []
    for record in batch.spans:
        try:
            start, end = _to_datetime(record.start_ns), _to_datetime(record.end_ns)
        except ValueError as exc:
            batch.reject(f"span {record.name!r}: {exc}")
            continue
        spans.append(_span_row(project_id, record, start, end))
        fields = conventions.extract_call(record.attributes, record.status_code)
        if fields is not None:
            calls.append(_call_row(project_id, record, fields, start, end))
    spans_stored, calls_stored = store.store_spans_and_calls(project_id, spans, calls)
    return IngestResult(batch, len(batch.spans), spans_stored, calls_stored)


def _to_datetime(ns: int) -> datetime:
    if ns < 0 or ns >= _MAX_NS:
        raise ValueError(f"timestamp {ns} ns is out of range")
    return _EPOCH + timedelta(microseconds=ns // 1000)


def _duration_ms(start: datetime, end: datetime) -> float:
    return max((end - start).total_seconds() * 1000.0, 0.0)


def _span_row(project_id: int, record: otlp.SpanRecord, start: datetime, end: datetime) -> Span:
    return Span(
        project_id=project_id,
        trace_id=record.trace_id,
        span_id=record.span_id,
        parent_span_id=record.parent_span_id,
        name=record.name[:500],
        kind=record.kind,
        start_time=start,
        end_time=end,
        duration_ms=_duration_ms(start, end),
        status_code=record.status_code,
        status_message=record.status_message,
        scope=record.scope[:200],
        attributes=record.attributes,
        resource=record.resource,
        events=record.events,
    )


def _call_row(
    project_id: int,
    record: otlp.SpanRecord,
    fields: conventions.CallFields,
    start: datetime,
    end: datetime,
) -> LLMCall:
    usage = None
    if fields.has_usage:
        usage = UsageTokens(
            input_tokens=fields.input_tokens,
            output_tokens=fields.output_tokens,
            cache_read_tokens=fields.cache_read_tokens,
            cache_write_tokens=fields.cache_write_tokens,
        )
    model = fields.response_model or fields.request_model
    price = price_call(fields.provider, model, usage, start)
    return LLMCall(
        project_id=project_id,
        trace_id=record.trace_id,
        span_id=record.span_id,
        parent_span_id=record.parent_span_id,
        start_time=start,
        duration_ms=_duration_ms(start, end),
        provider=fields.provider,
        operation=fields.operation,
        request_model=fields.request_model,
        response_model=fields.response_model,
        input_tokens=fields.input_tokens,
        output_tokens=fields.output_tokens,
        cache_read_tokens=fields.cache_read_tokens,
        cache_write_tokens=fields.cache_write_tokens,
        reasoning_tokens=fields.reasoning_tokens,
        has_usage=fields.has_usage,
        cost_usd=price.cost_usd,
        price_source=price.source,
        price_note=price.reason[:300],
        error_type=fields.error_type,
    )
