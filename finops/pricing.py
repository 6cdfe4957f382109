"""Price one LLM call from its provider, model, token usage and time, with genai-prices.

Pure: no database. Money is ``Decimal`` USD. A call whose model genai-prices does not know, or
that reported no usage, gets ``cost_usd=None`` (unpriced), never zero: free and unknown are
different facts on a bill.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import genai_prices
from genai_prices import Usage

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
}


@dataclass(frozen=True, slots=True)
class UsageTokens:
    """Token counts of one call. ``input_tokens`` includes cache reads and writes."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0


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
    genai_usage = Usage(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_read_tokens=usage.cache_read_tokens,
        cache_write_tokens=usage.cache_write_tokens,
    )
    try:
        calc = genai_prices.calc_price(
            genai_usage, model, provider_id=pid, genai_request_timestamp=at
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


# genai-prices answers an unknown model by scanning every model (~1 ms) and raising; remember
# the misses so a stream of calls to a self-hosted model does not pay that on every span.
_UNKNOWN: set[tuple[str | None, str]] = set()


def _is_unknown(pid: str | None, model: str) -> bool:
    return (pid, model) in _UNKNOWN


def _remember_unknown(pid: str | None, model: str) -> None:
    if len(_UNKNOWN) < 10_000:
        _UNKNOWN.add((pid, model))


__all__ = ["PROVIDER_IDS", "SOURCE", "Price", "UsageTokens", "price_call", "provider_id"]
