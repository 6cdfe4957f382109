"""Helpers shared by page views: project access and the date range in the URL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_date

from finops.models import Project

DEFAULT_DAYS = 30
MAX_DAYS = 731


def get_project_for(
    request: HttpRequest, slug: str, roles: tuple[str, ...] | None = None
) -> Project:
    """The project ``slug`` if the user is a member (with one of ``roles``), else 404.

    404 rather than 403, so a page does not reveal that another tenant's project exists.
    """
    project = Project.objects.for_user(request.user, roles).filter(slug=slug).first()
    if project is None:
        raise Http404("No such project")
    return project


@dataclass(frozen=True)
class DayRange:
    """An inclusive range of UTC days, and a message when the URL asked for something invalid."""

    first: date
    last: date
    problem: str = ""

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def query(self) -> str:
        return f"start={self.first.isoformat()}&end={self.last.isoformat()}"


def day_range(params, today: date | None = None) -> DayRange:
    """The range from ``?start=&end=`` (ISO dates, inclusive); default the last 30 days."""
    today = today or timezone.now().date()
    default = DayRange(today - timedelta(days=DEFAULT_DAYS - 1), today)
    raw_start, raw_end = params.get("start", ""), params.get("end", "")
    if not raw_start and not raw_end:
        return default
    try:
        first = parse_date(raw_start) if raw_start else None
        last = parse_date(raw_end) if raw_end else None
    except ValueError:
        first = last = None
    if (raw_start and first is None) or (raw_end and last is None):
        return DayRange(
            default.first,
            default.last,
            f"Dates must look like 2026-11-01; showing the last {DEFAULT_DAYS} days.",
        )
    last = last or today
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        return DayRange(last, first, "The start was after the end; the dates were swapped.")
    if (last - first).days + 1 > MAX_DAYS:
        first = last - timedelta(days=MAX_DAYS - 1)
        return DayRange(first, last, f"Ranges are limited to {MAX_DAYS} days.")
    return DayRange(first, last)
