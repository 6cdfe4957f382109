"""The Traces page's summary (totals, count, histogram above the rows): exact from the daily
rollups for whole-day searches on rollup dimensions, else from at most the newest N calls
under a statement timeout that, when it fires, still shows the rows and says so."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from finops import rollups, sketch
from finops.models import DirtyDay
from finops.search import summary
from finops.search.histogram import sketch_bins
from finops.search.params import parse_search
from finops.views import traces as traces_view
from ingest.models import LLMCall
from tests.finops import search_data as data

pytestmark = pytest.mark.django_db

WHOLE_SET = "start=2026-10-31&end=2026-11-04"
POSTGRES = connection.vendor == "postgresql"
# Queries bounded() adds on PostgreSQL inside a test's transaction: SAVEPOINT, set_config,
# SET LOCAL … TO DEFAULT, RELEASE SAVEPOINT. None on SQLite.
BOUND = 4 if POSTGRES else 0


@pytest.fixture
def calls(project, other_project):
    return data.build(project, other_project)


@pytest.fixture
def rolled_up(project, other_project, calls):
    for p in (project, other_project):
        rollups.rebuild(p.pk, date(2026, 10, 31), date(2026, 11, 4))
    return calls


@pytest.fixture
def url(project) -> str:
    return reverse("finops:traces", args=[project.slug])


def _expected(project, **filters) -> dict:
    """The totals summed in Python over the stored calls of the project (whole set)."""
    rows = [c for c in LLMCall.objects.filter(project=project, **filters)]
    return {
        "calls": len(rows),
        "errors": sum(1 for c in rows if c.error_type),
        "cost_usd": sum((c.cost_usd for c in rows if c.cost_usd is not None), Decimal(0)),
        "tokens": sum(c.input_tokens + c.output_tokens for c in rows),
        "unpriced": sum(1 for c in rows if c.cost_usd is None),
    }


def _picked(totals: dict) -> dict:
    return {key: totals[key] for key in ("calls", "errors", "cost_usd", "tokens", "unpriced")}


def test_rollup_eligible_search_totals_equal_the_stored_calls(
    viewer_client, url, project, rolled_up
):
    response = viewer_client.get(f"{url}?{WHOLE_SET}&feature=search")
    assert response.context["source"] == "rollups"
    assert _picked(response.context["totals"]) == _expected(project, feature="search")
    html = response.content.decode()
    assert 'data-summary-source="rollups"' in html and "from the daily rollups" in html
    durations = LLMCall.objects.filter(project=project, feature="search").values_list(
        "duration_ms", flat=True
    )
    expected_bars = [b.count for b in sketch_bins(sketch.from_durations(durations))]
    assert response.context["histogram"]["data"][0]["y"] == expected_bars
    assert sum(expected_bars) == 4


def test_rollup_path_counts_every_call_exactly_above_the_cap(
    viewer_client, url, project, rolled_up, monkeypatch
):
    monkeypatch.setattr(traces_view, "COUNT_CAP", 10)
    monkeypatch.setattr(traces_view, "PAGE_SIZE", 5)
    response = viewer_client.get(f"{url}?{WHOLE_SET}")
    expected = _expected(project)
    assert (response.context["count"], response.context["capped"]) == (expected["calls"], False)
    assert _picked(response.context["totals"]) == expected
    assert f"{expected['calls']} calls" in response.content.decode()


def test_rollup_model_matches_the_response_else_requested_model(
    viewer_client, url, project, rolled_up
):
    model = rolled_up["c06"].response_model or rolled_up["c06"].request_model
    response = viewer_client.get(f"{url}?{WHOLE_SET}&model={model}")
    assert response.context["source"] == "rollups"
    answered = [
        c
        for c in LLMCall.objects.filter(project=project)
        if (c.response_model or c.request_model) == model
    ]
    assert (
        response.context["totals"]["calls"]
        == len(answered)
        == len({r["data-span-id"] for r in _rows(response)})
    )


def test_unattributed_feature_is_summed_from_the_rollups(viewer_client, url, project, rolled_up):
    response = viewer_client.get(f"{url}?{WHOLE_SET}&feature=(unattributed)")
    assert response.context["source"] == "rollups"
    assert _picked(response.context["totals"]) == _expected(project, feature="")


@pytest.mark.parametrize(
    "extra",
    ["customer=cust-3", "status=error", "min_cost=0.001", "q=refund", "provider=openai"],
)
def test_filter_outside_the_rollups_takes_the_sampled_path(
    viewer_client, url, project, rolled_up, extra
):
    response = viewer_client.get(f"{url}?{WHOLE_SET}&feature=search&{extra}")
    assert response.context["source"] == "calls"
    assert 'data-summary-source="calls"' in response.content.decode()


def test_a_time_of_day_takes_the_sampled_path(viewer_client, url, rolled_up):
    response = viewer_client.get(f"{url}?start=2026-11-01T06:00&end=2026-11-04")
    assert response.context["source"] == "calls"


def test_a_day_awaiting_its_rollup_refresh_takes_the_sampled_path(
    viewer_client, url, project, rolled_up
):
    DirtyDay.objects.create(project=project, day=date(2026, 11, 2))
    response = viewer_client.get(f"{url}?{WHOLE_SET}&feature=search")
    assert response.context["source"] == "calls"
    assert _picked(response.context["totals"]) == _expected(project, feature="search")


def test_missing_rollups_take_the_sampled_path(viewer_client, url, project, calls):
    response = viewer_client.get(f"{url}?{WHOLE_SET}&feature=search")
    assert response.context["source"] == "calls"
    assert response.context["totals"]["calls"] == 4


def test_rollup_days_need_date_only_bounds_and_rollup_dimensions_only():
    eligible, _ = parse_search({"start": "2026-11-01", "end": "2026-11-03", "route": "x"})
    assert summary.rollup_days(eligible) == (date(2026, 11, 1), date(2026, 11, 3))
    for extra in ({"end": "2026-11-03T12:00"}, {"session": "s"}, {"is_retry": "0"}):
        search, _ = parse_search({"start": "2026-11-01", "end": "2026-11-03", **extra})
        assert summary.rollup_days(search) is None, extra


def test_rollup_path_query_count_is_pinned(
    viewer_client, url, rolled_up, django_assert_num_queries, monkeypatch
):
    # session, user, project, page rows, dirty days, rollup totals and sketch, saved.
    monkeypatch.setattr(traces_view, "PAGE_SIZE", 5)
    with django_assert_num_queries(7):
        response = viewer_client.get(f"{url}?{WHOLE_SET}&route=premium&sort=-tokens")
    assert response.context["source"] == "rollups"


def test_sampled_path_query_count_is_pinned(
    viewer_client, url, calls, django_assert_num_queries, monkeypatch
):
    # session, user, project, page rows, count, totals, latency sample, saved searches.
    monkeypatch.setattr(traces_view, "PAGE_SIZE", 5)
    with django_assert_num_queries(8 + BOUND):
        viewer_client.get(f"{url}?{WHOLE_SET}&provider=openai&sort=-tokens")


@pytest.mark.skipif(not POSTGRES, reason="SQLite has no statement timeout")
def test_summary_past_its_timeout_shows_the_rows_and_says_so(
    viewer_client, url, calls, settings, monkeypatch
):
    settings.SEARCH_SUMMARY_TIMEOUT_MS = 20
    real_totals = traces_view.call_totals

    def slow_totals(*args, **kwargs):  # a summary query that outlasts the timeout
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(1)")
        return real_totals(*args, **kwargs)

    monkeypatch.setattr(traces_view, "call_totals", slow_totals)
    response = viewer_client.get(f"{url}?{WHOLE_SET}&customer=cust-3")
    assert response.status_code == 200
    assert response.context["timed_out"] and response.context["totals"] is None
    html = response.content.decode()
    assert "Totals unavailable for this filter in time: narrow the dates" in html
    expected = {c.span_id for c in LLMCall.objects.filter(customer="cust-3", project__slug="acme")}
    assert {r["data-span-id"] for r in _rows(response)} == expected
    # The connection is usable and unbounded afterwards.
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"


@pytest.mark.skipif(not POSTGRES, reason="SQLite has no statement timeout")
def test_bounded_block_leaves_no_timeout_behind(db):
    with summary.bounded(5000), connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "5s"
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"
    with pytest.raises(summary.SummaryTimeout), summary.bounded(10), connection.cursor() as c:
        c.execute("SELECT pg_sleep(1)")


def test_spent_budget_stops_the_next_summary_query_on_any_database(
    viewer_client, url, calls, settings, monkeypatch
):
    settings.SEARCH_SUMMARY_TIMEOUT_MS = 500
    real_totals = traces_view.call_totals
    with time_machine.travel(datetime(2026, 11, 5, tzinfo=UTC), tick=False) as clock:

        def totals_taking_a_second(*args, **kwargs):
            found = real_totals(*args, **kwargs)
            clock.shift(1)  # the latency sample would start after the budget
            return found

        monkeypatch.setattr(traces_view, "call_totals", totals_taking_a_second)
        response = viewer_client.get(f"{url}?{WHOLE_SET}&provider=openai")
    assert response.context["timed_out"] and response.context["totals"] is None
    assert "narrow the dates" in response.content.decode() and _rows(response)


def test_bounded_block_within_its_budget_runs_every_query(db):
    with time_machine.travel(datetime(2026, 11, 5, tzinfo=UTC), tick=False) as clock:
        with summary.bounded(500), connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            clock.shift(0.4)
            cursor.execute("SELECT 2")
            assert cursor.fetchone()[0] == 2
        with pytest.raises(summary.SummaryTimeout), summary.bounded(500), connection.cursor() as c:
            clock.shift(0.6)
            c.execute("SELECT 3")


def test_tiny_budget_still_lists_every_row_of_the_page(viewer_client, url, calls, settings):
    settings.SEARCH_SUMMARY_TIMEOUT_MS = 1
    response = viewer_client.get(f"{url}?{WHOLE_SET}&customer=cust-3")
    expected = {c.span_id for c in LLMCall.objects.filter(customer="cust-3", project__slug="acme")}
    assert {r["data-span-id"] for r in _rows(response)} == expected
    assert response.context["timed_out"] or response.context["totals"]["calls"] == 3


def _rows(response) -> list[dict]:
    from html.parser import HTMLParser

    class Rows(HTMLParser):
        def __init__(self):
            super().__init__()
            self.found: list[dict] = []

        def handle_starttag(self, tag, attrs):
            if tag == "tr" and dict(attrs).get("data-span-id"):
                self.found.append(dict(attrs))

    parser = Rows()
    parser.feed(response.content.decode())
    return parser.found
