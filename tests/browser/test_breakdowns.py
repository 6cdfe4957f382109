"""The Segments and Templates pages in a real browser: reached from the nav, the stacked
chart is drawn, a sort header reorders the table, a bar opens the calls behind it, and there
are no JavaScript errors."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from finops import rollups
from tests.browser.test_overview import _log_in, _member
from tests.factories import LLMCallFactory, ProjectFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def rolled_up(transactional_db):
    """Two segments and two templates over the last three days, rolled up."""
    project = ProjectFactory(slug="acme", name="Acme Support")
    now = timezone.now()
    for days_ago in range(3):
        moment = now - timedelta(days=days_ago, minutes=5)
        for segment, template, cost in (("enterprise", "answer", "1.25"), ("smb", "tag", "0.40")):
            LLMCallFactory(
                project=project,
                start_time=moment,
                segment=segment,
                template=template,
                customer=f"cus-{segment}",
                cost_usd=Decimal(cost),
            )
    rollups.rebuild(project.pk, *rollups.data_days(project.pk))
    _member("pat", project)
    return project


@pytest.mark.parametrize(
    ("nav", "path", "table", "first", "last"),
    [
        ("Segments", "segments", "#segment-table", "enterprise", "smb"),
        ("Templates", "templates", "#template-table", "answer", "tag"),
    ],
)
def test_page_draws_chart_sorts_and_links_to_calls(
    page, js_errors, live_server, rolled_up, nav, path, table, first, last
):
    _log_in(page, live_server, "pat")
    page.wait_for_url(f"{live_server.url}/p/acme/")
    page.click(f"nav >> text={nav}")
    page.wait_for_url(f"{live_server.url}/p/acme/{path}/")
    page.wait_for_function("document.querySelector('#chart-spend[data-drawn=\"true\"]') !== null")
    # Two stacked series, a bar per day each.
    assert page.locator("#chart-spend .barlayer .trace").count() == 2
    rows = page.locator(f"{table} tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).get_attribute("data-key") == first
    assert rows.nth(0).locator("[data-col=spend]").inner_text() == "$3.75"

    page.click(f"{table} th >> text=Spend")  # currently descending: now ascending
    page.wait_for_url("**sort=spend")
    assert rows.nth(0).get_attribute("data-key") == last
    page.wait_for_function("document.querySelector('#chart-spend[data-drawn=\"true\"]') !== null")

    # A bar of the chart opens the trace search for that series and day.
    page.locator("#chart-spend .barlayer .trace").first.locator("path").last.click(force=True)
    page.wait_for_url("**/p/acme/traces/?**")
    assert f"{path[:-1]}=" in page.url
    page.wait_for_load_state("load")
    assert js_errors == []


def test_empty_segments_page_has_no_errors(page, js_errors, live_server, transactional_db):
    _member("erin", ProjectFactory(slug="fresh", name="Fresh Start"))
    _log_in(page, live_server, "erin")
    page.wait_for_url(f"{live_server.url}/p/fresh/")
    page.goto(f"{live_server.url}/p/fresh/segments/")
    assert page.locator("#empty-state").is_visible()
    assert "finops.customer.segment" in page.inner_text("#empty-state")
    page.wait_for_load_state("load")
    assert js_errors == []
