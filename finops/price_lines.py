"""The price lines of one call: tokens times unit price = cost, per kind of token.

Pure. The lines come from the same genai-prices model price that ``finops.pricing`` charges
(the day's price, the input tier the call falls in), split by genai-prices' own unit
registry into the counts it bills: uncached input, cache reads, cache writes (5-minute and
1-hour), output, and per-request or tool prices. Reasoning tokens are billed as output: they
get a line of their own, marked as included, so the lines still add up to the cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from genai_prices import Usage
from genai_prices import data_snapshot as _data_snapshot
from genai_prices.types import TieredPrices

from finops.pricing import SOURCE, UsageTokens, provider_id

# A line per usage key genai-prices bills, in this order; other keys follow by name.
LABELS = {
    "input_tokens": "Input (uncached)",
    "cache_read_tokens": "Cached input (cache read)",
    "cache_write_tokens": "Cache write",
    "cache_write_1h_tokens": "Cache write (1 hour)",
    "output_tokens": "Output",
    "requests": "Per request",
}
_ALWAYS_SHOWN = frozenset({"input_tokens", "output_tokens"})


@dataclass(frozen=True, slots=True)
class PriceLine:
    """One line: ``quantity`` times ``unit_usd`` per ``per`` units = ``cost_usd`` (USD).

    ``included`` lines (reasoning) are part of another line's cost and not added again.
    """

    key: str
    label: str
    quantity: int
    unit_usd: Decimal
    per: int
    cost_usd: Decimal
    included: bool = False

    @property
    def unit_label(self) -> str:
        return "per 1M tokens" if self.per == 1_000_000 else f"per {self.per:,}"


@dataclass(frozen=True, slots=True)
class PriceLines:
    """A call's lines, their total (USD), the model price used and where it comes from;
    ``reason`` says why there are no lines."""

    lines: tuple[PriceLine, ...] = ()
    total_usd: Decimal = Decimal(0)
    matched_model: str = ""
    source: str = ""
    reason: str = ""


def _tier_price(price: Decimal | TieredPrices, input_tokens: int) -> Decimal:
    """The unit price that applies: a tier applies to all tokens above its start (cliff)."""
    if not isinstance(price, TieredPrices):
        return price
    for tier in reversed(price.tiers):
        if input_tokens > tier.start:
            return tier.price
    return price.base


def _usage(usage: UsageTokens) -> Usage:
    counts = {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_tokens": usage.cache_read_tokens,
        "cache_write_tokens": usage.cache_write_tokens,
    }
    if usage.cache_write_1h_tokens:
        counts["cache_write_1h_tokens"] = min(usage.cache_write_1h_tokens, usage.cache_write_tokens)
    return Usage(**counts)


def _billed_units(provider: str, model: str, usage: UsageTokens, at: datetime):
    """(matched model id, [(usage key, per, unit price, count)]) or a reason (str)."""
    # genai-prices' registry helpers are what its calc_price uses; they are private, so a
    # change there shows as "no price lines", never as a wrong line.
    from genai_prices.types import _collect_resolved_model_prices, _compute_registry_priced_counts
    from genai_prices.units import _get_registry

    pid = provider_id(provider) if provider else None
    if provider and pid is None:
        return f"no prices for provider {provider!r}"
    try:
        _, info = _data_snapshot.get_snapshot().find_provider_model(model, None, pid, None)
        registry = _get_registry()
        prices = _collect_resolved_model_prices(info.get_prices(at), registry)
        counts = _compute_registry_priced_counts(prices, Usage.from_raw(_usage(usage)))
    except (LookupError, ValueError, ArithmeticError, AttributeError, TypeError):
        return f"no price for model {model!r}"
    units = [
        (u.usage_key, u.per, _tier_price(p, usage.input_tokens), counts.get(u.usage_key) or 0)
        for u, p in prices
    ]
    return info.id, units


def price_lines(
    provider: str, model: str, usage: UsageTokens | None, at: datetime, reasoning_tokens: int = 0
) -> PriceLines:
    """The price lines of a call to ``model`` of ``provider`` made at ``at`` (aware).

    Input and output lines are always shown (0 tokens is a fact too); other lines only when
    they bill something. ``reasoning_tokens`` adds an included line at the output price.
    No usage or an unknown model: no lines, and a ``reason``.
    """
    if usage is None:
        return PriceLines(reason="no usage reported")
    if not model:
        return PriceLines(reason="no model name")
    found = _billed_units(provider, model, usage, at)
    if isinstance(found, str):
        return PriceLines(reason=found)
    matched, units = found
    lines = []
    for key, per, unit, count in units:
        if count or key in _ALWAYS_SHOWN:
            cost = unit * Decimal(count) / per
            label = LABELS.get(key, key.replace("_", " ").capitalize())
            lines.append(PriceLine(key, label, int(count), unit, per, cost))
    order = list(LABELS)
    lines.sort(key=lambda line: (order.index(line.key) if line.key in order else 99, line.key))
    output = next((line for line in lines if line.key == "output_tokens"), None)
    if reasoning_tokens and output is not None:
        cost = output.unit_usd * reasoning_tokens / output.per
        reasoning = PriceLine(
            "reasoning_tokens",
            "of which reasoning (billed as output)",
            reasoning_tokens,
            output.unit_usd,
            output.per,
            cost,
            included=True,
        )
        lines.insert(lines.index(output) + 1, reasoning)
    total = sum((line.cost_usd for line in lines if not line.included), Decimal(0))
    return PriceLines(tuple(lines), total, matched, SOURCE)
