"""The overview in a real browser: log in through the form, charts drawn, no JavaScript errors."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from finops import rollups
from tests.factories import LLMCallFactory, MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.browser

PASSWORD = "a-long-test-password"
SCREENSHOTS = settings.BASE_DIR / "var" / "screenshots"


def _member(username: str, project):
    user = UserFactory(username=username, password=PASSWORD)
    MembershipFactory(user=user, project=project)
    return user


def _log_in(page, live_server, username: str) -> None:
    """Open the site logged out and log in through the real form (redirect, CSRF, session)."""
    page.goto(live_server.url + "/")
    page.wait_for_url("**/accounts/login/?next=/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


@pytest.fixture
def calls(transactional_db):
    """Calls over the last five days, in two features; today is inside the default range."""
    project = ProjectFactory(slug="acme", name="Acme Support")
    now = timezone.now()
    rows = []
    for days_ago in range(5):
        moment = now - timedelta(days=days_ago, minutes=5)
        rows.append(
            LLMCallFactory(
                project=project,
                start_time=moment,
                feature="search",
                cost_usd=Decimal("1.25") * (days_ago + 1),
            )
        )
        rows.append(
            LLMCallFactory(
                project=project,
                start_time=moment,
                feature="support-assistant",
                cost_usd=Decimal("0.4"),
            )
        )
    rollups.rebuild(project.pk, *rollups.data_days(project.pk))  # the overview reads rollups
    _member("pat", project)
    return rows


def test_overview_draws_charts_and_totals(page, js_errors, live_server, calls):
    spend = sum(call.cost_usd for call in calls)
    expected_spend = f"${spend.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"
    assert expected_spend == "$20.75"

    _log_in(page, live_server, "pat")
    page.wait_for_url(f"{live_server.url}/p/acme/")
    page.wait_for_function(
        "document.querySelectorAll('[data-chart][data-drawn=\"true\"]').length === 2"
    )

    # Plotly marks the chart element itself with .js-plotly-plot and draws SVG inside it.
    assert page.locator("[data-chart].js-plotly-plot").count() == 2
    assert page.locator("#chart-spend .main-svg .scatterlayer .trace").count() == 1
    assert page.locator("#chart-features .main-svg .barlayer .point").count() == 2
    assert page.inner_text("#kpi-spend") == expected_spend
    assert page.inner_text("#kpi-calls") == str(len(calls))
    assert page.inner_text("#kpi-unpriced") == "0"

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "overview.png"), full_page=True)
    assert js_errors == []


def test_empty_project_shows_setup_in_browser(page, js_errors, live_server, transactional_db):
    _member("erin", ProjectFactory(slug="fresh", name="Fresh Start"))

    _log_in(page, live_server, "erin")
    page.wait_for_url(f"{live_server.url}/p/fresh/")

    empty_state = page.locator("#empty-state")
    assert empty_state.is_visible()
    assert f"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT={live_server.url}/v1/traces" in (
        empty_state.inner_text()
    )
    assert page.locator("[data-chart]").count() == 0
    page.wait_for_load_state("load")
    assert js_errors == []
