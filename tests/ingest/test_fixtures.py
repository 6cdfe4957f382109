"""Real OTLP bodies from real instrumentation libraries → LLM-call fields, checked against what
the provider answered (tests/data/otlp/*/truth.json).

Every library folder is decoded with ``ingest.otlp.decode`` and every span is run through
``extract_call``. A successful provider call must come out of its spans with exactly the
provider's usage, total-normalised as in truth's ``expected`` block, and priced as genai-prices
prices that usage. Where a library does not send a field, or sends it wrong, the test states
what that library sends (``LIBRARY_SENDS``, from FINDINGS.md): those are expectations of the
library, not gaps in the ingester, and they fail loudly if a recapture changes them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

import genai_prices
import pytest
from genai_prices import Usage

from finops.pricing import UsageTokens, price_call
from ingest import otlp
from ingest.conventions import STATUS_ERROR, CallFields, attribution_of, extract_call

OTLP_DIR = Path(__file__).resolve().parents[1] / "data" / "otlp"
LIBRARIES = sorted(path.parent.name for path in OTLP_DIR.glob("*/truth.json"))
TOKEN_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
)
APP_SPAN_PREFIX = "app."  # each capture scenario runs inside a root span app.<scenario>


@dataclass(frozen=True)
class Sends:
    """What ``library``'s spans from ``scope`` send instead of the truth, for the provider
    calls that match ``when`` (keys of a truth call), and why."""

    library: str
    scope: str
    when: dict = field(default_factory=dict)
    fields: dict = field(default_factory=dict)
    why: str = ""


LIBRARY_SENDS = (
    Sends(
        "otel-openai-v2",
        "opentelemetry.instrumentation.openai_v2",
        fields={"cache_read_tokens": 0, "reasoning_tokens": 0},
        why="the openai-v2 instrumentation emits neither cache nor reasoning tokens",
    ),
    Sends(
        "otel-openai-v2-latest",
        "opentelemetry.util.genai.handler",
        fields={"cache_read_tokens": 0, "reasoning_tokens": 0},
        why="util-genai (chat) emits neither cache nor reasoning tokens",
    ),
    Sends(
        "openllmetry",
        "opentelemetry.instrumentation.openai.v1",
        when={"streamed": True},
        fields={"reasoning_tokens": 0},
        why="OpenLLMetry drops reasoning tokens on streamed chat",
    ),
    Sends(
        "openllmetry",
        "opentelemetry.instrumentation.anthropic",
        when={"streamed": True},
        fields={"output_tokens": 301},
        why="OpenLLMetry adds message_start's 1 output token to message_delta's 300",
    ),
    Sends(
        "openlit",
        "openlit.instrumentation.openai",
        when={"endpoint": "chat"},
        fields={"reasoning_tokens": 0},
        why="openlit reports reasoning tokens for the Responses API only",
    ),
    Sends(
        "openlit",
        "openlit.instrumentation.anthropic",
        when={"streamed": True},
        fields={"input_tokens": 100, "cache_read_tokens": 0, "cache_write_tokens": 0},
        why="openlit sends the raw input (100) and cache 0 for a streamed Anthropic call",
    ),
    Sends(
        "langfuse",
        "langfuse-sdk",
        fields={"request_model": ""},
        why="Langfuse names only the response model of a call that answered",
    ),
    Sends(
        "langfuse-v3",
        "langfuse-sdk",
        fields={"request_model": ""},
        why="Langfuse names only the response model of a call that answered",
    ),
)
# Spans that report one provider call, by (library, scenario or provider); 1 elsewhere
# (FINDINGS: "one call, more than one span"). Counting the call once is the attribution
# module's job; here each of them must map exactly.
SPANS_PER_CALL = {
    ("openinference", "anthropic"): 2,  # instrumentor span + the SDK's own, as its child
    ("openllmetry", "anthropic"): 2,  # instrumentor span + the SDK's own, as a sibling
    ("langfuse", "anthropic-manual-generation"): 2,  # Langfuse generation + SDK span
    ("langfuse-v3", "anthropic-manual-generation"): 2,
}
# Calls none of whose spans carries the cache figures the provider billed: the price follows
# what the library sent (the cache read priced as uncached input), not the provider's bill.
PRICED_FROM_WRONG_USAGE = {
    *(
        (library, scenario)
        for library in ("otel-openai-v2", "otel-openai-v2-latest")
        for scenario in ("chat", "chat-stream", "ratelimit-retry", "fallback")
    ),
    ("openlit", "anthropic-stream"),
}
# Scopes whose spans do not say whether the call streamed (is_streaming stays False).
SCOPES_WITHOUT_STREAM_FLAG = {
    "opentelemetry.instrumentation.openai_v2",
    "opentelemetry.util.genai.handler",
    "langfuse-sdk",
}
# Failed calls that leave no call span: openlit's failed Anthropic span has no attributes at
# all (only its name "chat claude-sonnet-4-5" and an exception event), so it names no model.
FAILED_WITHOUT_CALL_SPAN = {("openlit", "anthropic")}


@cache
def _truth(library: str) -> dict:
    return json.loads((OTLP_DIR / library / "truth.json").read_text())


@cache
def _spans(library: str) -> tuple[otlp.SpanRecord, ...]:
    """Every span of every trace body the library exported. Bodies are stored decompressed
    (``content_encoding`` records the request's header); /v1/logs bodies are not traces."""
    spans: list[otlp.SpanRecord] = []
    for body in _truth(library)["fixtures"]:
        if not body["path"].endswith("/traces"):
            continue
        batch = otlp.decode((OTLP_DIR / library / body["file"]).read_bytes(), body["content_type"])
        assert batch.rejected == 0, batch.errors
        spans.extend(batch.spans)
    return tuple(spans)


@cache
def _calls(library: str) -> dict[str, list[tuple[otlp.SpanRecord, CallFields]]]:
    """Scenario → the (span, fields) of every span that maps to a call, under that scenario's
    app span."""
    spans = _spans(library)
    by_id = {span.span_id: span for span in spans}
    calls: dict[str, list[tuple[otlp.SpanRecord, CallFields]]] = {}
    for span in spans:
        fields = extract_call(span.attributes, span.status_code, span.scope, span.events)
        if fields is not None:
            calls.setdefault(_scenario(span, by_id), []).append((span, fields))
    return calls


def _scenario_spans(library: str, scenario: str) -> list[otlp.SpanRecord]:
    by_id = {span.span_id: span for span in _spans(library)}
    return [span for span in _spans(library) if _scenario(span, by_id) == scenario]


def _scenario(span: otlp.SpanRecord, by_id: dict[str, otlp.SpanRecord]) -> str:
    root = span
    while root.parent_span_id in by_id:
        root = by_id[root.parent_span_id]
    assert root.name.startswith(APP_SPAN_PREFIX), f"{span.name} is outside any scenario"
    return root.name.removeprefix(APP_SPAN_PREFIX)


def _at(library: str) -> datetime:
    return datetime.fromisoformat(_truth(library)["captured_at"].replace("Z", "+00:00"))


def _cases(failed: bool) -> list:
    return [
        pytest.param(library, call, id=f"{library}-{call['scenario']}-{call['seq']}")
        for library in LIBRARIES
        for call in _truth(library)["calls"]
        if call["failed"] is failed
    ]


def _sent(library: str, scope: str, call: dict) -> dict:
    """What the library's span from ``scope`` is expected to say about ``call``."""
    expected = {
        "provider": call["provider"],
        "request_model": call["requested_model"],
        "response_model": call["response_model"],
        **call["expected"],
    }
    for sends in LIBRARY_SENDS:
        matches = all(call.get(key) == value for key, value in sends.when.items())
        if sends.library == library and sends.scope == scope and matches:
            expected |= sends.fields
    return expected


def _mapped(fields: CallFields) -> dict:
    names = ("provider", "request_model", "response_model", *TOKEN_FIELDS)
    return {name: getattr(fields, name) for name in names}


def _usage_spans(library: str, call: dict) -> list[tuple[otlp.SpanRecord, CallFields]]:
    return [(s, f) for s, f in _calls(library).get(call["scenario"], []) if f.has_usage]


def _price(fields: CallFields, at: datetime) -> Decimal | None:
    """Our price of a mapped call, as the ingester computes it."""
    usage = UsageTokens(
        input_tokens=fields.input_tokens,
        output_tokens=fields.output_tokens,
        cache_read_tokens=fields.cache_read_tokens,
        cache_write_tokens=fields.cache_write_tokens,
    )
    model = fields.response_model or fields.request_model
    return price_call(fields.provider, model, usage, at).cost_usd


def _genai_price(usage: dict, call: dict, at: datetime) -> Decimal:
    """genai-prices' own price of a truth-style usage of ``call``'s response model."""
    tokens = Usage(**{name: usage[name] for name in TOKEN_FIELDS if name != "reasoning_tokens"})
    return genai_prices.calc_price(
        tokens, call["response_model"], provider_id=call["provider"], genai_request_timestamp=at
    ).total_price


def test_every_library_folder_has_captured_trace_bodies():
    assert LIBRARIES == [
        "anthropic-sdk",
        "langfuse",
        "langfuse-v3",
        "openinference",
        "openlit",
        "openllmetry",
        "otel-openai-v2",
        "otel-openai-v2-latest",
    ]
    assert all(_spans(library) for library in LIBRARIES)


@pytest.mark.parametrize(("library", "call"), _cases(failed=False))
def test_successful_call_maps_to_the_usage_the_provider_returned(library, call):
    spans = _usage_spans(library, call)
    expected_spans = SPANS_PER_CALL.get((library, call["scenario"])) or SPANS_PER_CALL.get(
        (library, call["provider"]), 1
    )

    assert len(spans) == expected_spans
    for span, fields in spans:
        assert _mapped(fields) == _sent(library, span.scope, call), span.scope
        assert (fields.has_usage, fields.error_type) == (True, "")


@pytest.mark.parametrize(("library", "call"), _cases(failed=False))
def test_successful_call_is_priced_like_genai_prices_prices_what_was_sent(library, call):
    at = _at(library)
    for span, fields in _usage_spans(library, call):
        assert _price(fields, at) == _genai_price(_sent(library, span.scope, call), call, at)


@pytest.mark.parametrize(("library", "call"), _cases(failed=False))
def test_successful_call_has_a_span_priced_as_the_provider_billed_it(library, call):
    at = _at(library)
    prices = {_price(fields, at) for _, fields in _usage_spans(library, call)}

    billed = _genai_price(call["expected"], call, at)

    assert (billed in prices) is ((library, call["scenario"]) not in PRICED_FROM_WRONG_USAGE)


@pytest.mark.parametrize(("library", "call"), _cases(failed=True))
def test_failed_call_maps_to_a_call_without_usage_and_with_an_error(library, call):
    failed = [f for _, f in _calls(library).get(call["scenario"], []) if not f.has_usage]

    if call["status"] == 429:
        # The client retries inside the instrumented method: the 429 never gets a span.
        assert failed == []
    elif (library, call["provider"]) in FAILED_WITHOUT_CALL_SPAN:
        bare = [s for s in _scenario_spans(library, call["scenario"]) if not s.attributes]
        assert [s.status_code for s in bare] == [STATUS_ERROR]
        assert (
            failed,
            extract_call(bare[0].attributes, STATUS_ERROR, bare[0].scope, bare[0].events),
        ) == ([], None)
    else:
        assert failed
        for fields in failed:
            assert (fields.request_model, fields.response_model) == (call["requested_model"], "")
            assert fields.error_type


@pytest.mark.parametrize(("library", "call"), _cases(failed=False))
def test_stream_flag_is_set_where_the_library_says_so(library, call):
    for span, fields in _usage_spans(library, call):
        says = span.scope not in SCOPES_WITHOUT_STREAM_FLAG
        assert fields.is_streaming is (call["streamed"] and says), span.scope


@pytest.mark.parametrize("library", LIBRARIES)
def test_embedding_call_maps_as_embeddings(library):
    captured = "embeddings" in {call["scenario"] for call in _truth(library)["calls"]}

    calls = _calls(library).get("embeddings", [])

    expected = [("embeddings", 42)] if captured else []
    assert [(fields.operation, fields.input_tokens) for _, fields in calls] == expected


@pytest.mark.parametrize("library", LIBRARIES)
def test_app_span_carries_the_feature_of_its_scenario(library):
    app_spans = [s for s in _spans(library) if s.name.startswith(APP_SPAN_PREFIX)]
    scenarios = {c["scenario"] for c in _truth(library)["calls"]}

    found = {s.name.removeprefix(APP_SPAN_PREFIX): attribution_of(s.attributes) for s in app_spans}

    assert set(found) == scenarios
    assert {scenario: dims["feature"] for scenario, dims in found.items()} == {
        scenario: f"capture-{scenario}" for scenario in scenarios
    }


@pytest.mark.parametrize("library", ["langfuse", "langfuse-v3"])
def test_langfuse_trace_attributes_map_to_segment_customer_and_session(library):
    chat = next(s for s in _spans(library) if s.name == "app.chat")

    assert attribution_of(chat.attributes) == {
        "feature": "capture-chat",
        "segment": "enterprise",
        "customer": "customer-42",
        "session": "session-capture",
    }


def test_langfuse_v5_propagates_trace_attributes_to_every_span():
    features = {
        attribution_of(s.attributes).get("feature", "")
        for s in _spans("langfuse")
        if s.parent_span_id
    }

    assert "" not in features
