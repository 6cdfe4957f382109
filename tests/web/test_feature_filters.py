"""The Features page and ``GET /api/v1/features/`` under the URL filters (compare-to,
feature / segment / template / model), and links from its numbers to the calls behind them."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.urls import reverse

from tests.factories import issue_key
from tests.web import breakdown_world as world
from tests.web.breakdown_world import FIRST_DAY, LAST_DAY, NOW

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def url(project) -> str:
    return reverse("finops:features", kwargs={"slug": project.slug})


@pytest.fixture
def built(project, client):
    world.build(project, client)


def _figures(rows) -> dict:
    return {r.feature: (r.calls, r.spend_usd, r.outcomes, r.successes) for r in rows}


def _expected(project, **narrow) -> dict:
    calls = world.expected(project, "feature", FIRST_DAY, LAST_DAY, **narrow)
    trace_narrow = {k: v for k, v in narrow.items() if k in ("feature", "segment")}
    outcomes = world.expected_outcomes(project, "feature", FIRST_DAY, LAST_DAY, **trace_narrow)
    return {
        name: (
            want["calls"],
            want["spend_usd"],
            outcomes.get(name, {}).get("outcomes", 0),
            outcomes.get(name, {}).get("successes", 0),
        )
        for name, want in calls.items()
    }


def test_unfiltered_rows_equal_sums(viewer_client, url, project, built):
    rows = viewer_client.get(url).context["rows"]
    assert _figures(rows) == _expected(project)
    assert _figures(rows) == {
        "support": (6, Decimal("0.72"), 2, 2),
        "search": (3, Decimal("0.21"), 3, 2),
        "": (1, Decimal("0.02"), 0, 0),
    }


def test_segment_filter_narrows_calls_and_outcomes(viewer_client, url, project, built):
    rows = viewer_client.get(url, {"segment": "enterprise"}).context["rows"]
    assert _figures(rows) == _expected(project, segment="enterprise")
    assert _figures(rows) == {"support": (6, Decimal("0.72"), 2, 2)}


def test_template_filter_narrows_calls_only(viewer_client, url, project, built):
    response = viewer_client.get(url, {"template": "classify"})
    assert _figures(response.context["rows"]) == _expected(project, template="classify")
    assert _figures(response.context["rows"]) == {
        "support": (2, Decimal("0.12"), 2, 2),
        "search": (1, Decimal("0.05"), 3, 2),
    }
    assert "a template or model filter narrows spend and calls only" in (response.content.decode())


def test_model_filter_narrows_calls(viewer_client, url, built):
    rows = viewer_client.get(url, {"model": "claude-3-5-haiku"}).context["rows"]
    assert [(r.feature, r.calls, r.spend_usd) for r in rows] == [("support", 1, Decimal("0.1"))]


def test_compare_to_year_before(viewer_client, url, built):
    response = viewer_client.get(url, {"compare": "year"})
    previous = response.context["previous"]
    assert (previous.first, previous.last) == (date(2025, 10, 22), date(2025, 11, 20))
    assert {r.feature: r.spend_change_pct for r in response.context["rows"]} == {
        "support": None,
        "search": None,
        "": None,
    }
    assert world.cells(response.content.decode(), "support", "feature")["trend"] == "new"


def test_compare_custom_overlapping_period(viewer_client, url, built):
    params = {"compare": "custom", "compare_start": "2026-10-10", "compare_end": "2026-11-05"}
    rows = {r.feature: r for r in viewer_client.get(url, params).context["rows"]}
    # Oct 10: 0.40; Oct 22 (T5): 0.02; Nov 5: 0.60 — support, 1.02 in all.
    assert rows["support"].previous_spend_usd == Decimal("1.02")
    assert rows["search"].previous_spend_usd == Decimal("0.01")


def test_compare_none_reads_dash(viewer_client, url, built):
    response = viewer_client.get(url, {"compare": "none"})
    assert response.context["previous"] is None
    assert world.cells(response.content.decode(), "support", "feature")["trend"] == "—"
    assert "No compare period." in response.content.decode()


def test_spend_and_calls_link_to_calls(viewer_client, url, built):
    html = viewer_client.get(url, {"segment": "smb"}).content.decode()
    links = world.links(html, "search", "feature")
    assert set(links) == {"spend", "calls"}
    target = urlsplit(links["spend"])
    assert target.path == reverse("finops:traces", args=["acme"])
    assert parse_qs(target.query) == {
        "start": ["2026-10-22"],
        "end": ["2026-11-20"],
        "segment": ["smb"],
        "feature": ["search"],
    }


def test_sort_and_csv_links_keep_filters(viewer_client, url, built):
    html = viewer_client.get(url, {"segment": "smb", "compare": "none"}).content.decode()
    query = "start=2026-10-22&amp;end=2026-11-20&amp;compare=none&amp;segment=smb"
    assert f'<a href="?{query}&amp;sort=-trend">Trend</a>' in html
    assert f'href="?{query}&amp;sort=-spend&amp;format=csv"' in html
    assert 'name="segment" value="smb"' in html


def test_filtered_csv_equals_filtered_rows(viewer_client, url, built):
    params = {"template": "classify", "format": "csv"}
    response = viewer_client.get(url, params)
    header, *lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert header[:3] == ["feature", "spend_usd", "calls"]
    got = {line[0]: (line[1], line[2]) for line in lines}
    assert got == {"support": ("0.1200000000", "2"), "search": ("0.0500000000", "1")}


def test_filter_problems_are_shown(viewer_client, url, built):
    html = viewer_client.get(url, {"compare": "custom"}).content.decode()
    assert "A custom comparison needs both dates; comparing with the previous." in html


def test_api_filters_by_segment_and_template(client, project, built):
    key = issue_key(project)
    params = {"segment": "smb", "template": "answer"}
    response = client.get(reverse("api:feature-list"), params, headers={"x-api-key": key})
    assert response.status_code == 200
    body = [(r["feature"], r["calls"], r["spend_usd"], r["outcomes"]) for r in response.json()]
    # smb calls of "answer": T4 0.15 and T5's 0.01, both search; search's smb outcomes: 3.
    assert body == [("search", 2, "0.1600000000", 3)]


def test_api_schema_lists_filters(viewer_client):
    schema = viewer_client.get(reverse("api-schema"), {"format": "json"}).json()
    parameters = schema["paths"]["/api/v1/features/"]["get"]["parameters"]
    assert {p["name"] for p in parameters} >= {"feature", "segment", "template", "model"}


def test_query_count_with_filters_is_pinned(viewer_client, url, built, django_assert_num_queries):
    # session, user, project, call rollups (period and compare), outcome rollups.
    with django_assert_num_queries(5):
        viewer_client.get(url, {"segment": "smb", "compare": "year"})
