"""Celery tasks: one-line wrappers around ``finops.rollups`` (STYLE §7)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from finops import rollups

_TASK_OPTIONS = dict(
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    ignore_result=True,
)


@shared_task(**_TASK_OPTIONS)
def refresh_dirty_rollups_task() -> int:
    return rollups.refresh_dirty()
