"""The Traces page: filters from the URL, totals, capped count, pages, trace links, errors,
pinned query count, streamed CSV equal to the list, saved searches per user."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse

from finops.models import SavedSearch
from finops.views import traces as traces_view
from tests.factories import MembershipFactory, UserFactory
from tests.finops import search_data as data

pytestmark = pytest.mark.django_db

WHOLE_SET = "start=2026-10-31&end=2026-11-04"
# Queries the summary's statement timeout adds on PostgreSQL (none on SQLite).
BOUND = 4 if connection.vendor == "postgresql" else 0


@pytest.fixture
def calls(project, other_project):
    return data.build(project, other_project)


@pytest.fixture
def url(project) -> str:
    return reverse("finops:traces", args=[project.slug])


def _span_ids(response) -> list[str]:
    return [row["data-span-id"] for row in _rows(response)]


def _rows(response) -> list[dict]:
    from html.parser import HTMLParser

    class Rows(HTMLParser):
        found: list[dict] = []

        def handle_starttag(self, tag, attrs):
            if tag == "tr" and dict(attrs).get("data-span-id"):
                self.found.append(dict(attrs))

    parser = Rows()
    parser.found = []
    parser.feed(response.content.decode())
    return parser.found


def test_filters_from_the_url_list_exactly_their_calls(viewer_client, url, calls):
    response = viewer_client.get(f"{url}?{WHOLE_SET}&feature=support&status=error")
    assert response.status_code == 200
    assert set(_span_ids(response)) == {data.span_id_of("c02"), data.span_id_of("c17")}


def test_totals_are_those_of_the_filter(viewer_client, url, calls):
    response = viewer_client.get(f"{url}?{WHOLE_SET}&feature=search")
    totals = response.context["totals"]
    search = [calls[n] for n in ("c06", "c07", "c09", "c10")]
    assert totals["calls"] == 4
    assert totals["cost_usd"] == sum((c.cost_usd for c in search if c.cost_usd), Decimal(0))
    assert totals["tokens"] == sum(c.input_tokens + c.output_tokens for c in search)
    assert (totals["errors"], totals["error_pct"]) == (1, Decimal(25))
    html = response.content.decode()
    assert 'id="total-cost">$0.0400<' in html
    assert 'id="total-error-rate">25.0%<' in html
    assert "4 calls" in html


def test_count_above_the_cap_says_plus(viewer_client, url, calls, monkeypatch):
    monkeypatch.setattr(traces_view, "COUNT_CAP", 10)
    monkeypatch.setattr(traces_view, "PAGE_SIZE", 5)
    response = viewer_client.get(f"{url}?{WHOLE_SET}")
    assert (response.context["count"], response.context["capped"]) == (10, True)
    assert "10+ calls" in response.content.decode()
    # The totals are bounded too: those of the 10 newest calls.
    newest = sorted(
        (c for n, c in calls.items() if n != data.OTHER_PROJECT_CALL),
        key=lambda c: (c.start_time, c.id),
    )[-10:]
    assert response.context["totals"]["calls"] == 10
    assert response.context["totals"]["tokens"] == sum(
        c.input_tokens + c.output_tokens for c in newest
    )
    assert "the totals are those of the newest 10" in response.content.decode()


@time_machine.travel(datetime(2026, 11, 3, 12, tzinfo=UTC), tick=False)
def test_default_window_is_the_last_seven_days(viewer_client, url, calls):
    response = viewer_client.get(url)
    search = response.context["search"]
    assert (search.raw_start, search.raw_end) == ("2026-10-28", "2026-11-03")
    assert len(_span_ids(response)) == 23  # everything but c15 (2026-11-04 00:00)


def test_next_page_continues_where_the_first_ended(viewer_client, url, calls, monkeypatch):
    monkeypatch.setattr(traces_view, "PAGE_SIZE", 10)
    first = viewer_client.get(f"{url}?{WHOLE_SET}&sort=-cost")
    second = viewer_client.get(url + first.context["next_url"])
    third = viewer_client.get(url + second.context["next_url"])
    seen = _span_ids(first) + _span_ids(second) + _span_ids(third)
    assert len(seen) == len(set(seen)) == 24
    assert third.context["next_url"] == ""
    assert "sort=-cost" in second.context["next_url"]


def test_each_row_links_to_its_trace(viewer_client, url, calls, project):
    response = viewer_client.get(f"{url}?{WHOLE_SET}&customer=cust-2")
    html = response.content.decode()
    trace = reverse("finops:trace-detail", args=[project.slug, data.trace_id_of("c04")])
    assert f'href="{trace}"' in html


def test_bad_values_are_shown_and_the_rest_still_applies(viewer_client, url, calls):
    response = viewer_client.get(f"{url}?{WHOLE_SET}&feature=search&min_cost=lots&sort=price")
    assert response.status_code == 200
    assert set(response.context["errors"]) == {"min_cost", "sort"}
    html = response.content.decode()
    assert "These filters were not applied" in html and "&#x27;lots&#x27; is not a number" in html
    assert len(_span_ids(response)) == 4


def test_no_match_says_how_to_widen(viewer_client, url, calls):
    response = viewer_client.get(f"{url}?{WHOLE_SET}&feature=nothing-like-this")
    assert "No calls match these filters" in response.content.decode()


def test_empty_project_says_how_to_send_traces(viewer_client, url):
    assert "No LLM calls stored yet" in viewer_client.get(url).content.decode()


def test_histogram_bars_link_to_their_calls(viewer_client, url, calls, project):
    response = viewer_client.get(f"{url}?{WHOLE_SET}&feature=summarize")
    bars = response.context["histogram"]["data"][0]
    assert sum(bars["y"]) == 4
    assert all(
        link.startswith(url + "?") and "min_latency_ms=" in link for link in bars["customdata"]
    )


def test_page_query_count_is_pinned(
    viewer_client, url, calls, django_assert_num_queries, monkeypatch
):
    # session, user, project, page rows, count, totals, latency sample, saved searches; on
    # PostgreSQL the summary's statement timeout adds 4 (savepoint, set, reset, release).
    # Not rollup-eligible (min_input_tokens): tests/web/test_traces_summary.py pins that path.
    monkeypatch.setattr(traces_view, "PAGE_SIZE", 5)
    with django_assert_num_queries(8 + BOUND):
        viewer_client.get(f"{url}?{WHOLE_SET}&route=premium&min_input_tokens=0&sort=-tokens")


def test_page_holding_the_whole_result_needs_no_count(
    viewer_client, url, calls, django_assert_num_queries
):
    with django_assert_num_queries(7 + BOUND):
        response = viewer_client.get(f"{url}?{WHOLE_SET}&q=refund&sort=-tokens")
    assert (response.context["count"], response.context["capped"]) == (2, False)


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv"
    assert response.streaming
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_csv_streams_the_whole_result_in_the_page_order(viewer_client, url, calls, monkeypatch):
    monkeypatch.setattr(traces_view, "PAGE_SIZE", 50)
    query = f"{WHOLE_SET}&route=premium&sort=-latency"
    listed = _span_ids(viewer_client.get(f"{url}?{query}"))
    rows = _csv(viewer_client.get(f"{url}?{query}&format=csv"))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["start_time", "trace_id", "span_id"]
    assert [row[2] for row in body] == listed
    assert len(body) == 9
    c23 = next(row for row in body if row[2] == data.span_id_of("c23"))
    assert dict(zip(header, c23, strict=True))["cost_usd"] == "0.0500000000"


def test_saved_search_is_stored_for_the_user_and_listed(viewer_client, url, calls, alice):
    saved_url = reverse("finops:saved-searches", args=["acme"])
    response = viewer_client.post(saved_url, {"name": "Errors", "query": "status=error"})
    assert response.status_code == 302 and response.url == f"{url}?status=error"
    assert list(SavedSearch.objects.values_list("user__username", "name", "query")) == [
        ("alice", "Errors", "status=error")
    ]
    assert "Errors" in viewer_client.get(url).content.decode()


def test_saving_under_an_existing_name_updates_it(viewer_client, project, alice):
    saved_url = reverse("finops:saved-searches", args=["acme"])
    viewer_client.post(saved_url, {"name": "Mine", "query": "feature=a"})
    viewer_client.post(saved_url, {"name": "Mine", "query": "feature=b"})
    assert list(SavedSearch.objects.values_list("name", "query")) == [("Mine", "feature=b")]


def test_saved_searches_are_private_to_their_user(client, url, project, alice):
    bob = MembershipFactory(user=UserFactory(username="bob"), project=project).user
    theirs = SavedSearch.objects.create(project=project, user=alice, name="Alice's", query="q=x")
    client.force_login(bob)
    assert "Alice&#x27;s" not in client.get(url).content.decode()
    saved_url = reverse("finops:saved-searches", args=["acme"])
    client.post(saved_url, {"delete": theirs.pk})
    assert SavedSearch.objects.filter(pk=theirs.pk).exists()


def test_user_deletes_own_saved_search(viewer_client, project, alice):
    mine = SavedSearch.objects.create(project=project, user=alice, name="Old", query="")
    viewer_client.post(reverse("finops:saved-searches", args=["acme"]), {"delete": mine.pk})
    assert not SavedSearch.objects.exists()


def test_saving_needs_post_and_csrf(project, alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    saved_url = reverse("finops:saved-searches", args=["acme"])
    assert client.get(saved_url).status_code == 405
    assert client.post(saved_url, {"name": "x", "query": ""}).status_code == 403
    assert not SavedSearch.objects.exists()


def test_saving_without_a_name_is_refused_with_a_message(viewer_client, url, project):
    saved_url = reverse("finops:saved-searches", args=["acme"])
    response = viewer_client.post(saved_url, {"name": " ", "query": ""}, follow=True)
    assert "Give the search a name" in response.content.decode()
    assert not SavedSearch.objects.exists()
