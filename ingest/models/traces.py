"""One Trace row per trace: its root, attribution, outcome and what its calls cost."""

from __future__ import annotations

from django.db import models
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from ingest.models.base import ProjectScopedQuerySet


class TraceQuerySet(ProjectScopedQuerySet):
    def needing_finalize(self) -> TraceQuerySet:
        return self.filter(needs_finalize=True)

    def outcome_totals(self) -> dict:
        """One dict of ints: traces, outcomes, successes, human_escalations."""
        return self.aggregate(
            traces=Count("id"),
            outcomes=Count("id", filter=~Q(outcome="")),
            successes=Count("id", filter=Q(outcome="success")),
            human_escalations=Coalesce(Sum("human_escalations"), 0),
        )


class Trace(models.Model):
    """One row per trace: attribution of its root, outcome and what its calls cost.

    Written when spans arrive (``needs_finalize``) and completed by ``ingest.finalize`` once
    the trace is idle; re-finalized whenever more of its spans arrive.
    """

    project = models.ForeignKey("finops.Project", on_delete=models.CASCADE)
    trace_id = models.CharField(max_length=32)
    root_span_id = models.CharField(max_length=16, blank=True)
    root_name = models.CharField(max_length=500, blank=True)
    start_time = models.DateTimeField(null=True, blank=True)
    duration_ms = models.FloatField(default=0)
    feature = models.CharField(max_length=200, blank=True)
    segment = models.CharField(max_length=200, blank=True)
    customer = models.CharField(max_length=200, blank=True)
    session = models.CharField(max_length=200, blank=True)
    cost_usd = models.DecimalField(max_digits=20, decimal_places=10, default=0)
    unpriced_calls = models.PositiveIntegerField(default=0)
    calls = models.PositiveIntegerField(default=0)
    retries = models.PositiveIntegerField(default=0)
    fallbacks = models.PositiveIntegerField(default=0)
    model_escalations = models.PositiveIntegerField(default=0)
    human_escalations = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    cache_hits = models.PositiveIntegerField(default=0)
    avoided_cost_usd = models.DecimalField(max_digits=20, decimal_places=10, default=0)
    retry_cost_usd = models.DecimalField(max_digits=20, decimal_places=10, default=0)
    outcome = models.CharField(max_length=8, blank=True, help_text="success, failure or empty")
    outcome_name = models.CharField(max_length=200, blank=True)
    outcome_value_usd = models.DecimalField(max_digits=20, decimal_places=10, null=True, blank=True)
    quality_score = models.FloatField(null=True, blank=True)
    last_span_at = models.DateTimeField()
    needs_finalize = models.BooleanField(default=True)
    finalized_at = models.DateTimeField(null=True, blank=True)

    objects = TraceQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "trace_id"], name="trace_unique_per_project"
            ),
        ]
        indexes = [
            models.Index(fields=["project", "start_time"], name="trace_project_time"),
            models.Index(fields=["needs_finalize", "last_span_at"], name="trace_finalize_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.root_name or '(no root yet)'} ({self.trace_id})"
