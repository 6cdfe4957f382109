"""The Segments and Templates pages: the breakdowns of the Features page pivoted, a row per
customer segment or prompt template; the same rows as CSV (``?format=csv``).

Figures come from ``finops.breakdowns`` (daily rollups only); columns, cell text, sorting and
CSV records from the pure ``finops.pivot_table``.
"""

from __future__ import annotations

import csv
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from finops import breakdowns, pivot_table
from finops.breakdowns import Breakdown
from finops.filters import Filters, parse_filters
from finops.links import calls_url
from finops.models import DailyRollup
from finops.views.common import get_project_for

PAGES = {
    "segment": {
        "load": breakdowns.load_segments,
        "columns": pivot_table.SEGMENT_COLUMNS,
        "template": "finops/segments.html",
        "csv": "segments",
    },
    "template": {
        "load": breakdowns.load_templates,
        "columns": pivot_table.TEMPLATE_COLUMNS,
        "template": "finops/templates.html",
        "csv": "templates",
    },
}


def _csv_response(name: str, filters: Filters, columns, rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    period = f"{filters.period.first.isoformat()}-{filters.period.last.isoformat()}"
    response["Content-Disposition"] = f'attachment; filename="{name}-{period}.csv"'
    writer = csv.writer(response)
    writer.writerow(pivot_table.csv_header(columns))
    writer.writerows(pivot_table.csv_record(row, columns) for row in rows)
    return response


def _table(breakdown: Breakdown, columns, sort: str, link: Callable[[str], str]) -> dict:
    return {
        "headers": pivot_table.headers(columns, sort, link),
        "rows": [
            {"key": row.label, "cells": pivot_table.cells(row, columns)} for row in breakdown.rows
        ],
        "total": {"key": "total", "cells": pivot_table.cells(breakdown.total, columns)},
    }


def _page(request, slug: str, dimension: str):
    page = PAGES[dimension]
    project = get_project_for(request, slug)
    filters = parse_filters(request.GET)
    columns = page["columns"]
    sort = pivot_table.parse_sort(request.GET.get("sort", ""), columns)
    breakdown = page["load"](project.pk, filters)
    breakdown.rows = pivot_table.sort_rows(breakdown.rows, sort, columns)
    if request.GET.get("format") == "csv":
        return _csv_response(f"{page['csv']}-{project.slug}", filters, columns, breakdown.rows)
    breakdowns.link_rows(breakdown, project.slug, filters)
    ctx = {
        "project": project,
        "filters": filters,
        "sort": sort,
        "breakdown": breakdown,
        "table": _table(breakdown, columns, sort, lambda s: "?" + filters.query(sort=s)),
        "choices": {dimension: [row.filter_value for row in breakdown.rows]},
        "csv_url": "?" + filters.query(sort=sort, format="csv"),
        "all_calls_url": calls_url(project.slug, filters),
        "fig": breakdowns.spend_chart(breakdown, project.slug, filters),
        "unattributed_only": bool(breakdown.rows) and all(not row.key for row in breakdown.rows),
        # Only asked when the range is empty, so a page with data costs no extra query.
        "has_rollups": bool(breakdown.rows) or DailyRollup.objects.for_project(project.pk).exists(),
    }
    return render(request, page["template"], ctx)


@login_required
def segments(request, slug: str):
    return _page(request, slug, "segment")


@login_required
def templates(request, slug: str):
    return _page(request, slug, "template")
