"""Price lines: tokens times unit price = cost per kind of token, adding up to what
``finops.pricing.price_call`` charged (the stored cost of a call)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from finops.price_lines import price_lines
from finops.pricing import SOURCE, UsageTokens, price_call

AT = datetime(2026, 11, 1, 12, tzinfo=UTC)
CASES = [
    ("openai", "gpt-4o-mini", UsageTokens(1200, 300, 1000, 0)),
    ("openai", "gpt-4o", UsageTokens(5000, 10, 0, 0)),
    ("anthropic", "claude-haiku-4-5", UsageTokens(1300, 300, 1000, 200)),
    ("anthropic", "claude-haiku-4-5", UsageTokens(1300, 300, 1000, 200, 50)),
    ("anthropic", "claude-sonnet-4-5", UsageTokens(250_000, 1000, 100_000, 20_000)),
    ("google", "gemini-2.5-pro", UsageTokens(300_000, 5000, 0, 0)),
    ("openai", "text-embedding-3-small", UsageTokens(42, 0, 0, 0)),
]


@pytest.mark.parametrize(("provider", "model", "usage"), CASES)
def test_lines_add_up_to_the_charged_cost(provider, model, usage):
    lines = price_lines(provider, model, usage, AT)

    assert lines.total_usd == price_call(provider, model, usage, AT).cost_usd
    assert sum(line.cost_usd for line in lines.lines) == lines.total_usd
    assert lines.source == SOURCE


def test_gpt_4o_mini_lines_are_tokens_times_unit_price():
    lines = price_lines("openai", "gpt-4o-mini", UsageTokens(1200, 300, 1000, 0), AT, 120)

    assert [(x.label, x.quantity, x.unit_usd, x.cost_usd, x.included) for x in lines.lines] == [
        ("Input (uncached)", 200, Decimal("0.15"), Decimal("0.00003"), False),
        ("Cached input (cache read)", 1000, Decimal("0.075"), Decimal("0.000075"), False),
        ("Output", 300, Decimal("0.6"), Decimal("0.00018"), False),
        ("of which reasoning (billed as output)", 120, Decimal("0.6"), Decimal("0.000072"), True),
    ]
    assert lines.total_usd == Decimal("0.000285")
    assert lines.lines[0].unit_label == "per 1M tokens"


def test_anthropic_cache_writes_get_their_own_lines():
    lines = price_lines("anthropic", "claude-haiku-4-5", UsageTokens(1300, 300, 1000, 200, 50), AT)

    by_label = {x.label: (x.quantity, x.unit_usd) for x in lines.lines}
    assert by_label["Cache write"] == (150, Decimal("1.25"))
    assert by_label["Cache write (1 hour)"] == (50, Decimal("2"))
    assert by_label["Input (uncached)"] == (100, Decimal("1"))


def test_long_prompt_uses_the_upper_tier_price_on_every_line():
    lines = price_lines("anthropic", "claude-sonnet-4-5", UsageTokens(250_000, 1000, 0, 0), AT)

    assert [(x.key, x.unit_usd) for x in lines.lines] == [
        ("input_tokens", Decimal("6")),
        ("output_tokens", Decimal("22.5")),
    ]


@pytest.mark.parametrize(
    ("provider", "model", "usage", "reason"),
    [
        ("openai", "gpt-4o", None, "no usage reported"),
        ("openai", "", UsageTokens(1, 1), "no model name"),
        ("openai", "my-finetune-xyz", UsageTokens(1, 1), "no price for model 'my-finetune-xyz'"),
        ("acme-llm", "gpt-4o", UsageTokens(1, 1), "no prices for provider 'acme-llm'"),
    ],
)
def test_unpriceable_call_has_no_lines_and_a_reason(provider, model, usage, reason):
    lines = price_lines(provider, model, usage, AT)

    assert (lines.lines, lines.total_usd, lines.reason) == ((), Decimal(0), reason)
