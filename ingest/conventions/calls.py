"""Span attributes → LLM-call fields: read the family a span speaks, normalise, validate.

Pure. The tables live in ``families``; this module applies them: first present candidate wins,
token counts are validated, input is normalised to the total (cache included), the provider and
operation are normalised, and usage is looked for on span events when the span has none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ingest.conventions import keys as k
from ingest.conventions.families import (
    API_OPERATIONS,
    CALL_KEYS,
    MODEL_PREFIX_PROVIDERS,
    OPERATIONS,
    ORDER,
    PROVIDER_ALIASES,
    STREAMING_OPERATIONS,
    TABLES,
    Family,
    speaking,
)
from ingest.conventions.values import first_of, flag, is_present, label, text, tokens

STATUS_ERROR = 2  # OTLP Status.code for ERROR
_LEVEL_ERROR = "ERROR"
_USAGE_FIELDS = ("input", "output", "cache_read", "cache_write", "reasoning")


@dataclass(frozen=True, slots=True)
class CallFields:
    """The LLM-call facts read from one span. Token counts are never negative.

    ``input_tokens`` is the total prompt size, cache reads and writes included (the OTel GenAI
    and genai-prices convention), whatever the library reported; ``output_tokens`` includes
    reasoning. ``has_usage`` is False when the span reported no token counts at all.
    """

    provider: str
    operation: str
    request_model: str
    response_model: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    cache_write_1h_tokens: int
    reasoning_tokens: int
    has_usage: bool
    error_type: str
    max_tokens: int | None
    finish_reason: str
    service_tier: str
    is_streaming: bool
    family: str


def extract_call(
    attributes: Mapping[str, Any],
    status_code: int = 0,
    scope: str = "",
    events: Sequence[Mapping[str, Any]] = (),
) -> CallFields | None:
    """The LLM-call fields of a span, or None when the span is not an LLM call.

    A span is an LLM call when it names a model or reports token usage, in any family.
    ``scope`` (the instrumentation scope name) tells apart libraries that share gen_ai.* keys
    but count differently; ``events`` are the span's events (``{"attributes": {...}}``), read
    for usage when the span's own attributes carry none (``gen_ai.client.inference.
    operation.details``). Input is normalised to the total, cache included.
    """
    if CALL_KEYS.isdisjoint(attributes) and not events:
        return None  # the common case: an HTTP, database or app span
    parsed: dict[str, Any] = {}
    family = speaking(attributes, scope, parsed, "usage")
    if family is None:
        for event in events:
            extra = event.get("attributes")
            if not isinstance(extra, Mapping) or CALL_KEYS.isdisjoint(extra):
                continue
            merged = {**extra, **attributes}  # the span's own values win
            merged_parsed: dict[str, Any] = {}
            event_family = speaking(merged, scope, merged_parsed, "usage")
            if event_family is not None:
                return _read(merged, event_family, status_code, merged_parsed)
        family = speaking(attributes, scope, parsed, "models")
        if family is None:
            return None
    return _read(attributes, family, status_code, parsed)


def _read(
    attributes: Mapping[str, Any], family: Family, status_code: int, parsed: dict[str, Any]
) -> CallFields:
    got = {
        field: first_of(attributes, candidates, parsed) for field, candidates in TABLES[family.name]
    }
    counts = {field: tokens(got.get(field)) for field in _USAGE_FIELDS}
    has_usage = any(count is not None for count in counts.values())
    error_type = label(attributes.get(k.ERROR_TYPE))
    if not error_type and (
        status_code == STATUS_ERROR or text(got.get("error_level")).upper() == _LEVEL_ERROR
    ):
        error_type = "error"
    provider, request_model, response_model = _names(
        attributes, got, parsed, failed=bool(error_type) and not has_usage
    )
    provider, operation = _provider_and_operation(family, provider, text(got.get("operation")))
    if not provider and family.infer_provider:
        provider = _provider_from_model(response_model or request_model)

    cache_read = counts["cache_read"] or 0
    cache_write_1h = tokens(got.get("cache_write_1h")) or 0
    cache_write = max(counts["cache_write"] or 0, cache_write_1h)  # 1h is a part of all writes
    input_total = counts["input"] or 0
    cached = cache_read + cache_write
    if cached and (_is_raw_input(family, attributes, provider, parsed) or input_total < cached):
        input_total += cached
    return CallFields(
        provider=provider,
        operation=operation,
        request_model=request_model,
        response_model=response_model,
        input_tokens=input_total,
        output_tokens=counts["output"] or 0,
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        cache_write_1h_tokens=cache_write_1h,
        reasoning_tokens=counts["reasoning"] or 0,
        has_usage=has_usage,
        error_type=error_type,
        max_tokens=tokens(got.get("max_tokens")),
        finish_reason=text(got.get("finish_reason")),
        service_tier=text(got.get("service_tier")).lower(),
        is_streaming=_is_streaming(got.get("streaming")),
        family=family.name,
    )


def _names(
    attributes: Mapping[str, Any], got: Mapping[str, Any], parsed: dict[str, Any], *, failed: bool
) -> tuple[str, str, str]:
    """Provider as sent, requested and response model. A name that does not say which model
    it is (``Family.model``) is the requested model of a failed call, else the response model;
    a field the family leaves empty is taken from another family on the same span."""
    provider = text(got.get("provider"))
    request_model = label(got.get("request_model"))
    response_model = label(got.get("response_model"))
    model = label(got.get("model"))
    if failed:
        request_model = request_model or model
    else:
        response_model = response_model or model
    if provider and request_model and response_model:
        return provider, request_model, response_model
    for other in ORDER:
        provider = provider or text(first_of(attributes, other.provider, parsed))
        request_model = request_model or label(first_of(attributes, other.request_model, parsed))
        response_model = response_model or label(first_of(attributes, other.response_model, parsed))
    return provider, request_model, response_model


def _provider_and_operation(family: Family, provider: str, operation: str) -> tuple[str, str]:
    """Lower-cased provider and normalised operation; "openai.chat" → "openai" for the AI SDK."""
    provider, operation = provider.lower(), operation.lower()
    operation = OPERATIONS.get(operation, operation)
    if family.provider_has_api_suffix and "." in provider:
        provider, _, api = provider.partition(".")
        operation = API_OPERATIONS.get(api.rpartition(".")[2], operation)
    return PROVIDER_ALIASES.get(provider, provider), operation


def _provider_from_model(model: str) -> str:
    """The provider a model name gives away ("claude-*" → anthropic), or ""."""
    name = model.lower()
    for prefix, provider in MODEL_PREFIX_PROVIDERS:
        if name.startswith(prefix):
            return provider
    return ""


def _is_raw_input(
    family: Family, attributes: Mapping[str, Any], provider: str, parsed: dict[str, Any]
) -> bool:
    """Does this family report the provider's raw input (cache reads and writes excluded)?"""
    if is_present(attributes, family.total_input_markers, parsed):
        return False
    if is_present(attributes, family.raw_input_markers, parsed):
        return True
    return provider in family.raw_input_providers


def _is_streaming(value: Any) -> bool:
    """A stream flag (bool, "true", 1) or an AI SDK operation id that streams."""
    if isinstance(value, str) and value.lower() in STREAMING_OPERATIONS:
        return True
    return flag(value) is True
