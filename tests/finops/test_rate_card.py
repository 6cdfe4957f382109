"""The rate card behind ``price_call`` prices exactly as ``genai_prices.calc_price`` does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import genai_prices
import pytest
from genai_prices import Usage, calc_price

from finops.pricing import PROVIDER_IDS, SOURCE, Price, UsageTokens, price_call

AT = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
# One OTel provider name per genai-prices provider id we map to.
OTEL_NAME = {genai_id: otel for otel, genai_id in reversed(PROVIDER_IDS.items())}


def _reference(genai_id: str | None, model: str, usage: UsageTokens, at: datetime) -> Price:
    """What price_call answered before the rate card: calc_price, field for field."""
    try:
        calc = calc_price(
            Usage(
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cache_read_tokens=usage.cache_read_tokens,
                cache_write_tokens=usage.cache_write_tokens,
            ),
            model,
            provider_id=genai_id,
            genai_request_timestamp=at,
        )
    except LookupError:
        return Price(cost_usd=None, reason=f"no price for model {model!r}")
    return Price(
        cost_usd=calc.total_price,
        input_usd=calc.input_price,
        output_usd=calc.output_price,
        source=SOURCE,
        matched_model=calc.model.id,
    )


def _answer(otel_name: str, model: str, usage: UsageTokens, at: datetime) -> Price | str:
    try:
        return price_call(otel_name, model, usage, at)
    except ValueError as exc:  # genai-prices refuses impossible usage; so must we
        return f"ValueError: {exc}"


def _reference_answer(genai_id, model, usage, at) -> Price | str:
    try:
        return _reference(genai_id, model, usage, at)
    except ValueError as exc:
        return f"ValueError: {exc}"


USAGES = [
    UsageTokens(1000, 500, 200, 100),
    UsageTokens(250_000, 1000, 20_000, 0),  # above the usual 200k input tier
    UsageTokens(0, 0),
    UsageTokens(3, 7),
]


@pytest.mark.parametrize("genai_id", sorted(OTEL_NAME))
def test_every_model_of_a_provider_prices_as_genai_prices(genai_id):
    provider = next(p for p in genai_prices.data.providers if p.id == genai_id)
    otel = OTEL_NAME[genai_id]
    mismatches = []
    for model in provider.models:
        for usage in USAGES:
            for at in (AT, datetime(2024, 6, 1, 3, 0, tzinfo=UTC)):
                got = _answer(otel, model.id, usage, at)
                want = _reference_answer(genai_id, model.id, usage, at)
                if got != want:
                    mismatches.append((model.id, usage, at, got, want))

    assert mismatches == []


@pytest.mark.parametrize("input_tokens", [199_999, 200_000, 200_001, 1_000_000])
def test_tier_threshold_prices_as_genai_prices(input_tokens):
    usage = UsageTokens(input_tokens, 1000, 1000, 500)

    got = price_call("anthropic", "claude-sonnet-4-5", usage, AT)

    assert got == _reference("anthropic", "claude-sonnet-4-5", usage, AT)


@pytest.mark.parametrize("hour", [0, 1, 2, 5, 8, 12, 16, 17, 23])
def test_time_of_day_price_follows_the_hour(hour):
    at = datetime(2026, 11, 1, hour, 45, tzinfo=UTC)
    usage = UsageTokens(10_000, 2000, 4000, 0)

    for model in ("deepseek-chat", "deepseek-v4-flash"):
        assert price_call("deepseek", model, usage, at) == _reference("deepseek", model, usage, at)


def test_price_changes_at_utc_midnight_of_its_start_date():
    usage = UsageTokens(10_000, 2000)
    before = datetime(2026, 7, 29, 23, 59, tzinfo=UTC)
    after = before + timedelta(minutes=2)

    for at in (before, after):
        assert price_call("openai", "gpt-5.6-luna", usage, at) == _reference(
            "openai", "gpt-5.6-luna", usage, at
        )


def test_utc_day_is_used_whatever_the_offset_of_the_timestamp():
    usage = UsageTokens(10_000, 2000)
    # 2026-07-30 01:00 at UTC+05:00 is still 2026-07-29 in UTC: the old price.
    local = datetime(2026, 7, 30, 1, 0, tzinfo=timezone(timedelta(hours=5)))
    at = local.astimezone(UTC)

    assert price_call("openai", "gpt-5.6-luna", usage, local) == _reference(
        "openai", "gpt-5.6-luna", usage, at
    )


def test_cache_larger_than_input_is_left_to_genai_prices():
    usage = UsageTokens(100, 10, 500, 0)

    assert _answer("anthropic", "claude-haiku-4-5", usage, AT) == _reference_answer(
        "anthropic", "claude-haiku-4-5", usage, AT
    )


def test_repeated_calls_give_the_same_price():
    usage = UsageTokens(1234, 567, 89, 10)

    first = price_call("openai", "gpt-4o-mini", usage, AT)

    assert [price_call("openai", "gpt-4o-mini", usage, AT) for _ in range(3)] == [first] * 3
    assert first == _reference("openai", "gpt-4o-mini", usage, AT)
