from __future__ import annotations

import re
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from finops.models import ApiKey
from ingest.models import LLMCall, Span
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

SENT = re.compile(r"Sent (\d+) traces .*: (\d+) spans, (\d+) LLM calls, (\d+) app-cache hits")


def _simulate(**options) -> tuple[int, int, int]:
    out = StringIO()
    call_command("simulate", stdout=out, verbosity=0, **options)
    traces, spans, calls, cache_hits = map(int, SENT.search(out.getvalue()).groups())
    # An app-cache hit is stored as a free call row (cost 0), next to the model calls.
    return traces, spans, calls + cache_hits


def test_simulate_through_live_server_stores_every_span_and_call(live_server, project, api_key):
    traces, spans, calls = _simulate(
        project=project.slug, days=7, traces=40, seed=3, endpoint=live_server.url, key=api_key
    )

    assert traces == 40
    assert Span.objects.for_project(project.pk).count() == spans
    assert LLMCall.objects.for_project(project.pk).count() == calls


def test_simulated_calls_are_attributed_and_span_providers(live_server, project, api_key):
    _simulate(
        project=project.slug, days=7, traces=60, seed=5, endpoint=live_server.url, key=api_key
    )
    stored = LLMCall.objects.for_project(project.pk)

    assert not stored.filter(feature="").exists()
    assert not stored.filter(segment="").exists()
    assert set(stored.values_list("segment", flat=True)) <= {"enterprise", "smb", "free"}
    assert {"openai", "anthropic"} <= set(stored.values_list("provider", flat=True))
    assert stored.exclude(cost_usd=None).exists()


def test_overview_totals_equal_sum_of_simulated_calls(live_server, client, project, api_key):
    _simulate(
        project=project.slug, days=10, traces=50, seed=11, endpoint=live_server.url, key=api_key
    )
    client.force_login(MembershipFactory(user=UserFactory(), project=project).user)

    response = client.get(reverse("finops:overview", args=[project.slug]))

    rows = list(LLMCall.objects.for_project(project.pk))
    totals = response.context["totals"]
    assert totals["calls"] == len(rows)
    assert totals["spend_usd"] == sum((r.cost_usd for r in rows if r.cost_usd), Decimal(0))
    assert totals["unpriced"] == sum(1 for r in rows if r.cost_usd is None)
    assert response.context["tokens"] == sum(r.input_tokens + r.output_tokens for r in rows)


def test_resimulating_same_seed_changes_nothing(live_server, project, api_key):
    options = dict(
        project=project.slug, days=3, traces=15, seed=21, endpoint=live_server.url, key=api_key
    )
    _simulate(**options)
    before = LLMCall.objects.for_project(project.pk).totals()

    _simulate(**options)

    assert LLMCall.objects.for_project(project.pk).totals() == before


def test_simulate_in_process_endpoint_removes_its_temporary_key(project):
    keys_before = ApiKey.objects.count()

    _, spans, calls = _simulate(project=project.slug, days=2, traces=10)

    assert Span.objects.for_project(project.pk).count() == spans
    assert LLMCall.objects.for_project(project.pk).count() == calls
    assert ApiKey.objects.count() == keys_before


def test_simulate_with_wrong_key_fails_with_the_receivers_message(live_server, project):
    with pytest.raises(CommandError, match=r"401.*invalid"):
        _simulate(project=project.slug, traces=1, endpoint=live_server.url, key="lfo_wrong")


def test_simulate_unknown_project_fails_clearly(db):
    with pytest.raises(CommandError, match="no project 'nope'"):
        _simulate(project="nope", traces=1)
