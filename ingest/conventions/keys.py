"""Every span attribute key the project reads or writes (STYLE §11), grouped by convention.

Pure constants. Other modules import these names; no other module spells an attribute key.
"""

from __future__ import annotations

# --- OTel GenAI semantic conventions (current names first, then older ones) ----------------
GEN_AI_PROVIDER_NAME = "gen_ai.provider.name"
GEN_AI_SYSTEM = "gen_ai.system"
GEN_AI_OPERATION_NAME = "gen_ai.operation.name"
GEN_AI_REQUEST_MODEL = "gen_ai.request.model"
GEN_AI_RESPONSE_MODEL = "gen_ai.response.model"
GEN_AI_REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens"
GEN_AI_REQUEST_STREAM = "gen_ai.request.stream"  # anthropic SDK, openlit ≥ 1.4x
GEN_AI_REQUEST_IS_STREAM = "gen_ai.request.is_stream"  # older openlit
GEN_AI_RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons"
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
GEN_AI_USAGE_REASONING_OLD = "gen_ai.usage.reasoning_tokens"  # OpenLLMetry, openlit
GEN_AI_USAGE_TOTAL_TOKENS = "gen_ai.usage.total_tokens"  # OpenLLMetry only; not read as usage
OPENAI_RESPONSE_SERVICE_TIER = "openai.response.service_tier"
OPENAI_REQUEST_SERVICE_TIER = "openai.request.service_tier"
GEN_AI_OPENAI_RESPONSE_SERVICE_TIER = "gen_ai.openai.response.service_tier"  # semconv ≤ 1.30
GEN_AI_OPENAI_REQUEST_SERVICE_TIER = "gen_ai.openai.request.service_tier"
ERROR_TYPE = "error.type"
HTTP_RESEND_COUNT = "http.request.resend_count"
SERVICE_NAME = "service.name"
TELEMETRY_SDK_NAME = "telemetry.sdk.name"

# --- OpenLLMetry (Traceloop) extras ---------------------------------------------------------
GEN_AI_IS_STREAMING = "gen_ai.is_streaming"
LLM_IS_STREAMING = "llm.is_streaming"
LLM_REQUEST_TYPE = "llm.request.type"
LLM_USAGE_TOTAL_TOKENS = "llm.usage.total_tokens"
TRACELOOP_SPAN_KIND = "traceloop.span.kind"
TRACELOOP_WORKFLOW_NAME = "traceloop.workflow.name"
TRACELOOP_PROPERTIES = "traceloop.association.properties."  # prefix

# --- openlit extras ---------------------------------------------------------------------------
OPENLIT_SDK_NAME = "openlit"  # value of telemetry.sdk.name, which openlit copies onto spans
OPENLIT_AGENT_VERSION_HASH = "openlit.agent.version_hash"
OPENAI_API_TYPE = "openai.api.type"  # "chat_completions" | "responses"

# --- the anthropic SDK's own tracing (com.anthropic.sdk.*) ---------------------------------
ANTHROPIC_REQUEST_ID = "anthropic.request.id"
ANTHROPIC_STOP_REASON = "anthropic.message.stop_reason"
ANTHROPIC_SERVICE_TIER = "anthropic.response.service_tier"
ANTHROPIC_CACHE_WRITE_5M = "anthropic.usage.cache_creation.ephemeral_5m_input_tokens"
ANTHROPIC_CACHE_WRITE_1H = "anthropic.usage.cache_creation.ephemeral_1h_input_tokens"

# --- OpenInference (Arize) --------------------------------------------------------------------
LLM_PROVIDER = "llm.provider"
LLM_SYSTEM = "llm.system"
LLM_MODEL_NAME = "llm.model_name"
LLM_REQUEST_MODEL_NAME = "llm.request.model_name"
LLM_RESPONSE_MODEL_NAME = "llm.response.model_name"
LLM_INVOCATION_PARAMETERS = "llm.invocation_parameters"  # JSON string
LLM_FINISH_REASON = "llm.finish_reason"
LLM_TOKEN_COUNT_PROMPT = "llm.token_count.prompt"
LLM_TOKEN_COUNT_COMPLETION = "llm.token_count.completion"
LLM_TOKEN_COUNT_CACHE_READ = "llm.token_count.prompt_details.cache_read"
LLM_TOKEN_COUNT_CACHE_WRITE = "llm.token_count.prompt_details.cache_write"
LLM_TOKEN_COUNT_REASONING = "llm.token_count.completion_details.reasoning"
LLM_PROMPT_TEMPLATE = "llm.prompt_template.template"  # the template text
LLM_PROMPT_TEMPLATE_VERSION = "llm.prompt_template.version"
EMBEDDING_MODEL_NAME = "embedding.model_name"
EMBEDDING_INVOCATION_PARAMETERS = "embedding.invocation_parameters"  # JSON string
OPENINFERENCE_SPAN_KIND = "openinference.span.kind"
OPENINFERENCE_METADATA = "metadata"  # JSON string of app metadata
SESSION_ID = "session.id"
USER_ID = "user.id"
ENDUSER_ID = "enduser.id"

# --- Langfuse (v3+, OTel based) --------------------------------------------------------------
LANGFUSE_OBSERVATION_TYPE = "langfuse.observation.type"  # "generation" | "embedding" | "span"…
LANGFUSE_MODEL_NAME = "langfuse.observation.model.name"
LANGFUSE_MODEL_PARAMETERS = "langfuse.observation.model.parameters"  # JSON string
LANGFUSE_USAGE_DETAILS = "langfuse.observation.usage_details"  # JSON string
LANGFUSE_LEVEL = "langfuse.observation.level"  # "ERROR" on a failed observation
LANGFUSE_FINISH_REASON = "langfuse.observation.metadata.finish_reason"
LANGFUSE_OBSERVATION_METADATA = "langfuse.observation.metadata."  # prefix
LANGFUSE_TRACE_METADATA = "langfuse.trace.metadata."  # prefix; v5 JSON-encodes the values
LANGFUSE_TRACE_NAME = "langfuse.trace.name"
LANGFUSE_PROMPT_NAME = "langfuse.prompt.name"
LANGFUSE_PROMPT_VERSION = "langfuse.prompt.version"
LANGFUSE_USER_ID = "langfuse.user.id"
LANGFUSE_SESSION_ID = "langfuse.session.id"

# --- Vercel AI SDK (`ai` 4 to 7; 7's @ai-sdk/otel emits OTel GenAI instead) -------------------
AI_OPERATION_ID = "ai.operationId"  # "ai.generateText.doGenerate", "ai.embed.doEmbed"…
AI_MODEL_ID = "ai.model.id"
AI_MODEL_PROVIDER = "ai.model.provider"  # "openai.chat", "openai.responses", "anthropic.messages"
AI_RESPONSE_MODEL = "ai.response.model"
AI_RESPONSE_FINISH_REASON = "ai.response.finishReason"
AI_RESPONSE_PROVIDER_METADATA = "ai.response.providerMetadata"  # JSON string
AI_SETTINGS_MAX_OUTPUT_TOKENS = "ai.settings.maxOutputTokens"  # ai ≥ 5
AI_SETTINGS_MAX_TOKENS = "ai.settings.maxTokens"  # ai 4
AI_USAGE_INPUT_TOKENS = "ai.usage.inputTokens"  # ai ≥ 5 (a total from ai 6 on)
AI_USAGE_OUTPUT_TOKENS = "ai.usage.outputTokens"
AI_USAGE_PROMPT_TOKENS = "ai.usage.promptTokens"  # ai 4
AI_USAGE_COMPLETION_TOKENS = "ai.usage.completionTokens"  # ai 4
AI_USAGE_TOKENS = "ai.usage.tokens"  # embeddings
AI_USAGE_CACHED_INPUT_TOKENS = "ai.usage.cachedInputTokens"  # ai 5
AI_USAGE_REASONING_TOKENS = "ai.usage.reasoningTokens"  # ai 5
AI_USAGE_NO_CACHE_TOKENS = "ai.usage.inputTokenDetails.noCacheTokens"  # ai ≥ 6
AI_USAGE_CACHE_READ_TOKENS = "ai.usage.inputTokenDetails.cacheReadTokens"  # ai ≥ 6
AI_USAGE_CACHE_WRITE_TOKENS = "ai.usage.inputTokenDetails.cacheWriteTokens"  # ai ≥ 6
AI_USAGE_OUTPUT_REASONING_TOKENS = "ai.usage.outputTokenDetails.reasoningTokens"  # ai ≥ 6
AI_TELEMETRY_FUNCTION_ID = "ai.telemetry.functionId"
AI_TELEMETRY_METADATA = "ai.telemetry.metadata."  # prefix
AI_SETTINGS_CONTEXT = "ai.settings.context."  # prefix, ai 7

# --- our own attributes (settable on any span or resource, inherited by descendants) ------
FINOPS_FEATURE = "finops.feature"
FINOPS_TEMPLATE = "finops.template"
FINOPS_TEMPLATE_VERSION = "finops.template.version"
FINOPS_SEGMENT = "finops.customer.segment"
FINOPS_CUSTOMER = "finops.customer.id"
FINOPS_ROUTE = "finops.route"
FINOPS_SESSION_ID = "finops.session.id"
FINOPS_OUTCOME = "finops.outcome"  # "success" | "failure"
FINOPS_OUTCOME_NAME = "finops.outcome.name"
FINOPS_OUTCOME_VALUE = "finops.outcome.value"  # USD
FINOPS_ATTEMPT = "finops.attempt"
FINOPS_FALLBACK = "finops.fallback"
FINOPS_ESCALATION = "finops.escalation"  # "model" | "human"
FINOPS_CACHE_HIT = "finops.cache.hit"
FINOPS_CACHE_KIND = "finops.cache.kind"  # "exact" | "semantic"
FINOPS_QUALITY_SCORE = "finops.quality.score"  # 0..1
# OTel GenAI evaluation results (span event or log record, parented to the evaluated call).
GEN_AI_EVALUATION_RESULT = "gen_ai.evaluation.result"
GEN_AI_EVALUATION_SCORE_VALUE = "gen_ai.evaluation.score.value"
GEN_AI_EVALUATION_SCORE_LABEL = "gen_ai.evaluation.score.label"
FINOPS_RETRIEVAL_CHUNKS = "finops.retrieval.chunks"
FINOPS_RETRIEVAL_CITATIONS = "finops.retrieval.citations"
APP_PREFIX = "app."  # app attributes, often baggage copied onto spans
APP_FEATURE = "app.feature"

# --- message content (read by ``content``; only shown to roles with trace-content access) -------
GEN_AI_INPUT_MESSAGES = "gen_ai.input.messages"  # JSON: [{role, parts: [{type, content}]}]
GEN_AI_OUTPUT_MESSAGES = "gen_ai.output.messages"
GEN_AI_SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions"  # JSON: [{type, content}]
GEN_AI_PROMPT = "gen_ai.prompt"  # prefix of gen_ai.prompt.N.role/.content (older semconv)
GEN_AI_COMPLETION = "gen_ai.completion"  # prefix of gen_ai.completion.N.*, or a JSON value
GEN_AI_EVENT_CONTENT_PROMPT = "gen_ai.content.prompt"  # span event carrying gen_ai.prompt
GEN_AI_EVENT_CONTENT_COMPLETION = "gen_ai.content.completion"  # … carrying gen_ai.completion
GEN_AI_EVENT_CHOICE = "gen_ai.choice"  # span event / log record: {index, message, …}
GEN_AI_EVENT_MESSAGE_SUFFIX = ".message"  # gen_ai.system.message, gen_ai.user.message, …
GEN_AI_EVENT_OPERATION_DETAILS = "gen_ai.client.inference.operation.details"
LLM_INPUT_MESSAGES = "llm.input_messages."  # prefix: N.message.role / .content / .contents…
LLM_OUTPUT_MESSAGES = "llm.output_messages."
INPUT_VALUE = "input.value"  # OpenInference: the request (often its JSON body)
OUTPUT_VALUE = "output.value"
LANGFUSE_INPUT = "langfuse.observation.input"
LANGFUSE_OUTPUT = "langfuse.observation.output"
AI_PROMPT = "ai.prompt"  # Vercel AI SDK, JSON {system, prompt | messages}
AI_PROMPT_MESSAGES = "ai.prompt.messages"  # JSON array (provider-call spans)
AI_RESPONSE_TEXT = "ai.response.text"
AI_RESPONSE_OBJECT = "ai.response.object"
AI_RESPONSE_TOOL_CALLS = "ai.response.toolCalls"
# Request parameters shown with a call (gen_ai.request.<name>, ai.settings.<name>).
GEN_AI_REQUEST = "gen_ai.request."  # prefix
AI_SETTINGS = "ai.settings."  # prefix
# Exceptions recorded as span events (OTel semantic conventions).
EXCEPTION_EVENT = "exception"
EXCEPTION_TYPE = "exception.type"
EXCEPTION_MESSAGE = "exception.message"
EXCEPTION_STACKTRACE = "exception.stacktrace"
