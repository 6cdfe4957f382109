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

    # --- Breakdown pages and the Overview (finops.breakdowns, finops.views.overview) ---

    def on_day_ranges(self, *ranges):
        """Rows whose day is in any of ``ranges`` (``finops.filters.DayRange``; None skipped)."""
        days = models.Q(pk__in=[])
        for period in ranges:
            if period is not None:
                days |= models.Q(day__gte=period.first, day__lte=period.last)
        return self.filter(days)

    def call_sums_by(self, *keys: str):
        """``DailyRollup`` summed per ``keys`` (e.g. "segment", "day"): dicts with the keys and
        ``total_<field>`` for every additive field: calls, unpriced_calls, input_tokens,
        output_tokens, retries, fallbacks, model_escalations, errors, cache_hits,
        prompt_cache_calls, quality_count (ints), cost_usd, avoided_cost_usd (Decimal USD),
        quality_sum (float)."""
        sums = {f"total_{name}": models.Sum(name) for name in _CALL_SUM_FIELDS}
        return self.order_by().values(*keys).annotate(**sums).order_by(*keys)

    def latency_sketches(self, *keys: str):
        """Tuples ``(*keys, latency_sketch)``, one per rollup row (sketches merge in Python:
        ``finops.sketch.merge``)."""
        return self.order_by().values_list(*keys, "latency_sketch")

    def outcome_sums_by(self, *keys: str):
        """``DailyOutcomeRollup`` summed per ``keys``: dicts with the keys and int
        ``total_traces``, ``total_outcomes``, ``total_successes``, ``total_human_escalations``
        (each trace counted once, under its root span's feature and segment)."""
        sums = {f"total_{name}": models.Sum(name) for name in _OUTCOME_SUM_FIELDS}
        return self.order_by().values(*keys).annotate(**sums).order_by(*keys)

    def active_customers_by(self, key: str):
        """``DailyCustomerRollup``: dicts ``{key: str, customers: int}``, the distinct
        customer ids with calls per value of ``key``."""
        distinct = models.Count("customer", distinct=True)
        return self.order_by().values(key).annotate(customers=distinct).order_by(key)

    def active_customers(self) -> int:
        """``DailyCustomerRollup``: how many distinct customer ids these rows hold."""
        return self.aggregate(n=models.Count("customer", distinct=True))["n"]

    def call_totals(self) -> dict:
        """``DailyRollup`` over all rows, one dict: calls, input_tokens, output_tokens,
        cache_read_tokens, unpriced, retries, fallbacks, model_escalations, cache_hits (ints);
        spend_usd (priced calls), retry_spend_usd (spend on retries, fallbacks and model
        escalations), avoided_usd (app-cache savings) in Decimal USD. Zeros when empty."""
        ints = {
            "calls": "calls",
            "input_tokens": "input_tokens",
            "output_tokens": "output_tokens",
            "cache_read_tokens": "cache_read_tokens",
            "unpriced": "unpriced_calls",
            "retries": "retries",
            "fallbacks": "fallbacks",
            "model_escalations": "model_escalations",
            "cache_hits": "cache_hits",
        }
        money = {
            "spend_usd": "cost_usd",
            "retry_spend_usd": "retry_cost_usd",
            "avoided_usd": "avoided_cost_usd",
        }
        sums = {name: Coalesce(models.Sum(f), 0) for name, f in ints.items()}
        sums |= {name: _usd_sum(f) for name, f in money.items()}
        return self.aggregate(**sums)

    def spend_by_day(self):
        """``DailyRollup`` per day, oldest first: dicts ``{day: date, total_calls: int,
        spend_usd: Decimal USD}``."""
        return (
            self.order_by()
            .values("day")
            .annotate(total_calls=models.Sum("calls"), spend_usd=_usd_sum("cost_usd"))
            .order_by("day")
        )

    def spend_by_feature(self):
        """``DailyRollup`` per feature, most expensive first: dicts ``{feature: str ("" =
        unattributed), total_calls: int, spend_usd: Decimal USD}``."""
        return (
            self.order_by()
            .values("feature")
            .annotate(total_calls=models.Sum("calls"), spend_usd=_usd_sum("cost_usd"))
            .order_by("-spend_usd", "feature")
        )

    def unpriced_by_model(self):
        """``DailyRollup`` rows with unpriced calls, per model, most first: dicts
        ``{model: str ("" = unknown), unpriced: int}``."""
        return (
            self.filter(unpriced_calls__gt=0)
            .order_by()
            .values("model")
            .annotate(unpriced=models.Sum("unpriced_calls"))
            .order_by("-unpriced", "model")
        )

    def outcome_totals(self) -> dict:
        """``DailyOutcomeRollup`` over all rows, one dict of ints: traces, outcomes,
        successes, human_escalations (zeros when empty)."""
        fields = ("traces", "outcomes", "successes", "human_escalations")
        return self.aggregate(**{name: Coalesce(models.Sum(name), 0) for name in fields})


_CALL_SUM_FIELDS = (
    "calls",
    "unpriced_calls",
    "input_tokens",
    "output_tokens",
    "retries",
    "fallbacks",
    "model_escalations",
    "errors",
    "cache_hits",
    "prompt_cache_calls",
    "quality_count",
    "cost_usd",
    "avoided_cost_usd",
    "quality_sum",
)
_OUTCOME_SUM_FIELDS = ("traces", "outcomes", "successes", "human_escalations")


def _usd_sum(name: str):
    """SUM of a Decimal USD column, $0 when there are no rows."""
    return Coalesce(
        models.Sum(name),
        models.Value(Decimal("0")),
        output_field=models.DecimalField(max_digits=30, decimal_places=10),
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
        indexes = [
            # The Features page sums (feature, day) over a range: index-only on PostgreSQL.
            models.Index(
                fields=["project", "day", "feature"],
                include=["calls", "unpriced_calls", "cost_usd"],
                name="dailyrollup_day_feature",
            ),
            # A feature's page and why-it-moved read one feature over a range.
            models.Index(fields=["project", "feature", "day"], name="dailyrollup_feature_day"),
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
        indexes = [
            models.Index(fields=["project", "feature", "day"], name="dailyoutcome_feature_day"),
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
            models.Index(fields=["project", "feature", "day"], name="dailycustomer_feature_day"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.day} {self.customer}"
