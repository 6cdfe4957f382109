"""Decode OTLP trace export bodies (protobuf or JSON, optionally gzip) into ``SpanRecord``s.

Pure: bytes in, plain records out. Every problem with the body as a whole raises
``OtlpDecodeError`` with a message meant for the exporter's operator; a single bad span is
reported in ``DecodedBatch.rejected`` and the rest of the batch is kept (OTLP partial success).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import zlib
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.message import DecodeError
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
CONTENT_TYPES = (PROTOBUF, JSON)

_TRACE_ID_HEX = 32
_SPAN_ID_HEX = 16
_INVALID_TRACE_ID = "0" * _TRACE_ID_HEX
_INVALID_SPAN_ID = "0" * _SPAN_ID_HEX
_HEX = frozenset("0123456789abcdef")


class OtlpDecodeError(ValueError):
    """The body cannot be read as an OTLP trace export."""


class BodyTooLarge(OtlpDecodeError):
    """The body, once decompressed, exceeds the configured limit."""


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


@dataclass(slots=True)
class LogRecordData:
    """One GenAI log record tied to a span. Ids are lower-case hex; time is Unix ns."""

    trace_id: str
    span_id: str
    time_ns: int
    event_name: str
    body: Any
    attributes: dict[str, Any]


# Log records we keep: GenAI events (content, and usage where a library logs it there).
GENAI_EVENT_PREFIX = "gen_ai."
EVENT_NAME_KEY = "event.name"


def decode_logs(body: bytes, content_type: str) -> list[LogRecordData]:
    """The GenAI log records (event name ``gen_ai.*``, with a valid span id) of an
    ``ExportLogsServiceRequest``; other records are dropped."""
    if not body:
        return []
    if content_type == PROTOBUF:
        request = ExportLogsServiceRequest()
        try:
            request.ParseFromString(body)
        except (DecodeError, RuntimeError) as exc:
            raise OtlpDecodeError(
                f"body is not a valid protobuf ExportLogsServiceRequest: {exc}"
            ) from None
        records = (
            (
                r.trace_id.hex(),
                r.span_id.hex(),
                r.time_unix_nano or r.observed_time_unix_nano,
                r.event_name,
                _pb_value(r.body),
                _pb_attributes(r.attributes),
            )
            for resource_logs in request.resource_logs
            for scope_logs in resource_logs.scope_logs
            for r in scope_logs.log_records
        )
    elif content_type == JSON:
        records = _json_log_records(body)
    else:
        raise OtlpDecodeError(f"unsupported content type {content_type!r}")
    kept = []
    for trace_id, span_id, time_ns, event_name, value, attributes in records:
        event_name = clean_text(event_name or str(attributes.get(EVENT_NAME_KEY, "")))
        if not event_name.startswith(GENAI_EVENT_PREFIX) or _id_problem(trace_id, span_id, ""):
            continue
        kept.append(LogRecordData(trace_id, span_id, time_ns, event_name, value, attributes))
    return kept


def _json_log_records(body: bytes):
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise OtlpDecodeError(f"body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise OtlpDecodeError("JSON body must be an object with a resourceLogs list")
    out = []
    try:
        for resource_logs in _get(data, "resourceLogs", "resource_logs", []):
            for scope_logs in _json_list(resource_logs, "scopeLogs", "scope_logs"):
                for r in _json_list(scope_logs, "logRecords", "log_records"):
                    time_ns = int(_get(r, "timeUnixNano", "time_unix_nano", 0)) or int(
                        _get(r, "observedTimeUnixNano", "observed_time_unix_nano", 0)
                    )
                    out.append(
                        (
                            str(_get(r, "traceId", "trace_id", "")).lower(),
                            str(_get(r, "spanId", "span_id", "")).lower(),
                            time_ns,
                            str(_get(r, "eventName", "event_name", "")),
                            _json_value(r.get("body") or {}),
                            _json_attributes(r),
                        )
                    )
    except OtlpDecodeError:
        raise
    except _BAD_SHAPE as exc:
        raise OtlpDecodeError(f"malformed log record: {exc}") from None
    return out


def decompress(body: bytes, encoding: str, limit: int) -> bytes:
    """Undo ``Content-Encoding`` (identity or gzip), refusing output larger than ``limit`` bytes.

    Decompression is streamed and capped, so a gzip bomb costs at most ``limit`` bytes.
    """
    encoding = (encoding or "identity").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding != "gzip":
        raise OtlpDecodeError(f"unsupported Content-Encoding {encoding!r}: send gzip or identity")
    out = bytearray()
    data = body
    while True:  # a gzip stream may hold several members; read them all
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out += inflater.decompress(data, limit + 1 - len(out))
        except zlib.error as exc:
            raise OtlpDecodeError(f"body is not valid gzip: {exc}") from None
        if len(out) > limit or (inflater.unconsumed_tail and len(out) >= limit):
            raise BodyTooLarge(f"decompressed body exceeds {limit} bytes")
        if not inflater.eof:
            raise OtlpDecodeError("gzip body is truncated")
        data = inflater.unused_data
        if not data.strip(b"\x00"):  # trailing padding after the last member is allowed
            return bytes(out)


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


def clean_text(value: str) -> str:
    """``value`` without NUL characters, which PostgreSQL text and jsonb cannot store."""
    return value.replace("\x00", "\ufffd") if "\x00" in value else value


def _clean_double(value: float) -> float | str:
    # NaN and ±Infinity are valid OTLP doubles but not valid JSON (jsonb refuses them).
    return value if math.isfinite(value) else str(value)


def _enum(value: int, highest: int) -> int:
    """An OTLP enum value, or 0 (unspecified) when outside the known range."""
    return value if 0 <= value <= highest else 0


# Keys kept first when a span has more attributes than the limit: what pricing and
# attribution read.
_PRIORITY_PREFIXES = ("gen_ai.", "llm.", "finops.", "ai.", "langfuse.", "app.", "traceloop.")


def limit_attributes(
    attributes: dict[str, Any], max_count: int, max_length: int
) -> tuple[dict[str, Any], bool]:
    """``attributes`` cut to ``max_count`` keys and strings of ``max_length`` characters.

    Returns the limited dict and whether anything was cut. Keys that pricing and attribution
    read are kept before others, so a span with thousands of attributes still prices.
    """
    truncated = False
    if len(attributes) > max_count:
        truncated = True
        keys = sorted(attributes, key=lambda k: not k.startswith(_PRIORITY_PREFIXES))[:max_count]
        attributes = {key: attributes[key] for key in keys}
    out: dict[str, Any] = {}
    for key, value in attributes.items():
        if isinstance(value, str) and len(value) > max_length:
            value, truncated = value[:max_length], True
        elif isinstance(value, list) and any(
            isinstance(v, str) and len(v) > max_length for v in value
        ):
            value = [v[:max_length] if isinstance(v, str) else v for v in value]
            truncated = True
        out[key] = value
    return out, truncated


def encode_error(message: str, content_type: str, code: int = 3) -> bytes:
    """An OTLP error body: ``google.rpc.Status`` (code 3 = INVALID_ARGUMENT) in ``content_type``.

    Any other content type gets plain text, since the client could not read either encoding.
    """
    if content_type == JSON:
        return json.dumps({"code": code, "message": message}).encode()
    if content_type == PROTOBUF:
        return Status(code=code, message=message).SerializeToString()
    return message.encode()


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


def _pb_attributes(key_values) -> dict[str, Any]:
    return {clean_text(kv.key): _pb_value(kv.value) for kv in key_values}


def _pb_value(value) -> Any:
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [_pb_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return _pb_attributes(value.kvlist_value.values)
    if kind == "bytes_value":
        return value.bytes_value.hex()
    if kind == "string_value":
        return clean_text(value.string_value)
    if kind == "double_value":
        return _clean_double(value.double_value)
    return getattr(value, kind)


# --- JSON -------------------------------------------------------------------------------
# OTLP/JSON differs from protobuf's canonical JSON mapping: ids are hex (not base64) and
# enums are integers. We also accept snake_case keys, which some hand-written exporters send.


def _get(obj: dict, camel: str, snake: str, default: Any = None) -> Any:
    value = obj.get(camel)
    if value is None:
        value = obj.get(snake, default)
    return default if value is None else value


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


# A span whose JSON has the wrong shape is rejected alone (partial success), never a 500.
_BAD_SHAPE = (TypeError, ValueError, AttributeError, OverflowError, binascii.Error)


def _json_list(obj: dict, camel: str, snake: str) -> list[dict]:
    value = _get(obj, camel, snake, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise OtlpDecodeError(f"{camel} must be a list of objects")
    return value


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


def _json_attributes(obj: Any) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise OtlpDecodeError("resource must be an object")
    items = obj.get("attributes") or []
    if not isinstance(items, list):
        raise ValueError("attributes must be a list of {key, value}")
    out: dict[str, Any] = {}
    for item in items:
        if not isinstance(item, dict) or "key" not in item:
            raise ValueError("attributes must be a list of {key, value}")
        out[clean_text(str(item["key"]))] = _json_value(item.get("value") or {})
    return out


def _json_value(value: Any) -> Any:
    if not isinstance(value, dict) or not value:
        return None
    if "stringValue" in value or "string_value" in value:
        return clean_text(str(_get(value, "stringValue", "string_value", "")))
    if "intValue" in value or "int_value" in value:
        return int(_get(value, "intValue", "int_value", 0))  # int64 arrives as a string
    if "doubleValue" in value or "double_value" in value:
        return _clean_double(float(_get(value, "doubleValue", "double_value", 0.0)))
    if "boolValue" in value or "bool_value" in value:
        return bool(_get(value, "boolValue", "bool_value", False))
    if "arrayValue" in value or "array_value" in value:
        values = _inner_values(_get(value, "arrayValue", "array_value", {}))
        return [_json_value(v) for v in values]
    if "kvlistValue" in value or "kvlist_value" in value:
        values = _inner_values(_get(value, "kvlistValue", "kvlist_value", {}))
        return _json_attributes({"attributes": values})
    if "bytesValue" in value or "bytes_value" in value:
        # OTLP/JSON carries bytes as base64; store hex, as the protobuf path does.
        raw = str(_get(value, "bytesValue", "bytes_value", ""))
        return base64.b64decode(raw, validate=True).hex()
    raise ValueError(f"unknown attribute value type {sorted(value)!r}")


def _inner_values(inner: Any) -> list:
    if not isinstance(inner, dict) or not isinstance(inner.get("values") or [], list):
        raise TypeError("arrayValue and kvlistValue must be objects with a values list")
    return inner.get("values") or []


def _root_if_zero(parent: str) -> str:
    # An all-zero parent id means "no parent" in several exporters.
    return "" if parent == _INVALID_SPAN_ID else parent


def _id_problem(trace_id: str, span_id: str, parent: str) -> str | None:
    if len(trace_id) != _TRACE_ID_HEX or not _is_hex(trace_id) or trace_id == _INVALID_TRACE_ID:
        return f"invalid trace id {trace_id[:64]!r}: expected 16 bytes, not all zero"
    if len(span_id) != _SPAN_ID_HEX or not _is_hex(span_id) or span_id == _INVALID_SPAN_ID:
        return f"invalid span id {span_id[:64]!r}: expected 8 bytes, not all zero"
    if parent and (len(parent) != _SPAN_ID_HEX or not _is_hex(parent)):
        return f"invalid parent span id {parent[:64]!r}: expected 8 bytes or empty"
    return None


def _is_hex(value: str) -> bool:
    return _HEX.issuperset(value)


__all__ = [
    "CONTENT_TYPES",
    "JSON",
    "PROTOBUF",
    "BodyTooLarge",
    "DecodedBatch",
    "OtlpDecodeError",
    "SpanRecord",
    "decode",
    "decompress",
    "encode_error",
    "encode_response",
]
