"""``Router.embed`` / ``aembed``: a model group's embed call routed over its deployments with the
chat calls' fallback, retry budget and circuit health (engine/router/embed.py).  HTTP is respx;
the deployments are OpenAI-compatible hosts and a Cohere one (bodies per
https://platform.openai.com/docs/api-reference/embeddings/object and https://docs.cohere.com/reference/embed)."""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import pytest
import respx

from specwire import BadRequestError, Client, RequestBuildError
from specwire.router import FakeClock, Router

KEY_ENV = "ROUTER_EMBED_TEST_KEY"   # a variable no built-in spec declares: not host-bound
A, B = "https://a.example.test/v1", "https://b.example.test/v1"
OK = {"object": "list", "model": "text-embedding-3-small", "usage": {"prompt_tokens": 4, "total_tokens": 4},
      "data": [{"index": 0, "object": "embedding", "embedding": [0.1, 0.2]}, {"index": 1, "object": "embedding", "embedding": [0.3, 0.4]}]}
OVERLOADED = {"error": {"message": "The server is overloaded", "type": "server_error", "param": None, "code": None}}


def _router(**config: Any) -> Router:
    base = {
        "router": {"strategy": "round-robin"},
        "deployments": [
            {"id": "a", "provider": "openai", "model": "text-embedding-3-small", "api_key_env": KEY_ENV, "base_url": A},
            {"id": "b", "provider": "openai", "model": "text-embedding-3-small", "api_key_env": KEY_ENV, "base_url": B},
            {"id": "claude", "provider": "anthropic", "model": "claude-sonnet-5-5", "api_key_env": KEY_ENV},
        ],
        "groups": {"emb": {"deployments": ["a", "b"], "strategy": "round-robin"}, "chat-first": {"deployments": ["claude", "b"], "strategy": "round-robin"}},
        **config,
    }
    return Router(base, client=Client(env={}, load_entry_points=False), clock=FakeClock(), rng=random.Random(3), env={KEY_ENV: "sk-router-embed"})


@pytest.mark.parametrize("flavor", ["sync", "async"])
def test_embed_falls_back_from_a_failing_deployment(flavor: str) -> None:
    with respx.mock() as mock:
        a = mock.post(f"{A}/embeddings").respond(500, json=OVERLOADED)
        b = mock.post(f"{B}/embeddings").respond(json=OK)
        router = _router()
        try:
            if flavor == "sync":
                results = [router.embed("emb", ["x", "y"], dimensions=2) for _ in range(3)]
            else:
                async def run() -> list[Any]:
                    try:
                        return [await router.aembed("emb", ["x", "y"], dimensions=2) for _ in range(3)]
                    finally:
                        await router.client.aclose()
                results = asyncio.run(run())
        finally:
            router.close()
            router.client.close()
    assert all(r.vectors == [[0.1, 0.2], [0.3, 0.4]] for r in results)
    routes = [r.provider_metadata["router"] for r in results]
    assert all(m["route"] == "emb" and m["deployment"] == "b" and m["cache_hit"] is False for m in routes)
    assert sum(m["attempts"] for m in routes) == a.call_count + 3 and all(m["fallbacks"] == 0 for m in routes)  # within the group
    assert a.call_count >= 1 and b.call_count == 3
    assert json.loads(b.calls.last.request.content) == {"model": "text-embedding-3-small", "input": ["x", "y"], "encoding_format": "float", "dimensions": 2}
    assert b.calls.last.request.headers["authorization"] == "Bearer sk-router-embed"
    snap = router.snapshot()
    assert snap.deployments["a"].errors and snap.deployments["b"].requests == 3


def test_a_deployment_without_embeddings_is_skipped() -> None:
    with respx.mock() as mock:
        b = mock.post(f"{B}/embeddings").respond(json=OK)
        router = _router()
        try:
            for _ in range(2):   # round-robin starts on either: claude (anthropic) has no embed operation
                assert router.embed("chat-first", ["x", "y"]).vectors == [[0.1, 0.2], [0.3, 0.4]]
        finally:
            router.close()
            router.client.close()
    assert b.call_count == 2


def test_a_bad_request_does_not_fall_back() -> None:
    with respx.mock(assert_all_called=False) as mock:
        a = mock.post(f"{A}/embeddings").respond(400, json={"error": {"message": "bad", "type": "invalid_request_error", "param": "input", "code": None}})
        b = mock.post(f"{B}/embeddings").respond(400, json={"error": {"message": "bad", "type": "invalid_request_error", "param": "input", "code": None}})
        router = _router()
        try:
            with pytest.raises(BadRequestError):
                router.embed("emb", ["x", "y"])
        finally:
            router.close()
            router.client.close()
    assert a.call_count + b.call_count == 1


@pytest.mark.parametrize(("inputs", "options"), [([], {}), (["x"], {"input_type": "passage"}), (["x"], {"temperature": 0.2})])
def test_bad_calls_fail_before_any_deployment(inputs: Any, options: dict[str, Any]) -> None:
    from specwire import ConfigError

    with respx.mock(assert_all_called=False) as mock:
        route = mock.route().respond(json=OK)
        router = _router()
        try:
            with pytest.raises((RequestBuildError, ConfigError)):
                router.embed("emb", inputs, **options)
        finally:
            router.close()
            router.client.close()
    assert not route.called


def test_a_provider_without_chat_is_routed_and_its_key_bound_to_its_host() -> None:
    """Voyage (chat: false) as a deployment: the key named by api_key_env goes to the embed
    request's host, and a base_url on another host is refused (VOYAGE_API_KEY is bound to
    api.voyageai.com)."""
    from specwire import ConfigError

    body = {"object": "list", "model": "voyage-3.5", "usage": {"total_tokens": 3}, "data": [{"object": "embedding", "index": 0, "embedding": [0.5]}]}
    config = {
        "router": {"strategy": "round-robin"},
        "deployments": [
            {"id": "v", "provider": "voyage", "model": "voyage-3.5", "api_key_env": "VOYAGE_API_KEY"},
            {"id": "evil", "provider": "voyage", "model": "voyage-3.5", "api_key_env": "VOYAGE_API_KEY", "base_url": "https://collector.example.test/v1"},
        ],
        "groups": {"vg": {"deployments": ["v"]}, "bad": {"deployments": ["evil"]}},
    }
    with respx.mock(assert_all_called=False) as mock:
        ok = mock.post("https://api.voyageai.com/v1/embeddings").respond(json=body)
        evil = mock.route(host="collector.example.test").respond(json=body)
        router = Router(config, client=Client(env={}, load_entry_points=False), clock=FakeClock(), env={"VOYAGE_API_KEY": "vo-key"})
        try:
            assert router.embed("vg", "hello").vectors == [[0.5]]
            with pytest.raises(ConfigError, match="deployment 'evil'"):
                router.embed("bad", "hello")
        finally:
            router.close()
            router.client.close()
    assert ok.calls.last.request.headers["authorization"] == "Bearer vo-key"
    assert not evil.called
