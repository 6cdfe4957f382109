"""The Features page and ``GET /api/v1/features/``: numbers from the rollups equal sums
computed here from the stored calls and traces."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from finops import rollups
from ingest.models import LLMCall, Trace
from tests.factories import LLMCallFactory, issue_key

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
FIRST_DAY, LAST_DAY = date(2026, 10, 22), date(2026, 11, 20)  # the default 30 days
PREVIOUS = (date(2026, 9, 22), date(2026, 10, 21))


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def features_url(project) -> str:
    return reverse("finops:features", kwargs={"slug": project.slug})


def _at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _trace(project, trace_id: str, day: date, feature: str, outcome: str = "") -> Trace:
    return Trace.objects.create(
        project=project,
        trace_id=trace_id,
        start_time=_at(day),
        last_span_at=_at(day),
        feature=feature,
        outcome=outcome,
    )


def _call(project, day: date, feature: str, cost: str | None, trace_id: str | None = None):
    extra = {"trace_id": trace_id} if trace_id else {}
    cost_usd = None if cost is None else Decimal(cost)
    return LLMCallFactory(
        project=project, start_time=_at(day), feature=feature, cost_usd=cost_usd, **extra
    )


def _rebuild(project) -> None:
    first, last = rollups.data_days(project.pk)
    rollups.rebuild(project.pk, first, last)


@pytest.fixture
def world(project):
    """Two features and unattributed calls in range, a trace whose calls span both features,
    spend in the previous period, and rows before both periods that must not count."""
    t1, t2, t3, t4 = ("1" * 32, "2" * 32, "3" * 32, "4" * 32)
    # t1: root feature "support", success; its calls are in "support" and in "search".
    _trace(project, t1, date(2026, 11, 5), "support", "success")
    _call(project, date(2026, 11, 5), "support", "0.3000000000", t1)
    _call(project, date(2026, 11, 5), "search", "0.1000000000", t1)
    _trace(project, t2, date(2026, 11, 19), "support", "failure")
    _call(project, date(2026, 11, 19), "support", "0.2000000000", t2)
    _call(project, date(2026, 11, 19), "support", None, t2)  # unpriced: a call, no spend
    _trace(project, t3, LAST_DAY, "search", "success")
    _call(project, LAST_DAY, "search", "0.5000000000", t3)
    _trace(project, t4, FIRST_DAY, "search")  # no outcome
    _call(project, FIRST_DAY, "search", "0.0100000000", t4)
    _call(project, date(2026, 11, 1), "", "0.0500000000")
    # Previous period: "support" only; "search" is new this period.
    _call(project, date(2026, 10, 10), "support", "0.2500000000")
    _trace(project, "5" * 32, date(2026, 10, 10), "support", "success")
    # Before both periods.
    _call(project, date(2026, 9, 1), "support", "100")
    _trace(project, "6" * 32, date(2026, 9, 1), "search", "success")
    _rebuild(project)


def _expected(project, first: date, last: date) -> dict[str, dict]:
    """Per feature sums straight from the LLMCall and Trace rows."""
    calls = [
        c for c in LLMCall.objects.filter(project=project) if first <= c.start_time.date() <= last
    ]
    traces = [
        t for t in Trace.objects.filter(project=project) if first <= t.start_time.date() <= last
    ]
    names = {c.feature for c in calls} | {t.feature for t in traces if t.outcome}
    out = {}
    for name in names:
        mine = [c for c in calls if c.feature == name]
        roots = [t for t in traces if t.feature == name and t.outcome]
        out[name] = {
            "calls": len(mine),
            "spend_usd": sum((c.cost_usd for c in mine if c.cost_usd is not None), Decimal(0)),
            "outcomes": len(roots),
            "successes": sum(1 for t in roots if t.outcome == "success"),
        }
    return out


def _actual(rows) -> dict[str, dict]:
    return {
        row.feature: {
            "calls": row.calls,
            "spend_usd": row.spend_usd,
            "outcomes": row.outcomes,
            "successes": row.successes,
        }
        for row in rows
    }


def _cells(html: str, feature: str) -> dict[str, str]:
    row = re.search(rf'<tr data-feature="{re.escape(feature)}">(.*?)</tr>', html, re.S)
    assert row, f"no row for {feature!r}"
    cells = re.findall(r'data-col="(\w+)">(.*?)</td>', row.group(1), re.S)
    return {col: re.sub(r"<[^>]+>", "", text).strip() for col, text in cells}


def test_rows_equal_sums_of_calls_and_traces(viewer_client, features_url, project, world):
    rows = viewer_client.get(features_url).context["rows"]
    assert _actual(rows) == _expected(project, FIRST_DAY, LAST_DAY)
    assert _actual(rows) == {
        "search": {"calls": 3, "spend_usd": Decimal("0.61"), "outcomes": 1, "successes": 1},
        "support": {"calls": 3, "spend_usd": Decimal("0.5"), "outcomes": 2, "successes": 1},
        "": {"calls": 1, "spend_usd": Decimal("0.05"), "outcomes": 0, "successes": 0},
    }


def test_trace_spanning_two_features_counts_once_for_root_feature(
    viewer_client, features_url, world
):
    rows = {r.feature: r for r in viewer_client.get(features_url).context["rows"]}
    # t1's "search" call adds spend to search but its outcome only to support.
    assert (rows["support"].outcomes, rows["search"].outcomes) == (2, 1)
    assert sum(r.outcomes for r in rows.values()) == 3  # t1, t2, t3: each once


def test_ratios_divide_spend_and_show_dash_without_divisor(viewer_client, features_url, world):
    response = viewer_client.get(features_url)
    rows = {r.feature: r for r in response.context["rows"]}
    support = rows["support"]
    assert support.cost_per_outcome_usd == Decimal("0.25")
    assert support.cost_per_success_usd == Decimal("0.5")
    assert support.success_rate == 0.5
    assert rows[""].cost_per_outcome_usd is None
    assert rows[""].success_rate is None
    html = response.content.decode()
    assert _cells(html, "support")["cost_per_outcome"] == "$0.2500"
    assert _cells(html, "support")["success_rate"] == "50.0%"
    unattributed = _cells(html, "(unattributed)")
    assert (unattributed["cost_per_outcome"], unattributed["cost_per_success"]) == ("—", "—")
    assert unattributed["success_rate"] == "—"


def test_trend_compares_spend_with_previous_period(viewer_client, features_url, project, world):
    response = viewer_client.get(features_url)
    previous = response.context["previous"]
    assert (previous.first, previous.last) == PREVIOUS
    rows = {r.feature: r for r in response.context["rows"]}
    before = _expected(project, *PREVIOUS)
    assert rows["support"].previous_spend_usd == before["support"]["spend_usd"] == Decimal("0.25")
    assert rows["support"].spend_change_pct == Decimal("100.0")  # 0.25 → 0.50
    assert rows["search"].spend_change_pct is None  # no spend before: new
    html = response.content.decode()
    assert _cells(html, "support")["trend"] == "+100.0%"
    assert _cells(html, "search")["trend"] == "new"


def test_sparkline_has_a_point_per_day(viewer_client, features_url, world):
    rows = {r.feature: r for r in viewer_client.get(features_url).context["rows"]}
    search = rows["search"]
    assert len(search.daily_spend_usd) == 30
    assert search.daily_spend_usd[0] == Decimal("0.01")  # FIRST_DAY
    assert search.daily_spend_usd[-1] == Decimal("0.5")  # LAST_DAY: the maximum
    points = search.sparkline.split()
    assert len(points) == 30
    assert (points[0], points[-1]) == ("0.0,22.6", "100.0,1.0")


def test_share_of_spend_adds_to_whole(viewer_client, features_url, world):
    rows = {r.feature: r for r in viewer_client.get(features_url).context["rows"]}
    # 0.61, 0.50, 0.05 of 1.16
    assert rows["search"].share_of_spend_pct == Decimal("52.6")
    assert rows["support"].share_of_spend_pct == Decimal("43.1")
    assert rows[""].share_of_spend_pct == Decimal("4.3")


def test_custom_range_and_its_previous_period(viewer_client, features_url, project, world):
    response = viewer_client.get(features_url, {"start": "2026-11-01", "end": "2026-11-10"})
    previous = response.context["previous"]
    assert (previous.first, previous.last) == (date(2026, 10, 22), date(2026, 10, 31))
    rows = response.context["rows"]
    assert _actual(rows) == _expected(project, date(2026, 11, 1), date(2026, 11, 10))
    search = next(r for r in rows if r.feature == "search")
    assert (search.spend_usd, search.previous_spend_usd) == (Decimal("0.1"), Decimal("0.01"))
    assert search.spend_change_pct == Decimal("900.0")


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("", ["search", "support", ""]),
        ("-spend", ["search", "support", ""]),
        ("spend", ["", "support", "search"]),
        ("-cost_per_outcome", ["search", "support", ""]),  # 0.61, 0.25, —
        ("cost_per_outcome", ["support", "search", ""]),
        ("-success_rate", ["search", "support", ""]),  # 1.0, 0.5, —
        ("trend", ["support", "", "search"]),  # +100 %, then new ones by name
        ("bogus", ["search", "support", ""]),
    ],
)
def test_sort_param_orders_rows(viewer_client, features_url, world, sort, order):
    response = viewer_client.get(features_url, {"sort": sort})
    assert [r.feature for r in response.context["rows"]] == order


def test_sort_header_links_toggle_current_column(viewer_client, features_url, world):
    html = viewer_client.get(features_url, {"sort": "-spend"}).content.decode()
    query = "start=2026-10-22&amp;end=2026-11-20"
    assert f'<th class="num" aria-sort="descending"><a href="?{query}&amp;sort=spend">' in html
    assert f'<a href="?{query}&amp;sort=-trend">Trend</a>' in html


def test_csv_matches_table(viewer_client, features_url, world):
    page = viewer_client.get(features_url, {"sort": "cost_per_outcome"})
    response = viewer_client.get(features_url, {"sort": "cost_per_outcome", "format": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "features-acme-2026-10-22-2026-11-20.csv" in response["Content-Disposition"]
    header, *lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert header[:5] == ["feature", "spend_usd", "calls", "outcomes", "successes"]
    rows = page.context["rows"]
    assert [line[0] for line in lines] == [r.label for r in rows]
    html = page.content.decode()
    for line, row in zip(lines, rows, strict=True):
        record = dict(zip(header, line, strict=True))
        cells = _cells(html, row.label)
        assert Decimal(record["spend_usd"]) == row.spend_usd
        assert f"${Decimal(record['spend_usd']):,.2f}" == cells["spend"]
        assert (record["calls"], record["outcomes"]) == (cells["calls"], cells["outcomes"])
        expected = "—" if not record["cost_per_outcome_usd"] else None
        expected = expected or f"${Decimal(record['cost_per_outcome_usd']):,.4f}"
        assert expected == cells["cost_per_outcome"]
    support = dict(zip(header, lines[0], strict=True))
    assert support == {
        "feature": "support",
        "spend_usd": "0.5000000000",
        "calls": "3",
        "outcomes": "2",
        "successes": "1",
        "cost_per_outcome_usd": "0.2500000000",
        "cost_per_success_usd": "0.5000000000",
        "success_rate": "0.5",
        "spend_change_pct": "100.0",
        "share_of_spend_pct": "43.1",
    }


def test_definitions_are_shown(viewer_client, features_url, world):
    html = viewer_client.get(features_url).content.decode()
    assert "<dt>Cost per outcome</dt><dd>Spend ÷ outcomes.</dd>" in html
    assert "<dt>Cost per success</dt><dd>Spend ÷ successful outcomes.</dd>" in html


def test_unpriced_calls_are_noted(viewer_client, features_url, world):
    html = viewer_client.get(features_url).content.decode()
    assert "1 call could not be priced." in html


def test_empty_project_says_what_to_send(viewer_client, features_url):
    response = viewer_client.get(features_url)
    html = response.content.decode()
    assert response.context["has_rollups"] is False
    assert 'id="empty-state"' in html
    assert 'finops.feature = "support-assistant"' in html
    assert 'finops.outcome = "success"' in html
    assert 'id="feature-table"' not in html


def test_calls_without_rollups_show_empty_state(viewer_client, features_url, project):
    # The page reads rollups only: calls that were never rolled up do not show.
    _call(project, LAST_DAY, "support", "1")
    assert 'id="empty-state"' in viewer_client.get(features_url).content.decode()


def test_data_only_outside_range_shows_widen_range(viewer_client, features_url, project):
    _call(project, date(2026, 1, 15), "support", "1")
    _rebuild(project)
    html = viewer_client.get(features_url).content.decode()
    assert "No spend or outcomes between Oct. 22, 2026 and Nov. 20, 2026" in html
    assert 'id="empty-state"' not in html


def test_features_query_count_is_pinned(
    viewer_client, features_url, world, django_assert_num_queries
):
    # session, user, project, call rollups (both periods), outcome rollups.
    with django_assert_num_queries(5):
        assert viewer_client.get(features_url).status_code == 200


def test_nav_links_to_features(viewer_client, features_url, world):
    html = viewer_client.get(features_url).content.decode()
    assert f'<a href="{features_url}" aria-current="page">Features</a>' in html


def test_page_has_no_inline_script(viewer_client, features_url, world):
    assert "<script" not in viewer_client.get(features_url).content.decode()


# --- GET /api/v1/features/ -----------------------------------------------------------


def test_api_returns_fields_and_values(viewer_client, world):
    response = viewer_client.get(reverse("api:feature-list"))
    assert response.status_code == 200
    assert response.json() == [
        {
            "feature": "search",
            "spend_usd": "0.6100000000",
            "calls": 3,
            "outcomes": 1,
            "successes": 1,
            "cost_per_outcome_usd": "0.6100000000",
            "cost_per_success_usd": "0.6100000000",
            "success_rate": 1.0,
        },
        {
            "feature": "support",
            "spend_usd": "0.5000000000",
            "calls": 3,
            "outcomes": 2,
            "successes": 1,
            "cost_per_outcome_usd": "0.2500000000",
            "cost_per_success_usd": "0.5000000000",
            "success_rate": 0.5,
        },
        {
            "feature": "",
            "spend_usd": "0.0500000000",
            "calls": 1,
            "outcomes": 0,
            "successes": 0,
            "cost_per_outcome_usd": None,
            "cost_per_success_usd": None,
            "success_rate": None,
        },
    ]


def test_api_with_key_and_range_equals_sums(client, project, world):
    key = issue_key(project)
    params = {"start": "2026-11-01", "end": "2026-11-10"}
    response = client.get(reverse("api:feature-list"), params, headers={"x-api-key": key})
    expected = _expected(project, date(2026, 11, 1), date(2026, 11, 10))
    got = {
        row["feature"]: {
            "calls": row["calls"],
            "spend_usd": Decimal(row["spend_usd"]),
            "outcomes": row["outcomes"],
            "successes": row["successes"],
        }
        for row in response.json()
    }
    assert got == expected
    assert set(got) == {"support", "search", ""}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-13-01"}, {"start": "'2026-13-01' is not an ISO date (2026-11-01)"}),
        ({"end": "yesterday"}, {"end": "'yesterday' is not an ISO date (2026-11-01)"}),
        ({"start": "2026-11-02", "end": "2026-11-01"}, {"start": "start is after end"}),
        (
            {"start": "2020-01-01", "end": "2026-01-01"},
            {"start": "ranges are limited to 731 days"},
        ),
    ],
)
def test_api_bad_range_is_400(viewer_client, params, message):
    response = viewer_client.get(reverse("api:feature-list"), params)
    assert (response.status_code, response.json()) == (400, message)


def test_api_query_count_is_pinned(client, project, world, django_assert_num_queries):
    key = issue_key(project)
    # API key (with its project), call rollups, outcome rollups.
    with django_assert_num_queries(3):
        client.get(reverse("api:feature-list"), headers={"x-api-key": key})


def test_api_is_in_openapi_schema(viewer_client):
    response = viewer_client.get(reverse("api-schema"), {"format": "json"})
    schema = response.json()
    operation = schema["paths"]["/api/v1/features/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"start", "end", "project"}
    properties = schema["components"]["schemas"]["Feature"]["properties"]
    assert set(properties) == {
        "feature",
        "spend_usd",
        "calls",
        "outcomes",
        "successes",
        "cost_per_outcome_usd",
        "cost_per_success_usd",
        "success_rate",
    }
    assert properties["success_rate"]["nullable"] is True


def test_range_in_the_past_shows_its_own_rows(viewer_client, features_url, project, world):
    rows = viewer_client.get(features_url, {"end": "2026-10-21"}).context["rows"]
    assert _actual(rows) == _expected(project, *PREVIOUS)
    assert [r.feature for r in rows] == ["support"]
