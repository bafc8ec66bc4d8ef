"""Unit tests for :mod:`specwire.accounting`: usage normalization and cost.

What this protects: the unified usage convention of DESIGN.md section 3 (``input_tokens`` includes
cached tokens, ``reasoning_tokens`` is a subset of ``output_tokens``, an unreported number stays
``None`` and is never 0, ``total_tokens`` computed only when the provider did not report one) and
the cost rule "an unknown price gives ``cost=None`` with a reason, never a guess", with tiered
prices chosen by input size and exact USD arithmetic.

Why unit tests and not replay tests: each recorded fixture pins one provider's convention with
one set of numbers; the conversions between conventions, the ``None`` propagation, tier
boundaries and catalog gaps (a missing cache price, an unknown model) need chosen numbers and
hand-made catalogs.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from specwire.accounting import compute_cost, normalize_usage
from specwire.spec.compile import UsageConfig, compile_spec
from specwire.types import Usage

OPENAI_STYLE = UsageConfig(fields=(), input_includes_cache=True, output_includes_reasoning=True)
ANTHROPIC_STYLE = UsageConfig(fields=(), input_includes_cache=False, output_includes_reasoning=True)
GEMINI_STYLE = UsageConfig(fields=(), input_includes_cache=True, output_includes_reasoning=False)


# --------------------------------------------------------------------------- normalize_usage
def test_input_includes_cache_true_keeps_numbers() -> None:
    u = normalize_usage({"input_tokens": 1000, "output_tokens": 50, "cache_read_tokens": 800}, {"prompt_tokens": 1000}, OPENAI_STYLE)
    assert (u.input_tokens, u.output_tokens, u.cache_read_tokens, u.cache_write_tokens, u.total_tokens) == (1000, 50, 800, None, 1050)
    assert u.raw == {"prompt_tokens": 1000}


def test_input_includes_cache_false_adds_cache_read_and_write() -> None:
    u = normalize_usage({"input_tokens": 10, "output_tokens": 5, "cache_read_tokens": 100, "cache_write_tokens": 20}, None, ANTHROPIC_STYLE)
    assert u.input_tokens == 130
    assert (u.cache_read_tokens, u.cache_write_tokens) == (100, 20)  # still reported as subsets
    assert u.total_tokens == 135


def test_input_includes_cache_false_with_only_one_cache_number() -> None:
    u = normalize_usage({"input_tokens": 10, "cache_write_tokens": 7}, None, ANTHROPIC_STYLE)
    assert u.input_tokens == 17
    assert u.cache_read_tokens is None


def test_output_includes_reasoning_false_adds_reasoning() -> None:
    u = normalize_usage({"input_tokens": 10, "output_tokens": 30, "reasoning_tokens": 200}, None, GEMINI_STYLE)
    assert u.output_tokens == 230
    assert u.reasoning_tokens == 200
    assert u.total_tokens == 240


def test_reasoning_only_output_is_not_lost() -> None:
    # Gemini can report thoughts without candidates tokens
    u = normalize_usage({"input_tokens": 10, "reasoning_tokens": 5}, None, GEMINI_STYLE)
    assert u.output_tokens == 5


def test_reported_total_is_kept_even_if_it_differs() -> None:
    # Gemini's totalTokenCount also counts tool-use prompt tokens; the provider's total wins
    u = normalize_usage({"input_tokens": 10, "output_tokens": 5, "total_tokens": 99}, None, OPENAI_STYLE)
    assert u.total_tokens == 99


@pytest.mark.parametrize("config", [OPENAI_STYLE, ANTHROPIC_STYLE, GEMINI_STYLE])
def test_unreported_numbers_stay_none(config: UsageConfig) -> None:
    u = normalize_usage({"output_tokens": 5}, None, config)
    assert u.input_tokens is None
    assert u.cache_read_tokens is None and u.cache_write_tokens is None and u.reasoning_tokens is None
    assert u.total_tokens is None  # cannot be computed without input
    assert u.output_tokens == 5


def test_nothing_reported_is_all_none() -> None:
    u = normalize_usage({}, None, ANTHROPIC_STYLE)
    assert u == Usage()


def test_cache_numbers_without_input_do_not_invent_input() -> None:
    u = normalize_usage({"cache_read_tokens": 100, "output_tokens": 1}, None, ANTHROPIC_STYLE)
    assert u.input_tokens is None


def test_zero_is_kept_as_zero_not_none() -> None:
    u = normalize_usage({"input_tokens": 0, "output_tokens": 0, "reasoning_tokens": 0}, None, GEMINI_STYLE)
    assert (u.input_tokens, u.output_tokens, u.reasoning_tokens, u.total_tokens) == (0, 0, 0, 0)


# --------------------------------------------------------------------------- compute_cost
def catalog(**pricing: Any) -> Any:
    spec, problems = compile_spec(
        {
            "provider": "demo",
            "models": [
                {"id": "priced", "pricing": pricing},
                {"id": "unpriced"},
            ],
        }
    )
    assert problems == []
    return spec


def usd(tokens: int, price_per_million: str) -> Decimal:
    return Decimal(tokens) * Decimal(price_per_million) / Decimal(1_000_000)


def assert_usd(actual: float, expected: Decimal) -> None:
    assert Decimal(repr(actual)).quantize(Decimal("1e-12")) == expected.quantize(Decimal("1e-12")), (actual, expected)


def test_cost_arithmetic_is_exact_per_component() -> None:
    spec = catalog(input=3.0, output=15.0, cache_read=0.30, cache_write=3.75)
    usage = Usage(input_tokens=123_457, output_tokens=9_876, cache_read_tokens=100_000, cache_write_tokens=3_000)
    cost, reason = compute_cost(usage, spec.model_info("priced"), "priced")
    assert reason is None and cost is not None
    uncached = 123_457 - 100_000 - 3_000
    assert_usd(cost.input, usd(uncached, "3.0"))
    assert_usd(cost.output, usd(9_876, "15.0"))
    assert_usd(cost.cache_read, usd(100_000, "0.30"))
    assert_usd(cost.cache_write, usd(3_000, "3.75"))
    assert_usd(cost.total, usd(uncached, "3.0") + usd(9_876, "15.0") + usd(100_000, "0.30") + usd(3_000, "3.75"))


def test_one_million_tokens_cost_the_listed_price() -> None:
    spec = catalog(input=2.0, output=10.0)
    cost, _ = compute_cost(Usage(input_tokens=1_000_000, output_tokens=1_000_000), spec.model_info("priced"), "priced")
    assert (cost.input, cost.output, cost.total) == (2.0, 10.0, 12.0)


def test_no_cache_tokens_need_no_cache_price() -> None:
    spec = catalog(input=1.0, output=2.0)
    cost, reason = compute_cost(Usage(input_tokens=10, output_tokens=10, cache_read_tokens=0), spec.model_info("priced"), "priced")
    assert reason is None and cost is not None
    assert cost.cache_read == 0.0 and cost.cache_write == 0.0


@pytest.mark.parametrize(
    ("usage", "word"),
    [
        (Usage(input_tokens=100, output_tokens=1, cache_read_tokens=50), "cache read"),
        (Usage(input_tokens=100, output_tokens=1, cache_write_tokens=50), "cache write"),
    ],
)
def test_cached_tokens_without_a_cache_price_give_none_and_a_reason(usage: Usage, word: str) -> None:
    spec = catalog(input=1.0, output=2.0)
    cost, reason = compute_cost(usage, spec.model_info("priced"), "priced")
    assert cost is None
    assert reason and word in reason and "priced" in reason


def test_missing_output_price_gives_none() -> None:
    spec = catalog(input=1.0)
    cost, reason = compute_cost(Usage(input_tokens=1, output_tokens=1), spec.model_info("priced"), "priced")
    assert cost is None and "output" in reason


def test_unknown_model_gives_none_and_a_reason() -> None:
    spec = catalog(input=1.0, output=2.0)
    cost, reason = compute_cost(Usage(input_tokens=1, output_tokens=1), spec.model_info("gpt-nope"), "gpt-nope")
    assert cost is None
    assert reason and "gpt-nope" in reason and "catalog" in reason


def test_model_without_pricing_gives_none_and_a_reason() -> None:
    spec = catalog(input=1.0, output=2.0)
    cost, reason = compute_cost(Usage(input_tokens=1, output_tokens=1), spec.model_info("unpriced"), "unpriced")
    assert cost is None and "unpriced" in reason


@pytest.mark.parametrize("usage", [None, Usage(output_tokens=5), Usage(input_tokens=5)])
def test_unknown_usage_gives_none_and_a_reason(usage: Usage | None) -> None:
    spec = catalog(input=1.0, output=2.0)
    cost, reason = compute_cost(usage, spec.model_info("priced"), "priced")
    assert cost is None and reason


# --------------------------------------------------------------------------- tiers
TIERED = dict(
    input=1.0,
    output=2.0,
    cache_read=0.1,
    cache_write=1.25,
    tiers=[
        {"above_input_tokens": 200_000, "input": 4.0, "output": 8.0},
        {"above_input_tokens": 100_000, "input": 2.0, "output": 4.0, "cache_read": 0.2},
    ],
)


@pytest.mark.parametrize(
    ("input_tokens", "in_price", "out_price", "read_price"),
    [
        (100_000, "1.0", "2.0", "0.1"),  # "above": the threshold itself is the base tier
        (100_001, "2.0", "4.0", "0.2"),
        (200_000, "2.0", "4.0", "0.2"),
        (200_001, "4.0", "8.0", "0.1"),  # tier without cache_read falls back to the base price
    ],
)
def test_tier_chosen_by_input_size(input_tokens: int, in_price: str, out_price: str, read_price: str) -> None:
    spec = catalog(**TIERED)
    usage = Usage(input_tokens=input_tokens, output_tokens=1_000, cache_read_tokens=10_000)
    cost, reason = compute_cost(usage, spec.model_info("priced"), "priced")
    assert reason is None
    assert_usd(cost.input, usd(input_tokens - 10_000, in_price))
    assert_usd(cost.output, usd(1_000, out_price))
    assert_usd(cost.cache_read, usd(10_000, read_price))


def test_tier_threshold_counts_cached_input(registry: Any) -> None:
    """Anthropic Haiku 5.5 bills the higher tier when input + cache reads + cache writes exceed
    100,000 tokens; with ``input_includes_cache: false`` the normalized input must carry them."""
    spec = registry.get("anthropic")
    info = spec.model_info("claude-haiku-5-5")
    assert info is not None and info.pricing is not None and info.pricing.tiers
    usage = normalize_usage({"input_tokens": 1_000, "output_tokens": 1_000, "cache_read_tokens": 99_500}, None, spec.usage)
    assert usage.input_tokens == 100_500
    cost, reason = compute_cost(usage, info, "claude-haiku-5-5")
    assert reason is None
    threshold, tier = info.pricing.tiers[0]
    assert usage.input_tokens > threshold
    assert cost.output == pytest.approx(1_000 * tier.output / 1e6, rel=1e-12)
    assert cost.cache_read == pytest.approx(99_500 * tier.cache_read / 1e6, rel=1e-12)
