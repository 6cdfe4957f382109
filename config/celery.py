from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab
from django.conf import settings
from django.db import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("llm_finops")

# Options every task of the project takes (STYLE §7): run again after a worker crash, retry
# only transient database errors, with backoff; results are not kept.
TASK_OPTIONS = dict(
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    ignore_result=True,
)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _every_minutes(minutes: int, offset: int) -> crontab:
    """Every ``minutes`` (1-60) starting at minute ``offset`` of the hour, so periodic jobs
    do not all start on the same minute."""
    minutes = min(max(minutes, 1), 60)
    if minutes >= 60:
        return crontab(minute=str(offset % 60))
    return crontab(minute=f"{offset % minutes}-59/{minutes}")


_budget_minutes = min(max(settings.BUDGET_EVALUATE_MINUTES, 1), 60)

# Periodic jobs live here as code (STYLE §7); each entry says why and how often.
app.conf.beat_schedule = {
    # Safety net for finalize tasks lost to a worker restart; each run takes idle traces only.
    "finalize-idle-traces": {
        "task": "ingest.tasks.finalize_idle_traces_task",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    # Dashboards read rollups: recompute the days ingest marked dirty, every minute, so a
    # finalized trace shows within about two minutes; a run that would start late is dropped.
    "refresh-dirty-rollups": {
        "task": "finops.tasks.refresh_dirty_rollups_task",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    # Budget thresholds, forecasts and anomalies (BUDGET_EVALUATE_MINUTES, default every 5
    # minutes from :02, after the rollup refresh); a run that would start late is dropped.
    "evaluate-budgets": {
        "task": "finops.tasks.evaluate_budgets_task",
        "schedule": _every_minutes(_budget_minutes, offset=2),
        "options": {"expires": _budget_minutes * 60 - 5},
    },
}
