"""In the embedded default (no broker, no beat) an export reaches the daily rollups at once."""

from __future__ import annotations

import pytest
from django.db.models import Sum
from django.urls import reverse

from finops.models import DailyOutcomeRollup, DailyRollup, DirtyDay
from ingest.models import LLMCall
from tests.otlp_payloads import SpanSpec, chat_span, protobuf_body, span_id

pytestmark = pytest.mark.django_db

ROOT = span_id(100)


def test_export_is_rolled_up_once_committed(
    client, project, api_key, django_capture_on_commit_callbacks
):
    body = protobuf_body(
        chat_span(span_id(1), parent=ROOT, finops__template="answer"),
        chat_span(span_id(2), parent=ROOT, model="gpt-4o", finops__template="answer"),
        SpanSpec(
            span_id=ROOT,
            name="POST /answer",
            attributes={"finops.feature": "support", "finops.outcome": "success"},
        ),
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("ingest:otlp-traces"),
            body,
            content_type="application/x-protobuf",
            HTTP_AUTHORIZATION=f"Bearer {api_key}",
        )

    assert response.status_code == 200
    rolled = DailyRollup.objects.filter(project=project).aggregate(
        calls=Sum("calls"), cost=Sum("cost_usd")
    )
    assert rolled["calls"] == 2
    assert rolled["cost"] == LLMCall.objects.aggregate(cost=Sum("cost_usd"))["cost"]
    outcome = DailyOutcomeRollup.objects.get(project=project)
    assert (outcome.feature, outcome.outcomes, outcome.successes) == ("support", 1, 1)
    assert not DirtyDay.objects.exists()
