"""Message content from real instrumentation libraries (tests/data/otlp/*): every library's
fixture yields the prompt and the answer the fake provider gave, from wherever it put them
(span attributes, span events or /v1/logs records).

Where a library sends no content for a span, ``SENDS_NO_INPUT`` / ``SENDS_NO_OUTPUT`` say so
and why; they fail loudly if a recapture changes that.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from ingest import otlp
from ingest.conventions import extract_call
from ingest.conventions.content import Message, extract_content, searchable_text
from ingest.otlp.logs import decode_logs

OTLP_DIR = Path(__file__).resolve().parents[2] / "data" / "otlp"
LIBRARIES = sorted(path.parent.name for path in OTLP_DIR.glob("*/truth.json"))
QUESTION = "What is the capital of France?"
ANSWER = "Sure: the capital of France is Paris."  # the fake provider's answer (streamed: + " ")
EMBEDDED = "capital of France"
SDK_SCOPE = "com.anthropic.sdk.python"
# (library, scope) → why its call spans carry no prompt.
SENDS_NO_INPUT = {
    ("langfuse", SDK_SCOPE): "the anthropic SDK records content only when told to (off here)",
    ("langfuse-v3", SDK_SCOPE): "same",
    ("openinference", SDK_SCOPE): "same",
    ("openllmetry", SDK_SCOPE): "same",
}
# Libraries whose failed call spans carry no prompt.
FAILED_SEND_NO_INPUT = {"openlit": "openlit writes the messages only once the answer is in"}
# (library, scope, streamed) → why its successful call spans carry no answer.
SENDS_NO_OUTPUT = {
    ("anthropic-sdk", SDK_SCOPE, True): "the SDK does not record a streamed answer",
}


@cache
def _library(library: str) -> tuple[list[otlp.SpanRecord], dict[str, list[dict]]]:
    """The library's spans, and its GenAI log records by span id as stored (SpanLog rows)."""
    spans: list[otlp.SpanRecord] = []
    logs: dict[str, list[dict]] = {}
    truth = json.loads((OTLP_DIR / library / "truth.json").read_text())
    for body in truth["fixtures"]:
        data = (OTLP_DIR / library / body["file"]).read_bytes()
        if body["path"].endswith("/logs"):
            for r in decode_logs(data, body["content_type"]):
                row = {"event_name": r.event_name, "body": r.body, "attributes": r.attributes}
                logs.setdefault(r.span_id, []).append(row)
        else:
            spans.extend(otlp.decode(data, body["content_type"]).spans)
    return spans, logs


def _call_spans(library: str):
    """(span, operation, content) of every span that maps to an LLM call."""
    spans, logs = _library(library)
    for span in spans:
        fields = extract_call(span.attributes, span.status_code, span.scope, span.events)
        if fields is not None:
            content = extract_content(span.attributes, span.events, logs.get(span.span_id, ()))
            yield span, fields, content


def _is_streamed(span: otlp.SpanRecord, fields) -> bool:
    return fields.is_streaming or "stream" in str(span.attributes.get("input.value", ""))


@pytest.mark.parametrize("library", LIBRARIES)
def test_library_fixture_yields_prompt_and_answer(library):
    found = [c for _, _, c in _call_spans(library) if c.output]

    assert found, f"{library}: no call span with an answer"
    for content in found:
        assert Message("user", QUESTION) in content.input or Message("user", EMBEDDED) in (
            content.input
        )
        assert [m.role for m in content.output] == ["assistant"]
        assert content.output[0].text.strip() == ANSWER


@pytest.mark.parametrize("library", LIBRARIES)
def test_every_chat_call_span_carries_the_question_unless_library_sends_none(library):
    for span, fields, content in _call_spans(library):
        if fields.operation == "embeddings" or not span.attributes:
            continue  # embeddings below; openlit's failed span has no attributes at all
        if (library, span.scope) in SENDS_NO_INPUT:
            assert content.is_empty, f"{library} {span.scope} now sends content"
            continue
        if span.status_code == 2 and library in FAILED_SEND_NO_INPUT:
            assert not content.input
            continue
        assert content.input[-1] == Message("user", QUESTION), (library, span.name)


@pytest.mark.parametrize("library", LIBRARIES)
def test_every_successful_chat_call_span_carries_the_answer_unless_library_sends_none(library):
    for span, fields, content in _call_spans(library):
        if fields.operation == "embeddings" or span.status_code == 2 or not span.attributes:
            continue
        if (library, span.scope) in SENDS_NO_INPUT:
            continue
        if (library, span.scope, _is_streamed(span, fields)) in SENDS_NO_OUTPUT:
            assert not content.output
            continue
        assert [m.text.strip() for m in content.output] == [ANSWER], (library, span.name)


@pytest.mark.parametrize("library", LIBRARIES)
def test_failed_call_span_has_no_answer(library):
    failed = [c for s, _, c in _call_spans(library) if s.status_code == 2]

    assert failed
    assert all(not c.output for c in failed)


def test_system_prompt_is_read_from_separate_system_instructions():
    spans = [s for s, _, c in _call_spans("anthropic-sdk")]
    content = extract_content(spans[0].attributes)

    assert content.input[0].role == "system"
    assert content.input[0].text.startswith("You are a terse geography assistant.")


def test_otel_openai_v2_default_mode_reads_content_from_log_records():
    sources = {(c.input_source, c.output_source) for _, _, c in _call_spans("otel-openai-v2")}

    assert ("logs", "logs") in sources


@pytest.mark.parametrize(
    ("library", "expected"),
    [("openinference", "input.value"), ("openlit", "gen_ai.input.messages")],
)
def test_embeddings_input_is_read(library, expected):
    embeddings = [c for _, f, c in _call_spans(library) if f.operation == "embeddings"]

    assert embeddings[0].input == (Message("user", EMBEDDED),)
    assert embeddings[0].input_source == expected


@pytest.mark.parametrize("library", LIBRARIES)
def test_searchable_text_holds_question_and_answer(library):
    spans, logs = _library(library)
    texts = [searchable_text(s.attributes, s.events, logs.get(s.span_id, ())) for s in spans]

    assert any(QUESTION in t and ANSWER in t for t in texts)
