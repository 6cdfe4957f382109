"""A ``CallSearch`` → a ``Trace`` queryset for ``GET /api/v1/traces/``.

Filters a trace row carries itself (time, feature, segment, customer, session, cost, duration,
errors, retries, fallbacks, escalations, app-cache hits) apply to the row; filters only a
call has (template, model, provider, route, error type, tokens, span id, attributes, text)
keep the traces that contain at least one matching call.
"""

from __future__ import annotations

from dataclasses import replace

from django.db.models import Exists, OuterRef, Q, QuerySet

from finops.search import keyset
from finops.search.calls import filter_calls
from finops.search.keyset import Page
from finops.search.params import UNATTRIBUTED, CallSearch
from ingest.models import LLMCall

TRACE_SORTS: keyset.Sorts = {
    "time": ("start_time", None),
    "cost": ("cost_usd", None),
    "latency": ("duration_ms", None),
}
_TRACE_TEXT = ("feature", "segment", "customer", "session", "trace_id")
_COUNTS = {"is_retry": "retries", "is_fallback": "fallbacks", "cache_hit": "cache_hits"}
# What a call-level search must not repeat once the trace row has applied it.
_TRACE_LEVEL = dict.fromkeys(_TRACE_TEXT, "") | dict.fromkeys(_COUNTS, None)
_TRACE_LEVEL |= {"status": "", "escalation": "", "start": None, "end": None}
_TRACE_LEVEL |= {"min_cost": None, "max_cost": None}
_TRACE_LEVEL |= {"min_latency_ms": None, "max_latency_ms": None, "raw_start": "", "raw_end": ""}


def filter_traces(qs: QuerySet, search: CallSearch) -> QuerySet:
    """``qs`` (Trace rows of one project) narrowed by ``search``; traces not finalized yet
    (no start time) are left out. No ordering."""
    qs = qs.filter(start_time__isnull=False).between(search.start, search.end)
    for name in _TRACE_TEXT:
        if value := getattr(search, name):
            qs = qs.filter(**{name: "" if value == UNATTRIBUTED else value})
    for name, count in _COUNTS.items():
        flag = getattr(search, name)
        if flag is not None:
            qs = qs.filter(**{f"{count}__gt": 0}) if flag else qs.filter(**{count: 0})
    if search.status:
        qs = qs.filter(errors__gt=0) if search.status == "error" else qs.filter(errors=0)
    if search.escalation:
        qs = _escalation(qs, search.escalation)
    qs = _range(qs, "cost_usd", search.min_cost, search.max_cost)
    qs = _range(qs, "duration_ms", search.min_latency_ms, search.max_latency_ms)
    call_search = replace(search, **_TRACE_LEVEL)
    if call_search != replace(CallSearch(), sort=search.sort):
        calls = filter_calls(LLMCall.objects.all(), call_search).filter(
            project_id=OuterRef("project_id"), trace_id=OuterRef("trace_id")
        )
        qs = qs.filter(Exists(calls))
    return qs


def _range(qs: QuerySet, column: str, low, high) -> QuerySet:
    if low is not None:
        qs = qs.filter(**{f"{column}__gte": low})
    if high is not None:
        qs = qs.filter(**{f"{column}__lte": high})
    return qs


def _escalation(qs: QuerySet, escalation: str) -> QuerySet:
    model, human = Q(model_escalations__gt=0), Q(human_escalations__gt=0)
    return qs.filter(
        {"model": model, "human": human, "any": model | human, "none": ~(model | human)}[escalation]
    )


def trace_page(qs: QuerySet, search: CallSearch, cursor_text: str, size: int) -> Page:
    """A page of traces in the search's order after ``cursor_text`` ("" = first page)."""
    return keyset.page(qs, TRACE_SORTS, search.sort, cursor_text, size)
