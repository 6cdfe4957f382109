"""Links from a number on a page to the calls behind it (the trace search, filtered).

Every page builds those links through ``calls_url`` so the trace search's address lives in
one place.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from finops.filters import Filters


def traces_path(slug: str) -> str:
    """The trace search of project ``slug`` (``finops:traces``, ``/p/<slug>/traces/``)."""
    try:
        return reverse("finops:traces", args=[slug])
    except NoReverseMatch:
        # The route is being added alongside these pages: link to its documented address.
        return f"/p/{slug}/traces/"


def calls_url(slug: str, filters: Filters, **changes: object) -> str:
    """The trace search for the calls behind a number: ``filters``' period and dimension
    values, with ``changes`` (e.g. ``segment="enterprise"``, ``start=`` a day)."""
    return traces_path(slug) + "?" + filters.calls_query(**changes)
