"""Span attributes → LLM-call fields, marks, outcomes and attribution (ingest/conventions).

Attribute keys are spelled out here on purpose: the payloads are what libraries send, and a
test that used the module's own constants could not catch a misspelt constant.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.conventions import (
    DIMENSIONS,
    FAMILIES,
    MAX_LABEL,
    CallFields,
    CallMarks,
    OutcomeMark,
    attribution_of,
    extract_call,
    extract_marks,
    outcome_of,
)

MODEL = {"gen_ai.request.model": "gpt-4o-mini"}


def _call(**fields) -> CallFields:
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


def test_current_otel_genai_span_maps_every_field():
    attributes = {
        "gen_ai.provider.name": "openai",
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.model": "gpt-4o-2024-08-06",
        "gen_ai.request.max_tokens": 512,
        "gen_ai.request.stream": True,
        "gen_ai.response.finish_reasons": ["length", "stop"],
        "openai.response.service_tier": "Flex",
        "gen_ai.usage.input_tokens": 1200,
        "gen_ai.usage.output_tokens": 300,
        "gen_ai.usage.cache_read.input_tokens": 1024,
        "gen_ai.usage.cache_creation.input_tokens": 0,
        "gen_ai.usage.reasoning.output_tokens": 128,
    }

    assert extract_call(attributes) == CallFields(
        provider="openai",
        operation="chat",
        request_model="gpt-4o",
        response_model="gpt-4o-2024-08-06",
        input_tokens=1200,
        output_tokens=300,
        cache_read_tokens=1024,
        cache_write_tokens=0,
        cache_write_1h_tokens=0,
        reasoning_tokens=128,
        has_usage=True,
        error_type="",
        max_tokens=512,
        finish_reason="length",
        service_tier="flex",
        is_streaming=True,
        family="otel-genai",
    )


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        pytest.param(
            {"gen_ai.usage.prompt_tokens": 1000, "gen_ai.usage.completion_tokens": 500},
            _call(input_tokens=1000, output_tokens=500),
            id="old-prompt-completion",
        ),
        pytest.param(
            {"gen_ai.usage.input_tokens": 1000, "gen_ai.usage.output_tokens": 500},
            _call(input_tokens=1000, output_tokens=500),
            id="new-input-output",
        ),
        pytest.param(
            {
                "gen_ai.usage.input_tokens": 1000,
                "gen_ai.usage.prompt_tokens": 1,
                "gen_ai.usage.output_tokens": 500,
                "gen_ai.usage.completion_tokens": 2,
            },
            _call(input_tokens=1000, output_tokens=500),
            id="new-name-wins-over-old",
        ),
        pytest.param(
            {"gen_ai.usage.input_tokens": 1000, "gen_ai.usage.cache_read.input_tokens": 200},
            _call(input_tokens=1000, cache_read_tokens=200),
            id="new-cache-read",
        ),
        pytest.param(
            {"gen_ai.usage.input_tokens": 1000, "gen_ai.usage.cache_read_input_tokens": 200},
            _call(input_tokens=1000, cache_read_tokens=200),
            id="old-cache-read",
        ),
        pytest.param(
            {"gen_ai.usage.input_tokens": 1000, "gen_ai.usage.cache_creation.input_tokens": 300},
            _call(input_tokens=1000, cache_write_tokens=300),
            id="new-cache-write",
        ),
        pytest.param(
            {"gen_ai.usage.input_tokens": 1000, "gen_ai.usage.cache_creation_input_tokens": 300},
            _call(input_tokens=1000, cache_write_tokens=300),
            id="old-cache-write",
        ),
        pytest.param(
            {
                "gen_ai.usage.input_tokens": 1000,
                "gen_ai.usage.cache_read.input_tokens": 200,
                "gen_ai.usage.cache_read_input_tokens": 999,
            },
            _call(input_tokens=1000, cache_read_tokens=200),
            id="new-cache-name-wins-over-old",
        ),
        pytest.param(
            {"gen_ai.system": "anthropic"},
            _call(provider="anthropic", has_usage=False),
            id="old-system",
        ),
        pytest.param(
            {"gen_ai.provider.name": "aws.bedrock", "gen_ai.system": "anthropic"},
            _call(provider="aws.bedrock", has_usage=False),
            id="provider-name-wins-over-system",
        ),
        pytest.param(
            {"gen_ai.usage.output_tokens": 40, "gen_ai.usage.reasoning.output_tokens": 32},
            _call(output_tokens=40, reasoning_tokens=32),
            id="reasoning",
        ),
        # Names seen in captures (tests/data/otlp/FINDINGS.md): the anthropic SDK's own spans
        # and OpenLLMetry.
        pytest.param(
            {"gen_ai.usage.input_tokens": 1300, "gen_ai.usage.cache_write.input_tokens": 200},
            _call(input_tokens=1300, cache_write_tokens=200),
            id="anthropic-sdk-cache-write",
        ),
        pytest.param(
            {"gen_ai.usage.output_tokens": 40, "gen_ai.usage.reasoning_tokens": 32},
            _call(output_tokens=40, reasoning_tokens=32),
            id="openllmetry-reasoning",
        ),
    ],
)
def test_old_and_new_genai_names_map_to_the_same_fields(attributes, expected):
    assert extract_call(MODEL | attributes) == expected


@pytest.mark.parametrize(
    ("reported", "expected_input"),
    [
        pytest.param((100, 1000, 200), 1300, id="anthropic-input-excludes-cache"),
        pytest.param((1300, 1000, 200), 1300, id="otel-input-includes-cache"),
        pytest.param((1200, 1000, 200), 1200, id="input-equal-to-cache-is-a-total"),
        pytest.param((0, 1000, 0), 1000, id="all-from-cache"),
        pytest.param((100, 0, 0), 100, id="no-cache"),
    ],
)
def test_input_tokens_are_normalised_to_the_total(reported, expected_input):
    input_tokens, cache_read, cache_write = reported
    attributes = MODEL | {
        "gen_ai.usage.input_tokens": input_tokens,
        "gen_ai.usage.cache_read.input_tokens": cache_read,
        "gen_ai.usage.cache_creation.input_tokens": cache_write,
    }

    call = extract_call(attributes)

    assert (call.input_tokens, call.cache_read_tokens, call.cache_write_tokens) == (
        expected_input,
        cache_read,
        cache_write,
    )


# Anthropic, 5000 uncached + 1000 read + 200 written: the safety net (input < cache) cannot
# tell that a raw 5000 excludes the cache; only knowing what the family reports can.
@pytest.mark.parametrize(
    ("attributes", "scope", "expected_input"),
    [
        pytest.param(
            {
                "gen_ai.provider.name": "anthropic",
                "gen_ai.usage.input_tokens": 5000,
                "gen_ai.usage.cache_read.input_tokens": 1000,
                "gen_ai.usage.cache_creation.input_tokens": 200,
            },
            "openlit.instrumentation.anthropic",
            6200,
            id="openlit-anthropic-is-raw",
        ),
        pytest.param(
            {
                "gen_ai.provider.name": "anthropic",
                "telemetry.sdk.name": "openlit",
                "gen_ai.usage.input_tokens": 5000,
                "gen_ai.usage.cache_read.input_tokens": 1000,
                "gen_ai.usage.cache_creation.input_tokens": 200,
            },
            "",
            6200,
            id="openlit-known-without-scope",
        ),
        pytest.param(
            {
                "gen_ai.provider.name": "openai",
                "gen_ai.usage.input_tokens": 5000,
                "gen_ai.usage.cache_read.input_tokens": 1000,
            },
            "openlit.instrumentation.openai",
            5000,
            id="openlit-openai-is-total",
        ),
        pytest.param(
            {
                "gen_ai.provider.name": "anthropic",
                "gen_ai.usage.input_tokens": 6200,
                "gen_ai.usage.cache_read.input_tokens": 1000,
                "gen_ai.usage.cache_write.input_tokens": 200,
            },
            "com.anthropic.sdk.python",
            6200,
            id="anthropic-sdk-is-total",
        ),
        pytest.param(
            {
                "gen_ai.provider.name": "anthropic",
                "gen_ai.usage.input_tokens": 6200,
                "gen_ai.usage.cache_read.input_tokens": 1000,
                "gen_ai.usage.cache_creation.input_tokens": 200,
            },
            "opentelemetry.instrumentation.anthropic",
            6200,
            id="openllmetry-is-total",
        ),
        pytest.param(
            {
                "llm.provider": "anthropic",
                "llm.token_count.prompt": 6200,
                "llm.token_count.prompt_details.cache_read": 1000,
                "llm.token_count.prompt_details.cache_write": 200,
            },
            "",
            6200,
            id="openinference-is-total",
        ),
        pytest.param(
            {
                "langfuse.observation.model.name": "claude-haiku-4-5",
                "langfuse.observation.usage_details": json.dumps(
                    {"input": 5000, "cache_read_input_tokens": 1000, "output": 3}
                ),
            },
            "langfuse-sdk",
            6000,
            id="langfuse-anthropic-shape-is-raw",
        ),
        pytest.param(
            {
                "langfuse.observation.model.name": "gpt-4o",
                "langfuse.observation.usage_details": json.dumps(
                    {"prompt_tokens": 5000, "prompt_tokens_details": {"cached_tokens": 1000}}
                ),
            },
            "langfuse-sdk",
            5000,
            id="langfuse-openai-shape-is-total",
        ),
        pytest.param(
            {
                "ai.model.provider": "anthropic.messages",
                "ai.usage.inputTokens": 5000,
                "ai.usage.cachedInputTokens": 1000,
                "ai.response.providerMetadata": json.dumps(
                    {"anthropic": {"cacheCreationInputTokens": 200}}
                ),
            },
            "ai",
            6200,
            id="vercel-ai5-anthropic-is-raw",
        ),
        pytest.param(
            {
                "ai.model.provider": "anthropic.messages",
                "ai.usage.inputTokens": 6200,
                "ai.usage.inputTokenDetails.noCacheTokens": 5000,
                "ai.usage.inputTokenDetails.cacheReadTokens": 1000,
                "ai.usage.inputTokenDetails.cacheWriteTokens": 200,
            },
            "ai",
            6200,
            id="vercel-ai6-is-total",
        ),
    ],
)
def test_input_is_normalised_by_what_each_family_reports(attributes, scope, expected_input):
    assert extract_call(attributes, scope=scope).input_tokens == expected_input


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(-5, 0, id="negative-int"),
        pytest.param(-0.5, 0, id="negative-double"),
        pytest.param("-12", 0, id="negative-string"),
        pytest.param(12.9, 12, id="double-truncated"),
        pytest.param("34", 34, id="numeric-string"),
        pytest.param(0, 0, id="zero"),
    ],
)
def test_token_count_is_a_non_negative_int(value, expected):
    attributes = MODEL | {
        "gen_ai.usage.input_tokens": value,
        "gen_ai.usage.output_tokens": value,
        "gen_ai.usage.cache_read.input_tokens": value,
        "gen_ai.usage.reasoning.output_tokens": value,
    }

    call = extract_call(attributes)

    assert (
        call.input_tokens,
        call.output_tokens,
        call.cache_read_tokens,
        call.reasoning_tokens,
    ) == (expected, expected, expected, expected)


@pytest.mark.parametrize("value", ["many", True, [1], {"n": 1}, math.nan], ids=str)
def test_unreadable_token_count_is_no_usage(value):
    call = extract_call(MODEL | {"gen_ai.usage.input_tokens": value})

    assert (call.has_usage, call.input_tokens) == (False, 0)


@pytest.mark.parametrize("value", [math.inf, "inf", "1e400", -math.inf, 10**13], ids=str)
def test_infinite_token_count_is_no_usage(value):
    call = extract_call(MODEL | {"gen_ai.usage.input_tokens": value})

    assert (call.has_usage, call.input_tokens) == (False, 0)


@pytest.mark.parametrize("value", ["many", "NaN", "Infinity", -3, 10**13], ids=str)
def test_implausible_count_inside_json_usage_is_no_usage_or_zero(value):
    usage = json.dumps({"prompt_tokens": value, "completion_tokens": -1})
    call = extract_call(
        {"langfuse.observation.model.name": "gpt-4o", "langfuse.observation.usage_details": usage}
    )

    assert (call.input_tokens, call.output_tokens) == (0, 0)


@pytest.mark.parametrize(
    "attributes",
    [
        pytest.param({}, id="empty"),
        pytest.param(
            {"http.request.method": "POST", "url.full": "https://api.example.com"}, id="http"
        ),
        pytest.param(
            {"gen_ai.provider.name": "openai", "gen_ai.operation.name": "chat"},
            id="no-model-no-usage",
        ),
        pytest.param({"gen_ai.request.model": ""}, id="empty-model"),
        pytest.param({"gen_ai.request.model": None}, id="null-model"),
        pytest.param(
            {"langfuse.observation.type": "span", "langfuse.trace.name": "app.chat"},
            id="langfuse-app-span",
        ),
        pytest.param({"openinference.span.kind": "CHAIN"}, id="openinference-chain"),
        pytest.param({"llm.invocation_parameters": "not json"}, id="unreadable-json"),
    ],
)
def test_span_without_model_or_usage_is_not_a_call(attributes):
    assert extract_call(attributes) is None


def test_span_with_only_usage_is_a_call_without_model():
    call = extract_call({"gen_ai.usage.output_tokens": 7})

    assert call == _call(request_model="", output_tokens=7)


def test_failed_call_with_only_a_model_has_no_usage_and_an_error_type():
    call = extract_call(
        {"gen_ai.request.model": "gpt-4o", "error.type": "RateLimitError"}, status_code=2
    )

    assert call == _call(request_model="gpt-4o", has_usage=False, error_type="RateLimitError")


@pytest.mark.parametrize(
    ("attributes", "status_code", "expected"),
    [
        pytest.param({}, 2, "error", id="error-status-without-type"),
        pytest.param({"error.type": "timeout"}, 0, "timeout", id="type-without-error-status"),
        pytest.param({}, 1, "", id="ok-status"),
        pytest.param({}, 0, "", id="unset-status"),
    ],
)
def test_error_type_comes_from_attribute_or_error_status(attributes, status_code, expected):
    assert extract_call(MODEL | attributes, status_code).error_type == expected


def test_langfuse_error_level_marks_a_failed_call():
    attributes = {
        "langfuse.observation.model.name": "gpt-4o",
        "langfuse.observation.level": "ERROR",
    }

    assert extract_call(attributes).error_type == "error"


def test_long_model_name_is_cut_to_label_length():
    call = extract_call({"gen_ai.request.model": "m" * (MAX_LABEL + 50)})

    assert call.request_model == "m" * MAX_LABEL


# --- every family, from shapes captured in tests/data/otlp (FINDINGS.md) -------------------

OPENINFERENCE_CHAT = {
    "llm.system": "openai",
    "openinference.span.kind": "LLM",
    "llm.invocation_parameters": json.dumps(
        {"model": "gpt-4o-mini", "stream": True, "max_tokens": 512, "service_tier": "flex"}
    ),
    "llm.model_name": "gpt-4o-mini-2024-07-18",
    "llm.finish_reason": "stop",
    "llm.token_count.prompt": 1200,
    "llm.token_count.completion": 300,
    "llm.token_count.prompt_details.cache_read": 1000,
    "llm.token_count.completion_details.reasoning": 120,
}
OPENAI_USAGE = {
    "input_tokens": 1200,
    "output_tokens": 300,
    "cache_read_tokens": 1000,
    "reasoning_tokens": 120,
}
ANTHROPIC_USAGE = {"input_tokens": 1300, "output_tokens": 300, "cache_read_tokens": 1000}


@pytest.mark.parametrize(
    ("attributes", "scope", "expected"),
    [
        pytest.param(
            OPENINFERENCE_CHAT,
            "openinference.instrumentation.openai",
            _call(
                provider="openai",
                operation="chat",
                response_model="gpt-4o-mini-2024-07-18",
                max_tokens=512,
                finish_reason="stop",
                service_tier="flex",
                is_streaming=True,
                family="openinference",
                **OPENAI_USAGE,
            ),
            id="openinference-openai-chat",
        ),
        pytest.param(
            {
                "llm.provider": "anthropic",
                "llm.system": "anthropic",
                "openinference.span.kind": "LLM",
                "llm.invocation_parameters": json.dumps({"max_tokens": 1024}),
                "llm.request.model_name": "claude-haiku-4-5",
                "llm.response.model_name": "claude-haiku-4-5-20251001",
                "llm.model_name": "claude-haiku-4-5-20251001",
                "llm.finish_reason": "end_turn",
                "llm.token_count.prompt": 1300,
                "llm.token_count.completion": 300,
                "llm.token_count.prompt_details.cache_read": 1000,
                "llm.token_count.prompt_details.cache_write": 200,
            },
            "openinference.instrumentation.anthropic",
            _call(
                provider="anthropic",
                operation="chat",
                request_model="claude-haiku-4-5",
                response_model="claude-haiku-4-5-20251001",
                cache_write_tokens=200,
                max_tokens=1024,
                finish_reason="end_turn",
                family="openinference",
                **ANTHROPIC_USAGE,
            ),
            id="openinference-anthropic",
        ),
        pytest.param(
            {
                "gen_ai.provider.name": "anthropic",
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "claude-haiku-4-5",
                "gen_ai.response.model": "claude-haiku-4-5-20251001",
                "gen_ai.request.max_tokens": 1024,
                "gen_ai.request.stream": True,
                "anthropic.message.stop_reason": "end_turn",
                "anthropic.response.service_tier": "standard",
                "anthropic.usage.cache_creation.ephemeral_5m_input_tokens": 150,
                "anthropic.usage.cache_creation.ephemeral_1h_input_tokens": 50,
                "gen_ai.usage.input_tokens": 1300,
                "gen_ai.usage.output_tokens": 300,
                "gen_ai.usage.cache_read.input_tokens": 1000,
                "gen_ai.usage.cache_write.input_tokens": 200,
            },
            "com.anthropic.sdk.python",
            _call(
                provider="anthropic",
                operation="chat",
                request_model="claude-haiku-4-5",
                response_model="claude-haiku-4-5-20251001",
                cache_write_tokens=200,
                cache_write_1h_tokens=50,
                max_tokens=1024,
                finish_reason="end_turn",
                service_tier="standard",
                is_streaming=True,
                family="anthropic-sdk",
                **ANTHROPIC_USAGE,
            ),
            id="anthropic-sdk-with-1h-cache",
        ),
        pytest.param(
            {
                "gen_ai.provider.name": "openai",
                "gen_ai.operation.name": "chat",
                "openai.api.type": "responses",
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
                "gen_ai.request.is_stream": "true",
                "gen_ai.response.finish_reasons": ["completed"],
                "gen_ai.usage.input_tokens": 1200,
                "gen_ai.usage.output_tokens": 300,
                "gen_ai.usage.cache_read.input_tokens": 1000,
                "gen_ai.usage.cache_creation.input_tokens": 0,
                "gen_ai.usage.reasoning_tokens": 120,
            },
            "openlit.instrumentation.openai",
            _call(
                provider="openai",
                operation="responses",
                response_model="gpt-4o-mini-2024-07-18",
                finish_reason="completed",
                is_streaming=True,
                family="openlit",
                **OPENAI_USAGE,
            ),
            id="openlit-responses",
        ),
        pytest.param(
            {
                "gen_ai.provider.name": "openai",
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.is_streaming": True,
                "gen_ai.usage.input_tokens": 1200,
                "gen_ai.usage.output_tokens": 300,
                "gen_ai.usage.total_tokens": 1500,
            },
            "",
            _call(
                provider="openai",
                operation="chat",
                input_tokens=1200,
                output_tokens=300,
                is_streaming=True,
                family="openllmetry",
            ),
            id="openllmetry-known-without-scope",
        ),
    ],
)
def test_each_family_maps_by_meaning(attributes, scope, expected):
    assert extract_call(attributes, scope=scope) == expected


def _langfuse(usage: dict | None, model: str, kind: str = "generation", **extra) -> dict:
    attributes = {
        "langfuse.observation.type": kind,
        "langfuse.observation.model.name": model,
        "langfuse.trace.metadata.feature": '"capture-chat"',
    }
    if usage is not None:
        attributes["langfuse.observation.usage_details"] = json.dumps(usage)
    return attributes | extra


LANGFUSE_CHAT_USAGE = {
    "completion_tokens": 300,
    "prompt_tokens": 1200,
    "total_tokens": 1500,
    "completion_tokens_details": {"reasoning_tokens": 120},
    "prompt_tokens_details": {"audio_tokens": 0, "cached_tokens": 1000},
}
LANGFUSE_MANUAL_USAGE = {
    "input": 100,
    "output": 300,
    "cache_read_input_tokens": 1000,
    "cache_creation_input_tokens": 200,
}


@pytest.mark.parametrize(
    ("attributes", "status_code", "expected"),
    [
        pytest.param(
            _langfuse(
                LANGFUSE_CHAT_USAGE,
                "gpt-4o-mini-2024-07-18",
                **{
                    "langfuse.observation.model.parameters": json.dumps(
                        {"max_tokens": 512, "service_tier": "default"}
                    ),
                    "langfuse.observation.metadata.finish_reason": '"stop"',
                },
            ),
            0,
            dict(
                provider="openai",
                operation="chat",
                response_model="gpt-4o-mini-2024-07-18",
                max_tokens=512,
                finish_reason="stop",
                service_tier="default",
                **OPENAI_USAGE,
            ),
            id="chat",
        ),
        pytest.param(
            _langfuse(LANGFUSE_MANUAL_USAGE, "claude-haiku-4-5-20251001"),
            0,
            dict(
                provider="anthropic",
                operation="chat",
                response_model="claude-haiku-4-5-20251001",
                cache_write_tokens=200,
                **ANTHROPIC_USAGE,
            ),
            id="manual-anthropic-generation",
        ),
        pytest.param(
            _langfuse(None, "gpt-4o", **{"langfuse.observation.level": "ERROR"}),
            2,
            dict(
                provider="openai",
                operation="chat",
                request_model="gpt-4o",
                has_usage=False,
                error_type="error",
            ),
            id="failed-names-the-requested-model",
        ),
    ],
)
def test_langfuse_generation_maps_raw_usage_json(attributes, status_code, expected):
    defaults = {"request_model": "", "family": "langfuse"}

    assert extract_call(attributes, status_code, "langfuse-sdk") == _call(**(defaults | expected))


@pytest.mark.parametrize(
    ("model", "provider"),
    [
        ("gpt-4o-mini-2024-07-18", "openai"),
        ("o1-mini", "openai"),
        ("o3-mini-2025-01-31", "openai"),
        ("text-embedding-3-large", "openai"),
        ("claude-sonnet-4-5", "anthropic"),
        ("Claude-3-Opus", "anthropic"),
        ("gemini-2.5-pro", "gcp.gemini"),
        ("llama-3.1-70b", ""),
        ("", ""),
    ],
)
def test_langfuse_provider_is_inferred_from_the_model_name(model, provider):
    call = extract_call(_langfuse({"input": 1}, model))

    assert call.provider == provider


def test_langfuse_provider_is_taken_when_a_span_sends_one():
    attributes = _langfuse({"input": 1}, "gpt-4o") | {"gen_ai.system": "azure.ai.openai"}

    assert extract_call(attributes).provider == "azure.ai.openai"


def test_openinference_failed_call_names_its_model_as_requested():
    attributes = {
        "llm.provider": "anthropic",
        "openinference.span.kind": "LLM",
        "llm.model_name": "claude-sonnet-4-5",
    }

    call = extract_call(attributes, status_code=2)

    assert (call.request_model, call.response_model, call.error_type) == (
        "claude-sonnet-4-5",
        "",
        "error",
    )


# --- Vercel AI SDK: hand-written from the SDK's documented telemetry (ai-sdk.dev/docs/
# ai-sdk-core/telemetry) and its source (packages/ai/src/generate-text): no capture exists.

VERCEL_AI4_OPENAI = {
    "ai.operationId": "ai.generateText.doGenerate",
    "ai.model.id": "gpt-4o-mini",
    "ai.model.provider": "openai.chat",
    "ai.settings.maxTokens": 512,
    "ai.response.model": "gpt-4o-mini-2024-07-18",
    "ai.response.finishReason": "stop",
    "ai.usage.promptTokens": 1200,
    "ai.usage.completionTokens": 300,
    "ai.response.providerMetadata": json.dumps(
        {"openai": {"cachedPromptTokens": 1000, "reasoningTokens": 120}}
    ),
    "gen_ai.system": "openai.chat",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.usage.prompt_tokens": 1200,
    "gen_ai.usage.completion_tokens": 300,
}
VERCEL_AI4_ANTHROPIC = {
    "ai.operationId": "ai.generateText",
    "ai.model.id": "claude-haiku-4-5",
    "ai.model.provider": "anthropic.messages",
    "ai.usage.promptTokens": 100,
    "ai.usage.completionTokens": 300,
    "ai.response.providerMetadata": json.dumps(
        {"anthropic": {"cacheCreationInputTokens": 200, "cacheReadInputTokens": 1000}}
    ),
}
VERCEL_AI5_ANTHROPIC_STREAM = {
    "ai.operationId": "ai.streamText.doStream",
    "ai.model.id": "claude-haiku-4-5",
    "ai.model.provider": "anthropic.messages",
    "ai.settings.maxOutputTokens": 1024,
    "ai.response.model": "claude-haiku-4-5-20251001",
    "ai.response.finishReason": "stop",
    "ai.usage.inputTokens": 100,
    "ai.usage.outputTokens": 300,
    "ai.usage.totalTokens": 400,
    "ai.usage.cachedInputTokens": 1000,
    "ai.response.providerMetadata": json.dumps(
        {
            "anthropic": {
                "usage": {"input_tokens": 100, "cache_read_input_tokens": 1000},
                "cacheCreationInputTokens": 200,
            }
        }
    ),
    "gen_ai.system": "anthropic.messages",
    "gen_ai.usage.input_tokens": 100,
    "gen_ai.usage.output_tokens": 300,
}
VERCEL_AI6_RESPONSES = {
    "ai.operationId": "ai.generateText",
    "ai.model.id": "o4-mini",
    "ai.model.provider": "openai.responses",
    "ai.usage.inputTokens": 1200,
    "ai.usage.inputTokenDetails.noCacheTokens": 200,
    "ai.usage.inputTokenDetails.cacheReadTokens": 1000,
    "ai.usage.inputTokenDetails.cacheWriteTokens": 0,
    "ai.usage.outputTokens": 300,
    "ai.usage.outputTokenDetails.textTokens": 180,
    "ai.usage.outputTokenDetails.reasoningTokens": 120,
    "ai.usage.reasoningTokens": 120,
    "ai.usage.cachedInputTokens": 1000,
}
VERCEL_EMBED = {
    "ai.operationId": "ai.embed.doEmbed",
    "ai.model.id": "text-embedding-3-small",
    "ai.model.provider": "openai.embedding",
    "ai.usage.tokens": 42,
}


@pytest.mark.parametrize(
    ("attributes", "status_code", "expected"),
    [
        pytest.param(
            VERCEL_AI4_OPENAI,
            0,
            _call(
                provider="openai",
                operation="chat",
                response_model="gpt-4o-mini-2024-07-18",
                max_tokens=512,
                finish_reason="stop",
                family="vercel-ai",
                **OPENAI_USAGE,
            ),
            id="ai4-openai-cache-in-provider-metadata",
        ),
        pytest.param(
            VERCEL_AI4_ANTHROPIC,
            0,
            _call(
                provider="anthropic",
                operation="chat",
                request_model="claude-haiku-4-5",
                cache_write_tokens=200,
                family="vercel-ai",
                **ANTHROPIC_USAGE,
            ),
            id="ai4-anthropic-outer-span",
        ),
        pytest.param(
            VERCEL_AI5_ANTHROPIC_STREAM,
            0,
            _call(
                provider="anthropic",
                operation="chat",
                request_model="claude-haiku-4-5",
                response_model="claude-haiku-4-5-20251001",
                cache_write_tokens=200,
                max_tokens=1024,
                finish_reason="stop",
                is_streaming=True,
                family="vercel-ai",
                **ANTHROPIC_USAGE,
            ),
            id="ai5-anthropic-do-stream",
        ),
        pytest.param(
            VERCEL_AI6_RESPONSES,
            0,
            _call(
                provider="openai",
                operation="responses",
                request_model="o4-mini",
                family="vercel-ai",
                **OPENAI_USAGE,
            ),
            id="ai6-openai-responses",
        ),
        pytest.param(
            VERCEL_EMBED,
            0,
            _call(
                provider="openai",
                operation="embeddings",
                request_model="text-embedding-3-small",
                input_tokens=42,
                family="vercel-ai",
            ),
            id="embed",
        ),
        pytest.param(
            {
                key: value
                for key, value in VERCEL_AI4_OPENAI.items()
                if "usage" not in key.lower() and key != "ai.response.providerMetadata"
            },
            2,
            _call(
                provider="openai",
                operation="chat",
                response_model="gpt-4o-mini-2024-07-18",
                max_tokens=512,
                finish_reason="stop",
                has_usage=False,
                error_type="error",
                family="vercel-ai",
            ),
            id="failed-do-generate",
        ),
    ],
)
def test_vercel_ai_sdk_spans_map_to_calls(attributes, status_code, expected):
    assert extract_call(attributes, status_code, "ai") == expected


@pytest.mark.parametrize(
    ("provider", "expected"),
    [
        ("openai.chat", "openai"),
        ("anthropic.messages", "anthropic"),
        ("amazon-bedrock", "aws.bedrock"),
        ("google.vertex.chat", "google"),
        ("OpenAI.Chat", "openai"),
    ],
)
def test_vercel_provider_id_is_cut_to_the_provider(provider, expected):
    attributes = VERCEL_EMBED | {"ai.model.provider": provider}

    assert extract_call(attributes).provider == expected


# --- usage on span events -------------------------------------------------------------------

EVENT_USAGE = {
    "gen_ai.usage.input_tokens": 1200,
    "gen_ai.usage.output_tokens": 300,
    "gen_ai.usage.cache_read.input_tokens": 1000,
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
}


def test_usage_is_read_from_an_event_when_the_span_has_none():
    events = [
        {"name": "gen_ai.content.completion.chunk", "attributes": {}},
        {"name": "gen_ai.client.inference.operation.details", "attributes": EVENT_USAGE},
    ]

    call = extract_call(MODEL, events=events)

    assert call == _call(
        response_model="gpt-4o-mini-2024-07-18",
        input_tokens=1200,
        output_tokens=300,
        cache_read_tokens=1000,
    )


def test_event_usage_makes_a_span_without_model_a_call():
    call = extract_call({}, events=[{"name": "usage", "attributes": EVENT_USAGE}])

    assert (call.has_usage, call.input_tokens, call.request_model) == (True, 1200, "")


def test_span_usage_wins_over_event_usage():
    attributes = MODEL | {"gen_ai.usage.input_tokens": 10}

    call = extract_call(attributes, events=[{"name": "usage", "attributes": EVENT_USAGE}])

    assert (call.input_tokens, call.response_model) == (10, "")


def test_event_without_usage_adds_nothing():
    events = [{"name": "exception", "attributes": {"exception.type": "openai.APIError"}}]

    assert extract_call(MODEL, status_code=2, events=events) == _call(
        has_usage=False, error_type="error"
    )


# --- operations, streaming, families --------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "expected"),
    [
        ("chat", "chat"),
        ("text_completion", "text_completion"),
        ("embeddings", "embeddings"),
        ("generate_content", "chat"),
        ("Chat", "chat"),
        ("invoke_agent", "invoke_agent"),
    ],
)
def test_operation_is_normalised(operation, expected):
    assert extract_call(MODEL | {"gen_ai.operation.name": operation}).operation == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), ("true", True), (1, True), (False, False), ("no", False), ("maybe", False)],
)
def test_stream_flag_is_read_leniently(value, expected):
    assert extract_call(MODEL | {"gen_ai.request.stream": value}).is_streaming is expected


@pytest.mark.parametrize(
    ("attributes", "scope", "family"),
    [
        pytest.param(MODEL, "opentelemetry.instrumentation.openai_v2", "otel-genai", id="v2"),
        pytest.param(MODEL, "opentelemetry.util.genai.handler", "otel-genai", id="util"),
        pytest.param(MODEL, "opentelemetry.instrumentation.openai.v1", "openllmetry", id="ll"),
        pytest.param(MODEL, "openlit.instrumentation.openai", "openlit", id="openlit"),
        pytest.param(MODEL, "com.anthropic.sdk.python", "anthropic-sdk", id="sdk"),
        pytest.param(MODEL | {"anthropic.request.id": "r"}, "", "anthropic-sdk", id="sdk-hint"),
        pytest.param(MODEL | {"openlit.agent.version_hash": "x"}, "", "openlit", id="ol-hint"),
        pytest.param(
            VERCEL_AI5_ANTHROPIC_STREAM, "ai", "vercel-ai", id="vercel-over-its-own-gen-ai"
        ),
    ],
)
def test_family_is_told_by_scope_then_by_attributes(attributes, scope, family):
    assert family in FAMILIES
    assert extract_call(attributes, scope=scope).family == family


# --- explicit marks and outcomes ------------------------------------------------------------

NO_MARKS = CallMarks(
    attempt=None,
    resend_count=None,
    is_fallback=False,
    escalation="",
    cache_hit=False,
    cache_kind="",
    quality_score=None,
    retrieval_chunks=None,
    retrieval_citations=None,
)


def test_every_mark_is_read():
    attributes = {
        "finops.attempt": 2,
        "http.request.resend_count": 1,
        "finops.fallback": True,
        "finops.escalation": "human",
        "finops.cache.hit": "true",
        "finops.cache.kind": "semantic",
        "finops.quality.score": 0.75,
        "finops.retrieval.chunks": 8,
        "finops.retrieval.citations": "3",
    }

    assert extract_marks(attributes) == CallMarks(
        attempt=2,
        resend_count=1,
        is_fallback=True,
        escalation="human",
        cache_hit=True,
        cache_kind="semantic",
        quality_score=0.75,
        retrieval_chunks=8,
        retrieval_citations=3,
    )


def test_span_without_marks_has_none():
    assert extract_marks({"gen_ai.request.model": "gpt-4o"}) == NO_MARKS


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *[(True, True), ("true", True), ("TRUE", True), (1, True), ("1", True)],
        *[(False, False), ("false", False), (0, False), ("yes please", False), (2, False)],
    ],
    ids=repr,
)
def test_boolean_marks_accept_bools_strings_and_ones(value, expected):
    marks = extract_marks({"finops.fallback": value, "finops.cache.hit": value})

    assert (marks.is_fallback, marks.cache_hit) == (expected, expected)


@pytest.mark.parametrize(
    ("attributes", "field", "expected"),
    [
        ({"finops.attempt": "3"}, "attempt", 3),
        ({"finops.attempt": 2.0}, "attempt", 2),
        ({"finops.attempt": 2.5}, "attempt", None),
        ({"finops.attempt": -1}, "attempt", None),
        ({"finops.attempt": True}, "attempt", None),
        ({"finops.escalation": "Model"}, "escalation", "model"),
        ({"finops.escalation": "manager"}, "escalation", ""),
        ({"finops.cache.kind": "fuzzy"}, "cache_kind", ""),
        ({"finops.quality.score": "0.5"}, "quality_score", 0.5),
        ({"finops.quality.score": 1.5}, "quality_score", None),
        ({"finops.quality.score": math.nan}, "quality_score", None),
        ({"finops.retrieval.chunks": "many"}, "retrieval_chunks", None),
    ],
    ids=repr,
)
def test_out_of_range_marks_count_as_absent(attributes, field, expected):
    assert getattr(extract_marks(attributes), field) == expected


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        pytest.param(
            {
                "finops.outcome": "success",
                "finops.outcome.name": "ticket_resolved",
                "finops.outcome.value": "12.50",
            },
            OutcomeMark(success=True, name="ticket_resolved", value_usd=Decimal("12.50")),
            id="success-with-value",
        ),
        pytest.param(
            {"finops.outcome": "Failure", "finops.outcome.value": 0.1},
            OutcomeMark(success=False, name="", value_usd=Decimal("0.1")),
            id="failure-float-value",
        ),
        pytest.param(
            {"finops.outcome": True},
            OutcomeMark(success=True, name="", value_usd=None),
            id="boolean",
        ),
        pytest.param(
            {"finops.outcome": "pending", "finops.outcome.value": "NaN"},
            OutcomeMark(success=None, name="", value_usd=None),
            id="unknown-outcome-unreadable-value",
        ),
        pytest.param(
            {"finops.outcome": "success", "finops.outcome.value": 10**12},
            OutcomeMark(success=True, name="", value_usd=None),
            id="implausible-value",
        ),
    ],
)
def test_outcome_is_read_from_the_span(attributes, expected):
    assert outcome_of(attributes) == expected


@pytest.mark.parametrize(
    "attributes", [{}, {"finops.outcome": ""}, {"finops.outcome.name": "ticket_resolved"}], ids=repr
)
def test_no_outcome_without_finops_outcome(attributes):
    assert outcome_of(attributes) is None


# --- attribution_of ---------------------------------------------------------------------


def test_dimensions_are_the_shared_list():
    assert DIMENSIONS == (
        "feature",
        "template",
        "template_version",
        "segment",
        "customer",
        "route",
        "session",
    )


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        pytest.param({"finops.feature": "triage"}, {"feature": "triage"}, id="finops-feature"),
        pytest.param({"app.feature": "triage"}, {"feature": "triage"}, id="app-feature"),
        pytest.param(
            {"app.feature": "old", "finops.feature": "triage"},
            {"feature": "triage"},
            id="finops-over-app",
        ),
        pytest.param(
            {"finops.feature": "", "app.feature": "triage"},
            {"feature": "triage"},
            id="empty-skipped",
        ),
        pytest.param({"user.id": "u1"}, {"customer": "u1"}, id="user-id"),
        pytest.param(
            {"enduser.id": "e1", "user.id": "u1"}, {"customer": "e1"}, id="enduser-over-user"
        ),
        pytest.param(
            {"finops.customer.id": "c1", "enduser.id": "e1", "user.id": "u1"},
            {"customer": "c1"},
            id="finops-customer-over-enduser",
        ),
        pytest.param(
            {
                "finops.template": "reply",
                "finops.template.version": 3,
                "finops.customer.segment": "enterprise",
                "finops.route": "cheap-first",
                "finops.session.id": "s1",
            },
            {
                "template": "reply",
                "template_version": "3",
                "segment": "enterprise",
                "route": "cheap-first",
                "session": "s1",
            },
            id="other-dimensions",
        ),
        pytest.param(
            {
                "app.template": "reply",
                "app.segment": "smb",
                "app.customer.id": "c9",
                "app.route": "fast",
                "app.session.id": "s2",
            },
            {
                "template": "reply",
                "segment": "smb",
                "customer": "c9",
                "route": "fast",
                "session": "s2",
            },
            id="app-dimensions",
        ),
        pytest.param(
            {"app.customer.segment": "enterprise", "app.segment": "smb"},
            {"segment": "enterprise"},
            id="app-customer-segment-over-app-segment",
        ),
        pytest.param(
            {
                "traceloop.workflow.name": "support-flow",
                "traceloop.association.properties.customer_id": "c7",
                "traceloop.association.properties.segment": "free",
            },
            {"feature": "support-flow", "customer": "c7", "segment": "free"},
            id="traceloop",
        ),
        pytest.param(
            {
                "traceloop.association.properties.feature": "triage",
                "traceloop.workflow.name": "support-flow",
            },
            {"feature": "triage"},
            id="traceloop-property-over-workflow",
        ),
        pytest.param(
            {"ai.telemetry.metadata.feature": "summarise", "ai.telemetry.functionId": "fn"},
            {"feature": "summarise"},
            id="vercel-metadata",
        ),
        pytest.param(
            {
                "metadata": json.dumps({"feature": "qa", "segment": "smb", "customer_id": 7}),
                "llm.prompt_template.template": "Answer {question}",
                "llm.prompt_template.version": "v2",
                "session.id": "s3",
            },
            {
                "feature": "qa",
                "segment": "smb",
                "customer": "7",
                "template": "Answer {question}",
                "template_version": "v2",
                "session": "s3",
            },
            id="openinference-metadata-json",
        ),
        pytest.param(
            {
                "metadata": json.dumps({"template": "answer-v1"}),
                "llm.prompt_template.template": "Answer {question}",
            },
            {"template": "answer-v1"},
            id="openinference-template-name-over-text",
        ),
        pytest.param(
            {
                "langfuse.trace.metadata.feature": '"capture-chat"',
                "langfuse.trace.metadata.segment": '"enterprise"',
                "langfuse.trace.name": "app.chat",
                "langfuse.prompt.name": "answer",
                "langfuse.prompt.version": 4,
                "user.id": "customer-42",
                "session.id": "session-capture",
            },
            {
                "feature": "capture-chat",
                "segment": "enterprise",
                "template": "answer",
                "template_version": "4",
                "customer": "customer-42",
                "session": "session-capture",
            },
            id="langfuse-v5-json-encoded",
        ),
        pytest.param(
            {"langfuse.trace.metadata.feature": "capture-chat", "langfuse.trace.name": "app.x"},
            {"feature": "capture-chat"},
            id="langfuse-v3-plain",
        ),
        pytest.param(
            {"langfuse.trace.name": "app.chat", "langfuse.user.id": "u5", "user.id": "u6"},
            {"feature": "app.chat", "customer": "u5"},
            id="langfuse-trace-name-as-last-resort",
        ),
        pytest.param(
            {
                "langfuse.trace.metadata.feature": '"d"',
                "metadata": json.dumps({"feature": "c"}),
                "traceloop.workflow.name": "b",
                "app.feature": "a",
            },
            {"feature": "a"},
            id="app-over-traceloop-over-metadata-over-langfuse",
        ),
        pytest.param(
            {"metadata": "not json", "app.feature": ["a", "b"], "app.route": {"x": 1}},
            {},
            id="unreadable-carriers",
        ),
        pytest.param({"service.name": "bot", "gen_ai.request.model": "gpt-4o"}, {}, id="none"),
    ],
)
def test_attribution_of_picks_most_specific_key(attributes, expected):
    assert attribution_of(attributes) == expected


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        pytest.param({"app.tenant_tier": "gold"}, {"segment": "gold"}, id="alias"),
        pytest.param(
            {"app.tenant_tier": "gold", "app.segment": "smb"},
            {"segment": "gold"},
            id="alias-over-app",
        ),
        pytest.param(
            {"app.tenant_tier": "gold", "finops.customer.segment": "enterprise"},
            {"segment": "enterprise"},
            id="finops-over-alias",
        ),
        pytest.param(
            {"app.tenant_tier": "", "tier": "silver"}, {"segment": "silver"}, id="aliases-in-order"
        ),
        pytest.param({"x.unknown": "y"}, {}, id="alias-to-unknown-dimension-ignored"),
    ],
)
def test_aliases_rank_between_finops_and_generic_carriers(attributes, expected):
    aliases = {"app.tenant_tier": "segment", "tier": "segment", "x.unknown": "colour"}

    assert attribution_of(attributes, aliases) == expected


def test_long_template_text_keeps_distinct_templates_apart():
    preamble = "You are a helpful assistant. " * 20
    first = attribution_of({"llm.prompt_template.template": preamble + "Summarise {doc}"})
    second = attribution_of({"llm.prompt_template.template": preamble + "Translate {doc}"})

    assert len(first["template"]) == MAX_LABEL
    assert first["template"] != second["template"]


# --- invariants over arbitrary values -------------------------------------------------------

ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=30),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3).map(json.dumps),
)
KNOWN_KEYS = st.sampled_from(
    [
        "gen_ai.request.model",
        "gen_ai.usage.input_tokens",
        "gen_ai.usage.cache_read.input_tokens",
        "gen_ai.usage.cache_creation.input_tokens",
        "anthropic.usage.cache_creation.ephemeral_1h_input_tokens",
        "gen_ai.response.finish_reasons",
        "llm.invocation_parameters",
        "llm.token_count.prompt",
        "langfuse.observation.usage_details",
        "langfuse.observation.model.name",
        "ai.usage.inputTokens",
        "ai.model.provider",
        "ai.response.providerMetadata",
        "metadata",
        "app.feature",
        "langfuse.trace.metadata.segment",
        "finops.attempt",
        "finops.outcome",
        "finops.outcome.value",
        "finops.quality.score",
    ]
)


@given(st.dictionaries(KNOWN_KEYS, ANY_VALUE), st.sampled_from(["", "openlit.x", "ai"]))
def test_any_values_map_without_error_to_sane_fields(attributes, scope):
    call = extract_call(attributes, 2, scope, [{"attributes": attributes}])
    marks = extract_marks(attributes)
    outcome_of(attributes)
    dimensions = attribution_of(attributes, {"app.feature": "segment"})

    if call is not None:
        counts = (call.input_tokens, call.output_tokens, call.cache_read_tokens)
        assert min(counts) >= 0
        assert call.input_tokens >= call.cache_read_tokens + call.cache_write_tokens
        assert call.cache_write_1h_tokens <= call.cache_write_tokens
        assert call.family in FAMILIES
    assert marks.quality_score is None or 0 <= marks.quality_score <= 1
    assert all(0 < len(value) <= MAX_LABEL for value in dimensions.values())
