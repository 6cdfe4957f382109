"""Facts that arrive from outside: every span, one LLMCall row per model call, one Trace row
per trace, outcomes and scores; and the prompt/answer text of calls for search.

A package by area; everything is importable from ``ingest.models`` as before.
"""

from __future__ import annotations

from ingest.models.base import ZERO_USD, ProjectScopedQuerySet
from ingest.models.calls import (
    SORT_COST_USD,
    SORT_TOKENS,
    Escalation,
    LLMCall,
    LLMCallQuerySet,
)
from ingest.models.results import (
    IdempotencyConflict,
    Outcome,
    OutcomeQuerySet,
    OutcomeSource,
    Score,
    ScoreQuerySet,
    ScoreSource,
)
from ingest.models.spans import Span, SpanLog
from ingest.models.texts import CallText, CallTextQuerySet
from ingest.models.traces import Trace, TraceQuerySet

__all__ = [
    "SORT_COST_USD",
    "SORT_TOKENS",
    "ZERO_USD",
    "CallText",
    "CallTextQuerySet",
    "Escalation",
    "IdempotencyConflict",
    "LLMCall",
    "LLMCallQuerySet",
    "Outcome",
    "OutcomeQuerySet",
    "OutcomeSource",
    "ProjectScopedQuerySet",
    "Score",
    "ScoreQuerySet",
    "ScoreSource",
    "Span",
    "SpanLog",
    "Trace",
    "TraceQuerySet",
]
