"""Celery tasks: one-line wrappers around ``ingest.finalize`` (STYLE §7)."""

from __future__ import annotations

from celery import shared_task

from config.celery import TASK_OPTIONS
from ingest import finalize


@shared_task(**TASK_OPTIONS)
def finalize_traces_task(project_id: int, trace_ids: list[str]) -> int:
    return finalize.finalize_traces(project_id, set(trace_ids))


@shared_task(**TASK_OPTIONS)
def finalize_idle_traces_task() -> int:
    return finalize.finalize_idle_traces()
