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
from decimal import Decimal
from fractions import Fraction
from math import factorial

from finops.drivers.model import (
    CACHE,
    CALLS_PER_OUTCOME,
    DEFAULT_OUTPUT_WEIGHT,
    DRIVER_NAMES,
    INPUT_TOKENS,
    LABELS,
    MODEL_MIX,
    NO_CHANGE,
    OUTPUT_TOKENS,
    PHRASES,
    QUANTUM,
    RETRIES,
    SEGMENT_MIX,
    SHARE_QUANTUM,
    VOLUME,
    Decomposition,
    Driver,
    GroupStats,
    PeriodStats,
    WeekSummary,
    _round_units,
    _to_decimal,
)
from finops.drivers.shapley import (
    _BIT,
    _FACTORS,
    _factors,
    _fill,
    _inner,
)


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


__all__ = [
    "CACHE",
    "CALLS_PER_OUTCOME",
    "DEFAULT_OUTPUT_WEIGHT",
    "DRIVER_NAMES",
    "INPUT_TOKENS",
    "LABELS",
    "MODEL_MIX",
    "NO_CHANGE",
    "OUTPUT_TOKENS",
    "PHRASES",
    "QUANTUM",
    "RETRIES",
    "SEGMENT_MIX",
    "SHARE_QUANTUM",
    "VOLUME",
    "Decomposition",
    "Driver",
    "GroupStats",
    "PeriodStats",
    "WeekSummary",
    "decompose",
    "decompose_exact",
    "weekly",
]
