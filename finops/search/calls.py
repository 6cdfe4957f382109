"""A ``CallSearch`` → an ``LLMCall`` queryset: filters, sort keys, keyset pages, capped count."""

from __future__ import annotations

from django.db.models import (
    Exists,
    OuterRef,
    Q,
    QuerySet,
)

from finops.search import keyset
from finops.search.cursor import BadCursor
from finops.search.keyset import Page
from finops.search.params import UNATTRIBUTED, CallSearch
from finops.search.text import matching_text
from ingest.models import SORT_COST_USD, SORT_TOKENS, Span

# Sort key → (annotation name, expression); ingest.models indexes the same expressions.
SORT_EXPRESSIONS: keyset.Sorts = {
    "time": ("start_time", None),
    "cost": ("sort_cost", SORT_COST_USD),
    "latency": ("duration_ms", None),
    "tokens": ("sort_tokens", SORT_TOKENS),
}
# Plain equality filters: parameter → model field.
_EXACT = ("feature", "template", "template_version", "segment", "customer", "session")
_EXACT += ("request_model", "provider", "route", "error_type", "trace_id", "span_id", "is_retry")
_EXACT += ("is_fallback", "cache_hit")
_RANGES = {
    "cost": "cost_usd",
    "latency_ms": "duration_ms",
    "input_tokens": "input_tokens",
    "output_tokens": "output_tokens",
}


def _value(value: str) -> str:
    return "" if value == UNATTRIBUTED else value


def filter_calls(qs: QuerySet, search: CallSearch) -> QuerySet:
    """``qs`` (LLMCall rows, already scoped to a project) narrowed by every filter of
    ``search``; no ordering."""
    qs = qs.between(search.start, search.end)
    for name in _EXACT:
        value = getattr(search, name)
        if value not in ("", None):
            qs = qs.filter(**{name: _value(value) if isinstance(value, str) else value})
    if search.model:
        model = _value(search.model)
        qs = qs.filter(
            Q(request_model=model, response_model="") | Q(response_model=model)
            if model
            else Q(request_model="", response_model="")
        )
    if search.status:
        qs = qs.filter(error_type="") if search.status == "ok" else qs.exclude(error_type="")
    if search.escalation:
        qs = _escalation(qs, search.escalation)
    for name, column in _RANGES.items():
        low, high = getattr(search, f"min_{name}"), getattr(search, f"max_{name}")
        if low is not None:
            qs = qs.filter(**{f"{column}__gte": low})
        if high is not None:
            qs = qs.filter(**{f"{column}__lte": high})
    for key, value in search.attrs:
        qs = qs.filter(Exists(_spans_with_attribute(key, value)))
    if search.q:
        qs = matching_text(qs, search.q, search.start, search.end)
    return qs


def _escalation(qs: QuerySet, escalation: str) -> QuerySet:
    if escalation == "any":
        return qs.exclude(escalation="")
    if escalation == "none":
        return qs.filter(escalation="")
    return qs.filter(escalation=escalation)


def _spans_with_attribute(key: str, value: str) -> QuerySet:
    """The call's own span, when its attribute ``key`` equals ``value`` (as a string, or as
    the number or boolean it spells: OTLP keeps attribute types). Checked per candidate call
    through the span's unique (project, trace_id, span_id) index; no JSON index (it would
    be maintained on every stored span, at ingest's cost)."""
    lookup = f"attributes__{key}"
    match = Q(**{lookup: value})
    for typed in _typed(value):
        match |= Q(**{lookup: typed})
    return Span.objects.filter(
        match,
        project_id=OuterRef("project_id"),
        trace_id=OuterRef("trace_id"),
        span_id=OuterRef("span_id"),
    )


def _typed(value: str) -> list:
    if value in ("true", "false"):
        return [value == "true"]
    try:
        return [int(value)]
    except ValueError:
        pass
    try:
        return [float(value)]
    except ValueError:
        return []


def capped_count(qs: QuerySet, cap: int) -> tuple[int, bool]:
    """``(count, capped)``: the number of rows, counting no further than ``cap`` (then
    ``(cap, True)``), so a broad search never counts millions of rows."""
    found = qs.order_by().values("id")[: cap + 1].count()
    return (cap, True) if found > cap else (found, False)


def keyset_page(qs: QuerySet, search: CallSearch, cursor_text: str, size: int) -> Page:
    """A page of calls in the search's order after ``cursor_text`` ("" = the first page);
    raises ``BadCursor`` for a corrupt cursor or one of another sort."""
    return keyset.page(qs, SORT_EXPRESSIONS, search.sort, cursor_text, size)


def iterate_calls(qs: QuerySet, search: CallSearch, chunk: int = 1000):
    """Every call of ``qs`` in the search's order, ``chunk`` rows per query (keyset, so
    memory stays flat and no row is read twice however long the export)."""
    return keyset.iterate(qs, SORT_EXPRESSIONS, search.sort, chunk)


__all__ = ["BadCursor", "Page", "capped_count", "filter_calls", "iterate_calls", "keyset_page"]
