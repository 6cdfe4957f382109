"""GET /api/v1/traces/{trace_id}/: spans in waterfall order, calls with price lines, and the
content rule (engineers and admins signed in, with ?include=content; never an API key)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from finops.models import Membership
from tests.factories import MembershipFactory, UserFactory, issue_key
from tests.web.trace_world import ANSWER, QUESTION, TRACE_ID, build_trace, stored_cost

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(project):
    return build_trace(project)


def _url(query: str = "") -> str:
    return reverse("api:trace-detail", args=[TRACE_ID]) + (f"?{query}" if query else "")


def _login(client, project, role):
    user = UserFactory(username=f"api-{role}")
    MembershipFactory(user=user, project=project, role=role)
    client.force_login(user)
    return client


def test_trace_lists_spans_in_waterfall_order_with_call_fields(client, api_key, world):
    body = client.get(_url(), headers={"x-api-key": api_key}).json()

    assert [(s["span_id"], s["depth"], s["category"]) for s in body["spans"]] == [
        (world.root, 0, "other"),
        (world.retrieval, 1, "retrieval"),
        (world.failed, 1, "llm"),
        (world.fallback, 1, "llm"),
        (world.tool, 1, "tool"),
    ]
    failed = body["spans"][2]
    assert (failed["status_code"], failed["offset_pct"], failed["width_pct"]) == (2, 10.0, 35.0)
    assert failed["call"]["cost_usd"] is None
    assert failed["call"]["error_type"] == "openai.InternalServerError"
    assert body["spans"][0]["call"] is None


def test_trace_cost_and_price_lines_add_up_to_the_stored_calls(client, api_key, project, world):
    body = client.get(_url(), headers={"x-api-key": api_key}).json()
    total = stored_cost(project)

    assert Decimal(body["cost_usd"]) == total
    price = body["spans"][3]["call"]["price"]
    billed = [Decimal(x["cost_usd"]) for x in price["lines"] if not x["included"]]
    assert sum(billed) == Decimal(price["total_usd"]) == total
    assert [x["key"] for x in price["lines"]] == [
        "input_tokens",
        "cache_read_tokens",
        "output_tokens",
        "reasoning_tokens",
    ]
    assert body["shares"][1] == {
        "label": "Fallbacks",
        "calls": 1,
        "cost_usd": f"{total:.10f}",
        "pct": "100.0",
    }
    assert (body["outcome"], body["quality_score"]) == ("success", 0.8)


def test_api_key_gets_no_content_and_cannot_ask_for_it(client, api_key, world):
    plain = client.get(_url(), headers={"x-api-key": api_key})
    asked = client.get(_url("include=content"), headers={"x-api-key": api_key})

    assert all(span["content"] is None for span in plain.json()["spans"])
    assert QUESTION not in plain.content.decode()
    assert asked.status_code == 403
    assert QUESTION not in asked.content.decode()


def test_engineer_reads_content_when_asked(client, project, world):
    _login(client, project, Membership.Role.ENGINEER)

    body = client.get(_url(f"project={project.slug}&include=content")).json()

    fallback = body["spans"][3]
    assert fallback["content"]["input"][-1] == {"role": "user", "text": QUESTION}
    assert fallback["content"]["output"] == [{"role": "assistant", "text": ANSWER}]


@pytest.mark.parametrize("role", [Membership.Role.VIEWER, Membership.Role.FINANCE])
def test_viewer_and_finance_are_refused_content(client, project, world, role):
    _login(client, project, role)

    asked = client.get(_url(f"project={project.slug}&include=content"))
    plain = client.get(_url(f"project={project.slug}"))

    assert asked.status_code == 403
    assert plain.status_code == 200
    assert QUESTION not in plain.content.decode()


def test_unknown_trace_is_404(client, api_key, world):
    url = reverse("api:trace-detail", args=["f" * 32])

    response = client.get(url, headers={"x-api-key": api_key})

    assert response.status_code == 404
    assert "f" * 32 not in response.content.decode()


def test_api_key_of_another_project_gets_404(client, other_project, world):
    response = client.get(_url(), headers={"x-api-key": issue_key(other_project)})

    assert response.status_code == 404
    assert TRACE_ID not in response.content.decode()
