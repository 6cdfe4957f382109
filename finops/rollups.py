"""Daily rollups: the (project, UTC day) rows dashboards read instead of the call table.

``refresh(project_id, day)`` recomputes one day from ``LLMCall`` (call-level groups, with a
latency sketch per group, ``finops.sketch``) and ``Trace`` (outcomes per feature and segment,
each trace counted once) and replaces that day's rows in one transaction: idempotent, and
readers see either the old rows or the new ones. Ingest marks the days it touched in
``DirtyDay``; ``refresh_dirty`` consumes those marks (a Celery beat task every minute, or
``refresh_dirty_if_eager`` in the embedded default).
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


def _call_rows(project_id: int, day: date) -> list[DailyRollup]:
    calls = LLMCall.objects.for_project(project_id).on_days(day, day).order_by()
    calls = calls.annotate(model_name=_MODEL)
    keys = ("feature", "template", "segment", "model_name", "route")
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
    """``{group key: {bucket index: rows}}`` of calls or traces (``duration_ms``)."""
    counts: dict[tuple, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    if connection.vendor == "postgresql":
        # width_bucket(x, lower bounds) = how many bounds are <= x: bisect_right, as
        # finops.sketch.bucket_of; counted by the database.
        bucket = Func(
            F("duration_ms"),
            Value(list(sketch.BOUNDS_MS)),
            function="width_bucket",
            output_field=IntegerField(),
        )
        grouped = rows.values(*keys, bucket=bucket).annotate(n=Count("pk"))
        for row in grouped.values_list(*keys, "bucket", "n"):
            counts[row[:-2]][row[-2]] = row[-1]
        return counts
    # SQLite (the embedded default, small volumes): bucket in Python. A 64-branch CASE in
    # SQL costs more to build and compile in the ORM than reading the durations.
    for row in rows.values_list(*keys, "duration_ms").iterator(chunk_size=5000):
        counts[row[:-1]][sketch.bucket_of(row[-1])] += 1
    return counts


def _outcome_rows(project_id: int, day: date) -> list[DailyOutcomeRollup]:
    traces = Trace.objects.for_project(project_id).on_days(day, day).order_by()
    traces = traces.annotate(action=Substr("root_name", 1, 200))
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
    calls = LLMCall.objects.for_project(project_id).on_days(day, day).exclude(customer="")
    groups = calls.order_by().values(*CUSTOMER_GROUP_FIELDS)
    return [
        DailyCustomerRollup(
            project_id=project_id,
            day=day,
            **{k: group[k] for k in CUSTOMER_GROUP_FIELDS},
            **_unprefixed(group),
        )
        for group in groups.annotate(**_prefixed(_CUSTOMER_SUMS))
    ]


# An annotation named like a field of the summed model ("input_tokens") would shadow the
# field inside its own SUM(); name them apart and map back.
_PREFIX = "sum__"


def _prefixed(sums: dict) -> dict:
    return {_PREFIX + name: expression for name, expression in sums.items()}


def _unprefixed(group: dict) -> dict:
    return {k.removeprefix(_PREFIX): v for k, v in group.items() if k.startswith(_PREFIX)}
