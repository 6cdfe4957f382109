"""Business outcomes and quality scores, from span attributes or the REST API."""

from __future__ import annotations

from django.db import models

from ingest.models.base import ProjectScopedQuerySet


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
