"""``GET /api/v1/calls/``: auth, fields, order, cursor pagination, filters, errors; the schema."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from finops.models import ApiKey
from tests.factories import LLMCallFactory, MembershipFactory, ProjectFactory, issue_key

pytestmark = pytest.mark.django_db

CALL_FIELDS = [
    "trace_id",
    "span_id",
    "parent_span_id",
    "start_time",
    "duration_ms",
    "provider",
    "operation",
    "request_model",
    "response_model",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "cost_usd",
    "price_source",
    "price_note",
    "error_type",
    "feature",
    "template",
    "template_version",
    "segment",
    "customer",
    "route",
    "session",
    "attempt",
    "is_retry",
    "is_fallback",
    "escalation",
    "cache_hit",
    "status",
    "quality_score",
]
DAY = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def url() -> str:
    return reverse("api:call-list")


def _trace_ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["trace_id"] for row in response.json()["results"]]


def _call_at(project, moment: datetime, **fields):
    return LLMCallFactory(project=project, start_time=moment, **fields)


def test_session_user_lists_calls_of_own_project(viewer_client, url, project, other_project):
    mine = _call_at(project, DAY)
    _call_at(other_project, DAY)
    assert _trace_ids(viewer_client.get(url)) == [mine.trace_id]


@pytest.mark.parametrize(
    "header",
    [("Authorization", "Bearer {key}"), ("x-api-key", "{key}")],
    ids=["bearer", "x-api-key"],
)
def test_api_key_lists_calls_of_its_project(client, url, project, other_project, api_key, header):
    mine = _call_at(project, DAY)
    _call_at(other_project, DAY)
    name, value = header
    response = client.get(url, headers={name: value.format(key=api_key)})
    assert _trace_ids(response) == [mine.trace_id]


def test_call_has_exactly_the_serializer_fields(viewer_client, url, project):
    call = _call_at(project, DAY, parent_span_id="00f067aa0ba902b7", template="answer-v2")
    (row,) = viewer_client.get(url).json()["results"]
    assert list(row) == CALL_FIELDS
    assert row["trace_id"] == call.trace_id
    assert row["span_id"] == call.span_id
    assert row["parent_span_id"] == "00f067aa0ba902b7"
    assert row["start_time"] == "2026-11-01T00:00:00Z"
    assert (row["input_tokens"], row["output_tokens"]) == (1000, 200)
    assert (row["feature"], row["template"], row["segment"]) == (
        "support-assistant",
        "answer-v2",
        "smb",
    )


def test_cost_is_a_decimal_string(viewer_client, url, project):
    _call_at(project, DAY, cost_usd=Decimal("0.000270"))
    (row,) = viewer_client.get(url).json()["results"]
    assert row["cost_usd"] == "0.0002700000"


def test_cost_is_null_when_unpriced(viewer_client, url, project):
    _call_at(project, DAY, cost_usd=None, price_note="unknown model")
    (row,) = viewer_client.get(url).json()["results"]
    assert (row["cost_usd"], row["price_note"]) == (None, "unknown model")


def test_calls_are_newest_first(viewer_client, url, project):
    old = _call_at(project, DAY)
    new = _call_at(project, DAY + timedelta(hours=2))
    # Same start time: the later-stored row comes first (ordering by -id breaks the tie).
    tie_first, tie_second = (
        _call_at(project, DAY + timedelta(hours=1)),
        _call_at(project, DAY + timedelta(hours=1)),
    )
    assert _trace_ids(viewer_client.get(url)) == [
        new.trace_id,
        tie_second.trace_id,
        tie_first.trace_id,
        old.trace_id,
    ]


def test_cursor_pagination_visits_every_call_once(viewer_client, url, project):
    calls = [_call_at(project, DAY + timedelta(minutes=i % 3)) for i in range(5)]
    seen: list[str] = []
    pages = 0
    next_url = f"{url}?page_size=2"
    while next_url:
        body = viewer_client.get(next_url).json()
        assert len(body["results"]) <= 2
        seen += [row["span_id"] for row in body["results"]]
        next_url = body["next"]
        pages += 1
    assert pages == 3
    assert len(seen) == len(set(seen)) == 5
    assert set(seen) == {call.span_id for call in calls}


def test_trace_id_filter_matches_case_insensitively(viewer_client, url, project):
    wanted = _call_at(project, DAY, trace_id="4bf92f3577b34da6a3ce929d0e0e4736")
    _call_at(project, DAY)
    response = viewer_client.get(url, {"trace_id": "4BF92F3577B34DA6A3CE929D0E0E4736"})
    assert _trace_ids(response) == [wanted.trace_id]


def test_start_date_includes_its_whole_day(viewer_client, url, project):
    _call_at(project, DAY - timedelta(seconds=1))
    first = _call_at(project, DAY)
    assert _trace_ids(viewer_client.get(url, {"start": "2026-11-01"})) == [first.trace_id]


def test_date_end_includes_its_whole_day(viewer_client, url, project):
    last = _call_at(project, DAY + timedelta(hours=23, minutes=59, seconds=59))
    _call_at(project, DAY + timedelta(days=1))
    assert _trace_ids(viewer_client.get(url, {"end": "2026-11-01"})) == [last.trace_id]


def test_datetime_end_is_exclusive(viewer_client, url, project):
    before = _call_at(project, DAY - timedelta(microseconds=1))
    _call_at(project, DAY)
    response = viewer_client.get(url, {"end": "2026-11-01T00:00:00Z"})
    assert _trace_ids(response) == [before.trace_id]


def test_datetime_start_is_inclusive(viewer_client, url, project):
    _call_at(project, DAY - timedelta(microseconds=1))
    at = _call_at(project, DAY)
    response = viewer_client.get(url, {"start": "2026-11-01T00:00:00+00:00"})
    assert _trace_ids(response) == [at.trace_id]


def test_bad_start_is_400_naming_the_parameter(viewer_client, url):
    response = viewer_client.get(url, {"start": "yesterday"})
    assert response.status_code == 400
    assert response.json() == {"start": "'yesterday' is not an ISO date (2026-11-01) or datetime"}


@pytest.mark.parametrize("value", ["2026-02-30", "2026-11-01T25:00:00"])
def test_impossible_start_is_400(viewer_client, url, value):
    response = viewer_client.get(url, {"start": value})
    assert response.status_code == 400
    assert "start" in response.json()


def test_user_with_two_projects_needs_project_param(viewer_client, url, alice):
    MembershipFactory(user=alice, project=ProjectFactory(slug="zeta"))
    response = viewer_client.get(url)
    assert response.status_code == 400
    assert response.json() == {
        "project": "pass ?project=<slug>: this user belongs to several projects"
    }


def test_user_with_two_projects_picks_one_with_project_param(viewer_client, url, alice, project):
    zeta = ProjectFactory(slug="zeta")
    MembershipFactory(user=alice, project=zeta)
    _call_at(project, DAY)
    wanted = _call_at(zeta, DAY)
    assert _trace_ids(viewer_client.get(url, {"project": "zeta"})) == [wanted.trace_id]


def test_ingest_only_key_is_refused(client, url, project):
    key = issue_key(project, can_read=False)
    response = client.get(url, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code in (401, 403)


def test_revoked_key_is_refused(client, url, project, api_key):
    ApiKey.objects.filter(project=project).update(revoked_at=timezone.now())
    response = client.get(url, headers={"x-api-key": api_key})
    assert response.status_code == 401


def test_unknown_key_is_refused(client, url, project):
    response = client.get(url, headers={"Authorization": "Bearer lfo_not-a-real-key"})
    assert response.status_code == 401


def test_schema_documents_calls_endpoint(viewer_client):
    response = viewer_client.get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    operation = schema["paths"]["/api/v1/calls/"]["get"]
    names = {param["name"] for param in operation["parameters"]}
    assert {"project", "trace_id", "start", "end", "cursor", "page_size"} <= names
