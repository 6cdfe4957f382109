"""Attribute names the ingester reads, and the mapping from span attributes to LLM-call fields.

Pure. Every OTel attribute key the project reads is a constant here (STYLE §11); the mapping
is a table of candidate keys per field, first present key wins, so a new convention or a
renamed attribute is one line in a table, not a new branch of code.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# --- OTel GenAI semantic conventions (current names first, then older ones) ----------------
GEN_AI_PROVIDER_NAME = "gen_ai.provider.name"
GEN_AI_SYSTEM = "gen_ai.system"
GEN_AI_OPERATION_NAME = "gen_ai.operation.name"
GEN_AI_REQUEST_MODEL = "gen_ai.request.model"
GEN_AI_RESPONSE_MODEL = "gen_ai.response.model"
GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_PROMPT_TOKENS = "gen_ai.usage.prompt_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
GEN_AI_USAGE_COMPLETION_TOKENS = "gen_ai.usage.completion_tokens"
GEN_AI_USAGE_CACHE_READ = "gen_ai.usage.cache_read.input_tokens"
GEN_AI_USAGE_CACHE_READ_OLD = "gen_ai.usage.cache_read_input_tokens"
GEN_AI_USAGE_CACHE_WRITE = "gen_ai.usage.cache_creation.input_tokens"
GEN_AI_USAGE_CACHE_WRITE_OLD = "gen_ai.usage.cache_creation_input_tokens"
GEN_AI_USAGE_CACHE_WRITE_SDK = "gen_ai.usage.cache_write.input_tokens"  # anthropic SDK spans
GEN_AI_USAGE_REASONING = "gen_ai.usage.reasoning.output_tokens"
GEN_AI_USAGE_REASONING_OLD = "gen_ai.usage.reasoning_tokens"  # OpenLLMetry
ERROR_TYPE = "error.type"

# --- our own attributes (settable on any span or resource, inherited by descendants) ------
FINOPS_FEATURE = "finops.feature"
FINOPS_TEMPLATE = "finops.template"
FINOPS_TEMPLATE_VERSION = "finops.template.version"
FINOPS_SEGMENT = "finops.customer.segment"
FINOPS_CUSTOMER = "finops.customer.id"
FINOPS_OUTCOME = "finops.outcome"
FINOPS_ROUTE = "finops.route"
APP_FEATURE = "app.feature"
ENDUSER_ID = "enduser.id"
USER_ID = "user.id"
SERVICE_NAME = "service.name"

# Candidate keys per LLM-call field, in order of preference.
PROVIDER_KEYS = (GEN_AI_PROVIDER_NAME, GEN_AI_SYSTEM)
OPERATION_KEYS = (GEN_AI_OPERATION_NAME,)
REQUEST_MODEL_KEYS = (GEN_AI_REQUEST_MODEL,)
RESPONSE_MODEL_KEYS = (GEN_AI_RESPONSE_MODEL,)
INPUT_TOKEN_KEYS = (GEN_AI_USAGE_INPUT_TOKENS, GEN_AI_USAGE_PROMPT_TOKENS)
OUTPUT_TOKEN_KEYS = (GEN_AI_USAGE_OUTPUT_TOKENS, GEN_AI_USAGE_COMPLETION_TOKENS)
CACHE_READ_KEYS = (GEN_AI_USAGE_CACHE_READ, GEN_AI_USAGE_CACHE_READ_OLD)
CACHE_WRITE_KEYS = (
    GEN_AI_USAGE_CACHE_WRITE,
    GEN_AI_USAGE_CACHE_WRITE_SDK,
    GEN_AI_USAGE_CACHE_WRITE_OLD,
)
REASONING_KEYS = (GEN_AI_USAGE_REASONING, GEN_AI_USAGE_REASONING_OLD)

# Attribution dimensions and the keys that carry them, most specific first.
ATTRIBUTION_KEYS: dict[str, tuple[str, ...]] = {
    "feature": (FINOPS_FEATURE, APP_FEATURE),
    "template": (FINOPS_TEMPLATE,),
    "template_version": (FINOPS_TEMPLATE_VERSION,),
    "segment": (FINOPS_SEGMENT,),
    "customer": (FINOPS_CUSTOMER, ENDUSER_ID, USER_ID),
    "route": (FINOPS_ROUTE,),
}

# Field lengths in the database; longer values are cut rather than rejected.
MAX_LABEL = 200
# No single call reads a trillion tokens; larger counts are corrupt data, not usage.
MAX_TOKENS = 10**12

STATUS_ERROR = 2  # OTLP Status.code for ERROR


@dataclass(frozen=True, slots=True)
class CallFields:
    """The LLM-call facts read from one span. Token counts are never negative.

    ``input_tokens`` is the total prompt size, cached tokens included (the OTel GenAI and
    genai-prices convention); ``has_usage`` is False when the span reported no token counts.
    """

    provider: str
    operation: str
    request_model: str
    response_model: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    reasoning_tokens: int
    has_usage: bool
    error_type: str


def first(attributes: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    """The value of the first key of ``keys`` present (and not None) in ``attributes``."""
    for key in keys:
        value = attributes.get(key)
        if value is not None and value != "":
            return value
    return None


def _label(value: Any) -> str:
    return "" if value is None else str(value)[:MAX_LABEL]


def _tokens(value: Any) -> int | None:
    """A token count, or None when absent or not a plausible count (text, NaN, ±inf, > 10^12)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(number) or number > MAX_TOKENS:
        return None
    return max(int(number), 0)


def extract_call(attributes: Mapping[str, Any], status_code: int = 0) -> CallFields | None:
    """The LLM-call fields of a span, or None when the span is not an LLM call.

    A span is an LLM call when it names a model or reports token usage. Anthropic reports
    input tokens without cache reads and writes; when the cache counts exceed the reported
    input, the input is taken as the uncached part and the total is rebuilt, so cached tokens
    are neither priced twice nor lost.
    """
    request_model = _label(first(attributes, REQUEST_MODEL_KEYS))
    response_model = _label(first(attributes, RESPONSE_MODEL_KEYS))
    input_tokens = _tokens(first(attributes, INPUT_TOKEN_KEYS))
    output_tokens = _tokens(first(attributes, OUTPUT_TOKEN_KEYS))
    has_usage = input_tokens is not None or output_tokens is not None
    if not (request_model or response_model or has_usage):
        return None
    cache_read = _tokens(first(attributes, CACHE_READ_KEYS)) or 0
    cache_write = _tokens(first(attributes, CACHE_WRITE_KEYS)) or 0
    input_total = input_tokens or 0
    if input_total < cache_read + cache_write:
        input_total += cache_read + cache_write
    error_type = _label(attributes.get(ERROR_TYPE))
    if not error_type and status_code == STATUS_ERROR:
        error_type = "error"
    return CallFields(
        provider=_label(first(attributes, PROVIDER_KEYS)),
        operation=_label(first(attributes, OPERATION_KEYS)),
        request_model=request_model,
        response_model=response_model,
        input_tokens=input_total,
        output_tokens=output_tokens or 0,
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        reasoning_tokens=_tokens(first(attributes, REASONING_KEYS)) or 0,
        has_usage=has_usage,
        error_type=error_type,
    )


def attribution_of(attributes: Mapping[str, Any]) -> dict[str, str]:
    """The attribution dimensions present on one span or resource (absent ones left out)."""
    found: dict[str, str] = {}
    for dimension, keys in ATTRIBUTION_KEYS.items():
        value = first(attributes, keys)
        if value is not None:
            found[dimension] = _label(value)
    return found
