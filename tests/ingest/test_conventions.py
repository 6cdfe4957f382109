"""Span attributes → LLM-call fields and attribution dimensions (ingest/conventions.py)."""

from __future__ import annotations

import math

import pytest

from ingest.conventions import MAX_LABEL, CallFields, attribution_of, extract_call

MODEL = {"gen_ai.request.model": "gpt-4o-mini"}


def _call(**fields) -> CallFields:
    """The CallFields of a successful gpt-4o-mini call, with ``fields`` changed."""
    defaults = {
        "provider": "",
        "operation": "",
        "request_model": "gpt-4o-mini",
        "response_model": "",
        "input_tokens": 0,
        "output_tokens": 0,
        "cache_read_tokens": 0,
        "cache_write_tokens": 0,
        "reasoning_tokens": 0,
        "has_usage": True,
        "error_type": "",
    }
    return CallFields(**(defaults | fields))


def test_current_otel_genai_span_maps_every_field():
    attributes = {
        "gen_ai.provider.name": "openai",
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.model": "gpt-4o-2024-08-06",
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
        reasoning_tokens=128,
        has_usage=True,
        error_type="",
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
    ) == (
        expected,
        expected,
        expected,
        expected,
    )


@pytest.mark.parametrize("value", ["many", True, [1], {"n": 1}, math.nan], ids=str)
def test_unreadable_token_count_is_no_usage(value):
    call = extract_call(MODEL | {"gen_ai.usage.input_tokens": value})

    assert (call.has_usage, call.input_tokens) == (False, 0)


@pytest.mark.parametrize("value", [math.inf, "inf", "1e400", -math.inf], ids=str)
def test_infinite_token_count_is_no_usage(value):
    call = extract_call(MODEL | {"gen_ai.usage.input_tokens": value})

    assert (call.has_usage, call.input_tokens) == (False, 0)


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


def test_long_model_name_is_cut_to_label_length():
    call = extract_call({"gen_ai.request.model": "m" * (MAX_LABEL + 50)})

    assert call.request_model == "m" * MAX_LABEL


# --- attribution_of ---------------------------------------------------------------------


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
            },
            {
                "template": "reply",
                "template_version": "3",
                "segment": "enterprise",
                "route": "cheap-first",
            },
            id="other-dimensions",
        ),
        pytest.param({"service.name": "bot", "gen_ai.request.model": "gpt-4o"}, {}, id="none"),
    ],
)
def test_attribution_of_picks_most_specific_key(attributes, expected):
    assert attribution_of(attributes) == expected
