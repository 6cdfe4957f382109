"""Daily rollups: the (project, UTC day) rows dashboards read instead of the call table.

``refresh(project_id, day)`` recomputes one day from ``LLMCall`` (call-level groups, with a
latency sketch per group, ``finops.sketch``) and ``Trace`` (outcomes per feature and segment,
each trace counted once) and replaces that day's rows in one transaction: idempotent, and
readers see either the old rows or the new ones. Ingest marks the days it touched in
``DirtyDay``; ``refresh_dirty`` consumes those marks (a Celery beat task every minute, or
``refresh_dirty_if_eager`` in the embedded default).

On PostgreSQL the database computes and writes a day's rows itself (one ``INSERT … SELECT``
per rollup table, latency buckets by ``width_bucket``): 1.2 to 2 s for a day of ~111k calls
where the Python path took 10 to 20 s (bench/dashboard.py). SQLite reads the groups into
Python and writes them with ``bulk_create``; tests run both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, timedelta

from celery import current_app
from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    Max,
    Min,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Substr

from finops import sketch
from finops.models import (
    DailyCustomerRollup,
    DailyOutcomeRollup,
    DailyRollup,
    DirtyDay,
    Project,
)
from ingest.models import ZERO_USD, Escalation, LLMCall, Trace

# How many dirty days one beat run refreshes: well under a minute at < 2 s a day, so runs
# rarely overlap; a backlog drains over the following minutes.
DIRTY_DAYS_PER_RUN = 25
GROUP_FIELDS = ("feature", "template", "segment", "model", "route")
OUTCOME_GROUP_FIELDS = ("feature", "segment", "action")
CUSTOMER_GROUP_FIELDS = ("feature", "segment", "customer")
_CALL_KEYS = ("feature", "template", "segment", "model_name", "route")

# DESIGN: a call's model is what the provider says answered, else what was asked for.
_MODEL = Case(
    When(response_model="", then=F("request_model")),
    default=F("response_model"),
    output_field=CharField(),
)
_CALL_SUMS = {
    "calls": Count("id"),
    "input_tokens": Coalesce(Sum("input_tokens"), 0),
    "output_tokens": Coalesce(Sum("output_tokens"), 0),
    "cache_read_tokens": Coalesce(Sum("cache_read_tokens"), 0),
    "cache_write_tokens": Coalesce(Sum("cache_write_tokens"), 0),
    "reasoning_tokens": Coalesce(Sum("reasoning_tokens"), 0),
    "cost_usd": Coalesce(Sum("cost_usd"), ZERO_USD),
    "unpriced_calls": Count("id", filter=Q(cost_usd__isnull=True)),
    "retries": Count("id", filter=Q(is_retry=True)),
    "fallbacks": Count("id", filter=Q(is_fallback=True)),
    "model_escalations": Count("id", filter=Q(escalation=Escalation.MODEL)),
    "errors": Count("id", filter=~Q(error_type="")),
    "cache_hits": Count("id", filter=Q(cache_hit=True)),
    "avoided_cost_usd": Coalesce(Sum("avoided_cost_usd"), ZERO_USD),
    "retry_cost_usd": Coalesce(
        Sum(
            "cost_usd",
            filter=Q(is_retry=True) | Q(is_fallback=True) | Q(escalation=Escalation.MODEL),
        ),
        ZERO_USD,
    ),
    "quality_sum": Coalesce(Sum("quality_score"), Value(0.0), output_field=FloatField()),
    "quality_count": Count("quality_score"),
    "prompt_cache_calls": Count("id", filter=Q(cache_read_tokens__gt=0)),
    "retrieval_calls": Count("retrieval_chunks"),
    "retrieval_chunks": Coalesce(Sum("retrieval_chunks"), 0),
    "retrieval_citations": Coalesce(Sum("retrieval_citations"), 0),
}
_OUTCOME_SUMS = {
    "traces": Count("id"),
    "outcomes": Count("id", filter=~Q(outcome="")),
    "successes": Count("id", filter=Q(outcome="success")),
    "outcome_value_usd": Coalesce(Sum("outcome_value_usd"), ZERO_USD),
    "human_escalations": Coalesce(Sum("human_escalations"), 0),
    "cost_usd": Coalesce(Sum("cost_usd"), ZERO_USD),
}
_CUSTOMER_SUMS = {
    "calls": Count("id"),
    "cost_usd": Coalesce(Sum("cost_usd"), ZERO_USD),
}


@dataclass(frozen=True)
class Refreshed:
    """What one refresh wrote: rollup rows and how many calls and traces they hold."""

    call_rows: int = 0
    outcome_rows: int = 0
    calls: int = 0
    traces: int = 0

    def __add__(self, other: Refreshed) -> Refreshed:
        return Refreshed(
            self.call_rows + other.call_rows,
            self.outcome_rows + other.outcome_rows,
            self.calls + other.calls,
            self.traces + other.traces,
        )


@dataclass(frozen=True)
class _Mark:
    pk: int
    project_id: int
    day: date


def refresh(project_id: int, day: date) -> Refreshed:
    """Recompute the rollup rows of one project's UTC ``day``; running it twice is harmless."""
    with transaction.atomic():
        _lock_project(project_id)
        return _replace_day(project_id, day)


def refresh_dirty(limit: int | None = DIRTY_DAYS_PER_RUN) -> int:
    """Refresh up to ``limit`` dirty days (all when None), oldest mark first; returns how
    many were refreshed. A day marked again while it was being refreshed stays dirty."""
    marks = DirtyDay.objects.order_by("marked_at", "pk").values_list("pk", "project_id", "day")
    if limit is not None:
        marks = marks[:limit]
    return sum(_refresh_mark(_Mark(*row)) for row in list(marks))


def refresh_dirty_if_eager() -> int:
    """With no broker (the embedded default) there is no beat to consume the marks: refresh
    every dirty day now, so finalized traces show on dashboards at once. Returns how many."""
    if not current_app.conf.task_always_eager:
        return 0
    return refresh_dirty(limit=None)


def rebuild(
    project_id: int,
    first: date,
    last: date,
    progress: Callable[[date, Refreshed], None] | None = None,
) -> Refreshed:
    """Refresh every day from ``first`` to ``last`` (inclusive), one transaction per day;
    ``progress(day, refreshed)`` is called after each."""
    total = Refreshed()
    day = first
    while day <= last:
        done = refresh(project_id, day)
        total += done
        if progress is not None:
            progress(day, done)
        day += timedelta(days=1)
    return total


def data_days(project_id: int) -> tuple[date, date] | None:
    """The first and last UTC day with calls or traces of a project; None when it has none."""
    days = []
    for qs in (LLMCall.objects.for_project(project_id), Trace.objects.for_project(project_id)):
        span = qs.aggregate(first=Min("start_time"), last=Max("start_time"))
        days += [t.astimezone(UTC).date() for t in span.values() if t is not None]
    return (min(days), max(days)) if days else None


def _refresh_mark(mark: _Mark) -> bool:
    with transaction.atomic():
        _lock_project(mark.project_id)
        # Read marked_at under the lock, before the facts: whatever was committed up to this
        # mark is in what we read next. A mark written after it changes marked_at, the
        # conditional delete below then matches nothing, and the day stays dirty.
        marked_at = DirtyDay.objects.filter(pk=mark.pk).values_list("marked_at", flat=True).first()
        if marked_at is None:  # another worker refreshed it while we waited for the lock
            return False
        _replace_day(mark.project_id, mark.day)
        DirtyDay.objects.filter(pk=mark.pk, marked_at=marked_at).delete()
    return True


def _lock_project(project_id: int) -> None:
    # Two refreshes of the same day would both delete and then both insert: the second
    # insert breaks the unique constraint. Serialise refreshes per project with a row lock
    # (no-op on SQLite, whose writers are serial anyway). NO KEY UPDATE does not conflict
    # with the KEY SHARE locks that ingest's foreign-key inserts take, so ingest never waits.
    list(Project.objects.select_for_update(no_key=True).filter(pk=project_id).values("pk"))


def _replace_day(project_id: int, day: date) -> Refreshed:
    if connection.vendor == "postgresql":
        return _replace_day_in_sql(project_id, day)
    call_rows = _call_rows(project_id, day)
    outcome_rows = _outcome_rows(project_id, day)
    customer_rows = _customer_rows(project_id, day)
    for model in (DailyRollup, DailyOutcomeRollup, DailyCustomerRollup):
        model.objects.filter(project_id=project_id, day=day).delete()
    DailyRollup.objects.bulk_create(call_rows, batch_size=500)
    DailyOutcomeRollup.objects.bulk_create(outcome_rows, batch_size=500)
    DailyCustomerRollup.objects.bulk_create(customer_rows, batch_size=1000)
    return Refreshed(
        call_rows=len(call_rows),
        outcome_rows=len(outcome_rows),
        calls=sum(r.calls for r in call_rows),
        traces=sum(r.traces for r in outcome_rows),
    )


def _day_calls(project_id: int, day: date):
    calls = LLMCall.objects.for_project(project_id).on_days(day, day).order_by()
    return calls.annotate(model_name=_MODEL)


def _day_traces(project_id: int, day: date):
    traces = Trace.objects.for_project(project_id).on_days(day, day).order_by()
    return traces.annotate(action=Substr("root_name", 1, 200))


def _day_customers(project_id: int, day: date):
    calls = LLMCall.objects.for_project(project_id).on_days(day, day).exclude(customer="")
    return calls.order_by().values(*CUSTOMER_GROUP_FIELDS)


def _call_rows(project_id: int, day: date) -> list[DailyRollup]:
    calls = _day_calls(project_id, day)
    keys = _CALL_KEYS
    sketches = _latency_counts(calls, keys)
    rows = []
    for group in calls.values(*keys).annotate(**_prefixed(_CALL_SUMS)):
        key = tuple(group[k] for k in keys)
        rows.append(
            DailyRollup(
                project_id=project_id,
                day=day,
                **dict(zip(GROUP_FIELDS, key, strict=True)),
                **_unprefixed(group),
                latency_sketch=sketch.from_counts(sketches.get(key, {})),
            )
        )
    return rows


def _latency_counts(rows, keys: tuple[str, ...]) -> dict[tuple, dict[int, int]]:
    """``{group key: {bucket index: rows}}`` of calls or traces (``duration_ms``), bucketed
    in Python (SQLite, the embedded default, small volumes; PostgreSQL buckets in SQL, see
    ``_replace_day_in_sql``). A 64-branch CASE in SQL costs more to build and compile in
    the ORM than reading the durations."""
    counts: dict[tuple, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows.values_list(*keys, "duration_ms").iterator(chunk_size=5000):
        counts[row[:-1]][sketch.bucket_of(row[-1])] += 1
    return counts


def _outcome_rows(project_id: int, day: date) -> list[DailyOutcomeRollup]:
    traces = _day_traces(project_id, day)
    sketches = _latency_counts(traces, OUTCOME_GROUP_FIELDS)
    rows = []
    for group in traces.values(*OUTCOME_GROUP_FIELDS).annotate(**_prefixed(_OUTCOME_SUMS)):
        key = tuple(group[k] for k in OUTCOME_GROUP_FIELDS)
        rows.append(
            DailyOutcomeRollup(
                project_id=project_id,
                day=day,
                **dict(zip(OUTCOME_GROUP_FIELDS, key, strict=True)),
                **_unprefixed(group),
                latency_sketch=sketch.from_counts(sketches.get(key, {})),
            )
        )
    return rows


def _customer_rows(project_id: int, day: date) -> list[DailyCustomerRollup]:
    return [
        DailyCustomerRollup(
            project_id=project_id,
            day=day,
            **{k: group[k] for k in CUSTOMER_GROUP_FIELDS},
            **_unprefixed(group),
        )
        for group in _day_customers(project_id, day).annotate(**_prefixed(_CUSTOMER_SUMS))
    ]


# --- PostgreSQL: the day's rows computed and written by the database ---------------------
#
# One statement per rollup table, INSERT … SELECT: the groups never travel to Python. For a
# table with latency sketches, the inner query groups by the keys and the latency bucket
# (``width_bucket``: how many bounds are <= x, i.e. bisect_right as ``sketch.bucket_of``),
# the outer one adds the buckets' sums up per group and spells the sketch as the dense JSON
# list ``finops.sketch`` reads (counts of buckets 0 … the last non-empty one). At ~111k calls
# a day this takes 3 scans instead of 5 and no Python per group (bench/dashboard.py).

_BUCKET = Func(
    F("duration_ms"),
    Value(list(sketch.BOUNDS_MS)),
    function="width_bucket",
    output_field=IntegerField(),
)


def _replace_day_in_sql(project_id: int, day: date) -> Refreshed:
    for model in (DailyRollup, DailyOutcomeRollup, DailyCustomerRollup):
        model.objects.filter(project_id=project_id, day=day).delete()
    calls = _day_calls(project_id, day).values(*_CALL_KEYS, bucket=_BUCKET)
    _insert_grouped(
        DailyRollup, project_id, day, GROUP_FIELDS, _CALL_KEYS, calls, _CALL_SUMS, "calls"
    )
    keys = OUTCOME_GROUP_FIELDS
    traces = _day_traces(project_id, day).values(*keys, bucket=_BUCKET)
    _insert_grouped(
        DailyOutcomeRollup, project_id, day, keys, keys, traces, _OUTCOME_SUMS, "traces"
    )
    keys = CUSTOMER_GROUP_FIELDS
    customers = _day_customers(project_id, day)
    _insert_grouped(DailyCustomerRollup, project_id, day, keys, keys, customers, _CUSTOMER_SUMS)
    written = DailyRollup.objects.filter(project_id=project_id, day=day).aggregate(
        rows=Count("pk"), calls=Coalesce(Sum("calls"), 0)
    )
    outcomes = DailyOutcomeRollup.objects.filter(project_id=project_id, day=day).aggregate(
        rows=Count("pk"), traces=Coalesce(Sum("traces"), 0)
    )
    return Refreshed(written["rows"], outcomes["rows"], written["calls"], outcomes["traces"])


def _insert_grouped(model, project_id, day, fields, keys, grouped, sums, count_of="") -> None:
    """``INSERT INTO model … SELECT`` the groups of ``grouped`` (a ``values()`` queryset:
    ``keys`` stored as ``fields``, plus ``bucket`` when ``count_of`` names the count whose
    per-bucket values make the latency sketch) summed with ``sums``."""
    qn = connection.ops.quote_name
    sql, params = grouped.annotate(**_prefixed(sums)).query.sql_with_params()
    if count_of:
        key_list = ", ".join(qn(k) for k in keys)
        names = ", ".join(qn(_PREFIX + name) for name in sums)
        totals = ", ".join(_sum_of(model, name) for name in sums)
        sql = (
            f"SELECT {key_list}, {names}, (SELECT jsonb_agg(COALESCE((g.n ->> i::text)::bigint,"
            " 0) ORDER BY i) FROM generate_series(0, g.top) AS i) FROM (SELECT "
            f"{key_list}, {totals}, jsonb_object_agg(bucket, {qn(_PREFIX + count_of)}) AS n, "
            f"max(bucket) AS top FROM ({sql}) AS b GROUP BY {key_list}) AS g"
        )
    columns = ["project_id", "day", *fields, *sums] + (["latency_sketch"] if count_of else [])
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(c) for c in columns)}) "
            f"SELECT %s, %s, s.* FROM ({sql}) AS s",
            [project_id, day, *params],
        )


def _sum_of(model, name: str) -> str:
    """SQL adding up the per-bucket column of sum ``name`` with the rollup field's type."""
    column = connection.ops.quote_name(_PREFIX + name)
    kind = model._meta.get_field(name).get_internal_type()
    cast = {"DecimalField": "", "FloatField": "::float8"}.get(kind, "::bigint")
    return f"SUM({column}){cast} AS {column}"


# An annotation named like a field of the summed model ("input_tokens") would shadow the
# field inside its own SUM(); name them apart and map back.
_PREFIX = "sum__"


def _prefixed(sums: dict) -> dict:
    return {_PREFIX + name: expression for name, expression in sums.items()}


def _unprefixed(group: dict) -> dict:
    return {k.removeprefix(_PREFIX): v for k, v in group.items() if k.startswith(_PREFIX)}
