"""Totals, rates and per-call ratios of one feature's rollup rows (pure: dicts in, numbers out).

``CallTotals`` adds up ``DailyRollup`` rows (or rows already summed by the database) of any
group — a model route, a template, a segment, a day — and ``OutcomeTotals`` the
``DailyOutcomeRollup`` rows (one trace counted once). Their properties are the page's numbers:
money as ``Decimal`` USD, rates as ``Decimal`` percentages rounded to ``PCT_PLACES``, per-call
ratios rounded to ``RATIO_PLACES``, latency percentiles in ms from the merged sketches.

``bound_cells`` caps the (segment, model) cells the why-it-moved decomposition sees, so its
cost stays bounded whatever the number of segments and models (``finops.why``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from decimal import ROUND_HALF_UP, Decimal

from finops import sketch
from finops.drivers import GroupStats

USD_PLACES = Decimal("0.0000000001")  # the rollups' cost columns
PCT_PLACES = Decimal("0.1")
RATIO_PLACES = Decimal("0.01")
ZERO = Decimal(0)
OTHER = "(other)"  # the merged cell of what ``bound_cells`` does not keep


def usd(value) -> Decimal:
    """A summed money value back at the rollup columns' 10 places (SQLite sums as REAL)."""
    return Decimal(value or 0).quantize(USD_PLACES, rounding=ROUND_HALF_UP)


def per(amount: Decimal, count: int | Decimal) -> Decimal | None:
    """``amount / count`` at 10 places (USD per outcome, per call); None when count is 0."""
    if not count:
        return None
    return (Decimal(amount) / Decimal(count)).quantize(USD_PLACES, rounding=ROUND_HALF_UP)


def pct(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """``part / whole`` in percent, one decimal place; None when ``whole`` is 0."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(PCT_PLACES, rounding=ROUND_HALF_UP)


def ratio(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """``part / whole`` (tokens per call, chunks per call), two decimals; None when 0."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


def change_pct(now: Decimal | None, before: Decimal | None) -> Decimal | None:
    """The change from ``before`` to ``now`` in percent; None when either is unknown or
    ``before`` is 0."""
    if now is None or before is None or not before:
        return None
    return pct(Decimal(now) - Decimal(before), before)


@dataclass
class CallTotals:
    """Sums of ``DailyRollup`` columns (same names); ``latency_sketch`` merged."""

    calls: int = 0
    unpriced_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal = ZERO
    retries: int = 0
    fallbacks: int = 0
    model_escalations: int = 0
    errors: int = 0
    cache_hits: int = 0
    avoided_cost_usd: Decimal = ZERO
    retry_cost_usd: Decimal = ZERO
    quality_sum: float = 0.0
    quality_count: int = 0
    prompt_cache_calls: int = 0
    retrieval_calls: int = 0
    retrieval_chunks: int = 0
    retrieval_citations: int = 0
    latency_sketch: list[int] = field(default_factory=list)

    def add(self, row: Mapping) -> CallTotals:
        """Add a row (any subset of the columns; missing ones count 0); returns self."""
        for f in fields(self):
            value = row.get(f.name)
            if value is None:
                continue
            if f.name == "latency_sketch":
                self.latency_sketch = sketch.merge(self.latency_sketch, value)
            elif f.name.endswith("_usd"):
                setattr(self, f.name, getattr(self, f.name) + usd(value))
            else:
                setattr(self, f.name, getattr(self, f.name) + value)
        return self

    @property
    def quality(self) -> float | None:
        """Mean quality score (0..1) of the scored calls; None when none was scored."""
        return round(self.quality_sum / self.quality_count, 3) if self.quality_count else None

    @property
    def retry_rate_pct(self) -> Decimal | None:
        return pct(self.retries, self.calls)

    @property
    def fallback_rate_pct(self) -> Decimal | None:
        return pct(self.fallbacks, self.calls)

    @property
    def escalation_rate_pct(self) -> Decimal | None:
        """Model escalations per call, percent."""
        return pct(self.model_escalations, self.calls)

    @property
    def error_rate_pct(self) -> Decimal | None:
        return pct(self.errors, self.calls)

    @property
    def prompt_cache_rate_pct(self) -> Decimal | None:
        """Calls that read the provider's prompt cache, percent of calls."""
        return pct(self.prompt_cache_calls, self.calls)

    @property
    def app_cache_rate_pct(self) -> Decimal | None:
        return pct(self.cache_hits, self.calls)

    @property
    def input_per_call(self) -> Decimal | None:
        return ratio(self.input_tokens, self.calls)

    @property
    def output_per_call(self) -> Decimal | None:
        return ratio(self.output_tokens, self.calls)

    @property
    def cost_per_call_usd(self) -> Decimal | None:
        return per(self.cost_usd, self.calls)

    @property
    def chunks_per_call(self) -> Decimal | None:
        """Retrieved chunks per call that reported retrieval; None when none did."""
        return ratio(self.retrieval_chunks, self.retrieval_calls)

    @property
    def citations_used_pct(self) -> Decimal | None:
        """Cited chunks as a percentage of retrieved chunks."""
        return pct(self.retrieval_citations, self.retrieval_chunks)

    @property
    def p50_ms(self) -> int | None:
        return _quantile_ms(self.latency_sketch, 0.5)

    @property
    def p95_ms(self) -> int | None:
        return _quantile_ms(self.latency_sketch, 0.95)


@dataclass
class OutcomeTotals:
    """Sums of ``DailyOutcomeRollup`` columns (same names); ``latency_sketch`` merged."""

    traces: int = 0
    outcomes: int = 0
    successes: int = 0
    outcome_value_usd: Decimal = ZERO
    human_escalations: int = 0
    cost_usd: Decimal = ZERO
    latency_sketch: list[int] = field(default_factory=list)

    add = CallTotals.add

    @property
    def success_rate_pct(self) -> Decimal | None:
        return pct(self.successes, self.outcomes)

    @property
    def human_escalation_rate_pct(self) -> Decimal | None:
        """Human escalations per trace, percent."""
        return pct(self.human_escalations, self.traces)

    @property
    def p50_ms(self) -> int | None:
        return _quantile_ms(self.latency_sketch, 0.5)

    @property
    def p95_ms(self) -> int | None:
        return _quantile_ms(self.latency_sketch, 0.95)


def _quantile_ms(values: list[int], q: float) -> int | None:
    found = sketch.quantile(values, q)
    return None if found is None else round(found)


def sum_sketches(rows: Iterable[Sequence]) -> dict[tuple, list[int]]:
    """``{key: merged sketch}`` from tuples ``(*key, sketch)``: one element-wise sum per key
    (what ``sketch.merge`` does pairwise, without a copy per row)."""
    merged: dict[tuple, list[int]] = {}
    for *key, values in rows:
        total = merged.setdefault(tuple(key), [])
        if len(total) < len(values):
            total.extend([0] * (len(values) - len(total)))
        for index, count in enumerate(values):
            total[index] += count
    return {key: sketch.merge(total, []) for key, total in merged.items()}


def group(rows: Iterable[Mapping], key: Sequence[str], totals=CallTotals) -> dict[tuple, object]:
    """``{tuple of the row's key columns: totals of those rows}``, in first-seen order."""
    grouped: dict[tuple, object] = {}
    for row in rows:
        k = tuple(row[name] for name in key)
        if k not in grouped:
            grouped[k] = totals()
        grouped[k].add(row)
    return grouped


@dataclass(frozen=True)
class Kpis:
    """The headline of a feature over a period, and the same over the compare period."""

    spend_usd: Decimal
    calls: int
    outcomes: int
    successes: int
    outcome_value_usd: Decimal
    compare_spend_usd: Decimal | None = None
    compare_outcomes: int | None = None

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
    def value_per_dollar(self) -> Decimal | None:
        """Outcome value (USD) per USD of spend; None without values or spend."""
        if not self.outcome_value_usd:
            return None
        return ratio(self.outcome_value_usd, self.spend_usd)

    @property
    def compare_cost_per_outcome_usd(self) -> Decimal | None:
        if self.compare_spend_usd is None or self.compare_outcomes is None:
            return None
        return per(self.compare_spend_usd, self.compare_outcomes)

    @property
    def spend_change_pct(self) -> Decimal | None:
        return change_pct(self.spend_usd, self.compare_spend_usd)

    @property
    def cost_per_outcome_change_pct(self) -> Decimal | None:
        return change_pct(self.cost_per_outcome_usd, self.compare_cost_per_outcome_usd)


def bound_cells(
    periods: Sequence[Sequence[GroupStats]], limit: int
) -> list[tuple[GroupStats, ...]]:
    """The groups of each period with at most ``limit`` (segment, model) cells in all.

    Cells are ranked by spend over all the periods together (so every period keeps the same
    cells); the largest are kept while the rest, merged per segment into (segment,
    ``OTHER``), still fit. Segments beyond ``limit - 1`` are first merged into ``OTHER``.
    Totals are unchanged: merging adds counts and amounts.
    """
    spend: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    by_segment: dict[str, Decimal] = defaultdict(Decimal)
    for groups in periods:
        for g in groups:
            by_segment[g.segment] += g.cost_usd
    segments = sorted(by_segment, key=lambda s: (-by_segment[s], s))
    keep_segments = set(segments if len(segments) <= limit else segments[: limit - 1])

    def seg(g: GroupStats) -> str:
        return g.segment if g.segment in keep_segments else OTHER

    for groups in periods:
        for g in groups:
            spend[(seg(g), g.model if g.segment in keep_segments else OTHER)] += g.cost_usd
    order = sorted(spend, key=lambda k: (-spend[k], k))
    kept: set[tuple[str, str]] = set()
    for index, key in enumerate(order):
        rest = {k[0] for k in order[index + 1 :]}
        if len(kept) + 1 + len(rest) > limit:
            break
        kept.add(key)
    result = []
    for groups in periods:
        merged: dict[tuple[str, str], list] = {}
        for g in groups:
            key = (seg(g), g.model if g.segment in keep_segments else OTHER)
            key = key if key in kept else (key[0], OTHER)
            merged.setdefault(key, []).append(g)
        result.append(tuple(_merge(key, gs) for key, gs in sorted(merged.items())))
    return result


def _merge(key: tuple[str, str], groups: list[GroupStats]) -> GroupStats:
    if len(groups) == 1 and (groups[0].segment, groups[0].model) == key:
        return groups[0]
    return GroupStats(
        segment=key[0],
        model=key[1],
        calls=sum(g.calls for g in groups),
        input_tokens=sum(g.input_tokens for g in groups),
        output_tokens=sum(g.output_tokens for g in groups),
        cost_usd=sum((g.cost_usd for g in groups), ZERO),
        retry_cost_usd=sum((g.retry_cost_usd for g in groups), ZERO),
        cache_hits=sum(g.cache_hits for g in groups),
        avoided_cost_usd=sum((g.avoided_cost_usd for g in groups), ZERO),
    )
