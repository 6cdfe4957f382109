from __future__ import annotations

from django.urls import path

from ingest import views

app_name = "ingest"

urlpatterns = [
    path("v1/traces", views.otlp_traces, name="otlp-traces"),
    path("v1/logs", views.otlp_logs, name="otlp-logs"),
    path("v1/metrics", views.otlp_metrics, name="otlp-metrics"),
    # The Langfuse SDK's OTLP exporter posts here with Basic auth.
    path("api/public/otel/v1/traces", views.langfuse_otel_traces, name="langfuse-traces"),
]
