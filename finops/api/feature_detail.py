"""``GET /api/v1/features/{name}/``: one feature's KPIs, breakdowns (per day, model route,
template, segment, user action; reliability and caching) and the drivers of its change in
cost per outcome, from the daily rollups: the same numbers as the feature page and its
why-it-moved page. Money is a decimal string; every row carries ``calls_url``, the trace search
of the calls behind it."""

from __future__ import annotations

from functools import partial

from django.utils.dateparse import parse_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, serializers

from finops import feature_tables, why_tables
from finops.api.auth import project_for_api
from finops.api.features import _period
from finops.feature_detail import calls_url, has_any_data, load_detail
from finops.filters import COMPARE_MODES, UNATTRIBUTED, Filters, parse_filters
from finops.tables import Column
from finops.why import load_why


def _decimal(places: int, help_text: str = "") -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=40,
        decimal_places=places,
        coerce_to_string=True,
        allow_null=True,
        read_only=True,
        help_text=help_text,
    )


_FIELDS = {
    "usd": lambda: _decimal(10, "USD, decimal string"),
    "usd6": lambda: _decimal(12, "USD per outcome, decimal string"),
    "pct": lambda: _decimal(2, "percent"),
    "ratio": lambda: _decimal(2),
    "int": lambda: serializers.IntegerField(read_only=True, allow_null=True),
    "ms": lambda: serializers.IntegerField(read_only=True, allow_null=True, help_text="ms"),
    "score": lambda: serializers.FloatField(read_only=True, allow_null=True, help_text="0..1"),
    "text": lambda: serializers.CharField(read_only=True),
}


def _row_serializer(name: str, columns: list[Column]) -> type[serializers.Serializer]:
    """A serializer of a page table's rows: one field per column, plus ``calls_url``."""
    attrs = {c.key: _FIELDS[c.kind]() for c in columns}
    attrs["calls_url"] = serializers.CharField(
        read_only=True, help_text="Path of the trace search listing the calls behind the row"
    )
    return type(f"FeatureDetail{name}RowSerializer", (serializers.Serializer,), attrs)


class KpiSerializer(serializers.Serializer):
    spend_usd = _decimal(10, "All priced LLM spend of the feature (retries etc. included)")
    calls = serializers.IntegerField(read_only=True)
    outcomes = serializers.IntegerField(read_only=True)
    successes = serializers.IntegerField(read_only=True)
    outcome_value_usd = _decimal(10, "Sum of the outcomes' values")
    cost_per_outcome_usd = _decimal(10, "spend_usd / outcomes; null without outcomes")
    cost_per_success_usd = _decimal(10, "spend_usd / successes; null without successes")
    success_rate_pct = _decimal(2, "successes / outcomes, percent")
    value_per_dollar = _decimal(2, "outcome_value_usd / spend_usd; null without values")
    compare_spend_usd = _decimal(10, "Spend of the compare period; null without one")
    compare_outcomes = serializers.IntegerField(read_only=True, allow_null=True)
    compare_cost_per_outcome_usd = _decimal(10)
    spend_change_pct = _decimal(2)
    cost_per_outcome_change_pct = _decimal(2)


class DriverSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)
    delta_usd = _decimal(12, "Change of cost per outcome this driver explains, USD")
    share = _decimal(4, "delta_usd / change_usd (can be < 0 or > 1); null without change")
    phrase = serializers.CharField(read_only=True)


class DriversSerializer(serializers.Serializer):
    before_usd = _decimal(12, "Cost per outcome of the compare period")
    after_usd = _decimal(12, "Cost per outcome of the period")
    change_usd = _decimal(12, "after_usd - before_usd = the sum of the drivers' delta_usd")
    primary = serializers.CharField(read_only=True, allow_null=True)
    note = serializers.CharField(read_only=True, help_text="Why there are no drivers, if so")
    drivers = DriverSerializer(many=True, read_only=True)


_TABLES = {
    "reliability": feature_tables.RELIABILITY_COLUMNS,
    "daily": feature_tables.DAILY_COLUMNS,
    "routes": feature_tables.ROUTE_COLUMNS,
    "templates": feature_tables.TEMPLATE_COLUMNS + feature_tables.RETRIEVAL_COLUMNS,
    "segments": feature_tables.SEGMENT_COLUMNS,
    "actions": feature_tables.ACTION_COLUMNS,
    "weekly": why_tables.WEEKLY_COLUMNS,
}


class FeatureDetailSerializer(serializers.Serializer):
    feature = serializers.CharField(read_only=True, help_text='"(unattributed)": no feature')
    start = serializers.DateField(read_only=True)
    end = serializers.DateField(read_only=True)
    compare_start = serializers.DateField(read_only=True, allow_null=True)
    compare_end = serializers.DateField(read_only=True, allow_null=True)
    outcomes_are_the_features = serializers.BooleanField(
        read_only=True,
        help_text="True when a template or model filter narrows spend but not outcomes",
    )
    kpis = KpiSerializer(read_only=True)
    reliability = _row_serializer("Reliability", _TABLES["reliability"])(many=True)
    by_day = _row_serializer("Day", _TABLES["daily"])(many=True)
    by_model_route = _row_serializer("Route", _TABLES["routes"])(many=True)
    by_template = _row_serializer("Template", _TABLES["templates"])(many=True)
    by_segment = _row_serializer("Segment", _TABLES["segments"])(many=True)
    by_user_action = _row_serializer("Action", _TABLES["actions"])(many=True)
    drivers = DriversSerializer(read_only=True)
    weekly = _row_serializer("Week", _TABLES["weekly"])(many=True)


def _filters(params) -> Filters:
    """``parse_filters``, but a bad value is a 400 naming the parameter."""
    _period(params)  # start / end
    mode = params.get("compare", "") or "previous"
    if mode not in COMPARE_MODES:
        raise exceptions.ValidationError({"compare": f"must be one of {', '.join(COMPARE_MODES)}"})
    if mode == "custom":
        for name in ("compare_start", "compare_end"):
            raw = params.get(name, "")
            try:
                valid = bool(raw) and parse_date(raw) is not None
            except ValueError:
                valid = False
            if not valid:
                raise exceptions.ValidationError(
                    {name: "an ISO date is needed with compare=custom"}
                )
    filters = parse_filters(params)
    if filters.problems:  # e.g. a custom compare range the wrong way round
        raise exceptions.ValidationError({"compare_start": filters.problems[0]})
    return filters


def _rows(table, columns) -> list[dict]:
    keys = [c.key for c in columns]
    rows = []
    for row in table.rows:
        values = dict.fromkeys(keys) | {cell.key: cell.value for cell in row.cells}
        rows.append(values | {"calls_url": row.url})
    return rows


_PARAMETERS = [
    OpenApiParameter("project", OpenApiTypes.STR, description="Project slug (session auth)"),
    OpenApiParameter("start", OpenApiTypes.DATE, description="First UTC day (default end - 29)"),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last UTC day, inclusive (today)"),
    OpenApiParameter("compare", OpenApiTypes.STR, enum=list(COMPARE_MODES)),
    OpenApiParameter("compare_start", OpenApiTypes.DATE, description="With compare=custom"),
    OpenApiParameter("compare_end", OpenApiTypes.DATE, description="With compare=custom"),
    OpenApiParameter("segment", OpenApiTypes.STR, description='"(unattributed)": none'),
    OpenApiParameter("template", OpenApiTypes.STR, description="Narrows spend, not outcomes"),
    OpenApiParameter("model", OpenApiTypes.STR, description="Narrows spend, not outcomes"),
]


@extend_schema(
    parameters=_PARAMETERS,
    responses={
        200: FeatureDetailSerializer,
        400: OpenApiResponse(description="A bad parameter, named"),
        404: OpenApiResponse(description="No such project, or a feature without any data"),
    },
)
class FeatureDetail(generics.RetrieveAPIView):
    """A feature's KPIs, breakdowns and drivers over a period, against a compare period."""

    serializer_class = FeatureDetailSerializer

    def get_object(self):
        project = project_for_api(self.request)
        name = self.kwargs["name"]
        filters = _filters(self.request.query_params)
        detail = load_detail(project.pk, name, filters)
        # "(unattributed)" always exists: the calls without a feature (maybe none yet).
        if name != UNATTRIBUTED and not detail.has_data and not has_any_data(project.pk, name):
            raise exceptions.NotFound(f"no data for feature {name!r}")
        link = partial(calls_url, project.slug, detail.filters)
        tables = feature_tables.tables(detail, link)
        why = load_why(project.pk, name, filters)
        return _body(detail, tables, why, why_tables.weekly_table(why, link))


def _body(detail, tables, why, weekly) -> dict:
    compare, moved = detail.filters.compare, why.decomposition
    k = detail.kpis
    kpis = {f: getattr(k, f) for f in KpiSerializer().fields}
    return {
        "feature": detail.name,
        "start": detail.filters.period.first,
        "end": detail.filters.period.last,
        "compare_start": compare.first if compare else None,
        "compare_end": compare.last if compare else None,
        "outcomes_are_the_features": not detail.filters.narrows_outcomes,
        "kpis": kpis,
        "reliability": _rows(tables["reliability"], _TABLES["reliability"]),
        "by_day": _rows(tables["daily"], _TABLES["daily"]),
        "by_model_route": _rows(tables["routes"], _TABLES["routes"]),
        "by_template": _rows(tables["templates"], _TABLES["templates"]),
        "by_segment": _rows(tables["segments"], _TABLES["segments"]),
        "by_user_action": _rows(tables["actions"], _TABLES["actions"]),
        "drivers": {
            "before_usd": moved.before_usd if moved else None,
            "after_usd": moved.after_usd if moved else None,
            "change_usd": moved.change_usd if moved else None,
            "primary": moved.primary.name if moved and moved.primary else None,
            "note": (moved.note if moved else "no compare period") or "",
            "drivers": list(moved.drivers) if moved else [],
        },
        "weekly": _rows(weekly, _TABLES["weekly"]),
    }
