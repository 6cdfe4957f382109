"""The feature page in a real browser: reached from the Features table, every chart drawn, no
JavaScript errors, and a click on a point of the cost-per-outcome chart lands on the trace
search listing exactly that day's calls of the feature. Why it moved draws its waterfall."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from finops import rollups
from ingest.models import LLMCall, Trace
from tests.browser.test_overview import _log_in, _member
from tests.factories import LLMCallFactory, ProjectFactory

pytestmark = pytest.mark.browser
CHARTS = ("chart-cost-per-outcome", "chart-routes", "chart-templates", "chart-segments")


@pytest.fixture
def rolled_up(transactional_db):
    """Feature "support" over the last 10 days: a success a day, two calls each (one on the
    cheap route), and a call of "search" each day that must not be listed."""
    project = ProjectFactory(slug="acme", name="Acme Support")
    now = timezone.now()
    for days_ago in range(10):
        moment = now - timedelta(days=days_ago, minutes=5)
        first = LLMCallFactory(
            project=project, start_time=moment, feature="support", cost_usd=Decimal("0.30")
        )
        LLMCallFactory(
            project=project,
            trace_id=first.trace_id,
            start_time=moment,
            feature="support",
            route="cheap",
            cost_usd=Decimal("0.02") * (days_ago + 1),
        )
        LLMCallFactory(project=project, start_time=moment, feature="search")
        Trace.objects.create(
            project=project,
            trace_id=first.trace_id,
            start_time=moment,
            last_span_at=moment,
            feature="support",
            outcome="success",
        )
    first, last = rollups.data_days(project.pk)
    rollups.rebuild(project.pk, first, last)
    _member("pat", project)
    return project


def test_chart_point_opens_the_calls_behind_it(page, js_errors, live_server, rolled_up):
    _log_in(page, live_server, "pat")
    page.wait_for_url(f"{live_server.url}/p/acme/")
    page.goto(f"{live_server.url}/p/acme/features/")
    page.click("#feature-table tbody >> text=support")
    page.wait_for_url(f"{live_server.url}/p/acme/features/support/")
    for chart in CHARTS:
        page.wait_for_selector(f"#{chart}[data-drawn=true]")
    assert page.locator("#kpis a.kpi").count() >= 7

    # The last point of the first line is today (the default range ends today).
    points = page.locator("#chart-cost-per-outcome .scatterlayer .trace").first.locator(
        ".points path"
    )
    points.last.click(force=True)
    page.wait_for_url("**/p/acme/traces/?**")
    query = parse_qs(urlsplit(page.url).query)
    today = timezone.now().date().isoformat()
    assert query == {"start": [today], "end": [today], "feature": ["support"]}
    listed = page.locator("tr[data-span-id]")
    listed.first.wait_for()
    expected = {
        c.span_id
        for c in LLMCall.objects.filter(project=rolled_up, feature="support")
        if c.start_time.date().isoformat() == today
    }
    assert {listed.nth(i).get_attribute("data-span-id") for i in range(listed.count())} == expected
    page.wait_for_load_state("load")
    assert js_errors == []


def test_why_it_moved_draws_its_waterfall(page, js_errors, live_server, rolled_up):
    _log_in(page, live_server, "pat")
    page.wait_for_url(f"{live_server.url}/p/acme/")
    end = timezone.now().date()
    start = end - timedelta(days=4)
    page.goto(f"{live_server.url}/p/acme/features/support/?start={start}&end={end}")
    page.click("#why-link")
    page.wait_for_url("**/features/support/why/**")
    page.wait_for_selector("#chart-waterfall[data-drawn=true]")
    assert page.locator("#table-drivers tbody tr").count() == 9
    assert page.locator("#table-weekly tbody tr").count() == 8
    page.wait_for_load_state("load")
    assert js_errors == []
