"""The Budgets pages: the list with each budget's status, a budget's burn-down, drivers and
alert history, and the form to create or edit one (finance and admin roles)."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from finops import budgets as rules
from finops.budget_spend import BudgetStatus, comparison_period, load_drivers, load_statuses
from finops.burndown import burndown
from finops.emails import TOP_DRIVERS
from finops.filters import UNATTRIBUTED
from finops.forms import BudgetForm
from finops.links import traces_path
from finops.models import AlertEvent, Budget, Membership, Project
from finops.views.common import get_project_for

EDIT_ROLES = (Membership.Role.FINANCE, Membership.Role.ADMIN)
HISTORY_ROWS = 50


def _can_edit(request, project: Project) -> bool:
    return Project.objects.for_user(request.user, EDIT_ROLES).filter(pk=project.pk).exists()


@login_required
def budgets(request, slug: str):
    project = get_project_for(request, slug)
    rows = list(Budget.objects.for_project(project.pk).select_related("project", "owner"))
    statuses = load_statuses(rows, timezone.now())
    ctx = {
        "project": project,
        "statuses": [statuses[b.pk] for b in rows],
        "can_edit": _can_edit(request, project),
        "recent": list(AlertEvent.objects.for_project(project.pk).with_deliveries()[:10]),
    }
    return render(request, "finops/budgets.html", ctx)


def calls_path(slug: str, budget: Budget, first: date, last: date, **extra: str) -> str:
    """The trace search for the budget's calls from ``first`` to ``last`` (a URL path)."""
    params = {"start": first.isoformat(), "end": last.isoformat()}
    if budget.scope != Budget.Scope.PROJECT:
        params[budget.scope] = budget.scope_value
    params.update({k: v for k, v in extra.items() if v})
    return traces_path(slug) + "?" + urlencode(params)


def _driver_rows(slug: str, budget: Budget, status: BudgetStatus) -> tuple[list, rules.Period]:
    previous = comparison_period(budget, status.period, status.today)
    current = rules.Period(status.period.first, status.today, "")
    rows = []
    for driver in load_drivers(budget, current, previous)[: TOP_DRIVERS * 2]:
        value = driver.value or (UNATTRIBUTED if driver.dimension != "model" else "")
        link = calls_path(slug, budget, current.first, current.last, **{driver.dimension: value})
        rows.append({"driver": driver, "calls_url": link})
    return rows, previous


@login_required
def budget_detail(request, slug: str, budget_id: int):
    project = get_project_for(request, slug)
    budget = get_object_or_404(
        Budget.objects.select_related("project", "owner"), pk=budget_id, project=project
    )
    status = load_statuses([budget], timezone.now())[budget.pk]
    period = status.period
    days = [period.first + timedelta(days=i) for i in range((status.today - period.first).days + 1)]
    links = {d: calls_path(slug, budget, d, d) for d in days}
    drivers, previous = _driver_rows(slug, budget, status)
    ctx = {
        "project": project,
        "budget": budget,
        "status": status,
        "can_edit": _can_edit(request, project),
        "drivers": drivers,
        "previous": previous,
        "calls_url": calls_path(slug, budget, period.first, status.today),
        "events": list(budget.alert_events.with_deliveries()[:HISTORY_ROWS]),
        "burndown_fig": burndown(
            period.first,
            period.last,
            status.today,
            status.series(period.first, status.today),
            budget.amount_usd,
            status.forecast.daily_usd,
            links,
        ),
    }
    return render(request, "finops/budget_detail.html", ctx)


@login_required
def budget_new(request, slug: str):
    project = get_project_for(request, slug, roles=EDIT_ROLES)
    form = BudgetForm(request.POST or None, project=project, initial={"owner": request.user})
    if request.method == "POST" and form.is_valid():
        budget = form.save(commit=False)
        budget.owner = budget.owner or request.user  # whoever creates it, unless named
        budget.save()
        messages.success(request, f"Budget “{budget.name}” created.")
        return redirect("finops:budget-detail", slug=slug, budget_id=budget.pk)
    return render(request, "finops/budget_form.html", {"project": project, "form": form})


@login_required
def budget_edit(request, slug: str, budget_id: int):
    project = get_project_for(request, slug, roles=EDIT_ROLES)
    budget = get_object_or_404(Budget, pk=budget_id, project=project)
    form = BudgetForm(request.POST or None, instance=budget, project=project)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Budget “{budget.name}” saved.")
        return redirect("finops:budget-detail", slug=slug, budget_id=budget.pk)
    ctx = {"project": project, "form": form, "budget": budget}
    return render(request, "finops/budget_form.html", ctx)
