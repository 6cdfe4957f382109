"""``GET /api/v1/calls/`` filters and sorts like the Traces page; ``GET /api/v1/traces/``;
400s that name the parameter; the new call fields."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from ingest.models import Trace
from tests.finops import search_data as data

pytestmark = pytest.mark.django_db

CALLS = reverse("api:call-list")
TRACES = reverse("api:trace-list")


@pytest.fixture
def calls(project, other_project):
    return data.build(project, other_project)


def _names(calls, response) -> set[str]:
    assert response.status_code == 200, response.content
    return data.names_of(calls, response.json()["results"])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"feature": "support", "status": "error"}, {"c02", "c17"}),
        ({"model": "gpt-4o", "start": "2026-11-02"}, {"c09", "c10"}),
        ({"escalation": "any", "min_cost": "0.01"}, {"c06", "c23"}),
        ({"attr": ["app.experiment=A", "gen_ai.request.temperature=0"]}, {"c16"}),
        ({"q": "refund", "segment": "(unattributed)"}, {"c06"}),
        ({"is_retry": "1", "min_output_tokens": "500"}, {"c10", "c18"}),
    ],
)
def test_calls_api_applies_combined_filters(viewer_client, calls, params, expected):
    assert _names(calls, viewer_client.get(CALLS, params)) == expected


def test_calls_api_sorts_by_cost_descending(viewer_client, calls):
    response = viewer_client.get(CALLS, {"sort": "-cost", "page_size": 3})
    assert [row["cost_usd"] for row in response.json()["results"]] == [
        "0.1200000000",
        "0.0500000000",
        "0.0450000000",
    ]


def test_calls_api_pages_through_a_sort_with_ties(viewer_client, calls):
    seen, url = [], f"{CALLS}?sort=tokens&page_size=4&feature=summarize"
    while url:
        body = viewer_client.get(url).json()
        seen += [row["span_id"] for row in body["results"]]
        url = body["next"]
    # summarize: c11, c12 (8,300 tokens each: a tie), c24 (19,800), c23 (22,000).
    tie = sorted(["c11", "c12"], key=lambda n: calls[n].id)
    assert seen == [calls[n].span_id for n in [*tie, "c24", "c23"]]


def test_call_fields_say_retry_fallback_escalation_cache_and_status(viewer_client, calls):
    rows = {
        row["span_id"]: row
        for row in viewer_client.get(CALLS, {"feature": "support", "page_size": 50}).json()[
            "results"
        ]
    }
    c18, c05, c02 = (rows[data.span_id_of(n)] for n in ("c18", "c05", "c02"))
    assert (c18["attempt"], c18["is_retry"], c18["is_fallback"]) == (3, True, True)
    assert (c18["escalation"], c18["cache_hit"], c18["status"]) == (None, False, "ok")
    assert (c05["escalation"], c05["template_version"], c05["route"]) == ("model", "", "")
    assert (c02["status"], c02["error_type"], c02["cost_usd"]) == ("error", "RateLimitError", None)
    assert c18["operation"] == "chat"
    assert "quality_score" in c18


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"min_cost": "cheap"}, "min_cost"),
        ({"max_latency_ms": "-5"}, "max_latency_ms"),
        ({"min_input_tokens": "1.5"}, "min_input_tokens"),
        ({"status": "broken"}, "status"),
        ({"escalation": "manager"}, "escalation"),
        ({"is_retry": "maybe"}, "is_retry"),
        ({"trace_id": "xyz"}, "trace_id"),
        ({"span_id": "00f067aa0ba902b"}, "span_id"),
        ({"attr": "no-equals-sign"}, "attr"),
        ({"sort": "-price"}, "sort"),
        ({"start": "2026-11-05", "end": "2026-11-01"}, "end"),
        ({"min_cost": "2", "max_cost": "1"}, "max_cost"),
        ({"cursor": "garbage"}, "cursor"),
        ({"page_size": "0"}, "page_size"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_calls_api_bad_value_is_400_naming_the_parameter(viewer_client, project, params, name):
    response = viewer_client.get(CALLS, params)
    assert response.status_code == 400
    assert list(response.json()) == [name]


def _trace(project, trace_id: str, **fields) -> Trace:
    defaults = {"start_time": data.D0, "last_span_at": data.D0, "needs_finalize": False}
    return Trace.objects.create(project=project, trace_id=trace_id, **(defaults | fields))


@pytest.fixture
def traces(project, other_project, calls):
    """Trace rows for three of the data set's traces, and one not finalized yet."""
    usd = Decimal
    return {
        "t16": _trace(project, data.trace_id_of("c16"), feature="support", cost_usd=usd("0.045"),
                      calls=3, retries=1, fallbacks=1, errors=1, duration_ms=3000,
                      outcome="success"),
        "t02": _trace(project, data.trace_id_of("c02"), feature="support", cost_usd=usd("0.001"),
                      calls=2, retries=1, errors=1, duration_ms=500),
        "t23": _trace(project, data.trace_id_of("c23"), feature="summarize", cost_usd=usd("0.05"),
                      calls=1, model_escalations=1, duration_ms=6000, outcome="failure"),
        "pending": _trace(project, "f" * 32, start_time=None, needs_finalize=True),
        "other": _trace(other_project, data.trace_id_of("c16"), feature="support"),
    }  # fmt: skip


def _trace_names(traces, response) -> list[str]:
    assert response.status_code == 200, response.content
    by_id = {t.trace_id: n for n, t in traces.items() if n != "other"}
    return [by_id[row["trace_id"]] for row in response.json()["results"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"sort": "-cost"}, ["t23", "t16", "t02"]),
        ({"sort": "latency"}, ["t02", "t16", "t23"]),
        ({"feature": "support", "sort": "-cost"}, ["t16", "t02"]),
        ({"is_fallback": "1"}, ["t16"]),
        ({"escalation": "model"}, ["t23"]),
        ({"status": "ok"}, ["t23"]),
        ({"min_cost": "0.01", "sort": "cost"}, ["t16", "t23"]),
        # Call-level filters keep traces with a matching call.
        ({"provider": "anthropic"}, ["t16"]),
        ({"template": "digest", "template_version": "2"}, ["t23"]),
        ({"model": "gpt-4o-mini", "sort": "cost"}, ["t02", "t16"]),
    ],
)
def test_traces_api_filters_and_sorts(viewer_client, traces, params, expected):
    assert _trace_names(traces, viewer_client.get(TRACES, params)) == expected


def test_traces_api_fields(viewer_client, traces):
    (row,) = viewer_client.get(TRACES, {"escalation": "model"}).json()["results"]
    assert (row["cost_usd"], row["calls"], row["model_escalations"]) == ("0.0500000000", 1, 1)
    assert (row["outcome"], row["status"], row["feature"]) == ("failure", "ok", "summarize")


def test_traces_api_refuses_token_sort(viewer_client, traces):
    response = viewer_client.get(TRACES, {"sort": "-tokens"})
    assert response.status_code == 400
    assert list(response.json()) == ["sort"]


def test_schema_documents_search_parameters(viewer_client):
    schema = viewer_client.get(reverse("api-schema"), {"format": "json"}).json()
    for path in ("/api/v1/calls/", "/api/v1/traces/"):
        names = {p["name"] for p in schema["paths"][path]["get"]["parameters"]}
        assert {"q", "attr", "min_cost", "escalation", "sort", "cursor", "page_size"} <= names
