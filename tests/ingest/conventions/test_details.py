"""Request parameters and exception events of a span (keys spelled out: see _helpers.py)."""

from __future__ import annotations

import json

import pytest

from ingest.conventions.details import (
    ExceptionInfo,
    exceptions_of,
    request_parameters,
    span_category,
)


def test_gen_ai_request_parameters_are_read_without_the_model():
    attributes = {
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.max_tokens": 512,
        "gen_ai.request.stop_sequences": ["\n\n"],
        "gen_ai.usage.input_tokens": 10,
    }

    assert request_parameters(attributes) == {
        "max_tokens": 512,
        "stop_sequences": "['\\n\\n']",
        "temperature": 0.2,
    }


def test_json_parameters_are_read_and_span_attributes_win():
    attributes = {
        "gen_ai.request.temperature": 0.5,
        "llm.invocation_parameters": json.dumps({"temperature": 1, "max_tokens": 64, "model": "x"}),
        "langfuse.observation.model.parameters": json.dumps({"top_p": 1, "max_tokens": 99}),
    }

    assert request_parameters(attributes) == {"max_tokens": 64, "temperature": 0.5, "top_p": 1}


def test_vercel_ai_sdk_settings_are_read_but_not_its_context():
    attributes = {"ai.settings.maxOutputTokens": 300, "ai.settings.context.customer.id": "c1"}

    assert request_parameters(attributes) == {"maxOutputTokens": 300}


def test_long_parameter_values_are_cut():
    attributes = {"gen_ai.request.user": "u" * 1000}

    assert request_parameters(attributes) == {"user": "u" * 200}


def test_exception_events_are_read_and_repeats_shown_once():
    exception = {
        "exception.type": "openai.InternalServerError",
        "exception.message": "Error code: 500",
        "exception.stacktrace": "Traceback ...",
    }
    events = [
        {"name": "First Token Stream Event", "time_ns": 1, "attributes": {}},
        {"name": "exception", "time_ns": 5, "attributes": exception},
        {"name": "exception", "time_ns": 6, "attributes": exception},
        {"name": "exception", "time_ns": 7, "attributes": {"exception.type": "Timeout"}},
    ]

    assert exceptions_of(events) == (
        ExceptionInfo("openai.InternalServerError", "Error code: 500", "Traceback ...", 5),
        ExceptionInfo("Timeout", "", "", 7),
    )


@pytest.mark.parametrize(
    ("attributes", "name", "is_call", "expected"),
    [
        ({"openinference.span.kind": "RETRIEVER"}, "search", False, "retrieval"),
        ({"openinference.span.kind": "TOOL"}, "x", False, "tool"),
        ({"gen_ai.operation.name": "execute_tool"}, "x", False, "tool"),
        ({"gen_ai.operation.name": "chat"}, "chat gpt-4o", True, "llm"),
        ({"gen_ai.operation.name": "embeddings"}, "embed", True, "embedding"),
        ({"traceloop.span.kind": "workflow"}, "x", False, "step"),
        ({"langfuse.observation.type": "generation"}, "x", True, "llm"),
        ({"langfuse.observation.type": "generation"}, "x", False, "other"),
        ({}, "vector_search", False, "retrieval"),
        ({}, "app.tool.lookup", False, "tool"),
        ({}, "anthropic.messages.create", True, "llm"),
        ({}, "POST", False, "other"),
    ],
)
def test_span_category_reads_each_convention(attributes, name, is_call, expected):
    assert span_category(attributes, name, is_call) == expected
