"""Celery tasks: one-line wrappers around ``ingest.finalize`` (STYLE §7)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from ingest import finalize

_TASK_OPTIONS = dict(
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    ignore_result=True,
)


@shared_task(**_TASK_OPTIONS)
def finalize_traces_task(project_id: int, trace_ids: list[str]) -> int:
    return finalize.finalize_traces(project_id, set(trace_ids))


@shared_task(**_TASK_OPTIONS)
def finalize_idle_traces_task() -> int:
    return finalize.finalize_idle_traces()
