"""The Features page in a real browser: reached from the nav, the table renders, sorting by
a header link works, and there are no JavaScript errors."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from finops import rollups
from ingest.models import Trace
from tests.browser.test_overview import _log_in, _member
from tests.factories import LLMCallFactory, ProjectFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def rolled_up(transactional_db):
    """Two features over the last three days, one success in each, rolled up."""
    project = ProjectFactory(slug="acme", name="Acme Support")
    now = timezone.now()
    for days_ago in range(3):
        moment = now - timedelta(days=days_ago, minutes=5)
        for feature, cost in (("search", "1.25"), ("support-assistant", "0.40")):
            call = LLMCallFactory(
                project=project, start_time=moment, feature=feature, cost_usd=Decimal(cost)
            )
            if days_ago == 0:
                Trace.objects.create(
                    project=project,
                    trace_id=call.trace_id,
                    start_time=moment,
                    last_span_at=moment,
                    feature=feature,
                    outcome="success",
                )
    first, last = rollups.data_days(project.pk)
    rollups.rebuild(project.pk, first, last)
    _member("pat", project)
    return project


def test_features_table_renders_and_sorts(page, js_errors, live_server, rolled_up):
    _log_in(page, live_server, "pat")
    page.wait_for_url(f"{live_server.url}/p/acme/")
    page.click("nav >> text=Features")
    page.wait_for_url(f"{live_server.url}/p/acme/features/")

    rows = page.locator("#feature-table tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).get_attribute("data-feature") == "search"
    assert rows.nth(0).locator("[data-col=spend]").inner_text() == "$3.75"
    assert rows.nth(0).locator("[data-col=cost_per_outcome]").inner_text() == "$3.7500"
    assert page.locator("#feature-table tbody svg.spark polyline").count() == 2
    assert page.locator("#definitions").is_visible()

    page.click("#feature-table th >> text=Spend")  # currently descending: now ascending
    page.wait_for_url("**sort=spend")
    assert rows.nth(0).get_attribute("data-feature") == "support-assistant"
    page.wait_for_load_state("load")
    assert js_errors == []
