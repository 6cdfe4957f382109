"""Finalizing traces through a real Celery worker on the configured broker (CI: Redis)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.urls import reverse

from config.celery import app as celery_app
from ingest.models import LLMCall, Trace
from tests.otlp_payloads import SpanSpec, protobuf_body

ROOT = Path(__file__).resolve().parent.parent
TRACE = "7a3f" * 8

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not django_settings.CELERY_BROKER_URL, reason="needs CELERY_BROKER_URL (CI sets Redis)"
    ),
]


def _post(client, key, *spans):
    response = client.post(
        reverse("ingest:otlp-traces"),
        protobuf_body(*spans),
        content_type="application/x-protobuf",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 200


@pytest.fixture
def worker():
    if connection.vendor != "postgresql":
        pytest.skip("the worker process needs a database it can share (PostgreSQL)")
    environ = dict(os.environ)
    db = connection.settings_dict
    environ["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=environ,
    )
    yield process
    process.terminate()
    process.wait(timeout=20)


def test_late_parent_is_attributed_by_the_worker(client, project, api_key, settings, worker):
    settings.TRACE_IDLE_SECONDS = 0
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    child = SpanSpec(
        trace_id=TRACE,
        span_id="00000000000000c1",
        parent="00000000000000a1",
        name="chat gpt-4o-mini",
        attributes={
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.usage.input_tokens": 100,
            "gen_ai.usage.output_tokens": 10,
        },
    )
    root = SpanSpec(
        trace_id=TRACE,
        span_id="00000000000000a1",
        name="POST /answer",
        attributes={"finops.feature": "support-assistant"},
    )

    _post(client, api_key, child)
    _post(client, api_key, root)

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        trace = Trace.objects.filter(trace_id=TRACE).first()
        if trace is not None and not trace.needs_finalize and trace.root_span_id:
            break
        time.sleep(0.2)
    assert worker.poll() is None, "the worker died"
    assert trace.root_name == "POST /answer"
    assert trace.feature == "support-assistant"
    assert LLMCall.objects.get(trace_id=TRACE).feature == "support-assistant"
