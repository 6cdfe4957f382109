"""Every attribute family (ingest/conventions/families.py): OTel GenAI and its dialects,
OpenInference, Langfuse and the Vercel AI SDK, mapped by meaning; what each family reports as
input; and how a span's family is told.

Attribute keys are spelled out here on purpose: the payloads are what libraries send, and a
test that used the module's own constants could not catch a misspelt constant.
"""

from __future__ import annotations

import json

import pytest

from ingest.conventions import FAMILIES, extract_call
from tests.ingest.conventions._helpers import MODEL, call_fields

# --- what each family reports as input -----------------------------------------------------


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
            call_fields(
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
            call_fields(
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
            call_fields(
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
            call_fields(
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
            call_fields(
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

    assert extract_call(attributes, status_code, "langfuse-sdk") == call_fields(
        **(defaults | expected)
    )


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
            call_fields(
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
            call_fields(
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
            call_fields(
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
            call_fields(
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
            call_fields(
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
            call_fields(
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


# --- telling the family ----------------------------------------------------------------------


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
