"""Budgets, the alert events they fire (unique per budget, period, threshold and kind) and the
delivery of each event per channel (email, webhook), claimed and recorded by
``finops.delivery``."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

from finops.models.rollups import DailyCustomerRollup, DailyRollup
from finops.models.tenancy import Project

DEFAULT_ACTUAL_THRESHOLDS = [50, 80, 100]
DEFAULT_FORECAST_THRESHOLDS = [100]


def _default_actual() -> list[int]:
    return list(DEFAULT_ACTUAL_THRESHOLDS)


def _default_forecast() -> list[int]:
    return list(DEFAULT_FORECAST_THRESHOLDS)


class BudgetQuerySet(models.QuerySet):
    def for_project(self, project_id: int) -> BudgetQuerySet:
        return self.filter(project_id=project_id)

    def active(self) -> BudgetQuerySet:
        return self.filter(is_active=True)


class Budget(models.Model):
    """An amount of USD per calendar period (in the project's time zone) for one scope."""

    class Scope(models.TextChoices):
        PROJECT = "project", "Whole project"
        FEATURE = "feature", "Feature"
        SEGMENT = "segment", "Customer segment"
        CUSTOMER = "customer", "Customer"
        MODEL = "model", "Model"
        TEMPLATE = "template", "Prompt template"

    class Period(models.TextChoices):
        MONTHLY = "monthly", "Monthly"
        WEEKLY = "weekly", "Weekly (Monday to Sunday)"
        DAILY = "daily", "Daily"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="budgets")
    name = models.CharField(max_length=120)
    scope = models.CharField(max_length=16, choices=Scope.choices, default=Scope.PROJECT)
    # The feature / segment / customer / model / template name; "" for the whole project.
    scope_value = models.CharField(max_length=200, blank=True)
    period = models.CharField(max_length=16, choices=Period.choices, default=Period.MONTHLY)
    amount_usd = models.DecimalField(max_digits=14, decimal_places=2)
    # Percentages of the amount: actual spend to date, and forecast spend at period end.
    actual_thresholds = models.JSONField(default=_default_actual, blank=True)
    forecast_thresholds = models.JSONField(default=_default_forecast, blank=True)
    # Email addresses, one per line.
    recipients = models.TextField(blank=True)
    webhook_url = models.URLField(max_length=500, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    anomaly_alerts = models.BooleanField(default=True)
    # A day's spend must exceed what was expected by at least this much to be an anomaly.
    anomaly_min_impact_usd = models.DecimalField(
        max_digits=14, decimal_places=2, default=Decimal("25.00")
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BudgetQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="budget_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def recipient_list(self) -> list[str]:
        return [line.strip() for line in self.recipients.splitlines() if line.strip()]

    @property
    def scope_label(self) -> str:
        if self.scope == self.Scope.PROJECT:
            return "Whole project"
        return f"{self.get_scope_display()}: {self.scope_value}"

    def rollups(self):
        """The rollup rows of this budget's scope: ``DailyCustomerRollup`` for a customer,
        ``DailyRollup`` otherwise (both have ``day`` and ``cost_usd``, USD)."""
        if self.scope == self.Scope.CUSTOMER:
            return DailyCustomerRollup.objects.for_project(self.project_id).filter(
                customer=self.scope_value
            )
        rows = DailyRollup.objects.for_project(self.project_id)
        if self.scope == self.Scope.PROJECT:
            return rows
        return rows.filter(**{self.scope: self.scope_value})


class AlertEventQuerySet(models.QuerySet):
    def for_project(self, project_id: int) -> AlertEventQuerySet:
        return self.filter(project_id=project_id)

    def with_deliveries(self) -> AlertEventQuerySet:
        """Newest first, with the budget and every delivery loaded (for history lists)."""
        return (
            self.select_related("budget")
            .prefetch_related("deliveries")
            .order_by("-created_at", "-pk")
        )


class AlertEvent(models.Model):
    """One alert, fired at most once per (budget, period, threshold, kind): the unique
    constraint is what makes concurrent evaluators, restarts and re-runs send it once. The
    figures are a snapshot taken when it fired, so the email always says the same thing."""

    class Kind(models.TextChoices):
        ACTUAL = "actual", "Actual spend"
        FORECAST = "forecast", "Forecast"
        ANOMALY = "anomaly", "Anomaly"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="alert_events")
    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="alert_events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # Budget period (an anomaly: the anomalous day, as first and last).
    period_start = models.DateField()
    period_end = models.DateField()
    # Percent of the amount; 0 for an anomaly.
    threshold = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    budget_usd = models.DecimalField(max_digits=14, decimal_places=2)
    spent_usd = models.DecimalField(max_digits=20, decimal_places=10)
    forecast_usd = models.DecimalField(max_digits=20, decimal_places=10, null=True, blank=True)
    forecast_low_usd = models.DecimalField(max_digits=20, decimal_places=10, null=True, blank=True)
    forecast_high_usd = models.DecimalField(max_digits=20, decimal_places=10, null=True, blank=True)
    crosses_on = models.DateField(null=True, blank=True)
    # Anomaly: the day's spend, what was expected and the robust score.
    day_spend_usd = models.DecimalField(max_digits=20, decimal_places=10, null=True, blank=True)
    expected_usd = models.DecimalField(max_digits=20, decimal_places=10, null=True, blank=True)
    score = models.FloatField(null=True, blank=True)
    # Top drivers at firing time: [{dimension, value, spend_usd, previous_usd, change_usd}].
    drivers = models.JSONField(default=list, blank=True)
    # Not delivered on purpose: a higher threshold fired in the same evaluation.
    silent = models.BooleanField(default=False)

    objects = AlertEventQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["budget", "period_start", "threshold", "kind"],
                name="alertevent_once_per_budget_period_threshold_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.budget_id} {self.kind} {self.threshold}% {self.period_start}"


# A claim older than this is treated as abandoned (a worker died mid-send) and taken again.
CLAIM_LEASE = timedelta(minutes=10)
# After this many attempts a delivery is shown as failed and no longer retried by the sweep.
MAX_DELIVERY_ATTEMPTS = 20


class AlertDeliveryQuerySet(models.QuerySet):
    def unsent(self) -> AlertDeliveryQuerySet:
        return self.filter(sent_at__isnull=True)

    def claimable(self, now) -> AlertDeliveryQuerySet:
        """Unsent deliveries nobody holds (or whose holder's lease ran out)."""
        return self.unsent().filter(
            models.Q(claimed_at__isnull=True) | models.Q(claimed_at__lt=now - CLAIM_LEASE)
        )


class AlertDelivery(models.Model):
    """An event sent through one channel: every attempt, its error and when it went out."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        WEBHOOK = "webhook", "Webhook"

    event = models.ForeignKey(AlertEvent, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    # Email addresses (comma-separated) or the webhook URL, as they were when it fired.
    target = models.TextField()
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AlertDeliveryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "alert deliveries"
        constraints = [
            models.UniqueConstraint(fields=["event", "channel"], name="alertdelivery_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} {self.channel}"

    @property
    def state(self) -> str:
        """sent | sending | failed (the last attempt failed) | pending (not tried yet)."""
        if self.sent_at:
            return "sent"
        if self.claimed_at and self.claimed_at >= timezone.now() - CLAIM_LEASE:
            return "sending"
        return "failed" if self.last_error else "pending"

    @property
    def gave_up(self) -> bool:
        """True once the automatic retries are exhausted (resend by hand from the page)."""
        return not self.sent_at and self.attempts >= MAX_DELIVERY_ATTEMPTS
