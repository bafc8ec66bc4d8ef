"""Unit tests for :mod:`specwire.accounting`: usage normalization and cost.

What this protects: the unified usage convention of docs/ARCHITECTURE.md section 3 (``input_tokens`` includes
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


# --------------------------------------------------------------------------- every priced kind (issue 10)
def test_long_retention_cache_writes_are_priced_apart() -> None:
    """Anthropic 1-hour / OpenAI 12-hour writes: ``cache_write_long_tokens`` is a subset of
    ``cache_write_tokens`` priced at ``cache_write_long``; the rest at ``cache_write``."""
    spec = catalog(input=10.0, output=50.0, cache_read=1.0, cache_write=12.5, cache_write_long=20.0)
    usage = Usage(input_tokens=10_000, output_tokens=100, cache_read_tokens=1_000, cache_write_tokens=3_000, cache_write_long_tokens=1_000)
    cost, reason = compute_cost(usage, spec.model_info("priced"), "priced")
    assert reason is None and cost is not None
    assert_usd(cost.cache_write, usd(2_000, "12.5") + usd(1_000, "20.0"))
    assert_usd(cost.input, usd(6_000, "10.0"))
    assert_usd(cost.total, usd(6_000, "10.0") + usd(100, "50.0") + usd(1_000, "1.0") + usd(2_000, "12.5") + usd(1_000, "20.0"))


def test_long_retention_writes_without_their_price_give_none() -> None:
    spec = catalog(input=10.0, output=50.0, cache_write=12.5)
    usage = Usage(input_tokens=10_000, output_tokens=1, cache_write_tokens=3_000, cache_write_long_tokens=1)
    cost, reason = compute_cost(usage, spec.model_info("priced"), "priced")
    assert cost is None and reason and "long-retention cache write" in reason


def test_audio_image_and_reasoning_prices_apply_only_when_the_catalog_has_them() -> None:
    usage = Usage(input_tokens=1_000, output_tokens=500, reasoning_tokens=200, input_audio_tokens=100, input_image_tokens=50, output_audio_tokens=40, output_image_tokens=30)
    plain, _ = compute_cost(usage, catalog(input=1.0, output=2.0).model_info("priced"), "priced")
    assert plain is not None
    assert_usd(plain.input, usd(1_000, "1.0"))
    assert_usd(plain.output, usd(500, "2.0"))
    assert (plain.audio, plain.image, plain.reasoning) == (0.0, 0.0, 0.0)
    spec = catalog(input=1.0, output=2.0, input_audio=4.0, output_audio=8.0, input_image=3.0, output_image=30.0, reasoning=5.0)
    cost, reason = compute_cost(usage, spec.model_info("priced"), "priced")
    assert reason is None and cost is not None
    assert_usd(cost.input, usd(850, "1.0"))
    assert_usd(cost.output, usd(230, "2.0"))
    assert_usd(cost.reasoning, usd(200, "5.0"))
    assert_usd(cost.audio, usd(100, "4.0") + usd(40, "8.0"))
    assert_usd(cost.image, usd(50, "3.0") + usd(30, "30.0"))
    assert_usd(cost.total, usd(850, "1.0") + usd(230, "2.0") + usd(200, "5.0") + usd(100, "4.0") + usd(40, "8.0") + usd(50, "3.0") + usd(30, "30.0"))


def test_a_price_written_as_null_is_unknown_not_free() -> None:
    spec = catalog(input=1.0, output=2.0, input_audio=None)
    cost, reason = compute_cost(Usage(input_tokens=100, output_tokens=1, input_audio_tokens=5), spec.model_info("priced"), "priced")
    assert cost is None and reason and "input audio" in reason
    cost, reason = compute_cost(Usage(input_tokens=100, output_tokens=1, input_audio_tokens=0), spec.model_info("priced"), "priced")
    assert reason is None and cost is not None


def test_citations_searches_and_request_fees() -> None:
    """Perplexity: citation tokens and searches come on top of the tokens; one request fee, the
    first ``request_fees`` entry whose ``when`` holds over the usage object, else ``per_request``."""
    spec = catalog(
        input=2.0, output=8.0, citation=2.0, per_1k_searches=5.0, per_request=0.001,
        request_fees=[{"when": "usage.search_context_size == 'high'", "usd": 0.012}, {"when": "usage.search_context_size == 'medium'", "usd": 0.008}],
    )
    model = spec.model_info("priced")
    base = dict(input_tokens=1_000, output_tokens=100, citation_tokens=300, search_requests=3)
    for size, fee in (("high", "0.012"), ("medium", "0.008"), ("low", "0.001"), (None, "0.001")):
        cost, reason = compute_cost(Usage(**base, raw={"search_context_size": size}), model, "priced")
        assert reason is None and cost is not None
        assert_usd(cost.requests, Decimal(fee))
        assert_usd(cost.citation, usd(300, "2.0"))
        assert_usd(cost.searches, Decimal(3) * Decimal("5.0") / 1000)
        assert_usd(cost.total, usd(1_000, "2.0") + usd(100, "8.0") + usd(300, "2.0") + Decimal(3) * Decimal("5.0") / 1000 + Decimal(fee))


@pytest.mark.parametrize(("field", "word"), [("citation_tokens", "citation"), ("search_requests", "per-search")])
def test_citations_or_searches_without_a_price_give_none(field: str, word: str) -> None:
    spec = catalog(input=1.0, output=1.0)
    cost, reason = compute_cost(Usage(input_tokens=1, output_tokens=1, **{field: 2}), spec.model_info("priced"), "priced")
    assert cost is None and reason and word in reason


def test_multipliers_follow_the_settings_and_scale_every_part() -> None:
    """Vertex regional endpoints: 1.1x when the location setting is not ``global``."""
    regional = [{"when": "settings.location && settings.location != 'global'", "factor": 1.1}]
    spec = catalog(input=2.0, output=10.0, per_request=0.01, multipliers=regional)
    usage = Usage(input_tokens=1_000_000, output_tokens=100_000)
    for settings, factor in (({"location": "global"}, "1"), ({"location": "us-east5"}, "1.1"), ({}, "1"), (None, "1")):
        cost, reason = compute_cost(usage, spec.model_info("priced"), "priced", settings=settings)
        assert reason is None and cost is not None
        assert cost.factor == float(factor)
        assert_usd(cost.input, Decimal("2.0") * Decimal(factor))
        assert_usd(cost.requests, Decimal("0.01") * Decimal(factor))
        assert_usd(cost.total, (Decimal("2.0") + Decimal("1.0") + Decimal("0.01")) * Decimal(factor))


OFF_PEAK = "time.weekday >= `5` || !((time.minute_of_day >= `60` && time.minute_of_day < `240`) || (time.minute_of_day >= `360` && time.minute_of_day < `600`))"


@pytest.mark.parametrize(
    ("at", "factor"),
    [
        ("2026-12-07T00:59:00", 0.5),  # Monday, one minute before the 01:00 peak
        ("2026-12-07T01:00:00", 1.0),  # the peak starts
        ("2026-12-07T03:59:00", 1.0),
        ("2026-12-07T04:00:00", 0.5),  # the peak ends
        ("2026-12-07T06:00:00", 1.0),
        ("2026-12-07T10:00:00", 0.5),
        ("2026-12-06T02:00:00", 0.5),  # Sunday: off-peak all day
    ],
)
def test_time_of_day_multipliers_use_the_request_time_in_utc(at: str, factor: float) -> None:
    """DeepSeek: peak rates 01:00-04:00 and 06:00-10:00 UTC on weekdays, half otherwise."""
    from datetime import datetime, timezone

    spec = catalog(input=1.0, output=1.0, multipliers=[{"when": OFF_PEAK, "factor": 0.5}])
    when = datetime.fromisoformat(at).replace(tzinfo=timezone.utc)
    cost, _ = compute_cost(Usage(input_tokens=1_000_000, output_tokens=0), spec.model_info("priced"), "priced", at=when)
    assert cost is not None and cost.factor == factor and cost.total == pytest.approx(factor)


def test_a_tier_replaces_the_prices_it_gives_and_keeps_the_others() -> None:
    spec = catalog(input=1.0, output=2.0, cache_write=1.25, cache_write_long=2.0, per_1k_searches=10.0,
                   tiers=[{"above_input_tokens": 100, "input": 2.0, "cache_write_long": 4.0}])
    usage = Usage(input_tokens=1_000, output_tokens=10, cache_write_tokens=100, cache_write_long_tokens=100, search_requests=1)
    cost, reason = compute_cost(usage, spec.model_info("priced"), "priced")
    assert reason is None and cost is not None
    assert_usd(cost.cache_write, usd(100, "4.0"))
    assert_usd(cost.input, usd(900, "2.0"))
    assert_usd(cost.output, usd(10, "2.0"))
    assert_usd(cost.searches, Decimal("0.01"))


def test_normalize_passes_the_finer_counts_through() -> None:
    numbers = {"input_tokens": 10, "output_tokens": 5, "cache_write_tokens": 4, "cache_write_long_tokens": 3, "input_audio_tokens": 2, "citation_tokens": 7, "search_requests": 1}
    u = normalize_usage(numbers, None, ANTHROPIC_STYLE)
    assert (u.input_tokens, u.cache_write_long_tokens, u.input_audio_tokens, u.citation_tokens, u.search_requests) == (14, 3, 2, 7, 1)
    assert u.output_audio_tokens is None and u.input_image_tokens is None


# --------------------------------------------------------------------------- edges the mutation run found (tools/mutation)
def test_pricing_context_is_the_documented_data_in_utc() -> None:
    from datetime import datetime, timedelta, timezone

    from specwire.accounting import pricing_context

    model = catalog(input=1.0, output=1.0).model_info("priced")
    at = datetime(2026, 12, 8, 3, 17, tzinfo=timezone(timedelta(hours=2)))  # Tuesday 01:17 UTC
    usage = Usage(input_tokens=1, output_tokens=1, raw={"geo": "us"})
    assert pricing_context(usage, model, {"location": "eu"}, at) == {
        "settings": {"location": "eu"},
        "usage": {"geo": "us"},
        "model": "priced",
        "time": {"weekday": 1, "hour": 1, "minute": 17, "minute_of_day": 77},
    }
    assert pricing_context(Usage(), model, None, at)["settings"] == {} and pricing_context(Usage(), model, None, at)["usage"] == {}


def test_a_when_sees_the_model_and_the_time_fields() -> None:
    from datetime import datetime, timezone

    rules = [{"when": "model == 'priced'", "factor": 2.0}, {"when": "time.hour == `1` && time.minute == `17` && time.minute_of_day == `77`", "factor": 3.0}]
    spec = catalog(input=1.0, output=1.0, multipliers=rules)
    usage = Usage(input_tokens=1_000_000, output_tokens=0)
    cost, _ = compute_cost(usage, spec.model_info("priced"), "priced", at=datetime(2026, 12, 8, 1, 17, tzinfo=timezone.utc))
    assert cost is not None and cost.factor == 6.0 and cost.total == pytest.approx(6.0)  # every multiplier that holds applies
    cost, _ = compute_cost(usage, spec.model_info("priced"), "priced", at=datetime(2026, 12, 8, 1, 18, tzinfo=timezone.utc))
    assert cost is not None and cost.factor == 2.0


def test_a_request_fee_without_when_always_applies() -> None:
    spec = catalog(input=1.0, output=1.0, per_request=0.001, request_fees=[{"usd": 0.5}])
    cost, _ = compute_cost(Usage(input_tokens=1, output_tokens=1), spec.model_info("priced"), "priced")
    assert cost is not None and cost.requests == 0.5


def test_a_when_that_fails_to_evaluate_does_not_hold() -> None:
    # abs() of a string is a JMESPath invalid-type error at evaluation time
    spec = catalog(input=1.0, output=1.0, per_request=0.001, request_fees=[{"when": "abs(settings.location) > `0`", "usd": 0.5}],
                   multipliers=[{"when": "abs(settings.location) > `0`", "factor": 2.0}])
    cost, reason = compute_cost(Usage(input_tokens=1, output_tokens=1), spec.model_info("priced"), "priced", settings={"location": "eu"})
    assert reason is None and cost is not None
    assert (cost.requests, cost.factor) == (0.001, 1.0)


def test_a_tier_keeps_the_base_fees_and_multipliers_unless_it_gives_its_own() -> None:
    fees = [{"when": "model == 'priced'", "usd": 0.25}]
    double = [{"when": "model == 'priced'", "factor": 2.0}]
    plain = catalog(input=1.0, output=1.0, request_fees=fees, multipliers=double, tiers=[{"above_input_tokens": 10, "input": 2.0}])
    cost, _ = compute_cost(Usage(input_tokens=100, output_tokens=0), plain.model_info("priced"), "priced")
    assert cost is not None and (cost.requests, cost.factor) == (0.5, 2.0)  # 0.25 fee, doubled
    own = catalog(input=1.0, output=1.0, request_fees=fees, multipliers=double,
                  tiers=[{"above_input_tokens": 10, "input": 2.0, "request_fees": [{"usd": 0.75}], "multipliers": [{"when": "model == 'priced'", "factor": 3.0}]}])
    cost, _ = compute_cost(Usage(input_tokens=100, output_tokens=0), own.model_info("priced"), "priced")
    assert cost is not None and (cost.requests, cost.factor) == (2.25, 3.0)


def test_fully_cached_input_and_fully_apart_output_cost_nothing_at_the_base_price() -> None:
    spec = catalog(input=1.0, output=2.0, cache_read=0.5, reasoning=4.0)
    cost, reason = compute_cost(Usage(input_tokens=1_000, output_tokens=300, cache_read_tokens=1_000, reasoning_tokens=300), spec.model_info("priced"), "priced")
    assert reason is None and cost is not None
    assert (cost.input, cost.output) == (0.0, 0.0)
    assert_usd(cost.total, usd(1_000, "0.5") + usd(300, "4.0"))


def test_a_price_of_zero_is_free() -> None:
    spec = catalog(input=0.0, output=0.0, per_1k_searches=0.0)
    cost, reason = compute_cost(Usage(input_tokens=1_000, output_tokens=1_000, search_requests=3), spec.model_info("priced"), "priced")
    assert reason is None and cost is not None and cost.total == 0.0


def test_input_and_output_prices_are_needed_even_for_zero_tokens() -> None:
    """Without an input or output price a model is not priced, whatever the call used."""
    cost, reason = compute_cost(Usage(input_tokens=100, output_tokens=0, cache_read_tokens=100), catalog(output=1.0, cache_read=0.1).model_info("priced"), "priced")
    assert cost is None and reason == "the catalog has no input price for 'priced'"
    cost, reason = compute_cost(Usage(input_tokens=100, output_tokens=0), catalog(input=1.0).model_info("priced"), "priced")
    assert cost is None and reason == "the catalog has no output price for 'priced'"


def test_one_search_without_a_search_price_gives_none() -> None:
    cost, reason = compute_cost(Usage(input_tokens=1, output_tokens=1, search_requests=1), catalog(input=1.0, output=1.0).model_info("priced"), "priced")
    assert cost is None and reason == "the catalog has no per-search price for 'priced'"


def test_the_reason_names_every_missing_price_in_one_sentence() -> None:
    usage = Usage(input_tokens=100, output_tokens=1, cache_read_tokens=10, cache_write_tokens=5, cache_write_long_tokens=5, citation_tokens=3, search_requests=1)
    cost, reason = compute_cost(usage, catalog(input=1.0, output=1.0).model_info("priced"), "priced")
    assert cost is None
    assert reason == "the catalog has no cache read / long-retention cache write / citation token / per-search price for 'priced'"


@pytest.mark.parametrize(
    ("usage", "model_id", "reason"),
    [
        (None, "priced", "the provider reported no usage"),
        (Usage(input_tokens=1, output_tokens=1), "gpt-nope", "model 'gpt-nope' is not in the provider's catalog"),
        (Usage(input_tokens=1, output_tokens=1), "unpriced", "the catalog has no prices for 'unpriced'"),
        (Usage(input_tokens=1), "priced", "the provider did not report input and output token counts"),
    ],
)
def test_each_reason_for_no_cost(usage: Usage | None, model_id: str, reason: str) -> None:
    spec = catalog(input=1.0, output=2.0)
    assert compute_cost(usage, spec.model_info(model_id), model_id) == (None, reason)
