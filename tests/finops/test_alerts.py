"""Budget alerts end to end through a real SMTP server (aiosmtpd on loopback): thresholds,
exactly once, SMTP outages, forecast before actual, anomalies. Spend is written straight into
the daily rollups, the only thing evaluation reads; time is frozen with time_machine."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from finops import alerts
from finops.models import AlertDelivery, AlertEvent
from finops.models.budgets import MAX_DELIVERY_ATTEMPTS
from tests.finops.alert_world import (
    Inbox,
    at,
    evaluate,
    free_port,
    make_budget,
    smtp_server,
    spend,
    text_body,
    use_smtp,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox(settings):
    settings.SITE_URL = "https://finops.example.com"
    inbox = Inbox()
    port = free_port()
    use_smtp(settings, port)
    with smtp_server(inbox, port):
        yield inbox


def _spend_days(project, first: date, days: int, usd: str, **dims) -> None:
    for i in range(days):
        spend(project, first + timedelta(days=i), usd, **dims)


def test_crossing_50_80_100_sends_three_emails_with_the_right_numbers(
    project, inbox, django_capture_on_commit_callbacks
):
    make_budget(project)  # $1,000.00 a month, 50/80/100 % of actual spend
    for day in range(1, 13):  # $100 a day from Nov 1; evaluated at noon each day
        spend(project, date(2026, 11, day), "100.00", feature="support-assistant")
        with at(2026, 11, day):
            evaluate(django_capture_on_commit_callbacks)

    assert inbox.subjects == [
        "[llm-finops] Budget 50% reached: Support bot — $500.00 of $1,000.00 (Nov 2026)",
        "[llm-finops] Budget 80% reached: Support bot — $800.00 of $1,000.00 (Nov 2026)",
        "[llm-finops] Budget 100% reached: Support bot — $1,000.00 of $1,000.00 (Nov 2026)",
    ]
    recipients, first = inbox.messages[0]
    assert recipients == ["finance@example.com", "cfo@example.com"]
    body = text_body(first)
    assert "Spend to date: $500.00 of $1,000.00 (50.0% used)" in body
    assert "Period:        Nov 2026, Nov 1, 2026 to Nov 30, 2026" in body
    assert f"https://finops.example.com/p/acme/budgets/{project.budgets.get().pk}/" in body
    assert AlertDelivery.objects.filter(sent_at__isnull=False).count() == 3


def test_rerunning_the_evaluation_sends_nothing_more(
    project, inbox, django_capture_on_commit_callbacks
):
    make_budget(project)
    spend(project, date(2026, 11, 2), "850.00")
    with at(2026, 11, 3):
        first = evaluate(django_capture_on_commit_callbacks)
        again = [evaluate(django_capture_on_commit_callbacks) for _ in range(3)]

    assert len(inbox.messages) == 1
    assert [(e.threshold, e.silent) for e in first.fired] == [(50, True), (80, False)]
    assert [len(result.fired) for result in again] == [0, 0, 0]


def test_spend_dipping_under_a_threshold_does_not_alert_again(
    project, inbox, django_capture_on_commit_callbacks
):
    make_budget(project)
    spend(project, date(2026, 11, 2), "600.00", feature="a")
    with at(2026, 11, 2):
        evaluate(django_capture_on_commit_callbacks)
    # A refresh lowers the day (e.g. a re-priced call), then it climbs back over 50 %.
    spend(project, date(2026, 11, 2), "-200.00", feature="a")
    with at(2026, 11, 3):
        evaluate(django_capture_on_commit_callbacks)
    spend(project, date(2026, 11, 3), "200.00", feature="a")
    with at(2026, 11, 3, 18):
        evaluate(django_capture_on_commit_callbacks)

    assert len(inbox.messages) == 1


def test_a_new_period_alerts_again(project, inbox, django_capture_on_commit_callbacks):
    make_budget(project, actual_thresholds=[50])
    spend(project, date(2026, 11, 20), "600.00")
    spend(project, date(2026, 12, 2), "700.00")
    for day in (date(2026, 11, 21), date(2026, 12, 2)):
        with at(day.year, day.month, day.day):
            evaluate(django_capture_on_commit_callbacks)

    assert [s.rsplit("(", 1)[1] for s in inbox.subjects] == ["Nov 2026)", "Dec 2026)"]


def test_sequential_reentry_of_two_evaluators_sends_one(
    project, inbox, django_capture_on_commit_callbacks
):
    # On SQLite writers are serialised, so "at once" is one evaluator entering after the
    # other inside the same second; the threaded race runs on PostgreSQL below.
    make_budget(project, actual_thresholds=[80])
    spend(project, date(2026, 11, 2), "900.00")
    with at(2026, 11, 2), django_capture_on_commit_callbacks(execute=True):
        results = [alerts.evaluate_budgets(timezone.now()) for _ in range(2)]

    assert [len(r.fired) for r in results] == [1, 0]
    assert len(inbox.messages) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_evaluators_at_once_send_one(project, inbox):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; see the sequential re-entry test")
    make_budget(project, actual_thresholds=[80])
    spend(project, date(2026, 11, 2), "900.00")
    start, fired, errors = threading.Barrier(4), [], []

    def run():
        try:
            start.wait()
            fired.append(len(alerts.evaluate_budgets(timezone.now()).fired))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    with at(2026, 11, 2):
        threads = [threading.Thread(target=run) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)

    assert errors == []
    assert sorted(fired) == [0, 0, 0, 1]
    assert AlertEvent.objects.count() == 1
    assert len(inbox.messages) == 1


def test_smtp_down_is_recorded_retried_and_delivered_once_when_back(
    project, settings, django_capture_on_commit_callbacks
):
    port = free_port()
    use_smtp(settings, port)  # nothing listens there yet
    make_budget(project, actual_thresholds=[50])
    spend(project, date(2026, 11, 2), "600.00")
    with at(2026, 11, 2, 12):
        evaluate(django_capture_on_commit_callbacks)
    delivery = AlertDelivery.objects.get()
    # Recorded, not lost. Eager Celery cannot schedule its retry (a worker does, with
    # backoff: tests/test_celery_alerts.py); the evaluation pass queues it again.
    assert (delivery.state, delivery.sent_at) == ("failed", None)
    assert delivery.attempts == 1
    assert "Connection" in delivery.last_error

    inbox = Inbox()
    with smtp_server(inbox, port):
        with at(2026, 11, 2, 12):  # too soon: the next pass waits RETRY_AFTER
            assert evaluate(django_capture_on_commit_callbacks).requeued == 0
        with at(2026, 11, 2, 13):
            assert evaluate(django_capture_on_commit_callbacks).requeued == 1
        with at(2026, 11, 2, 14):
            assert evaluate(django_capture_on_commit_callbacks).requeued == 0

    delivery.refresh_from_db()
    assert len(inbox.messages) == 1
    assert delivery.state == "sent"
    assert (delivery.attempts, delivery.last_error) == (2, "")


def test_a_delivery_that_gave_up_stays_visible_until_reset(
    project, settings, django_capture_on_commit_callbacks
):
    use_smtp(settings, free_port())
    make_budget(project, actual_thresholds=[50])
    spend(project, date(2026, 11, 2), "600.00")
    with at(2026, 11, 2):
        evaluate(django_capture_on_commit_callbacks)
    AlertDelivery.objects.update(attempts=MAX_DELIVERY_ATTEMPTS)
    with at(2026, 11, 3):
        assert evaluate(django_capture_on_commit_callbacks).requeued == 0
    delivery = AlertDelivery.objects.get()
    assert delivery.gave_up and delivery.state == "failed"

    assert alerts.reset_gave_up() == 1
    assert not AlertDelivery.objects.get().gave_up


def test_forecast_alert_is_sent_before_the_actual_one(
    project, inbox, django_capture_on_commit_callbacks
):
    make_budget(
        project, amount_usd=Decimal("2000.00"), actual_thresholds=[100], forecast_thresholds=[100]
    )
    for day in range(1, 22):  # $100 a day: forecast $3,000 for November; $2,000 on the 20th
        spend(project, date(2026, 11, day), "100.00")
        with at(2026, 11, day):
            evaluate(django_capture_on_commit_callbacks)

    assert len(inbox.subjects) == 2
    assert inbox.subjects[0].startswith(
        "[llm-finops] Budget forecast to reach 100%: Support bot — $3,000.00 forecast of"
    )
    assert inbox.subjects[1] == (
        "[llm-finops] Budget 100% reached: Support bot — $2,000.00 of $2,000.00 (Nov 2026)"
    )
    forecast = AlertEvent.objects.get(kind=AlertEvent.Kind.FORECAST)
    # First day with 3 complete days of data: Nov 4 (Nov 1-3 complete, $300 to date + today).
    assert forecast.period_start == date(2026, 11, 1) and forecast.created_at.day == 4
    assert forecast.crosses_on == date(2026, 11, 20)
    body = text_body(inbox.messages[0][1])
    assert "Reaches 100%:  Nov 20, 2026" in body


def test_no_forecast_alert_from_fewer_than_three_days(
    project, inbox, django_capture_on_commit_callbacks
):
    make_budget(
        project, amount_usd=Decimal("100.00"), actual_thresholds=[], forecast_thresholds=[100]
    )
    spend(project, date(2026, 11, 1), "30.00")
    spend(project, date(2026, 11, 2), "30.00")
    with at(2026, 11, 3):  # two complete days: a run rate of $900, but no alert
        evaluate(django_capture_on_commit_callbacks)

    assert inbox.messages == []


def test_a_spiking_day_raises_an_anomaly_alert(project, inbox, django_capture_on_commit_callbacks):
    make_budget(
        project,
        name="Search",
        scope="feature",
        scope_value="search",
        amount_usd=Decimal("100000.00"),
        anomaly_alerts=True,
        anomaly_min_impact_usd=Decimal("25.00"),
    )
    _spend_days(project, date(2026, 10, 1), 43, "50.00", feature="search", model="gpt-4o-mini")
    spend(project, date(2026, 11, 12), "400.00", feature="search", model="gpt-4o")
    spend(project, date(2026, 11, 12), "9999.00", feature="other")  # out of scope
    with at(2026, 11, 13, 1):
        result = evaluate(django_capture_on_commit_callbacks)
    with at(2026, 11, 13, 2):
        evaluate(django_capture_on_commit_callbacks)

    assert [e.kind for e in result.fired] == ["anomaly"]
    assert inbox.subjects == [
        "[llm-finops] Spend anomaly: Search — $450.00 on Nov 12, 2026, expected $50.00"
    ]
    body = text_body(inbox.messages[0][1])
    assert "model    gpt-4o" in body
    assert "feature=search" in body and "model=gpt-4o" in body


def test_a_flat_series_raises_no_anomaly(project, inbox, django_capture_on_commit_callbacks):
    make_budget(project, amount_usd=Decimal("100000.00"), anomaly_alerts=True)
    _spend_days(project, date(2026, 10, 1), 43, "50.00")
    with at(2026, 11, 13, 1):
        assert evaluate(django_capture_on_commit_callbacks).fired == []
