"""What the simulated app sent equals what the receiver stored and inferred: calls, retries,
fallbacks, model and human escalations, app-cache hits and outcomes."""

from __future__ import annotations

import pytest
from django.db.models import Sum
from django.utils import timezone
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

from ingest.models import LLMCall, Trace
from ingest.simulator import SimulatedApp

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def truth(live_server, project, api_key):
    exporter = OTLPSpanExporter(
        endpoint=f"{live_server.url}/v1/traces", headers={"Authorization": f"Bearer {api_key}"}
    )
    app = SimulatedApp(exporter, now=timezone.now(), days=7, seed=42)
    summary = app.run(600)
    assert summary.spans_failed == 0
    return summary


def test_stored_calls_match_what_was_sent(truth, project):
    calls = LLMCall.objects.for_project(project.pk)

    assert calls.filter(cache_hit=False).count() == truth.llm_calls
    assert calls.filter(cache_hit=True).count() == truth.cache_hits
    assert calls.exclude(error_type="").exclude(error_type="validation_failed").count() == (
        truth.failed_calls
    )


def test_retries_fallbacks_and_escalations_match_what_was_sent(truth, project):
    calls = LLMCall.objects.for_project(project.pk)
    traces = Trace.objects.for_project(project.pk)

    assert calls.filter(is_retry=True).count() == truth.retries
    assert calls.filter(is_fallback=True).count() == truth.fallbacks
    assert calls.filter(escalation="model").count() == truth.model_escalations
    assert traces.aggregate(n=Sum("human_escalations"))["n"] == truth.human_escalations


def test_outcomes_match_what_was_sent(truth, project):
    traces = Trace.objects.for_project(project.pk)

    assert traces.exclude(outcome="").count() == truth.outcomes
    assert traces.filter(outcome="success").count() == truth.successes
    assert traces.count() == truth.traces
    assert not traces.filter(needs_finalize=True).exists()
