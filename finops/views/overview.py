"""The project overview: spend over time, spend by feature, calls, tokens, reliability and
savings, unpriced calls; read from the daily rollups (never the call table)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse

from finops import charts
from finops.filters import Filters, day_range
from finops.links import calls_url
from finops.models import DailyOutcomeRollup, DailyRollup, Project
from finops.views.common import get_project_for


@login_required
def home(request):
    projects = list(Project.objects.for_user(request.user))
    if len(projects) == 1:
        return redirect("finops:overview", slug=projects[0].slug)
    return render(request, "finops/home.html", {"projects": projects})


@login_required
def overview(request, slug: str):
    project = get_project_for(request, slug)
    period = day_range(request.GET)
    calls = DailyRollup.objects.for_project(project.pk).on_days(period.first, period.last)
    totals = calls.call_totals()
    features = [
        {"feature": g["feature"], "calls": g["total_calls"], "spend_usd": _usd(g["spend_usd"])}
        for g in calls.spend_by_feature()
    ]
    by_day = [{"day": g["day"], "spend_usd": _usd(g["spend_usd"])} for g in calls.spend_by_day()]
    outcomes = DailyOutcomeRollup.objects.for_project(project.pk)
    ctx = {
        "project": project,
        "period": period,
        "totals": totals | {k: _usd(totals[k]) for k in _MONEY},
        "tokens": totals["input_tokens"] + totals["output_tokens"],
        "features": features,
        "traces": outcomes.on_days(period.first, period.last).outcome_totals(),
        "unpriced_models": _unpriced(calls, project.slug, period),
        "spend_fig": charts.spend_over_time(by_day, period.first, period.last),
        "feature_fig": charts.spend_by_feature(features),
        # Only asked when the range is empty, so a page with data costs no extra query.
        "has_any_call": totals["calls"] > 0 or DailyRollup.objects.for_project(project.pk).exists(),
        "otlp_endpoint": request.build_absolute_uri(reverse("ingest:otlp-traces")),
    }
    return render(request, "finops/overview.html", ctx)


_MONEY = ("spend_usd", "retry_spend_usd", "avoided_usd")


def _usd(amount: Decimal) -> Decimal:
    # SQLite sums as REAL, returned with 15 significant digits: back to the column's 10.
    return amount.quantize(Decimal("0.0000000001"), rounding=ROUND_HALF_UP)


def _unpriced(calls, slug: str, period) -> list[dict]:
    """The models of unpriced calls, most first, each with a link to those calls."""
    filters = Filters(period, None)
    return [
        {
            "model": g["model"],
            "calls": g["unpriced"],
            # A model-less call cannot be searched by model: link to the period's calls.
            "calls_url": calls_url(slug, filters, model=g["model"]),
        }
        for g in calls.unpriced_by_model()[:10]
    ]
