"""Free-text search in prompts and completions, over ``ingest.models.CallText``.

The text of a call is written when its trace is finalized (``ingest.texts``), so the receiver
pays nothing for it. One query shape on both databases: ``UPPER(text) LIKE UPPER('%words%')``
inside an EXISTS on the call's (project, trace, span). On PostgreSQL a trigram GIN index on
``UPPER(text)`` (migration ingest 0004) answers the LIKE; SQLite scans the rows of the time
range. The search's time bounds are repeated on the text rows so either side can start.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from ingest.models import CallText


def matching_text(
    qs: QuerySet, text: str, start: datetime | None = None, end: datetime | None = None
) -> QuerySet:
    """``qs`` (LLM calls) narrowed to calls whose prompt or answer contains ``text``
    (case-insensitive substring; a call not finalized yet has no text and never matches)."""
    return CallText.objects.between(start, end).calls_containing(qs, text)
