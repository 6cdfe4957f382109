"""Reading attribute values (ingest/conventions/values.py) through the public functions:
token counts, flags and label lengths, and invariants over arbitrary values.

Attribute keys are spelled out here on purpose: the payloads are what libraries send, and a
test that used the module's own constants could not catch a misspelt constant.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.conventions import (
    FAMILIES,
    MAX_LABEL,
    attribution_of,
    extract_call,
    extract_marks,
    outcome_of,
)
from tests.ingest.conventions._helpers import MODEL


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


def test_long_model_name_is_cut_to_label_length():
    call = extract_call({"gen_ai.request.model": "m" * (MAX_LABEL + 50)})

    assert call.request_model == "m" * MAX_LABEL


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), ("true", True), (1, True), (False, False), ("no", False), ("maybe", False)],
)
def test_stream_flag_is_read_leniently(value, expected):
    assert extract_call(MODEL | {"gen_ai.request.stream": value}).is_streaming is expected


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
