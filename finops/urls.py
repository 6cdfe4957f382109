from __future__ import annotations

from django.urls import path

from finops.views import breakdowns, features, overview, trace, traces

app_name = "finops"

urlpatterns = [
    path("", overview.home, name="home"),
    path("p/<slug:slug>/", overview.overview, name="overview"),
    path("p/<slug:slug>/features/", features.features, name="features"),
    path("p/<slug:slug>/segments/", breakdowns.segments, name="segments"),
    path("p/<slug:slug>/templates/", breakdowns.templates, name="templates"),
    path("p/<slug:slug>/traces/", traces.traces, name="traces"),
    path("p/<slug:slug>/traces/saved/", traces.saved_searches, name="saved-searches"),
    path("p/<slug:slug>/traces/<str:trace_id>/", trace.trace_detail, name="trace-detail"),
]
