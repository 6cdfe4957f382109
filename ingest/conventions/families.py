"""The attribute families real libraries emit, one table each: candidate keys per call field.

Pure. What each library puts where was read from real captures (tests/data/otlp/FINDINGS.md);
a renamed attribute or a new library is a change to a table here, not a new branch of code.
``speaking`` decides which family a span speaks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ingest.conventions import keys as k
from ingest.conventions.values import Candidate, is_present

FAMILIES = (
    "otel-genai",
    "openinference",
    "openllmetry",
    "openlit",
    "langfuse",
    "vercel-ai",
    "anthropic-sdk",
)


@dataclass(frozen=True, slots=True)
class Family:
    """Where one attribute family keeps each call field: candidates per field, first wins."""

    name: str
    provider: tuple[Candidate, ...] = ()
    operation: tuple[Candidate, ...] = ()
    request_model: tuple[Candidate, ...] = ()
    response_model: tuple[Candidate, ...] = ()
    # Names the model without saying which: the response model of a call that answered, the
    # requested one of a call that failed (OpenInference llm.model_name, Langfuse model.name).
    model: tuple[Candidate, ...] = ()
    input: tuple[Candidate, ...] = ()
    output: tuple[Candidate, ...] = ()
    cache_read: tuple[Candidate, ...] = ()
    cache_write: tuple[Candidate, ...] = ()
    cache_write_1h: tuple[Candidate, ...] = ()
    reasoning: tuple[Candidate, ...] = ()
    max_tokens: tuple[Candidate, ...] = ()
    finish_reason: tuple[Candidate, ...] = ()
    service_tier: tuple[Candidate, ...] = ()
    streaming: tuple[Candidate, ...] = ()
    error_level: tuple[Candidate, ...] = ()  # a value "ERROR" marks a failed call
    # Is the reported input the provider's raw figure, cache reads and writes excluded?
    # A total marker present → total; else a raw marker present → raw; else raw when the
    # provider is listed. (Whatever this says, input < cache means raw: the safety net.)
    raw_input_providers: tuple[str, ...] = ()
    raw_input_markers: tuple[Candidate, ...] = ()
    total_input_markers: tuple[Candidate, ...] = ()
    provider_has_api_suffix: bool = False  # "openai.chat": provider, then the API used
    infer_provider: bool = False  # no provider attribute: infer it from the model name

    @property
    def usage(self) -> tuple[Candidate, ...]:
        return self.input + self.output + self.cache_read + self.cache_write + self.reasoning

    @property
    def models(self) -> tuple[Candidate, ...]:
        return self.request_model + self.response_model + self.model


# OTel GenAI, and the libraries that speak it with their own accents (which differ in how
# they count Anthropic input, not in key names, so they share one table).
OTEL_GENAI = Family(
    name="otel-genai",
    provider=(k.GEN_AI_PROVIDER_NAME, k.GEN_AI_SYSTEM),
    operation=(k.GEN_AI_OPERATION_NAME,),
    request_model=(k.GEN_AI_REQUEST_MODEL,),
    response_model=(k.GEN_AI_RESPONSE_MODEL,),
    input=(k.GEN_AI_USAGE_INPUT_TOKENS, k.GEN_AI_USAGE_PROMPT_TOKENS),
    output=(k.GEN_AI_USAGE_OUTPUT_TOKENS, k.GEN_AI_USAGE_COMPLETION_TOKENS),
    cache_read=(k.GEN_AI_USAGE_CACHE_READ, k.GEN_AI_USAGE_CACHE_READ_OLD),
    cache_write=(
        k.GEN_AI_USAGE_CACHE_WRITE,
        k.GEN_AI_USAGE_CACHE_WRITE_SDK,
        k.GEN_AI_USAGE_CACHE_WRITE_OLD,
    ),
    cache_write_1h=(k.ANTHROPIC_CACHE_WRITE_1H,),
    reasoning=(k.GEN_AI_USAGE_REASONING, k.GEN_AI_USAGE_REASONING_OLD),
    max_tokens=(k.GEN_AI_REQUEST_MAX_TOKENS,),
    finish_reason=(k.GEN_AI_RESPONSE_FINISH_REASONS, k.ANTHROPIC_STOP_REASON),
    service_tier=(
        k.OPENAI_RESPONSE_SERVICE_TIER,
        k.GEN_AI_OPENAI_RESPONSE_SERVICE_TIER,
        k.OPENAI_REQUEST_SERVICE_TIER,
        k.GEN_AI_OPENAI_REQUEST_SERVICE_TIER,
        k.ANTHROPIC_SERVICE_TIER,
    ),
    streaming=(
        k.GEN_AI_REQUEST_STREAM,
        k.GEN_AI_IS_STREAMING,
        k.LLM_IS_STREAMING,
        k.GEN_AI_REQUEST_IS_STREAM,
    ),
)
OPENLLMETRY = replace(OTEL_GENAI, name="openllmetry")
ANTHROPIC_SDK = replace(OTEL_GENAI, name="anthropic-sdk")  # reports the total: it normalises
# openlit reports Anthropic's raw input_tokens (cache excluded) and says "chat" for the
# Responses API, which only openai.api.type tells apart.
OPENLIT = replace(
    OTEL_GENAI,
    name="openlit",
    operation=(k.OPENAI_API_TYPE, k.GEN_AI_OPERATION_NAME),
    raw_input_providers=("anthropic",),
)

_INVOCATION = k.LLM_INVOCATION_PARAMETERS
OPENINFERENCE = Family(
    name="openinference",
    provider=(k.LLM_PROVIDER, k.LLM_SYSTEM),
    operation=(k.OPENINFERENCE_SPAN_KIND,),
    request_model=(
        k.LLM_REQUEST_MODEL_NAME,
        (_INVOCATION, "model"),
        (k.EMBEDDING_INVOCATION_PARAMETERS, "model"),
    ),
    response_model=(k.LLM_RESPONSE_MODEL_NAME,),
    model=(k.LLM_MODEL_NAME, k.EMBEDDING_MODEL_NAME),
    input=(k.LLM_TOKEN_COUNT_PROMPT,),
    output=(k.LLM_TOKEN_COUNT_COMPLETION,),
    cache_read=(k.LLM_TOKEN_COUNT_CACHE_READ,),
    cache_write=(k.LLM_TOKEN_COUNT_CACHE_WRITE,),
    reasoning=(k.LLM_TOKEN_COUNT_REASONING,),
    max_tokens=(
        (_INVOCATION, "max_tokens"),
        (_INVOCATION, "max_completion_tokens"),
        (_INVOCATION, "max_output_tokens"),
    ),
    finish_reason=(k.LLM_FINISH_REASON,),
    service_tier=((_INVOCATION, "service_tier"),),
    streaming=((_INVOCATION, "stream"),),
)

# Langfuse: usage_details is the provider's raw usage object as JSON (OpenAI chat, Responses),
# or Langfuse's own buckets ("input", "output", "cache_read_input_tokens"…), which exclude
# each other: there "input" is the uncached part, as in Anthropic's raw usage.
_USAGE = k.LANGFUSE_USAGE_DETAILS
_PARAMETERS = k.LANGFUSE_MODEL_PARAMETERS
LANGFUSE = Family(
    name="langfuse",
    operation=(k.LANGFUSE_OBSERVATION_TYPE,),
    model=(k.LANGFUSE_MODEL_NAME,),
    input=((_USAGE, "prompt_tokens"), (_USAGE, "input_tokens"), (_USAGE, "input")),
    output=((_USAGE, "completion_tokens"), (_USAGE, "output_tokens"), (_USAGE, "output")),
    cache_read=(
        (_USAGE, "prompt_tokens_details", "cached_tokens"),
        (_USAGE, "input_tokens_details", "cached_tokens"),
        (_USAGE, "cache_read_input_tokens"),
        (_USAGE, "input_cached_tokens"),
        (_USAGE, "input_cache_read"),
    ),
    cache_write=(
        (_USAGE, "cache_creation_input_tokens"),
        (_USAGE, "input_tokens_details", "cache_write_tokens"),
        (_USAGE, "input_cache_creation"),
    ),
    cache_write_1h=((_USAGE, "cache_creation", "ephemeral_1h_input_tokens"),),
    reasoning=(
        (_USAGE, "completion_tokens_details", "reasoning_tokens"),
        (_USAGE, "output_tokens_details", "reasoning_tokens"),
        (_USAGE, "output_reasoning_tokens"),
        (_USAGE, "output_reasoning"),
    ),
    max_tokens=(
        (_PARAMETERS, "max_tokens"),
        (_PARAMETERS, "max_output_tokens"),
        (_PARAMETERS, "max_completion_tokens"),
    ),
    finish_reason=(k.LANGFUSE_FINISH_REASON,),
    service_tier=((_PARAMETERS, "service_tier"),),
    error_level=(k.LANGFUSE_LEVEL,),
    raw_input_markers=(
        (_USAGE, "cache_read_input_tokens"),
        (_USAGE, "cache_creation_input_tokens"),
        (_USAGE, "input_cached_tokens"),
        (_USAGE, "input_cache_read"),
        (_USAGE, "input_cache_creation"),
    ),
    infer_provider=True,
)

# Vercel AI SDK. ai 4 and 5 report Anthropic's raw input (ai 4: promptTokens, ai 5:
# inputTokens) with cache figures partly or only in providerMetadata; ai 6 reports a total
# and its breakdown under inputTokenDetails.
_METADATA = k.AI_RESPONSE_PROVIDER_METADATA
VERCEL_AI = Family(
    name="vercel-ai",
    provider=(k.AI_MODEL_PROVIDER,),
    operation=(k.AI_OPERATION_ID,),
    request_model=(k.AI_MODEL_ID,),
    response_model=(k.AI_RESPONSE_MODEL,),
    input=(k.AI_USAGE_INPUT_TOKENS, k.AI_USAGE_PROMPT_TOKENS, k.AI_USAGE_TOKENS),
    output=(k.AI_USAGE_OUTPUT_TOKENS, k.AI_USAGE_COMPLETION_TOKENS),
    cache_read=(
        k.AI_USAGE_CACHE_READ_TOKENS,
        k.AI_USAGE_CACHED_INPUT_TOKENS,
        (_METADATA, "anthropic", "cacheReadInputTokens"),
        (_METADATA, "anthropic", "usage", "cache_read_input_tokens"),
        (_METADATA, "openai", "cachedPromptTokens"),
    ),
    cache_write=(
        k.AI_USAGE_CACHE_WRITE_TOKENS,
        (_METADATA, "anthropic", "cacheCreationInputTokens"),
        (_METADATA, "anthropic", "usage", "cache_creation_input_tokens"),
    ),
    cache_write_1h=(
        (_METADATA, "anthropic", "usage", "cache_creation", "ephemeral_1h_input_tokens"),
    ),
    reasoning=(
        k.AI_USAGE_OUTPUT_REASONING_TOKENS,
        k.AI_USAGE_REASONING_TOKENS,
        (_METADATA, "openai", "reasoningTokens"),
    ),
    max_tokens=(k.AI_SETTINGS_MAX_OUTPUT_TOKENS, k.AI_SETTINGS_MAX_TOKENS),
    finish_reason=(k.AI_RESPONSE_FINISH_REASON,),
    streaming=(k.AI_OPERATION_ID,),
    raw_input_providers=("anthropic",),
    total_input_markers=(
        k.AI_USAGE_NO_CACHE_TOKENS,
        k.AI_USAGE_CACHE_READ_TOKENS,
        k.AI_USAGE_CACHE_WRITE_TOKENS,
    ),
    provider_has_api_suffix=True,
)

# Which family a span speaks is decided in this order. The AI SDK's inner span also carries
# gen_ai.* (with a raw Anthropic input and no cache figures), so its own keys come first.
_GEN_AI = OTEL_GENAI.name  # stands for whichever gen_ai.* dialect the scope says
ORDER = (VERCEL_AI, OTEL_GENAI, OPENINFERENCE, LANGFUSE)

# gen_ai.* dialects, told apart by instrumentation scope, else by attributes only they set.
_SCOPE_PREFIXES = (
    ("openlit", OPENLIT),
    ("com.anthropic", ANTHROPIC_SDK),
    ("traceloop", OPENLLMETRY),
)
_OPENLLMETRY_SCOPES = frozenset(
    "opentelemetry.instrumentation." + name
    for name in (
        "openai.v1",
        "openai.v0",
        "anthropic",
        "bedrock",
        "cohere",
        "groq",
        "mistralai",
        "ollama",
        "together",
        "langchain",
        "llamaindex",
    )
)
_OPENLIT_HINTS = frozenset((k.OPENLIT_AGENT_VERSION_HASH,))
_ANTHROPIC_SDK_HINTS = frozenset((k.ANTHROPIC_REQUEST_ID, k.ANTHROPIC_CACHE_WRITE_5M))
_OPENLLMETRY_HINTS = frozenset(
    (
        k.GEN_AI_IS_STREAMING,
        k.LLM_IS_STREAMING,
        k.LLM_REQUEST_TYPE,
        k.LLM_USAGE_TOTAL_TOKENS,
        k.GEN_AI_USAGE_TOTAL_TOKENS,
        k.TRACELOOP_SPAN_KIND,
    )
)

_HINTS = (
    (_OPENLIT_HINTS, OPENLIT),
    (_ANTHROPIC_SDK_HINTS, ANTHROPIC_SDK),
    (_OPENLLMETRY_HINTS, OPENLLMETRY),
)

# Operation names, normalised. Values not listed pass through lower-cased.
OPERATIONS = {
    "chat": "chat",
    "chat_completions": "chat",  # openlit openai.api.type
    "generate_content": "chat",
    "llm": "chat",  # OpenInference span kind
    "generation": "chat",  # Langfuse observation type
    "text_completion": "text_completion",
    "completion": "text_completion",
    "embeddings": "embeddings",
    "embedding": "embeddings",  # OpenInference span kind, Langfuse observation type
    "responses": "responses",
    **dict.fromkeys(
        ("ai.embed", "ai.embed.doembed", "ai.embedmany", "ai.embedmany.doembed"), "embeddings"
    ),
    **dict.fromkeys(
        (
            "ai.generatetext",
            "ai.generatetext.dogenerate",
            "ai.streamtext",
            "ai.streamtext.dostream",
            "ai.generateobject",
            "ai.generateobject.dogenerate",
            "ai.streamobject",
            "ai.streamobject.dostream",
        ),
        "chat",
    ),
}
# AI SDK operation ids that stream ("ai.streamText.doStream"…).
STREAMING_OPERATIONS = frozenset(
    ("ai.streamtext", "ai.streamtext.dostream", "ai.streamobject", "ai.streamobject.dostream")
)
# AI SDK provider ids are "<provider>.<api>": the API names the operation where it differs.
API_OPERATIONS = {"responses": "responses", "completion": "text_completion"}
PROVIDER_ALIASES = {"amazon-bedrock": "aws.bedrock", "azure-openai": "azure.ai.openai"}
# Model-name prefixes → provider, for families that send no provider (Langfuse).
MODEL_PREFIX_PROVIDERS = (
    ("gpt-", "openai"),
    ("chatgpt-", "openai"),
    ("o1", "openai"),
    ("o3", "openai"),
    ("o4", "openai"),
    ("text-embedding-", "openai"),
    ("claude-", "anthropic"),
    ("gemini-", "gcp.gemini"),
)


def _top_keys(candidates: tuple[Candidate, ...]) -> frozenset[str]:
    return frozenset(c if isinstance(c, str) else c[0] for c in candidates)


# The fields a family has candidates for, with them, so a span is read in one pass.
FIELDS = (
    "provider",
    "operation",
    "request_model",
    "response_model",
    "model",
    "input",
    "output",
    "cache_read",
    "cache_write",
    "cache_write_1h",
    "reasoning",
    "max_tokens",
    "finish_reason",
    "service_tier",
    "streaming",
    "error_level",
)
TABLES: dict[str, tuple[tuple[str, tuple[Candidate, ...]], ...]] = {
    family.name: tuple((f, getattr(family, f)) for f in FIELDS if getattr(family, f))
    for family in (*ORDER, OPENLLMETRY, OPENLIT, ANTHROPIC_SDK)
}
# Per family, the attribute keys whose presence may mean usage / a model name: checked with a
# set operation first, because most spans (HTTP, DB, app) carry none of them.
_CANDIDATES = {
    (family.name, what): getattr(family, what) for family in ORDER for what in ("usage", "models")
}
_KEYS = {pair: _top_keys(candidates) for pair, candidates in _CANDIDATES.items()}
CALL_KEYS = frozenset().union(*_KEYS.values())


def speaking(
    attributes: Mapping[str, Any], scope: str, parsed: dict[str, Any], what: str
) -> Family | None:
    """The first family (in ``ORDER``) with a ``what`` ("usage" | "models") value present."""
    for family in ORDER:
        if _KEYS[family.name, what].isdisjoint(attributes):
            continue
        if is_present(attributes, _CANDIDATES[family.name, what], parsed):
            return _dialect(attributes, scope) if family.name == _GEN_AI else family
    return None


def _dialect(attributes: Mapping[str, Any], scope: str) -> Family:
    """Which library's gen_ai.* this is: by scope, else by attributes only that library sets."""
    if scope:
        for prefix, family in _SCOPE_PREFIXES:
            if scope.startswith(prefix):
                return family
        if scope in _OPENLLMETRY_SCOPES:
            return OPENLLMETRY
    if attributes.get(k.TELEMETRY_SDK_NAME) == k.OPENLIT_SDK_NAME:
        return OPENLIT
    for hints, family in _HINTS:
        if not hints.isdisjoint(attributes):
            return family
    return OTEL_GENAI
