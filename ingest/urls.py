from __future__ import annotations

from django.urls import path

from ingest import views

app_name = "ingest"

urlpatterns = [
    path("v1/traces", views.otlp_traces, name="otlp-traces"),
]
