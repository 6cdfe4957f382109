"""Build OTLP trace export bodies from a compact description of spans.

``SpanSpec`` describes one span with plain Python values; ``protobuf_body`` and ``json_body``
turn resource groups of spans into an ``ExportTraceServiceRequest`` as the exporters send it:
protobuf bytes, or OTLP/JSON (hex ids, int64 as strings, camelCase or snake_case keys).

    body = protobuf_body(Resource([chat_span(span_id(1))], attributes={"service.name": "bot"}))
"""

from __future__ import annotations

import base64
import gzip
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

# 2026-11-01 12:00:00 UTC: every span starts here unless told otherwise.
START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
START_NS = int(START.timestamp()) * 10**9
DURATION_NS = 850_000_000

KIND_INTERNAL = 1
KIND_CLIENT = 3
STATUS_OK = 1
STATUS_ERROR = 2


def trace_id(n: int) -> str:
    """A readable 16-byte trace id in hex: ``trace_id(1)`` is ``000…001``."""
    return f"{n:032x}"


def span_id(n: int) -> str:
    """A readable 8-byte span id in hex."""
    return f"{n:016x}"


TRACE = trace_id(0xA1)


@dataclass
class Event:
    name: str
    time_ns: int = START_NS
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class SpanSpec:
    """One span. Ids are hex strings; ``parent`` "" means a root span."""

    span_id: str
    name: str = "span"
    trace_id: str = TRACE
    parent: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    kind: int = KIND_INTERNAL
    start_ns: int = START_NS
    end_ns: int = START_NS + DURATION_NS
    status_code: int = 0
    status_message: str = ""
    events: list[Event] = field(default_factory=list)


@dataclass
class Resource:
    """Spans that share a resource and an instrumentation scope."""

    spans: list[SpanSpec]
    attributes: dict[str, Any] = field(default_factory=dict)
    scope: str = "tests.otlp_payloads"


def chat_span(
    sid: str,
    *,
    model: str = "gpt-4o-mini",
    provider: str = "openai",
    input_tokens: int | None = 1000,
    output_tokens: int | None = 500,
    parent: str = "",
    trace: str = TRACE,
    **attributes: Any,
) -> SpanSpec:
    """An OTel GenAI chat span (current attribute names). Extra attributes are passed as
    keyword arguments with dots spelled as double underscores: ``finops__feature="x"``."""
    attrs: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": provider,
        "gen_ai.request.model": model,
        "gen_ai.response.model": model,
    }
    if input_tokens is not None:
        attrs["gen_ai.usage.input_tokens"] = input_tokens
    if output_tokens is not None:
        attrs["gen_ai.usage.output_tokens"] = output_tokens
    attrs.update({key.replace("__", "."): value for key, value in attributes.items()})
    return SpanSpec(
        span_id=sid,
        name=f"chat {model}",
        trace_id=trace,
        parent=parent,
        attributes=attrs,
        kind=KIND_CLIENT,
    )


def _groups(resources: tuple[Resource | SpanSpec, ...]) -> list[Resource]:
    """Bare spans are gathered into one resource without attributes."""
    groups = [r for r in resources if isinstance(r, Resource)]
    loose = [s for s in resources if isinstance(s, SpanSpec)]
    if loose:
        groups.append(Resource(loose))
    return groups


# --- protobuf -----------------------------------------------------------------------------


def _any_value(value: Any) -> AnyValue:
    out = AnyValue()
    if value is None:
        return out
    if isinstance(value, bool):
        out.bool_value = value
    elif isinstance(value, int):
        out.int_value = value
    elif isinstance(value, float):
        out.double_value = value
    elif isinstance(value, str):
        out.string_value = value
    elif isinstance(value, bytes):
        out.bytes_value = value
    elif isinstance(value, list | tuple):
        out.array_value.values.extend(_any_value(v) for v in value)
    elif isinstance(value, dict):
        out.kvlist_value.values.extend(_key_values(value))
    else:
        raise TypeError(f"no AnyValue for {value!r}")
    return out


def _key_values(attributes: dict[str, Any]) -> list[KeyValue]:
    return [KeyValue(key=k, value=_any_value(v)) for k, v in attributes.items()]


def protobuf_request(*resources: Resource | SpanSpec) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    for group in _groups(resources):
        resource_spans = request.resource_spans.add()
        resource_spans.resource.attributes.extend(_key_values(group.attributes))
        scope_spans = resource_spans.scope_spans.add()
        scope_spans.scope.name = group.scope
        for s in group.spans:
            pb = scope_spans.spans.add()
            pb.trace_id = bytes.fromhex(s.trace_id)
            pb.span_id = bytes.fromhex(s.span_id)
            pb.parent_span_id = bytes.fromhex(s.parent)
            pb.name = s.name
            pb.kind = s.kind
            pb.start_time_unix_nano = s.start_ns
            pb.end_time_unix_nano = s.end_ns
            pb.status.code = s.status_code
            pb.status.message = s.status_message
            pb.attributes.extend(_key_values(s.attributes))
            for e in s.events:
                pb_event = pb.events.add()
                pb_event.name = e.name
                pb_event.time_unix_nano = e.time_ns
                pb_event.attributes.extend(_key_values(e.attributes))
    return request


def protobuf_body(*resources: Resource | SpanSpec) -> bytes:
    """An ``ExportTraceServiceRequest`` serialised as protobuf."""
    return protobuf_request(*resources).SerializeToString()


# --- OTLP/JSON ----------------------------------------------------------------------------


def _json_value(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}  # int64 travels as a string in OTLP/JSON
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, bytes):
        return {"bytesValue": base64.b64encode(value).decode()}
    if isinstance(value, list | tuple):
        return {"arrayValue": {"values": [_json_value(v) for v in value]}}
    if isinstance(value, dict):
        return {"kvlistValue": {"values": _json_attributes(value)}}
    raise TypeError(f"no OTLP/JSON value for {value!r}")


def _json_attributes(attributes: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": k, "value": _json_value(v)} for k, v in attributes.items()]


def json_request(*resources: Resource | SpanSpec, snake_case: bool = False) -> dict[str, Any]:
    """The OTLP/JSON request as a dict (to mutate before encoding)."""
    resource_spans = []
    for group in _groups(resources):
        spans = []
        for s in group.spans:
            span: dict[str, Any] = {
                "traceId": s.trace_id,
                "spanId": s.span_id,
                "name": s.name,
                "kind": s.kind,
                "startTimeUnixNano": str(s.start_ns),
                "endTimeUnixNano": str(s.end_ns),
                "attributes": _json_attributes(s.attributes),
                "status": {"code": s.status_code, "message": s.status_message},
            }
            if s.parent:
                span["parentSpanId"] = s.parent
            if s.events:
                span["events"] = [
                    {
                        "name": e.name,
                        "timeUnixNano": str(e.time_ns),
                        "attributes": _json_attributes(e.attributes),
                    }
                    for e in s.events
                ]
            spans.append(span)
        resource_spans.append(
            {
                "resource": {"attributes": _json_attributes(group.attributes)},
                "scopeSpans": [{"scope": {"name": group.scope}, "spans": spans}],
            }
        )
    request = {"resourceSpans": resource_spans}
    return _snake(request) if snake_case else request


def json_body(*resources: Resource | SpanSpec, snake_case: bool = False) -> bytes:
    """An ``ExportTraceServiceRequest`` in OTLP/JSON."""
    return json.dumps(json_request(*resources, snake_case=snake_case)).encode()


_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _snake(obj: Any) -> Any:
    """camelCase keys → snake_case, leaving attribute keys (the values of "key") alone."""
    if isinstance(obj, list):
        return [_snake(v) for v in obj]
    if isinstance(obj, dict):
        return {
            (_CAMEL.sub("_", k).lower() if k != "key" else k): (v if k == "key" else _snake(v))
            for k, v in obj.items()
        }
    return obj


def gzipped(body: bytes) -> bytes:
    return gzip.compress(body)
