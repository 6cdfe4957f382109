"""Example budgets of the demo project, sized from its simulated spend so that the whole
project's monthly budget is forecast to run over (a forecast alert fires on the first
evaluation) while a feature budget stays on track."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_UP, Decimal

from django.db.models import Sum
from django.utils import timezone

from finops.models import Budget, DailyRollup, Project

DEMO_RECIPIENTS = "finance@example.com\nheadofproduct@example.com"


def _nice(amount: Decimal) -> Decimal:
    """Round up to two significant digits ($4,372 -> $4,400), at least $10."""
    if amount <= 10:
        return Decimal("10")
    step = Decimal(10) ** (len(str(int(amount))) - 2)
    return (amount / step).to_integral_value(rounding=ROUND_UP) * step


def seed(project: Project, owner) -> list[Budget]:
    """Create the demo budgets once (an existing name is left as it is); returns them."""
    today = timezone.now().date()
    last_30 = DailyRollup.objects.for_project(project.pk).on_days(
        today - timedelta(days=30), today - timedelta(days=1)
    )
    total = last_30.aggregate(s=Sum("cost_usd"))["s"] or Decimal("0")
    top = last_30.values("feature").annotate(s=Sum("cost_usd")).order_by("-s").first()
    examples = [
        # 85 % of the last 30 days: with growing traffic the month ends over it.
        ("LLM spend, whole project", "project", "", "monthly", _nice(total * Decimal("0.85"))),
    ]
    if top and top["feature"]:
        examples.append(
            (f"Feature {top['feature']}", "feature", top["feature"], "monthly", _nice(top["s"] * 2))
        )
    examples.append(
        ("Enterprise segment, weekly", "segment", "enterprise", "weekly", _nice(total / 3))
    )
    budgets = []
    for name, scope, value, period, amount in examples:
        budget, _ = Budget.objects.get_or_create(
            project=project,
            name=name,
            defaults={
                "scope": scope,
                "scope_value": value,
                "period": period,
                "amount_usd": amount,
                "recipients": DEMO_RECIPIENTS,
                "owner": owner,
                "anomaly_min_impact_usd": Decimal("25.00"),
            },
        )
        budgets.append(budget)
    return budgets
