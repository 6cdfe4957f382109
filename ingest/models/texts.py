"""The prompt and answer of each LLM call as one bounded line of text, for text search.

Written by finalize (``ingest.texts``), not by the receiver: the text index costs nothing on
the hot ingest path. On PostgreSQL a trigram GIN index on ``UPPER(text)`` serves
case-insensitive substring search (migration 0004); SQLite scans with LIKE.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef

from ingest.models.base import ProjectScopedQuerySet


class CallTextQuerySet(ProjectScopedQuerySet):
    def containing(self, text: str) -> CallTextQuerySet:
        """Rows whose text contains ``text``, case-insensitively (``UPPER(text) LIKE
        UPPER('%text%')``: the expression the PostgreSQL trigram index is built on)."""
        return self.filter(text__icontains=text)

    def calls_containing(self, calls: models.QuerySet, text: str) -> models.QuerySet:
        """``calls`` (an LLMCall queryset) narrowed to those whose text contains ``text``."""
        rows = self.containing(text).filter(
            project_id=OuterRef("project_id"),
            trace_id=OuterRef("trace_id"),
            span_id=OuterRef("span_id"),
        )
        return calls.filter(Exists(rows))


class CallText(models.Model):
    """One LLM call's input and output messages (``conventions.content.searchable_text``,
    at most 8,000 characters); start_time repeats the call's, to bound a search by time."""

    project = models.ForeignKey("finops.Project", on_delete=models.CASCADE)
    trace_id = models.CharField(max_length=32)
    span_id = models.CharField(max_length=16)
    start_time = models.DateTimeField()
    text = models.TextField()

    objects = CallTextQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "trace_id", "span_id"], name="calltext_unique_per_project"
            ),
        ]
        indexes = [models.Index(fields=["project", "start_time"], name="calltext_project_time")]

    def __str__(self) -> str:
        return f"{self.text[:60]} ({self.trace_id}/{self.span_id})"
