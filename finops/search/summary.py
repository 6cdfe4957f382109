"""What sits above the Traces table: totals, count and latency histogram of a search.

Two paths, so the summary never reads millions of calls on a page view:

- ``rollup_summary``: a search that filters only on the daily rollups' dimensions (feature,
  segment, template, model, route, exact values) over whole UTC days is answered exactly from
  ``DailyRollup`` (totals by one aggregate, latency by merging the per-group sketches), when
  none of those days waits for a refresh.
- otherwise ``call_totals`` / ``latency_sample`` over at most the newest N matching calls,
  run inside ``bounded(ms)``: a time budget (on PostgreSQL also a statement timeout), after
  which the page shows its rows and says the totals were unavailable in time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from datetime import timedelta
from decimal import Decimal

from django.db import DatabaseError, connection, transaction
from django.db.models import BigIntegerField, Count, Q, QuerySet, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from finops import sketch
from finops.models import DailyRollup, DirtyDay
from finops.search.params import UNATTRIBUTED, CallSearch
from ingest.models import ZERO_USD

HISTOGRAM_SAMPLE = 5000
# The search fields the daily rollups group by (each an exact value).
ROLLUP_DIMENSIONS = ("feature", "segment", "template", "model", "route")
# Fields that do not narrow the result (ordering, how dates were typed).
_NOT_FILTERS = {"start", "end", "raw_start", "raw_end", "sort"}
_DEFAULTS = CallSearch()
# The merged latency sketch in the same aggregate: bucket i summed over the rows' sketches
# (one pass, no set-returning function: 0.5 s for 126 k rollup rows where
# jsonb_array_elements took 1.0 s and decoding the rows in Python 1.3 s).
_BUCKET_SUMS = {
    f"b{i}": Sum(Cast(KeyTextTransform(str(i), "latency_sketch"), BigIntegerField()))
    for i in range(sketch.BUCKETS)
}


class SummaryTimeout(Exception):
    """The summary queries ran past their statement timeout (PostgreSQL only)."""


def rollup_days(search: CallSearch):
    """``(first, last)`` UTC dates (inclusive) when ``search`` can be answered from the daily
    rollups: date-only ``start`` and ``end`` and no filter but exact rollup dimensions;
    None otherwise."""
    if len(search.raw_start) != 10 or len(search.raw_end) != 10:
        return None
    for f in fields(CallSearch):
        if f.name in _NOT_FILTERS or f.name in ROLLUP_DIMENSIONS:
            continue
        if getattr(search, f.name) != getattr(_DEFAULTS, f.name):
            return None
    return search.start.date(), (search.end - timedelta(days=1)).date()


def rollup_summary(project_id: int, search: CallSearch) -> tuple[dict, sketch.Sketch] | None:
    """``(totals, latency sketch)`` of ``search`` from ``DailyRollup`` (totals keys as
    ``call_totals``; exact), or None when the search is not rollup-eligible or one of its
    days is marked dirty (its rollups lag behind the calls). Two queries."""
    days = rollup_days(search)
    if days is None:
        return None
    if DirtyDay.objects.filter(project_id=project_id, day__range=days).exists():
        return None
    rows = DailyRollup.objects.for_project(project_id).on_days(*days)
    for name in ROLLUP_DIMENSIONS:
        if value := getattr(search, name):
            rows = rows.filter(**{name: "" if value == UNATTRIBUTED else value})
    totals = rows.order_by().aggregate(
        calls=Coalesce(Sum("calls"), 0),
        errors=Coalesce(Sum("errors"), 0),
        unpriced=Coalesce(Sum("unpriced_calls"), 0),
        input_tokens=Coalesce(Sum("input_tokens"), 0),
        output_tokens=Coalesce(Sum("output_tokens"), 0),
        cost_usd=Coalesce(Sum("cost_usd"), ZERO_USD),
        **_BUCKET_SUMS,
    )
    merged = sketch.from_counts({i: totals.pop(f"b{i}") or 0 for i in range(sketch.BUCKETS)})
    return _finish(totals), merged


def call_totals(qs: QuerySet, limit: int | None = None) -> dict:
    """One dict for the filter (or, with ``limit``, for its newest ``limit`` calls: a bounded
    read when the result is too large to sum on every page view): calls, errors, unpriced,
    input_tokens, output_tokens, tokens (ints); cost_usd (Decimal USD, priced calls only);
    error_rate (Decimal 0..1, None without calls); error_pct (the same in percent)."""
    if limit is not None:
        newest = qs.order_by("-start_time", "-id").values("id")[:limit]
        qs = qs.model.objects.filter(id__in=newest)
    totals = qs.order_by().aggregate(
        calls=Count("id"),
        errors=Count("id", filter=~Q(error_type="")),
        unpriced=Count("id", filter=Q(cost_usd__isnull=True)),
        input_tokens=Coalesce(Sum("input_tokens"), 0),
        output_tokens=Coalesce(Sum("output_tokens"), 0),
        cost_usd=Coalesce(Sum("cost_usd"), ZERO_USD),
    )
    return _finish(totals)


def _finish(totals: dict) -> dict:
    totals["tokens"] = totals["input_tokens"] + totals["output_tokens"]
    calls = totals["calls"]
    totals["error_rate"] = Decimal(totals["errors"]) / calls if calls else None
    totals["error_pct"] = totals["error_rate"] * 100 if calls else None
    return totals


def latency_sample(qs: QuerySet, size: int = HISTOGRAM_SAMPLE) -> list[float]:
    """Latencies (ms) of the newest ``size`` calls of the filter: a bounded read however
    broad the search (the time index serves the order)."""
    return list(qs.order_by("-start_time").values_list("duration_ms", flat=True)[:size])


@contextmanager
def bounded(timeout_ms: int) -> Iterator[None]:
    """Run the block's queries within ``timeout_ms`` (0 = no bound); raise ``SummaryTimeout``
    when the budget runs out. On every database no statement starts once the budget is spent
    (so the block's total stays under about twice the budget). On PostgreSQL each statement
    is also cancelled by the server past the budget: ``SET LOCAL statement_timeout`` inside a
    savepoint (or transaction), reset before leaving so later queries of the request are not
    bounded; a cancelled savepoint is rolled back, leaving the connection usable. SQLite runs
    in process and has no statement timeout."""
    if timeout_ms <= 0:
        yield
        return
    deadline = timezone.now() + timedelta(milliseconds=timeout_ms)

    def check(execute, sql, params, many, context):
        if timezone.now() >= deadline:
            raise SummaryTimeout(f"summary budget of {timeout_ms} ms spent before: {sql[:80]}")
        return execute(sql, params, many, context)

    if connection.vendor != "postgresql":
        with connection.execute_wrapper(check):
            yield
        return
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('statement_timeout', %s, true)", [str(timeout_ms)]
                )
            with connection.execute_wrapper(check):
                yield
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL statement_timeout TO DEFAULT")
    except DatabaseError as exc:
        from psycopg.errors import QueryCanceled

        if not isinstance(exc.__cause__, QueryCanceled):
            raise
        raise SummaryTimeout(str(exc)) from exc
