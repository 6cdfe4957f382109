"""Celery tasks: one-line wrappers around ``finops.rollups``, ``finops.alerts`` and
``finops.delivery`` (STYLE §7)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from config.celery import TASK_OPTIONS
from finops import alerts, delivery, rollups

# Delivery also retries what the network throws (SMTP, connection, timeout, HTTP errors),
# with the same backoff; the delivery row records each attempt, so nothing is lost after
# the last retry either: the next evaluation pass queues it again.
ALERT_TASK_OPTIONS = {
    **TASK_OPTIONS,
    "autoretry_for": (*TASK_OPTIONS["autoretry_for"], *delivery.RETRYABLE),
}


@shared_task(**TASK_OPTIONS)
def refresh_dirty_rollups_task() -> int:
    return rollups.refresh_dirty()


@shared_task(**TASK_OPTIONS)
def evaluate_budgets_task() -> int:
    return len(alerts.evaluate_budgets(timezone.now()).fired)


@shared_task(**ALERT_TASK_OPTIONS)
def send_alert_task(event_id: int) -> int:
    return delivery.send_event(event_id)
