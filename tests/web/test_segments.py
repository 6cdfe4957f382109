"""The Segments page: figures from the rollups equal sums computed here from the stored calls
and traces (retries, app-cache hits, a late API outcome included); filters, sorting, CSV."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.urls import reverse

from finops import sketch
from tests.web import breakdown_world as world
from tests.web.breakdown_world import FIRST_DAY, LAST_DAY, NOW, PREVIOUS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def url(project) -> str:
    return reverse("finops:segments", kwargs={"slug": project.slug})


@pytest.fixture
def built(project, client):
    world.build(project, client)


def _pct(part, whole) -> Decimal:
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _rows(response) -> dict:
    return {row.key: row for row in response.context["breakdown"].rows}


def test_call_figures_equal_sums_of_stored_calls(viewer_client, url, project, built):
    rows = _rows(viewer_client.get(url))
    expected = world.expected(project, "segment", FIRST_DAY, LAST_DAY)
    assert set(rows) == set(expected) == {"enterprise", "smb", ""}
    for name, want in expected.items():
        row = rows[name]
        assert (row.calls, row.spend_usd) == (want["calls"], want["spend_usd"]), name
        assert row.sums.unpriced_calls == want["unpriced"]
        assert row.input_tokens_per_call == (
            Decimal(want["input_tokens"]) / want["model_calls"]
        ).quantize(Decimal("0.1"), ROUND_HALF_UP)
        assert row.retry_rate_pct == _pct(want["retries"], want["model_calls"])
        assert row.fallback_rate_pct == _pct(want["fallbacks"], want["model_calls"])
        assert row.escalation_rate_pct == _pct(want["escalations"], want["model_calls"])
        assert row.prompt_cache_rate_pct == _pct(want["prompt_cache"], want["model_calls"])
        assert (row.app_cache_hits, row.avoided_cost_usd) == (
            want["cache_hits"],
            want["avoided_usd"],
        )
        assert row.active_customers == want["customers"]
    enterprise = rows["enterprise"]
    # 0.3 + 0.3 (retry) + 0.1 (fallback) + 0 (cache hit) + unpriced + 0.02 (T5's call)
    assert (enterprise.calls, enterprise.spend_usd) == (6, Decimal("0.72"))
    assert (enterprise.sums.retries, enterprise.app_cache_hits) == (1, 1)
    assert enterprise.avoided_cost_usd == Decimal("0.2")
    assert enterprise.retry_rate_pct == Decimal("20.0")  # 1 of 5 model calls
    assert enterprise.quality == 0.8
    assert enterprise.active_customers == 3  # cus_a, cus_b, cus_d


def test_outcomes_count_each_trace_once_under_its_root_segment(viewer_client, url, project, built):
    rows = _rows(viewer_client.get(url))
    outcomes = world.expected_outcomes(project, "segment", FIRST_DAY, LAST_DAY)
    for name, want in outcomes.items():
        assert (rows[name].outcomes, rows[name].successes) == (
            want["outcomes"],
            want["successes"],
        )
    # T1 and the late T2 in enterprise; T3 (failure), T4 and T5 in smb, though one of T5's
    # calls says enterprise.
    assert (rows["enterprise"].outcomes, rows["enterprise"].successes) == (2, 2)
    assert (rows["smb"].outcomes, rows["smb"].successes) == (3, 2)
    assert rows["enterprise"].cost_per_outcome_usd == Decimal("0.36")
    assert rows["smb"].cost_per_success_usd == Decimal("0.105")
    assert rows["smb"].success_rate_pct == Decimal("66.7")


def test_late_outcome_shows_after_refresh(viewer_client, url, project, built):
    # T2 had no outcome when the rollups were built; the API outcome made it a success.
    assert world.expected_outcomes(project, "segment", FIRST_DAY, LAST_DAY)["enterprise"] == {
        "outcomes": 2,
        "successes": 2,
    }
    assert _rows(viewer_client.get(url))["enterprise"].successes == 2


def test_latency_percentiles_are_within_sketch_error(viewer_client, url, project, built):
    rows = _rows(viewer_client.get(url))
    expected = world.expected(project, "segment", FIRST_DAY, LAST_DAY)
    for name, want in expected.items():
        for q, got in ((0.5, rows[name].latency_p50_ms), (0.95, rows[name].latency_p95_ms)):
            exact = world.nearest_rank(want["durations"], q)
            if exact >= sketch.BASE_MS:
                assert abs(got - exact) / exact <= sketch.MAX_RELATIVE_ERROR, (name, q)


def test_trend_compares_with_previous_period(viewer_client, url, project, built):
    response = viewer_client.get(url)
    rows = _rows(response)
    before = world.expected(project, "segment", *PREVIOUS)
    assert rows["enterprise"].compare_spend_usd == before["enterprise"]["spend_usd"]
    assert rows["enterprise"].spend_change_pct == Decimal("80.0")  # 0.40 → 0.72
    cells = world.cells(response.content.decode(), "smb")
    assert cells["trend"] == "new"
    assert world.cells(response.content.decode(), "enterprise")["trend"] == "+80.0%"


def test_compare_to_custom_period(viewer_client, url, built):
    params = {"compare": "custom", "compare_start": "2026-11-19", "compare_end": "2026-11-19"}
    rows = _rows(viewer_client.get(url, params))
    # Nov 19: enterprise 0.1 (+ unpriced + hit), smb 0.05.
    assert rows["enterprise"].compare_spend_usd == Decimal("0.1")
    assert rows["smb"].spend_change_pct == Decimal("320.0")  # 0.05 → 0.21


def test_compare_none_shows_no_trend(viewer_client, url, built):
    response = viewer_client.get(url, {"compare": "none"})
    assert _rows(response)["enterprise"].spend_change_pct is None
    assert world.cells(response.content.decode(), "enterprise")["trend"] == "—"


def test_template_filter_narrows_calls_not_outcomes(viewer_client, url, project, built):
    response = viewer_client.get(url, {"template": "classify"})
    rows = _rows(response)
    calls = world.expected(project, "segment", FIRST_DAY, LAST_DAY, template="classify")
    assert {k: (r.calls, r.spend_usd) for k, r in rows.items()} == {
        k: (v["calls"], v["spend_usd"]) for k, v in calls.items()
    }
    assert {k: (r.calls, r.spend_usd) for k, r in rows.items()} == {
        "enterprise": (2, Decimal("0.12")),
        "smb": (1, Decimal("0.05")),
    }
    assert rows["smb"].outcomes == 3  # whole traces of the segment
    assert 'id="outcome-note"' in response.content.decode()


def test_feature_filter_narrows_calls_outcomes_and_customers(viewer_client, url, project, built):
    rows = _rows(viewer_client.get(url, {"feature": "search"}))
    calls = world.expected(project, "segment", FIRST_DAY, LAST_DAY, feature="search")
    assert {k: (r.calls, r.spend_usd) for k, r in rows.items()} == {
        k: (v["calls"], v["spend_usd"]) for k, v in calls.items()
    }
    assert set(rows) == {"smb"}
    assert (rows["smb"].outcomes, rows["smb"].active_customers) == (3, 2)  # cus_c, cus_a


def test_unattributed_filter_selects_calls_without_segment(viewer_client, url, built):
    rows = _rows(viewer_client.get(url, {"segment": "(unattributed)"}))
    assert {k: (r.calls, r.spend_usd) for k, r in rows.items()} == {"": (1, Decimal("0.02"))}


def test_range_narrows_rows(viewer_client, url, project, built):
    rows = _rows(viewer_client.get(url, {"start": "2026-11-19", "end": "2026-11-19"}))
    expected = world.expected(project, "segment", date(2026, 11, 19), date(2026, 11, 19))
    assert {k: r.spend_usd for k, r in rows.items()} == {
        k: v["spend_usd"] for k, v in expected.items()
    }
    assert rows["smb"].outcomes == 1  # T3 only


def test_spend_and_calls_link_to_the_calls_behind_them(viewer_client, url, built):
    html = viewer_client.get(url, {"feature": "support"}).content.decode()
    links = world.links(html, "enterprise")
    assert set(links) == {"spend", "calls"}
    target = urlsplit(links["spend"])
    assert target.path == reverse("finops:traces", args=["acme"])
    assert parse_qs(target.query) == {
        "start": ["2026-10-22"],
        "end": ["2026-11-20"],
        "feature": ["support"],
        "segment": ["enterprise"],
    }
    unfiltered = viewer_client.get(url).content.decode()
    assert "segment=%28unattributed%29" in world.links(unfiltered, "(unattributed)")["calls"]


def test_chart_stacks_segments_and_points_link_to_calls(viewer_client, url, built):
    fig = viewer_client.get(url).context["fig"]
    assert fig["layout"]["barmode"] == "stack"
    by_name = {trace["name"]: trace for trace in fig["data"]}
    assert list(by_name) == ["enterprise", "smb", "(unattributed)"]
    enterprise = by_name["enterprise"]
    day = enterprise["x"].index("2026-11-05")
    assert enterprise["y"][day] == 0.6
    link = urlsplit(enterprise["customdata"][day])
    assert link.path == "/p/acme/traces/"
    assert parse_qs(link.query) == {
        "start": ["2026-11-05"],
        "end": ["2026-11-05"],
        "segment": ["enterprise"],
    }


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("", ["enterprise", "smb", ""]),
        ("spend", ["", "smb", "enterprise"]),
        ("-cost_per_outcome", ["enterprise", "smb", ""]),  # 0.36, 0.07, —
        ("success_rate", ["smb", "enterprise", ""]),  # 66.7, 100, —
        ("name", ["", "enterprise", "smb"]),  # "(unattributed)" sorts first
        ("-customers", ["enterprise", "smb", ""]),
        ("bogus", ["enterprise", "smb", ""]),
    ],
)
def test_sort_orders_rows(viewer_client, url, built, sort, order):
    response = viewer_client.get(url, {"sort": sort})
    assert [r.key for r in response.context["breakdown"].rows] == order


def test_sort_and_csv_links_keep_filters(viewer_client, url, built):
    html = viewer_client.get(url, {"feature": "support", "compare": "year"}).content.decode()
    query = "start=2026-10-22&amp;end=2026-11-20&amp;compare=year&amp;feature=support"
    assert f'<a href="?{query}&amp;sort=spend">Spend ↓</a>' in html
    assert f'<a href="?{query}&amp;sort=-p95">p95</a>' in html
    assert f'href="?{query}&amp;sort=-spend&amp;format=csv"' in html


def test_csv_equals_table(viewer_client, url, built):
    page = viewer_client.get(url, {"sort": "name"})
    response = viewer_client.get(url, {"sort": "name", "format": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "segments-acme-2026-10-22-2026-11-20.csv" in response["Content-Disposition"]
    header, *lines = list(csv.reader(io.StringIO(response.content.decode())))
    html = page.content.decode()
    assert [line[0] for line in lines] == ["(unattributed)", "enterprise", "smb"]
    for line in lines:
        record = dict(zip(header, line, strict=True))
        cells = world.cells(html, record["segment"])
        assert f"${Decimal(record['spend_usd']):,.2f}" == cells["spend"]
        assert record["calls"] == cells["calls"]
        assert (record["outcomes"], record["active_customers"]) == (
            cells["outcomes"],
            cells["customers"],
        )
        per_outcome = record["cost_per_outcome_usd"]
        want = f"${Decimal(per_outcome):,.4f}" if per_outcome else "—"
        assert want == cells["cost_per_outcome"]
        assert (record["retry_rate_pct"] or "—").rstrip("%") == cells["retry_rate"].rstrip("%")
    enterprise = dict(zip(header, lines[1], strict=True))
    assert (enterprise["spend_usd"], enterprise["outcomes"]) == ("0.7200000000", "2")
    assert (enterprise["avoided_cost_usd"], enterprise["app_cache_hits"]) == ("0.2000000000", "1")


def test_total_row_counts_customers_once(viewer_client, url, project, built):
    breakdown = viewer_client.get(url).context["breakdown"]
    # cus_a has calls in enterprise and smb: one active customer in the total.
    assert breakdown.total.active_customers == 4
    assert sum(r.active_customers for r in breakdown.rows) == 5
    assert breakdown.total.spend_usd == Decimal("0.95")


def test_bad_filter_values_are_reported(viewer_client, url, built):
    response = viewer_client.get(url, {"start": "soon", "compare": "lunar"})
    html = response.content.decode()
    assert "Dates must look like 2026-11-01; showing the last 30 days." in html
    assert "Unknown compare-to &#x27;lunar&#x27;; comparing with the previous period." in html


def test_empty_project_says_what_to_send(viewer_client, url):
    response = viewer_client.get(url)
    html = response.content.decode()
    assert 'id="empty-state"' in html
    assert 'finops.customer.segment = "enterprise"' in html
    assert 'id="segment-table"' not in html
    assert "<script" not in html


def test_only_unattributed_calls_show_hint(viewer_client, url, project):
    world.call(project, LAST_DAY, "", "0.1")
    world.rebuild(project)
    html = viewer_client.get(url).content.decode()
    assert 'id="unattributed-hint"' in html
    assert "finops.customer.segment" in html


def test_query_count_is_pinned(viewer_client, url, built, django_assert_num_queries):
    # session, user, project; call sums, sketches, outcomes, customers by segment and in all.
    with django_assert_num_queries(8):
        assert viewer_client.get(url).status_code == 200


def test_nav_links_to_segments(viewer_client, url, built):
    html = viewer_client.get(url).content.decode()
    assert f'<a href="{url}" aria-current="page">Segments</a>' in html
