"""Model listing (issue 12, "Operations beyond chat"): ``Client.list_models(provider)`` from the
provider's own models endpoint, declared as ``operations: list_models:`` in its spec, merged with
the catalog; ``specwire models --remote PROVIDER``.

What this protects: each provider's documented request (path, pagination parameters, the control
plane host for Bedrock) and response shape (envelope, id field, limits); pagination followed to
the end (Anthropic ``has_more``/``last_id`` → ``after_id``, Gemini ``nextPageToken`` →
``pageToken``, Cohere ``next_page_token`` → ``page_token``); a prefix taken off listed ids
(Gemini's ``models/``); the merge (``listed``/``in_catalog``, catalog-only entries with
``include_catalog``); a 401 as :class:`AuthenticationError`; specs that inherit ``extends:
openai`` but have no such endpoint (or another path) say so; both transports.

Shapes: https://docs.claude.com/en/api/models-list ; https://ai.google.dev/api/models#method:-models.list ;
https://docs.cohere.com/reference/list-models ; https://docs.together.ai/reference/models (a bare
list) ; https://console.groq.com/docs/api-reference#models-list ;
https://openrouter.ai/docs/api-reference/list-available-models ;
https://docs.mistral.ai/api/endpoint/models ;
https://docs.aws.amazon.com/bedrock/latest/APIReference/API_ListFoundationModels.html .
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import respx

import specwire
from specwire import AuthenticationError, UnsupportedOperationError
from specwire.registry import SpecRegistry

from .conftest import JsonServer

REGISTRY = SpecRegistry(user_config=False, env={})
AWS_ENV = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLELIST00001", "AWS_SECRET_ACCESS_KEY": "listSecret/Example0123456789", "AWS_REGION": "us-west-2"}


def client(env: dict[str, str] | None = None, **kw: Any) -> specwire.Client:
    return specwire.Client(load_entry_points=False, registry=REGISTRY, env=env or {}, **kw)


def query(route: respx.Route, n: int) -> dict[str, list[str]]:
    return parse_qs(urlsplit(str(route.calls[n].request.url)).query)


def catalog_id(provider: str) -> str:
    return REGISTRY.get(provider).models[0].id


# ---------------------------------------------------------------------------- pagination
def test_anthropic_follows_has_more_with_after_id() -> None:
    known = catalog_id("anthropic")
    pages = [
        {"data": [{"type": "model", "id": known, "display_name": "Known", "created_at": "2026-01-01T00:00:00Z"}], "has_more": True, "first_id": known, "last_id": known},
        {"data": [{"type": "model", "id": "claude-new-1", "display_name": "New", "created_at": "2026-02-01T00:00:00Z"}], "has_more": False, "first_id": "claude-new-1", "last_id": "claude-new-1"},
    ]
    with respx.mock(assert_all_mocked=True) as mock:
        route = mock.get("https://api.anthropic.com/v1/models").mock(side_effect=[respx.MockResponse(200, json=p) for p in pages])
        models = client().list_models("anthropic", api_key="sk-ant", include_catalog=False)
    assert [query(route, 0), query(route, 1)] == [{"limit": ["1000"]}, {"limit": ["1000"], "after_id": [known]}]
    assert route.calls[0].request.headers["anthropic-version"]
    assert [(m.id, m.display_name, m.listed, m.in_catalog) for m in models] == [(known, "Known", True, True), ("claude-new-1", "New", True, False)]
    assert models[0].catalog is not None and models[1].catalog is None


def test_gemini_follows_next_page_token_and_strips_the_prefix() -> None:
    pages = [
        {"models": [{"name": "models/gemini-x-1", "displayName": "Gemini X", "inputTokenLimit": 1048576, "outputTokenLimit": 65536}], "nextPageToken": "tok-2"},
        {"models": [{"name": "models/embedding-y", "displayName": "Embedding Y", "inputTokenLimit": 2048, "outputTokenLimit": 1}]},
    ]
    with respx.mock(assert_all_mocked=True) as mock:
        route = mock.get("https://generativelanguage.googleapis.com/v1beta/models").mock(side_effect=[respx.MockResponse(200, json=p) for p in pages])
        models = client().list_models("gemini", api_key="g-key", include_catalog=False)
    assert [query(route, 0), query(route, 1)] == [{"pageSize": ["1000"]}, {"pageSize": ["1000"], "pageToken": ["tok-2"]}]
    assert route.calls[0].request.headers["x-goog-api-key"] == "g-key"
    assert [(m.id, m.display_name, m.context_window, m.max_output_tokens) for m in models] == [
        ("gemini-x-1", "Gemini X", 1048576, 65536), ("embedding-y", "Embedding Y", 2048, 1)]


def test_cohere_follows_next_page_token() -> None:
    pages = [
        {"models": [{"name": "command-x", "endpoints": ["chat"], "context_length": 256000}], "next_page_token": "p2"},
        {"models": [{"name": "embed-y", "endpoints": ["embed"], "context_length": 512}], "next_page_token": ""},
    ]
    with respx.mock(assert_all_mocked=True) as mock:
        route = mock.get("https://api.cohere.com/v1/models").mock(side_effect=[respx.MockResponse(200, json=p) for p in pages])
        models = client().list_models("cohere", api_key="co-key", include_catalog=False)
    assert [query(route, 0), query(route, 1)] == [{"page_size": ["1000"]}, {"page_size": ["1000"], "page_token": ["p2"]}]
    assert [(m.id, m.context_window) for m in models] == [("command-x", 256000), ("embed-y", 512)]


# ---------------------------------------------------------------------------- shapes and paths
def test_together_lists_a_bare_array() -> None:
    body = [{"id": "meta-llama/Llama-X", "object": "model", "created": 1692896905, "type": "chat", "display_name": "Llama X", "organization": "Meta", "context_length": 131072}]
    with respx.mock(assert_all_mocked=True) as mock:
        mock.get("https://api.together.ai/v1/models").respond(200, json=body)
        (model,) = client().list_models("together", api_key="t-key", include_catalog=False)
    assert (model.id, model.display_name, model.owned_by, model.created, model.context_window) == ("meta-llama/Llama-X", "Llama X", "Meta", 1692896905, 131072)


@pytest.mark.parametrize(("provider", "url", "item", "expected"), [
    ("groq", "https://api.groq.com/openai/v1/models", {"id": "llama-x", "object": "model", "created": 1, "owned_by": "Meta", "active": True, "context_window": 131072, "max_completion_tokens": 32768}, (131072, 32768)),
    ("openrouter", "https://openrouter.ai/api/v1/models", {"id": "openai/gpt-x", "name": "OpenAI: GPT X", "created": 1, "context_length": 400000, "top_provider": {"context_length": 400000, "max_completion_tokens": 128000}}, (400000, 128000)),
    ("mistral", "https://api.mistral.ai/v1/models", {"id": "mistral-x", "object": "model", "created": 1, "owned_by": "mistralai", "max_context_length": 131072}, (131072, None)),
    ("cerebras", "https://api.cerebras.ai/v1/models", {"id": "llama-x", "object": "model", "created": 1, "owned_by": "Meta"}, (None, None)),
    ("fireworks", "https://api.fireworks.ai/inference/v1/models", {"id": "accounts/fireworks/models/x", "object": "model", "created": 1, "owned_by": "fireworks"}, (None, None)),
    ("xai", "https://api.x.ai/v1/models", {"id": "grok-x", "object": "model", "created": 1, "owned_by": "xai"}, (None, None)),
    ("deepseek", "https://api.deepseek.com/models", {"id": "deepseek-x", "object": "model", "owned_by": "deepseek"}, (None, None)),
    ("huggingface", "https://router.huggingface.co/v1/models", {"id": "org/model-x", "object": "model", "created": 1, "owned_by": "org"}, (None, None)),
    ("siliconflow", "https://api.siliconflow.com/v1/models", {"id": "Qwen/X", "object": "model", "created": 0, "owned_by": ""}, (None, None)),
    ("ollama", "http://localhost:11434/v1/models", {"id": "llama3.2:latest", "object": "model", "created": 1, "owned_by": "library"}, (None, None)),
    ("lmstudio", "http://localhost:1234/v1/models", {"id": "qwen-x", "object": "model", "owned_by": "organization_owner"}, (None, None)),
])
def test_openai_compatible_paths_and_limits(provider: str, url: str, item: dict[str, Any], expected: tuple[Any, Any]) -> None:
    with respx.mock(assert_all_mocked=True) as mock:
        route = mock.get(url).respond(200, json={"object": "list", "data": [item]})
        (model,) = client().list_models(provider, api_key="key", include_catalog=False)
    assert route.called and model.id == item["id"]
    assert (model.context_window, model.max_output_tokens) == expected


def test_vllm_max_model_len(json_server: JsonServer) -> None:
    json_server.replies = [(200, {"object": "list", "data": [{"id": "Qwen/Qwen3-8B", "object": "model", "created": 1, "owned_by": "vllm", "max_model_len": 32768}]})]
    (model,) = client(base_urls={"vllm": json_server.url("/v1")}).list_models("vllm", include_catalog=False)
    assert (model.id, model.context_window, model.owned_by) == ("Qwen/Qwen3-8B", 32768, "vllm")
    assert json_server.seen[0][:2] == ("GET", "/v1/models")


@pytest.mark.parametrize(("provider", "by_provider"), [("bedrock", None), ("bedrock-anthropic", "Anthropic"), ("bedrock-llama", "Meta")])
def test_bedrock_lists_on_the_control_plane(provider: str, by_provider: str | None) -> None:
    body = {"modelSummaries": [{"modelArn": "arn:aws:bedrock:us-west-2::foundation-model/x.y-v1:0", "modelId": "x.y-v1:0", "modelName": "Y", "providerName": "X"}]}
    with respx.mock(assert_all_mocked=True) as mock, pytest.MonkeyPatch.context() as mp:
        mp.setitem(sys.modules, "botocore", None)  # credentials from the env mapping only
        route = mock.get("https://bedrock.us-west-2.amazonaws.com/foundation-models").respond(200, json=body)
        (model,) = client(AWS_ENV).list_models(provider, include_catalog=False)
    assert (model.id, model.display_name, model.owned_by) == ("x.y-v1:0", "Y", "X")
    assert query(route, 0) == ({"byProvider": [by_provider]} if by_provider else {})
    auth = route.calls[0].request.headers["authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIAEXAMPLELIST00001/") and "/us-west-2/bedrock/aws4_request" in auth


@pytest.mark.parametrize("provider", ["perplexity", "zai", "vertex", "vertex-anthropic", "azure-openai", "azure-openai-responses"])
def test_specs_without_a_models_endpoint_say_so(provider: str) -> None:
    """These inherit a list_models under extends that would hit the wrong URL: they remove it."""
    with pytest.raises(UnsupportedOperationError, match="list_models"):
        client().list_models(provider, api_key="key")


# ---------------------------------------------------------------------------- merge, errors, transports
def test_catalog_only_models_follow_the_listed_ones() -> None:
    spec = REGISTRY.get("anthropic")
    listed_id = spec.models[0].id
    with respx.mock(assert_all_mocked=True) as mock:
        mock.get("https://api.anthropic.com/v1/models").respond(200, json={"data": [{"id": listed_id}, {"id": listed_id}, {"id": "claude-unlisted-z"}], "has_more": False})
        models = client().list_models("anthropic", api_key="k")
    assert [m.id for m in models[:2]] == [listed_id, "claude-unlisted-z"], "a listed id appears once"
    rest = models[2:]
    assert rest and all(not m.listed and m.in_catalog for m in rest)
    assert {m.id for m in rest} == {m.id for m in spec.models} - {listed_id}


def test_401_is_an_authentication_error() -> None:
    with respx.mock(assert_all_mocked=True) as mock:
        mock.get("https://api.openai.com/v1/models").respond(401, json={"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "code": "invalid_api_key"}})
        with pytest.raises(AuthenticationError):
            client().list_models("openai", api_key="sk-bad")


def test_a_model_ref_is_not_a_provider() -> None:
    with pytest.raises(specwire.ConfigError, match="provider id"):
        client().list_models("openai:gpt-4o", api_key="k")


def test_async_httpx() -> None:
    async def run() -> Any:
        async with client() as c:
            return await c.alist_models("gemini", api_key="k", include_catalog=False)

    with respx.mock(assert_all_mocked=True) as mock:
        mock.get("https://generativelanguage.googleapis.com/v1beta/models").respond(200, json={"models": [{"name": "models/gemini-z"}]})
        models = asyncio.run(run())
    assert [m.id for m in models] == ["gemini-z"]


def test_aiohttp_backend_follows_pages(json_server: JsonServer) -> None:
    pytest.importorskip("aiohttp")
    json_server.replies = [
        (200, {"data": [{"id": "claude-a"}], "has_more": True, "last_id": "claude-a"}),
        (200, {"data": [{"id": "claude-b"}], "has_more": False, "last_id": "claude-b"}),
    ]

    async def run() -> Any:
        async with client(async_backend="aiohttp", base_urls={"anthropic": json_server.url("/v1")}) as c:
            return await c.alist_models("anthropic", api_key="k", include_catalog=False)

    models = asyncio.run(run())
    assert [m.id for m in models] == ["claude-a", "claude-b"]
    assert [seen[1] for seen in json_server.seen] == ["/v1/models?limit=1000", "/v1/models?limit=1000&after_id=claude-a"]


# ---------------------------------------------------------------------------- the CLI
def test_cli_models_remote(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from specwire.cli import main

    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-cli")
    known = catalog_id("anthropic")
    with respx.mock(assert_all_mocked=True) as mock:
        mock.get("https://api.anthropic.com/v1/models").respond(200, json={"data": [{"id": known}, {"id": "claude-fresh-9", "display_name": "Fresh"}], "has_more": False})
        assert main(["models", "--remote", "anthropic", "--json"]) == 0
        rows = json.loads(capsys.readouterr().out)
        assert main(["models", "--remote", "anthropic"]) == 0
        text = capsys.readouterr().out
    assert [(r["id"], r["listed"], r["in_catalog"]) for r in rows[:2]] == [(known, True, True), ("claude-fresh-9", True, False)]
    assert all(not r["listed"] for r in rows[2:])
    assert "claude-fresh-9" in text and "sk-ant-cli" not in text


def test_cli_models_remote_needs_a_provider(capsys: pytest.CaptureFixture[str]) -> None:
    from specwire.cli import main

    assert main(["models", "--remote"]) == 2
    assert "--remote needs a provider" in capsys.readouterr().err
