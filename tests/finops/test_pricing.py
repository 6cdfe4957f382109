"""Pricing one LLM call with genai-prices (finops/pricing.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import genai_prices
import pytest
from genai_prices import Usage, calc_price

from finops.pricing import PROVIDER_IDS, SOURCE, Price, UsageTokens, price_call, provider_id

AT = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _reference(provider_id_: str | None, model: str, usage: UsageTokens) -> Decimal:
    """genai-prices' own answer for the call."""
    calc = calc_price(
        Usage(
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cache_read_tokens=usage.cache_read_tokens,
            cache_write_tokens=usage.cache_write_tokens,
        ),
        model,
        provider_id=provider_id_,
        genai_request_timestamp=AT,
    )
    return calc.total_price


KNOWN_CALLS = [
    pytest.param(
        "openai", "openai", "gpt-4o-mini", UsageTokens(1000, 500, 200, 0), id="gpt-4o-mini"
    ),
    pytest.param("openai", "openai", "gpt-4o", UsageTokens(1000, 500, 200, 0), id="gpt-4o"),
    pytest.param("openai", "openai", "gpt-4o-2024-08-06", UsageTokens(4000, 10), id="gpt-4o-dated"),
    pytest.param(
        "anthropic",
        "anthropic",
        "claude-haiku-4-5",
        UsageTokens(1300, 50, 1000, 200),
        id="claude-haiku-4-5",
    ),
    pytest.param(
        "anthropic",
        "anthropic",
        "claude-sonnet-4-5",
        UsageTokens(1300, 50, 1000, 200),
        id="claude-sonnet-4-5",
    ),
    pytest.param(
        "anthropic",
        "anthropic",
        "claude-sonnet-4-5",
        UsageTokens(250_000, 1000),
        id="claude-sonnet-4-5-long-tier",
    ),
    pytest.param(
        "openai",
        "openai",
        "text-embedding-3-small",
        UsageTokens(12_345, 0),
        id="text-embedding-3-small",
    ),
    pytest.param(
        "gcp.gemini", "google", "gemini-2.5-flash", UsageTokens(1000, 100), id="gemini-2.5-flash"
    ),
    pytest.param(
        "aws.bedrock",
        "aws",
        "anthropic.claude-3-5-haiku-20241022-v1:0",
        UsageTokens(1000, 100),
        id="bedrock-claude-3-5-haiku",
    ),
    pytest.param("azure.ai.openai", "azure", "gpt-4o", UsageTokens(1000, 100), id="azure-gpt-4o"),
]


@pytest.mark.parametrize(("otel_provider", "genai_id", "model", "usage"), KNOWN_CALLS)
def test_known_model_cost_equals_genai_prices_total(otel_provider, genai_id, model, usage):
    price = price_call(otel_provider, model, usage, AT)

    assert price.cost_usd == _reference(genai_id, model, usage)
    assert price.cost_usd > 0


@pytest.mark.parametrize(
    ("provider", "model", "usage", "expected"),
    [
        # 800 uncached x $0.15 + 200 cache read x $0.075 + 500 output x $0.60, per MTok
        ("openai", "gpt-4o-mini", UsageTokens(1000, 500, 200, 0), Decimal("0.000435")),
        # 1000 input x $0.15 + 100 output x $0.60
        ("openai", "gpt-4o-mini", UsageTokens(1000, 100), Decimal("0.00021")),
        # 100 uncached x $3 + 1000 read x $0.30 + 200 write x $3.75 + 50 output x $15
        ("anthropic", "claude-sonnet-4-5", UsageTokens(1300, 50, 1000, 200), Decimal("0.0021")),
        # 100 uncached x $1 + 1000 read x $0.10 + 200 write x $1.25 + 50 output x $5
        ("anthropic", "claude-haiku-4-5", UsageTokens(1300, 50, 1000, 200), Decimal("0.0007")),
        # 250k input over the 200k tier: everything at $6 in, $22.50 out
        ("anthropic", "claude-sonnet-4-5", UsageTokens(250_000, 1000), Decimal("1.5225")),
        ("openai", "text-embedding-3-small", UsageTokens(12_345), Decimal("0.0002469")),
    ],
)
def test_known_model_cost_matches_hand_computed_value(provider, model, usage, expected):
    assert price_call(provider, model, usage, AT).cost_usd == expected


def test_priced_call_records_split_source_and_matched_model():
    price = price_call("openai", "gpt-4o-mini", UsageTokens(1000, 500, 200, 0), AT)

    assert price == Price(
        cost_usd=Decimal("0.000435"),
        input_usd=Decimal("0.000135"),
        output_usd=Decimal("0.0003"),
        source=f"genai-prices {genai_prices.__version__}",
        matched_model="gpt-4o-mini",
        reason="",
    )
    assert (price.is_priced, SOURCE) == (True, price.source)


def test_cost_is_a_decimal_not_a_float():
    assert type(price_call("openai", "gpt-4o", UsageTokens(10, 10), AT).cost_usd) is Decimal


def test_zero_tokens_of_a_known_model_cost_zero():
    price = price_call("openai", "gpt-4o-mini", UsageTokens(0, 0), AT)

    assert (price.cost_usd, price.is_priced) == (Decimal("0"), True)


def test_call_without_provider_is_priced_by_model_name():
    usage = UsageTokens(1000, 100)

    assert price_call("", "gpt-4o-mini", usage, AT).cost_usd == _reference(
        None, "gpt-4o-mini", usage
    )


@pytest.mark.parametrize(
    ("provider", "model", "usage", "reason"),
    [
        pytest.param(
            "openai",
            "acme-llama-70b",
            UsageTokens(1000, 100),
            "no price for model 'acme-llama-70b'",
            id="model",
        ),
        pytest.param(
            "vllm",
            "meta-llama/Llama-3.1-8B",
            UsageTokens(1000, 100),
            "no prices for provider 'vllm'",
            id="provider",
        ),
        pytest.param("openai", "gpt-4o-mini", None, "no usage reported", id="no-usage"),
        pytest.param("openai", "", UsageTokens(1000, 100), "no model name", id="no-model"),
    ],
)
def test_unpriceable_call_has_no_cost_and_a_reason(provider, model, usage, reason):
    assert price_call(provider, model, usage, AT) == Price(cost_usd=None, reason=reason)


def test_unknown_model_stays_unpriced_when_asked_again():
    usage = UsageTokens(10, 10)
    first = price_call("openai", "acme-llama-70b-v2", usage, AT)

    second = price_call("openai", "acme-llama-70b-v2", usage, AT)

    assert first == second == Price(cost_usd=None, reason="no price for model 'acme-llama-70b-v2'")
    assert second.is_priced is False


def test_missing_usage_is_unpriced_not_free():
    price = price_call("openai", "gpt-4o-mini", None, AT)

    assert (price.cost_usd, price.is_priced) == (None, False)


@pytest.mark.parametrize(
    ("otel_name", "genai_id"),
    [
        ("openai", "openai"),
        ("azure.ai.openai", "azure"),
        ("az.ai.openai", "azure"),
        ("azure.ai.inference", "azure"),
        ("anthropic", "anthropic"),
        ("aws.bedrock", "aws"),
        ("gcp.gemini", "google"),
        ("gcp.vertex_ai", "google"),
        ("gcp.gen_ai", "google"),
        ("mistral_ai", "mistral"),
        ("x_ai", "x-ai"),
        ("deepseek", "deepseek"),
        ("groq", "groq"),
        ("cohere", "cohere"),
        ("perplexity", "perplexity"),
        (" OpenAI ", "openai"),
        ("GCP.Gemini", "google"),
    ],
)
def test_otel_provider_name_maps_to_genai_prices_id(otel_name, genai_id):
    assert provider_id(otel_name) == genai_id


@pytest.mark.parametrize("name", ["vllm", "ollama", "", "openai.chat"])
def test_unknown_provider_name_maps_to_none(name):
    assert provider_id(name) is None


def test_every_mapped_provider_id_exists_in_genai_prices():
    known = {provider.id for provider in genai_prices.data.providers}

    assert set(PROVIDER_IDS.values()) - known == set()
