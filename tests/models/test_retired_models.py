"""Retired and deprecated models users still call (issue 12): the hand-written "retired and deprecated
models" blocks of providers.d/anthropic.yaml, gemini.yaml, xai.yaml, cohere.yaml and groq.yaml.

What this protects: each id (and the ``-latest``/dated aliases users write) resolves by its bare
name to its vendor's own API (docs/ARCHITECTURE.md section 4, ``bare_names``); its entry has a
context window and prices (limits and prices from LiteLLM v1.72.0's dataset, which still had
them), so a call gets a cost; calling it adds a ``deprecated-model`` warning and sends it as
given; ``Client(follow_deprecated=True)`` sends the replacement instead, and that replacement is a
current id of the same spec (no ``unknown-model``, no ``deprecated-model`` of its own).  Requests
are built with ``Client.build`` (no I/O).  One registry and two Clients serve the whole module
(loading every spec takes over a second).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
import specwire
from specwire.accounting import compute_cost
from specwire.registry import SpecRegistry
from specwire.types import Usage

KEYS = {p: "test-key" for p in ("anthropic", "gemini", "xai", "cohere", "groq")}

#: (id a user writes, provider it must resolve to, replacement sent with follow_deprecated or
#: ``None`` where the catalog has no model to replace it)
RETIRED: list[tuple[str, str, str | None]] = [
    # Anthropic (https://docs.claude.com/en/docs/about-claude/model-deprecations)
    ("claude-3-haiku-20240307", "anthropic", "claude-haiku-4-5"),
    ("claude-3-opus-20240229", "anthropic", "claude-opus-5-5"),
    ("claude-3-opus-latest", "anthropic", "claude-opus-5-5"),
    ("claude-3-5-sonnet-20240620", "anthropic", "claude-sonnet-4-6"),
    ("claude-3-5-sonnet-20241022", "anthropic", "claude-sonnet-4-6"),
    ("claude-3-5-sonnet-latest", "anthropic", "claude-sonnet-4-6"),
    ("claude-3-5-haiku-20241022", "anthropic", "claude-haiku-4-5"),
    ("claude-3-5-haiku-latest", "anthropic", "claude-haiku-4-5"),
    ("claude-3-7-sonnet-20250219", "anthropic", "claude-sonnet-4-6"),
    ("claude-3-7-sonnet-latest", "anthropic", "claude-sonnet-4-6"),
    # Google Gemini API (https://ai.google.dev/gemini-api/docs/deprecations)
    ("gemini-1.5-pro", "gemini", "gemini-3.8-flash"),
    ("gemini-1.5-flash", "gemini", "gemini-3.5-flash-lite"),
    ("gemini-1.5-flash-8b", "gemini", "gemini-2.5-flash-lite"),
    ("gemini-2.0-flash", "gemini", "gemini-3.5-flash-lite"),
    ("gemini-2.0-flash-lite", "gemini", "gemini-2.5-flash-lite"),
    # xAI (https://docs.x.ai/developers/migration/may-15-retirement)
    ("grok-2", "xai", "grok-4.3"),
    ("grok-2-vision", "xai", "grok-4.3"),
    ("grok-3", "xai", "grok-4.3"),
    ("grok-3-mini", "xai", "grok-4.3"),
    # Cohere (https://docs.cohere.com/docs/deprecations)
    ("command-r", "cohere", "command-r-08-2024"),
    ("command-r-plus", "cohere", "command-r-plus-08-2024"),
    # Groq (https://console.groq.com/docs/deprecations)
    ("llama-3.1-8b-instant", "groq", "openai/gpt-oss-20b"),
    ("llama-3.3-70b-versatile", "groq", "openai/gpt-oss-120b"),
    ("llama3-70b-8192", "groq", "openai/gpt-oss-120b"),
    ("llama3-8b-8192", "groq", "openai/gpt-oss-20b"),
    ("llama-3.2-1b-preview", "groq", "openai/gpt-oss-20b"),
    ("llama-3.2-3b-preview", "groq", "openai/gpt-oss-20b"),
    ("llama-3.2-11b-vision-preview", "groq", None),
    ("llama-3.2-90b-vision-preview", "groq", None),
    ("llama-3.2-11b-text-preview", "groq", "openai/gpt-oss-20b"),
    ("llama-3.2-90b-text-preview", "groq", "openai/gpt-oss-120b"),
]
IDS = [r[0] for r in RETIRED]

#: LiteLLM lists Gemini 1.5 Flash-8B at $0 (its free tier), so the entry leaves the prices unknown
NO_PRICES = {"gemini-1.5-flash-8b"}


@pytest.fixture(scope="module")
def registry() -> SpecRegistry:
    return SpecRegistry(user_config=False, env={})


@pytest.fixture(scope="module")
def client(registry: SpecRegistry) -> specwire.Client:
    return specwire.Client(api_keys=KEYS, registry=registry)


@pytest.fixture(scope="module")
def following(registry: SpecRegistry) -> specwire.Client:
    return specwire.Client(api_keys=KEYS, registry=registry, follow_deprecated=True)


def sent_model(plan: Any) -> str:
    """The model id a built request sends: the body's ``model``, else the Gemini URL path's."""
    if isinstance(plan.body, dict) and isinstance(plan.body.get("model"), str):
        return plan.body["model"]
    m = re.search(r"/models/([^/:]+):", plan.url)
    assert m, plan.url
    return m.group(1)


def kinds(plan: Any, kind: str) -> list[str]:
    return [w.detail for w in plan.warnings if w.kind == kind]


@pytest.mark.parametrize(("model", "provider", "replacement"), RETIRED, ids=IDS)
def test_a_bare_name_goes_to_the_vendor(registry: SpecRegistry, model: str, provider: str, replacement: str | None) -> None:
    spec, resolved, warnings = registry.resolve(model)
    assert (spec.provider, resolved) == (provider, model)
    assert any(w.kind == "bare-model" and f"{provider}:{model}" in w.detail for w in warnings)
    assert not [w for w in warnings if w.kind == "unknown-model"]


@pytest.mark.parametrize(("model", "provider", "replacement"), RETIRED, ids=IDS)
def test_the_entry_has_limits_prices_and_a_deprecation(registry: SpecRegistry, model: str, provider: str, replacement: str | None) -> None:
    info = registry.get(provider).model_info(model)
    assert info is not None
    assert info.context_window and info.context_window > 0
    assert info.max_output_tokens and info.max_output_tokens > 0
    assert info.pricing is not None and info.pricing.source and info.pricing.as_of
    assert info.deprecated is not None and info.deprecated.get("replacement") == replacement
    eol = info.deprecated.get("end_of_life")
    if eol is not None:  # left out where the provider gives no date
        assert date.fromisoformat(eol) <= date(2026, 12, 7)
    usage = Usage(input_tokens=10_000, output_tokens=10_000)  # below every long-context tier
    cost, reason = compute_cost(usage, info, model)
    if model in NO_PRICES:
        assert cost is None and reason
        return
    assert reason is None and cost is not None
    assert info.pricing.input and info.pricing.output
    assert cost.total == pytest.approx(0.01 * (info.pricing.input + info.pricing.output))


def test_a_long_gemini_1_5_prompt_costs_the_upper_tier(registry: SpecRegistry) -> None:
    info = registry.get("gemini").model_info("gemini-1.5-pro")
    short, _ = compute_cost(Usage(input_tokens=100_000, output_tokens=0), info, "gemini-1.5-pro")
    long, _ = compute_cost(Usage(input_tokens=200_000, output_tokens=0), info, "gemini-1.5-pro")
    assert short is not None and long is not None
    assert short.total == pytest.approx(0.1 * 3.5)  # LiteLLM v1.72.0: $3.50, $7 above 128K input tokens
    assert long.total == pytest.approx(0.2 * 7.0)


def test_anthropic_cache_prices_come_along(registry: SpecRegistry) -> None:
    info = registry.get("anthropic").model_info("claude-3-5-haiku-latest")
    assert info is not None and info.id == "claude-3-5-haiku-20241022"  # the alias shares the snapshot's facts
    assert info.pricing is not None and (info.pricing.cache_read, info.pricing.cache_write) == (0.08, 1.0)


@pytest.mark.parametrize(("model", "provider", "replacement"), RETIRED, ids=IDS)
def test_calling_one_warns_and_sends_it_as_given(client: specwire.Client, model: str, provider: str, replacement: str | None) -> None:
    plan = client.build(model, "hi")
    assert sent_model(plan) == model
    [warning] = kinds(plan, "deprecated-model")
    assert model in warning
    assert not kinds(plan, "unknown-model")


@pytest.mark.parametrize(("model", "provider", "replacement"), RETIRED, ids=IDS)
def test_follow_deprecated_sends_the_replacement(following: specwire.Client, model: str, provider: str, replacement: str | None) -> None:
    plan = following.build(model, "hi")
    assert sent_model(plan) == (replacement or model)
    assert kinds(plan, "deprecated-model")
    assert not kinds(plan, "unknown-model")


@pytest.mark.parametrize("ref", sorted({f"{p}:{r}" for _, p, r in RETIRED if r}))
def test_each_replacement_is_a_current_model_of_the_same_spec(client: specwire.Client, ref: str) -> None:
    plan = client.build(ref, "hi")
    assert sent_model(plan) == ref.split(":", 1)[1]
    assert not kinds(plan, "unknown-model") and not kinds(plan, "deprecated-model")


#: Vertex AI served Gemini 1.5 too (providers.d/vertex.yaml); a bare name still goes to the Gemini API
VERTEX: list[tuple[str, str]] = [("gemini-1.5-pro", "gemini-3.8-flash"), ("gemini-1.5-flash", "gemini-3.1-flash-lite")]
VERTEX_SETTINGS = {"project": "proj-1", "location": "us-central1"}


@pytest.mark.parametrize(("model", "replacement"), VERTEX, ids=[m for m, _ in VERTEX])
def test_vertex_ai_gemini_1_5_is_priced_and_follows_to_its_replacement(registry: SpecRegistry, client: specwire.Client, following: specwire.Client, model: str, replacement: str) -> None:
    info = registry.get("vertex").model_info(model)
    assert info is not None and info.context_window and info.pricing is not None
    cost, reason = compute_cost(Usage(input_tokens=10_000, output_tokens=10_000), info, model)
    assert reason is None and cost is not None and cost.total > 0
    plan = client.build(f"vertex:{model}", "hi", settings=VERTEX_SETTINGS)
    assert sent_model(plan) == model and kinds(plan, "deprecated-model")
    followed = following.build(f"vertex:{model}", "hi", settings=VERTEX_SETTINGS)
    assert sent_model(followed) == replacement
    assert not kinds(followed, "unknown-model")
    current = client.build(f"vertex:{replacement}", "hi", settings=VERTEX_SETTINGS)
    assert not kinds(current, "unknown-model") and not kinds(current, "deprecated-model")
