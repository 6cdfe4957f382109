"""Breakdown rows: the figures of one segment or prompt template over a period, computed from
plain dicts of rollup sums. Pure (no Django): ``finops.breakdowns`` loads the sums.

Definitions (shown on the pages):
- *model calls* = calls - app-cache hits (a cache hit is a free call row, no model answered);
- tokens in / out per call, retry, fallback, model-escalation and prompt-cache rates are per
  model call; the app-cache hit rate is per call;
- quality = mean of the calls' quality scores; latency p50 / p95 from merged sketches;
- cost per outcome = spend ÷ outcomes, cost per success = spend ÷ successes (segments);
- spend per outcome of its features (templates) = the template's spend ÷ the outcomes of the
  features whose calls used it (each trace counted once: a trace has one root feature).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from finops import charts, sketch

UNATTRIBUTED = "(unattributed)"
USD_PLACES = Decimal("0.0000000001")  # the precision of the rollups' cost columns
PCT_PLACES = Decimal("0.1")
# Additive call-level sums of DailyRollup (int fields, and Decimal USD fields).
CALL_COUNTS = (
    "calls",
    "unpriced_calls",
    "input_tokens",
    "output_tokens",
    "retries",
    "fallbacks",
    "model_escalations",
    "errors",
    "cache_hits",
    "prompt_cache_calls",
    "quality_count",
)
CALL_MONEY = ("cost_usd", "avoided_cost_usd")


def usd(amount: Decimal) -> Decimal:
    """``amount`` at the rollups' 10 decimal places (SQLite sums come back as REAL)."""
    return Decimal(amount).quantize(USD_PLACES, rounding=ROUND_HALF_UP)


def per(amount: Decimal, count: int) -> Decimal | None:
    """``amount`` / ``count`` in USD at 10 places; None when ``count`` is 0."""
    return usd(amount / count) if count else None


def pct(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """``part`` as a percentage of ``whole``, one decimal; None when ``whole`` is 0."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(PCT_PLACES, rounding=ROUND_HALF_UP)


@dataclass
class CallSums:
    """Call-level sums of some rollup rows: counts (int), ``cost_usd`` and
    ``avoided_cost_usd`` (Decimal USD, priced calls only), ``quality_sum`` (float)."""

    calls: int = 0
    unpriced_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    retries: int = 0
    fallbacks: int = 0
    model_escalations: int = 0
    errors: int = 0
    cache_hits: int = 0
    prompt_cache_calls: int = 0
    quality_count: int = 0
    cost_usd: Decimal = Decimal("0")
    avoided_cost_usd: Decimal = Decimal("0")
    quality_sum: float = 0.0

    def add(self, group: Mapping) -> None:
        """Add a dict with the same keys (each may be missing or None: 0)."""
        for name in CALL_COUNTS:
            setattr(self, name, getattr(self, name) + (group.get(name) or 0))
        for name in CALL_MONEY:
            setattr(self, name, getattr(self, name) + usd(group.get(name) or 0))
        self.quality_sum += group.get("quality_sum") or 0.0

    @property
    def model_calls(self) -> int:
        return self.calls - self.cache_hits


@dataclass
class BreakdownRow:
    """One segment or template (``key``, "" = unattributed) over the period."""

    key: str
    sums: CallSums = field(default_factory=CallSums)
    # Spend of the compare period; None when there is no compare period.
    compare_spend_usd: Decimal | None = None
    daily_spend_usd: list[Decimal] = field(default_factory=list)
    latency_sketch: list[int] = field(default_factory=list)
    share_of_spend_pct: Decimal | None = None
    # Trace-level (segments): each trace once, under its root span's segment.
    traces: int = 0
    outcomes: int = 0
    successes: int = 0
    human_escalations: int = 0
    active_customers: int | None = None
    # Templates: the features whose calls used it, and those features' outcomes.
    features: tuple[str, ...] = ()
    feature_outcomes: int = 0
    calls_url: str = ""

    @property
    def label(self) -> str:
        return self.key or UNATTRIBUTED

    @property
    def filter_value(self) -> str:
        """The value that selects this row in a URL filter (``(unattributed)`` for "")."""
        return self.key or UNATTRIBUTED

    @property
    def spend_usd(self) -> Decimal:
        return self.sums.cost_usd

    @property
    def calls(self) -> int:
        return self.sums.calls

    @property
    def spend_change_pct(self) -> Decimal | None:
        """Spend against the compare period in percent; None without one or when it was $0."""
        if self.compare_spend_usd is None:
            return None
        return pct(self.spend_usd - self.compare_spend_usd, self.compare_spend_usd)

    @property
    def sparkline(self) -> str:
        return charts.sparkline_points(self.daily_spend_usd)

    def _per_model_call(self, amount: int) -> Decimal | None:
        calls = self.sums.model_calls
        return (Decimal(amount) / calls).quantize(PCT_PLACES, ROUND_HALF_UP) if calls else None

    @property
    def input_tokens_per_call(self) -> Decimal | None:
        return self._per_model_call(self.sums.input_tokens)

    @property
    def output_tokens_per_call(self) -> Decimal | None:
        return self._per_model_call(self.sums.output_tokens)

    @property
    def retry_rate_pct(self) -> Decimal | None:
        return pct(self.sums.retries, self.sums.model_calls)

    @property
    def fallback_rate_pct(self) -> Decimal | None:
        return pct(self.sums.fallbacks, self.sums.model_calls)

    @property
    def escalation_rate_pct(self) -> Decimal | None:
        return pct(self.sums.model_escalations, self.sums.model_calls)

    @property
    def prompt_cache_rate_pct(self) -> Decimal | None:
        return pct(self.sums.prompt_cache_calls, self.sums.model_calls)

    @property
    def app_cache_hits(self) -> int:
        return self.sums.cache_hits

    @property
    def app_cache_rate_pct(self) -> Decimal | None:
        return pct(self.sums.cache_hits, self.sums.calls)

    @property
    def avoided_cost_usd(self) -> Decimal:
        return self.sums.avoided_cost_usd

    @property
    def quality(self) -> float | None:
        """Mean quality score (0..1) of the scored calls, 3 decimals; None without scores."""
        if not self.sums.quality_count:
            return None
        return round(self.sums.quality_sum / self.sums.quality_count, 3)

    @property
    def latency_p50_ms(self) -> float | None:
        return sketch.quantile(self.latency_sketch, 0.5)

    @property
    def latency_p95_ms(self) -> float | None:
        return sketch.quantile(self.latency_sketch, 0.95)

    @property
    def cost_per_outcome_usd(self) -> Decimal | None:
        return per(self.spend_usd, self.outcomes)

    @property
    def cost_per_success_usd(self) -> Decimal | None:
        return per(self.spend_usd, self.successes)

    @property
    def success_rate_pct(self) -> Decimal | None:
        return pct(self.successes, self.outcomes)

    @property
    def feature_count(self) -> int:
        return len(self.features)

    @property
    def spend_per_feature_outcome_usd(self) -> Decimal | None:
        return per(self.spend_usd, self.feature_outcomes)


def build_rows(
    call_groups: list[Mapping],
    dimension: str,
    period_days: list,
    compare_days: list | None,
) -> tuple[dict[str, BreakdownRow], dict[str, Decimal] | None]:
    """Rows keyed by ``dimension`` value from rollup sums per (value, day), and the compare
    period's spend per value (None without a compare period).

    ``call_groups``: dicts with ``dimension``, ``day`` (date) and the ``CallSums`` keys.
    Days in ``period_days`` add to the row (and its daily spend, one value per day of
    ``period_days``); days in ``compare_days`` add to ``compare_spend_usd`` (a day may be in
    both). A value with calls only in the compare period gets no row, but its spend is in the
    returned compare spend.
    """
    in_period, in_compare = set(period_days), set(compare_days or ())
    rows: dict[str, BreakdownRow] = {}
    daily: dict[str, dict] = {}
    compare: dict[str, Decimal] = {}
    for group in call_groups:
        name, day = group[dimension], group["day"]
        if day in in_compare:
            compare[name] = compare.get(name, Decimal("0")) + usd(group.get("cost_usd") or 0)
        if day in in_period:
            row = rows.setdefault(name, BreakdownRow(name))
            row.sums.add(group)
            spent = daily.setdefault(name, {})
            spent[day] = spent.get(day, Decimal("0")) + usd(group.get("cost_usd") or 0)
    total = sum((row.spend_usd for row in rows.values()), Decimal("0"))
    for name, row in rows.items():
        if compare_days is not None:
            row.compare_spend_usd = compare.get(name, Decimal("0"))
        row.daily_spend_usd = [daily[name].get(day, Decimal("0")) for day in period_days]
        row.share_of_spend_pct = pct(row.spend_usd, total)
    return rows, (compare if compare_days is not None else None)


def total_row(
    rows: list[BreakdownRow], label: str, compare_spend_usd: Decimal | None
) -> BreakdownRow:
    """All rows together, with the whole compare period's spend. Call sums, sketches and
    daily spend add up; trace-level counts add up too (a trace has one root segment). Set
    ``active_customers`` and ``feature_outcomes`` of the total from their own counts."""
    total = BreakdownRow(label, compare_spend_usd=compare_spend_usd)
    for row in rows:
        total.sums.add(vars(row.sums))
        total.latency_sketch = sketch.merge(total.latency_sketch, row.latency_sketch)
        total.traces += row.traces
        total.outcomes += row.outcomes
        total.successes += row.successes
        total.human_escalations += row.human_escalations
    if rows:
        daily = zip(*(row.daily_spend_usd for row in rows), strict=True)
        total.daily_spend_usd = [sum(day, Decimal("0")) for day in daily]
    total.share_of_spend_pct = Decimal("100.0") if total.spend_usd else None
    return total
