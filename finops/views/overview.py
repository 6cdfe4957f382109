"""The project overview: spend over time, spend by feature, calls, tokens, unpriced calls."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse

from finops import charts
from finops.filters import day_range
from finops.models import Project
from finops.views.common import get_project_for
from ingest.models import LLMCall, Trace


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
    calls = LLMCall.objects.for_project(project.pk).on_days(period.first, period.last)
    totals = calls.totals()
    features = list(calls.by_feature())
    ctx = {
        "project": project,
        "period": period,
        "totals": totals,
        "tokens": totals["input_tokens"] + totals["output_tokens"],
        "features": features,
        "traces": Trace.objects.for_project(project.pk)
        .on_days(period.first, period.last)
        .outcome_totals(),
        "unpriced_models": list(calls.unpriced_models()[:10]),
        "spend_fig": charts.spend_over_time(calls.by_day(), period.first, period.last),
        "feature_fig": charts.spend_by_feature(features),
        "has_any_call": totals["calls"] > 0 or LLMCall.objects.for_project(project.pk).exists(),
        "otlp_endpoint": request.build_absolute_uri(reverse("ingest:otlp-traces")),
    }
    return render(request, "finops/overview.html", ctx)
