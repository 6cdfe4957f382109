"""The Traces page: search LLM calls by any filter, sorted and keyset-paginated, with totals,
a latency histogram, saved searches per user and a streamed CSV of the whole result.

The filters are ``finops.search.params`` (shared with ``GET /api/v1/calls/``); the page
shows a bad value's message and leaves that filter unset.
"""

from __future__ import annotations

import csv

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseNotAllowed, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from finops.models import SavedSearch
from finops.search.calls import (
    BadCursor,
    capped_count,
    filter_calls,
    iterate_calls,
    keyset_page,
)
from finops.search.histogram import latency_bins, latency_figure, sketch_bins
from finops.search.params import SORT_KEYS, CallSearch, default_window, parse_search
from finops.search.summary import (
    HISTOGRAM_SAMPLE,
    SummaryTimeout,
    bounded,
    call_totals,
    latency_sample,
    rollup_summary,
)
from finops.views.common import get_project_for
from ingest.models import LLMCall

PAGE_SIZE = 50
COUNT_CAP = 10_000
DEFAULT_DAYS = 7
CSV_COLUMNS = (
    "start_time",
    "trace_id",
    "span_id",
    "feature",
    "template",
    "template_version",
    "segment",
    "customer",
    "provider",
    "request_model",
    "response_model",
    "route",
    "duration_ms",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "error_type",
    "is_retry",
    "is_fallback",
    "escalation",
    "cache_hit",
    "quality_score",
)


def trace_url(slug: str, trace_id: str) -> str:
    """The page of one trace: its waterfall when that page exists, else this search by id."""
    try:
        return reverse("finops:trace-detail", args=[slug, trace_id])
    except NoReverseMatch:
        return reverse("finops:traces", args=[slug]) + f"?trace_id={trace_id}"


def _search_from(request) -> tuple[CallSearch, dict[str, str]]:
    search, errors = parse_search(request.GET, request.GET.getlist("attr"))
    return default_window(search, timezone.now().date(), DEFAULT_DAYS), errors


def _sort_headers(search: CallSearch) -> dict[str, dict]:
    """Per sort key: the link that sorts by it (descending first, toggling when current)."""
    headers = {}
    for key in SORT_KEYS:
        current = search.sort_key == key
        target = (key if search.descending else f"-{key}") if current else f"-{key}"
        aria = ("descending" if search.descending else "ascending") if current else ""
        headers[key] = {"url": "?" + search.query(sort=target), "aria_sort": aria}
    return headers


def _histogram(project_slug: str, search: CallSearch, bins: list) -> dict | None:
    base = reverse("finops:traces", args=[project_slug])

    def link(b) -> str:
        bounds = {"min_latency_ms": f"{b.low_ms:g}", "max_latency_ms": f"{b.high_ms:g}"}
        return f"{base}?{search.query(**bounds)}"

    return latency_figure(bins, link) if bins else None


def _count(calls, page, paged: bool) -> tuple[int, bool]:
    """(count, capped); no query when the first page holds the whole result."""
    if not paged and not page.next_cursor:
        return len(page.rows), False
    return capped_count(calls, COUNT_CAP)


def _from_rollups(project, search: CallSearch, page, paged: bool) -> dict | None:
    """The summary from the daily rollups, or None when the search is not eligible or the
    rollups disagree with the rows just read (not built yet for these calls)."""
    found = rollup_summary(project.pk, search)
    if found is None:
        return None
    totals, merged = found
    whole = not paged and not page.next_cursor
    if totals["calls"] < len(page.rows) or (whole and totals["calls"] != len(page.rows)):
        return None
    bins = sketch_bins(merged)
    return {"count": totals["calls"], "capped": False, "totals": totals, "bins": bins}


def _from_calls(calls, page, paged: bool) -> dict:
    """The summary from at most the newest ``COUNT_CAP`` matching calls, within the summary
    time budget; ``timed_out`` (and no totals) when the budget runs out."""
    if not page.rows:
        return {"count": 0, "capped": False, "totals": None}
    try:
        with bounded(settings.SEARCH_SUMMARY_TIMEOUT_MS):
            count, capped = _count(calls, page, paged)
            # A capped result sums its newest COUNT_CAP calls only: exact totals of millions
            # of calls come from the daily rollups (above), not from the call table.
            totals = call_totals(calls, COUNT_CAP if capped else None) if count else None
            sample = latency_sample(calls) if count else []
    except SummaryTimeout:
        return {"count": len(page.rows), "capped": bool(page.next_cursor), "timed_out": True}
    bins = latency_bins(sample)
    return {
        "count": count,
        "capped": capped,
        "totals": totals,
        "bins": bins,
        "sampled": len(sample) >= HISTOGRAM_SAMPLE,
    }


def summary(project, search: CallSearch, calls, page, paged: bool) -> dict:
    """What the page shows above the rows: ``count``, ``capped``, ``totals`` (None when
    unavailable), ``histogram``, ``sampled``, ``source`` ("rollups" | "calls") and
    ``timed_out``. Runs after the rows, so it never delays or blocks them."""
    found = _from_rollups(project, search, page, paged) if page.rows else None
    source = "rollups" if found else "calls"
    found = found or _from_calls(calls, page, paged)
    return {
        "count": found["count"],
        "capped": found["capped"],
        "totals": found.get("totals"),
        "histogram": _histogram(project.slug, search, found.get("bins", [])),
        "sampled": found.get("sampled", False),
        "source": source,
        "timed_out": found.get("timed_out", False),
    }


@login_required
def traces(request, slug: str):
    project = get_project_for(request, slug)
    search, errors = _search_from(request)
    calls = filter_calls(LLMCall.objects.for_project(project.pk), search)
    if request.GET.get("format") == "csv":
        return _csv_response(project.slug, calls, search)
    try:
        page = keyset_page(calls, search, request.GET.get("cursor", ""), PAGE_SIZE)
    except BadCursor as exc:
        errors["cursor"] = str(exc)
        page = keyset_page(calls, search, "", PAGE_SIZE)
    for call in page.rows:
        call.trace_url = trace_url(project.slug, call.trace_id)
    top = summary(project, search, calls, page, bool(request.GET.get("cursor")))
    ctx = {
        "project": project,
        "search": search,
        "errors": errors,
        "rows": page.rows,
        "next_url": f"?{search.query(cursor=page.next_cursor)}" if page.next_cursor else "",
        "first_url": f"?{search.query()}" if request.GET.get("cursor") else "",
        **top,
        "headers": _sort_headers(search),
        "csv_url": f"?{search.query(format='csv')}",
        "saved": SavedSearch.objects.for_user_in(request.user, project.pk),
        "query": search.query(),
        "has_any_call": bool(page.rows) or LLMCall.objects.for_project(project.pk).exists(),
    }
    return render(request, "finops/traces.html", ctx)


class _Echo:
    """A file-like object whose ``write`` returns the line: ``csv.writer`` into a generator."""

    def write(self, value: str) -> str:
        return value


def _csv_rows(calls, search: CallSearch):
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for call in iterate_calls(calls, search):
        values = [getattr(call, column) for column in CSV_COLUMNS]
        yield writer.writerow(["" if value is None else value for value in values])


def _csv_response(slug: str, calls, search: CallSearch) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_csv_rows(calls, search), content_type="text/csv")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="calls-{slug}-{stamp}.csv"'
    return response


@login_required
def saved_searches(request, slug: str):
    """Save the current search under a name (``name``, ``query``) or delete one (``delete``:
    its id); either way back to the page with the search it was on. POST only, checked after
    the project so a non-member gets the same 404 as for any other page of the project."""
    project = get_project_for(request, slug)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    mine = SavedSearch.objects.for_user_in(request.user, project.pk)
    query = request.POST.get("query", "")[:2000]
    back = reverse("finops:traces", args=[project.slug])
    if delete_id := request.POST.get("delete", ""):
        deleted, _ = mine.filter(pk=int(delete_id) if delete_id.isdigit() else 0).delete()
        if not deleted:
            messages.error(request, "That saved search no longer exists.")
        return redirect(f"{back}?{query}")
    name = request.POST.get("name", "").strip()[:100]
    if not name:
        messages.error(request, "Give the search a name to save it.")
        return redirect(f"{back}?{query}")
    _, created = SavedSearch.objects.update_or_create(
        project=project, user=request.user, name=name, defaults={"query": query}
    )
    messages.success(request, f"{'Saved' if created else 'Updated'} “{name}”.")
    return redirect(f"{back}?{query}")
