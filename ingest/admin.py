from __future__ import annotations

from django.contrib import admin

from ingest.models import LLMCall, Outcome, Score, Span, SpanLog, Trace


@admin.register(Span)
class SpanAdmin(admin.ModelAdmin):
    list_display = ["name", "trace_id", "span_id", "start_time", "duration_ms", "project"]
    list_filter = ["project"]
    search_fields = ["trace_id", "span_id", "name"]
    list_select_related = ["project"]
    show_full_result_count = False


@admin.register(LLMCall)
class LLMCallAdmin(admin.ModelAdmin):
    list_display = [
        "start_time",
        "provider",
        "response_model",
        "input_tokens",
        "output_tokens",
        "cost_usd",
        "feature",
        "segment",
        "project",
    ]
    list_filter = ["project", "provider", "feature", "segment"]
    search_fields = ["trace_id", "span_id", "request_model", "response_model"]
    list_select_related = ["project"]
    show_full_result_count = False


@admin.register(Trace)
class TraceAdmin(admin.ModelAdmin):
    list_display = [
        "trace_id",
        "root_name",
        "start_time",
        "feature",
        "segment",
        "cost_usd",
        "calls",
        "outcome",
        "needs_finalize",
        "project",
    ]
    list_filter = ["project", "needs_finalize", "outcome", "feature"]
    search_fields = ["trace_id", "root_name"]
    list_select_related = ["project"]
    show_full_result_count = False


@admin.register(SpanLog)
class SpanLogAdmin(admin.ModelAdmin):
    list_display = ["event_name", "trace_id", "span_id", "time", "project"]
    list_filter = ["project", "event_name"]
    search_fields = ["trace_id", "span_id"]
    list_select_related = ["project"]
    show_full_result_count = False


@admin.register(Outcome)
class OutcomeAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "success",
        "value_usd",
        "trace_id",
        "session",
        "applied_trace_id",
        "source",
        "occurred_at",
        "project",
    ]
    list_filter = ["project", "source", "success", "name"]
    search_fields = ["trace_id", "session", "applied_trace_id", "idempotency_key"]
    list_select_related = ["project"]
    show_full_result_count = False


@admin.register(Score)
class ScoreAdmin(admin.ModelAdmin):
    list_display = ["name", "value", "source", "trace_id", "span_id", "created_at", "project"]
    list_filter = ["project", "source", "name"]
    search_fields = ["trace_id", "span_id", "idempotency_key"]
    list_select_related = ["project"]
    show_full_result_count = False
