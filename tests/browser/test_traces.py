"""The Traces search in a real browser: type filters in the form, submit, see only the
matching calls, sort by a header, save the search; the histogram draws; no JavaScript errors."""

from __future__ import annotations

import pytest

from tests.browser.test_overview import _log_in, _member
from tests.factories import ProjectFactory
from tests.finops import search_data as data

pytestmark = pytest.mark.browser


@pytest.fixture
def world(transactional_db):
    project = ProjectFactory(slug="acme", name="Acme Support")
    other = ProjectFactory(slug="other", name="Other Co")
    calls = data.build(project, other)
    _member("sam", project)
    return calls


def _shown(page) -> set[str]:
    return set(page.locator("#calls tbody tr").evaluate_all("rs => rs.map(r => r.dataset.spanId)"))


def test_type_filters_submit_and_see_the_matching_calls(page, js_errors, live_server, world):
    _log_in(page, live_server, "sam")
    page.wait_for_url(f"{live_server.url}/p/acme/")
    page.click("nav >> text=Traces")
    page.wait_for_url(f"{live_server.url}/p/acme/traces/")

    page.fill("#search-form input[name=start]", "2026-11-01")
    page.fill("#search-form input[name=end]", "2026-11-03")
    page.fill("#search-form input[name=feature]", "support")
    page.select_option("#search-form select[name=status]", "error")
    page.click("#search-form button[type=submit]")
    page.wait_for_url("**/traces/?*feature=support*")
    assert _shown(page) == {data.span_id_of("c02"), data.span_id_of("c17")}
    assert page.locator("#total-calls").inner_text() == "2"

    page.fill("#search-form input[name=feature]", "")
    page.select_option("#search-form select[name=status]", "")
    page.fill("#search-form input[name=q]", "refund")
    page.click("#search-form button[type=submit]")
    page.wait_for_url("**/traces/?*q=refund*")
    assert _shown(page) == {data.span_id_of("c01"), data.span_id_of("c06")}

    page.click("#calls th >> text=Cost")  # most expensive first
    page.wait_for_url("**sort=-cost*")
    first = page.locator("#calls tbody tr").first.get_attribute("data-span-id")
    assert first == data.span_id_of("c06")

    page.fill("#save-search input[name=name]", "Refunds")
    page.click("#save-search button[type=submit]")
    page.wait_for_url("**/traces/?*q=refund*")
    assert page.locator(".saved-searches a", has_text="Refunds").count() == 1
    page.wait_for_selector("[data-chart='fig-latency'][data-drawn='true']")
    assert js_errors == []
