"""``GET /api/v1/traces/``: traces of one project (their summary rows), filtered like the
Traces page (``finops.search.traces``), sorted by time, cost or latency, keyset-paginated."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers

from finops.api.auth import project_for_api
from finops.api.search_params import COMMON_PARAMETERS, KeysetPagination, search_from
from finops.search.traces import TRACE_SORTS, filter_traces
from ingest.models import Trace

_USD = {"max_digits": 20, "decimal_places": 10, "coerce_to_string": True}


class TraceSerializer(serializers.ModelSerializer):
    cost_usd = serializers.DecimalField(**_USD, help_text="USD of its priced calls")
    retry_cost_usd = serializers.DecimalField(**_USD, help_text="USD spent on retries")
    avoided_cost_usd = serializers.DecimalField(**_USD, help_text="USD saved by app-cache hits")
    outcome_value_usd = serializers.DecimalField(**_USD, allow_null=True)
    outcome = serializers.SerializerMethodField(help_text='null, "success" or "failure"')
    status = serializers.SerializerMethodField(help_text='"error" when any call failed')

    class Meta:
        model = Trace
        fields = [
            "trace_id",
            "root_name",
            "start_time",
            "duration_ms",
            "feature",
            "segment",
            "customer",
            "session",
            "cost_usd",
            "unpriced_calls",
            "calls",
            "retries",
            "fallbacks",
            "model_escalations",
            "human_escalations",
            "errors",
            "cache_hits",
            "retry_cost_usd",
            "avoided_cost_usd",
            "status",
            "outcome",
            "outcome_name",
            "outcome_value_usd",
            "quality_score",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=["success", "failure"], allow_null=True))
    def get_outcome(self, trace: Trace) -> str | None:
        return trace.outcome or None

    @extend_schema_field(serializers.ChoiceField(choices=["ok", "error"]))
    def get_status(self, trace: Trace) -> str:
        return "error" if trace.errors else "ok"


@extend_schema(
    parameters=[
        *COMMON_PARAMETERS,
        OpenApiParameter(
            "sort",
            str,
            description="time, cost or latency (the trace's duration); - for descending",
            enum=[f"{d}{k}" for k in TRACE_SORTS for d in ("-", "")],
        ),
    ],
    description="Traces that started in the range; a call-level filter (template, model, "
    "tokens, attributes, text…) keeps the traces with at least one matching call. A trace "
    "is listed once finalized, seconds after its last span.",
)
class TraceList(generics.ListAPIView):
    serializer_class = TraceSerializer
    pagination_class = KeysetPagination
    sorts = TRACE_SORTS

    def get_queryset(self):
        project = project_for_api(self.request)
        self.search = search_from(self.request)
        return filter_traces(Trace.objects.for_project(project.pk), self.search)
