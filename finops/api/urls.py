from __future__ import annotations

from django.urls import path

from finops.api import calls, feature_detail, features, outcomes, trace_detail, traces

app_name = "api"

urlpatterns = [
    path("calls/", calls.CallList.as_view(), name="call-list"),
    path("features/", features.FeatureList.as_view(), name="feature-list"),
    path("features/<str:name>/", feature_detail.FeatureDetail.as_view(), name="feature-detail"),
    path("traces/", traces.TraceList.as_view(), name="trace-list"),
    path("traces/<str:trace_id>/", trace_detail.TraceDetail.as_view(), name="trace-detail"),
    path("outcomes", outcomes.OutcomeCreate.as_view(), name="outcome-create"),
    path("scores", outcomes.ScoreCreate.as_view(), name="score-create"),
]
