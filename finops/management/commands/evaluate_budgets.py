"""``manage.py evaluate_budgets``: one evaluation pass, as Celery beat runs it."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from finops import alerts


class Command(BaseCommand):
    help = (
        "Evaluate every active budget once: fire the threshold, forecast and anomaly alerts "
        "that are due (each at most once) and queue their delivery; print what was done."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--resend",
            action="store_true",
            help="First give deliveries that gave up after every retry a fresh set of attempts "
            "(after fixing the mail server or the webhook)",
        )

    def handle(self, *args, resend, **options):
        if resend:
            count = alerts.reset_gave_up()
            self.stdout.write(f"{count} delivery(ies) that had given up will be tried again.")
        result = alerts.evaluate_budgets(timezone.now())
        for event in result.fired:
            what = "recorded (a higher threshold was sent)" if event.silent else "fired"
            label = "anomaly" if event.kind == "anomaly" else f"{event.kind} {event.threshold}%"
            self.stdout.write(
                f"{event.budget.project.slug} / {event.budget.name}: {label} "
                f"({event.period_start}) {what}"
            )
        self.stdout.write(
            f"Evaluated {result.budgets} budget{'s' if result.budgets != 1 else ''}: "
            f"{sum(not e.silent for e in result.fired)} alert(s) fired, "
            f"{result.requeued} unsent alert(s) queued again."
        )
