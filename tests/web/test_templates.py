"""The Templates page: figures from the rollups equal sums computed here from the stored calls
and traces; spend per outcome of a template's features; filters, sorting, CSV, links."""

from __future__ import annotations

import csv
import io
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.urls import reverse

from tests.web import breakdown_world as world
from tests.web.breakdown_world import FIRST_DAY, LAST_DAY, NOW, PREVIOUS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def url(project) -> str:
    return reverse("finops:templates", kwargs={"slug": project.slug})


@pytest.fixture
def built(project, client):
    world.build(project, client)


def _rows(response) -> dict:
    return {row.key: row for row in response.context["breakdown"].rows}


def test_call_figures_equal_sums_of_stored_calls(viewer_client, url, project, built):
    rows = _rows(viewer_client.get(url))
    expected = world.expected(project, "template", FIRST_DAY, LAST_DAY)
    assert set(rows) == set(expected) == {"answer", "classify", ""}
    for name, want in expected.items():
        row = rows[name]
        assert (row.calls, row.spend_usd) == (want["calls"], want["spend_usd"]), name
        assert row.output_tokens_per_call == (
            Decimal(want["output_tokens"]) / want["model_calls"]
        ).quantize(Decimal("0.1"), ROUND_HALF_UP)
        assert (row.sums.retries, row.sums.fallbacks, row.sums.model_escalations) == (
            want["retries"],
            want["fallbacks"],
            want["escalations"],
        )
        assert (row.app_cache_hits, row.avoided_cost_usd) == (
            want["cache_hits"],
            want["avoided_usd"],
        )
        assert list(row.features) == want["features"]
    answer = rows["answer"]
    # 0.3 + 0.3 (retry) + 0 (hit) + unpriced + 0.15 + 0.01 (T5's smb call)
    assert (answer.calls, answer.spend_usd) == (6, Decimal("0.76"))
    assert answer.app_cache_rate_pct == Decimal("16.7")
    assert rows["classify"].quality == 0.4


def test_spend_per_outcome_of_features_counts_each_trace_once(viewer_client, url, project, built):
    rows = _rows(viewer_client.get(url))
    outcomes = world.expected_outcomes(project, "feature", FIRST_DAY, LAST_DAY)
    for name, row in rows.items():
        used = world.expected(project, "template", FIRST_DAY, LAST_DAY)[name]["features"]
        want = sum(outcomes.get(f, {"outcomes": 0})["outcomes"] for f in used)
        assert row.feature_outcomes == want, name
    # answer is used by support (T1, late T2) and search (T3, T4, T5): 5 traces, once each.
    assert rows["answer"].feature_outcomes == 5
    assert rows["answer"].spend_per_feature_outcome_usd == Decimal("0.152")
    assert rows[""].spend_per_feature_outcome_usd is None  # feature "" has no outcomes
    total = viewer_client.get(url).context["breakdown"].total
    assert total.feature_outcomes == 5  # not 5 + 5 + 0: outcomes are not summed over rows


def test_template_page_says_outcomes_belong_to_traces(viewer_client, url, built):
    html = viewer_client.get(url).content.decode()
    assert "Outcomes belong to whole traces, not to templates" in html
    assert 'data-col="cost_per_outcome"' not in html


def test_trend_against_a_year_earlier(viewer_client, url, project, built):
    response = viewer_client.get(url, {"compare": "year"})
    rows = _rows(response)
    assert all(row.compare_spend_usd == 0 for row in rows.values())
    assert world.cells(response.content.decode(), "answer")["trend"] == "new"


def test_trend_against_previous_period(viewer_client, url, project, built):
    rows = _rows(viewer_client.get(url))
    before = world.expected(project, "template", *PREVIOUS)
    assert rows["answer"].compare_spend_usd == before["answer"]["spend_usd"] == Decimal("0.4")
    assert rows["answer"].spend_change_pct == Decimal("90.0")


def test_segment_filter_narrows_calls_and_feature_outcomes(viewer_client, url, project, built):
    rows = _rows(viewer_client.get(url, {"segment": "enterprise"}))
    calls = world.expected(project, "template", FIRST_DAY, LAST_DAY, segment="enterprise")
    assert {k: (r.calls, r.spend_usd) for k, r in rows.items()} == {
        k: (v["calls"], v["spend_usd"]) for k, v in calls.items()
    }
    # enterprise traces with outcomes: T1 and the late T2, both support.
    assert rows["answer"].feature_outcomes == 2


def test_model_filter_narrows_calls(viewer_client, url, project, built):
    rows = _rows(viewer_client.get(url, {"model": "claude-3-5-haiku"}))
    assert {k: (r.calls, r.spend_usd) for k, r in rows.items()} == {"classify": (1, Decimal("0.1"))}


def test_chart_points_link_to_template_calls(viewer_client, url, built):
    fig = viewer_client.get(url).context["fig"]
    answer = next(t for t in fig["data"] if t["name"] == "answer")
    day = answer["x"].index("2026-11-20")
    assert answer["y"][day] == 0.15
    assert parse_qs(urlsplit(answer["customdata"][day]).query) == {
        "start": ["2026-11-20"],
        "end": ["2026-11-20"],
        "template": ["answer"],
    }


def test_csv_equals_table(viewer_client, url, built):
    page = viewer_client.get(url)
    response = viewer_client.get(url, {"format": "csv"})
    assert "templates-acme-2026-10-22-2026-11-20.csv" in response["Content-Disposition"]
    header, *lines = list(csv.reader(io.StringIO(response.content.decode())))
    html = page.content.decode()
    assert [line[0] for line in lines] == [r.label for r in page.context["breakdown"].rows]
    for line in lines:
        record = dict(zip(header, line, strict=True))
        cells = world.cells(html, record["template"])
        assert f"${Decimal(record['spend_usd']):,.2f}" == cells["spend"]
        assert (record["calls"], record["features"]) == (cells["calls"], cells["features"])
        per = record["spend_per_feature_outcome_usd"]
        assert (f"${Decimal(per):,.4f}" if per else "—") == cells["per_feature_outcome"]
    answer = dict(zip(header, lines[0], strict=True))
    assert (answer["template"], answer["spend_usd"], answer["app_cache_hits"]) == (
        "answer",
        "0.7600000000",
        "1",
    )


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("", ["answer", "classify", ""]),
        ("-p95", ["answer", "", "classify"]),  # 2500, 850, 850 → ties by name
        ("tokens_out", ["classify", "", "answer"]),  # 135, 200, 210 per model call
        ("-per_feature_outcome", ["answer", "classify", ""]),
    ],
)
def test_sort_orders_rows(viewer_client, url, built, sort, order):
    rows = viewer_client.get(url, {"sort": sort}).context["breakdown"].rows
    assert [r.key for r in rows] == order


def test_empty_project_says_what_to_send(viewer_client, url):
    html = viewer_client.get(url).content.decode()
    assert 'id="empty-state"' in html
    assert 'finops.template = "summarize-ticket"' in html


def test_query_count_is_pinned(viewer_client, url, built, django_assert_num_queries):
    # session, user, project; call sums, sketches (with features), outcomes by feature.
    with django_assert_num_queries(6):
        assert viewer_client.get(url).status_code == 200
