"""Inputs, outputs and names of the cost-per-outcome decomposition (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

QUANTUM = Decimal("1E-12")  # USD; rounding step of every per-outcome amount returned
SHARE_QUANTUM = Decimal("0.0001")
# Typical output/input price ratio of current chat models (4-5x); used when a model has none.
DEFAULT_OUTPUT_WEIGHT = Decimal(4)

VOLUME = "volume"
SEGMENT_MIX = "segment_mix"
CALLS_PER_OUTCOME = "calls_per_outcome"
INPUT_TOKENS = "input_tokens_per_call"
OUTPUT_TOKENS = "output_tokens_per_call"
MODEL_MIX = "model_mix"
RETRIES = "retries"
CACHE = "cache_hits"
# Order of Decomposition.drivers; also the tie-break for the primary driver.
DRIVER_NAMES = (
    VOLUME,
    SEGMENT_MIX,
    CALLS_PER_OUTCOME,
    INPUT_TOKENS,
    OUTPUT_TOKENS,
    MODEL_MIX,
    RETRIES,
    CACHE,
)
LABELS = {
    VOLUME: "Volume (fixed spend per outcome)",
    SEGMENT_MIX: "Segment mix",
    CALLS_PER_OUTCOME: "Calls per outcome",
    INPUT_TOKENS: "Input tokens per call",
    OUTPUT_TOKENS: "Output tokens per call",
    MODEL_MIX: "Model mix (price per token)",
    RETRIES: "Retries, fallbacks and escalations",
    CACHE: "Cache hits",
}
# (words when the driver raised cost per outcome, words when it lowered it)
PHRASES = {
    VOLUME: ("fixed spend per outcome up", "fixed spend per outcome down"),
    SEGMENT_MIX: ("costlier segments' share up", "cheaper segments' share up"),
    CALLS_PER_OUTCOME: ("more calls per outcome", "fewer calls per outcome"),
    INPUT_TOKENS: ("conversation history grew", "prompts got shorter"),
    OUTPUT_TOKENS: ("answers got longer", "answers got shorter"),
    MODEL_MIX: ("premium-model share up", "cheaper-model share up"),
    RETRIES: ("retry loops", "fewer retries and fallbacks"),
    CACHE: ("fewer cache hits", "more cache hits"),
}
NO_CHANGE = "no change"
_ZERO = Decimal(0)


@dataclass(frozen=True)
class GroupStats:
    """Call-level totals of one (segment, model) in a period; several rows of the same pair
    (e.g. one per day or template) are added up.

    ``calls`` counts every LLM call row, app-cache hits included (as ``DailyRollup.calls``);
    ``cache_hits`` is how many of them were served from the app cache. Tokens are counts.
    ``cost_usd`` is the priced spend (USD) of all the calls, including ``retry_cost_usd``: the
    spend of calls marked retry, fallback or model escalation. ``avoided_cost_usd`` (USD, what
    the cache hits would have cost) is carried for display; the cache driver values hits at
    the cell's actual cost per paid call instead, so that the identity stays exact.
    """

    segment: str
    model: str
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal
    retry_cost_usd: Decimal = _ZERO
    cache_hits: int = 0
    avoided_cost_usd: Decimal = _ZERO

    def __post_init__(self) -> None:
        counts = (self.calls, self.input_tokens, self.output_tokens, self.cache_hits)
        if min(counts) < 0 or min(self.cost_usd, self.retry_cost_usd, self.avoided_cost_usd) < 0:
            raise ValueError("counts and amounts must not be negative")
        if self.retry_cost_usd > self.cost_usd:
            raise ValueError("retry_cost_usd is part of cost_usd and cannot exceed it")
        if self.cache_hits > self.calls:
            raise ValueError("cache_hits are counted in calls and cannot exceed them")
        if self.cost_usd > 0 and self.calls == self.cache_hits:
            raise ValueError("cost_usd needs at least one call that was not a cache hit")


@dataclass(frozen=True)
class PeriodStats:
    """One feature over one period (a week, a month).

    ``outcomes``: trace-level outcomes (``DailyOutcomeRollup.outcomes`` summed). ``groups``:
    its calls by (segment, model). ``fixed_cost_usd``: spend that does not scale with calls
    (a provisioned-throughput commitment, a scheduled eval job), not included in ``groups``;
    usually 0. ``label``: free text naming the period ("Jun 1-7"), echoed by ``weekly``.
    """

    outcomes: int
    groups: Sequence[GroupStats] = ()
    fixed_cost_usd: Decimal = _ZERO
    label: str = ""

    @property
    def spend_usd(self) -> Decimal:
        """All spend of the period, USD."""
        return self.fixed_cost_usd + sum((g.cost_usd for g in self.groups), _ZERO)

    @property
    def cost_per_outcome_usd(self) -> Decimal | None:
        """Spend per outcome rounded to ``QUANTUM`` USD; None when there are no outcomes."""
        if self.outcomes <= 0:
            return None
        return _to_decimal(_round_units(Fraction(self.spend_usd) / self.outcomes))


@dataclass(frozen=True)
class Driver:
    name: str  # one of DRIVER_NAMES
    label: str
    delta_usd: Decimal  # change of cost per outcome it explains, USD; > 0 means it got dearer
    share: Decimal | None  # delta_usd / change_usd (can be < 0 or > 1); None if no change
    phrase: str  # plain words, e.g. "conversation history grew"; "no change" when zero


@dataclass(frozen=True)
class Decomposition:
    """``change_usd == after_usd - before_usd == sum(d.delta_usd for d in drivers)``, exactly.

    When either period has no outcomes, cost per outcome is undefined: ``change_usd`` is
    None, ``drivers`` is empty and ``note`` says why.
    """

    before_usd: Decimal | None
    after_usd: Decimal | None
    change_usd: Decimal | None
    drivers: tuple[Driver, ...]
    primary: Driver | None  # largest |delta_usd|; None when undefined or nothing moved
    note: str = ""

    @property
    def is_defined(self) -> bool:
        return self.change_usd is not None


@dataclass(frozen=True)
class WeekSummary:
    label: str
    spend_usd: Decimal
    outcomes: int
    cost_per_outcome_usd: Decimal | None
    change_usd: Decimal | None  # vs the previous week; None for the first or undefined
    primary_driver: str | None  # a DRIVER_NAMES entry
    primary_phrase: str  # words for the primary driver, or why there is none ("" if no prior)
    # Distinct customers need the calls table; rollups cannot give it. The caller fills it.
    active_customers: int | None = None


def _round_units(value: Fraction) -> int:
    """``value`` (USD) as a whole number of ``QUANTUM``, half to even."""
    return round(value / Fraction(QUANTUM))


def _to_decimal(units: int) -> Decimal:
    return Decimal(units).scaleb(QUANTUM.as_tuple().exponent)
