"""Turning convention fields into a priced LLMCall row (shared by ingest and finalize)."""

from __future__ import annotations

from datetime import datetime

from finops.pricing import UsageTokens, price_call
from ingest import conventions
from ingest.models import LLMCall


def fill_call(call: LLMCall, fields: conventions.CallFields, start: datetime) -> None:
    """Copy ``fields`` onto ``call`` and price it at ``start``."""
    usage = None
    if fields.has_usage:
        usage = UsageTokens(
            input_tokens=fields.input_tokens,
            output_tokens=fields.output_tokens,
            cache_read_tokens=fields.cache_read_tokens,
            cache_write_tokens=fields.cache_write_tokens,
            cache_write_1h_tokens=fields.cache_write_1h_tokens,
        )
    price = price_call(fields.provider, fields.response_model or fields.request_model, usage, start)
    for name in _CALL_FIELDS:
        setattr(call, name, getattr(fields, name))
    call.cost_usd = price.cost_usd
    call.price_source = price.source
    call.price_note = price.reason[:300]


# CallFields attributes copied one to one onto the LLMCall row.
_CALL_FIELDS = (
    "provider",
    "operation",
    "request_model",
    "response_model",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "cache_write_1h_tokens",
    "reasoning_tokens",
    "has_usage",
    "error_type",
    "max_tokens",
    "finish_reason",
    "service_tier",
    "is_streaming",
    "family",
)
