from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab
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
}
