"""1-hour cache writes (Anthropic) are priced at their own rate, exactly as genai-prices does,
and OpenInference's provider names map to genai-prices ids."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import genai_prices
import pytest
from genai_prices import Usage

from finops.pricing import UsageTokens, price_call, provider_id

AT = datetime(2026, 11, 1, tzinfo=UTC)


def test_one_hour_cache_writes_cost_more_than_five_minute_ones():
    five_minutes = price_call(
        "anthropic",
        "claude-haiku-4-5",
        UsageTokens(1300, 300, cache_read_tokens=1000, cache_write_tokens=200),
        AT,
    )
    one_hour = price_call(
        "anthropic",
        "claude-haiku-4-5",
        UsageTokens(
            1300, 300, cache_read_tokens=1000, cache_write_tokens=200, cache_write_1h_tokens=200
        ),
        AT,
    )

    # 200 tokens at $2.00 instead of $1.25 per million
    assert one_hour.cost_usd - five_minutes.cost_usd == Decimal("0.00015")


def test_one_hour_cache_price_equals_genai_prices():
    usage = UsageTokens(
        5000, 800, cache_read_tokens=1000, cache_write_tokens=3000, cache_write_1h_tokens=1000
    )

    ours = price_call("anthropic", "claude-sonnet-4-5", usage, AT)

    theirs = genai_prices.calc_price(
        Usage(
            input_tokens=5000,
            output_tokens=800,
            cache_read_tokens=1000,
            cache_write_tokens=3000,
            cache_write_1h_tokens=1000,
        ),
        "claude-sonnet-4-5",
        provider_id="anthropic",
        genai_request_timestamp=AT,
    )
    assert ours.cost_usd == theirs.total_price


@pytest.mark.parametrize(
    ("name", "expected"), [("aws", "aws"), ("vertexai", "google"), ("xai", "x-ai")]
)
def test_openinference_provider_names_map_to_genai_prices_ids(name, expected):
    assert provider_id(name) == expected
