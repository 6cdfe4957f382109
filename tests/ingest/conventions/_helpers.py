"""Shared by the ingest/conventions tests: a model attribute and the expected CallFields.

Attribute keys are spelled out here on purpose: the payloads are what libraries send, and a
test that used the module's own constants could not catch a misspelt constant.
"""

from __future__ import annotations

from ingest.conventions import CallFields

MODEL = {"gen_ai.request.model": "gpt-4o-mini"}


def call_fields(**fields) -> CallFields:
    """The CallFields of a successful OTel GenAI gpt-4o-mini call, with ``fields`` changed."""
    defaults = {
        "provider": "",
        "operation": "",
        "request_model": "gpt-4o-mini",
        "response_model": "",
        "input_tokens": 0,
        "output_tokens": 0,
        "cache_read_tokens": 0,
        "cache_write_tokens": 0,
        "cache_write_1h_tokens": 0,
        "reasoning_tokens": 0,
        "has_usage": True,
        "error_type": "",
        "max_tokens": None,
        "finish_reason": "",
        "service_tier": "",
        "is_streaming": False,
        "family": "otel-genai",
    }
    return CallFields(**(defaults | fields))
