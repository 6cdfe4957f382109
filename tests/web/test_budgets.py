"""Budgets pages and API: who may read and change budgets, the figures they show (computed
here from the rollup rows written by the test), the alert history and its delivery states."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from finops.models import AlertDelivery, AlertEvent, Budget, Membership
from tests.factories import MembershipFactory, UserFactory, issue_key
from tests.finops.alert_world import at, make_budget, spend

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, project):
    user = MembershipFactory(
        user=UserFactory(username="adele"), project=project, role=Membership.Role.ADMIN
    ).user
    client.force_login(user)
    return client


@pytest.fixture
def november(project):
    """A $1,000 monthly budget on feature "search": $100 on Nov 1-5 (+ $40 elsewhere)."""
    budget = make_budget(project, name="Search", scope="feature", scope_value="search")
    for day in range(1, 6):
        spend(project, date(2026, 11, day), "60.00", feature="search", model="gpt-4o")
        spend(project, date(2026, 11, day), "40.00", feature="search", model="gpt-4o-mini")
        spend(project, date(2026, 11, day), "8.00", feature="other")
    return budget


def _form(**changes) -> dict:
    data = {
        "name": "Support bot",
        "scope": "feature",
        "scope_value": "support-assistant",
        "period": "monthly",
        "amount_usd": "5000",
        "actual_text": "50, 80, 100",
        "forecast_text": "100",
        "recipients": "finance@example.com\ncfo@example.com",
        "webhook_url": "",
        "anomaly_alerts": "on",
        "anomaly_min_impact_usd": "25",
        "is_active": "on",
    }
    data.update(changes)
    return data


# --- pages ---------------------------------------------------------------------------------


def test_viewer_sees_the_list_with_spend_to_date(viewer_client, project, november):
    with at(2026, 11, 5, 18):
        response = viewer_client.get(reverse("finops:budgets", args=["acme"]))

    assert response.status_code == 200
    status = response.context["statuses"][0]
    assert status.spent_usd == Decimal("500.00")  # 5 days x ($60 + $40), "other" left out
    assert status.percent_used == Decimal("50.0")
    assert '<td class="num" data-col="spent">$500.00</td>' in response.content.decode()
    assert b'id="new-budget"' not in response.content


def test_list_runs_a_fixed_number_of_queries(viewer_client, project, django_assert_num_queries):
    for i in range(3):
        make_budget(project, name=f"B{i}", scope="feature", scope_value=f"f{i}")
    make_budget(project, name="Whole", scope="project")
    make_budget(project, name="Customer", scope="customer", scope_value="c-1")
    # session, user, project, role check, budgets, 3 scope kinds of spend, recent alerts (+1
    # prefetch of their deliveries is skipped when there are none).
    with at(2026, 11, 5), django_assert_num_queries(9):
        response = viewer_client.get(reverse("finops:budgets", args=["acme"]))
    assert len(response.context["statuses"]) == 5


def test_empty_list_says_what_to_do(finance_client, project):
    response = finance_client.get(reverse("finops:budgets", args=["acme"]))
    assert b"No budgets yet" in response.content
    assert b"Create the first budget" in response.content


def test_detail_shows_burndown_drivers_and_history(viewer_client, project, november):
    event = AlertEvent.objects.create(
        project=project,
        budget=november,
        kind="actual",
        threshold=50,
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 30),
        budget_usd=Decimal("1000"),
        spent_usd=Decimal("500"),
    )
    AlertDelivery.objects.create(
        event=event,
        channel="email",
        target="finance@example.com",
        attempts=2,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
    )
    with at(2026, 11, 5, 18):
        response = viewer_client.get(reverse("finops:budget-detail", args=["acme", november.pk]))

    assert response.status_code == 200
    fig = response.context["burndown_fig"]
    actual = next(t for t in fig["data"] if t["name"] == "Actual")
    assert actual["y"] == [100.0, 200.0, 300.0, 400.0, 500.0]
    assert actual["customdata"][0].startswith("/p/acme/traces/?start=2026-11-01&end=2026-11-01")
    assert {t["name"] for t in fig["data"]} >= {"Budget", "Forecast", "80% range"}
    drivers = [(r["driver"].dimension, r["driver"].value) for r in response.context["drivers"]]
    assert drivers[:2] == [("model", "gpt-4o"), ("model", "gpt-4o-mini")]
    html = response.content.decode()
    assert 'data-state="failed"' in html and "Connection unexpectedly closed" in html
    assert "finance@example.com" in html


@pytest.mark.parametrize("name", ["finops:budget-new", "finops:budget-edit"])
def test_viewer_cannot_open_the_forms(viewer_client, project, november, name):
    args = ["acme"] if name.endswith("new") else ["acme", november.pk]
    assert viewer_client.get(reverse(name, args=args)).status_code == 404
    assert viewer_client.post(reverse(name, args=args), _form()).status_code == 404
    assert Budget.objects.count() == 1


def test_finance_creates_a_budget(finance_client, project, carol):
    response = finance_client.post(reverse("finops:budget-new", args=["acme"]), _form())

    budget = Budget.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("finops:budget-detail", args=["acme", budget.pk])
    assert (budget.actual_thresholds, budget.forecast_thresholds) == ([50, 80, 100], [100])
    assert budget.recipient_list() == ["finance@example.com", "cfo@example.com"]
    assert (budget.amount_usd, budget.owner) == (Decimal("5000.00"), carol)


def test_form_explains_bad_values(finance_client, project):
    data = _form(
        actual_text="50, lots", recipients="not-an-address", scope_value="", amount_usd="0"
    )
    response = finance_client.post(reverse("finops:budget-new", args=["acme"]), data)

    errors = response.context["form"].errors
    assert "'lots' is not a whole percentage from 1 to 1000" in errors["actual_text"][0]
    assert errors["recipients"] == ["'not-an-address' is not an email address."]
    assert errors["scope_value"] == ["Name the feature, segment, customer, model or template."]
    assert errors["amount_usd"] == ["The amount must be more than $0."]
    assert not Budget.objects.exists()


def test_admin_edits_and_pauses_a_budget(admin_client, project, november):
    url = reverse("finops:budget-edit", args=["acme", november.pk])
    data = _form(name="Search", scope_value="search", amount_usd="1500", is_active="")
    response = admin_client.post(url, data)

    november.refresh_from_db()
    assert response.status_code == 302
    assert (november.amount_usd, november.is_active) == (Decimal("1500.00"), False)


# --- API -----------------------------------------------------------------------------------


def test_api_lists_budgets_with_status_for_a_key(client, project, november):
    key = issue_key(project)
    with at(2026, 11, 5, 18):
        response = client.get(reverse("api:budget-list"), headers={"x-api-key": key})

    [row] = response.json()
    assert row["name"] == "Search" and row["scope_value"] == "search"
    assert row["recipients"] == ["finance@example.com", "cfo@example.com"]
    assert row["status"]["spent_usd"] == "500.00"
    assert row["status"]["percent_used"] == "50.0"
    assert row["status"]["period_first"] == "2026-11-01"


def test_api_create_needs_finance_or_admin(viewer_client, project):
    body = {"name": "Bot", "scope": "project", "amount_usd": "100.00"}
    response = viewer_client.post(reverse("api:budget-list"), body, content_type="application/json")
    assert response.status_code == 403
    assert not Budget.objects.exists()


def test_api_keys_cannot_change_budgets(client, project):
    key = issue_key(project)
    body = {"name": "Bot", "scope": "project", "amount_usd": "100.00"}
    response = client.post(
        reverse("api:budget-list"),
        body,
        content_type="application/json",
        headers={"x-api-key": key},
    )
    assert response.status_code == 403


def test_api_finance_creates_and_updates(finance_client, project):
    body = {
        "name": "Bot",
        "scope": "segment",
        "scope_value": "enterprise",
        "period": "weekly",
        "amount_usd": "250.50",
        "actual_thresholds": [100, 50, 50],
        "recipients": ["a@example.com"],
    }
    created = finance_client.post(reverse("api:budget-list"), body, content_type="application/json")
    assert created.status_code == 201, created.json()
    budget = Budget.objects.get()
    assert (budget.actual_thresholds, budget.forecast_thresholds) == ([50, 100], [100])

    url = reverse("api:budget-detail", args=[budget.pk])
    patched = finance_client.patch(url, {"amount_usd": "300"}, content_type="application/json")
    assert patched.status_code == 200
    assert patched.json()["amount_usd"] == "300.00"


def test_api_rejects_a_scope_without_value(finance_client, project):
    body = {"name": "Bot", "scope": "feature", "amount_usd": "10"}
    response = finance_client.post(
        reverse("api:budget-list"), body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"scope_value": ["required for this scope"]}


def test_api_lists_alerts_with_deliveries(viewer_client, project, november):
    other = make_budget(project, name="Other")
    for budget in (november, other):
        event = AlertEvent.objects.create(
            project=project,
            budget=budget,
            kind="forecast",
            threshold=100,
            period_start=date(2026, 11, 1),
            period_end=date(2026, 11, 30),
            budget_usd=Decimal("1000"),
            spent_usd=Decimal("300"),
            forecast_usd=Decimal("1200"),
            created_at=timezone.now(),
        )
        AlertDelivery.objects.create(event=event, channel="email", target="x@example.com")

    response = viewer_client.get(reverse("api:alert-list"), {"budget": november.pk})

    [row] = response.json()["results"]
    assert (row["budget_name"], row["kind"], row["forecast_usd"]) == (
        "Search",
        "forecast",
        "1200.00",
    )
    assert row["deliveries"][0]["state"] == "pending"
