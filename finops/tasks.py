"""Celery tasks: one-line wrappers around ``finops.rollups`` (STYLE §7)."""

from __future__ import annotations

from celery import shared_task

from config.celery import TASK_OPTIONS
from finops import rollups


@shared_task(**TASK_OPTIONS)
def refresh_dirty_rollups_task() -> int:
    return rollups.refresh_dirty()
