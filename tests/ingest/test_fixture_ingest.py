"""Real instrumentation payloads (tests/data/otlp) sent through the receiver end to end: each
provider call is stored once, with usage, whatever number of spans the libraries emitted."""

from __future__ import annotations

import base64
import json
from collections import Counter
from pathlib import Path

import pytest

from ingest.models import LLMCall

DATA = Path(__file__).resolve().parents[1] / "data" / "otlp"
LIBRARIES = sorted(p.name for p in DATA.iterdir() if (p / "truth.json").exists())

pytestmark = pytest.mark.django_db


def _send(client, project, key: str, library: str) -> dict:
    truth = json.loads((DATA / library / "truth.json").read_text())
    for fixture in truth["fixtures"]:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
        if fixture.get("auth_scheme") == "Basic":  # the Langfuse SDK, unchanged
            basic = base64.b64encode(f"{project.slug}:{key}".encode()).decode()
            headers = {"HTTP_AUTHORIZATION": f"Basic {basic}"}
        response = client.post(
            fixture["path"],
            (DATA / library / fixture["file"]).read_bytes(),
            content_type=fixture["content_type"],
            **headers,
        )
        assert response.status_code == 200, (fixture["file"], response.content)
    return truth


def _successful(truth: dict) -> list[dict]:
    # A 429 the client retried by itself leaves no span: only answered calls are facts.
    return [call for call in truth["calls"] if not call["failed"]]


@pytest.mark.parametrize("library", LIBRARIES)
def test_each_answered_provider_call_is_stored_once_with_usage(client, project, api_key, library):
    truth = _send(client, project, api_key, library)

    stored = LLMCall.objects.for_project(project.pk).filter(has_usage=True)

    assert stored.count() == len(_successful(truth))
    assert not stored.filter(cost_usd__isnull=True).exists()


@pytest.mark.parametrize("library", ["langfuse", "langfuse-v3", "anthropic-sdk", "openinference"])
def test_stored_usage_equals_what_the_provider_returned(client, project, api_key, library):
    truth = _send(client, project, api_key, library)
    fields = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")

    stored = Counter(
        LLMCall.objects.for_project(project.pk).filter(has_usage=True).values_list(*fields)
    )

    expected = Counter(tuple(call["expected"][f] for f in fields) for call in _successful(truth))
    assert stored == expected
