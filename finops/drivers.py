"""Why it moved: a feature's change in cost per outcome split into dollar drivers (pure).

Cost per outcome of a period is ``(fixed_cost_usd + Σ cost_usd of its groups) / outcomes``.
The variable part is written, per (segment, model) cell ``c`` of segment ``s``, as the exact
identity

    V = n · (Σ_c a_s · b_c · h_c · (q_c + p_c · (i_c + w_m · o_c)) + r)

- ``n = D / outcomes``: first-attempt requests per outcome (paid calls net of retries, plus
  app-cache hits): *calls per outcome*;
- ``a_s = D_s / D``: the segment's share of requests: *segment mix*;
- ``b_c = D_c / D_s``: the model's share of the segment's requests, and ``p_c``: USD per
  weighted token (``q_c``: USD per paid call when the cell has no token counts): *model mix*;
- ``i_c``, ``o_c``: input and output tokens per paid call: *input / output tokens per call*;
- ``h_c``: the share of the cell's requests that reached an LLM: *cache hits*;
- ``r = R / D``: retry, fallback and escalation spend per request: *retries*.

``w_m`` is the model's output/input price ratio (``DEFAULT_OUTPUT_WEIGHT`` unless the caller
passes the rate card's), used only to weigh output tokens against input tokens; the exactness
below does not depend on it. Fixed spend (``fixed_cost_usd``) is the only thing outcome volume
moves: LLM spend is per call, so more outcomes at the same calls per outcome leave cost per
outcome unchanged. The *volume* driver is therefore ``F_after/O_after - F_before/O_before``,
which is zero unless the caller passes fixed spend.

Method: a Shapley average over all orderings of the seven factor groups (2**7 = 128
evaluations of ``V``). A chain substitution (change factor 1, then 2, …) also adds up, but gives
every interaction term to whichever factor comes later, so the named primary driver could
depend on an arbitrary order; Shapley is order-free, antisymmetric (swapping the periods
negates every driver) and still cheap for seven factors. It is computed in ``Fraction``, so the
drivers add up to the change exactly; ``decompose`` then rounds them to ``QUANTUM`` USD and puts
the few quanta of rounding residual on the primary driver, so the rounded ``Decimal`` drivers
also add up exactly to the rounded change.

Cells present in only one period (a new segment or model) take their intensive factors
(tokens per call, price, cache share) from the other period; their share is zero in the period
they are missing from, so the identity still holds and their appearance counts as mix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from math import factorial

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


def decompose(
    before: PeriodStats,
    after: PeriodStats,
    output_weights: Mapping[str, Decimal] | None = None,
) -> Decomposition:
    """The change of cost per outcome from ``before`` to ``after`` split into drivers (USD).

    ``output_weights``: output/input price ratio by model name (default
    ``DEFAULT_OUTPUT_WEIGHT``); it only decides how a token-count change is split between the
    input and output drivers. Never raises for empty periods or zero calls.
    """
    missing = [name for name, p in (("earlier", before), ("later", after)) if p.outcomes <= 0]
    if missing:
        which = " and ".join(missing)
        note = f"No outcomes in the {which} period, so cost per outcome is undefined."
        return Decomposition(
            before.cost_per_outcome_usd, after.cost_per_outcome_usd, None, (), None, note
        )
    exact = decompose_exact(before, after, output_weights)
    before_units = _round_units(Fraction(before.spend_usd) / before.outcomes)
    after_units = _round_units(Fraction(after.spend_usd) / after.outcomes)
    change_units = after_units - before_units
    units = {name: _round_units(value) for name, value in exact.items()}
    # Largest exact contributor; max() keeps the first of equals, i.e. DRIVER_NAMES order.
    top = max(DRIVER_NAMES, key=lambda name: abs(exact[name]))
    units[top] += change_units - sum(units.values())  # a few quanta of rounding residual
    change_usd = _to_decimal(change_units)
    drivers = tuple(_driver(name, _to_decimal(units[name]), change_usd) for name in DRIVER_NAMES)
    primary = drivers[DRIVER_NAMES.index(top)] if exact[top] else None
    return Decomposition(
        _to_decimal(before_units), _to_decimal(after_units), change_usd, drivers, primary
    )


def decompose_exact(
    before: PeriodStats,
    after: PeriodStats,
    output_weights: Mapping[str, Decimal] | None = None,
) -> dict[str, Fraction]:
    """The unrounded drivers (USD per outcome) by name, as exact fractions: they add up to
    ``spend/outcomes`` after minus before, exactly. Both periods need outcomes > 0."""
    if before.outcomes <= 0 or after.outcomes <= 0:
        raise ValueError("cost per outcome is undefined without outcomes")
    weights = {m: Fraction(w) for m, w in (output_weights or {}).items()}
    default = Fraction(DEFAULT_OUTPUT_WEIGHT)
    keys = sorted({(g.segment, g.model) for g in (*before.groups, *after.groups)})
    w = {key: weights.get(key[1], default) for key in keys}
    old, new = _factors(before, keys, w), _factors(after, keys, w)
    _fill(old, new)
    _fill(new, old)
    k = len(_FACTORS)
    # V = n * (inner + r); inner depends on five of the seven factors: 32 sums, not 128.
    inner_bits = (1 << k) - 1 - _BIT[CALLS_PER_OUTCOME] - _BIT[RETRIES]
    inner: dict[int, Fraction] = {}
    values = []
    for mask in range(1 << k):
        if mask & inner_bits not in inner:
            inner[mask & inner_bits] = _inner(old, new, mask, keys, w)
        n = (new if mask & _BIT[CALLS_PER_OUTCOME] else old).n
        r = (new if mask & _BIT[RETRIES] else old).r
        values.append(n * (inner[mask & inner_bits] + r))
    weight = [Fraction(factorial(s) * factorial(k - s - 1), factorial(k)) for s in range(k)]
    result = {
        VOLUME: Fraction(after.fixed_cost_usd) / after.outcomes
        - Fraction(before.fixed_cost_usd) / before.outcomes
    }
    for index, name in enumerate(_FACTORS):
        bit = 1 << index
        result[name] = sum(
            (
                weight[mask.bit_count()] * (values[mask | bit] - values[mask])
                for mask in range(1 << k)
                if not mask & bit
            ),
            Fraction(0),
        )
    return {name: result[name] for name in DRIVER_NAMES}


def weekly(
    series: Sequence[PeriodStats],
    weeks: int = 8,
    output_weights: Mapping[str, Decimal] | None = None,
) -> list[WeekSummary]:
    """A summary of each of the last ``weeks`` periods of ``series`` (oldest first, one per
    week), each against the week before it. Pass ``weeks + 1`` periods so the oldest shown
    week has a driver too. ``active_customers`` is left None for the caller."""
    summaries = []
    for index in range(max(0, len(series) - weeks), len(series)):
        week = series[index]
        change, driver, phrase = None, None, ""
        if index > 0:
            moved = decompose(series[index - 1], week, output_weights)
            change = moved.change_usd
            driver = moved.primary.name if moved.primary else None
            phrase = moved.primary.phrase if moved.primary else moved.note or NO_CHANGE
        summaries.append(
            WeekSummary(
                week.label,
                week.spend_usd,
                week.outcomes,
                week.cost_per_outcome_usd,
                change,
                driver,
                phrase,
            )
        )
    return summaries


# Factor groups of the variable part, in bit order of the Shapley masks.
_FACTORS = (SEGMENT_MIX, CALLS_PER_OUTCOME, INPUT_TOKENS, OUTPUT_TOKENS, MODEL_MIX, RETRIES, CACHE)
_BIT = {name: 1 << index for index, name in enumerate(_FACTORS)}
_Key = tuple[str, str]


@dataclass
class _Factors:
    # None marks a factor that is undefined in this period (its weight is zero there).
    n: Fraction
    r: Fraction | None
    a: dict[str, Fraction | None]
    b: dict[_Key, Fraction | None]
    h: dict[_Key, Fraction | None]
    i: dict[_Key, Fraction | None]
    o: dict[_Key, Fraction | None]
    price: dict[_Key, tuple[Fraction, Fraction] | None]  # (USD per weighted token, per call)


def _factors(period: PeriodStats, keys: list[_Key], w: dict[_Key, Fraction]) -> _Factors:
    totals = {key: [0, 0, 0, Fraction(0), Fraction(0), 0] for key in keys}
    for g in period.groups:
        row = totals[(g.segment, g.model)]
        row[0] += g.calls - g.cache_hits  # paid calls
        row[1] += g.input_tokens
        row[2] += g.output_tokens
        row[3] += Fraction(g.cost_usd)
        row[4] += Fraction(g.retry_cost_usd)
        row[5] += g.cache_hits
    first = _first_attempts(totals, fold_retries=False)
    retry_usd = sum((row[4] for row in totals.values()), Fraction(0))
    if retry_usd and not sum(first.values()) + sum(row[5] for row in totals.values()):
        # Every paid call was a retry: nothing to scale retries against, so count them as
        # first attempts (their spend then shows under the other drivers).
        first, retry_usd = _first_attempts(totals, fold_retries=True), Fraction(0)
    demand = {key: first[key] + totals[key][5] for key in keys}
    total = sum(demand.values(), Fraction(0))
    by_segment: dict[str, Fraction] = {}
    for (segment, _), d in demand.items():
        by_segment[segment] = by_segment.get(segment, Fraction(0)) + d
    factors = _Factors(
        n=total / period.outcomes,
        r=retry_usd / total if total else None,
        a={s: d / total if total else None for s, d in by_segment.items()},
        b={
            key: d / by_segment[key[0]] if by_segment[key[0]] else None for key, d in demand.items()
        },
        h={key: first[key] / d if d else None for key, d in demand.items()},
        i={},
        o={},
        price={},
    )
    for key, (paid, tokens_in, tokens_out, cost, _, _) in totals.items():
        weighted = tokens_in + w[key] * tokens_out
        factors.i[key] = Fraction(tokens_in, paid) if paid else None
        factors.o[key] = Fraction(tokens_out, paid) if paid else None
        if not paid:
            factors.price[key] = None
        elif weighted:
            factors.price[key] = (cost / weighted, Fraction(0))
        else:  # no token counts: price the call itself
            factors.price[key] = (Fraction(0), cost / paid)
    return factors


def _first_attempts(totals: dict[_Key, list], fold_retries: bool) -> dict[_Key, Fraction]:
    # Retry calls of a cell are estimated from its retry share of spend.
    first = {}
    for key, (paid, _, _, cost, retry, _) in totals.items():
        first[key] = Fraction(paid) if fold_retries or not cost else paid * (cost - retry) / cost
    return first


def _fill(target: _Factors, other: _Factors) -> None:
    # An undefined factor takes the other period's value (or 0): it is multiplied by a zero
    # share in its own period, so the period's total is unchanged.
    if target.r is None:
        target.r = other.r or Fraction(0)
    for name in ("a", "b", "h", "i", "o"):
        mine, theirs = getattr(target, name), getattr(other, name)
        for key, value in mine.items():
            if value is None:
                mine[key] = theirs.get(key) or Fraction(0)
    for key, value in target.price.items():
        if value is None:
            target.price[key] = other.price[key] or (Fraction(0), Fraction(0))


def _inner(
    old: _Factors, new: _Factors, mask: int, keys: list[_Key], w: dict[_Key, Fraction]
) -> Fraction:
    """``Σ_c a_s b_c h_c unit_c`` with the factors whose bit is set in ``mask`` from ``new``."""
    pick = {name: new if mask & _BIT[name] else old for name in _FACTORS}
    seg, mix, cache = pick[SEGMENT_MIX], pick[MODEL_MIX], pick[CACHE]
    tok_in, tok_out = pick[INPUT_TOKENS], pick[OUTPUT_TOKENS]
    total = Fraction(0)
    for key in keys:
        p, q = mix.price[key]
        unit = q + p * (tok_in.i[key] + w[key] * tok_out.o[key])
        total += seg.a[key[0]] * mix.b[key] * cache.h[key] * unit
    return total


def _round_units(value: Fraction) -> int:
    """``value`` (USD) as a whole number of ``QUANTUM``, half to even."""
    return round(value / Fraction(QUANTUM))


def _to_decimal(units: int) -> Decimal:
    return Decimal(units).scaleb(QUANTUM.as_tuple().exponent)


def _driver(name: str, delta_usd: Decimal, change_usd: Decimal) -> Driver:
    share = None
    if change_usd:
        # Fractions, not Decimal division: offsetting drivers can make the ratio too long
        # for the default 28-digit context.
        ratio = Fraction(delta_usd) / Fraction(change_usd) / Fraction(SHARE_QUANTUM)
        share = Decimal(round(ratio)).scaleb(SHARE_QUANTUM.as_tuple().exponent)
    if delta_usd > 0:
        phrase = PHRASES[name][0]
    elif delta_usd < 0:
        phrase = PHRASES[name][1]
    else:
        phrase = NO_CHANGE
    return Driver(name, LABELS[name], delta_usd, share, phrase)
