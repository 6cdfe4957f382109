"""Span attributes → LLM-call fields (ingest/conventions/calls.py): OTel GenAI names old and
new, input normalised to the total, what is and is not a call, errors, usage on span events and
operation names.

Attribute keys are spelled out here on purpose: the payloads are what libraries send, and a
test that used the module's own constants could not catch a misspelt constant.
"""

from __future__ import annotations

import pytest

from ingest.conventions import CallFields, extract_call
from tests.ingest.conventions._helpers import MODEL, call_fields


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
            call_fields(input_tokens=1000, output_tokens=500),
            id="old-prompt-completion",
        ),
        pytest.param(
            {"gen_ai.usage.input_tokens": 1000, "gen_ai.usage.output_tokens": 500},
            call_fields(input_tokens=1000, output_tokens=500),
            id="new-input-output",
        ),
        pytest.param(
            {
                "gen_ai.usage.input_tokens": 1000,
                "gen_ai.usage.prompt_tokens": 1,
                "gen_ai.usage.output_tokens": 500,
                "gen_ai.usage.completion_tokens": 2,
            },
            call_fields(input_tokens=1000, output_tokens=500),
            id="new-name-wins-over-old",
        ),
        pytest.param(
            {"gen_ai.usage.input_tokens": 1000, "gen_ai.usage.cache_read.input_tokens": 200},
            call_fields(input_tokens=1000, cache_read_tokens=200),
            id="new-cache-read",
        ),
        pytest.param(
            {"gen_ai.usage.input_tokens": 1000, "gen_ai.usage.cache_read_input_tokens": 200},
            call_fields(input_tokens=1000, cache_read_tokens=200),
            id="old-cache-read",
        ),
        pytest.param(
            {"gen_ai.usage.input_tokens": 1000, "gen_ai.usage.cache_creation.input_tokens": 300},
            call_fields(input_tokens=1000, cache_write_tokens=300),
            id="new-cache-write",
        ),
        pytest.param(
            {"gen_ai.usage.input_tokens": 1000, "gen_ai.usage.cache_creation_input_tokens": 300},
            call_fields(input_tokens=1000, cache_write_tokens=300),
            id="old-cache-write",
        ),
        pytest.param(
            {
                "gen_ai.usage.input_tokens": 1000,
                "gen_ai.usage.cache_read.input_tokens": 200,
                "gen_ai.usage.cache_read_input_tokens": 999,
            },
            call_fields(input_tokens=1000, cache_read_tokens=200),
            id="new-cache-name-wins-over-old",
        ),
        pytest.param(
            {"gen_ai.system": "anthropic"},
            call_fields(provider="anthropic", has_usage=False),
            id="old-system",
        ),
        pytest.param(
            {"gen_ai.provider.name": "aws.bedrock", "gen_ai.system": "anthropic"},
            call_fields(provider="aws.bedrock", has_usage=False),
            id="provider-name-wins-over-system",
        ),
        pytest.param(
            {"gen_ai.usage.output_tokens": 40, "gen_ai.usage.reasoning.output_tokens": 32},
            call_fields(output_tokens=40, reasoning_tokens=32),
            id="reasoning",
        ),
        # Names seen in captures (tests/data/otlp/FINDINGS.md): the anthropic SDK's own spans
        # and OpenLLMetry.
        pytest.param(
            {"gen_ai.usage.input_tokens": 1300, "gen_ai.usage.cache_write.input_tokens": 200},
            call_fields(input_tokens=1300, cache_write_tokens=200),
            id="anthropic-sdk-cache-write",
        ),
        pytest.param(
            {"gen_ai.usage.output_tokens": 40, "gen_ai.usage.reasoning_tokens": 32},
            call_fields(output_tokens=40, reasoning_tokens=32),
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

    assert call == call_fields(request_model="", output_tokens=7)


def test_failed_call_with_only_a_model_has_no_usage_and_an_error_type():
    call = extract_call(
        {"gen_ai.request.model": "gpt-4o", "error.type": "RateLimitError"}, status_code=2
    )

    assert call == call_fields(request_model="gpt-4o", has_usage=False, error_type="RateLimitError")


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

    assert call == call_fields(
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

    assert extract_call(MODEL, status_code=2, events=events) == call_fields(
        has_usage=False, error_type="error"
    )


# --- operations ----------------------------------------------------------------------------


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
