"""Decode an ``ExportTraceServiceRequest`` into ``SpanRecord``s, and encode the response.

Pure. A single bad span is reported in ``DecodedBatch.rejected`` and the rest of the batch is
kept (OTLP partial success); a body that cannot be read at all raises ``OtlpDecodeError``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from ingest.otlp.body import JSON, PROTOBUF, OtlpDecodeError
from ingest.otlp.values import (
    _BAD_SHAPE,
    _enum,
    _get,
    _id_problem,
    _json_attributes,
    _json_list,
    _pb_attributes,
    _root_if_zero,
    clean_text,
)


@dataclass(slots=True)
class SpanRecord:
    """One span as received. Ids are lower-case hex; times are Unix nanoseconds."""

    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    kind: int
    start_ns: int
    end_ns: int
    status_code: int
    status_message: str
    attributes: dict[str, Any]
    resource: dict[str, Any]
    scope: str
    events: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class DecodedBatch:
    spans: list[SpanRecord]
    rejected: int = 0
    errors: list[str] = field(default_factory=list)

    def reject(self, message: str) -> None:
        self.rejected += 1
        if len(self.errors) < 5:  # enough to diagnose, bounded for the response body
            self.errors.append(message)


def decode(body: bytes, content_type: str) -> DecodedBatch:
    """Decode an ``ExportTraceServiceRequest`` in the given content type."""
    if not body:
        raise OtlpDecodeError("empty body: expected an OTLP ExportTraceServiceRequest")
    if content_type == PROTOBUF:
        return _decode_protobuf(body)
    if content_type == JSON:
        return _decode_json(body)
    raise OtlpDecodeError(f"unsupported content type {content_type!r}")


def encode_response(batch: DecodedBatch, content_type: str) -> bytes:
    """The ``ExportTraceServiceResponse`` for ``batch``, in the request's content type."""
    message = "; ".join(batch.errors)
    if content_type == JSON:
        if not batch.rejected:
            return b"{}"
        partial = {"rejectedSpans": str(batch.rejected), "errorMessage": message}
        return json.dumps({"partialSuccess": partial}).encode()
    response = ExportTraceServiceResponse()
    if batch.rejected:
        response.partial_success.rejected_spans = batch.rejected
        response.partial_success.error_message = message
    return response.SerializeToString()


# --- protobuf ---------------------------------------------------------------------------


def _decode_protobuf(body: bytes) -> DecodedBatch:
    request = ExportTraceServiceRequest()
    try:
        request.ParseFromString(body)
    except (DecodeError, RuntimeError) as exc:
        raise OtlpDecodeError(
            f"body is not a valid protobuf ExportTraceServiceRequest: {exc}"
        ) from None
    batch = DecodedBatch(spans=[])
    for resource_spans in request.resource_spans:
        resource = _pb_attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            scope = clean_text(scope_spans.scope.name)
            for span in scope_spans.spans:
                trace_id, span_id = span.trace_id.hex(), span.span_id.hex()
                parent = _root_if_zero(span.parent_span_id.hex())
                problem = _id_problem(trace_id, span_id, parent)
                if problem:
                    batch.reject(f"span {span.name!r}: {problem}")
                    continue
                batch.spans.append(
                    SpanRecord(
                        trace_id=trace_id,
                        span_id=span_id,
                        parent_span_id=parent,
                        name=clean_text(span.name),
                        kind=_enum(span.kind, 5),
                        start_ns=span.start_time_unix_nano,
                        end_ns=span.end_time_unix_nano,
                        status_code=_enum(span.status.code, 2),
                        status_message=clean_text(span.status.message),
                        attributes=_pb_attributes(span.attributes),
                        resource=resource,
                        scope=scope,
                        events=[
                            {
                                "name": clean_text(event.name),
                                "time_ns": event.time_unix_nano,
                                "attributes": _pb_attributes(event.attributes),
                            }
                            for event in span.events
                        ],
                    )
                )
    return batch


# --- JSON -------------------------------------------------------------------------------


def _decode_json(body: bytes) -> DecodedBatch:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise OtlpDecodeError(f"body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise OtlpDecodeError("JSON body must be an object with a resourceSpans list")
    resource_spans_list = _get(data, "resourceSpans", "resource_spans", [])
    if not isinstance(resource_spans_list, list):
        raise OtlpDecodeError("resourceSpans must be a list")
    batch = DecodedBatch(spans=[])
    for resource_spans in resource_spans_list:
        if not isinstance(resource_spans, dict):
            raise OtlpDecodeError("each resourceSpans entry must be an object")
        try:
            resource = _json_attributes(_get(resource_spans, "resource", "resource", {}))
        except OtlpDecodeError:
            raise
        except _BAD_SHAPE as exc:
            raise OtlpDecodeError(f"resource attributes: {exc}") from None
        for scope_spans in _json_list(resource_spans, "scopeSpans", "scope_spans"):
            scope_obj = scope_spans.get("scope") or {}
            scope = (
                clean_text(str(scope_obj.get("name", ""))) if isinstance(scope_obj, dict) else ""
            )
            for span in _json_list(scope_spans, "spans", "spans"):
                try:
                    record = _json_span(span, resource, scope)
                except _BAD_SHAPE as exc:
                    name = span.get("name") if isinstance(span, dict) else None
                    batch.reject(f"span {name!r}: {exc}")
                    continue
                batch.spans.append(record)
    return batch


def _json_span(span: Any, resource: dict[str, Any], scope: str) -> SpanRecord:
    if not isinstance(span, dict):
        raise TypeError("span must be an object")
    trace_id = str(_get(span, "traceId", "trace_id", "")).lower()
    span_id = str(_get(span, "spanId", "span_id", "")).lower()
    parent = _root_if_zero(str(_get(span, "parentSpanId", "parent_span_id", "")).lower())
    problem = _id_problem(trace_id, span_id, parent)
    if problem:
        raise ValueError(problem)
    status = span.get("status") or {}
    if not isinstance(status, dict):
        raise TypeError("status must be an object")
    return SpanRecord(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent,
        name=clean_text(str(span.get("name", ""))),
        kind=_enum(_json_enum(span.get("kind", 0), "SPAN_KIND_"), 5),
        start_ns=int(_get(span, "startTimeUnixNano", "start_time_unix_nano", 0)),
        end_ns=int(_get(span, "endTimeUnixNano", "end_time_unix_nano", 0)),
        status_code=_enum(_json_enum(status.get("code", 0), "STATUS_CODE_"), 2),
        status_message=clean_text(str(status.get("message", ""))),
        attributes=_json_attributes(span),
        resource=resource,
        scope=scope,
        events=[
            {
                "name": clean_text(str(event.get("name", ""))),
                "time_ns": int(_get(event, "timeUnixNano", "time_unix_nano", 0)),
                "attributes": _json_attributes(event),
            }
            for event in _json_list(span, "events", "events")
        ],
    )


_ENUMS = {
    "SPAN_KIND_UNSPECIFIED": 0,
    "SPAN_KIND_INTERNAL": 1,
    "SPAN_KIND_SERVER": 2,
    "SPAN_KIND_CLIENT": 3,
    "SPAN_KIND_PRODUCER": 4,
    "SPAN_KIND_CONSUMER": 5,
    "STATUS_CODE_UNSET": 0,
    "STATUS_CODE_OK": 1,
    "STATUS_CODE_ERROR": 2,
}


def _json_enum(value: Any, prefix: str) -> int:
    if isinstance(value, str) and not value.lstrip("-").isdigit():
        if value not in _ENUMS or not value.startswith(prefix):
            raise ValueError(f"unknown enum value {value!r}")
        return _ENUMS[value]
    return int(value)
