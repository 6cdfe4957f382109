"""Alert delivery through a real Celery worker on the configured broker (CI: Redis): the
worker's send fails while SMTP is down, Celery retries it with backoff, and the email goes out
once when the server (aiosmtpd on loopback) comes back."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from config.celery import app as celery_app
from finops import alerts
from finops.models import AlertDelivery
from tests.factories import ProjectFactory
from tests.finops.alert_world import Inbox, free_port, make_budget, smtp_server, spend

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not django_settings.CELERY_BROKER_URL, reason="needs CELERY_BROKER_URL (CI sets Redis)"
    ),
]


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def worker(smtp_port):
    if connection.vendor != "postgresql":
        pytest.skip("the worker process needs a database it can share (PostgreSQL)")
    db = connection.settings_dict
    environ = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_USE_TLS": "false",
        "EMAIL_TIMEOUT": "5",
    }
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo"]
    command += ["--without-heartbeat", "--without-gossip", "--without-mingle"]
    process = subprocess.Popen([*command, "--loglevel", "WARNING"], cwd=ROOT, env=environ)
    yield process
    process.terminate()
    process.wait(timeout=20)


def _wait_for(predicate, timeout_s: float = 60):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_worker_retries_a_failed_send_and_delivers_once(smtp_port, worker):
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    project = ProjectFactory(slug="acme")
    make_budget(project, actual_thresholds=[50])
    spend(project, timezone.now().date(), "600.00")

    alerts.evaluate_budgets(timezone.now())  # commits; the task goes to the broker

    delivery = lambda: AlertDelivery.objects.get()  # noqa: E731
    assert _wait_for(lambda: delivery().attempts >= 2), "the worker did not retry"
    assert delivery().sent_at is None and "Connection refused" in delivery().last_error
    inbox = Inbox()
    with smtp_server(inbox, smtp_port):
        assert _wait_for(lambda: delivery().sent_at is not None), "never delivered"
        time.sleep(1)  # a duplicate would arrive now, if there were one
    assert worker.poll() is None, "the worker died"
    assert len(inbox.messages) == 1
    assert inbox.subjects[0].startswith("[llm-finops] Budget 50% reached: Support bot")
