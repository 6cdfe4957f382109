"""``GET /api/v1/traces/{trace_id}/``: one trace with every span (waterfall order), its calls'
LLM fields and price lines, cost shares, scores and outcomes.

Prompt and output text: only with ``?include=content``, and only for a signed-in user with
trace-content access (engineer, admin) in the project. An API key never gets it: a key is a
project credential with no role, often held by scripts and dashboards.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, generics, serializers

from finops.api.auth import project_for_api
from finops.models import ApiKey
from finops.trace_detail import call_price, can_read_content, detail_logs, load_trace

MONEY = {"max_digits": 20, "decimal_places": 10, "coerce_to_string": True}


class PriceLineSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="genai-prices usage key, e.g. cache_read_tokens")
    label = serializers.CharField()
    quantity = serializers.IntegerField(help_text="Tokens (or requests) billed on this line")
    unit_usd = serializers.DecimalField(help_text="USD per `per` units", **MONEY)
    per = serializers.IntegerField(help_text="Units the unit price is for (1000000 = per MTok)")
    cost_usd = serializers.DecimalField(help_text="quantity times unit_usd / per, USD", **MONEY)
    included = serializers.BooleanField(help_text="Part of another line (reasoning in output)")


class PriceSerializer(serializers.Serializer):
    lines = PriceLineSerializer(many=True)
    total_usd = serializers.DecimalField(**MONEY)
    matched_model = serializers.CharField()
    source = serializers.CharField()
    reason = serializers.CharField(help_text="Why there are no lines (unpriced, cache hit…)")


class CallMessageSerializer(serializers.Serializer):
    role = serializers.CharField()
    text = serializers.CharField()


class TraceCallSerializer(serializers.Serializer):
    provider = serializers.CharField()
    operation = serializers.CharField()
    request_model = serializers.CharField()
    response_model = serializers.CharField()
    input_tokens = serializers.IntegerField()
    output_tokens = serializers.IntegerField()
    cache_read_tokens = serializers.IntegerField()
    cache_write_tokens = serializers.IntegerField()
    reasoning_tokens = serializers.IntegerField()
    cost_usd = serializers.DecimalField(allow_null=True, **MONEY)
    price_source = serializers.CharField()
    price_note = serializers.CharField()
    error_type = serializers.CharField()
    feature = serializers.CharField()
    template = serializers.CharField()
    template_version = serializers.CharField()
    segment = serializers.CharField()
    customer = serializers.CharField()
    route = serializers.CharField()
    attempt = serializers.IntegerField()
    is_retry = serializers.BooleanField()
    is_fallback = serializers.BooleanField()
    escalation = serializers.CharField(allow_null=True, help_text='null, "model" or "human"')
    cache_hit = serializers.BooleanField()
    quality_score = serializers.FloatField(allow_null=True)
    price = serializers.SerializerMethodField()

    @extend_schema_field(PriceSerializer)
    def get_price(self, call) -> dict:
        return PriceSerializer(call_price(call)).data

    def to_representation(self, call):
        data = super().to_representation(call)
        data["escalation"] = call.escalation or None
        return data


class TraceSpanSerializer(serializers.Serializer):
    span_id = serializers.CharField()
    parent_span_id = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.SerializerMethodField(help_text="OTel span kind (0 unspecified … 5)")
    category = serializers.CharField(
        help_text="llm, embedding, tool, retrieval, agent, step, other"
    )
    start_time = serializers.DateTimeField(source="start")
    end_time = serializers.DateTimeField(source="end")
    duration_ms = serializers.FloatField()
    status_code = serializers.IntegerField(help_text="0 unset, 1 ok, 2 error")
    status_message = serializers.CharField()
    depth = serializers.IntegerField(help_text="Nesting level in the waterfall (0 = root)")
    offset_pct = serializers.FloatField(help_text="Start, in % of the trace's duration")
    width_pct = serializers.FloatField(help_text="Duration, in % of the trace's duration")
    orphan = serializers.BooleanField(help_text="Its parent span has not arrived")
    call = TraceCallSerializer(allow_null=True, help_text="LLM-call fields; null for other spans")
    content = serializers.SerializerMethodField()

    def get_kind(self, row) -> int:
        return row.span.kind if row.span is not None else 0

    @extend_schema_field(
        serializers.DictField(
            allow_null=True,
            help_text="{input: [{role, text}], output: [...]} with ?include=content for "
            "engineers and admins signed in; null otherwise",
        )
    )
    def get_content(self, row):
        if not self.context.get("with_content") or row.span is None or row.call is None:
            return None
        content = row.span.content(self.context["logs"].get(row.span_id, ()))
        return {
            "input": CallMessageSerializer(content.input, many=True).data,
            "output": CallMessageSerializer(content.output, many=True).data,
        }


class CostShareSerializer(serializers.Serializer):
    label = serializers.CharField()
    calls = serializers.IntegerField()
    cost_usd = serializers.DecimalField(**MONEY)
    pct = serializers.DecimalField(
        max_digits=6,
        decimal_places=1,
        allow_null=True,
        coerce_to_string=True,
        help_text="% of the trace's cost",
    )


class TraceScoreSerializer(serializers.Serializer):
    span_id = serializers.CharField(help_text="Blank for a trace-level score")
    name = serializers.CharField()
    value = serializers.FloatField()
    source = serializers.CharField()


class TraceOutcomeSerializer(serializers.Serializer):
    name = serializers.CharField()
    success = serializers.BooleanField()
    value_usd = serializers.DecimalField(allow_null=True, **MONEY)
    source = serializers.CharField()
    occurred_at = serializers.DateTimeField()


class TraceDetailSerializer(serializers.Serializer):
    trace_id = serializers.CharField()
    start_time = serializers.DateTimeField(source="start")
    duration_ms = serializers.FloatField()
    cost_usd = serializers.DecimalField(source="cost.total_usd", **MONEY)
    unpriced_calls = serializers.IntegerField(source="cost.unpriced_calls")
    shares = CostShareSerializer(source="cost.shares", many=True)
    outcome = serializers.CharField(source="summary.outcome", default="")
    quality_score = serializers.FloatField(source="summary.quality_score", default=None)
    spans = TraceSpanSerializer(source="rows", many=True)
    truncated = serializers.BooleanField(
        help_text="More spans than the page limit: the earliest are listed, and every call"
    )
    scores = TraceScoreSerializer(many=True)
    outcomes = TraceOutcomeSerializer(many=True)


@extend_schema(
    parameters=[
        OpenApiParameter("project", OpenApiTypes.STR, description="Project slug (session auth)"),
        OpenApiParameter(
            "include",
            OpenApiTypes.STR,
            description="`content`: add each call's messages (signed-in engineers and admins "
            "only; never for an API key)",
        ),
    ],
    responses=TraceDetailSerializer,
)
class TraceDetail(generics.RetrieveAPIView):
    serializer_class = TraceDetailSerializer

    def get_object(self):
        project = project_for_api(self.request)
        detail = load_trace(project.pk, self.kwargs["trace_id"])
        if detail is None:
            raise exceptions.NotFound("no such trace in this project")
        self.with_content = self._may_read_content(project)
        self.logs = detail_logs(project.pk, detail) if self.with_content else {}
        return detail

    def _may_read_content(self, project) -> bool:
        if self.request.query_params.get("include") != "content":
            return False
        if isinstance(self.request.auth, ApiKey):
            raise exceptions.PermissionDenied("an API key never reads prompt or output text")
        if not can_read_content(self.request.user, project):
            raise exceptions.PermissionDenied("content needs the engineer or admin role")
        return True

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["with_content"] = getattr(self, "with_content", False)
        context["logs"] = getattr(self, "logs", {})
        return context
