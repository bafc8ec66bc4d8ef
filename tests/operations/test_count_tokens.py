"""Token counting (issue 12, "Operations beyond chat"): ``Client.count_tokens`` through the
providers' count endpoints declared as ``operations: count_tokens:`` in the specs, through a
spec-declared tokenizer (tiktoken) for the OpenAI family, and otherwise an estimate marked as one;
and the Router's token-per-minute limits counting with the same local tokenizer.

What this protects: each count endpoint gets the exact documented request (the chat request's
messages, system prompt and tools rendered by the spec's own rules) and its count is read from
the documented field; ``method=`` forces one way and fails loudly when it cannot; a count that is
only an estimate says so (``method="estimate"`` and a ``token-estimate`` warning); a 401 is an
:class:`AuthenticationError`; both transports (httpx sync/async, aiohttp against 127.0.0.1).

Request and response shapes:
https://docs.claude.com/en/api/messages-count-tokens (``POST /v1/messages/count_tokens`` →
``{"input_tokens"}``); https://ai.google.dev/api/tokens#method:-models.counttokens
(``generateContentRequest`` → ``{"totalTokens"}``);
https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/count-tokens and
https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/claude/count-tokens
(``publishers/anthropic/models/count-tokens:rawPredict``);
https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_CountTokens.html
(``POST /model/{modelId}/count-tokens`` with ``{"input": {"converse": …}}`` → ``{"inputTokens"}``).
The tokenizer framing (3 tokens per message, 1 per name, 3 priming the reply):
https://cookbook.openai.com/examples/how_to_count_tokens_with_tiktoken .

tiktoken downloads its real encodings from the network on first use, which tests may not do; the
tokenizer tests build a small byte-level ``tiktoken.Encoding`` and register it under the name
the spec declares, so the real tiktoken code path counts without any download.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import httpx
import pytest
import respx

import specwire
from specwire import AuthenticationError, ConfigError, RequestBuildError, UnsupportedOperationError
from specwire.registry import SpecRegistry
from specwire.tokens import register_encoding

from .conftest import JsonServer

REGISTRY = SpecRegistry(user_config=False, env={})
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hello world"}]
TOOLS = [{"name": "get_weather", "description": "Weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}]
AWS_ENV = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLECOUNT0001", "AWS_SECRET_ACCESS_KEY": "countSecret/Example0123456789", "AWS_REGION": "us-east-1"}


def client(env: dict[str, str] | None = None, **kw: Any) -> specwire.Client:
    return specwire.Client(load_entry_points=False, registry=REGISTRY, env=env or {}, **kw)


def tiny_encoding() -> Any:
    """A byte-level BPE with a few merges: "hello" is one token, " world" four (" ", "wo", "rl", "d")."""
    tiktoken = pytest.importorskip("tiktoken")
    ranks = {bytes([i]): i for i in range(256)}
    for j, merged in enumerate([b"he", b"ll", b"hell", b"hello", b"wo", b"rl"]):
        ranks[merged] = 256 + j
    return tiktoken.Encoding("tiny", pat_str=r" ?\w+| ?[^\w\s]+|\s+", mergeable_ranks=ranks, special_tokens={})


def sent(route: respx.Route, n: int = 0) -> Any:
    return json.loads(route.calls[n].request.content)


# ---------------------------------------------------------------------------- provider endpoints
def test_anthropic_count_request_and_result() -> None:
    with respx.mock(assert_all_mocked=True) as mock:
        route = mock.post("https://api.anthropic.com/v1/messages/count_tokens").respond(200, json={"input_tokens": 14})
        count = client().count_tokens("anthropic:claude-sonnet-4-5", MESSAGES, tools=TOOLS, api_key="sk-ant")
    assert (count.provider, count.model, count.input_tokens, count.method, count.exact) == ("anthropic", "claude-sonnet-4-5", 14, "provider", True)
    assert sent(route) == {
        "model": "claude-sonnet-4-5",
        "system": [{"type": "text", "text": "Be brief."}],
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hello world"}]}],
        "tools": [{"name": "get_weather", "description": "Weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}],
    }
    headers = route.calls[0].request.headers
    assert headers["anthropic-version"] and headers["authorization"] == "Bearer sk-ant"


def test_gemini_count_sends_a_generate_content_request() -> None:
    with respx.mock(assert_all_mocked=True) as mock:
        route = mock.post("https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:countTokens").respond(200, json={"totalTokens": 9, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 9}]})
        count = client().count_tokens("gemini:gemini-2.5-flash", MESSAGES, tools=TOOLS, api_key="g-key")
        bare = client().count_tokens("gemini:gemini-2.5-flash", "hi", api_key="g-key")
    assert (count.input_tokens, count.method) == (9, "provider")
    assert sent(route) == {"generateContentRequest": {
        "model": "models/gemini-2.5-flash",
        "contents": [{"role": "user", "parts": [{"text": "hello world"}]}],
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "tools": [{"functionDeclarations": [{"name": "get_weather", "description": "Weather", "parametersJsonSchema": {"type": "object", "properties": {"city": {"type": "string"}}}}]}],
    }}
    assert bare.input_tokens == 9
    assert sent(route, 1) == {"generateContentRequest": {"model": "models/gemini-2.5-flash", "contents": [{"role": "user", "parts": [{"text": "hi"}]}]}}
    assert route.calls[0].request.headers["x-goog-api-key"] == "g-key"


def test_vertex_count_on_the_model_resource() -> None:
    """Express mode (an API key, no project): the publisher model path with :countTokens."""
    with respx.mock(assert_all_mocked=True) as mock:
        route = mock.post("https://aiplatform.googleapis.com/v1/publishers/google/models/gemini-2.5-flash:countTokens").respond(200, json={"totalTokens": 11, "totalBillableCharacters": 20})
        count = client().count_tokens("vertex:gemini-2.5-flash", MESSAGES, api_key="vx-key")
    assert (count.input_tokens, count.method) == (11, "provider")
    assert sent(route) == {"contents": [{"role": "user", "parts": [{"text": "hello world"}]}], "systemInstruction": {"parts": [{"text": "Be brief."}]}}


def test_vertex_anthropic_count_tokens_model() -> None:
    """The inherited Messages count body, sent to the ``count-tokens`` model with rawPredict."""
    url = "https://us-east5-aiplatform.googleapis.com/v1/projects/proj-1/locations/us-east5/publishers/anthropic/models/count-tokens:rawPredict"
    with respx.mock(assert_all_mocked=True) as mock:
        route = mock.post(url).respond(200, json={"input_tokens": 13})
        count = client(settings={"vertex-anthropic": {"project": "proj-1", "location": "us-east5"}}).count_tokens(
            "vertex-anthropic:claude-sonnet-4-5", MESSAGES, api_key="ya29.given")
    assert (count.input_tokens, count.method) == (13, "provider")
    assert sent(route) == {
        "model": "claude-sonnet-4-5",
        "system": [{"type": "text", "text": "Be brief."}],
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hello world"}]}],
    }


def test_bedrock_count_tokens_converse_input() -> None:
    model = "anthropic.claude-haiku-4-5-20251001-v1:0"
    with respx.mock(assert_all_mocked=True) as mock, pytest.MonkeyPatch.context() as mp:
        mp.setitem(sys.modules, "botocore", None)  # credentials from the env mapping only
        route = mock.post("https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-haiku-4-5-20251001-v1%3A0/count-tokens").respond(200, json={"inputTokens": 7})
        count = client(AWS_ENV).count_tokens(f"bedrock:{model}", MESSAGES, tools=TOOLS)
    assert (count.input_tokens, count.method) == (7, "provider")
    assert sent(route) == {"input": {"converse": {
        "messages": [{"role": "user", "content": [{"text": "hello world"}]}],
        "system": [{"text": "Be brief."}],
        "toolConfig": {"tools": [{"toolSpec": {"name": "get_weather", "description": "Weather", "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}}}}}]},
    }}}
    assert route.calls[0].request.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIAEXAMPLECOUNT0001/")


def test_openai_responses_input_tokens() -> None:
    """https://platform.openai.com/docs/api-reference/responses/input-tokens : the Responses request's
    input, instructions and tools; the provider's count wins over the tokenizer."""
    with respx.mock(assert_all_mocked=True) as mock:
        route = mock.post("https://api.openai.com/v1/responses/input_tokens").respond(200, json={"object": "response.input_tokens", "input_tokens": 19})
        count = client().count_tokens("openai-responses:gpt-5.4", MESSAGES, api_key="sk-x")
    assert (count.input_tokens, count.method) == (19, "provider")
    body = sent(route)
    assert (body["model"], body["instructions"]) == ("gpt-5.4", "Be brief.")
    assert [item["role"] for item in body["input"]] == ["user"] and "tools" not in body


def test_bedrock_anthropic_has_no_count_endpoint() -> None:
    """InvokeModel bodies go to CountTokens only base64-encoded: the spec declares no endpoint
    (and does not inherit anthropic's /messages/count_tokens path)."""
    with pytest.raises(UnsupportedOperationError, match="count_tokens"):
        client(AWS_ENV).count_tokens("bedrock-anthropic:anthropic.claude-haiku-4-5-20251001-v1:0", MESSAGES, method="provider")
    assert client(AWS_ENV).count_tokens("bedrock-anthropic:anthropic.claude-haiku-4-5-20251001-v1:0", MESSAGES).method == "estimate"


def test_401_is_an_authentication_error() -> None:
    with respx.mock(assert_all_mocked=True) as mock:
        mock.post("https://api.anthropic.com/v1/messages/count_tokens").respond(401, json={"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}})
        with pytest.raises(AuthenticationError):
            client().count_tokens("anthropic:claude-sonnet-4-5", MESSAGES, api_key="bad")


def test_a_body_without_the_count_is_a_parse_error() -> None:
    with respx.mock(assert_all_mocked=True) as mock:
        mock.post("https://api.anthropic.com/v1/messages/count_tokens").respond(200, json={"tokens": 3})
        with pytest.raises(specwire.ResponseParseError):
            client().count_tokens("anthropic:claude-sonnet-4-5", MESSAGES, api_key="k")


def test_async_httpx() -> None:
    async def run() -> Any:
        async with client() as c:
            return await c.acount_tokens("anthropic:claude-sonnet-4-5", MESSAGES, api_key="k")

    with respx.mock(assert_all_mocked=True) as mock:
        route = mock.post("https://api.anthropic.com/v1/messages/count_tokens").respond(200, json={"input_tokens": 21})
        count = asyncio.run(run())
    assert (count.input_tokens, count.method) == (21, "provider")
    assert sent(route)["messages"] == [{"role": "user", "content": [{"type": "text", "text": "hello world"}]}]


def test_aiohttp_backend_against_a_local_server(json_server: JsonServer) -> None:
    pytest.importorskip("aiohttp")
    json_server.replies = [(200, {"input_tokens": 5})]

    async def run() -> Any:
        async with client(async_backend="aiohttp", base_urls={"anthropic": json_server.url("/v1")}) as c:
            return await c.acount_tokens("anthropic:claude-sonnet-4-5", "hi", api_key="k")

    count = asyncio.run(run())
    assert (count.input_tokens, count.method) == (5, "provider")
    method, path, body, _ = json_server.seen[0]
    assert (method, path, body["messages"]) == ("POST", "/v1/messages/count_tokens", [{"role": "user", "content": [{"type": "text", "text": "hi"}]}])


def test_sync_httpx_against_a_local_server(json_server: JsonServer) -> None:
    json_server.replies = [(200, {"totalTokens": 4})]
    with client(base_urls={"gemini": json_server.url("/v1beta")}) as c:
        count = c.count_tokens("gemini:gemini-2.5-flash", "hi", api_key="k")
    assert count.input_tokens == 4 and json_server.seen[0][1] == "/v1beta/models/gemini-2.5-flash:countTokens"


# ---------------------------------------------------------------------------- tokenizer
def test_tokenizer_count_follows_the_chat_framing() -> None:
    register_encoding("o200k_base", tiny_encoding())
    count = client().count_tokens("openai:gpt-4o", MESSAGES)
    # reply priming 3 + per message 3 × 2 + roles ("system" 6 bytes, "user" 4) + texts ("Be brief." 9
    # bytes, "hello world": hello, " ", wo, rl, d = 5)
    assert (count.method, count.input_tokens, count.exact) == ("tokenizer", 3 + 6 + 6 + 4 + 9 + 5, False)
    named = client().count_tokens("openai:gpt-4o", [{"role": "user", "content": "hello", "name": "hello"}])
    assert named.input_tokens == 3 + 3 + 4 + 1 + (1 + 1)  # priming, message, role, text, per name + name


def test_tokenizer_encoding_follows_the_spec_patterns() -> None:
    tiny = tiny_encoding()
    register_encoding("cl100k_base", tiny)
    assert client().count_tokens("openai:gpt-4-turbo", "hello").method == "tokenizer"  # cl100k_base
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(sys.modules, "tiktoken", None)  # o200k_base is not registered and cannot load
        assert client().count_tokens("openai:gpt-4o", "hello").method == "estimate"


def test_tokenizer_tools_are_approximate_and_said_so() -> None:
    register_encoding("o200k_base", tiny_encoding())
    plain = client().count_tokens("openai:gpt-4o", "hello")
    with_tools = client().count_tokens("openai:gpt-4o", "hello", tools=TOOLS)
    assert with_tools.input_tokens > plain.input_tokens
    assert any(w.kind == "token-estimate" and w.param == "tools" for w in with_tools.warnings)


def test_tokenizer_without_tiktoken_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tiktoken", None)
    with pytest.raises(ConfigError, match=r"specwire\[tokenizers\]"):
        client().count_tokens("openai:gpt-4o", MESSAGES, method="tokenizer")
    auto = client().count_tokens("openai:gpt-4o", MESSAGES)
    assert auto.method == "estimate" and any(w.kind == "token-estimate" for w in auto.warnings)


def test_an_encoding_that_cannot_load_is_a_config_error_once(monkeypatch: pytest.MonkeyPatch) -> None:
    tiktoken = pytest.importorskip("tiktoken")
    calls: list[str] = []

    def offline(name: str) -> Any:
        calls.append(name)
        raise OSError("no network")

    monkeypatch.setattr(tiktoken, "get_encoding", offline)
    for _ in range(2):
        with pytest.raises(ConfigError, match="TIKTOKEN_CACHE_DIR"):
            client().count_tokens("openai:gpt-4o", "hi", method="tokenizer")
    assert calls == ["o200k_base"], "a failed load is not retried on every call"
    register_encoding("o200k_base", tiny_encoding())
    assert client().count_tokens("openai:gpt-4o", "hi", method="tokenizer").method == "tokenizer"


def test_tokenizer_forced_where_the_spec_declares_none() -> None:
    with pytest.raises(UnsupportedOperationError, match="tokenizer"):
        client().count_tokens("anthropic:claude-sonnet-4-5", MESSAGES, method="tokenizer")


# ---------------------------------------------------------------------------- estimate and method=
def test_estimate_is_marked() -> None:
    count = client().count_tokens("groq:llama-3.3-70b-versatile", [{"role": "user", "content": "x" * 41}])
    assert (count.method, count.input_tokens, count.exact) == ("estimate", 11, False)  # ceil(41 / 4)
    assert [w.kind for w in count.warnings if w.kind == "token-estimate"] == ["token-estimate"]


def test_estimate_forced_skips_the_provider() -> None:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        route = mock.post("https://api.anthropic.com/v1/messages/count_tokens").respond(200, json={"input_tokens": 1})
        count = client().count_tokens("anthropic:claude-sonnet-4-5", "x" * 8, method="estimate", api_key="k")
    assert (count.method, count.input_tokens, route.called) == ("estimate", 2, False)


def test_provider_forced_without_an_endpoint() -> None:
    with pytest.raises(UnsupportedOperationError, match="count_tokens"):
        client().count_tokens("openai:gpt-4o", MESSAGES, method="provider")


def test_unknown_method_and_option() -> None:
    with pytest.raises(RequestBuildError, match="method"):
        client().count_tokens("openai:gpt-4o", MESSAGES, method="exact")  # type: ignore[arg-type]
    with pytest.raises(RequestBuildError, match="max_retries"):
        client().count_tokens("openai:gpt-4o", MESSAGES, max_retrys=1)  # type: ignore[call-arg]


def test_module_level_functions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tiktoken", None)
    assert specwire.count_tokens("groq:llama-3.3-70b-versatile", "abcd").input_tokens == 1
    assert asyncio.run(specwire.acount_tokens("groq:llama-3.3-70b-versatile", "abcdefgh")).input_tokens == 2


# ---------------------------------------------------------------------------- the Router
def test_router_tpm_counts_with_the_loaded_tokenizer() -> None:
    """The tpm bucket is taken before the call by the local count (then corrected by the reported
    usage): 200 characters estimate to 50 prompt tokens; once the deployment's tokenizer is loaded
    they count as 200 single-byte tokens plus the chat framing.  The levels are read while the
    call is in flight, on a fake clock (no refill)."""
    from specwire.router import FakeClock, Router

    in_flight: list[float] = []
    routers: list[Router] = []

    def handler(request: httpx.Request) -> httpx.Response:
        in_flight.append(routers[-1].bucket_levels("a")["tpm"])
        return httpx.Response(200, json={"choices": [{"message": {"content": "ok"}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 1, "completion_tokens": 1}})

    def call(prompt: str) -> None:
        config = {"router": {}, "rate_limit": {"default_output_tokens": 10},
                  "deployments": [{"id": "a", "provider": "openai", "model": "gpt-4o", "api_key_env": "OPENAI_API_KEY", "tpm": 10_000}]}
        c = specwire.Client(load_entry_points=False, registry=REGISTRY, env={}, transport=httpx.MockTransport(handler))
        routers.append(Router(config, client=c, clock=FakeClock(), env={"OPENAI_API_KEY": "sk-r"}, registry=REGISTRY))
        assert routers[-1].complete("a", prompt).text == "ok"
        assert routers[-1].bucket_levels("a")["tpm"] == pytest.approx(10_000 - 2), "corrected by the reported usage"

    prompt = "!" * 200  # no merges: one token per byte
    call(prompt)
    register_encoding("o200k_base", tiny_encoding())
    call(prompt)
    assert in_flight == [pytest.approx(10_000 - 50 - 10), pytest.approx(10_000 - (3 + 3 + 4 + 200) - 10)]


def test_a_tokenizer_section_is_checked_by_the_schema(tmp_path: Any) -> None:
    (tmp_path / "tok.yaml").write_text("spec_version: 1\nprovider: tok\nextends: openai\ntokenizer: {library: sentencepiece, encodings: []}\n", encoding="utf-8")
    with pytest.raises(specwire.SpecError):
        SpecRegistry([str(tmp_path)], user_config=False, env={}).get("tok")
