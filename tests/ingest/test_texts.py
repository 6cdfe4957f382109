"""Finalize writes each LLM call's prompt and answer as searchable text (``ingest.texts``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from ingest.finalize import finalize_traces
from ingest.models import CallText, SpanLog
from tests.factories import LLMCallFactory, SpanFactory

pytestmark = pytest.mark.django_db

AT = datetime(2026, 11, 1, 12, tzinfo=UTC)
TRACE = "5b8efff798038103d269b633813fc60c"


def _message(role: str, text: str) -> str:
    return json.dumps([{"role": role, "parts": [{"type": "text", "content": text}]}])


def _call(project, span_id: str, **attributes):
    SpanFactory(
        project=project, trace_id=TRACE, span_id=span_id, start_time=AT, attributes=attributes
    )
    return LLMCallFactory(project=project, trace_id=TRACE, span_id=span_id, start_time=AT)


def test_finalize_stores_prompt_and_answer_of_each_call(project):
    _call(
        project,
        "eee19b7ec3c1b174",
        **{
            "gen_ai.input.messages": _message("user", "Where is   my parcel?"),
            "gen_ai.output.messages": _message("assistant", "It left Lyon today."),
        },
    )
    finalize_traces(project.pk, [TRACE])
    (row,) = CallText.objects.for_project(project.pk)
    assert (row.trace_id, row.span_id, row.start_time) == (TRACE, "eee19b7ec3c1b174", AT)
    assert row.text == "Where is my parcel? It left Lyon today."


def test_call_without_content_gets_no_text(project):
    _call(project, "eee19b7ec3c1b175", **{"gen_ai.request.model": "gpt-4o"})
    finalize_traces(project.pk, [TRACE])
    assert not CallText.objects.exists()


def test_answer_from_a_log_record_arriving_later_is_added_on_refinalize(project):
    _call(project, "eee19b7ec3c1b176", **{"gen_ai.input.messages": _message("user", "Hello")})
    finalize_traces(project.pk, [TRACE])
    SpanLog.objects.create(
        project=project,
        trace_id=TRACE,
        span_id="eee19b7ec3c1b176",
        time=AT,
        event_name="gen_ai.choice",
        body={"index": 0, "message": {"role": "assistant", "content": "Hi there"}},
        fingerprint="f" * 64,
    )
    finalize_traces(project.pk, [TRACE])
    assert list(CallText.objects.values_list("text", flat=True)) == ["Hello Hi there"]
