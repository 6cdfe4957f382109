"""Outcomes and scores reported through the API: store once per idempotency key, apply.

An outcome names a trace, or a session whose latest trace (by start time) it is written to.
It may come before the trace's spans: the Trace row is then created without spans (nothing to
finalize yet), and a session outcome with no trace yet is kept pending until a trace of the
session is finalized. A score of a call or trace that is not stored yet waits the same way.

Finalizing recomputes a trace from its spans, so it must read these rows and let them win over
what the spans say: ``api_facts_for`` gives it both (see ``ingest.finalize``).

The trace's outcome is that of its latest API outcome (``occurred_at``, then arrival); a call's
quality is the mean of its scores, a trace's the mean of its trace-level scores (without any,
finalize's mean of its calls' quality).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Avg
from django.utils import timezone

from finops.models import DirtyDay
from ingest.attribution import CallFacts
from ingest.models import IdempotencyConflict, LLMCall, Outcome, Score, Trace


@dataclass(frozen=True)
class OutcomeFacts:
    """What a trace's outcome columns say: ``outcome`` is "success" or "failure"."""

    outcome: str
    name: str
    value_usd: Decimal | None


@dataclass(frozen=True)
class ApiFacts:
    """API outcomes and score means of a chunk of traces, for ``ingest.finalize``."""

    project_id: int
    call_quality: dict[tuple[str, str], float] = field(default_factory=dict)
    trace_quality: dict[str, float] = field(default_factory=dict)

    def with_call_scores(self, trace_id: str, facts: list[CallFacts]) -> list[CallFacts]:
        """The calls' facts, with the mean of their API scores as their quality."""
        return [
            replace(f, quality_score=self.call_quality[(trace_id, f.span_id)])
            if (trace_id, f.span_id) in self.call_quality
            else f
            for f in facts
        ]

    def apply_to_traces(self, traces: Sequence[Trace]) -> None:
        """Overwrite the judged (unsaved) Trace rows' outcome and quality with the API's."""
        outcomes = api_outcomes_for(self.project_id, traces)
        for trace in traces:
            if (facts := outcomes.get(trace.trace_id)) is not None:
                trace.outcome = facts.outcome
                trace.outcome_name = facts.name
                trace.outcome_value_usd = facts.value_usd
            if (quality := self.trace_quality.get(trace.trace_id)) is not None:
                trace.quality_score = quality


def api_facts_for(project_id: int, trace_ids: Iterable[str]) -> ApiFacts:
    """Load the score means of these traces (outcomes are read in ``apply_to_traces``)."""
    call_quality: dict[tuple[str, str], float] = {}
    trace_quality: dict[str, float] = {}
    means = (
        Score.objects.for_project(project_id)
        .filter(trace_id__in=list(trace_ids))
        .values("trace_id", "span_id")
        .annotate(mean=Avg("value"))
        .order_by()
    )
    for row in means:
        if row["span_id"]:
            call_quality[(row["trace_id"], row["span_id"])] = row["mean"]
        else:
            trace_quality[row["trace_id"]] = row["mean"]
    return ApiFacts(project_id, call_quality, trace_quality)


def api_outcomes_for(project_id: int, traces: Sequence[Trace]) -> dict[str, OutcomeFacts]:
    """The API outcome of each of these traces that has one.

    ``traces`` are Trace rows as finalize judged them (session and start time known): a
    pending session outcome is bound here to the latest trace of its session.
    """
    _bind_pending(project_id, traces)
    return _winning(project_id, [t.trace_id for t in traces])


# --- recording ------------------------------------------------------------------------------


def record_outcome(
    project_id: int,
    *,
    name: str,
    success: bool,
    idempotency_key: str,
    trace_id: str = "",
    session: str = "",
    value_usd: Decimal | None = None,
    occurred_at: datetime | None = None,
) -> tuple[Outcome, bool]:
    """Store an API outcome and write it to its trace; (outcome, created).

    The same key again returns the stored outcome; with a different body it raises
    ``IdempotencyConflict``. ``occurred_at`` defaults to now, and a repeat that omits it
    matches whatever was stored.
    """
    wanted = {
        "trace_id": trace_id,
        "session": session,
        "name": name,
        "success": success,
        "value_usd": value_usd,
    }
    if occurred_at is not None:
        wanted["occurred_at"] = occurred_at
    with transaction.atomic():
        outcome, created = _get_or_create(
            Outcome,
            project_id,
            idempotency_key,
            wanted,
            {"source": "api", "occurred_at": occurred_at or timezone.now()},
        )
        if created:
            _apply_outcome(outcome)
    return outcome, created


def record_score(
    project_id: int,
    *,
    trace_id: str,
    name: str,
    value: float,
    source: str,
    span_id: str = "",
    idempotency_key: str = "",
) -> tuple[Score, bool]:
    """Store a score and update the quality mean of its call or trace; (score, created).

    Without a key, the key is a hash of the content: the same score sent twice is stored once.
    """
    wanted = {
        "trace_id": trace_id,
        "span_id": span_id,
        "name": name,
        "value": value,
        "source": source,
    }
    key = idempotency_key or _content_key(wanted)
    with transaction.atomic():
        score, created = _get_or_create(Score, project_id, key, wanted, {})
        if created:
            _apply_score(score)
    return score, created


def _content_key(fields: dict) -> str:
    text = "\x1f".join(f"{name}={fields[name]!r}" for name in sorted(fields))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _get_or_create(model, project_id: int, key: str, wanted: dict, extra: dict):
    """The row with this key (checked against ``wanted``), or a new one; (row, created).

    Two requests racing with one key: the unique constraint lets one insert, the other reads
    the winner's row (in a savepoint, so the outer transaction survives).
    """
    rows = model.objects.for_project(project_id)
    stored = rows.filter(idempotency_key=key).first()
    if stored is None:
        try:
            with transaction.atomic():
                row = model.objects.create(
                    project_id=project_id, idempotency_key=key, **(extra | wanted)
                )
            return row, True
        except IntegrityError:
            stored = rows.get(idempotency_key=key)
    differing = [name for name, value in wanted.items() if getattr(stored, name) != value]
    if differing:
        raise IdempotencyConflict(
            f"idempotency_key {key!r} was already used with a different body "
            f"(differs in: {', '.join(differing)}); send a new key for a new "
            f"{model._meta.model_name}",
            stored,
        )
    return stored, False


# --- applying -------------------------------------------------------------------------------


def _apply_outcome(outcome: Outcome) -> None:
    target = outcome.trace_id
    if not target:
        latest = (
            Trace.objects.for_project(outcome.project_id)
            .filter(session=outcome.session, start_time__isnull=False)
            .order_by("-start_time", "-id")
            .values_list("trace_id", flat=True)
            .first()
        )
        if latest is None:
            return  # pending: bound when a trace of the session is finalized
        target = latest
    outcome.applied_trace_id = target
    outcome.save(update_fields=["applied_trace_id"])
    _write_trace_outcomes(outcome.project_id, [target])


def _write_trace_outcomes(project_id: int, trace_ids: list[str]) -> None:
    """Write the winning API outcome to each trace (creating a Trace row without spans)."""
    winners = _winning(project_id, trace_ids)
    for trace_id, facts in winners.items():
        trace = _trace_row(project_id, trace_id)
        trace.outcome, trace.outcome_name = facts.outcome, facts.name
        trace.outcome_value_usd = facts.value_usd
        trace.save(update_fields=["outcome", "outcome_name", "outcome_value_usd"])
        _mark_dirty(project_id, [trace.start_time])


def _apply_score(score: Score) -> None:
    project_id, trace_id = score.project_id, score.trace_id
    scores = Score.objects.for_project(project_id).filter(trace_id=trace_id)
    if score.span_id:
        call = LLMCall.objects.for_project(project_id).filter(
            trace_id=trace_id, span_id=score.span_id
        )
        mean = scores.filter(span_id=score.span_id).aggregate(mean=Avg("value"))["mean"]
        if not call.update(quality_score=mean):
            return  # the call has not arrived: finalize applies the score when it does
        _mark_dirty(project_id, call.values_list("start_time", flat=True))
        if scores.filter(span_id="").exists():
            return  # trace-level scores decide the trace's quality
        trace = Trace.objects.for_project(project_id).filter(trace_id=trace_id).first()
        if trace is None:
            return
        calls = LLMCall.objects.for_project(project_id).filter(trace_id=trace_id)
        trace.quality_score = calls.aggregate(mean=Avg("quality_score"))["mean"]
    else:
        trace = _trace_row(project_id, trace_id)
        trace.quality_score = scores.filter(span_id="").aggregate(mean=Avg("value"))["mean"]
    trace.save(update_fields=["quality_score"])
    _mark_dirty(project_id, [trace.start_time])


def _trace_row(project_id: int, trace_id: str) -> Trace:
    """The trace's row; created without spans (nothing to finalize) if none arrived yet.
    When they do, ``ingest.store`` marks it for finalizing like any other."""
    trace, _ = Trace.objects.get_or_create(
        project_id=project_id,
        trace_id=trace_id,
        defaults={"last_span_at": timezone.now(), "needs_finalize": False},
    )
    return trace


def _winning(project_id: int, trace_ids: list[str]) -> dict[str, OutcomeFacts]:
    """Per trace, the API outcome that occurred last (then: arrived last)."""
    rows = (
        Outcome.objects.for_project(project_id)
        .filter(applied_trace_id__in=trace_ids)
        .order_by("applied_trace_id", "occurred_at", "id")
        .values_list("applied_trace_id", "success", "name", "value_usd")
    )
    return {
        trace_id: OutcomeFacts("success" if success else "failure", name, value)
        for trace_id, success, name, value in rows  # later rows overwrite earlier ones
    }


def _bind_pending(project_id: int, traces: Sequence[Trace]) -> None:
    """Bind session outcomes still waiting for a trace to their session's latest trace, among
    these judged traces and the stored ones."""
    sessions = {t.session for t in traces if t.session and t.start_time}
    if not sessions:
        return
    pending = list(
        Outcome.objects.for_project(project_id).filter(
            applied_trace_id="", trace_id="", session__in=sessions
        )
    )
    if not pending:
        return
    latest: dict[str, tuple[datetime, str]] = {}
    batch = {t.trace_id for t in traces}
    stored = (
        Trace.objects.for_project(project_id)
        .filter(session__in={o.session for o in pending}, start_time__isnull=False)
        .exclude(trace_id__in=batch)
        .values_list("session", "start_time", "trace_id")
    )
    candidates = [(t.session, t.start_time, t.trace_id) for t in traces if t.start_time]
    for session, start, trace_id in [*candidates, *stored]:
        if session in sessions and (session not in latest or (start, trace_id) > latest[session]):
            latest[session] = (start, trace_id)
    by_trace: dict[str, list[int]] = defaultdict(list)
    for outcome in pending:
        by_trace[latest[outcome.session][1]].append(outcome.pk)
    for trace_id, pks in by_trace.items():
        Outcome.objects.filter(pk__in=pks).update(applied_trace_id=trace_id)
    if outside := sorted(set(by_trace) - batch):
        _write_trace_outcomes(project_id, outside)


def _mark_dirty(project_id: int, moments: Iterable[datetime | None]) -> None:
    days = {m.astimezone(UTC).date() for m in moments if m is not None}
    if days:
        DirtyDay.mark(project_id, days)
