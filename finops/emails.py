"""Alert emails and webhook messages, rendered from ``templates/emails/`` (STYLE §8).

``message_for(event, to)`` builds the email of an alert event (HTML and text, with the
drivers as a CSV attachment); ``webhook_payload(event)`` the Slack-compatible JSON. Both read
only the event's snapshot, so a retry sends exactly what the first attempt would have.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from finops import budgets as rules
from finops.filters import UNATTRIBUTED
from finops.links import traces_path
from finops.models import AlertEvent, Budget

TOP_DRIVERS = 5
CSV_HEADER = ["dimension", "value", "spend_usd", "previous_usd", "change_usd", "change_pct"]
# Dimensions whose "" value the trace search calls UNATTRIBUTED (a model is never blank there).
_UNATTRIBUTABLE = {"feature", "segment", "template"}


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _day(day: date | None) -> str:
    return f"{day.strftime('%b')} {day.day}, {day.year}" if day else ""


def _driver_rows(event: AlertEvent) -> list[dict]:
    rows = []
    for raw in event.drivers[:TOP_DRIVERS]:
        change = Decimal(raw["change_usd"])
        rows.append(
            {
                **raw,
                "label": raw["value"] or "(none)",
                "spend": rules.format_usd(Decimal(raw["spend_usd"])),
                "previous": rules.format_usd(Decimal(raw["previous_usd"])),
                "change": ("+" if change > 0 else "") + rules.format_usd(change),
                "change_pct": _signed_pct(raw["change_pct"]),
            }
        )
    return rows


def _signed_pct(value: str | None) -> str:
    if value is None:
        return "new"
    return ("+" if Decimal(value) > 0 else "") + f"{value}%"


def calls_link(event: AlertEvent) -> str:
    """The trace search for the calls behind the top driver, within the budget's scope and
    the event's days (absolute URL)."""
    budget = event.budget
    end = min(event.created_at.date(), event.period_end)
    params = {"start": event.period_start.isoformat(), "end": end.isoformat()}
    if budget.scope != Budget.Scope.PROJECT:
        params[budget.scope] = budget.scope_value
    if event.drivers:
        top = event.drivers[0]
        value = top["value"] or (UNATTRIBUTED if top["dimension"] in _UNATTRIBUTABLE else "")
        if value:
            params[top["dimension"]] = value
    return _absolute(traces_path(budget.project.slug) + "?" + urlencode(params))


def context(event: AlertEvent) -> dict:
    """Everything the templates show, money already formatted ("$4,210.55")."""
    budget = event.budget
    period = rules.period_for(budget.period, event.period_start)
    detail = reverse("finops:budget-detail", args=[budget.project.slug, budget.pk])
    return {
        "event": event,
        "budget": budget,
        "project": budget.project,
        "period_label": period.label if event.kind != AlertEvent.Kind.ANOMALY else "",
        "amount": rules.format_usd(event.budget_usd),
        "spent": rules.format_usd(event.spent_usd),
        "percent_used": rules.percent_of(event.spent_usd, event.budget_usd),
        "forecast": _money(event.forecast_usd),
        "forecast_low": _money(event.forecast_low_usd),
        "forecast_high": _money(event.forecast_high_usd),
        "forecast_percent": rules.percent_of(event.forecast_usd, event.budget_usd)
        if event.forecast_usd is not None
        else None,
        "crosses_on": _day(event.crosses_on),
        "day": _day(event.period_start),
        "day_spend": _money(event.day_spend_usd),
        "expected": _money(event.expected_usd),
        "drivers": _driver_rows(event),
        "budget_url": _absolute(detail),
        "edit_url": _absolute(reverse("finops:budget-edit", args=[budget.project.slug, budget.pk])),
        "calls_url": calls_link(event),
        "compared_with": _comparison(event, budget, period),
        "period_start": _day(event.period_start),
        "period_end": _day(event.period_end),
    }


def _comparison(event: AlertEvent, budget: Budget, period: rules.Period) -> str:
    """What the drivers' change is measured against, for the reader."""
    if event.kind == AlertEvent.Kind.ANOMALY:
        return "the same weekday a week before"
    through = min(event.created_at.date(), period.last)
    previous = rules.same_days_of(period, through, rules.previous_period(budget.period, period))
    return previous.label


def _money(value: Decimal | None) -> str:
    return "" if value is None else rules.format_usd(value)


def _kind_name(event: AlertEvent) -> str:
    return "anomaly_alert" if event.kind == AlertEvent.Kind.ANOMALY else "budget_alert"


def render(event: AlertEvent) -> tuple[str, str, str]:
    """(subject, text body, HTML body) of an event."""
    ctx = context(event)
    name = _kind_name(event)
    subject = " ".join(render_to_string(f"emails/{name}_subject.txt", ctx).split())
    text = render_to_string(f"emails/{name}_body.txt", ctx)
    html = render_to_string(f"emails/{name}_body.html", ctx)
    return subject, text, html


def drivers_csv(event: AlertEvent) -> str:
    """Every driver stored on the event, as CSV text (USD, percent)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for row in event.drivers:
        writer.writerow([row[key] if row[key] is not None else "" for key in CSV_HEADER])
    return out.getvalue()


def message_for(event: AlertEvent, to: list[str]) -> EmailMultiAlternatives:
    """The email of an event to ``to``: text, HTML alternative and the drivers CSV."""
    subject, text, html = render(event)
    message = EmailMultiAlternatives(
        subject,
        text,
        to=to,
        headers={
            # Lets mail clients offer "unsubscribe": it opens the budget's settings page.
            "List-Unsubscribe": f"<{context(event)['edit_url']}>",
            "X-LLM-Finops-Alert": f"{event.kind}; budget={event.budget_id}",
        },
    )
    message.attach_alternative(html, "text/html")
    name = f"drivers-{event.budget.project.slug}-{event.budget_id}-{event.period_start}.csv"
    message.attach(name, drivers_csv(event), "text/csv")
    return message


def webhook_payload(event: AlertEvent) -> dict:
    """Slack-compatible JSON: ``text`` is the subject, a summary and the links."""
    subject, _, _ = render(event)
    ctx = context(event)
    lines = [f"*{subject}*"]
    if event.kind == AlertEvent.Kind.ANOMALY:
        lines.append(f"{ctx['day_spend']} on {ctx['day']}, expected {ctx['expected']}.")
    else:
        lines.append(f"Spent {ctx['spent']} of {ctx['amount']} ({ctx['percent_used']}%).")
        if ctx["forecast"]:
            lines.append(
                f"Forecast {ctx['forecast']} ({ctx['forecast_low']} to {ctx['forecast_high']})."
            )
    if ctx["drivers"]:
        top = ctx["drivers"][0]
        lines.append(f"Top driver: {top['dimension']} {top['label']} ({top['change']}).")
    lines.append(f"<{ctx['budget_url']}|Budget> · <{ctx['calls_url']}|Calls behind it>")
    return {"text": "\n".join(lines)}
