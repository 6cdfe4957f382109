"""The Budgets pages in a real browser: the list links to a budget whose burn-down is drawn
by Plotly, with no JavaScript errors."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.browser.test_overview import _log_in, _member
from tests.factories import ProjectFactory
from tests.finops.alert_world import make_budget, spend

pytestmark = pytest.mark.browser


@pytest.fixture
def budget(transactional_db):
    project = ProjectFactory(slug="acme", name="Acme Support")
    today = timezone.now().date()
    for days_ago in range(0, 20):
        spend(project, today - timedelta(days=days_ago), "12.50", feature="search")
    _member("pat", project)
    return make_budget(
        project, name="Search", scope="feature", scope_value="search", amount_usd=Decimal("300")
    )


def test_budget_page_draws_the_burndown(page, js_errors, live_server, budget):
    _log_in(page, live_server, "pat")
    page.wait_for_url(f"{live_server.url}/p/acme/")
    page.click("nav >> text=Budgets")
    page.wait_for_url(f"{live_server.url}/p/acme/budgets/")
    assert page.locator("#budget-table tbody tr").count() == 1

    page.click("#budget-table >> text=Search")
    page.wait_for_url(f"{live_server.url}/p/acme/budgets/{budget.pk}/")
    page.wait_for_selector("#burndown[data-drawn=true]")
    # Plotly drew the lines: budget, actual and (from 3 days of data) the forecast and range.
    legend = page.locator("#burndown g.legend text.legendtext")
    names = set(legend.evaluate_all("nodes => nodes.map(n => n.textContent)"))
    assert {"Budget", "Actual", "Forecast", "80% range"} <= names
    assert page.locator("#burndown .scatterlayer .trace").count() >= 2
    page.wait_for_load_state("load")
    assert js_errors == []
