"""One LLMCall row per model call: the fact table of cost, tokens and attribution."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Count, DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDate

from ingest.models.base import ZERO_USD, ProjectScopedQuerySet

# Sort values of the trace search (finops.search), and the expressions of the indexes that
# serve them: an unpriced call sorts as cost -1 USD (below free ones), so the keyset needs no
# NULL handling; tokens are input + output.
SORT_COST_USD = Coalesce(
    "cost_usd",
    Value(Decimal("-1")),
    output_field=DecimalField(max_digits=20, decimal_places=10),
)
SORT_TOKENS = F("input_tokens") + F("output_tokens")


class LLMCallQuerySet(ProjectScopedQuerySet):
    def unpriced(self) -> LLMCallQuerySet:
        return self.filter(cost_usd__isnull=True)

    def totals(self) -> dict:
        """One dict: calls, input_tokens, output_tokens, cache_read_tokens, unpriced, retries,
        fallbacks, model_escalations, cache_hits (ints); spend_usd (priced calls only),
        retry_spend_usd, avoided_usd (Decimal USD)."""
        return self.aggregate(
            calls=Count("id"),
            input_tokens=Coalesce(Sum("input_tokens"), 0),
            output_tokens=Coalesce(Sum("output_tokens"), 0),
            cache_read_tokens=Coalesce(Sum("cache_read_tokens"), 0),
            spend_usd=Coalesce(Sum("cost_usd"), ZERO_USD),
            unpriced=Count("id", filter=Q(cost_usd__isnull=True)),
            retries=Count("id", filter=Q(is_retry=True)),
            fallbacks=Count("id", filter=Q(is_fallback=True)),
            model_escalations=Count("id", filter=Q(escalation=Escalation.MODEL)),
            cache_hits=Count("id", filter=Q(cache_hit=True)),
            retry_spend_usd=Coalesce(Sum("cost_usd", filter=Q(is_retry=True)), ZERO_USD),
            avoided_usd=Coalesce(Sum("avoided_cost_usd"), ZERO_USD),
        )

    def by_day(self):
        """Dicts ``{day: date (UTC), calls: int, spend_usd: Decimal USD}``, oldest first."""
        return (
            self.annotate(day=TruncDate("start_time"))
            .values("day")
            .annotate(calls=Count("id"), spend_usd=Coalesce(Sum("cost_usd"), ZERO_USD))
            .order_by("day")
        )

    def by_feature(self):
        """Dicts ``{feature: str ("" = unattributed), calls: int, spend_usd: Decimal USD}``,
        most expensive first."""
        return (
            self.values("feature")
            .annotate(calls=Count("id"), spend_usd=Coalesce(Sum("cost_usd"), ZERO_USD))
            .order_by("-spend_usd", "feature")
        )

    def unpriced_models(self):
        """Dicts ``{provider, model, calls}`` of calls without a price, most frequent first."""
        return (
            self.unpriced()
            .values("provider", "request_model", "price_note")
            .annotate(calls=Count("id"))
            .order_by("-calls")
        )


class Escalation(models.TextChoices):
    NONE = "", "None"
    MODEL = "model", "Bigger model"
    HUMAN = "human", "Human"


class LLMCall(models.Model):
    project = models.ForeignKey("finops.Project", on_delete=models.CASCADE)
    trace_id = models.CharField(max_length=32)
    span_id = models.CharField(max_length=16)
    parent_span_id = models.CharField(max_length=16, blank=True)
    start_time = models.DateTimeField()
    duration_ms = models.FloatField()
    provider = models.CharField(max_length=200, blank=True)
    operation = models.CharField(max_length=200, blank=True)
    request_model = models.CharField(max_length=200, blank=True)
    response_model = models.CharField(max_length=200, blank=True)
    input_tokens = models.PositiveBigIntegerField(default=0)
    output_tokens = models.PositiveBigIntegerField(default=0)
    cache_read_tokens = models.PositiveBigIntegerField(default=0)
    cache_write_tokens = models.PositiveBigIntegerField(default=0)
    reasoning_tokens = models.PositiveBigIntegerField(default=0)
    has_usage = models.BooleanField(default=True)
    # NULL means unpriced (unknown model or no usage), which is not the same as free.
    cost_usd = models.DecimalField(max_digits=20, decimal_places=10, null=True, blank=True)
    price_source = models.CharField(max_length=100, blank=True)
    price_note = models.CharField(max_length=300, blank=True)
    error_type = models.CharField(max_length=200, blank=True)
    feature = models.CharField(max_length=200, blank=True)
    template = models.CharField(max_length=200, blank=True)
    template_version = models.CharField(max_length=200, blank=True)
    segment = models.CharField(max_length=200, blank=True)
    customer = models.CharField(max_length=200, blank=True)
    route = models.CharField(max_length=200, blank=True)
    session = models.CharField(max_length=200, blank=True)
    # What the span said about the request.
    family = models.CharField(max_length=32, blank=True, help_text="Convention read")
    cache_write_1h_tokens = models.PositiveBigIntegerField(default=0)
    max_tokens = models.PositiveIntegerField(null=True, blank=True)
    finish_reason = models.CharField(max_length=100, blank=True)
    service_tier = models.CharField(max_length=50, blank=True)
    is_streaming = models.BooleanField(default=False)
    # Retries, fallbacks, escalations and app-cache hits (explicit marks or inferred per trace).
    attempt = models.PositiveSmallIntegerField(default=1)
    is_retry = models.BooleanField(default=False)
    is_fallback = models.BooleanField(default=False)
    escalation = models.CharField(max_length=8, choices=Escalation.choices, blank=True)
    cache_hit = models.BooleanField(default=False)
    cache_kind = models.CharField(max_length=16, blank=True)
    avoided_cost_usd = models.DecimalField(max_digits=20, decimal_places=10, null=True, blank=True)
    quality_score = models.FloatField(null=True, blank=True)
    retrieval_chunks = models.PositiveIntegerField(null=True, blank=True)
    retrieval_citations = models.PositiveIntegerField(null=True, blank=True)
    flags = models.CharField(max_length=200, blank=True)

    objects = LLMCallQuerySet.as_manager()

    class Meta:
        verbose_name = "LLM call"
        constraints = [
            models.UniqueConstraint(
                fields=["project", "trace_id", "span_id"], name="llmcall_unique_per_project"
            ),
        ]
        indexes = [
            models.Index(fields=["project", "trace_id"], name="llmcall_project_trace"),
            # Keyset pages of the trace search, one per sort key: (project, value, id). The
            # time one also serves every (project, time range) read.
            models.Index("project", "start_time", "id", name="llmcall_sort_time"),
            models.Index(F("project"), SORT_COST_USD, F("id"), name="llmcall_sort_cost"),
            models.Index("project", "duration_ms", "id", name="llmcall_sort_latency"),
            models.Index(F("project"), SORT_TOKENS, F("id"), name="llmcall_sort_tokens"),
        ]

    def __str__(self) -> str:
        return f"{self.response_model or self.request_model} ({self.trace_id}/{self.span_id})"

    @property
    def is_priced(self) -> bool:
        return self.cost_usd is not None

    @property
    def model(self) -> str:
        return self.response_model or self.request_model
