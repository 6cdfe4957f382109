"""``/api/v1/budgets/`` (list, create), ``/api/v1/budgets/<id>/`` (read, update) and
``/api/v1/alerts/`` (the alert history). Reads: any member or API key of the project. Writes:
a session user with the finance or admin role; API keys are read-only here, since a budget
sends email to the addresses it names."""

from __future__ import annotations

from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, generics, pagination, serializers
from rest_framework.response import Response

from finops.api.auth import ApiKeyUser, project_for_api
from finops.budget_spend import load_statuses
from finops.models import AlertDelivery, AlertEvent, Budget, Membership, Project

EDIT_ROLES = (Membership.Role.FINANCE, Membership.Role.ADMIN)
PROJECT_PARAMETER = OpenApiParameter(
    "project", OpenApiTypes.STR, description="Project slug (session users in several projects)"
)


def _usd(help_text: str, **kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=20, decimal_places=2, coerce_to_string=True, help_text=help_text, **kwargs
    )


class PercentList(serializers.ListField):
    child = serializers.IntegerField(min_value=1, max_value=1000)

    def to_internal_value(self, data):
        return sorted(set(super().to_internal_value(data)))


class StatusSerializer(serializers.Serializer):
    period_first = serializers.DateField(source="period.first")
    period_last = serializers.DateField(source="period.last")
    period_label = serializers.CharField(source="period.label")
    spent_usd = _usd("Spend of the period to date (USD), today's partial day included.")
    percent_used = serializers.DecimalField(max_digits=9, decimal_places=1, allow_null=True)
    forecast_usd = _usd("Period-end forecast; null before 3 days of data.", allow_null=True)
    forecast_low_usd = _usd("Low end of the 80 % range.", source="forecast.low_usd")
    forecast_high_usd = _usd("High end of the 80 % range.", source="forecast.high_usd")
    crosses_on = serializers.DateField(source="forecast.crosses_on", allow_null=True)
    state = serializers.CharField(help_text="ok, at-risk (forecast over) or over")


class BudgetSerializer(serializers.ModelSerializer):
    amount_usd = _usd("USD per period, as a decimal string.")
    anomaly_min_impact_usd = _usd("Smallest dollar impact of an anomaly alert.", required=False)
    actual_thresholds = PercentList(
        required=False, help_text="Percent of the amount, e.g. [50, 80, 100]."
    )
    forecast_thresholds = PercentList(
        required=False, help_text="Percent of the amount the forecast may reach, e.g. [100]."
    )
    recipients = serializers.ListField(
        child=serializers.EmailField(), required=False, max_length=20
    )
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    status = serializers.SerializerMethodField()

    class Meta:
        model = Budget
        fields = [
            "id",
            "name",
            "scope",
            "scope_value",
            "period",
            "amount_usd",
            "actual_thresholds",
            "forecast_thresholds",
            "recipients",
            "webhook_url",
            "owner",
            "anomaly_alerts",
            "anomaly_min_impact_usd",
            "is_active",
            "created_at",
            "updated_at",
            "status",
        ]
        read_only_fields = ["id", "owner", "created_at", "updated_at"]

    @extend_schema_field(StatusSerializer)
    def get_status(self, budget: Budget) -> dict:
        statuses = self.context.get("statuses") or load_statuses([budget], timezone.now())
        return StatusSerializer(statuses[budget.pk]).data

    def to_representation(self, budget):
        data = super().to_representation(budget)
        data["recipients"] = budget.recipient_list()
        return data

    def validate(self, attrs):
        scope = attrs.get("scope", getattr(self.instance, "scope", Budget.Scope.PROJECT))
        value = attrs.get("scope_value", getattr(self.instance, "scope_value", "")).strip()
        if scope == Budget.Scope.PROJECT:
            attrs["scope_value"] = ""
        elif not value:
            raise serializers.ValidationError({"scope_value": "required for this scope"})
        if "amount_usd" in attrs and attrs["amount_usd"] <= 0:
            raise serializers.ValidationError({"amount_usd": "must be more than 0"})
        if "recipients" in attrs:
            for address in attrs["recipients"]:
                validate_email(address)
            attrs["recipients"] = "\n".join(dict.fromkeys(attrs["recipients"]))
        project = self.context["project"]
        name = attrs.get("name")
        clash = Budget.objects.for_project(project.pk).filter(name=name)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if name and clash.exists():
            raise serializers.ValidationError({"name": "another budget of this project has it"})
        return attrs


def _project_for_write(request) -> Project:
    project = project_for_api(request)
    if isinstance(request.user, ApiKeyUser):
        raise exceptions.PermissionDenied("API keys can read budgets; changing one needs a user")
    if not Project.objects.for_user(request.user, EDIT_ROLES).filter(pk=project.pk).exists():
        raise exceptions.PermissionDenied("changing budgets needs the finance or admin role")
    return project


class _BudgetMixin:
    serializer_class = BudgetSerializer

    def get_queryset(self):
        project = project_for_api(self.request)
        return Budget.objects.for_project(project.pk).select_related("project", "owner")

    def get_serializer_context(self):
        ctx = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):  # no request while drawing the schema
            ctx["project"] = project_for_api(self.request)
        return ctx


@extend_schema(parameters=[PROJECT_PARAMETER])
class BudgetList(_BudgetMixin, generics.ListCreateAPIView):
    """Budgets of the project with their current status; POST creates one."""

    pagination_class = None  # a project has a handful of budgets

    def list(self, request, *args, **kwargs):
        budgets = list(self.get_queryset())
        statuses = load_statuses(budgets, timezone.now())
        context = {**self.get_serializer_context(), "statuses": statuses}
        return Response(BudgetSerializer(budgets, many=True, context=context).data)

    def perform_create(self, serializer):
        project = _project_for_write(self.request)
        with transaction.atomic():
            serializer.save(project=project, owner=self.request.user)


@extend_schema(parameters=[PROJECT_PARAMETER])
class BudgetDetail(_BudgetMixin, generics.RetrieveUpdateAPIView):
    """One budget with its status; PUT/PATCH change it."""

    lookup_url_kwarg = "budget_id"

    def perform_update(self, serializer):
        _project_for_write(self.request)
        serializer.save()


class DeliverySerializer(serializers.ModelSerializer):
    state = serializers.CharField(read_only=True, help_text="sent, sending, failed or pending")

    class Meta:
        model = AlertDelivery
        fields = [
            "channel",
            "target",
            "state",
            "attempts",
            "last_attempt_at",
            "sent_at",
            "last_error",
        ]


class AlertSerializer(serializers.ModelSerializer):
    budget_name = serializers.CharField(source="budget.name", read_only=True)
    deliveries = DeliverySerializer(many=True, read_only=True)
    budget_usd = _usd("The budget's amount when the alert fired.")
    spent_usd = _usd("Period spend to date when it fired.")
    forecast_usd = _usd("Forecast when it fired.", allow_null=True)
    day_spend_usd = _usd("Anomaly: the day's spend.", allow_null=True)
    expected_usd = _usd("Anomaly: the expected spend of that day.", allow_null=True)

    class Meta:
        model = AlertEvent
        fields = [
            "id",
            "budget",
            "budget_name",
            "kind",
            "threshold",
            "period_start",
            "period_end",
            "created_at",
            "budget_usd",
            "spent_usd",
            "forecast_usd",
            "crosses_on",
            "day_spend_usd",
            "expected_usd",
            "score",
            "silent",
            "deliveries",
            "drivers",
        ]


class AlertPagination(pagination.CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50


@extend_schema(
    parameters=[
        PROJECT_PARAMETER,
        OpenApiParameter("budget", OpenApiTypes.INT, description="Only this budget's alerts"),
    ]
)
class AlertList(generics.ListAPIView):
    """Alert events of the project, newest first, with their deliveries (cursor pages)."""

    serializer_class = AlertSerializer
    pagination_class = AlertPagination

    def get_queryset(self):
        project = project_for_api(self.request)
        events = AlertEvent.objects.for_project(project.pk).with_deliveries()
        budget = self.request.query_params.get("budget", "")
        if budget:
            if not budget.isdigit():
                raise exceptions.ValidationError({"budget": "a budget id (a number)"})
            events = events.filter(budget_id=int(budget))
        return events
