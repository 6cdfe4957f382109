from __future__ import annotations

from django.urls import path

from finops.api import calls, features, outcomes, traces

app_name = "api"

urlpatterns = [
    path("calls/", calls.CallList.as_view(), name="call-list"),
    path("features/", features.FeatureList.as_view(), name="feature-list"),
    path("traces/", traces.TraceList.as_view(), name="trace-list"),
    path("outcomes", outcomes.OutcomeCreate.as_view(), name="outcome-create"),
    path("scores", outcomes.ScoreCreate.as_view(), name="score-create"),
]
