"""``manage.py index_call_texts`` writes the text of calls that were never finalized."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from ingest.models import CallText
from tests.factories import LLMCallFactory, SpanFactory

pytestmark = pytest.mark.django_db


def test_command_writes_text_of_stored_calls(project):
    prompt = json.dumps([{"role": "user", "parts": [{"type": "text", "content": "Track order"}]}])
    call = LLMCallFactory(project=project)
    SpanFactory(
        project=project,
        trace_id=call.trace_id,
        span_id=call.span_id,
        attributes={"gen_ai.input.messages": prompt},
    )
    LLMCallFactory(project=project)  # no span, no text
    out = StringIO()
    call_command("index_call_texts", "--project", "acme", stdout=out)
    assert out.getvalue().strip() == "wrote the text of 1 calls"
    assert list(CallText.objects.values_list("span_id", "text")) == [(call.span_id, "Track order")]
