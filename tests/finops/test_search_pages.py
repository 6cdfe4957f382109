"""Sorting and keyset pagination of the trace search on the known data set: every sort, page
sizes that cut through ties, no call lost or repeated; cursors bound to their sort."""

from __future__ import annotations

from decimal import Decimal

import pytest

from finops.search.calls import iterate_calls, keyset_page
from finops.search.cursor import BadCursor, Cursor, decode_cursor, encode_cursor
from finops.search.params import parse_search
from ingest.models import LLMCall
from tests.finops import search_data as data

pytestmark = pytest.mark.django_db

SORTS = ["time", "-time", "cost", "-cost", "latency", "-latency", "tokens", "-tokens"]


@pytest.fixture
def calls(project, other_project):
    return data.build(project, other_project)


def _expected_order(calls: dict, sort: str) -> list[str]:
    """The order written independently of the code: by the value, ties by database id;
    an unpriced call counts as cost -1 (below free ones), tokens are input + output."""
    value = {
        "time": lambda c: c.start_time,
        "cost": lambda c: Decimal("-1") if c.cost_usd is None else c.cost_usd,
        "latency": lambda c: c.duration_ms,
        "tokens": lambda c: c.input_tokens + c.output_tokens,
    }[sort.lstrip("-")]
    mine = [(name, c) for name, c in calls.items() if name != data.OTHER_PROJECT_CALL]
    ordered = sorted(mine, key=lambda nc: (value(nc[1]), nc[1].id), reverse=sort[0] == "-")
    return [name for name, _ in ordered]


def _walk(project, calls, sort: str, size: int) -> list[str]:
    search, _ = parse_search({"sort": sort})
    qs = LLMCall.objects.for_project(project.pk)
    names = {c.id: name for name, c in calls.items()}
    seen, cursor, pages = [], "", 0
    while True:
        page = keyset_page(qs, search, cursor, size)
        assert len(page.rows) <= size
        seen += [names[row.id] for row in page.rows]
        pages += 1
        if not page.next_cursor:
            return seen
        cursor = page.next_cursor
        assert pages < 100


@pytest.mark.parametrize("size", [1, 2, 5, 24, 50])
@pytest.mark.parametrize("sort", SORTS)
def test_pages_visit_every_call_once_in_sort_order(calls, project, sort, size):
    assert _walk(project, calls, sort, size) == _expected_order(calls, sort)


def test_data_set_has_ties_on_every_sort(calls):
    # The pagination test above must cross ties, or it would not test the id tie-breaker.
    mine = [c for name, c in calls.items() if name != data.OTHER_PROJECT_CALL]
    assert len({c.start_time for c in mine}) < len(mine)
    assert len({c.cost_usd for c in mine}) < len(mine)
    assert len({c.duration_ms for c in mine}) < len(mine)
    assert len({c.input_tokens + c.output_tokens for c in mine}) < len(mine)


def test_last_page_has_no_next_cursor(calls, project):
    search, _ = parse_search({})
    page = keyset_page(LLMCall.objects.for_project(project.pk), search, "", 24)
    assert (len(page.rows), page.next_cursor) == (24, "")


def test_iterate_reads_in_chunks_and_returns_everything(calls, project, django_assert_num_queries):
    search, _ = parse_search({"sort": "-cost"})
    qs = LLMCall.objects.for_project(project.pk)
    with django_assert_num_queries(5):  # 24 rows, 5 per query: 5 queries
        names = [c.span_id for c in iterate_calls(qs, search, chunk=5)]
    assert names == [calls[n].span_id for n in _expected_order(calls, "-cost")]


def test_cursor_of_another_sort_is_refused(calls, project):
    search, _ = parse_search({"sort": "-cost"})
    page = keyset_page(LLMCall.objects.for_project(project.pk), search, "", 5)
    other, _ = parse_search({"sort": "-time"})
    with pytest.raises(BadCursor, match="another sort"):
        keyset_page(LLMCall.objects.for_project(project.pk), other, page.next_cursor, 5)


@pytest.mark.parametrize(
    "text", ["", "x", "bm90IGpzb24", "WyItY29zdCIsIjEiXQ", "WyJ0aW1lIiwiMSIsMV0"]
)
def test_corrupt_cursor_is_refused(text):
    with pytest.raises(BadCursor):
        decode_cursor(text or "=", "time")


@pytest.mark.parametrize(
    "value",
    [Decimal("0.0200000000"), Decimal("-1"), 1234.5, 0.1, 7, data.D0],
)
def test_cursor_round_trips_its_value_exactly(value):
    sort = {Decimal: "-cost", float: "latency", int: "tokens"}.get(type(value), "-time")
    cursor = Cursor(sort, value, 42)
    assert decode_cursor(encode_cursor(cursor), sort) == cursor
