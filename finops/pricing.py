"""Price one LLM call from its provider, model, token usage and time, with genai-prices.

Pure: no database. Money is ``Decimal`` USD. A call whose model genai-prices does not know, or
that reported no usage, gets ``cost_usd=None`` (unpriced), never zero: free and unknown are
different facts on a bill.

``genai_prices.calc_price`` costs ~200 µs a call, too slow for every span at full ingest. A
rate card per (provider, model, UTC day) holds the same prices as linear coefficients and
prices a call in a few µs; time-of-day prices (off-peak discounts) and usage outside the
card's checks go to ``calc_price`` itself. Results are equal to ``calc_price``'s, Decimal for
Decimal (``tests/finops/test_rate_card.py`` checks every model genai-prices knows).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

import genai_prices
from genai_prices import Usage
from genai_prices import data_snapshot as _data_snapshot
from genai_prices.types import TieredPrices, TimeOfDateConstraint

SOURCE = f"genai-prices {genai_prices.__version__}"
# Costs are stored as numeric(20, 10); a larger cost for one call means corrupt usage.
MAX_COST_USD = Decimal(10) ** 9

# OTel GenAI provider names (gen_ai.provider.name / gen_ai.system) → genai-prices provider ids.
PROVIDER_IDS = {
    "openai": "openai",
    "azure.ai.openai": "azure",
    "az.ai.openai": "azure",
    "azure.ai.inference": "azure",
    "azure": "azure",
    "anthropic": "anthropic",
    "aws.bedrock": "aws",
    "aws_bedrock": "aws",
    "bedrock": "aws",
    "gcp.gemini": "google",
    "gcp.vertex_ai": "google",
    "gcp.gen_ai": "google",
    "google": "google",
    "gemini": "google",
    "vertex_ai": "google",
    "mistral_ai": "mistral",
    "mistralai": "mistral",
    "mistral": "mistral",
    "cohere": "cohere",
    "groq": "groq",
    "deepseek": "deepseek",
    "perplexity": "perplexity",
    "x_ai": "x-ai",
    "xai": "x-ai",
    "together": "together",
    "together_ai": "together",
    "fireworks": "fireworks",
    "openrouter": "openrouter",
    # OpenInference's llm.provider values
    "aws": "aws",
    "vertexai": "google",
}


@dataclass(frozen=True, slots=True)
class UsageTokens:
    """Token counts of one call. ``input_tokens`` includes cache reads and writes."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    # The part of cache_write_tokens written to the 1-hour cache (Anthropic prices it higher).
    cache_write_1h_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Price:
    """The priced result; ``cost_usd`` is None when the call cannot be priced (see ``reason``)."""

    cost_usd: Decimal | None
    input_usd: Decimal | None = None
    output_usd: Decimal | None = None
    source: str = ""
    matched_model: str = ""
    reason: str = ""

    @property
    def is_priced(self) -> bool:
        return self.cost_usd is not None


def provider_id(provider: str) -> str | None:
    """The genai-prices provider id for an OTel provider name, or None when unknown."""
    return PROVIDER_IDS.get(provider.strip().lower())


def price_call(provider: str, model: str, usage: UsageTokens | None, at: datetime) -> Price:
    """Price a call made at ``at`` (aware) to ``model`` of ``provider``.

    ``usage=None`` means the call reported no token counts (a failed call, or an instrumentation
    that omits usage): it stays unpriced rather than being counted as free.
    """
    if usage is None:
        return Price(cost_usd=None, reason="no usage reported")
    if not model:
        return Price(cost_usd=None, reason="no model name")
    pid = provider_id(provider) if provider else None
    if provider and pid is None:
        return Price(cost_usd=None, reason=f"no prices for provider {provider!r}")
    if _is_unknown(pid, model):
        return Price(cost_usd=None, reason=f"no price for model {model!r}")
    card = _rate_card(pid, model, at)
    if card is None:
        return Price(cost_usd=None, reason=f"no price for model {model!r}")
    # The card is linear in four counts; a 1-hour cache write is a fifth price: genai-prices.
    rates = None if usage.cache_write_1h_tokens else card.rates_for(usage, at)
    if rates is None:  # time-of-day price, 1-hour cache writes or unusual usage
        return _price_with_genai_prices(pid, model, usage, at)
    u = (usage.input_tokens, usage.output_tokens, usage.cache_read_tokens, usage.cache_write_tokens)
    total = _apply(rates.total, u)
    if total >= MAX_COST_USD:
        return Price(cost_usd=None, reason=f"cost {total} USD is out of range")
    return Price(
        cost_usd=total,
        input_usd=_apply(rates.input, u),
        output_usd=_apply(rates.output, u),
        source=SOURCE,
        matched_model=card.matched_model,
    )


def _price_with_genai_prices(
    pid: str | None, model: str, usage: UsageTokens, at: datetime
) -> Price:
    try:
        calc = genai_prices.calc_price(
            _genai_usage(usage), model, provider_id=pid, genai_request_timestamp=at
        )
    except LookupError:
        _remember_unknown(pid, model)
        return Price(cost_usd=None, reason=f"no price for model {model!r}")
    if calc.total_price >= MAX_COST_USD:
        return Price(cost_usd=None, reason=f"cost {calc.total_price} USD is out of range")
    return Price(
        cost_usd=calc.total_price,
        input_usd=calc.input_price,
        output_usd=calc.output_price,
        source=SOURCE,
        matched_model=calc.model.id,
    )


def _genai_usage(usage: UsageTokens) -> Usage:
    counts = {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_tokens": usage.cache_read_tokens,
        "cache_write_tokens": usage.cache_write_tokens,
    }
    if usage.cache_write_1h_tokens:  # a subset of cache_write_tokens, as genai-prices expects
        counts["cache_write_1h_tokens"] = min(usage.cache_write_1h_tokens, usage.cache_write_tokens)
    return Usage(**counts)


# genai-prices answers an unknown model by scanning every model (~1 ms) and raising; remember
# the misses so a stream of calls to a self-hosted model does not pay that on every span.
_UNKNOWN: set[tuple[str | None, str]] = set()


def _is_unknown(pid: str | None, model: str) -> bool:
    return (pid, model) in _UNKNOWN


def _remember_unknown(pid: str | None, model: str) -> None:
    if len(_UNKNOWN) < 10_000:
        _UNKNOWN.add((pid, model))


# --- rate card ------------------------------------------------------------------------------
# A linear form: (constant, per input token, per output token, per cache-read token, per
# cache-write token), USD. genai-prices' price is linear in the four counts once the UTC day
# (start-date prices) and the input tier are fixed, so five probes of ``calc_price`` give it
# exactly: every term is a Decimal product, so no rounding separates the two answers.
_Form = tuple[Decimal, Decimal, Decimal, Decimal, Decimal]


def _apply(form: _Form, u: tuple[int, int, int, int]) -> Decimal:
    return form[0] + form[1] * u[0] + form[2] * u[1] + form[3] * u[2] + form[4] * u[3]


@dataclass(frozen=True, slots=True)
class _Rates:
    total: _Form
    input: _Form
    output: _Form


@dataclass(slots=True)
class _RateCard:
    """The prices of one model for one UTC day; ``rates_for`` picks the input tier."""

    matched_model: str
    provider: object
    model: object
    # Input-token thresholds of tiered prices: a call above a threshold pays that tier on all
    # its tokens ("cliff" pricing), so each band between thresholds is linear on its own.
    thresholds: tuple[int, ...]
    time_of_day: bool
    bands: dict[int, _Rates | None] = field(default_factory=dict)

    def rates_for(self, usage: UsageTokens, at: datetime) -> _Rates | None:
        """The linear rates for ``usage``, or None when genai-prices must price it itself."""
        if self.time_of_day or not _is_plain(usage):
            return None
        band = sum(1 for t in self.thresholds if usage.input_tokens > t) if self.thresholds else 0
        try:
            return self.bands[band]
        except KeyError:
            rates = self.bands[band] = self._probe(band, at)
            return rates

    def _probe(self, band: int, at: datetime) -> _Rates | None:
        low = self.thresholds[band - 1] + 1 if band else 0
        high = self.thresholds[band] if band < len(self.thresholds) else low + 10**9

        def calc(i: int, o: int = 0, r: int = 0, w: int = 0):
            usage = Usage(
                input_tokens=i, output_tokens=o, cache_read_tokens=r, cache_write_tokens=w
            )
            return self.model.calc_price(usage, self.provider, genai_request_timestamp=at)

        base_in = max(low, 1)
        if base_in + 1 > high:
            return None
        try:
            base, plus_in = calc(base_in), calc(base_in + 1)
            probes = (
                plus_in,
                calc(base_in, 1),
                calc(base_in + 1, 0, 1),
                calc(base_in + 1, 0, 0, 1),
            )
        except (ValueError, ArithmeticError):
            return None
        forms = []
        for attr in ("total_price", "input_price", "output_price"):
            per_in = getattr(plus_in, attr) - getattr(base, attr)
            per_out = getattr(probes[1], attr) - getattr(base, attr)
            per_read = getattr(probes[2], attr) - getattr(plus_in, attr)
            per_write = getattr(probes[3], attr) - getattr(plus_in, attr)
            constant = getattr(base, attr) - per_in * base_in
            forms.append((constant, per_in, per_out, per_read, per_write))
        rates = _Rates(*forms)
        # Check the card against genai-prices at a far point of the band; a model whose price
        # is not linear there (a rule this card does not know) keeps using calc_price.
        span = min(high - base_in, 1_000_000)
        check = UsageTokens(base_in + span, 12_345, span // 3, span // 5)
        u = (
            check.input_tokens,
            check.output_tokens,
            check.cache_read_tokens,
            check.cache_write_tokens,
        )
        try:
            expected = calc(*u)
        except (ValueError, ArithmeticError):
            return None
        if (_apply(rates.total, u), _apply(rates.input, u), _apply(rates.output, u)) != (
            expected.total_price,
            expected.input_price,
            expected.output_price,
        ):
            return None
        return rates


def _is_plain(usage: UsageTokens) -> bool:
    """Whole, non-negative counts with the cache inside the input: the card's domain."""
    i, o, r, w = (
        usage.input_tokens,
        usage.output_tokens,
        usage.cache_read_tokens,
        usage.cache_write_tokens,
    )
    return (
        type(i) is int
        and type(o) is int
        and type(r) is int
        and type(w) is int
        and o >= 0
        and r >= 0
        and w >= 0
        and i >= r + w
    )


_CARDS: dict[tuple[str | None, str, date], _RateCard] = {}
_CARDS_MAX = 10_000
_snapshot_of_cards: list[object] = [None]


def _rate_card(pid: str | None, model: str, at: datetime) -> _RateCard | None:
    """The card of ``model`` for ``at``'s UTC day, or None (remembered) when unknown."""
    # StartDateConstraint compares the UTC date; naive times count as UTC, as there.
    day = (at if at.tzinfo is UTC or at.tzinfo is None else at.astimezone(UTC)).date()
    snapshot = _data_snapshot.get_snapshot()
    if _snapshot_of_cards[0] is not snapshot:  # prices were updated: start over
        _CARDS.clear()
        _snapshot_of_cards[0] = snapshot
    key = (pid, model, day)
    card = _CARDS.get(key)
    if card is not None:
        return card
    try:
        provider, info = snapshot.find_provider_model(model, None, pid, None)
    except LookupError:
        _remember_unknown(pid, model)
        return None
    prices = info.get_prices(at)
    conditional = info.prices if isinstance(info.prices, list) else []
    card = _RateCard(
        matched_model=info.id,
        provider=provider,
        model=info,
        thresholds=tuple(
            sorted(
                {
                    tier.start
                    for value in vars(prices).values()
                    if isinstance(value, TieredPrices)
                    for tier in value.tiers
                }
            )
        ),
        time_of_day=any(isinstance(c.constraint, TimeOfDateConstraint) for c in conditional),
    )
    if len(_CARDS) >= _CARDS_MAX:
        _CARDS.clear()
    _CARDS[key] = card
    return card


__all__ = ["PROVIDER_IDS", "SOURCE", "Price", "UsageTokens", "price_call", "provider_id"]
