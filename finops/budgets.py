"""Budget periods and threshold breaches. Pure: no Django, plain data in and out.

A budget's period is a calendar period (month, ISO week from Monday, or day) in the
project's time zone; ``evaluate`` turns spend to date and a forecast into the thresholds
that are crossed. Whether a crossing was already alerted is the database's business (a
unique constraint), not this module's: it only says what is crossed now.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MONTHLY, WEEKLY, DAILY = "monthly", "weekly", "daily"
ACTUAL, FORECAST = "actual", "forecast"
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class Period:
    """A calendar period: ``first`` and ``last`` day (inclusive) and a label for humans."""

    first: date
    last: date
    label: str

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def dates(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(self.days)]


@dataclass(frozen=True)
class Threshold:
    kind: str  # ACTUAL or FORECAST
    percent: int


@dataclass(frozen=True)
class BudgetSpec:
    """What a budget asks for: ``amount_usd`` (Decimal USD per period) and its thresholds."""

    amount_usd: Decimal
    thresholds: tuple[Threshold, ...]


@dataclass(frozen=True)
class Breach:
    """A threshold crossed now; ``level_usd`` is the amount it stands for (Decimal USD)."""

    kind: str
    percent: int
    level_usd: Decimal


def is_time_zone(name: str) -> bool:
    """True when ``name`` is an IANA time zone this machine knows ("Europe/Paris")."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def local_day(moment: datetime, time_zone: str) -> date:
    """The calendar day of an aware ``moment`` in ``time_zone`` (IANA name; UTC if unknown)."""
    zone = ZoneInfo(time_zone) if is_time_zone(time_zone) else ZoneInfo("UTC")
    return moment.astimezone(zone).date()


def period_for(kind: str, day: date) -> Period:
    """The period of kind ``MONTHLY`` (calendar month), ``WEEKLY`` (Monday to Sunday) or
    ``DAILY`` that contains ``day``; an unknown kind is a ``ValueError``."""
    if kind == MONTHLY:
        last_day = calendar.monthrange(day.year, day.month)[1]
        first = day.replace(day=1)
        return Period(first, day.replace(day=last_day), first.strftime("%b %Y"))
    if kind == WEEKLY:
        first = day - timedelta(days=day.weekday())
        return Period(first, first + timedelta(days=6), f"week of {_short(first)}")
    if kind == DAILY:
        return Period(day, day, _short(day))
    raise ValueError(f"unknown period {kind!r}")


def previous_period(kind: str, period: Period) -> Period:
    """The period of the same kind just before ``period``."""
    return period_for(kind, period.first - timedelta(days=1))


def same_days_of(period: Period, through: date, previous: Period) -> Period:
    """The first days of ``previous`` as many as ``period`` has had through ``through``
    (clamped to ``previous``): month-to-date compared with the same days of last month."""
    elapsed = min((through - period.first).days + 1, previous.days)
    last = previous.first + timedelta(days=max(elapsed, 1) - 1)
    return Period(previous.first, last, f"{_short(previous.first)} to {_short(last)}")


def parse_percents(text: str) -> list[int]:
    """Whole percentages from "50, 80, 100" (commas or spaces; an optional % sign), sorted
    and without repeats; each from 1 to 1000. A bad item is a ``ValueError`` naming it."""
    values = set()
    for item in text.replace(",", " ").split():
        raw = item.rstrip("%")
        if not raw.isdigit() or not 1 <= int(raw) <= 1000:
            raise ValueError(f"{item!r} is not a whole percentage from 1 to 1000")
        values.add(int(raw))
    return sorted(values)


def evaluate(spec: BudgetSpec, spent_usd: Decimal, forecast_usd: Decimal | None) -> list[Breach]:
    """The thresholds crossed by ``spent_usd`` (actual spend to date, Decimal USD) and by
    ``forecast_usd`` (period-end forecast; None when there is not enough data to forecast).

    A threshold is crossed when the figure is at least ``amount * percent / 100``. Order:
    forecast thresholds, then actual ones, each ascending. A zero amount crosses nothing.
    """
    if spec.amount_usd <= 0:
        return []
    breaches = []
    for threshold in sorted(spec.thresholds, key=lambda t: (t.kind != FORECAST, t.percent)):
        level = spec.amount_usd * threshold.percent / HUNDRED
        figure = spent_usd if threshold.kind == ACTUAL else forecast_usd
        if figure is not None and figure >= level:
            breaches.append(Breach(threshold.kind, threshold.percent, level))
    return breaches


def loudest(breaches: list[Breach], already: set[tuple[str, int]]) -> list[Breach]:
    """Of the new ``breaches`` (not in ``already``, a set of (kind, percent)), the ones worth
    an email: the highest new actual threshold, and the highest new forecast threshold unless
    actual spend already reached that percentage. The others are recorded silently, so a
    budget created mid-period at 90 % sends one email (80 %), not two."""
    new = [b for b in breaches if (b.kind, b.percent) not in already]
    actual = [b for b in new if b.kind == ACTUAL]
    forecast = [b for b in new if b.kind == FORECAST]
    reached = max((b.percent for b in breaches if b.kind == ACTUAL), default=0)
    chosen = []
    if actual:
        chosen.append(max(actual, key=lambda b: b.percent))
    if forecast:
        top = max(forecast, key=lambda b: b.percent)
        if top.percent > reached:
            chosen.append(top)
    return chosen


@dataclass(frozen=True)
class Driver:
    """Spend of one value of a dimension (feature "search", model "gpt-4o") in the period to
    date and in the same days of the previous period (Decimal USD). ``value`` "" means calls
    without one; ``change_pct`` is None when the previous spend was 0."""

    dimension: str
    value: str
    spend_usd: Decimal
    previous_usd: Decimal
    change_usd: Decimal
    change_pct: Decimal | None


def rank_drivers(
    current: Iterable[tuple[Mapping[str, str], Decimal]],
    previous: Iterable[tuple[Mapping[str, str], Decimal]],
    dimensions: Sequence[str],
) -> list[Driver]:
    """Every (dimension, value) of ``dimensions`` with spend now or before, from rollup groups
    ``(group values by dimension, spend USD)``; largest increase first, then largest spend.

    What drives a budget is what grew: a feature that spends much but as much as last period
    ranks below a smaller one that doubled. Dimensions with a single value are left out
    (they only repeat the total) unless every dimension has one.
    """
    now: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    before: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for target, rows in ((now, current), (before, previous)):
        for group, spend in rows:
            for dimension in dimensions:
                target[(dimension, group.get(dimension, ""))] += spend
    keys = set(now) | set(before)
    # A dimension with one value (every call unsegmented, say) only repeats the total.
    values = defaultdict(set)
    for dimension, value in keys:
        values[dimension].add(value)
    if any(len(v) > 1 for v in values.values()):
        keys = {k for k in keys if len(values[k[0]]) > 1}
    drivers = []
    for key in keys:
        spend, prior = now.get(key, Decimal(0)), before.get(key, Decimal(0))
        change = spend - prior
        pct = (change * HUNDRED / prior).quantize(Decimal("0.1")) if prior > 0 else None
        drivers.append(Driver(*key, spend, prior, change, pct))
    drivers.sort(key=lambda d: (-d.change_usd, -d.spend_usd, d.dimension, d.value))
    return drivers


def percent_of(spent_usd: Decimal, amount_usd: Decimal) -> Decimal | None:
    """``spent / amount`` in percent, one decimal; None for a zero amount."""
    if amount_usd <= 0:
        return None
    return (spent_usd * HUNDRED / amount_usd).quantize(Decimal("0.1"))


def format_usd(value: Decimal) -> str:
    """ "$4,210.55": dollars with thousands separators, rounded to cents."""
    cents = value.quantize(Decimal("0.01"))
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents):,.2f}"


def _short(day: date) -> str:
    return f"{day.strftime('%b')} {day.day}, {day.year}"
