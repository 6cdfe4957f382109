"""Storing an export (ingest/store.py): idempotent, and finalize inline or deferred."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ingest import finalize, otlp, services
from ingest.models import LLMCall, Span, Trace
from tests.otlp_payloads import SpanSpec, chat_span, protobuf_body, span_id

pytestmark = pytest.mark.django_db


def _export() -> bytes:
    """A root span carrying the feature, and one priced call under it."""
    root = SpanSpec(span_id(1), name="POST /answer", attributes={"finops.feature": "support"})
    return protobuf_body(chat_span(span_id(2), parent=span_id(1)), root)


def test_resent_export_is_not_double_counted(project):
    first = services.ingest_otlp_traces(project.pk, _export(), otlp.PROTOBUF)

    again = services.ingest_otlp_traces(project.pk, _export(), otlp.PROTOBUF)

    assert (first.spans_stored, first.calls_stored) == (2, 1)
    assert (again.spans_stored, again.calls_stored) == (0, 0)
    assert (Span.objects.count(), LLMCall.objects.count()) == (2, 1)


def test_export_with_new_and_stored_spans_stores_only_the_new(project):
    services.ingest_otlp_traces(project.pk, protobuf_body(chat_span(span_id(2))), otlp.PROTOBUF)

    result = services.ingest_otlp_traces(project.pk, _export(), otlp.PROTOBUF)

    assert (result.spans_stored, result.calls_stored) == (1, 0)
    assert LLMCall.objects.count() == 1


def test_inline_finalize_attributes_calls_before_the_export_is_acknowledged(project, settings):
    settings.TRACE_FINALIZE_INLINE = True

    services.ingest_otlp_traces(project.pk, _export(), otlp.PROTOBUF)

    assert LLMCall.objects.get().feature == "support"
    assert Trace.objects.get().needs_finalize is False


def test_deferred_finalize_stores_and_prices_but_leaves_the_trace_marked(project, settings):
    settings.TRACE_FINALIZE_INLINE = False

    services.ingest_otlp_traces(project.pk, _export(), otlp.PROTOBUF)

    call = LLMCall.objects.get()
    assert (call.feature, call.cost_usd) == ("", Decimal("0.000450"))
    assert Trace.objects.get().needs_finalize is True


def test_deferred_trace_is_attributed_by_the_idle_sweep(project, settings):
    settings.TRACE_FINALIZE_INLINE = False
    settings.TRACE_IDLE_SECONDS = 0
    services.ingest_otlp_traces(project.pk, _export(), otlp.PROTOBUF)

    finalized = finalize.finalize_idle_traces()

    assert (finalized, LLMCall.objects.get().feature) == (1, "support")
    assert Trace.objects.get().needs_finalize is False
