"""The Shapley average over factor orderings behind ``finops.drivers`` (pure, exact)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from finops.drivers.model import (
    CACHE,
    CALLS_PER_OUTCOME,
    INPUT_TOKENS,
    MODEL_MIX,
    OUTPUT_TOKENS,
    RETRIES,
    SEGMENT_MIX,
    PeriodStats,
)

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
