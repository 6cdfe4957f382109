"""Every span as received, and the GenAI log records attached to spans."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models

from ingest.conventions.content import Content, extract_content
from ingest.conventions.details import (
    ExceptionInfo,
    exceptions_of,
    request_parameters,
    span_category,
)
from ingest.models.base import ProjectScopedQuerySet


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
