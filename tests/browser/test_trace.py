"""The trace page in a real browser: from the Traces search to a trace, then to a call's
detail with its price lines and prompt (as an engineer), with no JavaScript errors."""

from __future__ import annotations

import pytest

from finops.models import Membership
from tests.browser.test_overview import PASSWORD, _log_in
from tests.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.web.trace_world import ANSWER, QUESTION, TRACE_ID, build_trace

pytestmark = pytest.mark.browser


@pytest.fixture
def world(transactional_db):
    project = ProjectFactory(slug="acme", name="Acme Support")
    user = UserFactory(username="erin", password=PASSWORD)
    MembershipFactory(user=user, project=project, role=Membership.Role.ENGINEER)
    return build_trace(project)


def test_open_trace_from_search_then_a_call(page, js_errors, live_server, world):
    _log_in(page, live_server, "erin")
    page.wait_for_url(f"{live_server.url}/p/acme/")
    page.goto(f"{live_server.url}/p/acme/traces/?start=2026-11-01&end=2026-11-03")

    page.click(f'#calls tr[data-span-id="{world.fallback}"] a.mono')
    page.wait_for_url(f"{live_server.url}/p/acme/traces/{TRACE_ID}/")
    rows = page.locator("#waterfall > li")
    assert rows.count() == 5
    assert rows.nth(3).get_attribute("data-category") == "llm"

    page.click(f'#waterfall li[data-span-id="{world.fallback}"] a')
    page.wait_for_url(f"**/traces/{TRACE_ID}/?span={world.fallback}")
    assert page.locator("#price-lines tbody tr").count() == 4
    assert page.locator("#price-total").inner_text() == "$0.000285"
    assert page.locator("#call-content").get_by_text(QUESTION).is_visible()
    assert page.locator("#call-content").get_by_text(ANSWER).is_visible()

    page.click("#call-content details.message-long summary")  # "show more" without script
    assert page.locator("#call-content details.message-long[open]").count() == 1

    page.click("#previous-attempt")
    page.wait_for_url(f"**/traces/{TRACE_ID}/?span={world.failed}")
    assert "openai.InternalServerError" in page.locator("#call-detail").inner_text()
    assert js_errors == []
