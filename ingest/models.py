"""Facts that arrive from outside: every span, and one LLMCall row per model call."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDate

from ingest.conventions.content import Content, extract_content
from ingest.conventions.details import (
    ExceptionInfo,
    exceptions_of,
    request_parameters,
    span_category,
)

ZERO_USD = Value(Decimal("0"), output_field=DecimalField(max_digits=20, decimal_places=10))


class ProjectScopedQuerySet(models.QuerySet):
    def for_project(self, project_id: int):
        return self.filter(project_id=project_id)

    def between(self, start: datetime | None, end: datetime | None):
        """Rows whose ``start_time`` is in [start, end); either bound may be None."""
        qs = self
        if start is not None:
            qs = qs.filter(start_time__gte=start)
        if end is not None:
            qs = qs.filter(start_time__lt=end)
        return qs

    def on_days(self, first: date, last: date):
        """Rows from UTC midnight of ``first`` to the end of ``last`` (both inclusive)."""
        start = datetime.combine(first, time.min, tzinfo=UTC)
        end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC)
        return self.between(start, end)


class Span(models.Model):
    project = models.ForeignKey("finops.Project", on_delete=models.CASCADE)
    trace_id = models.CharField(max_length=32)
    span_id = models.CharField(max_length=16)
    parent_span_id = models.CharField(max_length=16, blank=True)
    name = models.CharField(max_length=500)
    kind = models.PositiveSmallIntegerField(default=0)
    start_time = models.DateTimeField()
    end_time = models.DateTimeField()
    duration_ms = models.FloatField()
    status_code = models.PositiveSmallIntegerField(default=0)
    status_message = models.TextField(blank=True)
    scope = models.CharField(max_length=200, blank=True)
    # Comma-separated ingest flags: "time_suspect" (years off), "attributes_truncated".
    flags = models.CharField(max_length=200, blank=True)
    attributes = models.JSONField(default=dict)
    resource = models.JSONField(default=dict)
    events = models.JSONField(default=list)
    received_at = models.DateTimeField(auto_now_add=True)

    objects = ProjectScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "trace_id", "span_id"], name="span_unique_per_project"
            ),
        ]
        indexes = [models.Index(fields=["project", "start_time"], name="span_project_time")]

    def __str__(self) -> str:
        return f"{self.name} ({self.trace_id}/{self.span_id})"

    def content(self, logs: Iterable[Mapping[str, Any]] = ()) -> Content:
        """The span's input and output messages, from its attributes, its events, then
        ``logs`` (its SpanLog rows as dicts of event_name, body, attributes, oldest first)."""
        return extract_content(self.attributes, self.events, logs)

    def request_parameters(self) -> dict[str, Any]:
        """Request parameters by name (temperature, max_tokens…), see ``conventions.details``."""
        return request_parameters(self.attributes)

    def exceptions(self) -> tuple[ExceptionInfo, ...]:
        """The span's ``exception`` events (type, message, stack trace), repeats once."""
        return exceptions_of(self.events)

    def category(self, is_call: bool) -> str:
        """llm, embedding, tool, retrieval, agent, step or other (``conventions.details``)."""
        return span_category(self.attributes, self.name, is_call)


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
            models.Index(fields=["project", "start_time"], name="llmcall_project_time"),
            models.Index(fields=["project", "trace_id"], name="llmcall_project_trace"),
        ]

    def __str__(self) -> str:
        return f"{self.response_model or self.request_model} ({self.trace_id}/{self.span_id})"

    @property
    def is_priced(self) -> bool:
        return self.cost_usd is not None

    @property
    def model(self) -> str:
        return self.response_model or self.request_model


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


class SpanLog(models.Model):
    """A GenAI log record (``/v1/logs``) attached to its span: content events or usage."""

    project = models.ForeignKey("finops.Project", on_delete=models.CASCADE)
    trace_id = models.CharField(max_length=32)
    span_id = models.CharField(max_length=16)
    time = models.DateTimeField()
    event_name = models.CharField(max_length=200)
    body = models.JSONField(null=True, blank=True)
    attributes = models.JSONField(default=dict)
    # sha256 of the record's content: a re-sent log batch is stored once.
    fingerprint = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "fingerprint"], name="spanlog_unique_per_project"
            ),
        ]
        indexes = [models.Index(fields=["project", "trace_id"], name="spanlog_project_trace")]

    def __str__(self) -> str:
        return f"{self.event_name} ({self.trace_id}/{self.span_id})"


class OutcomeSource(models.TextChoices):
    SPAN = "span", "Span attribute"
    API = "api", "REST API"


class IdempotencyConflict(Exception):
    """An idempotency key came again with a different body; ``stored`` is the first one's row."""

    def __init__(self, message: str, stored: models.Model) -> None:
        super().__init__(message)
        self.stored = stored


class OutcomeQuerySet(ProjectScopedQuerySet):
    def record(self, project_id: int, **fields) -> tuple[Outcome, bool]:
        """Store an API outcome once per idempotency key and write it to its trace
        (``ingest.outcomes.record_outcome``); returns (outcome, created)."""
        from ingest.outcomes import record_outcome  # orchestration imports these models

        return record_outcome(project_id, **fields)


class Outcome(models.Model):
    """A business result (a resolved ticket, a generated report) of a trace or a session.

    Reported later than the spans, as often as not, through ``POST /api/v1/outcomes``
    (``ingest.outcomes``); idempotent on (project, idempotency_key). An API outcome wins over
    the ``finops.outcome`` span attribute of its trace.
    """

    project = models.ForeignKey("finops.Project", on_delete=models.CASCADE)
    trace_id = models.CharField(max_length=32, blank=True)
    session = models.CharField(max_length=200, blank=True)
    # The trace the outcome was written to: ``trace_id``, or the session's latest trace;
    # blank while a session outcome waits for its first trace.
    applied_trace_id = models.CharField(max_length=32, blank=True)
    name = models.CharField(max_length=200)
    success = models.BooleanField()
    value_usd = models.DecimalField(max_digits=20, decimal_places=10, null=True, blank=True)
    idempotency_key = models.CharField(max_length=200)
    source = models.CharField(max_length=8, choices=OutcomeSource.choices, default="api")
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OutcomeQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "idempotency_key"], name="outcome_key_unique_per_project"
            ),
        ]
        indexes = [
            models.Index(fields=["project", "applied_trace_id"], name="outcome_project_trace"),
            models.Index(fields=["project", "session"], name="outcome_project_session"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {'success' if self.success else 'failure'} ({self.idempotency_key})"


class ScoreSource(models.TextChoices):
    EVAL = "eval", "Evaluation"
    HUMAN = "human", "Human"
    HEURISTIC = "heuristic", "Heuristic"


class ScoreQuerySet(ProjectScopedQuerySet):
    def record(self, project_id: int, **fields) -> tuple[Score, bool]:
        """Store a score once per idempotency key and update the mean quality of its call or
        trace (``ingest.outcomes.record_score``); returns (score, created)."""
        from ingest.outcomes import record_score

        return record_score(project_id, **fields)


class Score(models.Model):
    """A 0..1 quality score of a call (``span_id``) or of a whole trace (``span_id`` blank).

    A call's ``quality_score`` is the mean of its scores, a trace's the mean of its
    trace-level scores (``ingest.outcomes``); idempotent on (project, idempotency_key).
    """

    project = models.ForeignKey("finops.Project", on_delete=models.CASCADE)
    trace_id = models.CharField(max_length=32)
    span_id = models.CharField(max_length=16, blank=True)
    name = models.CharField(max_length=200)
    value = models.FloatField()
    source = models.CharField(max_length=16, choices=ScoreSource.choices)
    idempotency_key = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScoreQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "idempotency_key"], name="score_key_unique_per_project"
            ),
        ]
        indexes = [models.Index(fields=["project", "trace_id"], name="score_project_trace")]

    def __str__(self) -> str:
        return f"{self.name}={self.value:g} ({self.trace_id}/{self.span_id or 'trace'})"
