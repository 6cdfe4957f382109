"""Bulk writes of ingested rows (ingest/copy.py): COPY on PostgreSQL, bulk_create elsewhere."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection

from ingest.copy import insert_new_rows, upsert_rows
from ingest.models import LLMCall, Span, Trace

pytestmark = pytest.mark.django_db

KEY = ("project_id", "trace_id", "span_id")

START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
ATTRIBUTES = {
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.usage.input_tokens": 1200,
    "gen_ai.request.temperature": 0.25,
    "gen_ai.response.finish_reasons": ["stop", "length"],
    "is_stream": False,
    "note": "naïve “quotes” \\ back\\slash\n新しい",
    "nested": {"k": [1, {"v": None}]},
}
RESOURCE = {"service.name": "support-api", "process.pid": 42}


def _defaults(model) -> dict:
    return {
        f.attname: f.get_default()
        for f in model._meta.concrete_fields
        if not f.primary_key and not getattr(f, "auto_now_add", False)
    }


def _span(project, span_id: str, trace_id: str = "a" * 32, **values) -> dict:
    return {
        **_defaults(Span),
        "project_id": project.pk,
        "trace_id": trace_id,
        "span_id": span_id,
        "name": "chat gpt-4o-mini",
        "start_time": START,
        "end_time": START,
        "duration_ms": 0.0,
        "attributes": ATTRIBUTES,
        "resource": RESOURCE,
        "events": [],
        **values,
    }


def _call(project, span_id: str, cost: str = "0.000435", **values) -> dict:
    return {
        **_defaults(LLMCall),
        "project_id": project.pk,
        "trace_id": "a" * 32,
        "span_id": span_id,
        "start_time": START,
        "duration_ms": 812.5,
        "provider": "openai",
        "request_model": "gpt-4o-mini",
        "input_tokens": 1200,
        "cost_usd": Decimal(cost),
        **values,
    }


def test_inserted_span_keeps_every_column_and_json_value(project):
    events = [{"name": "gen_ai.choice", "time_ns": 1, "attributes": {"index": 0}}]

    insert_new_rows(Span, [_span(project, "1" * 16, events=events, flags="time_suspect")], KEY)

    span = Span.objects.get()
    assert (span.attributes, span.resource, span.events) == (ATTRIBUTES, RESOURCE, events)
    assert (span.name, span.start_time, span.flags) == ("chat gpt-4o-mini", START, "time_suspect")
    assert span.received_at is not None


def test_inserted_call_keeps_decimal_cost_and_nulls(project):
    insert_new_rows(LLMCall, [_call(project, "1" * 16), _call(project, "2" * 16, cost="0")], KEY)
    insert_new_rows(LLMCall, [_call(project, "3" * 16, cost_usd=None, quality_score=None)], KEY)

    costs = dict(LLMCall.objects.values_list("span_id", "cost_usd"))
    assert costs == {"1" * 16: Decimal("0.000435"), "2" * 16: Decimal("0"), "3" * 16: None}
    assert LLMCall.objects.get(span_id="1" * 16).duration_ms == 812.5


def test_rows_already_stored_are_skipped_and_new_ones_inserted(project):
    insert_new_rows(Span, [_span(project, "1" * 16, name="first")], KEY)

    # On PostgreSQL the direct COPY hits the unique constraint and the batch goes through
    # the staging table instead, where the stored row is skipped.
    new = insert_new_rows(
        Span, [_span(project, "1" * 16, name="again"), _span(project, "2" * 16)], KEY
    )

    assert [row["span_id"] for row in new] == ["2" * 16]
    assert sorted(Span.objects.values_list("span_id", "name")) == [
        ("1" * 16, "first"),
        ("2" * 16, "chat gpt-4o-mini"),
    ]


def test_resending_the_same_rows_stores_them_once(project):
    rows = [_call(project, "1" * 16), _call(project, "2" * 16)]

    first = insert_new_rows(LLMCall, rows, KEY)

    again = [insert_new_rows(LLMCall, rows, KEY) for _ in range(2)]

    assert (len(first), again, LLMCall.objects.count()) == (2, [[], []], 2)


def test_upsert_updates_only_the_named_fields(project):
    first = {**_defaults(Trace), "project_id": project.pk, "trace_id": "a" * 32}
    upsert_rows(
        Trace,
        [first | {"last_span_at": START, "root_name": "kept"}],
        ["project", "trace_id"],
        ["last_span_at", "needs_finalize"],
    )
    later = datetime(2026, 11, 2, tzinfo=UTC)

    upsert_rows(
        Trace,
        [
            first | {"last_span_at": later, "root_name": "ignored", "needs_finalize": True},
            first | {"trace_id": "b" * 32, "last_span_at": later},
        ],
        ["project", "trace_id"],
        ["last_span_at", "needs_finalize"],
    )

    rows = Trace.objects.order_by("trace_id").values_list("trace_id", "root_name", "last_span_at")
    assert list(rows) == [("a" * 32, "kept", later), ("b" * 32, "", later)]


@pytest.mark.postgres
def test_staging_tables_are_empty_after_a_write(project):
    if connection.vendor != "postgresql":
        pytest.skip("the staging tables exist on PostgreSQL only")
    insert_new_rows(Span, [_span(project, "1" * 16)], KEY)
    insert_new_rows(Span, [_span(project, "1" * 16), _span(project, "2" * 16)], KEY)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname LIKE 'pg_temp%%' AND c.relname LIKE 'stage_ingest_span_%%'"
        )
        (stage,) = cursor.fetchone()
        cursor.execute(f'SELECT count(*) FROM "{stage}"')
        assert cursor.fetchone() == (0,)
    assert Span.objects.count() == 2
