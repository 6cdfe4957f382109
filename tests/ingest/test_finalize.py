"""Finalizing traces over the receiver: summaries, duplicates across requests, usage from
logs, cache-hit savings, the idle sweep and the on-demand command."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from finops.models import AttributeAlias, DirtyDay, hash_api_key
from ingest import finalize
from ingest.models import LLMCall, Span, SpanLog, Trace
from tests.factories import SpanFactory, issue_key
from tests.otlp_payloads import (
    TRACE,
    Event,
    Resource,
    SpanSpec,
    chat_span,
    protobuf_body,
    span_id,
)

pytestmark = pytest.mark.django_db

ROOT = span_id(100)


def _post(client, key, *spans, path="ingest:otlp-traces", body=None):
    response = client.post(
        reverse(path),
        body if body is not None else protobuf_body(*spans),
        content_type="application/x-protobuf",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 200, response.content
    return response


def _root(**attributes) -> SpanSpec:
    return SpanSpec(
        span_id=ROOT,
        name="POST /answer",
        attributes={
            "finops.feature": "support-assistant",
            "finops.customer.segment": "smb",
            **attributes,
        },
    )


def test_trace_summary_totals_calls_and_reads_outcome_from_root(client, api_key):
    _post(
        client,
        api_key,
        chat_span(span_id(1), parent=ROOT, finops__template="answer"),
        chat_span(span_id(2), parent=ROOT, model="gpt-4o", finops__template="check"),
        _root(**{"finops.outcome": "success", "finops.outcome.name": "ticket_resolved"}),
    )

    trace = Trace.objects.get(trace_id=TRACE)
    calls = list(LLMCall.objects.all())
    assert trace.calls == 2
    assert trace.cost_usd == sum(c.cost_usd for c in calls)
    assert (trace.root_name, trace.feature, trace.segment) == (
        "POST /answer",
        "support-assistant",
        "smb",
    )
    assert (trace.outcome, trace.outcome_name) == ("success", "ticket_resolved")
    assert not trace.needs_finalize


def test_sdk_span_arriving_later_as_child_of_instrumentor_span_counts_once(client, api_key):
    outer = chat_span(
        span_id(1),
        parent=ROOT,
        model="claude-haiku-4-5",
        provider="anthropic",
        input_tokens=1300,
        output_tokens=300,
        finops__template="answer",
    )
    inner = chat_span(
        span_id(2),
        parent=span_id(1),
        model="claude-haiku-4-5",
        provider="anthropic",
        input_tokens=1300,
        output_tokens=300,
    )
    _post(client, api_key, Resource([outer, _root()], scope="openinference.anthropic"))

    _post(client, api_key, Resource([inner], scope="com.anthropic.sdk.python"))

    assert list(LLMCall.objects.values_list("span_id", flat=True)) == [span_id(1)]
    assert Span.objects.count() == 3  # the duplicate span is kept for the waterfall
    assert Trace.objects.get().calls == 1


def test_retry_after_rate_limit_is_marked_and_summed(client, api_key):
    failed = chat_span(
        span_id(1),
        parent=ROOT,
        input_tokens=None,
        output_tokens=None,
        finops__template="answer",
        error__type="rate_limit_exceeded",
    )
    retry = chat_span(span_id(2), parent=ROOT, finops__template="answer")
    failed.start_ns, retry.start_ns = failed.start_ns, failed.end_ns + 1_000_000

    _post(client, api_key, failed, retry, _root())

    call = LLMCall.objects.get(span_id=span_id(2))
    assert (call.is_retry, call.attempt) == (True, 2)
    trace = Trace.objects.get()
    assert (trace.retries, trace.errors, trace.retry_cost_usd) == (1, 1, call.cost_usd)


def test_app_cache_hit_is_free_and_records_template_average_as_avoided(client, api_key):
    _post(
        client,
        api_key,
        chat_span(span_id(1), parent=ROOT, finops__template="docqa.answer"),
        chat_span(span_id(2), parent=ROOT, model="gpt-4o", finops__template="docqa.answer"),
        _root(),
    )
    average = sum(LLMCall.objects.values_list("cost_usd", flat=True)) / 2
    hit = SpanSpec(
        span_id=span_id(3),
        parent=span_id(101),
        trace_id="e" * 32,
        attributes={
            "finops.cache.hit": True,
            "finops.cache.kind": "semantic",
            "finops.template": "docqa.answer",
        },
    )

    _post(client, api_key, hit, SpanSpec(span_id=span_id(101), trace_id="e" * 32))

    call = LLMCall.objects.get(span_id=span_id(3))
    assert (call.cost_usd, call.cache_hit, call.cache_kind) == (Decimal(0), True, "semantic")
    assert call.avoided_cost_usd == average.quantize(Decimal("1e-10"))
    assert Trace.objects.get(trace_id="e" * 32).avoided_cost_usd == call.avoided_cost_usd


def _log_body(event_name="gen_ai.client.inference.operation.details", **attributes) -> bytes:
    request = ExportLogsServiceRequest()
    record = request.resource_logs.add().scope_logs.add().log_records.add()
    record.trace_id, record.span_id = bytes.fromhex(TRACE), bytes.fromhex(span_id(1))
    record.time_unix_nano = 1_762_000_000_000_000_000
    record.event_name = event_name
    for key, value in attributes.items():
        item = record.attributes.add()
        item.key = key.replace("__", ".")
        if isinstance(value, int):
            item.value.int_value = value
        else:
            item.value.string_value = value
    return request.SerializeToString()


def test_usage_only_in_logs_prices_the_call_once(client, api_key):
    _post(client, api_key, chat_span(span_id(1), input_tokens=None, output_tokens=None))
    assert LLMCall.objects.get().cost_usd is None
    body = _log_body(
        gen_ai__usage__input_tokens=1000,
        gen_ai__usage__output_tokens=500,
        gen_ai__request__model="gpt-4o-mini",
        gen_ai__provider__name="openai",
    )

    _post(client, api_key, path="ingest:otlp-logs", body=body)
    _post(client, api_key, path="ingest:otlp-logs", body=body)  # re-sent

    call = LLMCall.objects.get()
    assert (call.input_tokens, call.output_tokens, call.cost_usd) == (1000, 500, Decimal("0.00045"))
    assert SpanLog.objects.count() == 1


def test_usage_repeated_in_logs_does_not_change_a_priced_call(client, api_key):
    _post(client, api_key, chat_span(span_id(1)))
    before = LLMCall.objects.get().cost_usd

    _post(
        client,
        api_key,
        path="ingest:otlp-logs",
        body=_log_body(gen_ai__usage__input_tokens=9999, gen_ai__usage__output_tokens=9999),
    )

    assert LLMCall.objects.get().cost_usd == before


def test_non_genai_logs_are_acknowledged_and_dropped(client, api_key):
    request = ExportLogsServiceRequest()
    record = request.resource_logs.add().scope_logs.add().log_records.add()
    record.event_name = "http.request"

    _post(client, api_key, path="ingest:otlp-logs", body=request.SerializeToString())

    assert not SpanLog.objects.exists()


def test_logs_need_a_key(client):
    response = client.post(reverse("ingest:otlp-logs"), b"", content_type="application/json")

    assert response.status_code == 401


def test_project_alias_maps_own_key_to_segment(client, project, api_key):
    AttributeAlias.objects.create(
        project=project, attribute_key="app.tenant_tier", dimension="segment"
    )

    _post(
        client,
        api_key,
        chat_span(span_id(1), parent=ROOT),
        SpanSpec(span_id=ROOT, attributes={"app.tenant_tier": "gold"}),
    )

    assert LLMCall.objects.get().segment == "gold"


def test_idle_sweep_finalizes_pending_traces_only_when_idle(project, settings):
    settings.TRACE_IDLE_SECONDS = 10
    SpanFactory(project=project, trace_id=TRACE, span_id=ROOT, name="root")
    long_ago = timezone.now() - timedelta(minutes=5)
    Trace.objects.create(project=project, trace_id=TRACE, last_span_at=long_ago)
    Trace.objects.create(project=project, trace_id="f" * 32, last_span_at=timezone.now())

    finalized = finalize.finalize_idle_traces()

    assert finalized == 1
    assert Trace.objects.get(trace_id=TRACE).root_name == "root"
    assert Trace.objects.get(trace_id="f" * 32).needs_finalize


def test_finalize_command_runs_pending_traces(project):
    SpanFactory(project=project, trace_id=TRACE, span_id=ROOT, name="root")
    Trace.objects.create(project=project, trace_id=TRACE, last_span_at=timezone.now())
    out = StringIO()

    call_command("finalize_traces", "--project", project.slug, stdout=out)

    assert "finalized 1 of 1 traces" in out.getvalue()
    assert not Trace.objects.get().needs_finalize


OPENLIT = Path(__file__).resolve().parents[1] / "data" / "otlp" / "openlit"


def _send_fixtures(client, key, paths: tuple[str, ...]) -> dict:
    truth = json.loads((OPENLIT / "truth.json").read_text())
    for fixture in truth["fixtures"]:
        if fixture["path"] not in paths:
            continue
        response = client.post(
            fixture["path"],
            (OPENLIT / fixture["file"]).read_bytes(),
            content_type=fixture["content_type"],
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )
        assert response.status_code == 200, response.content
    return LLMCall.objects.filter(project__api_keys__key_hash=hash_api_key(key)).totals()


def test_openlit_usage_repeated_in_logs_is_counted_once(client, project, other_project):
    spans_only = _send_fixtures(client, issue_key(other_project), ("/v1/traces",))

    with_logs = _send_fixtures(client, issue_key(project), ("/v1/logs", "/v1/traces", "/v1/logs"))

    assert with_logs["calls"] == spans_only["calls"] > 0
    assert with_logs["input_tokens"] == spans_only["input_tokens"]
    assert with_logs["spend_usd"] == spans_only["spend_usd"]
    assert SpanLog.objects.filter(project=project).exists()


def test_evaluation_events_and_logs_give_a_call_its_quality(client, api_key):
    evaluated = chat_span(span_id(1), parent=ROOT)
    evaluated.events = [
        Event(
            "gen_ai.evaluation.result",
            attributes={
                "gen_ai.evaluation.name": "relevance",
                "gen_ai.evaluation.score.value": 0.8,
            },
        )
    ]
    _post(client, api_key, evaluated, _root())

    _post(
        client,
        api_key,
        path="ingest:otlp-logs",
        body=_log_body(
            event_name="gen_ai.evaluation.result", gen_ai__evaluation__score__label="fail"
        ),
    )

    assert LLMCall.objects.get().quality_score == pytest.approx(0.4)
    assert Trace.objects.get().quality_score == pytest.approx(0.4)


def test_explicit_quality_mark_wins_over_evaluations(client, api_key):
    marked = chat_span(span_id(1), parent=ROOT, finops__quality__score=0.9)
    marked.events = [
        Event("gen_ai.evaluation.result", attributes={"gen_ai.evaluation.score.value": 0.1})
    ]

    _post(client, api_key, marked, _root())

    assert LLMCall.objects.get().quality_score == pytest.approx(0.9)


def test_finalize_marks_the_days_it_touched_dirty(client, project, api_key):
    _post(client, api_key, chat_span(span_id(1), parent=ROOT), _root())

    day = LLMCall.objects.get().start_time.date()
    assert list(DirtyDay.objects.filter(project=project).values_list("day", flat=True)) == [day]
