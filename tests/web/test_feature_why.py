"""Why it moved: the driver table adds up exactly to the change in cost per outcome computed
here from the stored calls and traces; the weekly table's spend, outcomes and active
customers equal sums of the calls, and it names the primary driver in words."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from finops import drivers
from tests.web import feature_world as w

pytestmark = pytest.mark.django_db
QUANTUM = Decimal("1E-12")


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(w.NOW, tick=False):
        yield


@pytest.fixture
def url(project) -> str:
    return reverse("finops:feature-why", args=[project.slug, w.FEATURE])


@pytest.fixture
def moved(project, client):
    """Compare period (Oct 8-21): 4 outcomes, two a week; period (Oct 22 - Nov 4): longer
    prompts, the flagship model in enterprise and a retry. One customer per call."""
    cheap, flagship = ("smb", "gpt-4o-mini"), ("enterprise", "gpt-4o")
    for n, (day, (segment, model), tokens, cost, retry) in enumerate(
        (
            *((date(2026, 10, d), cheap, 1000, "0.0100000000", False) for d in (9, 10, 16, 17)),
            *((date(2026, 10, d), cheap, 3000, "0.0300000000", False) for d in (23, 30, 31)),
            (date(2026, 10, 27), flagship, 1000, "0.2000000000", False),
            (date(2026, 10, 27), flagship, 1000, "0.2000000000", True),
        ),
        start=1,
    ):
        trace_id = f"{n - 1 if retry else n:032x}"
        if not retry:
            w.trace(project, trace_id, day, segment, outcome="success")
        w.call(
            project,
            trace_id,
            day,
            segment,
            cost,
            response_model=model,
            input_tokens=tokens,
            output_tokens=100,
            is_retry=retry,
            customer=f"c{n}",
        )
    w.rebuild(project)
    return {
        "period": (date(2026, 10, 22), date(2026, 11, 4)),
        "compare": (date(2026, 10, 8), date(2026, 10, 21)),
    }


def _cost_per_outcome(project, first: date, last: date) -> Decimal:
    calls = w.calls_of(project, first, last)
    outcomes = [t for t in w.traces_of(project, first, last) if t.outcome]
    return (w.spend(calls) / len(outcomes)).quantize(QUANTUM)


def test_drivers_add_up_to_the_change_exactly(viewer_client, url, project, moved):
    query = {"start": "2026-10-22", "end": "2026-11-04"}
    response = viewer_client.get(url, query)
    change = _cost_per_outcome(project, *moved["period"]) - _cost_per_outcome(
        project, *moved["compare"]
    )
    assert change == Decimal("0.1125")  # 0.49 / 4 - 0.04 / 4
    rows = response.context["tables"]["drivers"].rows
    by_name = {row.label: {c.key: c.value for c in row.cells} for row in rows}
    total = by_name.pop("Total change")
    assert total["delta_usd"] == change
    assert sum(r["delta_usd"] for r in by_name.values()) == change
    assert set(by_name) == {drivers.LABELS[name] for name in drivers.DRIVER_NAMES}
    html = response.content.decode()
    assert 'id="chart-waterfall"' in html and '"type": "waterfall"' in html
    assert "Mostly because" in html


def test_weekly_table_equals_sums_and_names_the_primary_driver(viewer_client, url, project, moved):
    response = viewer_client.get(url, {"start": "2026-10-22", "end": "2026-11-04"})
    weeks = response.context["tables"]["weekly"].rows
    assert len(weeks) == 8
    for row in weeks:
        values = {c.key: c.value for c in row.cells}
        first, last = date.fromisoformat(values["start"]), date.fromisoformat(values["end"])
        assert last - first == timedelta(days=6)
        calls = w.calls_of(project, first, last)
        assert values["spend_usd"] == w.spend(calls)
        assert values["active_customers"] == len({c.customer for c in calls if c.customer})
        outcomes = [t for t in w.traces_of(project, first, last) if t.outcome]
        assert values["outcomes"] == len(outcomes)
    last_week = {c.key: c.value for c in weeks[-1].cells}
    assert last_week["end"] == "2026-11-04"
    named = {
        v["week"]: v["primary_driver"] for v in ({c.key: c.value for c in r.cells} for r in weeks)
    }
    # Oct 22-28 added the enterprise trace with its retry; Oct 29 - Nov 4 dropped it.
    assert named["Oct 22\N{EN DASH}Oct 28"] == drivers.PHRASES[drivers.RETRIES][0] == "retry loops"
    assert named["Oct 29\N{EN DASH}Nov 4"] == "fewer retries and fallbacks"
    assert named["Oct 15\N{EN DASH}Oct 21"] == "no change"


def test_drivers_csv_matches_the_table(viewer_client, url, moved):
    query = {"start": "2026-10-22", "end": "2026-11-04", "format": "csv", "table": "drivers"}
    rows = list(csv.DictReader(io.StringIO(viewer_client.get(url, query).content.decode())))
    total = rows.pop()
    assert total["driver"] == "Total change"
    assert sum(Decimal(r["delta_usd"]) for r in rows) == Decimal(total["delta_usd"])


def test_without_compare_period_there_are_no_drivers(viewer_client, url, moved):
    response = viewer_client.get(
        url, {"start": "2026-10-22", "end": "2026-11-04", "compare": "none"}
    )
    assert response.context["tables"]["drivers"].rows == []
    assert "Choose a compare-to period" in response.content.decode()


def test_compare_period_without_outcomes_says_why(viewer_client, url, moved):
    query = {"start": "2026-10-22", "end": "2026-11-04", "compare": "custom"}
    query |= {"compare_start": "2026-06-01", "compare_end": "2026-06-14"}
    html = viewer_client.get(url, query).content.decode()
    assert "No outcomes in the earlier period" in html


def test_why_queries_are_pinned(viewer_client, url, moved, django_assert_num_queries):
    # session, user, project; per period: cells + outcomes (x2); weekly cells, outcomes,
    # customers
    with django_assert_num_queries(10):
        viewer_client.get(url, {"start": "2026-10-22", "end": "2026-11-04"})
