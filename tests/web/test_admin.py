"""Django admin works for every registered model (changelist, and add where allowed)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from finops.models import (
    AttributeAlias,
    DailyCustomerRollup,
    DailyOutcomeRollup,
    DailyRollup,
    DirtyDay,
    SavedSearch,
)
from ingest.models import Outcome, Score, SpanLog, Trace
from tests.factories import LLMCallFactory, SpanFactory, UserFactory, issue_key

pytestmark = pytest.mark.django_db

MODELS = [
    (model._meta.app_label, model._meta.model_name)
    for model in admin.site._registry
    if model._meta.app_label in {"finops", "ingest"}
]


@pytest.fixture
def admin_client(client, project, alice):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    issue_key(project)
    LLMCallFactory(project=project)
    SpanFactory(project=project)
    AttributeAlias.objects.create(project=project, attribute_key="app.tier", dimension="segment")
    Trace.objects.create(project=project, trace_id="ab" * 16, last_span_at=timezone.now())
    SpanLog.objects.create(
        project=project,
        trace_id="ab" * 16,
        span_id="cd" * 8,
        time=timezone.now(),
        event_name="gen_ai.choice",
        fingerprint="f" * 64,
    )
    Outcome.objects.create(
        project=project,
        trace_id="ab" * 16,
        name="ticket_resolved",
        success=True,
        idempotency_key="ticket-1",
        occurred_at=timezone.now(),
    )
    Score.objects.create(
        project=project,
        trace_id="ab" * 16,
        name="relevance",
        value=0.5,
        source="eval",
        idempotency_key="score-1",
    )
    day = timezone.now().date()
    DirtyDay.mark(project.pk, [day])
    DailyRollup.objects.create(project=project, day=day, calls=1, latency_sketch=[0, 1])
    DailyOutcomeRollup.objects.create(project=project, day=day, traces=1)
    DailyCustomerRollup.objects.create(project=project, day=day, customer="acme", calls=1)
    SavedSearch.objects.create(project=project, user=user, name="errors", query="status=error")
    return client


def test_every_project_model_is_registered():
    assert {name for _, name in MODELS} == {
        "project",
        "membership",
        "apikey",
        "attributealias",
        "span",
        "llmcall",
        "trace",
        "spanlog",
        "outcome",
        "score",
        "dirtyday",
        "dailyrollup",
        "dailyoutcomerollup",
        "dailycustomerrollup",
        "savedsearch",
    }


@pytest.mark.parametrize(("app", "model"), MODELS)
def test_admin_changelist_and_change_page_render(admin_client, app, model):
    changelist = admin_client.get(reverse(f"admin:{app}_{model}_changelist"))
    registered = next(m for m in admin.site._registry if m._meta.model_name == model)
    obj = registered.objects.first()
    change = admin_client.get(reverse(f"admin:{app}_{model}_change", args=[obj.pk]))

    assert changelist.status_code == 200
    assert change.status_code == 200
