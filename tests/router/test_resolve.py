"""Name resolution: aliases, groups, deployment ids, routes (glob / regex / priority), model
names, provider auto-detection through the spec catalogs, and ambiguity errors listing the
candidates.

What this protects: the resolution order documented in engine/router/resolve.py, and that a name
the router cannot route unambiguously is an error naming every candidate rather than a guess.
Provider catalogs used: providers.d/anthropic.yaml, openai.yaml, vertex-anthropic.yaml,
azure-openai*.yaml (which re-list the vendors' models, making bare names ambiguous).
"""

from __future__ import annotations

from typing import Any

import pytest

from specwire import ModelNotFoundError
from specwire.router import AmbiguousModelError

CONFIG: dict[str, Any] = {
    "router": {"strategy": "weighted"},
    "deployments": [
        {"id": "oa-1", "provider": "openai", "model": "gpt-5.4", "tags": ["us"]},
        {"id": "oa-2", "provider": "openai", "model": "gpt-5.4", "tags": ["eu"]},
        {"id": "big", "provider": "openai", "model": "gpt-5.5"},
        {"id": "claude", "provider": "anthropic", "model": "claude-sonnet-5-5"},
    ],
    "groups": {"chat": {"deployments": ["oa-1", "oa-2"], "fallbacks": ["claude"], "strategy": "least-connections"}},
    "aliases": {"default": "chat", "smart": "default", "sonnet": "anthropic:claude-sonnet-5-5"},
    "routes": [
        {"match": "gpt-*", "to": "chat"},
        {"regex": "gpt-5\\.5.*", "to": "big", "priority": 5, "cache": True},
        {"match": "o*", "provider": "openai", "api_key_env": "OPENAI_API_KEY", "fallbacks": ["chat"]},
        {"name": "one", "match": "tie-*", "to": "chat", "priority": 1},
        {"name": "two", "match": "tie-*", "to": "big", "priority": 1},
    ],
}


def ids(target: Any) -> list[str]:
    return [d.id for d in target.group.deployments]


def test_aliases_groups_and_deployments(make_router: Any) -> None:
    r = make_router(CONFIG)
    t = r.resolve("smart")
    assert (t.route, t.group.name, ids(t), t.fallbacks, t.group.strategy) == ("smart", "chat", ["oa-1", "oa-2"], ("claude",), "least-connections")
    assert t.via == "alias:alias:group"
    assert ids(r.resolve("claude")) == ["claude"] and r.resolve("claude").via == "deployment"
    assert r.resolve("sonnet").group.deployments[0].ref == "anthropic:claude-sonnet-5-5"


def test_routes_by_glob_regex_and_priority(make_router: Any) -> None:
    r = make_router(CONFIG)
    assert ids(r.resolve("gpt-4.1")) == ["oa-1", "oa-2"]
    t = r.resolve("gpt-5.5-pro")
    assert ids(t) == ["big"] and t.cache is True and t.via == "route:route[1]", "priority 5 beats the glob"
    dynamic = r.resolve("o9-mini")
    assert [(d.provider, d.model, d.api_key_env, d.dynamic) for d in dynamic.group.deployments] == [("openai", "o9-mini", "OPENAI_API_KEY", True)]
    assert dynamic.fallbacks == ("chat",)


def test_equal_priority_routes_to_different_targets_are_ambiguous(make_router: Any) -> None:
    r = make_router(CONFIG)
    with pytest.raises(AmbiguousModelError) as info:
        r.resolve("tie-x")
    assert info.value.candidates == ["one -> chat", "two -> big"]


def test_model_names_select_their_deployments(make_router: Any) -> None:
    config = {**CONFIG, "routes": []}
    r = make_router(config)
    assert ids(r.resolve("gpt-5.4")) == ["oa-1", "oa-2"] and r.resolve("gpt-5.4").via == "model"
    assert ids(r.resolve("openai:gpt-5.5")) == ["big"]


def test_provider_auto_detection_through_the_catalogs(make_router: Any) -> None:
    r = make_router({"router": {}, "deployments": [{"id": "x", "provider": "openai", "model": "gpt-5.4"}]})
    # in two catalogs, no preference, no configured owner: the specs' bare_names.priority decides
    # (the vendor's own API), as on the plain Client; a tie is tests/models/test_router_agreement.py
    assert r.resolve("claude-haiku-5-5").group.deployments[0].ref == "anthropic:claude-haiku-5-5"
    gpt = r.resolve("gpt-6-luna").group.deployments[0]  # openai is the only provider the config uses
    assert (gpt.provider, gpt.model, gpt.dynamic) == ("openai", "gpt-6-luna", True)
    preferring = make_router({"router": {"prefer_providers": ["anthropic", "openai"]}, "deployments": [{"id": "x", "provider": "openai", "model": "gpt-5.4"}]})
    assert preferring.resolve("claude-haiku-5-5").group.deployments[0].provider == "anthropic"
    assert preferring.resolve("anthropic/claude-haiku-5-5").group.deployments[0].ref == "anthropic:claude-haiku-5-5"


def test_deployment_without_provider_is_detected(make_router: Any) -> None:
    r = make_router({"router": {"prefer_providers": ["anthropic"]}, "deployments": [{"id": "c", "model": "claude-opus-5-5"}]})
    assert r.resolver.deployments["c"].provider == "anthropic"


def test_unknown_names(make_router: Any) -> None:
    r = make_router({**CONFIG, "router": {"unknown_models": "error"}, "routes": []})
    with pytest.raises(ModelNotFoundError, match="did you mean 'chat'"):
        r.resolve("chta")
    open_router = make_router({"router": {}, "deployments": [{"id": "x", "provider": "openai", "model": "gpt-5.4"}]})
    with pytest.raises(ModelNotFoundError, match="no spec catalog knows"):
        open_router.resolve("no-such-model-anywhere")
    with pytest.raises(ModelNotFoundError, match="did you mean 'openai'"):
        open_router.resolve("opena:gpt-5.4")


def test_tags_restrict_the_deployments(fake: Any, make_router: Any) -> None:
    from .conftest import deployment

    config = {
        "router": {},
        "deployments": [deployment(fake, "us", "gpt-5.4", tags=["us"]), deployment(fake, "eu", "gpt-5.4", tags=["eu", "gdpr"])],
        "groups": {"chat": {"tags": ["eu"], "deployments": ["us"]}},
    }
    r = make_router(config)
    assert ids(r.resolve("chat")) == ["us", "eu"], "listed ids first, then the tagged ones"
    for _ in range(3):
        assert r.complete("chat", "hi", tags=["gdpr"]).provider_metadata["router"]["deployment"] == "eu"
    assert fake.names() == ["eu", "eu", "eu"]
    from specwire.router import NoDeploymentAvailableError

    with pytest.raises(NoDeploymentAvailableError, match="tags"):
        r.complete("chat", "hi", tags=["apac"])


def test_passthrough_uses_the_providers_own_key_and_host(registry: Any, make_router: Any) -> None:
    """A model ref the config does not know goes to its provider with the library's own key lookup
    (``OPENAI_API_KEY``, bound to api.openai.com; https://platform.openai.com/docs/api-reference/chat)."""
    import httpx

    from specwire import Client

    seen: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.host, request.headers["authorization"]))
        return httpx.Response(200, json={"id": "c", "model": "gpt-6-luna", "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}]})

    client = Client(registry=registry, env={"OPENAI_API_KEY": "sk-from-env"}, transport=httpx.MockTransport(handler))
    router = make_router({"router": {}, "deployments": [{"id": "x", "provider": "anthropic", "model": "claude-haiku-5-5"}]}, client=client)
    assert router.complete("openai:gpt-6-luna", "hi").text == "hi"
    assert seen == [("api.openai.com", "Bearer sk-from-env")]
    assert "openai:gpt-6-luna" in router.snapshot().deployments
