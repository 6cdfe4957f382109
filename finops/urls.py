from __future__ import annotations

from django.urls import path

from finops.views import (
    breakdowns,
    budgets,
    feature_detail,
    features,
    overview,
    trace,
    traces,
)

app_name = "finops"

urlpatterns = [
    path("", overview.home, name="home"),
    path("p/<slug:slug>/", overview.overview, name="overview"),
    path("p/<slug:slug>/features/", features.features, name="features"),
    path(
        "p/<slug:slug>/features/<str:name>/", feature_detail.feature_detail, name="feature-detail"
    ),
    path("p/<slug:slug>/features/<str:name>/why/", feature_detail.feature_why, name="feature-why"),
    path("p/<slug:slug>/segments/", breakdowns.segments, name="segments"),
    path("p/<slug:slug>/templates/", breakdowns.templates, name="templates"),
    path("p/<slug:slug>/traces/", traces.traces, name="traces"),
    path("p/<slug:slug>/traces/saved/", traces.saved_searches, name="saved-searches"),
    path("p/<slug:slug>/traces/<str:trace_id>/", trace.trace_detail, name="trace-detail"),
    path("p/<slug:slug>/budgets/", budgets.budgets, name="budgets"),
    path("p/<slug:slug>/budgets/new/", budgets.budget_new, name="budget-new"),
    path("p/<slug:slug>/budgets/<int:budget_id>/", budgets.budget_detail, name="budget-detail"),
    path("p/<slug:slug>/budgets/<int:budget_id>/edit/", budgets.budget_edit, name="budget-edit"),
]
