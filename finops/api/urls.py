from __future__ import annotations

from django.urls import path

from finops.api import budgets, calls, feature_detail, features, outcomes, trace_detail, traces

app_name = "api"

urlpatterns = [
    path("calls/", calls.CallList.as_view(), name="call-list"),
    path("features/", features.FeatureList.as_view(), name="feature-list"),
    path("features/<str:name>/", feature_detail.FeatureDetail.as_view(), name="feature-detail"),
    path("traces/", traces.TraceList.as_view(), name="trace-list"),
    path("traces/<str:trace_id>/", trace_detail.TraceDetail.as_view(), name="trace-detail"),
    path("budgets/", budgets.BudgetList.as_view(), name="budget-list"),
    path("budgets/<int:budget_id>/", budgets.BudgetDetail.as_view(), name="budget-detail"),
    path("alerts/", budgets.AlertList.as_view(), name="alert-list"),
    path("outcomes", outcomes.OutcomeCreate.as_view(), name="outcome-create"),
    path("scores", outcomes.ScoreCreate.as_view(), name="score-create"),
]
