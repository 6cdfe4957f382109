"""``GET /api/v1/calls/``: LLM calls of one project, filtered like the Traces page
(``finops.search``), sorted by time, cost, latency or tokens, keyset-paginated."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers

from finops.api.auth import project_for_api
from finops.api.search_params import COMMON_PARAMETERS, KeysetPagination, search_from
from finops.search.calls import SORT_EXPRESSIONS, filter_calls
from ingest.models import LLMCall


class CallSerializer(serializers.ModelSerializer):
    cost_usd = serializers.DecimalField(
        max_digits=20,
        decimal_places=10,
        coerce_to_string=True,
        allow_null=True,
        help_text="USD as a decimal string; null when the call could not be priced.",
    )
    escalation = serializers.SerializerMethodField(
        help_text='null, "model" (to a bigger model) or "human"'
    )
    status = serializers.SerializerMethodField(help_text='"ok", or "error" with error_type')

    class Meta:
        model = LLMCall
        fields = [
            "trace_id",
            "span_id",
            "parent_span_id",
            "start_time",
            "duration_ms",
            "provider",
            "operation",
            "request_model",
            "response_model",
            "input_tokens",
            "output_tokens",
            "cache_read_tokens",
            "cache_write_tokens",
            "reasoning_tokens",
            "cost_usd",
            "price_source",
            "price_note",
            "error_type",
            "feature",
            "template",
            "template_version",
            "segment",
            "customer",
            "route",
            "session",
            "attempt",
            "is_retry",
            "is_fallback",
            "escalation",
            "cache_hit",
            "status",
            "quality_score",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=["model", "human"], allow_null=True))
    def get_escalation(self, call: LLMCall) -> str | None:
        return call.escalation or None

    @extend_schema_field(serializers.ChoiceField(choices=["ok", "error"]))
    def get_status(self, call: LLMCall) -> str:
        return "error" if call.error_type else "ok"


SORT_PARAMETER = OpenApiParameter(
    "sort",
    str,
    description="time, cost, latency or tokens; - for descending (default -time). "
    "Unpriced calls sort below $0.",
    enum=[f"{d}{k}" for k in SORT_EXPRESSIONS for d in ("-", "")],
)


@extend_schema(parameters=[*COMMON_PARAMETERS, SORT_PARAMETER])
class CallList(generics.ListAPIView):
    serializer_class = CallSerializer
    pagination_class = KeysetPagination
    sorts = SORT_EXPRESSIONS

    def get_queryset(self):
        project = project_for_api(self.request)
        self.search = search_from(self.request)
        return filter_calls(LLMCall.objects.for_project(project.pk), self.search)
