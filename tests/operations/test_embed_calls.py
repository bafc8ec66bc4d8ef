"""``Client.embed``/``aembed`` behaviour: batching at each spec's ``max_batch`` (order kept),
``index`` reordering, retries, error mapping, shape checks, option warnings, and both transports
(httpx sync and async, and the aiohttp async backend against a loopback server)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import respx

from specwire import (
    BadRequestError,
    Client,
    ContextWindowExceededError,
    RateLimitError,
    RequestBuildError,
    ResponseParseError,
)
from tests.hostile.server import HostileServer, hostile, json_reply, openai_error  # noqa: F401  (fixture)

OPENAI_URL = "https://api.openai.com/v1/embeddings"
COHERE_URL = "https://api.cohere.com/v2/embed"
GEMINI_URL = "https://generativelanguage.googleapis.com/v1beta/models/gemini-embedding-001:batchEmbedContents"


def _client(**kwargs: Any) -> Client:
    keys = {"openai": "sk-test", "cohere": "co-test", "gemini": "g-test", "together": "tg-test", "bedrock": "br-test", "vertex": "vx-test"}
    return Client(env={}, load_entry_points=False, api_keys=keys, settings={"vertex": {"project": "p1", "location": "us-central1"}}, **kwargs)


def _vec(text: str) -> list[float]:
    """A vector that names its input ("t17" -> [17.0, 0.5])."""
    return [float(text[1:]), 0.5]


def _openai_echo(request: httpx.Request) -> httpx.Response:
    texts = json.loads(request.content)["input"]
    data = [{"object": "embedding", "index": i, "embedding": _vec(t)} for i, t in enumerate(texts)]
    return httpx.Response(200, json={"object": "list", "data": data[::-1], "model": "text-embedding-3-small", "usage": {"prompt_tokens": len(texts), "total_tokens": len(texts)}})


def _cohere_echo(request: httpx.Request) -> httpx.Response:
    texts = json.loads(request.content)["texts"]
    return httpx.Response(200, json={"id": "x", "embeddings": {"float": [_vec(t) for t in texts]}, "texts": texts, "meta": {"billed_units": {"input_tokens": 2 * len(texts)}}})


def _gemini_echo(request: httpx.Request) -> httpx.Response:
    items = json.loads(request.content)["requests"]
    return httpx.Response(200, json={"embeddings": [{"values": _vec(r["content"]["parts"][0]["text"])} for r in items]})


def _vertex_echo(request: httpx.Request) -> httpx.Response:
    items = json.loads(request.content)["instances"]
    return httpx.Response(200, json={"predictions": [{"embeddings": {"values": _vec(i["content"]), "statistics": {"token_count": 1, "truncated": False}}} for i in items]})


def _titan_echo(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"embedding": _vec(json.loads(request.content)["inputText"]), "inputTextTokenCount": 3})


# ---------------------------------------------------------------------------- batching
@pytest.mark.parametrize(("ref", "url", "echo", "limit"), [
    ("cohere:embed-english-v3.0", COHERE_URL, _cohere_echo, 96),        # https://docs.cohere.com/reference/embed (texts: at most 96)
    ("gemini:gemini-embedding-001", GEMINI_URL, _gemini_echo, 100),     # batchEmbedContents: at most 100 requests
    ("openai:text-embedding-3-small", OPENAI_URL, _openai_echo, 2048),  # input: at most 2048 strings
])
@pytest.mark.parametrize("delta", [-1, 0, 1])
def test_batches_split_at_max_batch_and_keep_order(ref: str, url: str, echo: Any, limit: int, delta: int) -> None:
    n = limit + delta
    texts = [f"t{i}" for i in range(n)]
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(url).mock(side_effect=echo)
        with _client() as client:
            result = client.embed(ref, texts)
    sizes = [len(json.loads(c.request.content).get("texts") or json.loads(c.request.content).get("input") or json.loads(c.request.content)["requests"]) for c in route.calls]
    assert sizes == ([limit, 1] if delta == 1 else [n])
    assert result.vectors == [_vec(t) for t in texts]


def test_cohere_tokens_and_cost_sum_over_batches() -> None:
    texts = [f"t{i}" for i in range(97)]
    with respx.mock() as mock:
        mock.post(COHERE_URL).mock(side_effect=_cohere_echo)
        with _client() as client:
            result = client.embed("cohere:embed-english-v3.0", texts)
    assert result.usage is not None and result.usage.input_tokens == 2 * 97
    assert result.cost is not None and result.cost.total == pytest.approx(2 * 97 * 0.10 / 1e6)


@pytest.mark.parametrize(("model", "per_request"), [("gemini-embedding-001", 1), ("text-embedding-005", 250)])
def test_vertex_batch_size_follows_the_model(model: str, per_request: int) -> None:
    """max_batch is a template: gemini-embedding-001 takes one instance per request, the
    text-embedding models 250 (https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/text-embeddings-api)."""
    texts = [f"t{i}" for i in range(per_request + 1)]
    url = f"https://us-central1-aiplatform.googleapis.com/v1/projects/p1/locations/us-central1/publishers/google/models/{model}:predict"
    with respx.mock() as mock:
        route = mock.post(url).mock(side_effect=_vertex_echo)
        with _client() as client:
            result = client.embed(f"vertex:{model}", texts)
    sizes = [len(json.loads(c.request.content)["instances"]) for c in route.calls]
    assert sizes == [per_request, 1]
    assert result.vectors == [_vec(t) for t in texts]
    assert result.usage is not None and result.usage.input_tokens == len(texts)


def test_bedrock_titan_sends_one_text_per_request() -> None:
    url = "https://bedrock-runtime.us-east-1.amazonaws.com/model/amazon.titan-embed-text-v2%3A0/invoke"
    with respx.mock() as mock:
        route = mock.post(url).mock(side_effect=_titan_echo)
        with _client() as client:
            result = client.embed("bedrock:amazon.titan-embed-text-v2:0", ["t0", "t1", "t2"])
    assert [json.loads(c.request.content) for c in route.calls] == [{"inputText": "t0"}, {"inputText": "t1"}, {"inputText": "t2"}]
    assert result.vectors == [_vec("t0"), _vec("t1"), _vec("t2")]
    assert result.usage is not None and result.usage.input_tokens == 9
    assert result.cost is not None and result.cost.total == pytest.approx(9 * 0.02 / 1e6)


def test_index_reorders_vectors() -> None:
    body = {"object": "list", "model": "text-embedding-3-small", "usage": {"prompt_tokens": 3, "total_tokens": 3},
            "data": [{"index": 2, "embedding": [2.0]}, {"index": 0, "embedding": [0.0]}, {"index": 1, "embedding": [1.0]}]}
    with respx.mock() as mock:
        mock.post(OPENAI_URL).respond(json=body)
        with _client() as client:
            assert client.embed("openai:text-embedding-3-small", ["a", "b", "c"]).vectors == [[0.0], [1.0], [2.0]]


# ---------------------------------------------------------------------------- errors
def test_429_is_retried_then_succeeds() -> None:
    ok = {"object": "list", "model": "m", "data": [{"index": 0, "embedding": [0.1]}], "usage": {"prompt_tokens": 1, "total_tokens": 1}}
    with respx.mock() as mock:
        route = mock.post(OPENAI_URL).mock(side_effect=[
            httpx.Response(429, json={"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}}),
            httpx.Response(200, json=ok),
        ])
        with _client() as client:
            assert client.embed("openai:text-embedding-3-small", "a").vectors == [[0.1]]
    assert route.call_count == 2


def test_429_exhausting_retries_raises_rate_limit() -> None:
    with respx.mock() as mock:
        route = mock.post(OPENAI_URL).respond(429, json={"error": {"message": "slow down", "type": "requests", "code": "rate_limit_exceeded"}})
        with _client(max_retries=1) as client, pytest.raises(RateLimitError):
            client.embed("openai:text-embedding-3-small", "a")
    assert route.call_count == 2


def test_400_is_mapped_by_the_spec_error_rules() -> None:
    body = {"error": {"message": "This model's maximum context length is 8192 tokens", "type": "invalid_request_error", "param": None, "code": "context_length_exceeded"}}
    with respx.mock() as mock:
        route = mock.post(OPENAI_URL).respond(400, json=body)
        with _client() as client, pytest.raises(ContextWindowExceededError) as info:
            client.embed("openai:text-embedding-3-small", "a very long text")
    assert route.call_count == 1
    assert info.value.status == 400


def test_cohere_400_is_a_bad_request() -> None:
    with respx.mock() as mock:
        mock.post(COHERE_URL).respond(400, json={"message": "invalid request: input_type must be specified"})
        with _client() as client, pytest.raises(BadRequestError):
            client.embed("cohere:embed-english-v3.0", "a")


@pytest.mark.parametrize("vectors", [[[0.1]], [[0.1], [0.2], [0.3]], None, [[0.1], ["x"]]])
def test_wrong_vectors_are_a_parse_error(vectors: Any) -> None:
    body = {"id": "x", "embeddings": {"float": vectors}, "meta": {}}
    with respx.mock() as mock:
        mock.post(COHERE_URL).respond(json=body)
        with _client() as client, pytest.raises(ResponseParseError):
            client.embed("cohere:embed-english-v3.0", ["a", "b"])


# ---------------------------------------------------------------------------- options
def test_an_option_the_provider_does_not_take_is_a_warning() -> None:
    body = {"object": "list", "model": "BAAI/bge-large-en-v1.5", "data": [{"index": 0, "embedding": [0.1]}]}
    with respx.mock() as mock:
        route = mock.post("https://api.together.ai/v1/embeddings").respond(json=body)
        with _client() as client:
            result = client.embed("together:BAAI/bge-large-en-v1.5", "a", dimensions=64)
    assert "dimensions" not in json.loads(route.calls.last.request.content)
    assert [(w.kind, w.param) for w in result.warnings] == [("unsupported-param", "dimensions")]


@pytest.mark.parametrize(("ref", "options"), [
    ("openai:text-embedding-3-small", {"input_type": "passage"}),
    ("openai:text-embedding-3-small", {"truncate": "middle"}),
    ("openai:text-embedding-3-small", {"dimensions": 0}),
    ("openai:text-embedding-3-small", {"dimensions": True}),
    ("vertex:text-embedding-005", {"truncate": "start"}),   # Vertex truncates the end only (autoTruncate)
])
def test_bad_option_values_fail_before_io(ref: str, options: dict[str, Any]) -> None:
    with respx.mock(assert_all_called=False) as mock:
        route = mock.route().respond(json={})
        with _client() as client, pytest.raises(RequestBuildError):
            client.embed(ref, "a", **options)
    assert not route.called


@pytest.mark.parametrize("inputs", [[], [""], ["a", 3]])
def test_bad_inputs_fail_before_io(inputs: Any) -> None:
    with respx.mock(assert_all_called=False) as mock:
        route = mock.route().respond(json={})
        with _client() as client, pytest.raises(RequestBuildError):
            client.embed("openai:text-embedding-3-small", inputs)
    assert not route.called


# ---------------------------------------------------------------------------- transports
def test_aembed_httpx() -> None:
    async def run() -> Any:
        async with _client() as client:
            return await client.aembed("cohere:embed-english-v3.0", [f"t{i}" for i in range(100)], input_type="query")

    with respx.mock() as mock:
        route = mock.post(COHERE_URL).mock(side_effect=_cohere_echo)
        result = asyncio.run(run())
    assert [len(json.loads(c.request.content)["texts"]) for c in route.calls] == [96, 4]
    assert {json.loads(c.request.content)["input_type"] for c in route.calls} == {"search_query"}
    assert result.vectors == [_vec(f"t{i}") for i in range(100)]


def _ok(texts: list[str]) -> dict[str, Any]:
    return {"object": "list", "model": "text-embedding-3-small", "usage": {"prompt_tokens": len(texts), "total_tokens": len(texts)},
            "data": [{"index": i, "embedding": _vec(t)} for i, t in enumerate(texts)]}


@pytest.mark.parametrize("mode", ["sync", "async-httpx", "async-aiohttp"])
def test_loopback_retry_and_result(hostile: HostileServer, mode: str) -> None:
    """A 429 then a 200 from a real socket: the same vectors on every transport, and the request
    carries the key and the body."""
    if mode == "async-aiohttp":
        pytest.importorskip("aiohttp")
    hostile.script(openai_error(429, "slow down", "requests", "rate_limit_exceeded"), then=json_reply(200, _ok(["t1", "t2"])))
    client = Client(env={}, load_entry_points=False, api_keys={"openai": "sk-loop"}, base_urls={"openai": hostile.url("/v1")},
                    async_backend="aiohttp" if mode == "async-aiohttp" else "httpx")
    if mode == "sync":
        with client:
            result = client.embed("openai:text-embedding-3-small", ["t1", "t2"], dimensions=2)
    else:
        async def run() -> Any:
            try:
                return await client.aembed("openai:text-embedding-3-small", ["t1", "t2"], dimensions=2)
            finally:
                await client.aclose()
        result = asyncio.run(run())
    assert result.vectors == [_vec("t1"), _vec("t2")]
    assert len(hostile.requests) == 2
    last = hostile.requests[-1]
    assert last.target == "/v1/embeddings" and last.headers["authorization"] == "Bearer sk-loop"
    assert json.loads(last.body) == {"model": "text-embedding-3-small", "input": ["t1", "t2"], "encoding_format": "float", "dimensions": 2}


def test_loopback_aiohttp_error_mapping(hostile: HostileServer) -> None:
    pytest.importorskip("aiohttp")
    hostile.always(json_reply(400, {"error": {"message": "too long", "type": "invalid_request_error", "code": "context_length_exceeded"}}))
    client = Client(env={}, load_entry_points=False, api_keys={"openai": "sk-loop"}, base_urls={"openai": hostile.url("/v1")}, async_backend="aiohttp")

    async def run() -> None:
        try:
            await client.aembed("openai:text-embedding-3-small", "t1")
        finally:
            await client.aclose()

    with pytest.raises(ContextWindowExceededError):
        asyncio.run(run())
