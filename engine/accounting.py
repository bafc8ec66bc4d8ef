"""Usage normalization and cost.  Pure.

:func:`normalize_usage` turns the provider-convention numbers a usage rule produced into
:class:`~specwire.types.Usage` (docs/ARCHITECTURE.md section 3): ``input_tokens`` includes cached tokens
(the spec's ``usage.input_includes_cache: false`` adds cache reads and writes, as Anthropic and
Bedrock report them apart), ``reasoning_tokens`` is a subset of ``output_tokens``
(``output_includes_reasoning: false`` adds them, as Gemini reports thoughts apart), and
``total_tokens`` is the provider's total, else input + output.  Unreported numbers stay ``None``.
The finer counts (audio, image, long-retention cache writes, citations, searches) pass through.

:func:`compute_cost` prices a usage with a catalog entry (prices in USD per million tokens),
choosing the highest price tier whose threshold the input exceeds:

* uncached input at ``input``, cache reads at ``cache_read``, cache writes at ``cache_write``, the
  long-retention part of them at ``cache_write_long``;
* output at ``output``; reasoning tokens at ``reasoning`` when the entry has that key (else they
  are output);
* input/output audio and image tokens at ``input_audio``/``output_audio``/``input_image``/
  ``output_image`` when the entry has the key (else they are input/output);
* citation tokens at ``citation``; searches at ``per_1k_searches`` USD per thousand; one request
  fee, the first ``request_fees`` entry whose ``when`` holds, else ``per_request``;
* every part times each ``multipliers`` factor whose ``when`` holds.

A key the entry writes as ``null`` is an unknown price.  It never guesses: an unknown model, an
unknown price for a count the usage reports, or no input/output counts give ``None`` and the
reason.

The ``when`` conditions are JMESPath over the pricing context: ``{"settings": <the call's
provider settings>, "usage": <the provider's usage object>, "model": <catalog id>, "time":
{"weekday": 0-6 (Monday 0), "hour", "minute", "minute_of_day"}}``, time in UTC at the request.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any

from .jpath import EVALUATION_ERRORS
from .mapping import truthy
from .spec.compile import ModelInfo, PriceRule, Pricing, UsageConfig
from .types import Cost, Usage

__all__ = ["USAGE_NUMBERS", "compute_cost", "normalize_usage", "pricing_context"]

_PER_TOKEN = 1e-6
_LABELS = {"cache_write_long": "long-retention cache write", "citation": "citation token"}
#: The numeric attributes of :class:`Usage`, the names a spec's ``usage.fields`` map to.
USAGE_NUMBERS = tuple(name for name in Usage.model_fields if name != "raw")


def normalize_usage(numbers: dict[str, Any], raw: dict[str, Any] | None, config: UsageConfig) -> Usage:
    """Provider-convention numbers (``usage.fields`` names → int or ``None``) → :class:`Usage`."""
    values = {name: numbers.get(name) for name in USAGE_NUMBERS}
    inp, out = values["input_tokens"], values["output_tokens"]
    reasoning = values["reasoning_tokens"]
    if not config.input_includes_cache and inp is not None:
        inp += (values["cache_read_tokens"] or 0) + (values["cache_write_tokens"] or 0)
    if not config.output_includes_reasoning and reasoning is not None:
        out = (out or 0) + reasoning
    total = values["total_tokens"]
    if total is None and inp is not None and out is not None:
        total = inp + out
    values.update(input_tokens=inp, output_tokens=out, total_tokens=total)
    return Usage(**values, raw=raw)


def _tier(pricing: Pricing, input_tokens: int) -> Pricing:
    """The entry's prices with the highest tier whose threshold ``input_tokens`` exceeds laid over."""
    for threshold, tier in pricing.tiers:  # highest threshold first
        if input_tokens > threshold:
            base = {k: getattr(tier, k) for k in ("input", "output", "cache_read", "cache_write", "per_request", "per_1k_searches") if getattr(tier, k) is not None}
            return replace(
                pricing,
                **base,
                extra=MappingProxyType({**pricing.extra, **{k: v for k, v in tier.extra.items() if v is not None}}),
                request_fees=tier.request_fees or pricing.request_fees,
                multipliers=tier.multipliers or pricing.multipliers,
            )
    return pricing


def pricing_context(usage: Usage, model: ModelInfo, settings: dict[str, Any] | None, at: datetime | None) -> dict[str, Any]:
    """The data a pricing ``when`` sees (module docstring); ``at`` defaults to now."""
    t = (at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return {
        "settings": dict(settings or {}),
        "usage": usage.raw or {},
        "model": model.id,
        "time": {"weekday": t.weekday(), "hour": t.hour, "minute": t.minute, "minute_of_day": t.hour * 60 + t.minute},
    }


def _holds(rule: PriceRule, context: dict[str, Any]) -> bool:
    if rule.when is None:
        return True
    try:
        return truthy(rule.when.fn(context))
    except EVALUATION_ERRORS:
        return False


def compute_cost(
    usage: Usage | None,
    model: ModelInfo | None,
    model_id: str,
    *,
    settings: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> tuple[Cost | None, str | None]:
    """``(cost, None)``, or ``(None, reason)`` when the cost cannot be known.  ``settings`` are the
    call's provider settings and ``at`` the request time (default now), for the catalog's
    conditional fees and multipliers."""
    if usage is None:
        return None, "the provider reported no usage"
    if model is None:
        return None, f"model {model_id!r} is not in the provider's catalog"
    if model.pricing is None:
        return None, f"the catalog has no prices for {model.id!r}"
    if usage.input_tokens is None or usage.output_tokens is None:
        return None, "the provider did not report input and output token counts"
    p = _tier(model.pricing, usage.input_tokens)
    n = {name: getattr(usage, name) or 0 for name in USAGE_NUMBERS}
    writes = max(n["cache_write_tokens"], n["cache_write_long_tokens"])  # the long ones are a subset
    long_writes = n["cache_write_long_tokens"]
    cache_write = writes - long_writes
    # (price key, label, tokens, whether the key is needed): a key the entry leaves out prices its
    # tokens with the enclosing count (audio input as input…); citations and long writes have none.
    apart = {k: k in p.extra for k in ("input_audio", "output_audio", "input_image", "output_image", "reasoning")}
    counted = {
        "input_audio": n["input_audio_tokens"] if apart["input_audio"] else 0,
        "input_image": n["input_image_tokens"] if apart["input_image"] else 0,
        "output_audio": n["output_audio_tokens"] if apart["output_audio"] else 0,
        "output_image": n["output_image_tokens"] if apart["output_image"] else 0,
        "reasoning": n["reasoning_tokens"] if apart["reasoning"] else 0,
        "cache_write_long": long_writes,
        "citation": n["citation_tokens"],
    }
    uncached = max(usage.input_tokens - n["cache_read_tokens"] - writes - counted["input_audio"] - counted["input_image"], 0)
    output = max(usage.output_tokens - counted["reasoning"] - counted["output_audio"] - counted["output_image"], 0)
    prices: dict[str, float | None] = {"input": p.input, "output": p.output, "cache_read": p.cache_read, "cache_write": p.cache_write, **p.extra}
    tokens = {"input": uncached, "output": output, "cache_read": n["cache_read_tokens"], "cache_write": cache_write, **counted}
    missing = [
        _LABELS.get(name, name.replace("_", " "))
        for name, count in tokens.items()
        if (name in ("input", "output") or count > 0) and prices.get(name) is None
    ]
    if n["search_requests"] > 0 and p.per_1k_searches is None:
        missing.append("per-search")
    if missing:
        return None, f"the catalog has no {' / '.join(missing)} price for {model.id!r}"
    usd = {name: count * (prices.get(name) or 0.0) * _PER_TOKEN for name, count in tokens.items()}
    context = pricing_context(usage, model, settings, at) if p.request_fees or p.multipliers else {}
    fee = next((r.value for r in p.request_fees if _holds(r, context)), p.per_request or 0.0)
    factor = 1.0
    for rule in p.multipliers:
        if _holds(rule, context):
            factor *= rule.value
    parts = {
        "input": usd["input"],
        "output": usd["output"],
        "cache_read": usd["cache_read"],
        "cache_write": usd["cache_write"] + usd["cache_write_long"],
        "reasoning": usd["reasoning"],
        "audio": usd["input_audio"] + usd["output_audio"],
        "image": usd["input_image"] + usd["output_image"],
        "citation": usd["citation"],
        "requests": fee,
        "searches": n["search_requests"] * (p.per_1k_searches or 0.0) / 1000,
    }
    parts = {k: v * factor for k, v in parts.items()}
    return Cost(**parts, total=sum(parts.values()), factor=factor), None
