"""The feature page and its why-it-moved page; every table also as CSV
(``?format=csv&table=<name>``). Numbers come from ``finops.feature_detail`` and
``finops.why`` (daily rollups only), which ``GET /api/v1/features/{name}/`` shares."""

from __future__ import annotations

import csv
from functools import partial

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import slugify

from finops import feature_tables, why_tables
from finops.feature_detail import calls_url, has_any_data, load_detail
from finops.filters import Filters, parse_filters
from finops.tables import Table
from finops.views.common import get_project_for
from finops.why import load_why


def _csv(tables: dict[str, Table], name: str, filename: str) -> HttpResponse:
    """One table as CSV; 400 naming the tables there are when ``name`` is not one of them."""
    table = tables.get(name)
    if table is None:
        known = ", ".join(tables)
        return HttpResponseBadRequest(f"table must be one of: {known}", content_type="text/plain")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{name}.csv"'
    csv.writer(response).writerows(table.csv_rows())
    return response


def _common(request, project, name: str, filters: Filters) -> dict:
    query = filters.query(feature=None)
    return {
        "project": project,
        "name": name,
        "filters": filters,
        "query": query,
        "csv_base": f"?{query}&format=csv&table=",
        "page_url": reverse("finops:feature-detail", args=[project.slug, name]),
        "why_url": reverse("finops:feature-why", args=[project.slug, name]),
        "features_url": reverse("finops:features", args=[project.slug]),
    }


def _filename(project, name: str, filters: Filters) -> str:
    period = filters.period
    return f"{project.slug}-{slugify(name) or 'feature'}-{period.first}-{period.last}"


@login_required
def feature_detail(request, slug: str, name: str):
    project = get_project_for(request, slug)
    detail = load_detail(project.pk, name, parse_filters(request.GET))
    link = partial(calls_url, project.slug, detail.filters)
    tables = feature_tables.tables(detail, link)
    if request.GET.get("format") == "csv":
        return _csv(tables, request.GET.get("table", ""), _filename(project, name, detail.filters))
    ctx = _common(request, project, name, detail.filters)
    ctx.update(
        detail=detail,
        tables=tables,
        kpis=tables["kpis"].rows,
        figures=feature_tables.figures(detail, tables, link) if detail.has_data else {},
        # Only asked when the range is empty, so a page with data costs no extra query.
        ever=detail.has_data or has_any_data(project.pk, name),
    )
    return render(request, "finops/feature_detail.html", ctx)


@login_required
def feature_why(request, slug: str, name: str):
    project = get_project_for(request, slug)
    why = load_why(project.pk, name, parse_filters(request.GET))
    link = partial(calls_url, project.slug, why.filters)
    drivers = why_tables.drivers_table(why, link)
    tables = {"drivers": drivers, "weekly": why_tables.weekly_table(why, link)}
    if request.GET.get("format") == "csv":
        return _csv(tables, request.GET.get("table", ""), _filename(project, name, why.filters))
    ctx = _common(request, project, name, why.filters)
    ctx.update(why=why, tables=tables, waterfall=why_tables.waterfall(why, drivers, link))
    return render(request, "finops/feature_why.html", ctx)
