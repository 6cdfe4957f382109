"""The filters every dashboard page and API read from the URL: a date range, a compare-to
period and feature / segment / template / model, so every view can be shared as a link.

``parse_filters(request.GET)`` never raises: a bad value falls back to the default and says so
in ``Filters.problems``, which pages show above their content. ``Filters.query()`` writes the
same parameters back (for links, sort headers and CSV downloads), ``Filters.apply()`` narrows a
rollup queryset, and ``Filters.calls_query()`` is the query string of the trace search
(``finops:traces``) showing the calls behind a number.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from urllib.parse import urlencode

from django.utils import timezone
from django.utils.dateparse import parse_date

DEFAULT_DAYS = 30
MAX_DAYS = 731
# How a filter value names the calls that carry no value for that dimension.
UNATTRIBUTED = "(unattributed)"
DIMENSIONS = ("feature", "segment", "template", "model")
COMPARE_MODES = ("previous", "year", "custom", "none")


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

    def dates(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(self.days)]


def day_range(params, today: date | None = None, prefix: str = "") -> DayRange:
    """The range from ``?start=&end=`` (ISO dates, inclusive; ``prefix`` reads e.g.
    ``compare_start``); default the last 30 days."""
    today = today or timezone.now().date()
    default = DayRange(today - timedelta(days=DEFAULT_DAYS - 1), today)
    raw_start, raw_end = params.get(prefix + "start", ""), params.get(prefix + "end", "")
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


def previous_period(period: DayRange) -> DayRange:
    """The range of the same length that ends the day before ``period`` starts."""
    return DayRange(period.first - timedelta(days=period.days), period.first - timedelta(days=1))


def year_before(period: DayRange) -> DayRange:
    """The same days one year earlier (29 February becomes the 28th)."""

    def back(day: date) -> date:
        try:
            return day.replace(year=day.year - 1)
        except ValueError:
            return day.replace(year=day.year - 1, day=28)

    return DayRange(back(period.first), back(period.last))


@dataclass(frozen=True)
class Filters:
    """What a dashboard shows: ``period``, the ``compare`` period (None with mode "none") and
    dimension values ("" = all; ``UNATTRIBUTED`` = calls without a value)."""

    period: DayRange
    compare: DayRange | None
    compare_mode: str = "previous"
    feature: str = ""
    segment: str = ""
    template: str = ""
    model: str = ""
    problems: tuple[str, ...] = field(default=())

    def dimension_values(self) -> dict[str, str]:
        """The set dimension filters, ``{"segment": "enterprise", ...}``."""
        return {name: getattr(self, name) for name in DIMENSIONS if getattr(self, name)}

    def params(self, **changes) -> dict[str, str]:
        """The URL parameters of these filters, with ``changes`` (a value of "" or None drops
        a parameter); dates always written out so a shared link shows the same days."""
        params = {"start": self.period.first.isoformat(), "end": self.period.last.isoformat()}
        if self.compare_mode != "previous":
            params["compare"] = self.compare_mode
        if self.compare_mode == "custom" and self.compare:
            params["compare_start"] = self.compare.first.isoformat()
            params["compare_end"] = self.compare.last.isoformat()
        params.update(self.dimension_values())
        for key, value in changes.items():
            if value in ("", None):
                params.pop(key, None)
            else:
                params[key] = str(value)
        return params

    def query(self, **changes) -> str:
        """``params(**changes)`` as a URL query string (without the "?")."""
        return urlencode(self.params(**changes))

    def calls_query(self, **changes) -> str:
        """The trace search's query string for the calls behind a number: the period and the
        dimension filters (the compare period does not apply to calls)."""
        params = {"start": self.period.first.isoformat(), "end": self.period.last.isoformat()}
        params.update(self.dimension_values())
        for key, value in changes.items():
            if value in ("", None):
                params.pop(key, None)
            else:
                params[key] = str(value)
        return urlencode(params)

    def with_period(self, period: DayRange) -> Filters:
        return replace(self, period=period)

    def apply(self, rows):
        """Narrow a rollup queryset by the dimension filters its model has (an outcome rollup
        has no template or model: see ``narrows_outcomes``)."""
        names = {f.name for f in rows.model._meta.get_fields()}
        for name, value in self.dimension_values().items():
            if name in names:
                rows = rows.filter(**{name: "" if value == UNATTRIBUTED else value})
        return rows

    @property
    def narrows_outcomes(self) -> bool:
        """False when a template or model filter is set: outcomes belong to whole traces, so
        cost per outcome is then that template's or model's spend per outcome of the feature."""
        return not (self.template or self.model)


def parse_filters(params, today: date | None = None) -> Filters:
    """Filters from ``?start=&end=&compare=previous|year|custom|none&compare_start=
    &compare_end=&feature=&segment=&template=&model=``; never raises."""
    period = day_range(params, today)
    problems = [period.problem] if period.problem else []
    mode = params.get("compare", "") or "previous"
    if mode not in COMPARE_MODES:
        problems.append(f"Unknown compare-to {mode!r}; comparing with the previous period.")
        mode = "previous"
    compare: DayRange | None
    if mode == "previous":
        compare = previous_period(period)
    elif mode == "year":
        compare = year_before(period)
    elif mode == "custom":
        if not params.get("compare_start") or not params.get("compare_end"):
            problems.append("A custom comparison needs both dates; comparing with the previous.")
            mode, compare = "previous", previous_period(period)
        else:
            compare = day_range(params, today, prefix="compare_")
            if compare.problem:
                problems.append("Compare-to: " + compare.problem)
    else:
        compare = None
    values = {name: params.get(name, "").strip()[:200] for name in DIMENSIONS}
    return Filters(period, compare, mode, **values, problems=tuple(problems))
