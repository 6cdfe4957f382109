"""The trace page: a waterfall of every span of one trace, its cost and the share spent on
retries, fallbacks and escalations, its outcome and quality; and the detail panel of one call
(``?span=<span_id>``, the first LLM call by default). Prompt and output text only for roles
with trace-content access (engineer, admin)."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from finops.filters import UNATTRIBUTED
from finops.trace_detail import (
    CONTENT_ROLES,
    MAX_SPANS,
    can_read_content,
    load_call_detail,
    load_trace,
)
from finops.views.common import get_project_for

# The links to "other calls of this template / customer" search this many days up to the call.
LINK_WINDOW_DAYS = 30


def _search_url(slug: str, day: date, **filters: str) -> str:
    """The Traces search around ``day`` (the window ending on it) with ``filters``."""
    last = max(day, min(timezone.now().date(), day + timedelta(days=LINK_WINDOW_DAYS - 1)))
    params = {"start": (day - timedelta(days=LINK_WINDOW_DAYS - 1)).isoformat(), "end": last}
    return reverse("finops:traces", args=[slug]) + "?" + urlencode(params | filters)


def _links(slug: str, panel) -> dict[str, str]:
    """Links of the call panel: the template's calls, the customer's traces, the attempts."""
    call = panel.row.call if panel else None
    if call is None:
        return {}
    day = call.start_time.date()
    here = reverse("finops:trace-detail", args=[slug, call.trace_id])
    links = {"template": _search_url(slug, day, template=call.template or UNATTRIBUTED)}
    if call.customer:
        links["customer"] = _search_url(slug, day, customer=call.customer)
    if panel.previous_span_id:
        links["previous"] = f"{here}?span={panel.previous_span_id}"
    if panel.next_span_id:
        links["next"] = f"{here}?span={panel.next_span_id}"
    return links


@login_required
def trace_detail(request, slug: str, trace_id: str):
    project = get_project_for(request, slug)
    detail = load_trace(project.pk, trace_id)
    if detail is None:
        raise Http404("No such trace in this project")
    asked = request.GET.get("span", "")
    first_call = next((row.span_id for row in detail.rows if row.call is not None), "")
    selected = asked or first_call
    with_content = can_read_content(request.user, project)
    panel = load_call_detail(project.pk, detail, selected, with_content) if selected else None
    ctx = {
        "project": project,
        "detail": detail,
        "summary": detail.summary,
        "panel": panel,
        "selected": selected,
        "missing_span": asked if asked and panel is None else "",
        "can_read_content": with_content,
        "content_roles": [role.label.lower() for role in CONTENT_ROLES],
        "links": _links(project.slug, panel),
        "traces_url": reverse("finops:traces", args=[project.slug]),
        "max_spans": MAX_SPANS,
    }
    return render(request, "finops/trace.html", ctx)
