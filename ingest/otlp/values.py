"""OTLP attribute values → plain Python, for protobuf and OTLP/JSON alike; ids and limits.

Pure. Strings lose NUL characters and doubles that JSON cannot hold become strings, so what
comes out can be stored in PostgreSQL text and jsonb as is.
"""

from __future__ import annotations

import base64
import binascii
import math
from typing import Any

from ingest.otlp.body import OtlpDecodeError

_TRACE_ID_HEX = 32
_SPAN_ID_HEX = 16
_INVALID_TRACE_ID = "0" * _TRACE_ID_HEX
_INVALID_SPAN_ID = "0" * _SPAN_ID_HEX
_HEX = frozenset("0123456789abcdef")

# A span whose JSON has the wrong shape is rejected alone (partial success), never a 500.
_BAD_SHAPE = (TypeError, ValueError, AttributeError, OverflowError, binascii.Error)


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


# --- protobuf ---------------------------------------------------------------------------


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


def _json_list(obj: dict, camel: str, snake: str) -> list[dict]:
    value = _get(obj, camel, snake, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise OtlpDecodeError(f"{camel} must be a list of objects")
    return value


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


# --- ids --------------------------------------------------------------------------------


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
