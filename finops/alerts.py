"""Budget evaluation: load spend from the rollups, find crossed thresholds and anomalies,
insert each alert event once, and queue its delivery after commit (STYLE §8).

Exactly once is a database fact: ``AlertEvent`` is unique on (budget, period, threshold,
kind), and an insert that hits the constraint means another evaluator (or an earlier pass)
already owns that alert, so this one skips it. Events are never deleted when spend dips back
under a threshold, so a budget does not flap. ``finops.delivery`` then sends each event once
per channel.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from celery.exceptions import Retry
from django.db import IntegrityError, transaction
from django.db.models import Q

from finops import budgets as rules
from finops.anomaly import Anomaly, detect
from finops.budget_spend import BudgetStatus, comparison_period, load_drivers, load_statuses
from finops.models import AlertDelivery, AlertEvent, Budget
from finops.models.budgets import MAX_DELIVERY_ATTEMPTS

logger = logging.getLogger(__name__)

# Robust z score from which a day is an anomaly (finops.anomaly's default).
ANOMALY_SCORE = 4.0
# Drivers kept on an event (the email shows 5, its CSV attachment all of these).
MAX_DRIVERS = 200
# An unsent delivery whose last attempt is older than this is queued again by each pass.
RETRY_AFTER = timedelta(minutes=5)


@dataclass
class EvaluationResult:
    """What one pass did: budgets evaluated, events inserted (silent ones included) and
    deliveries queued again."""

    budgets: int = 0
    fired: list[AlertEvent] = field(default_factory=list)
    requeued: int = 0


def evaluate_budgets(now: datetime) -> EvaluationResult:
    """Evaluate every active budget at ``now`` (aware UTC); safe to run concurrently."""
    budgets = list(Budget.objects.active().select_related("project"))
    result = EvaluationResult(budgets=len(budgets))
    for status in load_statuses(budgets, now).values():
        result.fired += evaluate_budget(status, now)
    result.requeued = requeue_unsent(now)
    return result


def spec_of(budget: Budget) -> rules.BudgetSpec:
    thresholds = [rules.Threshold(rules.ACTUAL, int(p)) for p in budget.actual_thresholds]
    thresholds += [rules.Threshold(rules.FORECAST, int(p)) for p in budget.forecast_thresholds]
    return rules.BudgetSpec(budget.amount_usd, tuple(thresholds))


def evaluate_budget(status: BudgetStatus, now: datetime) -> list[AlertEvent]:
    """Insert the events of one budget that are due and not yet recorded; returns them."""
    budget, period = status.budget, status.period
    breaches = rules.evaluate(spec_of(budget), status.spent_usd, status.forecast_usd)
    anomalies = _anomalies(status) if budget.anomaly_alerts else []
    if not breaches and not anomalies:
        return []
    recorded = AlertEvent.objects.filter(budget=budget).filter(
        Q(period_start=period.first) | Q(kind=AlertEvent.Kind.ANOMALY)
    )
    already = set(recorded.exclude(kind=AlertEvent.Kind.ANOMALY).values_list("kind", "threshold"))
    seen_days = set(
        recorded.filter(kind=AlertEvent.Kind.ANOMALY).values_list("period_start", flat=True)
    )
    new = [b for b in breaches if (b.kind, b.percent) not in already]
    anomalies = [a for a in anomalies if a.day not in seen_days]
    if not new and not anomalies:
        return []
    loud = rules.loudest(breaches, already)
    previous = comparison_period(budget, period, status.today)
    drivers = load_drivers(budget, rules.Period(period.first, status.today, ""), previous)
    events = [_breach_event(status, b, b not in loud, drivers, now) for b in new]
    for anomaly in anomalies:
        day = rules.Period(anomaly.day, anomaly.day, "")
        week_before = rules.Period(
            anomaly.day - timedelta(days=7), anomaly.day - timedelta(days=7), ""
        )
        events.append(_anomaly_event(status, anomaly, load_drivers(budget, day, week_before), now))
    return [e for e in events if e is not None]


def _anomalies(status: BudgetStatus) -> list[Anomaly]:
    """Upward anomalies of yesterday and of today so far (project's days)."""
    series = sorted(status.daily.items())
    found = []
    for day in (status.today - timedelta(days=1), status.today):
        anomaly = detect(
            series,
            day,
            min_impact_usd=status.budget.anomaly_min_impact_usd,
            threshold=ANOMALY_SCORE,
        )
        if anomaly is not None:
            found.append(anomaly)
    return found


def _breach_event(status, breach, silent, drivers, now) -> AlertEvent | None:
    forecast = status.forecast
    return _insert(
        status.budget,
        silent=silent,
        kind=breach.kind,
        threshold=breach.percent,
        period_start=status.period.first,
        period_end=status.period.last,
        created_at=now,
        budget_usd=status.budget.amount_usd,
        spent_usd=status.spent_usd,
        forecast_usd=forecast.total_usd if forecast.enough_data else None,
        forecast_low_usd=forecast.low_usd if forecast.enough_data else None,
        forecast_high_usd=forecast.high_usd if forecast.enough_data else None,
        crosses_on=forecast.crosses_on,
        drivers=_drivers_json(drivers),
    )


def _anomaly_event(status, anomaly: Anomaly, drivers, now) -> AlertEvent | None:
    return _insert(
        status.budget,
        silent=False,
        kind=AlertEvent.Kind.ANOMALY,
        threshold=0,
        period_start=anomaly.day,
        period_end=anomaly.day,
        created_at=now,
        budget_usd=status.budget.amount_usd,
        spent_usd=status.spent_usd,
        day_spend_usd=anomaly.spend_usd,
        expected_usd=anomaly.expected_usd,
        score=anomaly.score,
        drivers=_drivers_json(drivers),
    )


def _insert(budget: Budget, *, silent: bool, **fields) -> AlertEvent | None:
    """Insert the event and its deliveries, or nothing if the event exists (insert-or-skip
    on the unique constraint); delivery is queued only once the row is committed."""
    try:
        with transaction.atomic():
            event = AlertEvent.objects.create(
                project_id=budget.project_id, budget=budget, silent=silent, **fields
            )
            if not silent:
                _create_deliveries(budget, event)
                transaction.on_commit(lambda: enqueue(event.pk))
    except IntegrityError:
        # Another evaluator inserted this alert first; it queues the delivery, not us.
        return None
    return event


def _create_deliveries(budget: Budget, event: AlertEvent) -> None:
    rows = []
    if budget.recipient_list():
        target = ", ".join(budget.recipient_list())
        rows.append(AlertDelivery(event=event, channel=AlertDelivery.Channel.EMAIL, target=target))
    if budget.webhook_url:
        rows.append(
            AlertDelivery(
                event=event, channel=AlertDelivery.Channel.WEBHOOK, target=budget.webhook_url
            )
        )
    AlertDelivery.objects.bulk_create(rows)


def _drivers_json(drivers: list[rules.Driver]) -> list[dict]:
    return [
        {
            "dimension": d.dimension,
            "value": d.value,
            "spend_usd": str(d.spend_usd),
            "previous_usd": str(d.previous_usd),
            "change_usd": str(d.change_usd),
            "change_pct": None if d.change_pct is None else str(d.change_pct),
        }
        for d in drivers[:MAX_DRIVERS]
    ]


def enqueue(event_id: int) -> None:
    """Queue the delivery of an event. A failure here loses nothing: the deliveries stay
    unsent in the database, shown as pending or failed, and the next pass queues them again."""
    from finops.tasks import send_alert_task  # tasks import this module

    try:
        send_alert_task.delay(event_id)
    except Retry as exc:
        # Eager mode (no broker): Celery cannot schedule the retry, the next pass does.
        logger.warning("alert event %s not delivered yet: %s", event_id, exc)
    except Exception:
        # The broker is down (or, eagerly, an error Celery does not retry): log, keep the row.
        logger.exception("alert event %s: delivery not completed, will be retried", event_id)


def requeue_unsent(now: datetime) -> int:
    """Queue again the events with a delivery that is unsent, not being sent, under the
    attempt limit and not tried for ``RETRY_AFTER``; returns how many events."""
    stale = now - RETRY_AFTER
    events = set(
        AlertDelivery.objects.claimable(now)
        .filter(attempts__lt=MAX_DELIVERY_ATTEMPTS, created_at__lt=stale)
        .filter(Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lt=stale))
        .values_list("event_id", flat=True)
    )
    for event_id in sorted(events):
        enqueue(event_id)
    return len(events)


def reset_gave_up() -> int:
    """Give every unsent delivery that exhausted its attempts a fresh start (the next pass
    queues it); returns how many."""
    return (
        AlertDelivery.objects.unsent()
        .filter(attempts__gte=MAX_DELIVERY_ATTEMPTS)
        .update(attempts=0, last_attempt_at=None)
    )
