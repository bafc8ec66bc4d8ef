"""Usage normalization and cost.  Pure.

:func:`normalize_usage` turns the provider-convention numbers a usage rule produced into
:class:`~specwire.types.Usage` (DESIGN.md section 3): ``input_tokens`` includes cached tokens
(the spec's ``usage.input_includes_cache: false`` adds cache reads and writes, as Anthropic and
Bedrock report them apart), ``reasoning_tokens`` is a subset of ``output_tokens``
(``output_includes_reasoning: false`` adds them, as Gemini reports thoughts apart), and
``total_tokens`` is the provider's total, else input + output.  Unreported numbers stay ``None``.

:func:`compute_cost` prices a usage with a catalog entry: uncached input, cache reads, cache writes
and output, each at its price in USD per million tokens, choosing the highest price tier whose
threshold the input exceeds.  It never guesses: an unknown model, price or usage gives ``None`` and
the reason.
"""

from __future__ import annotations

from typing import Any

from .spec.compile import ModelInfo, Pricing, UsageConfig
from .types import Cost, Usage

__all__ = ["compute_cost", "normalize_usage"]

_PER_TOKEN = 1e-6


def normalize_usage(numbers: dict[str, Any], raw: dict[str, Any] | None, config: UsageConfig) -> Usage:
    inp = numbers.get("input_tokens")
    out = numbers.get("output_tokens")
    cache_read = numbers.get("cache_read_tokens")
    cache_write = numbers.get("cache_write_tokens")
    reasoning = numbers.get("reasoning_tokens")
    total = numbers.get("total_tokens")
    if not config.input_includes_cache and inp is not None:
        inp += (cache_read or 0) + (cache_write or 0)
    if not config.output_includes_reasoning and reasoning is not None:
        out = (out or 0) + reasoning
    if total is None and inp is not None and out is not None:
        total = inp + out
    return Usage(
        input_tokens=inp,
        output_tokens=out,
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        reasoning_tokens=reasoning,
        total_tokens=total,
        raw=raw,
    )


def _tier(pricing: Pricing, input_tokens: int) -> Pricing:
    for threshold, tier in pricing.tiers:  # highest threshold first
        if input_tokens > threshold:
            return Pricing(
                input=tier.input if tier.input is not None else pricing.input,
                output=tier.output if tier.output is not None else pricing.output,
                cache_read=tier.cache_read if tier.cache_read is not None else pricing.cache_read,
                cache_write=tier.cache_write if tier.cache_write is not None else pricing.cache_write,
            )
    return pricing


def compute_cost(usage: Usage | None, model: ModelInfo | None, model_id: str) -> tuple[Cost | None, str | None]:
    """``(cost, None)``, or ``(None, reason)`` when the cost cannot be known."""
    if usage is None:
        return None, "the provider reported no usage"
    if model is None:
        return None, f"model {model_id!r} is not in the provider's catalog"
    if model.pricing is None:
        return None, f"the catalog has no prices for {model.id!r}"
    if usage.input_tokens is None or usage.output_tokens is None:
        return None, "the provider did not report input and output token counts"
    p = _tier(model.pricing, usage.input_tokens)
    cache_read = usage.cache_read_tokens or 0
    cache_write = usage.cache_write_tokens or 0
    missing = [
        name
        for name, needed, price in (
            ("input", True, p.input),
            ("output", True, p.output),
            ("cache read", cache_read > 0, p.cache_read),
            ("cache write", cache_write > 0, p.cache_write),
        )
        if needed and price is None
    ]
    if missing:
        return None, f"the catalog has no {' / '.join(missing)} price for {model.id!r}"
    uncached = max(usage.input_tokens - cache_read - cache_write, 0)
    c_in = uncached * (p.input or 0.0) * _PER_TOKEN
    c_out = usage.output_tokens * (p.output or 0.0) * _PER_TOKEN
    c_read = cache_read * (p.cache_read or 0.0) * _PER_TOKEN
    c_write = cache_write * (p.cache_write or 0.0) * _PER_TOKEN
    return Cost(input=c_in, output=c_out, cache_read=c_read, cache_write=c_write, total=c_in + c_out + c_read + c_write), None
