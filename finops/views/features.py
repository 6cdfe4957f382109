"""The Features page: per feature spend, calls, outcomes, cost per outcome and per success,
success rate, trend against the compare period and share of spend; the same rows as CSV.

The figures come from ``finops.features`` (daily rollups only, never the call table), which
``GET /api/v1/features/`` shares. The URL filters (``finops.filters``: range, compare-to,
feature / segment / template / model) narrow the rows; spend and calls link to the calls.
"""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from finops.features import (
    COLUMNS,
    CSV_HEADER,
    FeatureRow,
    load_feature_rows,
    parse_sort,
    sort_rows,
    total_row,
)
from finops.filters import UNATTRIBUTED, DayRange, Filters, parse_filters
from finops.links import calls_url
from finops.models import DailyOutcomeRollup, DailyRollup
from finops.views.common import get_project_for


def _headers(filters: Filters, sort: str) -> list[dict]:
    """Column headers; a sortable one links to its sort (keeping the filters), toggling
    direction when current."""
    headers = []
    for label, key in COLUMNS:
        current = key and sort.lstrip("-") == key
        descending = sort.startswith("-")
        target = (key if descending else f"-{key}") if current else f"-{key}"
        headers.append(
            {
                "label": label,
                "url": f"?{filters.query(sort=target)}" if key else "",
                "aria_sort": ("descending" if descending else "ascending") if current else "",
                "numeric": label != "Feature",
            }
        )
    return headers


def _csv_cell(value) -> str:
    return "" if value is None else str(value)


def _csv_response(slug: str, period: DayRange, rows: list[FeatureRow]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"features-{slug}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    for row in rows:
        values = [row.label, row.spend_usd, row.calls, row.outcomes, row.successes]
        values += [row.cost_per_outcome_usd, row.cost_per_success_usd, row.success_rate]
        values += [row.spend_change_pct, row.share_of_spend_pct]
        writer.writerow([_csv_cell(v) for v in values])
    return response


def _has_rollups(project_id: int) -> bool:
    return (
        DailyRollup.objects.for_project(project_id).exists()
        or DailyOutcomeRollup.objects.for_project(project_id).exists()
    )


@login_required
def features(request, slug: str):
    project = get_project_for(request, slug)
    filters = parse_filters(request.GET)
    period = filters.period
    sort = parse_sort(request.GET.get("sort", ""))
    rows = load_feature_rows(project.pk, period, filters.compare, filters)
    rows = sort_rows(rows, sort)
    if request.GET.get("format") == "csv":
        return _csv_response(project.slug, period, rows)
    for row in rows:
        row.calls_url = calls_url(project.slug, filters, feature=row.feature or UNATTRIBUTED)
    total = total_row(rows)
    total.calls_url = calls_url(project.slug, filters)
    ctx = {
        "project": project,
        "filters": filters,
        "period": period,
        "previous": filters.compare,
        "sort": sort,
        "rows": rows,
        "total": total,
        "headers": _headers(filters, sort),
        "choices": {"feature": [row.feature or UNATTRIBUTED for row in rows]},
        "csv_url": f"?{filters.query(sort=sort, format='csv')}",
        # Only asked when the range is empty, so a page with data costs no extra query.
        "has_rollups": bool(rows) or _has_rollups(project.pk),
    }
    return render(request, "finops/features.html", ctx)
