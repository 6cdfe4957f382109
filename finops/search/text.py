"""Free-text search in prompts and completions (placeholder until the content index lands)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from ingest.models import Span


def matching_text(qs: QuerySet, text: str) -> QuerySet:
    """Calls whose span attributes or events contain ``text`` (case-insensitive)."""
    spans = Span.objects.filter(
        Q(attributes__icontains=text) | Q(events__icontains=text),
        project_id=OuterRef("project_id"),
        trace_id=OuterRef("trace_id"),
        span_id=OuterRef("span_id"),
    )
    return qs.filter(Exists(spans))
