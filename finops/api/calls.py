"""``GET /api/v1/calls/``: LLM calls of one project, newest first, cursor-paginated."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, pagination, serializers

from finops.api.auth import project_for_api
from ingest.models import LLMCall


class CallSerializer(serializers.ModelSerializer):
    cost_usd = serializers.DecimalField(
        max_digits=20,
        decimal_places=10,
        coerce_to_string=True,
        allow_null=True,
        help_text="USD as a decimal string; null when the call could not be priced.",
    )

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
        ]


class NewestFirst(pagination.CursorPagination):
    ordering = ("-start_time", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def parse_bound(name: str, value: str | None, *, end: bool = False) -> datetime | None:
    """A query bound: an ISO datetime, or a date (start: its midnight; end: the next one).

    An invalid or impossible value (2026-02-30) is a 400 naming the parameter.
    """
    if not value:
        return None
    try:
        if len(value) == 10:  # a bare date; parse_datetime would also accept it as midnight
            day = parse_date(value)
            moment = None if day is None else datetime.combine(day, time.min, tzinfo=UTC)
            if moment is not None and end:
                moment += timedelta(days=1)
        else:
            moment = parse_datetime(value)
    except ValueError:
        moment = None
    if moment is None:
        raise exceptions.ValidationError(
            {name: f"{value!r} is not an ISO date (2026-11-01) or datetime"}
        )
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


@extend_schema(
    parameters=[
        OpenApiParameter("project", OpenApiTypes.STR, description="Project slug (session auth)"),
        OpenApiParameter("trace_id", OpenApiTypes.STR, description="32 hex characters"),
        OpenApiParameter("start", OpenApiTypes.STR, description="ISO date or datetime, inclusive"),
        OpenApiParameter(
            "end",
            OpenApiTypes.STR,
            description="ISO datetime (exclusive) or date (inclusive: the whole day)",
        ),
    ]
)
class CallList(generics.ListAPIView):
    serializer_class = CallSerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        params = self.request.query_params
        project = project_for_api(self.request)
        start = parse_bound("start", params.get("start"))
        end = parse_bound("end", params.get("end"), end=True)
        qs = LLMCall.objects.for_project(project.pk).between(start, end)
        if trace_id := params.get("trace_id"):
            qs = qs.filter(trace_id=trace_id.lower())
        return qs
