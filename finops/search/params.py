"""The trace search's URL parameters → a frozen ``CallSearch``, and back. Pure (no Django).

One parser for the Traces page and ``GET /api/v1/calls/`` / ``/traces/``: a bad value is
reported per parameter in ``errors`` (the page shows the messages, the API answers 400 with
them) and that filter is left unset, so nothing is silently widened or narrowed by a typo.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

# How a dashboard link names calls that carry no value for a dimension (finops.filters).
UNATTRIBUTED = "(unattributed)"
TEXT_FIELDS = (
    "feature",
    "template",
    "template_version",
    "segment",
    "customer",
    "session",
    "model",
    "request_model",
    "provider",
    "route",
    "error_type",
)
BOOL_FIELDS = ("is_retry", "is_fallback", "cache_hit")
ESCALATIONS = ("model", "human", "any", "none")
STATUSES = ("ok", "error")
# Range filters: (parameter suffix, attribute prefix, parser kind).
RANGES = (
    ("cost", "cost", "decimal"),
    ("latency_ms", "latency_ms", "float"),
    ("input_tokens", "input_tokens", "int"),
    ("output_tokens", "output_tokens", "int"),
)
SORT_KEYS = ("time", "cost", "latency", "tokens")
DEFAULT_SORT = "-time"
MAX_TEXT = 200
MAX_ATTRS = 5
_HEX = re.compile(r"^[0-9a-f]+$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class CallSearch:
    """What to find. Text filters: "" = any, ``UNATTRIBUTED`` = calls without a value.
    ``start`` inclusive and ``end`` exclusive, aware UTC. Ranges inclusive, None = open.
    ``attrs``: span attribute (key, value) pairs that must all match. ``sort``: one of
    ``SORT_KEYS``, "-" prefix for descending."""

    start: datetime | None = None
    end: datetime | None = None
    feature: str = ""
    template: str = ""
    template_version: str = ""
    segment: str = ""
    customer: str = ""
    session: str = ""
    model: str = ""
    request_model: str = ""
    provider: str = ""
    route: str = ""
    error_type: str = ""
    status: str = ""
    is_retry: bool | None = None
    is_fallback: bool | None = None
    cache_hit: bool | None = None
    escalation: str = ""
    min_cost: Decimal | None = None
    max_cost: Decimal | None = None
    min_latency_ms: float | None = None
    max_latency_ms: float | None = None
    min_input_tokens: int | None = None
    max_input_tokens: int | None = None
    min_output_tokens: int | None = None
    max_output_tokens: int | None = None
    trace_id: str = ""
    span_id: str = ""
    attrs: tuple[tuple[str, str], ...] = ()
    q: str = ""
    sort: str = DEFAULT_SORT
    # The raw start/end the user typed (dates stay dates when written back to a URL).
    raw_start: str = ""
    raw_end: str = ""

    @property
    def sort_key(self) -> str:
        return self.sort.lstrip("-")

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")

    def params(self, **changes) -> dict[str, str]:
        """URL parameters of this search (defaults omitted); ``changes`` override, and a value
        of "" or None drops a parameter. ``attrs`` repeat as ``attr=key=value``."""
        params = _params(self)
        for key, value in changes.items():
            if value in ("", None):
                params.pop(key, None)
            else:
                params[key] = str(value)
        return params

    def query(self, **changes) -> str:
        """``params(**changes)`` as a query string (without "?"), attributes included."""
        pairs = list(self.params(**changes).items())
        pairs += [("attr", f"{key}={value}") for key, value in self.attrs]
        return urlencode(pairs)

    def with_sort(self, sort: str) -> CallSearch:
        return replace(self, sort=sort)


def _params(search: CallSearch) -> dict[str, str]:
    params: dict[str, str] = {}
    if search.raw_start:
        params["start"] = search.raw_start
    if search.raw_end:
        params["end"] = search.raw_end
    skip = {"start", "end", "raw_start", "raw_end", "attrs", "sort"}
    for f in fields(search):
        value = getattr(search, f.name)
        if f.name in skip or value in ("", None):
            continue
        params[f.name] = ("1" if value else "0") if isinstance(value, bool) else str(value)
    if search.sort != DEFAULT_SORT:
        params["sort"] = search.sort
    return params


@dataclass
class _Parser:
    params: Mapping[str, str]
    errors: dict[str, str] = field(default_factory=dict)

    def text(self, name: str) -> str:
        value = (self.params.get(name) or "").strip()
        if len(value) > MAX_TEXT:
            self.errors[name] = f"at most {MAX_TEXT} characters"
            return ""
        return value

    def choice(self, name: str, allowed: tuple[str, ...]) -> str:
        value = self.text(name).lower()
        if value and value not in allowed:
            self.errors[name] = f"{value!r} is not one of {', '.join(allowed)}"
            return ""
        return value

    def flag(self, name: str) -> bool | None:
        value = self.text(name).lower()
        if not value or value == "any":
            return None
        if value in _TRUE or value in _FALSE:
            return value in _TRUE
        self.errors[name] = f"{value!r} is not 1 (yes) or 0 (no)"
        return None

    def number(self, name: str, kind: str):
        value = self.text(name)
        if not value:
            return None
        try:
            number = {"decimal": Decimal, "float": float, "int": int}[kind](value)
        except (InvalidOperation, ValueError):
            self.errors[name] = f"{value!r} is not a {'whole ' if kind == 'int' else ''}number"
            return None
        if number < 0 or number != number:  # negative or NaN
            self.errors[name] = f"{value!r} must be a number of 0 or more"
            return None
        return number

    def moment(self, name: str, *, end: bool) -> datetime | None:
        value = self.text(name)
        if not value:
            return None
        try:
            if len(value) == 10:  # a bare date: start at its midnight, end after the whole day
                moment = datetime.combine(date.fromisoformat(value), time.min, tzinfo=UTC)
                return moment + timedelta(days=1) if end else moment
            moment = datetime.fromisoformat(value.replace(" ", "T"))
        except ValueError:
            self.errors[name] = f"{value!r} is not an ISO date (2026-11-01) or datetime"
            return None
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

    def hex_id(self, name: str, length: int) -> str:
        value = self.text(name).lower()
        if value and (len(value) != length or not _HEX.match(value)):
            self.errors[name] = f"{value!r} is not {length} hex characters"
            return ""
        return value

    def attrs(self, values: list[str]) -> tuple[tuple[str, str], ...]:
        pairs = []
        for raw in values:
            key, sep, value = raw.strip().partition("=")
            if not sep or not key.strip() or "__" in key or len(raw) > MAX_TEXT:
                self.errors["attr"] = f"{raw!r} is not key=value (e.g. gen_ai.request.model=gpt-4o)"
                continue
            pairs.append((key.strip(), value.strip()))
        if len(pairs) > MAX_ATTRS:
            self.errors["attr"] = f"at most {MAX_ATTRS} attribute filters"
            pairs = pairs[:MAX_ATTRS]
        return tuple(pairs)

    def sort(self) -> str:
        value = self.text("sort") or DEFAULT_SORT
        if value.lstrip("-") not in SORT_KEYS:
            self.errors["sort"] = (
                f"{value!r} is not one of {', '.join(SORT_KEYS)} (- for descending)"
            )
            return DEFAULT_SORT
        return value


def parse_search(params: Mapping[str, str], attrs: list[str] | None = None):
    """``(CallSearch, errors)`` from URL parameters; ``errors`` maps a parameter name to what
    is wrong with its value (the filter is then left unset). ``attrs``: the repeated ``attr``
    values (``key=value``), which a plain mapping cannot carry.

    Dates: ``start`` a date means its midnight UTC, ``end`` a date means the whole day.
    """
    p = _Parser(params)
    values: dict = {name: p.text(name) for name in TEXT_FIELDS}
    values.update({name: p.flag(name) for name in BOOL_FIELDS})
    for suffix, prefix, kind in RANGES:
        values[f"min_{prefix}"] = p.number(f"min_{suffix}", kind)
        values[f"max_{prefix}"] = p.number(f"max_{suffix}", kind)
        low, high = values[f"min_{prefix}"], values[f"max_{prefix}"]
        if low is not None and high is not None and low > high:
            p.errors[f"max_{suffix}"] = f"max_{suffix} is below min_{suffix}"
    search = CallSearch(
        start=p.moment("start", end=False),
        end=p.moment("end", end=True),
        status=p.choice("status", STATUSES),
        escalation=p.choice("escalation", ESCALATIONS),
        trace_id=p.hex_id("trace_id", 32),
        span_id=p.hex_id("span_id", 16),
        attrs=p.attrs(attrs or []),
        q=p.text("q"),
        sort=p.sort(),
        raw_start="" if "start" in p.errors else p.text("start"),
        raw_end="" if "end" in p.errors else p.text("end"),
        **values,
    )
    if search.start and search.end and search.start >= search.end:
        p.errors["end"] = "the end is not after the start"
    return search, p.errors


def default_window(search: CallSearch, today: date, days: int) -> CallSearch:
    """The search bounded to the last ``days`` days up to ``today`` (inclusive) when it set no
    time range at all: the page's default, so a first visit never scans all history."""
    if search.raw_start or search.raw_end or search.trace_id:
        return search
    first = today - timedelta(days=days - 1)
    return replace(
        search,
        start=datetime.combine(first, time.min, tzinfo=UTC),
        end=datetime.combine(today + timedelta(days=1), time.min, tzinfo=UTC),
        raw_start=first.isoformat(),
        raw_end=today.isoformat(),
    )
