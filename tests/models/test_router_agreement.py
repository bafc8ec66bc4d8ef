"""A Router and a plain Client pick the same provider for the same bare model name
(engine/router/owners.py, engine/model_refs.py).

What this protects: when the router config does not decide (no ``prefer_providers`` entry, no
single configured owner), the Router ranks a bare name's candidates by the specs'
``bare_names.priority`` and matches ``bare_names.patterns`` for ids no catalog lists, exactly as
``Client`` resolves them; a provider id or alias alone uses its ``default_model``;
``prefer_providers`` and configured deployments still win over the ranking; a tie at the top is
ambiguous and lists only the tied candidates; the config lint agrees with the run time.  Nothing is
sent: only resolution is exercised.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import specwire
from specwire.registry import SpecRegistry
from specwire.router import AmbiguousModelError, Router, lint_router_config


@pytest.fixture(scope="module")
def registry() -> SpecRegistry:
    return SpecRegistry(user_config=False, env={})


def router(registry: SpecRegistry, config: dict[str, Any] | None = None) -> Router:
    config = config or {"router": {}, "deployments": [{"id": "x", "provider": "openai", "model": "gpt-4o"}]}
    return Router(config, client=specwire.Client(registry=registry, env={}, load_entry_points=False), registry=registry, env={})


def routed(r: Router, name: str) -> str:
    return r.resolve(name).group.deployments[0].ref


def chosen(registry: SpecRegistry, name: str) -> str:
    spec, model, _ = registry.resolve(name)
    return f"{spec.provider}:{model}"


@pytest.mark.parametrize(
    "name",
    [
        "claude-haiku-5-5",  # anthropic, vertex-anthropic, bedrock-anthropic… list it
        "claude-3-9-unlisted",  # only anthropic's pattern
        "gemini-1.5-pro",
        "grok-2",
        "command-r-plus",
        "mistral-large-latest",
        "deepseek-chat",
        "o3-mini",
        "xai",  # a provider id alone: its default_model
        "google",  # a provider alias alone
    ],
)
def test_router_and_client_agree(registry: SpecRegistry, name: str) -> None:
    # the configured providers (cohere, xai) own some of these names; the ranking agrees with them
    r = router(registry, {"router": {}, "deployments": [{"id": "x", "provider": "cohere", "model": "command-r"}, {"id": "y", "provider": "xai", "model": "grok-2"}]})
    assert routed(r, name) == chosen(registry, name)


def test_the_config_still_decides_first(registry: SpecRegistry) -> None:
    preferring = router(registry, {"router": {"prefer_providers": ["vertex-anthropic"]}, "deployments": [{"id": "x", "provider": "openai", "model": "gpt-4o"}]})
    assert routed(preferring, "claude-haiku-5-5") == "vertex-anthropic:claude-haiku-5-5"
    configured = router(registry, {"router": {}, "deployments": [{"id": "x", "provider": "vertex-anthropic", "model": "claude-haiku-5-5"}]})
    assert routed(configured, "claude-opus-5-5") == "vertex-anthropic:claude-opus-5-5"
    assert chosen(registry, "claude-opus-5-5") == "anthropic:claude-opus-5-5", "the Client has no config"


def _acme(name: str, priority: int) -> dict[str, Any]:
    return {"spec_version": 1, "provider": name, "extends": "openai", "base_url": f"https://{name}.example.test/v1",
            "env": {"api_key": f"{name.upper().replace('-', '_')}_KEY"}, "models": [{"id": "acme-1"}], "bare_names": {"priority": priority}}


def test_a_tie_is_ambiguous_for_both(tmp_path: Path) -> None:
    registry = SpecRegistry(user_config=False, env={})
    for name, priority in (("acme-a", 7), ("acme-b", 7), ("acme-c", 3)):
        registry.register(_acme(name, priority))
    r = router(registry)
    with pytest.raises(AmbiguousModelError) as info:
        r.resolve("acme-1")
    assert info.value.candidates == ["acme-a:acme-1", "acme-b:acme-1"], "only the top tier is listed"
    with pytest.raises(specwire.ModelNotFoundError, match="ambiguous"):
        registry.resolve("acme-1")
    config = tmp_path / "router.yaml"
    config.write_text("router: {}\ndeployments:\n  - {id: d, model: acme-1}\n", encoding="utf-8")
    issues = [i for i in lint_router_config(config, registry=registry) if i.rule == "router-model"]
    assert issues and "acme-a:acme-1, acme-b:acme-1" in issues[0].message
    registry.register(_acme("acme-d", 9))
    r = router(registry)  # the new spec ranks first for both
    assert routed(r, "acme-1") == chosen(registry, "acme-1") == "acme-d:acme-1"


def test_a_deployment_without_provider_is_ranked_too(registry: SpecRegistry, tmp_path: Path) -> None:
    config = {"router": {}, "deployments": [{"id": "c", "model": "claude-haiku-5-5"}]}
    r = router(registry, config)
    assert r.resolver.deployments["c"].provider == "anthropic"
    path = tmp_path / "router.yaml"
    path.write_text("router: {}\ndeployments:\n  - {id: c, model: claude-haiku-5-5}\n", encoding="utf-8")
    assert [i for i in lint_router_config(path, registry=registry) if i.level == "error"] == []
