"""Helpers for the budget and alert tests: spend written straight into the rollups (the only
thing evaluation reads), a real SMTP server on loopback, and time travel."""

from __future__ import annotations

import socket
import threading
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from email import message_from_bytes, policy

import time_machine
from aiosmtpd.controller import Controller
from django.utils import timezone

from finops import alerts
from finops.models import Budget, DailyCustomerRollup, DailyRollup


def spend(project, day: date, usd: str, **dims) -> None:
    """Add ``usd`` to the rollup group of ``dims`` (feature, segment, model, template) on
    ``day``; ``customer=`` writes the customer rollup instead."""
    if "customer" in dims:
        row, _ = DailyCustomerRollup.objects.get_or_create(
            project=project,
            day=day,
            customer=dims["customer"],
            feature=dims.get("feature", ""),
            segment=dims.get("segment", ""),
        )
    else:
        keys = {k: dims.get(k, "") for k in ("feature", "segment", "model", "template")}
        row, _ = DailyRollup.objects.get_or_create(project=project, day=day, **keys)
    row.cost_usd += Decimal(usd)
    row.calls += 1
    row.save()


def make_budget(project, **fields) -> Budget:
    values = {
        "name": "Support bot",
        "amount_usd": Decimal("1000.00"),
        "recipients": "finance@example.com\ncfo@example.com",
        "actual_thresholds": [50, 80, 100],
        "forecast_thresholds": [],
        "anomaly_alerts": False,
    }
    values.update(fields)
    return Budget.objects.create(project=project, **values)


def at(year: int, month: int, day: int, hour: int = 12):
    """Freeze time at that UTC moment."""
    return time_machine.travel(datetime(year, month, day, hour, tzinfo=UTC), tick=False)


def evaluate(capture) -> alerts.EvaluationResult:
    """One evaluation pass at the frozen time, running the on-commit deliveries."""
    with capture(execute=True):
        return alerts.evaluate_budgets(timezone.now())


class Inbox:
    """aiosmtpd handler keeping every message it accepted."""

    def __init__(self) -> None:
        self.messages = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls this by name
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    @property
    def subjects(self) -> list[str]:
        # The parser keeps the space that folds a long encoded header onto its own line.
        return [str(message["Subject"]).strip() for _, message in self.messages]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def smtp_server(inbox: Inbox, port: int):
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


def use_smtp(settings, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5


def text_body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()
