"""The trace page: waterfall, cost shares, outcome, the call detail panel, the content rule
(engineer and admin read prompts; viewer and finance do not), links and query count."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django.urls import reverse

from finops.models import Membership
from tests.factories import MembershipFactory, UserFactory
from tests.web.trace_world import ANSWER, QUESTION, SYSTEM, TRACE_ID, build_trace, stored_cost

pytestmark = pytest.mark.django_db
NOW = "2026-11-05T12:00:00Z"


@pytest.fixture
def world(project):
    return build_trace(project)


def _client_as(client, project, role):
    user = UserFactory(username=f"user-{role}")
    MembershipFactory(user=user, project=project, role=role)
    client.force_login(user)
    return client


@pytest.fixture
def engineer_client(client, project):
    return _client_as(client, project, Membership.Role.ENGINEER)


def _url(project, span: str = "") -> str:
    url = reverse("finops:trace-detail", args=[project.slug, TRACE_ID])
    return f"{url}?span={span}" if span else url


def _rows(html: str) -> list[tuple[str, str, str]]:
    return re.findall(r'data-span-id="(\w+)" data-depth="(\d)" data-category="(\w+)"', html)


@time_machine.travel(NOW, tick=False)
def test_waterfall_lists_every_span_depth_first_with_categories(engineer_client, project, world):
    html = engineer_client.get(_url(project)).content.decode()

    assert _rows(html) == [
        (world.root, "0", "other"),
        (world.retrieval, "1", "retrieval"),
        (world.failed, "1", "llm"),
        (world.fallback, "1", "llm"),
        (world.tool, "1", "tool"),
    ]
    # the failed call: 200..900 ms of a 2000 ms trace
    assert "margin-left: 10.000%; width: 35.000%" in html


@time_machine.travel(NOW, tick=False)
def test_trace_cost_and_fallback_share_match_the_stored_calls(engineer_client, project, world):
    response = engineer_client.get(_url(project))
    total = stored_cost(project)

    assert response.context["detail"].cost.total_usd == total
    fallbacks = response.context["detail"].cost.shares[1]
    assert (fallbacks.label, fallbacks.calls, fallbacks.cost_usd) == ("Fallbacks", 1, total)
    assert fallbacks.pct == Decimal("100.0")
    assert f"${total:.6f}" in response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_engineer_sees_prompt_answer_and_truncated_system_prompt(engineer_client, project, world):
    html = engineer_client.get(_url(project, world.fallback)).content.decode()

    assert QUESTION in html
    assert ANSWER in html
    assert "show more" in html and SYSTEM.strip() in html  # whole text inside <details>
    assert 'id="content-hidden"' not in html


@pytest.mark.parametrize("role", [Membership.Role.VIEWER, Membership.Role.FINANCE])
@time_machine.travel(NOW, tick=False)
def test_viewer_and_finance_see_no_prompt_text(client, project, world, role):
    html = _client_as(client, project, role).get(_url(project, world.fallback)).content.decode()

    assert QUESTION not in html
    assert ANSWER not in html
    assert "You are a helpful support agent" not in html
    assert "engineer or admin role" in html
    assert 'id="price-lines"' in html


@time_machine.travel(NOW, tick=False)
def test_price_lines_add_up_to_the_stored_call_cost(engineer_client, project, world):
    response = engineer_client.get(_url(project, world.fallback))
    panel = response.context["panel"]

    lines = [(x.key, x.quantity, x.cost_usd) for x in panel.price.lines if not x.included]
    assert lines == [
        ("input_tokens", 200, Decimal("0.00003")),  # 1200 - 1000 cached, at $0.15 per 1M
        ("cache_read_tokens", 1000, Decimal("0.000075")),  # at $0.075 per 1M
        ("output_tokens", 300, Decimal("0.00018")),  # at $0.60 per 1M
    ]
    assert sum(cost for _, _, cost in lines) == stored_cost(project)
    assert panel.cost_mismatch_usd is None
    html = response.content.decode()
    assert "of which reasoning (billed as output)" in html
    assert 'id="price-source"' in html and "genai-prices" in html


@time_machine.travel(NOW, tick=False)
def test_failed_call_shows_its_exception_and_no_price(engineer_client, project, world):
    html = engineer_client.get(_url(project, world.failed)).content.decode()

    assert "openai.InternalServerError" in html
    assert "Error code: 500" in html
    assert "Traceback (most recent call last)" in html
    assert "Unpriced: no usage reported." in html


@time_machine.travel(NOW, tick=False)
def test_request_parameters_scores_and_outcome_are_shown(engineer_client, project, world):
    response = engineer_client.get(_url(project, world.fallback))
    html = response.content.decode()

    assert response.context["panel"].parameters == {"max_tokens": 512, "temperature": 0.2}
    assert "relevance: 0.80" in html
    assert 'id="trace-outcome">success' in html


@time_machine.travel(NOW, tick=False)
def test_first_llm_call_is_selected_by_default(engineer_client, project, world):
    assert engineer_client.get(_url(project)).context["selected"] == world.failed


@time_machine.travel(NOW, tick=False)
def test_attempt_links_lead_to_previous_and_next_attempt(engineer_client, project, world):
    failed = engineer_client.get(_url(project, world.failed)).context["links"]
    fallback = engineer_client.get(_url(project, world.fallback)).context["links"]

    assert failed["next"] == _url(project, world.fallback) and "previous" not in failed
    assert fallback["previous"] == _url(project, world.failed) and "next" not in fallback


@time_machine.travel(NOW, tick=False)
def test_template_and_customer_links_search_around_the_call_day(engineer_client, project, world):
    links = engineer_client.get(_url(project, world.fallback)).context["links"]

    template, customer = urlparse(links["template"]), urlparse(links["customer"])
    assert template.path == customer.path == reverse("finops:traces", args=[project.slug])
    day = date(2026, 11, 2)
    window = {"start": [str(day - timedelta(days=29))], "end": ["2026-11-05"]}
    assert parse_qs(template.query) == window | {"template": ["answer"]}
    assert parse_qs(customer.query) == window | {"customer": ["cust-42"]}


@time_machine.travel(NOW, tick=False)
def test_span_not_in_trace_says_so(engineer_client, project, world):
    html = engineer_client.get(_url(project, "ffffffffffffffff")).content.decode()

    assert "No span <code>ffffffffffffffff</code> in this trace" in html


def test_unknown_trace_is_404(engineer_client, project, world):
    url = reverse("finops:trace-detail", args=[project.slug, "0" * 32])

    assert engineer_client.get(url).status_code == 404


def test_trace_of_another_project_is_404_for_its_members(client, project, other_project, world):
    response = _client_as(client, other_project, Membership.Role.ADMIN).get(
        reverse("finops:trace-detail", args=[other_project.slug, TRACE_ID])
    )

    assert response.status_code == 404


@time_machine.travel(NOW, tick=False)
def test_trace_page_query_count_is_pinned(
    engineer_client, project, world, django_assert_num_queries
):
    # session, user, project, content role, spans, calls, trace, scores, outcomes, span logs
    with django_assert_num_queries(10):
        engineer_client.get(_url(project, world.fallback))


@time_machine.travel(NOW, tick=False)
def test_huge_trace_shows_the_earliest_spans_and_every_call(
    engineer_client, project, world, monkeypatch
):
    monkeypatch.setattr("finops.trace_detail.MAX_SPANS", 2)
    monkeypatch.setattr("finops.views.trace.MAX_SPANS", 2)

    response = engineer_client.get(_url(project))

    rows = {span_id for span_id, _, _ in _rows(response.content.decode())}
    # root (0 ms) and retrieval (0 ms) are the earliest spans; both calls are always shown
    assert rows == {world.root, world.retrieval, world.failed, world.fallback}
    assert "more than 2 spans" in response.content.decode()
