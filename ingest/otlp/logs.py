"""Decode an ``ExportLogsServiceRequest`` into the GenAI ``LogRecordData`` tied to spans.

Pure. Only GenAI events with a valid span id are kept; every other record is dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from ingest.otlp.body import JSON, PROTOBUF, OtlpDecodeError
from ingest.otlp.values import (
    _BAD_SHAPE,
    _get,
    _id_problem,
    _json_attributes,
    _json_list,
    _json_value,
    _pb_attributes,
    _pb_value,
    clean_text,
)


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
