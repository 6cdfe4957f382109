"""Dirty-day marks and the daily rollups dashboards read (derived by ``finops.rollups``)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone

from finops.models.tenancy import Project


class DirtyDay(models.Model):
    """A (project, UTC day) whose rollups must be recomputed: spans, late outcomes or scores
    touched it. Inserted idempotently by ingest; consumed by ``finops.rollups``."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE)
    day = models.DateField()
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "day"], name="dirtyday_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.day}"

    @classmethod
    def mark(cls, project_id: int, days) -> None:
        """Mark ``days`` (dates) of a project dirty; marking twice is harmless."""
        now = timezone.now()
        cls.objects.bulk_create(
            [cls(project_id=project_id, day=day, marked_at=now) for day in sorted(set(days))],
            update_conflicts=True,
            unique_fields=["project", "day"],
            update_fields=["marked_at"],
        )


class RollupQuerySet(models.QuerySet):
    def for_project(self, project_id: int):
        return self.filter(project_id=project_id)

    def on_days(self, first, last):
        """Rows of the UTC days ``first`` … ``last`` (dates, both inclusive)."""
        return self.filter(day__gte=first, day__lte=last)

    # Annotations cannot reuse a field's name ("calls"), hence the total_ prefix below.
    def spend_by_feature_day(self):
        """``DailyRollup`` summed per (feature, day), ordered by feature then day: dicts with
        ``feature`` ("" = unattributed), ``day`` (date), ``total_calls`` (int),
        ``total_unpriced_calls`` (int) and ``spend_usd`` (Decimal USD, priced calls only)."""
        return (
            self.order_by()
            .values("feature", "day")
            .annotate(
                total_calls=models.Sum("calls"),
                total_unpriced_calls=models.Sum("unpriced_calls"),
                spend_usd=Coalesce(
                    models.Sum("cost_usd"),
                    models.Value(Decimal("0")),
                    output_field=models.DecimalField(max_digits=30, decimal_places=10),
                ),
            )
            .order_by("feature", "day")
        )

    def outcomes_by_feature(self):
        """``DailyOutcomeRollup`` summed per feature (the trace root's): dicts with
        ``feature`` ("" = unattributed), ``total_outcomes`` and ``total_successes`` (ints;
        each trace counted once)."""
        return (
            self.order_by()
            .values("feature")
            .annotate(
                total_outcomes=models.Sum("outcomes"),
                total_successes=models.Sum("successes"),
            )
            .order_by("feature")
        )


class DailyRollup(models.Model):
    """Call-level facts of one (project, UTC day, feature, template, segment, model, route).

    Derived from ``LLMCall`` by ``finops.rollups``; dashboards read this, never the calls.
    Trace-level counts (outcomes) are in ``DailyOutcomeRollup``: a trace whose calls span two
    groups would be counted in both here.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE)
    day = models.DateField()
    feature = models.CharField(max_length=200, blank=True)
    template = models.CharField(max_length=200, blank=True)
    segment = models.CharField(max_length=200, blank=True)
    # The response model, else the requested model ("" when neither is known).
    model = models.CharField(max_length=200, blank=True)
    route = models.CharField(max_length=200, blank=True)
    calls = models.PositiveIntegerField(default=0)
    input_tokens = models.PositiveBigIntegerField(default=0)
    output_tokens = models.PositiveBigIntegerField(default=0)
    cache_read_tokens = models.PositiveBigIntegerField(default=0)
    cache_write_tokens = models.PositiveBigIntegerField(default=0)
    reasoning_tokens = models.PositiveBigIntegerField(default=0)
    # Priced calls only; unpriced_calls says how many calls are missing from it.
    cost_usd = models.DecimalField(max_digits=20, decimal_places=10, default=0)
    unpriced_calls = models.PositiveIntegerField(default=0)
    retries = models.PositiveIntegerField(default=0)
    fallbacks = models.PositiveIntegerField(default=0)
    model_escalations = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    cache_hits = models.PositiveIntegerField(default=0)
    avoided_cost_usd = models.DecimalField(max_digits=20, decimal_places=10, default=0)
    # Spend on retries, fallbacks and model escalations (the "retries" driver of why it moved).
    retry_cost_usd = models.DecimalField(max_digits=20, decimal_places=10, default=0)
    quality_sum = models.FloatField(default=0)
    quality_count = models.PositiveIntegerField(default=0)
    # Calls that read the provider's prompt cache (cache_read_tokens > 0).
    prompt_cache_calls = models.PositiveIntegerField(default=0)
    # Calls that reported finops.retrieval.chunks, and their chunks and citations.
    retrieval_calls = models.PositiveIntegerField(default=0)
    retrieval_chunks = models.PositiveBigIntegerField(default=0)
    retrieval_citations = models.PositiveBigIntegerField(default=0)
    # finops.sketch: counts per fixed log-spaced duration bucket; merge by addition.
    latency_sketch = models.JSONField(default=list, blank=True)

    objects = RollupQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "day", "feature", "template", "segment", "model", "route"],
                name="dailyrollup_unique_group",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.day} {self.feature or '(unattributed)'} {self.model}"


class DailyOutcomeRollup(models.Model):
    """Trace-level facts of one (project, UTC day of the trace's start, feature, segment):
    each trace counted once, whatever groups its calls fall in."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE)
    day = models.DateField()
    feature = models.CharField(max_length=200, blank=True)
    segment = models.CharField(max_length=200, blank=True)
    # The user action: the trace's root span name (first 200 characters).
    action = models.CharField(max_length=200, blank=True)
    traces = models.PositiveIntegerField(default=0)
    outcomes = models.PositiveIntegerField(default=0)
    successes = models.PositiveIntegerField(default=0)
    outcome_value_usd = models.DecimalField(max_digits=20, decimal_places=10, default=0)
    human_escalations = models.PositiveIntegerField(default=0)
    # What the traces' calls cost (Trace.cost_usd), whatever day each call started on.
    cost_usd = models.DecimalField(max_digits=20, decimal_places=10, default=0)
    # finops.sketch of the traces' end-to-end durations (latency per user action).
    latency_sketch = models.JSONField(default=list, blank=True)

    objects = RollupQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "day", "feature", "segment", "action"],
                name="dailyoutcomerollup_unique_group",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.day} {self.feature or '(unattributed)'} outcomes"


class DailyCustomerRollup(models.Model):
    """Spend of one (project, UTC day, feature, segment, customer): active customers per
    period (a distinct count over these rows) and budgets scoped to one customer.
    Calls without a customer id are not counted here."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE)
    day = models.DateField()
    feature = models.CharField(max_length=200, blank=True)
    segment = models.CharField(max_length=200, blank=True)
    customer = models.CharField(max_length=200)
    calls = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=20, decimal_places=10, default=0)

    objects = RollupQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "day", "feature", "segment", "customer"],
                name="dailycustomerrollup_unique_group",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "customer", "day"], name="dailycustomer_by_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.day} {self.customer}"
