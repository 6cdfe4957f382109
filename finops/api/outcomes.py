"""``POST /api/v1/outcomes`` and ``POST /api/v1/scores``: business outcomes and quality
scores reported after the fact, idempotent by key (201 stored, 200 repeated, 409 conflict)."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from finops.api.auth import project_for_api
from ingest.models import IdempotencyConflict, Outcome, Score, ScoreSource

TRACE_ID = r"^[0-9a-fA-F]{32}$"
SPAN_ID = r"^[0-9a-fA-F]{16}$"


class OutcomeRequestSerializer(serializers.Serializer):
    trace_id = serializers.RegexField(
        TRACE_ID,
        required=False,
        help_text="The trace (32 hex characters). Give exactly one of trace_id and session.",
        error_messages={"invalid": "must be 32 hex characters"},
    )
    session = serializers.CharField(
        required=False,
        max_length=200,
        help_text="A session / conversation id: the outcome goes to its latest trace.",
    )
    name = serializers.CharField(max_length=200, help_text="e.g. ticket_resolved")
    success = serializers.BooleanField()
    value_usd = serializers.DecimalField(
        max_digits=20,
        decimal_places=10,
        min_value=Decimal(0),
        required=False,
        allow_null=True,
        help_text="Business value in USD: a non-negative decimal string (or number).",
    )
    idempotency_key = serializers.CharField(
        max_length=200, help_text="Client-chosen; the same key again is not stored twice."
    )
    occurred_at = serializers.DateTimeField(
        required=False, help_text="When the outcome happened (ISO 8601); default: now."
    )

    def validate_trace_id(self, value: str) -> str:
        return value.lower()

    def validate(self, attrs: dict) -> dict:
        if ("trace_id" in attrs) == ("session" in attrs):
            raise serializers.ValidationError(
                {"trace_id": "give exactly one of trace_id and session"}
            )
        return attrs


class OutcomeSerializer(serializers.ModelSerializer):
    value_usd = serializers.DecimalField(
        max_digits=20, decimal_places=10, coerce_to_string=True, allow_null=True
    )
    applied_trace_id = serializers.CharField(
        help_text="The trace the outcome was written to; empty while a session has no trace."
    )

    class Meta:
        model = Outcome
        fields = [
            "idempotency_key",
            "trace_id",
            "session",
            "applied_trace_id",
            "name",
            "success",
            "value_usd",
            "source",
            "occurred_at",
            "created_at",
        ]


class ScoreRequestSerializer(serializers.Serializer):
    trace_id = serializers.RegexField(
        TRACE_ID, error_messages={"invalid": "must be 32 hex characters"}
    )
    span_id = serializers.RegexField(
        SPAN_ID,
        required=False,
        allow_blank=True,
        help_text="The call's span (16 hex characters); omit to score the whole trace.",
        error_messages={"invalid": "must be 16 hex characters"},
    )
    name = serializers.CharField(max_length=200, help_text="e.g. relevance, helpfulness")
    value = serializers.FloatField(min_value=0.0, max_value=1.0, help_text="0..1")
    source = serializers.ChoiceField(choices=ScoreSource.choices)
    idempotency_key = serializers.CharField(
        max_length=200,
        required=False,
        help_text="Optional; by default a hash of the content (the same score is stored once).",
    )

    def validate_trace_id(self, value: str) -> str:
        return value.lower()

    def validate_span_id(self, value: str) -> str:
        return value.lower()


class ScoreSerializer(serializers.ModelSerializer):
    class Meta:
        model = Score
        fields = [
            "idempotency_key",
            "trace_id",
            "span_id",
            "name",
            "value",
            "source",
            "created_at",
        ]


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()


PROJECT = OpenApiParameter(
    "project", OpenApiTypes.STR, description="Project slug (session auth); a key's own project"
)


def _responses(serializer) -> dict:
    return {
        201: OpenApiResponse(serializer, description="Stored"),
        200: OpenApiResponse(serializer, description="Already stored under this key"),
        400: OpenApiResponse(description="Invalid body: errors by field"),
        404: OpenApiResponse(description="No such project for these credentials"),
        409: OpenApiResponse(ConflictSerializer, description="Key reused with another body"),
    }


def _record(request, request_serializer, model, serializer) -> Response:
    project = project_for_api(request)  # before validation: outsiders learn nothing
    body = request_serializer(data=request.data)
    body.is_valid(raise_exception=True)
    try:
        row, created = model.objects.record(project.pk, **body.validated_data)
    except IdempotencyConflict as exc:
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    return Response(
        serializer(row).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
    )


class OutcomeCreate(APIView):
    @extend_schema(
        operation_id="outcomes_create",
        summary="Report a business outcome of a trace or session",
        parameters=[PROJECT],
        request=OutcomeRequestSerializer,
        responses=_responses(OutcomeSerializer),
    )
    def post(self, request):
        return _record(request, OutcomeRequestSerializer, Outcome, OutcomeSerializer)


class ScoreCreate(APIView):
    @extend_schema(
        operation_id="scores_create",
        summary="Report a 0..1 quality score of a call or trace",
        parameters=[PROJECT],
        request=ScoreRequestSerializer,
        responses=_responses(ScoreSerializer),
    )
    def post(self, request):
        return _record(request, ScoreRequestSerializer, Score, ScoreSerializer)
