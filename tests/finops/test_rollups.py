"""finops.rollups: daily rollups equal what the stored calls and traces say."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from config.celery import app as celery_app
from finops import rollups, sketch
from finops.models import DailyCustomerRollup, DailyOutcomeRollup, DailyRollup, DirtyDay
from ingest.models import Escalation, LLMCall, Trace
from tests.factories import LLMCallFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 11, 1)
NOON = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
GROUP = ("feature", "template", "segment", "model", "route")
SUMMED = (
    "calls",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "cost_usd",
    "unpriced_calls",
    "retries",
    "fallbacks",
    "model_escalations",
    "errors",
    "cache_hits",
    "avoided_cost_usd",
    "retry_cost_usd",
    "quality_sum",
    "quality_count",
)


def _trace(project, trace_id, start, **fields):
    return Trace.objects.create(
        project=project, trace_id=trace_id, start_time=start, last_span_at=start, **fields
    )


@pytest.fixture
def day_of_calls(project, other_project):
    """One UTC day of calls in several groups, plus calls just outside it and elsewhere.

    Trace t1's calls span two features (support, billing); its root says support."""
    t1, t2, t3 = "a1" * 16, "b2" * 16, "c3" * 16
    call = LLMCallFactory
    call(project=project, trace_id=t1, start_time=NOON, quality_score=0.8, template="answer")
    call(
        project=project,
        trace_id=t1,
        start_time=NOON + timedelta(seconds=2),
        template="answer",
        error_type="RateLimitError",
        cost_usd=None,
        has_usage=False,
        input_tokens=0,
        output_tokens=0,
        duration_ms=120.0,
    )
    call(
        project=project,
        trace_id=t1,
        start_time=NOON + timedelta(seconds=4),
        template="answer",
        attempt=2,
        is_retry=True,
        cost_usd=Decimal("0.0003125"),
        cache_read_tokens=512,
        quality_score=0.6,
        duration_ms=1_900.0,
    )
    call(
        project=project,
        trace_id=t1,
        feature="billing",
        template="invoice",
        segment="enterprise",
        request_model="gpt-4o-mini",
        response_model="gpt-4o-2024-08-06",
        is_fallback=True,
        escalation=Escalation.MODEL,
        cost_usd=Decimal("0.0042"),
        cache_write_tokens=300,
        reasoning_tokens=128,
        route="premium",
        duration_ms=4_200.0,
    )
    # Unknown model answered: unpriced, and the model is the requested one.
    call(
        project=project,
        trace_id=t2,
        start_time=datetime(2026, 11, 1, 0, 0, tzinfo=UTC),
        request_model="acme-llm-7",
        response_model="",
        cost_usd=None,
        duration_ms=9.5,
    )
    # App-cache hits: no model call billed, the cost they avoided recorded.
    for avoided in ("0.0012", "0.0008"):
        call(
            project=project,
            trace_id=t3,
            cache_hit=True,
            cache_kind="exact",
            cost_usd=Decimal("0"),
            avoided_cost_usd=Decimal(avoided),
            input_tokens=0,
            output_tokens=0,
            route="cache",
            duration_ms=12.5,
        )
    # Outside the day or the project: never in the day's rows.
    call(project=project, start_time=datetime(2026, 10, 31, 23, 59, 59, 999999, tzinfo=UTC))
    call(project=project, start_time=datetime(2026, 11, 2, 0, 0, tzinfo=UTC))
    call(project=other_project, start_time=NOON)

    _trace(
        project,
        t1,
        NOON,
        feature="support-assistant",
        segment="smb",
        outcome="success",
        outcome_value_usd=Decimal("2.50"),
        cost_usd=Decimal("0.0045825"),
        calls=4,
    )
    _trace(project, t2, NOON, feature="support-assistant", segment="smb", outcome="failure")
    _trace(project, t3, NOON, feature="support-assistant", segment="smb", human_escalations=1)
    _trace(project, "d4" * 16, NOON + timedelta(days=1), feature="support-assistant")
    _trace(other_project, t1, NOON, feature="support-assistant", outcome="success")
    return project


def _expected_call_rows(project) -> dict[tuple, dict]:
    """The day's groups, summed in Python from the LLMCall rows themselves."""
    start = datetime(2026, 11, 1, tzinfo=UTC)
    calls = LLMCall.objects.filter(
        project=project, start_time__gte=start, start_time__lt=start + timedelta(days=1)
    )
    groups: dict[tuple, dict] = defaultdict(
        lambda: {k: Decimal(0) if k.endswith("_usd") else 0 for k in SUMMED} | {"durations": []}
    )
    for c in calls:
        g = groups[(c.feature, c.template, c.segment, c.model, c.route)]
        g["calls"] += 1
        for field in ("input_tokens", "output_tokens", "cache_read_tokens"):
            g[field] += getattr(c, field)
        g["cache_write_tokens"] += c.cache_write_tokens
        g["reasoning_tokens"] += c.reasoning_tokens
        g["cost_usd"] += c.cost_usd or 0
        g["unpriced_calls"] += c.cost_usd is None
        g["retries"] += c.is_retry
        g["fallbacks"] += c.is_fallback
        g["model_escalations"] += c.escalation == Escalation.MODEL
        g["errors"] += bool(c.error_type)
        g["cache_hits"] += c.cache_hit
        g["avoided_cost_usd"] += c.avoided_cost_usd or 0
        if c.is_retry or c.is_fallback or c.escalation == Escalation.MODEL:
            g["retry_cost_usd"] += c.cost_usd or 0
        g["quality_sum"] += c.quality_score or 0
        g["quality_count"] += c.quality_score is not None
        g["durations"].append(c.duration_ms)
    return {
        key: {k: v for k, v in g.items() if k != "durations"}
        | {"latency_sketch": sketch.from_durations(g["durations"])}
        for key, g in groups.items()
    }


def _call_rows(project, day=DAY) -> dict[tuple, dict]:
    rows = DailyRollup.objects.for_project(project.pk).filter(day=day).values()
    return {
        tuple(r[k] for k in GROUP): {k: r[k] for k in (*SUMMED, "latency_sketch")} for r in rows
    }


def test_call_rollup_equals_sums_over_the_days_calls(day_of_calls):
    rollups.refresh(day_of_calls.pk, DAY)

    rows = _call_rows(day_of_calls)
    assert rows == _expected_call_rows(day_of_calls)
    assert len(rows) == 4


def test_call_rollup_counts_retries_unpriced_calls_and_cache_hits(day_of_calls):
    rollups.refresh(day_of_calls.pk, DAY)

    rows = _call_rows(day_of_calls)
    answer = rows[("support-assistant", "answer", "smb", "gpt-4o-mini", "")]
    unknown = rows[("support-assistant", "", "smb", "acme-llm-7", "")]
    cached = rows[("support-assistant", "", "smb", "gpt-4o-mini", "cache")]
    premium = rows[("billing", "invoice", "enterprise", "gpt-4o-2024-08-06", "premium")]
    assert (answer["calls"], answer["retries"], answer["errors"]) == (3, 1, 1)
    assert answer["unpriced_calls"] == 1
    assert answer["cost_usd"] == Decimal("0.0005825")
    assert answer["quality_count"] == 2
    assert answer["quality_sum"] == pytest.approx(1.4)
    assert (unknown["unpriced_calls"], unknown["cost_usd"]) == (1, Decimal("0"))
    assert (cached["cache_hits"], cached["cost_usd"]) == (2, Decimal("0"))
    assert cached["avoided_cost_usd"] == Decimal("0.0020")
    assert (premium["fallbacks"], premium["model_escalations"]) == (1, 1)


def test_latency_sketch_counted_in_sql_matches_bucket_of(project):
    # Durations on and next to bucket bounds: the database's bucketing must equal Python's.
    durations = [0.0, 9.999, 10.0, 12.5, 15.624, 15.625, 999.9, 1_000.0, 3.6e6, 1e10]
    for ms in durations:
        LLMCallFactory(project=project, duration_ms=ms)

    rollups.refresh(project.pk, DAY)

    (row,) = DailyRollup.objects.all()
    assert row.latency_sketch == sketch.from_durations(durations)


def test_quantile_of_merged_rollup_sketches_is_within_one_bucket(project):
    durations = {
        "fast": [80.0 + 7 * i for i in range(60)],
        "slow": [900.0 + 45 * i for i in range(40)],
    }
    for route, values in durations.items():
        for ms in values:
            LLMCallFactory(project=project, route=route, duration_ms=ms)
    rollups.refresh(project.pk, DAY)
    merged = sketch.merge_all(r.latency_sketch for r in DailyRollup.objects.all())
    ordered = sorted(durations["fast"] + durations["slow"])

    for q in (0.5, 0.95):
        exact = ordered[int(q * len(ordered)) - 1]
        assert abs(sketch.quantile(merged, q) - exact) / exact <= sketch.MAX_RELATIVE_ERROR


def test_outcome_rollup_counts_each_trace_once(day_of_calls):
    rollups.refresh(day_of_calls.pk, DAY)

    (row,) = DailyOutcomeRollup.objects.all()
    traces = Trace.objects.for_project(day_of_calls.pk).on_days(DAY, DAY)
    assert (row.feature, row.segment) == ("support-assistant", "smb")
    assert row.traces == traces.count() == 3
    assert (row.outcomes, row.successes, row.human_escalations) == (2, 1, 1)
    assert row.outcome_value_usd == Decimal("2.50")
    assert row.cost_usd == Decimal("0.0045825")


def test_trace_spanning_two_features_is_not_double_counted(day_of_calls):
    rollups.refresh(day_of_calls.pk, DAY)

    # Trace t1's calls fall in call-level groups of two features ...
    t1_features = LLMCall.objects.filter(project=day_of_calls, trace_id="a1" * 16)
    assert set(t1_features.values_list("feature", flat=True)) == {"support-assistant", "billing"}
    assert set(DailyRollup.objects.values_list("feature", flat=True)) == {
        "support-assistant",
        "billing",
    }
    # ... but the outcome rollup holds its success once, under the trace's own feature.
    outcome_rows = DailyOutcomeRollup.objects.all()
    totals = {f: sum(getattr(r, f) for r in outcome_rows) for f in ("traces", "successes")}
    traces = Trace.objects.for_project(day_of_calls.pk).on_days(DAY, DAY).outcome_totals()
    assert totals == {"traces": traces["traces"], "successes": traces["successes"]}
    assert totals == {"traces": 3, "successes": 1}


def test_refreshing_twice_gives_identical_rows(day_of_calls):
    def snapshot():
        calls = sorted(
            DailyRollup.objects.values(*GROUP, *SUMMED, "latency_sketch", "day"), key=str
        )
        outcomes = sorted(
            DailyOutcomeRollup.objects.values("feature", "segment", "traces"), key=str
        )
        return calls, outcomes

    first = rollups.refresh(day_of_calls.pk, DAY)
    before = snapshot()
    second = rollups.refresh(day_of_calls.pk, DAY)

    assert snapshot() == before
    assert first == second == rollups.Refreshed(call_rows=4, outcome_rows=1, calls=7, traces=3)


def test_customer_rollup_sums_calls_and_cost_per_feature_segment_and_customer(project):
    rows = [
        ("acme", "support", "enterprise", "0.0010"),
        ("acme", "support", "enterprise", "0.0025"),
        ("acme", "billing", "enterprise", "0.0040"),
        ("zeta", "support", "free", None),  # unpriced: counted, costs nothing
        ("", "support", "free", "0.5000"),  # no customer id: not in these rows
    ]
    for customer, feature, segment, cost in rows:
        LLMCallFactory(
            project=project,
            customer=customer,
            feature=feature,
            segment=segment,
            cost_usd=None if cost is None else Decimal(cost),
        )
    LLMCallFactory(project=project, customer="acme", start_time=NOON + timedelta(days=1))

    rollups.refresh(project.pk, DAY)

    got = {
        (r.customer, r.feature, r.segment): (r.calls, r.cost_usd)
        for r in DailyCustomerRollup.objects.filter(day=DAY)
    }
    assert got == {
        ("acme", "support", "enterprise"): (2, Decimal("0.0035")),
        ("acme", "billing", "enterprise"): (1, Decimal("0.0040")),
        ("zeta", "support", "free"): (1, Decimal("0")),
    }


def test_outcome_rollup_sketches_trace_durations_per_user_action(project):
    durations = {"POST /chat": [40.0, 55.0, 3_000.0], "GET /report": [900.0]}
    for i, (action, values) in enumerate(durations.items()):
        for j, ms in enumerate(values):
            _trace(project, f"{i:02d}{j:030d}", NOON, root_name=action, duration_ms=ms)
    _trace(project, "f" * 32, NOON, root_name="x" * 300, duration_ms=10.0)

    rollups.refresh(project.pk, DAY)

    got = {r.action: r for r in DailyOutcomeRollup.objects.all()}
    assert set(got) == {"POST /chat", "GET /report", "x" * 200}
    for action, values in durations.items():
        assert got[action].latency_sketch == sketch.from_durations(values)
        assert got[action].traces == len(values)


def test_call_rollup_counts_prompt_cache_reads_and_retrieval(project):
    LLMCallFactory(project=project, cache_read_tokens=700, retrieval_chunks=8)
    LLMCallFactory(project=project, retrieval_chunks=4, retrieval_citations=3)
    LLMCallFactory(project=project, retrieval_citations=None)

    rollups.refresh(project.pk, DAY)

    (row,) = DailyRollup.objects.all()
    assert (row.calls, row.prompt_cache_calls) == (3, 1)
    assert (row.retrieval_calls, row.retrieval_chunks, row.retrieval_citations) == (2, 12, 3)


def test_refresh_of_a_day_without_data_removes_its_rows(day_of_calls):
    rollups.refresh(day_of_calls.pk, DAY)
    LLMCall.objects.all().delete()
    Trace.objects.all().delete()

    rollups.refresh(day_of_calls.pk, DAY)

    assert not DailyRollup.objects.exists()
    assert not DailyOutcomeRollup.objects.exists()


def test_refresh_dirty_refreshes_and_clears_the_marks(day_of_calls):
    DirtyDay.mark(day_of_calls.pk, [DAY, DAY + timedelta(days=1)])

    refreshed = rollups.refresh_dirty()

    assert refreshed == 2
    assert not DirtyDay.objects.exists()
    assert _call_rows(day_of_calls) == _expected_call_rows(day_of_calls)
    assert DailyOutcomeRollup.objects.filter(day=DAY + timedelta(days=1)).get().traces == 1


def test_refresh_dirty_takes_at_most_limit_oldest_first(project):
    for offset in range(3):
        DirtyDay.mark(project.pk, [DAY + timedelta(days=offset)])

    assert rollups.refresh_dirty(limit=2) == 2
    assert list(DirtyDay.objects.values_list("day", flat=True)) == [DAY + timedelta(days=2)]


def test_day_marked_again_during_refresh_stays_dirty(day_of_calls, monkeypatch):
    DirtyDay.mark(day_of_calls.pk, [DAY])
    replace_day = rollups._replace_day

    def replace_while_ingest_marks(project_id, day):
        done = replace_day(project_id, day)
        # Ingest finalizes another trace of this day while the refresh is under way.
        DirtyDay.objects.filter(project_id=project_id, day=day).update(
            marked_at=F("marked_at") + timedelta(seconds=1)
        )
        return done

    monkeypatch.setattr(rollups, "_replace_day", replace_while_ingest_marks)
    assert rollups.refresh_dirty() == 1
    assert DirtyDay.objects.filter(project=day_of_calls, day=DAY).exists()

    monkeypatch.setattr(rollups, "_replace_day", replace_day)
    assert rollups.refresh_dirty() == 1
    assert not DirtyDay.objects.exists()


def test_refresh_dirty_if_eager_refreshes_only_without_a_broker(day_of_calls):
    DirtyDay.mark(day_of_calls.pk, [DAY])
    celery_app.conf.task_always_eager = False  # restored by tests/conftest.py

    assert rollups.refresh_dirty_if_eager() == 0
    assert DirtyDay.objects.exists()

    celery_app.conf.task_always_eager = True
    assert rollups.refresh_dirty_if_eager() == 1
    assert not DirtyDay.objects.exists()
    assert DailyRollup.objects.filter(day=DAY).count() == 4


def test_refresh_dirty_task_consumes_the_marks(day_of_calls):
    from finops.tasks import refresh_dirty_rollups_task

    DirtyDay.mark(day_of_calls.pk, [DAY])

    assert refresh_dirty_rollups_task.delay().get() == 1
    assert not DirtyDay.objects.exists()


def test_rollups_refresh_every_minute_in_beat():
    entry = celery_app.conf.beat_schedule["refresh-dirty-rollups"]

    assert entry["task"] == "finops.tasks.refresh_dirty_rollups_task"
    assert entry["options"]["expires"] <= 60


def test_rebuild_reports_each_day(day_of_calls):
    seen = []

    total = rollups.rebuild(
        day_of_calls.pk,
        DAY - timedelta(days=1),
        DAY + timedelta(days=1),
        progress=lambda d, r: seen.append((d, r.calls)),
    )

    assert seen == [(DAY - timedelta(days=1), 1), (DAY, 7), (DAY + timedelta(days=1), 1)]
    assert total.calls == 9


def test_rebuild_rollups_command_rebuilds_every_day_with_data(day_of_calls):
    out, err = io.StringIO(), io.StringIO()

    call_command("rebuild_rollups", "--project", "acme", stdout=out, stderr=err)

    assert out.getvalue().startswith(
        "rebuilt 3 days of 1 projects: 6 call rows, 2 outcome rows from 9 calls and 4 traces in "
    )
    assert "3/3" in err.getvalue()
    assert _call_rows(day_of_calls) == _expected_call_rows(day_of_calls)


def test_rebuild_rollups_command_clears_an_explicit_range_without_data(project):
    DailyRollup.objects.create(project=project, day=DAY, calls=5)
    out = io.StringIO()

    call_command(
        "rebuild_rollups",
        "--start",
        "2026-11-01",
        "--end",
        "2026-11-01",
        stdout=out,
        stderr=io.StringIO(),
    )

    assert not DailyRollup.objects.exists()
    assert out.getvalue().startswith("rebuilt 1 days of 1 projects: 0 call rows")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--project", "nope"], "no project 'nope'"),
        (["--start", "yesterday"], "'yesterday' is not a date"),
        (["--start", "2026-11-02", "--end", "2026-11-01"], "is after --end"),
    ],
)
def test_rebuild_rollups_command_rejects_bad_arguments(project, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("rebuild_rollups", *args)
