"""``POST /api/v1/outcomes`` and ``POST /api/v1/scores``: idempotency, validation, auth and
tenancy, applying to traces and calls (before and after their spans), the schema."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from finops.models import DirtyDay
from ingest.models import LLMCall, Outcome, Score, Trace
from tests.factories import LLMCallFactory, MembershipFactory, UserFactory, issue_key
from tests.otlp_payloads import TRACE, SpanSpec, chat_span, protobuf_body, span_id, trace_id

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
T1 = "4bf92f3577b34da6a3ce929d0e0e4736"
S1 = "00f067aa0ba902b7"
S2 = "00f067aa0ba902b8"
ROOT = span_id(100)


def _outcome(**fields) -> dict:
    """A valid outcome body; a field given as None is left out."""
    body = {
        "trace_id": T1,
        "name": "ticket_resolved",
        "success": True,
        "value_usd": "12.50",
        "idempotency_key": "ticket-4711",
        **fields,
    }
    return {name: value for name, value in body.items() if value is not None}


def _score(**fields) -> dict:
    """A valid score body of call S1; a field given as None is left out."""
    body = {"trace_id": T1, "span_id": S1, "name": "relevance", "value": 0.8, "source": "eval"}
    return {name: value for name, value in {**body, **fields}.items() if value is not None}


def _post(client, name: str, body: dict, **headers):
    return client.post(reverse(name), body, content_type="application/json", headers=headers)


def _post_outcome(client, **fields):
    return _post(client, "api:outcome-create", _outcome(**fields))


def _post_score(client, **fields):
    """A score of the trace T1 (of a call with ``span_id=``)."""
    return _post(client, "api:score-create", _score(**{"span_id": None, **fields}))


def _trace(project, trace_id=T1, **fields) -> Trace:
    return Trace.objects.create(
        project=project, trace_id=trace_id, last_span_at=DAY, needs_finalize=False, **fields
    )


def _send_spans(client, key, *spans):
    response = client.post(
        reverse("ingest:otlp-traces"),
        protobuf_body(*spans),
        content_type="application/x-protobuf",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 200, response.content


def _root(trace: str = TRACE, **attributes) -> SpanSpec:
    return SpanSpec(span_id=ROOT, trace_id=trace, name="POST /answer", attributes=attributes)


# --- idempotency --------------------------------------------------------------------------


def test_outcome_is_created_then_returned_on_repeat_with_same_key(viewer_client, project):
    first = _post_outcome(viewer_client)
    again = _post_outcome(viewer_client)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    body = first.json()
    assert {k: body[k] for k in ("trace_id", "applied_trace_id", "value_usd", "source")} == {
        "trace_id": T1,
        "applied_trace_id": T1,
        "value_usd": "12.5000000000",
        "source": "api",
    }
    assert Outcome.objects.filter(project=project).count() == 1


def test_repeat_without_occurred_at_matches_an_explicit_one(viewer_client):
    assert _post_outcome(viewer_client, occurred_at="2026-11-01T12:00:00Z").status_code == 201
    assert _post_outcome(viewer_client).status_code == 200


def test_outcome_with_same_key_and_other_body_is_409(viewer_client, project):
    _post_outcome(viewer_client)

    response = _post_outcome(viewer_client, success=False, value_usd="3")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "idempotency_key 'ticket-4711' was already used with a different body "
        "(differs in: success, value_usd); send a new key for a new outcome"
    }
    assert Outcome.objects.get(project=project).success is True


def test_equal_value_written_differently_is_no_conflict(viewer_client):
    _post_outcome(viewer_client, value_usd="12.50")
    assert _post_outcome(viewer_client, value_usd=12.5).status_code == 200


def test_score_without_key_is_stored_once_by_content(viewer_client, project):
    first, again = _post_score(viewer_client), _post_score(viewer_client)

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["idempotency_key"].startswith("sha256:")
    assert Score.objects.filter(project=project).count() == 1


def test_score_with_same_key_and_other_value_is_409(viewer_client):
    _post_score(viewer_client, idempotency_key="eval-run-7")

    response = _post_score(viewer_client, idempotency_key="eval-run-7", value=0.1)

    assert response.status_code == 409
    assert "differs in: value" in response.json()["detail"]


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"value_usd": "-1"}, "value_usd"),
        ({"value_usd": "twelve"}, "value_usd"),
        ({"idempotency_key": "k" * 201}, "idempotency_key"),
        ({"success": "maybe"}, "success"),
        ({"trace_id": "not-a-trace"}, "trace_id"),
        ({"session": "conv-1"}, "trace_id"),  # both trace_id and session
        ({"occurred_at": "yesterday"}, "occurred_at"),
    ],
    ids=[
        "blank-name",
        "long-name",
        "negative-value",
        "word-value",
        "long-key",
        "bad-success",
        "bad-trace",
        "trace-and-session",
        "bad-time",
    ],
)
def test_invalid_outcome_is_400_naming_the_field(viewer_client, project, fields, field):
    response = _post_outcome(viewer_client, **fields)

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Outcome.objects.exists()


@pytest.mark.parametrize("missing", ["name", "success", "idempotency_key"])
def test_outcome_without_required_field_is_400(viewer_client, missing):
    body = _outcome()
    del body[missing]
    response = _post(viewer_client, "api:outcome-create", body)
    assert response.status_code == 400
    assert response.json() == {missing: ["This field is required."]}


def test_outcome_with_neither_trace_nor_session_is_400(viewer_client):
    response = _post_outcome(viewer_client, trace_id=None)
    assert response.status_code == 400
    assert response.json() == {"trace_id": ["give exactly one of trace_id and session"]}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"value": 1.5}, "value"),
        ({"value": -0.1}, "value"),
        ({"source": "robot"}, "source"),
        ({"span_id": "xyz"}, "span_id"),
        ({"trace_id": None}, "trace_id"),
    ],
    ids=["above-1", "below-0", "bad-source", "bad-span", "no-trace"],
)
def test_invalid_score_is_400_naming_the_field(viewer_client, fields, field):
    response = _post_score(viewer_client, **fields)
    assert response.status_code == 400
    assert list(response.json()) == [field]


# --- auth and tenancy ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "header", [("Authorization", "Bearer {key}"), ("x-api-key", "{key}")], ids=["bearer", "x"]
)
def test_api_key_writes_an_outcome_into_its_project(client, project, api_key, header):
    name, value = header
    response = _post(client, "api:outcome-create", _outcome(), **{name: value.format(key=api_key)})

    assert response.status_code == 201
    assert Outcome.objects.get().project == project


def test_logged_out_request_is_refused(client):
    assert _post_outcome(client).status_code == 401
    assert _post_score(client).status_code == 401
    assert not Outcome.objects.exists() and not Score.objects.exists()


def test_ingest_only_key_cannot_write(client, project):
    key = issue_key(project, can_read=False)
    response = _post(client, "api:outcome-create", _outcome(), Authorization=f"Bearer {key}")
    assert response.status_code == 401


def test_key_of_other_project_cannot_write_into_project(client, project, other_project):
    key = issue_key(other_project)
    _trace(project)
    url = reverse("api:outcome-create") + "?project=acme"

    response = client.post(
        url, _outcome(), content_type="application/json", headers={"x-api-key": key}
    )

    assert response.status_code == 404
    assert not Outcome.objects.exists()
    assert Trace.objects.get(project=project).outcome == ""


def test_write_of_other_project_key_lands_in_its_own_project(client, project, other_project):
    key = issue_key(other_project)
    _trace(project)  # the same trace id in acme must stay untouched

    response = _post(client, "api:outcome-create", _outcome(), **{"x-api-key": key})
    score = _post(client, "api:score-create", _score(), **{"x-api-key": key})

    assert (response.status_code, score.status_code) == (201, 201)
    assert Outcome.objects.get().project == other_project
    assert Score.objects.get().project == other_project
    assert Trace.objects.get(project=other_project).outcome == "success"
    assert Trace.objects.get(project=project).outcome == ""


def test_non_member_session_gets_404_for_project(client, project, other_project, alice):
    bob = MembershipFactory(user=UserFactory(username="bob"), project=other_project).user
    client.force_login(bob)
    response = client.post(
        reverse("api:score-create") + "?project=acme", _score(), content_type="application/json"
    )
    assert response.status_code == 404
    assert not Score.objects.exists()


# --- applying outcomes --------------------------------------------------------------------


def test_outcome_is_written_to_its_trace_and_marks_the_day_dirty(viewer_client, project):
    _trace(project, start_time=DAY, outcome="failure", outcome_name="from_span")

    _post_outcome(viewer_client)

    trace = Trace.objects.get()
    assert (trace.outcome, trace.outcome_name, trace.outcome_value_usd) == (
        "success",
        "ticket_resolved",
        Decimal("12.5"),
    )
    assert list(DirtyDay.objects.values_list("day", flat=True)) == [date(2026, 11, 1)]


def test_outcome_before_spans_creates_a_trace_row_not_to_finalize(viewer_client, project):
    _post_outcome(viewer_client, trace_id=T1.upper())

    trace = Trace.objects.get()
    assert (trace.trace_id, trace.outcome, trace.needs_finalize) == (T1, "success", False)
    assert not DirtyDay.objects.exists()  # no day yet: finalize marks it when spans arrive


def test_latest_outcome_of_a_trace_wins(viewer_client, project):
    _post_outcome(viewer_client, occurred_at="2026-11-02T00:00:00Z")
    _post_outcome(
        viewer_client, idempotency_key="k2", success=False, occurred_at="2026-11-01T00:00:00Z"
    )

    assert Trace.objects.get().outcome == "success"


def test_api_outcome_before_spans_survives_finalize(viewer_client, project, api_key):
    _post_outcome(viewer_client, trace_id=TRACE)

    _send_spans(
        viewer_client,
        api_key,
        chat_span(span_id(1), parent=ROOT),
        _root(**{"finops.outcome": "failure", "finops.outcome.name": "span_said"}),
    )

    trace = Trace.objects.get()
    assert (trace.calls, trace.root_name) == (1, "POST /answer")  # finalized from spans
    assert (trace.outcome, trace.outcome_name, trace.outcome_value_usd) == (
        "success",
        "ticket_resolved",
        Decimal("12.5"),
    )


def test_session_outcome_lands_on_the_latest_trace(viewer_client, project):
    _trace(project, "a" * 32, session="conv-9", start_time=DAY)
    _trace(project, "b" * 32, session="conv-9", start_time=DAY + timedelta(hours=1))
    _trace(project, "c" * 32, session="conv-other", start_time=DAY + timedelta(hours=2))

    response = _post_outcome(viewer_client, trace_id=None, session="conv-9")

    assert response.json()["applied_trace_id"] == "b" * 32
    outcomes = dict(Trace.objects.values_list("trace_id", "outcome"))
    assert outcomes == {"a" * 32: "", "b" * 32: "success", "c" * 32: ""}


def _post_session_outcome(client):
    return _post_outcome(client, trace_id=None, session="conv-9")


def test_session_outcome_without_trace_is_pending(viewer_client, project):
    response = _post_session_outcome(viewer_client)

    assert response.status_code == 201
    assert response.json()["applied_trace_id"] == ""
    assert not Trace.objects.exists()


def test_pending_session_outcome_goes_to_the_first_finalized_trace(viewer_client, api_key):
    _post_session_outcome(viewer_client)

    _send_spans(
        viewer_client,
        api_key,
        chat_span(span_id(1), parent=ROOT),
        _root(**{"finops.session.id": "conv-9"}),
    )

    assert Outcome.objects.get().applied_trace_id == TRACE
    assert Trace.objects.get().outcome == "success"


# --- applying scores ----------------------------------------------------------------------


def test_call_scores_set_its_quality_mean_and_the_trace_mean(viewer_client, project):
    _trace(project, start_time=DAY)
    LLMCallFactory(project=project, trace_id=T1, span_id=S1, quality_score=0.9)
    LLMCallFactory(project=project, trace_id=T1, span_id=S2, quality_score=0.4)

    _post_score(viewer_client, span_id=S1, value=0.2)
    _post_score(viewer_client, span_id=S1, value=0.6, name="helpfulness", source="human")

    assert LLMCall.objects.get(span_id=S1).quality_score == pytest.approx(0.4)
    assert Trace.objects.get().quality_score == pytest.approx(0.4)  # mean of 0.4 and 0.4
    assert list(DirtyDay.objects.values_list("day", flat=True)) == [date(2026, 11, 1)]


def test_trace_scores_set_the_trace_quality_mean(viewer_client, project):
    _trace(project, start_time=DAY, quality_score=0.9)
    LLMCallFactory(project=project, trace_id=T1, span_id=S1)

    _post_score(viewer_client, value=0.5)
    _post_score(viewer_client, value=1.0, source="heuristic")
    _post_score(viewer_client, span_id=S1, value=0.1)  # a call score leaves it alone now

    assert Trace.objects.get().quality_score == pytest.approx(0.75)
    assert LLMCall.objects.get().quality_score == pytest.approx(0.1)


def test_score_of_unknown_call_is_stored_for_later(viewer_client, project):
    response = _post_score(viewer_client, span_id=S1)

    assert response.status_code == 201
    assert Score.objects.get().span_id == S1
    assert not Trace.objects.exists()


def test_scores_before_spans_are_applied_by_finalize(viewer_client, api_key):
    call = span_id(1)
    _post_score(viewer_client, trace_id=TRACE, span_id=call, value=0.2)
    _post_score(viewer_client, trace_id=TRACE, span_id=call, value=0.4, name="tone")
    _post_score(viewer_client, trace_id=TRACE, value=1.0)

    _send_spans(viewer_client, api_key, chat_span(call, parent=ROOT, finops__quality__score=0.9))

    assert LLMCall.objects.get().quality_score == pytest.approx(0.3)
    assert Trace.objects.get().quality_score == pytest.approx(1.0)


def test_other_trace_ids_are_untouched(viewer_client, project):
    other = trace_id(7)
    _trace(project, other, start_time=DAY)
    _post_outcome(viewer_client)
    _post_score(viewer_client, value=0.3)
    assert Trace.objects.values_list("outcome", "quality_score").get(trace_id=other) == ("", None)


# --- schema -------------------------------------------------------------------------------


def test_schema_documents_both_endpoints(viewer_client):
    schema = viewer_client.get(reverse("api-schema"), {"format": "json"}).json()

    for path, request_name, response_name in [
        ("/api/v1/outcomes", "OutcomeRequest", "Outcome"),
        ("/api/v1/scores", "ScoreRequest", "Score"),
    ]:
        operation = schema["paths"][path]["post"]
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": f"#/components/schemas/{request_name}"}
        assert {"200", "201", "400", "404", "409"} <= set(operation["responses"])
        created = operation["responses"]["201"]["content"]["application/json"]["schema"]
        assert created == {"$ref": f"#/components/schemas/{response_name}"}
    outcome_fields = schema["components"]["schemas"]["OutcomeRequest"]["properties"]
    assert {"trace_id", "session", "name", "success", "value_usd", "idempotency_key"} <= set(
        outcome_fields
    )
