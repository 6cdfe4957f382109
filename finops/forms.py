"""Forms of the finops pages: budgets."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.validators import validate_email

from finops import budgets as rules
from finops.models import Budget, Membership

MAX_RECIPIENTS = 20


def _percents_field(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(label=label, required=False, help_text=help_text, max_length=100)


class BudgetForm(forms.ModelForm):
    """A budget of ``project``; thresholds and recipients are edited as text."""

    actual_text = _percents_field(
        "Actual spend thresholds (%)",
        "Alert when spend to date reaches these percentages of the amount, e.g. 50, 80, 100.",
    )
    forecast_text = _percents_field(
        "Forecast thresholds (%)",
        "Alert when the period-end forecast reaches these percentages, e.g. 100. "
        "No forecast alert before 3 days of data.",
    )

    webhook_url = forms.URLField(
        label="Webhook URL (Slack-compatible, optional)",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text="Receives a JSON POST with a text field, e.g. a Slack incoming webhook.",
    )

    class Meta:
        model = Budget
        fields = [
            "name",
            "scope",
            "scope_value",
            "period",
            "amount_usd",
            "recipients",
            "webhook_url",
            "owner",
            "anomaly_alerts",
            "anomaly_min_impact_usd",
            "is_active",
        ]
        labels = {
            "scope_value": "Scope value",
            "amount_usd": "Amount (USD per period)",
            "anomaly_min_impact_usd": "Anomaly minimum impact (USD)",
            "is_active": "Active (uncheck to pause alerts)",
        }
        help_texts = {
            "scope_value": "The feature, segment, customer id, model or template name; "
            "empty for the whole project.",
            "recipients": "Email addresses, one per line.",
            "anomaly_alerts": "Alert on a day far above the same weekday of the last 4 weeks.",
        }
        widgets = {"recipients": forms.Textarea(attrs={"rows": 3})}

    field_order = [
        "name",
        "scope",
        "scope_value",
        "period",
        "amount_usd",
        "actual_text",
        "forecast_text",
        "recipients",
        "webhook_url",
        "owner",
    ]

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        members = Membership.objects.filter(project=project).values("user_id")
        self.fields["owner"].queryset = self.fields["owner"].queryset.filter(pk__in=members)
        budget = self.instance
        self.fields["actual_text"].initial = ", ".join(map(str, budget.actual_thresholds))
        self.fields["forecast_text"].initial = ", ".join(map(str, budget.forecast_thresholds))

    def clean_amount_usd(self) -> Decimal:
        amount = self.cleaned_data["amount_usd"]
        if amount is not None and amount <= 0:
            raise forms.ValidationError("The amount must be more than $0.")
        return amount

    def clean_recipients(self) -> str:
        addresses = [a.strip() for a in self.cleaned_data["recipients"].replace(",", "\n").split()]
        for address in addresses:
            try:
                validate_email(address)
            except forms.ValidationError:
                raise forms.ValidationError(f"{address!r} is not an email address.") from None
        if len(addresses) > MAX_RECIPIENTS:
            raise forms.ValidationError(f"At most {MAX_RECIPIENTS} recipients.")
        return "\n".join(dict.fromkeys(addresses))

    def _percents(self, name: str) -> list[int]:
        try:
            return rules.parse_percents(self.cleaned_data.get(name, ""))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_actual_text(self) -> list[int]:
        return self._percents("actual_text")

    def clean_forecast_text(self) -> list[int]:
        return self._percents("forecast_text")

    def clean(self):
        data = super().clean()
        scope, value = data.get("scope"), (data.get("scope_value") or "").strip()
        if scope == Budget.Scope.PROJECT:
            data["scope_value"] = ""
        elif scope and not value:
            self.add_error("scope_value", "Name the feature, segment, customer, model or template.")
        name = data.get("name")
        clash = Budget.objects.for_project(self.project.pk).filter(name=name)
        if name and clash.exclude(pk=self.instance.pk).exists():
            self.add_error("name", "Another budget of this project has this name.")
        return data

    def save(self, commit: bool = True) -> Budget:
        budget = super().save(commit=False)
        budget.project = self.project
        budget.actual_thresholds = self.cleaned_data["actual_text"]
        budget.forecast_thresholds = self.cleaned_data["forecast_text"]
        if commit:
            budget.save()
        return budget
