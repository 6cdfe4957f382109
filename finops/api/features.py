"""``GET /api/v1/features/``: per feature spend, calls, outcomes and cost per outcome over a
range of UTC days, from the daily rollups (the same rows as the Features page)."""

from __future__ import annotations

from django.utils.dateparse import parse_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, serializers

from finops.api.auth import project_for_api
from finops.features import load_feature_rows
from finops.filters import MAX_DAYS, DayRange, day_range, parse_filters


def _usd(help_text: str, *, allow_null: bool = False) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=30,
        decimal_places=10,
        coerce_to_string=True,
        allow_null=allow_null,
        read_only=True,
        help_text=help_text,
    )


def _period(params) -> DayRange:
    """The range of ``?start=&end=``; a bad date, a start after the end or a range longer
    than ``MAX_DAYS`` is a 400 naming the parameter (the pages correct them instead)."""
    days = {}
    for name in ("start", "end"):
        raw = params.get(name, "")
        try:
            days[name] = parse_date(raw) if raw else None
        except ValueError:  # well formed but impossible: 2026-02-30
            days[name] = None
        if raw and days[name] is None:
            raise exceptions.ValidationError({name: f"{raw!r} is not an ISO date (2026-11-01)"})
    if days["start"] and days["end"] and days["start"] > days["end"]:
        raise exceptions.ValidationError({"start": "start is after end"})
    period = day_range(params)
    if period.problem:
        raise exceptions.ValidationError({"start": f"ranges are limited to {MAX_DAYS} days"})
    return period


class FeatureSerializer(serializers.Serializer):
    feature = serializers.CharField(read_only=True, help_text='The feature; "" = unattributed.')
    spend_usd = _usd("USD as a decimal string: all priced LLM calls of the feature.")
    calls = serializers.IntegerField(read_only=True)
    outcomes = serializers.IntegerField(
        read_only=True, help_text="Traces with an outcome, under their root span's feature."
    )
    successes = serializers.IntegerField(read_only=True)
    cost_per_outcome_usd = _usd("spend_usd / outcomes; null without outcomes.", allow_null=True)
    cost_per_success_usd = _usd("spend_usd / successes; null without successes.", allow_null=True)
    success_rate = serializers.FloatField(
        read_only=True, allow_null=True, help_text="successes / outcomes (0..1); null without."
    )


@extend_schema(
    parameters=[
        OpenApiParameter("project", OpenApiTypes.STR, description="Project slug (session auth)"),
        OpenApiParameter(
            "start", OpenApiTypes.DATE, description="First UTC day, inclusive (default: end - 29)"
        ),
        OpenApiParameter("end", OpenApiTypes.DATE, description="Last UTC day, inclusive (today)"),
        *[
            OpenApiParameter(
                name,
                OpenApiTypes.STR,
                description=f"Only calls of this {name} ('(unattributed)': calls without one)"
                + ("; outcomes are not narrowed by it" if name in ("template", "model") else ""),
            )
            for name in ("feature", "segment", "template", "model")
        ],
    ]
)
class FeatureList(generics.ListAPIView):
    """A row per feature with calls or outcomes in the range, largest spend first."""

    serializer_class = FeatureSerializer
    pagination_class = None  # one row per feature: a short list

    def get_queryset(self):
        project = project_for_api(self.request)
        params = self.request.query_params
        return load_feature_rows(project.pk, _period(params), filters=parse_filters(params))
