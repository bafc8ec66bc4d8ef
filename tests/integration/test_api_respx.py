"""End-to-end tests of the public library API, with HTTP mocked by respx serving recorded bodies.

What this protects (docs/ARCHITECTURE.md sections 3, 6 and 7; docs/RELIABILITY.md T6/T7):

* ``specwire.complete`` / ``stream`` / ``acomplete`` / ``astream`` and ``specwire.Client(...)``
  send the request each provider expects (URL, auth header with the key read from the environment
  at call time, ``anthropic-version``, body) and turn the recorded provider bodies in
  ``tests/fixtures`` into the final text, tool calls, usage, finish reason and cost of the
  fixture's ``expected`` block, served with the recorded content type and, for the ``body.gz``
  recordings, with ``content-encoding: gzip`` so that real decoding runs;
* the stream event grammar: ``response_start`` first, exactly one terminal ``finish``/``error``
  last, and per part index a start before its deltas before its end;
* cost from the model catalog for a catalog model, ``None`` plus ``cost_reason`` for an unknown one;
* error mapping for complete and stream, sync and async: HTTP 400/401/429/529, ``retry-after``
  and Gemini's ``RetryInfo``, a 302 redirect that is never followed, a missing API key;
  a failing stream yields ``response_start`` then one ``error`` event and raises after it only
  with ``raise_on_error=True``;
* leaving a stream early releases the response;
* the canary API key never shows in ``str``/``repr`` of an error or its ``__cause__``/``__context__``
  chain, nor in the reprs of the client, streams, events and responses.

No test touches the network: every request is answered by a respx route.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import json
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
import yaml

import specwire
import specwire.client as sw_client

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
PROVIDERS_DIR = ROOT / "providers.d"

PROMPT = "What is the capital of the UK?"
SYSTEM = "Answer in one sentence."
MESSAGES = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": PROMPT}]
MAX_OUTPUT = 256

KEY_VARS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY", "gemini": "GEMINI_API_KEY"}
TEST_KEYS = {"openai": "sk-test-openai-4f9a1c77", "anthropic": "sk-ant-test-7b2e9d11", "gemini": "AIza-test-gemini-3c8f55"}
CANARY = "sk-CANARY-123456"

OPENAI_URL = "https://api.openai.com/v1/chat/completions"
ANTHROPIC_URL = "https://api.anthropic.com/v1/messages"
GEMINI_BASE = "https://generativelanguage.googleapis.com/v1beta/models"

SSE_TYPE = "text/event-stream; charset=utf-8"
JSON_TYPE = "application/json; charset=UTF-8"

UNIFIED_FINISH = {
    "stop": "stop", "length": "length", "tool_calls": "tool_calls", "content_filter": "content_filter",
    "end_turn": "stop", "tool_use": "tool_calls", "max_tokens": "length",
    "STOP": "stop", "MAX_TOKENS": "length", "SAFETY": "content_filter",
}


# ---------------------------------------------------------------------------- catalog oracle
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.lru_cache(maxsize=None)
def load_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # noqa: S506 - a safe loader


def _catalog(provider: str) -> list[dict[str, Any]]:
    return list(load_yaml(PROVIDERS_DIR / f"{provider}.yaml").get("models") or [])


def catalog_model(provider: str) -> dict[str, Any]:
    """The first catalog entry with input and output prices and no deprecation (read from the YAML,
    independently of the engine)."""
    for entry in _catalog(provider):
        pricing = entry.get("pricing") or {}
        if pricing.get("input") is not None and pricing.get("output") is not None and not entry.get("deprecated"):
            return entry
    raise AssertionError(f"{provider}.yaml has no priced, non-deprecated model")


def expected_cost(usage: specwire.Usage, pricing: dict[str, Any]) -> float | None:
    """USD from catalog prices per million tokens (no tiers: fixture token counts are small)."""
    cache_read = usage.cache_read_tokens or 0
    cache_write = usage.cache_write_tokens or 0
    needed = {"input": True, "output": True, "cache_read": cache_read > 0, "cache_write": cache_write > 0}
    if any(need and pricing.get(name) is None for name, need in needed.items()):
        return None
    uncached = usage.input_tokens - cache_read - cache_write
    return (
        uncached * pricing["input"]
        + usage.output_tokens * pricing["output"]
        + cache_read * (pricing.get("cache_read") or 0)
        + cache_write * (pricing.get("cache_write") or 0)
    ) / 1e6


def expected_usage(provider: str, usage: dict[str, Any]) -> dict[str, Any]:
    """The fixture's raw-provider usage numbers in specwire's conventions (docs/ARCHITECTURE.md section 3):
    input includes cache reads/writes (Anthropic reports them apart); output includes reasoning
    (Gemini's candidatesTokenCount excludes thoughts); total is input + output when not reported."""
    inp, out = usage.get("input_tokens"), usage.get("output_tokens")
    cache_read = usage.get("cached_input_tokens")
    cache_write = usage.get("cache_creation_input_tokens") if provider == "anthropic" else None
    reasoning = usage.get("reasoning_tokens")
    if provider == "anthropic":
        inp = inp + (cache_read or 0) + (cache_write or 0)
    if provider == "gemini" and reasoning is not None:
        out = (out or 0) + reasoning
    total = usage.get("total_tokens")
    if total is None and inp is not None and out is not None:
        total = inp + out
    return {
        "input_tokens": inp,
        "output_tokens": out,
        "cache_read_tokens": cache_read,
        "cache_write_tokens": cache_write,
        "reasoning_tokens": reasoning,
        "total_tokens": total,
    }


# ---------------------------------------------------------------------------- fixtures
@dataclass(frozen=True)
class Case:
    fixture: str  # "<provider>/<case>"
    body: str
    stream: bool
    stream_mode: str | None = None
    gzip: bool = False

    @property
    def provider(self) -> str:
        return self.fixture.split("/")[0]

    @property
    def folder(self) -> Path:
        return FIXTURES / self.fixture

    @property
    def expected(self) -> dict[str, Any]:
        return load_yaml(self.folder / "case.yaml")["expected"]

    def headers(self) -> dict[str, str]:
        sse = self.body.endswith(".sse") or (self.gzip and self.provider == "anthropic")
        headers = {"content-type": SSE_TYPE if sse else JSON_TYPE}
        if self.gzip:
            headers["content-encoding"] = "gzip"
        return headers

    def content(self) -> bytes:
        data = (self.folder / self.body).read_bytes()
        if self.gzip:
            assert data[:2] == b"\x1f\x8b", f"{self.body} is not gzip data"
        return data


CASES = [
    Case("openai/chat-stream-text-usage-final-chunk", "stream.sse", True),
    Case("openai/chat-stream-tool-call-args-split", "stream.sse", True),
    Case("openai/chat-json-tool-calls", "response.json", False),
    Case("anthropic/stream-gzip-tool-use-empty-input", "body.gz", True, gzip=True),
    Case("anthropic/stream-text-then-tool-use", "stream.sse", True),
    Case("anthropic/json-parallel-tool-calls", "response.json", False),
    Case("gemini/jsonarray-thoughts-text-gzip", "body.gz", True, gzip=True),
    Case("gemini/jsonarray-function-call-thought-signature", "body.gz", True, gzip=True),
    Case("gemini/sse-text-crlf", "stream.sse", True, stream_mode="sse"),
    Case("gemini/json-generate-content", "response.json", False),
]


def expected_url(provider: str, model: str, *, stream: bool, stream_mode: str | None = None) -> str:
    if provider == "openai":
        return OPENAI_URL
    if provider == "anthropic":
        return ANTHROPIC_URL
    if not stream:
        return f"{GEMINI_BASE}/{model}:generateContent"
    return f"{GEMINI_BASE}/{model}:streamGenerateContent" + ("?alt=sse" if stream_mode == "sse" else "")


@pytest.fixture(autouse=True)
def _fresh_default_client() -> Iterator[None]:
    """The module-level functions share a process-wide client: start each test without one and
    close whatever a test created, so no pool or state leaks between tests."""
    saved = sw_client._default_client
    sw_client._default_client = None
    yield
    client = sw_client._default_client
    sw_client._default_client = saved
    if client is not None:
        client.close()


@pytest.fixture(scope="session")
def empty_ca_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("empty-ca")


@pytest.fixture(autouse=True)
def _empty_trust_store(monkeypatch: pytest.MonkeyPatch, empty_ca_dir: Path) -> None:
    """No TLS happens under respx.  httpx builds an SSL context per client from the certifi bundle
    (~80 ms each); an empty CA folder makes that free, and no real TLS handshake could succeed."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.setenv("SSL_CERT_DIR", str(empty_ca_dir))


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for provider, var in KEY_VARS.items():
        monkeypatch.setenv(var, TEST_KEYS[provider])
    return dict(TEST_KEYS)


@pytest.fixture
def canary_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in KEY_VARS.values():
        monkeypatch.setenv(var, CANARY)


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield router


def arun(fn: Callable[[], Any]) -> Any:
    """Run an async test body on a fresh loop; close the default client's pool of that loop."""

    async def main() -> Any:
        try:
            return await fn()
        finally:
            client = sw_client._default_client
            if client is not None:
                await client.aclose()

    return asyncio.run(main())


# ---------------------------------------------------------------------------- calling helpers
@dataclass
class Outcome:
    events: list[Any] | None = None  # None for complete/acomplete
    response: Any = None
    error: BaseException | None = None
    stream_obj: Any = None
    extra_reprs: list[str] = field(default_factory=list)


def _drain_sync(st: Any) -> Outcome:
    out = Outcome(events=[], stream_obj=st)
    try:
        for event in st:
            out.events.append(event)
    except Exception as exc:  # noqa: BLE001 - inspected by the caller
        out.error = exc
    return out


async def _drain_async(st: Any) -> Outcome:
    out = Outcome(events=[], stream_obj=st)
    try:
        async for event in st:
            out.events.append(event)
    except Exception as exc:  # noqa: BLE001
        out.error = exc
    return out


def call(api: str, flavor: str, model_ref: str, *, stream: bool, stream_mode: str | None = None, raise_on_error: bool = True, **options: Any) -> Outcome:
    """One call through the public API.  ``api``: ``module`` (specwire.complete & co.) or ``client``
    (a ``specwire.Client`` used as a context manager); ``flavor``: ``sync`` or ``async``.
    Errors are caught and returned in ``Outcome.error``."""
    stream_kw: dict[str, Any] = {"raise_on_error": raise_on_error}
    if stream_mode:
        stream_kw["stream_mode"] = stream_mode

    def sync_body(target: Any) -> Outcome:
        if stream:
            return _drain_sync(target.stream(model_ref, MESSAGES, **stream_kw, **options))
        try:
            return Outcome(response=target.complete(model_ref, MESSAGES, **options))
        except Exception as exc:  # noqa: BLE001
            return Outcome(error=exc)

    async def async_body(target: Any) -> Outcome:
        if stream:
            return await _drain_async(target.astream(model_ref, MESSAGES, **stream_kw, **options))
        try:
            return Outcome(response=await target.acomplete(model_ref, MESSAGES, **options))
        except Exception as exc:  # noqa: BLE001
            return Outcome(error=exc)

    if flavor == "sync":
        if api == "module":
            return sync_body(specwire)
        with specwire.Client() as client:
            out = sync_body(client)
            out.extra_reprs.append(repr(client))
            return out

    async def run() -> Outcome:
        if api == "module":
            return await async_body(specwire)
        async with specwire.Client() as client:
            out = await async_body(client)
            out.extra_reprs.append(repr(client))
            return out

    return arun(run)


def final_response(out: Outcome) -> Any:
    assert out.error is None, f"unexpected error: {out.error!r}"
    if out.events is None:
        return out.response
    last = out.events[-1]
    assert last.type == "finish"
    assert out.stream_obj.response is last.response
    return last.response


# ---------------------------------------------------------------------------- grammar
_PART_KINDS = ("text", "reasoning", "tool_call")


def check_grammar(events: list[Any], *, provider: str, model: str) -> None:
    """response_start first; exactly one terminal (finish|error), last; per index one start, then
    deltas, then one end, of a single kind; on finish every part is closed, the indexes are the
    positions in Response.parts and the deltas add up to the finished parts."""
    types = [e.type for e in events]
    assert types and types[0] == "response_start", types
    assert events[0].provider == provider and events[0].model == model
    assert [i for i, t in enumerate(types) if t in ("finish", "error")] == [len(types) - 1], types
    assert types.count("response_start") == 1, types
    state: dict[int, list[str]] = {}
    deltas: dict[int, list[str]] = {}
    ends: dict[int, Any] = {}
    for event in events[1:-1]:
        if event.type in ("usage", "warning"):
            continue
        kind, _, phase = event.type.rpartition("_")
        assert kind in _PART_KINDS and phase in ("start", "delta", "end"), event.type
        if phase == "start":
            assert event.index not in state, f"second start for index {event.index}: {types}"
            state[event.index] = [kind, "open"]
            deltas[event.index] = []
            continue
        assert event.index in state, f"{event.type} before {kind}_start for index {event.index}: {types}"
        assert state[event.index] == [kind, "open"], f"{event.type} for index {event.index} in state {state[event.index]}: {types}"
        if phase == "delta":
            assert isinstance(event.delta, str)
            deltas[event.index].append(event.delta)
        else:
            state[event.index][1] = "closed"
            ends[event.index] = event.part
    if types[-1] != "finish":
        return
    response = events[-1].response
    assert all(phase == "closed" for _, phase in state.values()), state
    assert sorted(state) == list(range(len(response.parts))), (sorted(state), len(response.parts))
    for index, (kind, _) in state.items():
        part = response.parts[index]
        assert ends[index] == part
        joined = "".join(deltas[index])
        if kind == "text":
            assert part.type == "text" and joined == part.text
        elif kind == "reasoning":
            assert part.type == "reasoning" and joined == part.text
        else:
            assert part.type == "tool_call"
            if joined:
                assert json.loads(joined) == part.arguments
    assert response.text == "".join(p.text for p in response.parts if p.type == "text")
    assert response.tool_calls == [p for p in response.parts if p.type == "tool_call"]


def check_against_expected(response: Any, case: Case, model: dict[str, Any]) -> None:
    exp = case.expected
    assert response.provider == case.provider
    assert response.text == exp["text"]
    assert response.reasoning == exp["reasoning"]
    assert [c.tool_name for c in response.tool_calls] == [c["name"] for c in exp["tool_calls"]]
    for got, want in zip(response.tool_calls, exp["tool_calls"]):
        assert got.arguments == want["arguments_json"]
        if want.get("id") is not None:
            assert got.tool_call_id == want["id"]
        else:  # Gemini sends no call ids: the engine makes one up, so that tool results can refer to it
            assert got.tool_call_id
        if got.arguments_text is not None and "arguments" in want:
            assert got.arguments_text == want["arguments"]
    assert response.finish_reason is not None
    assert response.finish_reason.raw == exp["finish_reason"]
    unified = UNIFIED_FINISH[exp["finish_reason"]]
    if exp["finish_reason"] == "STOP" and exp["tool_calls"]:
        unified = "tool_calls"  # Gemini says STOP after function calls too
    assert response.finish_reason.unified == unified
    usage = response.usage
    assert usage is not None
    want = expected_usage(case.provider, exp["usage"])
    assert usage.model_dump(include=set(want)) == want  # the finer counts: tests/unit/test_usage_fields.py
    assert usage.raw == exp["usage"]["raw"]
    cost = expected_cost(usage, model["pricing"])
    assert cost is not None, "pick a fixture whose usage the catalog prices cover"
    assert response.cost is not None, response.cost_reason
    assert response.cost_reason is None
    assert response.cost.total == pytest.approx(cost, rel=1e-9)
    parts_sum = response.cost.input + response.cost.output + response.cost.cache_read + response.cost.cache_write
    assert response.cost.total == pytest.approx(parts_sum, rel=1e-9)


def check_request(request: httpx.Request, case: Case, model_id: str, key: str) -> None:
    provider = case.provider
    assert request.method == "POST"
    assert str(request.url) == expected_url(provider, model_id, stream=case.stream, stream_mode=case.stream_mode)
    headers = request.headers
    assert headers["content-type"].startswith("application/json")
    body = json.loads(request.content)
    if provider == "openai":
        assert headers["authorization"] == f"Bearer {key}"
        assert "x-api-key" not in headers
        assert body["model"] == model_id
        assert body["messages"][-1] == {"role": "user", "content": PROMPT}
        assert body["max_completion_tokens"] == MAX_OUTPUT
        if case.stream:
            assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
        else:
            assert "stream" not in body
    elif provider == "anthropic":
        assert headers["authorization"] == f"Bearer {key}"
        assert headers["anthropic-version"] == "2026-10-21"
        assert "x-api-key" not in headers
        assert body["model"] == model_id
        assert body["system"] == [{"type": "text", "text": SYSTEM}]
        assert body["messages"] == [{"role": "user", "content": [{"type": "text", "text": PROMPT}]}]
        assert body["max_tokens"] == MAX_OUTPUT
        assert body.get("stream", False) is case.stream
    else:
        assert headers["x-goog-api-key"] == key
        assert "authorization" not in headers
        assert "key" not in request.url.params
        assert body["contents"] == [{"role": "user", "parts": [{"text": PROMPT}]}]
        assert body["systemInstruction"] == {"parts": [{"text": SYSTEM}]}
        assert body["generationConfig"]["maxOutputTokens"] == MAX_OUTPUT
    if case.stream and (provider != "gemini" or case.stream_mode == "sse"):
        assert headers["accept"] == "text/event-stream"


# ---------------------------------------------------------------------------- happy paths
@pytest.mark.parametrize("flavor", ["sync", "async"])
@pytest.mark.parametrize("api", ["module", "client"])
@pytest.mark.parametrize("case", CASES, ids=[f"{c.fixture}:{c.body}" for c in CASES])
def test_recorded_body_end_to_end(case: Case, api: str, flavor: str, keys: dict[str, str], mock: respx.MockRouter) -> None:
    model = catalog_model(case.provider)
    route = mock.route().respond(200, headers=case.headers(), content=case.content())
    out = call(api, flavor, f"{case.provider}:{model['id']}", stream=case.stream, stream_mode=case.stream_mode, max_output_tokens=MAX_OUTPUT)
    assert route.call_count == 1
    check_request(route.calls.last.request, case, model["id"], keys[case.provider])
    response = final_response(out)
    if out.events is not None:
        check_grammar(out.events, provider=case.provider, model=model["id"])
        assert not [e for e in out.events if e.type == "warning"], "a catalog model must not warn"
    check_against_expected(response, case, model)
    assert response.warnings == []


@pytest.mark.parametrize("flavor", ["sync", "async"])
@pytest.mark.parametrize("case", [c for c in CASES if c.fixture in ("openai/chat-json-tool-calls", "anthropic/stream-text-then-tool-use", "gemini/sse-text-crlf")], ids=lambda c: c.provider)
def test_unknown_model_is_sent_as_given_with_no_cost(case: Case, flavor: str, keys: dict[str, str], mock: respx.MockRouter) -> None:
    unknown = "zz-not-in-any-catalog-9"
    route = mock.route().respond(200, headers=case.headers(), content=case.content())
    out = call("module", flavor, f"{case.provider}:{unknown}", stream=case.stream, stream_mode=case.stream_mode, max_output_tokens=MAX_OUTPUT)
    check_request(route.calls.last.request, case, unknown, keys[case.provider])
    response = final_response(out)
    assert response.usage is not None and response.usage.input_tokens is not None
    assert response.cost is None
    assert response.cost_reason and unknown in response.cost_reason
    assert [w.kind for w in response.warnings] == ["unknown-model"]
    if out.events is not None:
        check_grammar(out.events, provider=case.provider, model=unknown)
        assert [e.warning.kind for e in out.events if e.type == "warning"] == ["unknown-model"]
        assert out.events[1].type == "warning"  # request warnings come right after response_start


def test_gemini_sse_mode_reaches_alt_sse_url(keys: dict[str, str], mock: respx.MockRouter) -> None:
    """stream_mode='sse' switches Gemini to `?alt=sse` with SSE framing; the default stream mode
    (JSON array) served that SSE body must not parse as the same events."""
    case = next(c for c in CASES if c.stream_mode == "sse")
    model = catalog_model("gemini")["id"]
    route = mock.route().respond(200, headers=case.headers(), content=case.content())
    out = call("module", "sync", f"gemini:{model}", stream=True, stream_mode="sse")
    request = route.calls.last.request
    assert request.url.params["alt"] == "sse"
    assert request.url.path == f"/v1beta/models/{model}:streamGenerateContent"
    assert final_response(out).text == case.expected["text"]
    wrong = call("module", "sync", f"gemini:{model}", stream=True, raise_on_error=False)
    assert "alt" not in route.calls.last.request.url.params
    assert wrong.events is not None and wrong.events[-1].type == "error"


def test_gemini_key_falls_back_to_google_api_key(monkeypatch: pytest.MonkeyPatch, mock: respx.MockRouter) -> None:
    monkeypatch.setenv("GOOGLE_API_KEY", "AIza-google-fallback-77")
    case = next(c for c in CASES if c.fixture == "gemini/json-generate-content")
    route = mock.route().respond(200, headers=case.headers(), content=case.content())
    response = specwire.complete(f"gemini:{catalog_model('gemini')['id']}", "hi")
    assert route.calls.last.request.headers["x-goog-api-key"] == "AIza-google-fallback-77"
    assert response.text == case.expected["text"]


def test_key_precedence_argument_then_client_then_env(keys: dict[str, str], mock: respx.MockRouter) -> None:
    case = next(c for c in CASES if c.fixture == "openai/chat-json-tool-calls")
    route = mock.route().respond(200, headers=case.headers(), content=case.content())
    ref = f"openai:{catalog_model('openai')['id']}"
    with specwire.Client(api_keys={"openai": "sk-from-client-123"}) as client:
        client.complete(ref, "hi")
        assert route.calls.last.request.headers["authorization"] == "Bearer sk-from-client-123"
        client.complete(ref, "hi", api_key="sk-from-argument-456")
        assert route.calls.last.request.headers["authorization"] == "Bearer sk-from-argument-456"
    specwire.complete(ref, "hi")
    assert route.calls.last.request.headers["authorization"] == f"Bearer {keys['openai']}"


def test_default_client_reads_env_at_call_time(monkeypatch: pytest.MonkeyPatch, mock: respx.MockRouter) -> None:
    case = next(c for c in CASES if c.fixture == "openai/chat-json-tool-calls")
    route = mock.route().respond(200, headers=case.headers(), content=case.content())
    ref = f"openai:{catalog_model('openai')['id']}"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-first-key-1111")
    specwire.complete(ref, "hi")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-second-key-2222")
    specwire.complete(ref, "hi")
    assert [c.request.headers["authorization"] for c in route.calls] == ["Bearer sk-first-key-1111", "Bearer sk-second-key-2222"]


# ---------------------------------------------------------------------------- errors
@dataclass(frozen=True)
class ErrorScenario:
    provider: str
    status: int
    body: bytes
    error_class: type
    check: Callable[[Any], None]
    headers: dict[str, str] = field(default_factory=dict)


def _fixture_bytes(rel: str) -> bytes:
    return (FIXTURES / rel).read_bytes()


def _check_openai_400(e: Any) -> None:
    exp = load_yaml(FIXTURES / "openai/chat-error-400-unsupported-value/case.yaml")["expected"]["error"]
    assert (e.code, e.param, e.error_type, e.message) == (exp["code"], exp["param"], exp["type"], exp["message"])
    assert e.body == exp["raw"]


def _check_anthropic_400(e: Any) -> None:
    exp = load_yaml(FIXTURES / "anthropic/error-400-invalid-request/case.yaml")["expected"]["error"]
    assert (e.error_type, e.message, e.request_id) == (exp["type"], exp["message"], exp["request_id"])


def _check_gemini_429(e: Any) -> None:
    assert e.retry_after == pytest.approx(34.4)
    assert e.error_type == "RESOURCE_EXHAUSTED"
    assert e.code == 429


def _check_openai_401(e: Any) -> None:
    assert e.code == "invalid_api_key"
    assert e.error_type == "invalid_request_error"


def _check_openai_429(e: Any) -> None:
    assert e.retry_after == 7
    assert e.code == "rate_limit_exceeded"
    assert e.request_id == "req_rl_7"


def _check_anthropic_529(e: Any) -> None:
    assert e.error_type == "overloaded_error"
    assert e.message == "Overloaded"
    assert e.request_id == "req_overloaded_1"


OPENAI_401 = json.dumps({"error": {"message": "Incorrect API key provided: sk-CANA*****3456. You can find your API key at https://platform.openai.com/account/api-keys.", "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}}).encode()
OPENAI_429 = json.dumps({"error": {"message": "Rate limit reached for requests", "type": "requests", "param": None, "code": "rate_limit_exceeded"}}).encode()
ANTHROPIC_529 = json.dumps({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}, "request_id": "req_overloaded_1"}).encode()

ERRORS = {
    "openai-400-fixture": ErrorScenario("openai", 400, _fixture_bytes("openai/chat-error-400-unsupported-value/response.json"), specwire.BadRequestError, check=_check_openai_400),
    "openai-401": ErrorScenario("openai", 401, OPENAI_401, specwire.AuthenticationError, check=_check_openai_401),
    "openai-429-retry-after": ErrorScenario("openai", 429, OPENAI_429, specwire.RateLimitError, check=_check_openai_429, headers={"retry-after": "7", "x-request-id": "req_rl_7"}),
    "anthropic-400-fixture": ErrorScenario("anthropic", 400, _fixture_bytes("anthropic/error-400-invalid-request/response.json"), specwire.BadRequestError, check=_check_anthropic_400),
    "anthropic-529": ErrorScenario("anthropic", 529, ANTHROPIC_529, specwire.OverloadedError, check=_check_anthropic_529),
    "gemini-429-fixture": ErrorScenario("gemini", 429, _fixture_bytes("gemini/error-429-resource-exhausted-retryinfo/response.json"), specwire.RateLimitError, check=_check_gemini_429),
}

# (label, flavor, stream, raise_on_error)
MODES = [
    ("complete", "sync", False, True),
    ("acomplete", "async", False, True),
    ("stream-raise", "sync", True, True),
    ("stream-events-only", "sync", True, False),
    ("astream-raise", "async", True, True),
    ("astream-events-only", "async", True, False),
]
MODE_IDS = [m[0] for m in MODES]


def check_failed_call(out: Outcome, error_class: type, raise_on_error: bool) -> BaseException:
    """The error of a failed call, after checking how it surfaced."""
    if out.events is None:  # complete / acomplete
        assert isinstance(out.error, error_class), repr(out.error)
        return out.error
    types = [e.type for e in out.events]
    assert types[0] == "response_start" and types[-1] == "error", types
    assert set(types[1:-1]) <= {"warning"}, types
    error = out.events[-1].error
    assert isinstance(error, error_class), repr(error)
    assert out.stream_obj.error is error
    assert out.stream_obj.response is None
    partial = out.events[-1].response
    assert partial.finish_reason is not None and partial.finish_reason.unified == "error"
    if raise_on_error:
        assert out.error is error, "the stream must raise the error of its error event, after yielding it"
    else:
        assert out.error is None, f"raise_on_error=False must only yield: {out.error!r}"
    return error


@pytest.mark.parametrize(("label", "flavor", "stream", "raise_on_error"), MODES, ids=MODE_IDS)
@pytest.mark.parametrize("name", list(ERRORS))
def test_http_error_maps_to_class(name: str, label: str, flavor: str, stream: bool, raise_on_error: bool, keys: dict[str, str], mock: respx.MockRouter) -> None:
    sc = ERRORS[name]
    route = mock.route().respond(sc.status, headers={"content-type": "application/json", **sc.headers}, content=sc.body)
    out = call("module", flavor, f"{sc.provider}:{catalog_model(sc.provider)['id']}", stream=stream, raise_on_error=raise_on_error)
    error = check_failed_call(out, sc.error_class, raise_on_error)
    if sc.status in (400, 401):
        assert route.call_count == 1, "a 400/401 is never retried"
    else:  # 429/529 are retryable (docs/RELIABILITY.md section 1); a retry must still end in this error
        assert route.call_count >= 1
    assert error.status == sc.status
    assert error.provider == sc.provider
    assert error.in_stream is False
    assert keys[sc.provider] not in str(error) and keys[sc.provider] not in repr(error)
    sc.check(error)


@pytest.mark.parametrize(("label", "flavor", "stream", "raise_on_error"), MODES, ids=MODE_IDS)
@pytest.mark.parametrize("provider", list(KEY_VARS))
def test_redirect_is_never_followed(provider: str, label: str, flavor: str, stream: bool, raise_on_error: bool, keys: dict[str, str], mock: respx.MockRouter) -> None:
    sink = mock.route(host="collector.evil.example")
    sink.respond(200, json={"ok": True})
    api = mock.route(host__in=("api.openai.com", "api.anthropic.com", "generativelanguage.googleapis.com"))
    api.respond(302, headers={"location": "https://collector.evil.example/v1/steal?from=specwire"})
    out = call("module", flavor, f"{provider}:{catalog_model(provider)['id']}", stream=stream, raise_on_error=raise_on_error)
    error = check_failed_call(out, specwire.RedirectError, raise_on_error)
    assert api.call_count == 1
    assert sink.call_count == 0, "the redirect target must receive nothing"
    assert len(mock.calls) == 1
    assert error.status == 302
    assert "collector.evil.example" in str(error)
    for text in (str(error), repr(error), error.message):
        assert keys[provider] not in text


@pytest.mark.parametrize("flavor", ["sync", "async"])
@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
@pytest.mark.parametrize("provider", list(KEY_VARS))
def test_missing_api_key_is_config_error_naming_the_variable(provider: str, stream: bool, flavor: str, mock: respx.MockRouter) -> None:
    """No key in the environment: ConfigError naming the variable(s), and nothing is sent.  The
    error is raised by the call itself (complete) or by creating the stream (stream/astream): the
    key is resolved before any event, even with raise_on_error=False."""
    route = mock.route().respond(200, json={})
    ref = f"{provider}:{catalog_model(provider)['id']}"

    def sync_call() -> None:
        if stream:
            specwire.stream(ref, "hi", raise_on_error=False)
        else:
            specwire.complete(ref, "hi")

    async def async_call() -> None:
        if stream:
            specwire.astream(ref, "hi", raise_on_error=False)
        else:
            await specwire.acomplete(ref, "hi")

    with pytest.raises(specwire.ConfigError) as info:
        if flavor == "sync":
            sync_call()
        else:
            arun(async_call)
    message = str(info.value)
    assert KEY_VARS[provider] in message
    if provider == "gemini":
        assert "GOOGLE_API_KEY" in message
    assert route.call_count == 0


def test_in_band_stream_error_after_content_keeps_partial(keys: dict[str, str], mock: respx.MockRouter) -> None:
    """An Anthropic `event: error` after some text: error event with the partial text; the status
    200 and in_stream=True are kept."""
    body = (
        b'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[],"stop_reason":null,"usage":{"input_tokens":5,"output_tokens":1}}}\n\n'
        b'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n'
        b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}\n\n'
        b'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n'
    )
    mock.route().respond(200, headers={"content-type": SSE_TYPE}, content=body)
    out = call("module", "sync", f"anthropic:{catalog_model('anthropic')['id']}", stream=True, raise_on_error=False)
    assert out.events is not None and out.error is None
    check_grammar(out.events, provider="anthropic", model=catalog_model("anthropic")["id"])
    error = out.events[-1].error
    assert isinstance(error, specwire.OverloadedError)
    assert error.status == 200 and error.in_stream is True
    assert out.events[-1].response.text == "Hello"
    assert error.partial is not None and error.partial.text == "Hello"


# ---------------------------------------------------------------------------- early exit
class TrackingStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body served chunk by chunk that records whether it was closed."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.sent = 0
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            self.sent += 1
            yield chunk

    async def __aiter__(self) -> Any:
        for chunk in self.chunks:
            self.sent += 1
            yield chunk
            # a network body arrives over time: the async API's reader task reads ahead of its
            # consumer (specwire.aio.ReadAhead) only as far as the body has arrived
            await asyncio.sleep(0)

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


def _sse_chunks() -> list[bytes]:
    body = (FIXTURES / "openai/chat-stream-text-usage-final-chunk/stream.sse").read_bytes()
    return [event + b"\n\n" for event in body.split(b"\n\n") if event]


@pytest.fixture
def tracked(keys: dict[str, str], mock: respx.MockRouter) -> tuple[list[TrackingStream], respx.Route]:
    bodies: list[TrackingStream] = []

    def respond(request: httpx.Request) -> httpx.Response:
        body = TrackingStream(_sse_chunks())
        bodies.append(body)
        return httpx.Response(200, headers={"content-type": SSE_TYPE}, stream=body)

    route = mock.route().mock(side_effect=respond)
    return bodies, route


def _ref() -> str:
    return f"openai:{catalog_model('openai')['id']}"


def test_break_closes_response_sync(tracked: tuple[list[TrackingStream], respx.Route]) -> None:
    bodies, route = tracked
    st = specwire.stream(_ref(), "hi")
    seen = []
    for event in st:
        seen.append(event.type)
        if event.type == "text_delta":
            break
    assert route.call_count == 1
    assert bodies[0].closed, "leaving the loop must close the response"
    assert bodies[0].sent < len(bodies[0].chunks), "the body was not read to the end"
    assert st.response is None and st.error is None
    assert list(st) == [], "a closed stream yields nothing more"
    gc.collect()


def test_with_block_closes_response_sync(tracked: tuple[list[TrackingStream], respx.Route]) -> None:
    bodies, _ = tracked
    with specwire.stream(_ref(), "hi") as st:
        for event in st:
            if event.type == "text_delta":
                break
    assert bodies[0].closed
    with specwire.Client() as client:
        with client.stream(_ref(), "hi") as st:
            events = iter(st)
            assert next(events).type == "response_start"
            assert next(events).type == "text_start"
    assert bodies[1].closed
    gc.collect()


def test_unstarted_stream_sends_nothing(tracked: tuple[list[TrackingStream], respx.Route]) -> None:
    _, route = tracked
    st = specwire.stream(_ref(), "hi")
    st.close()
    assert list(st) == []

    async def body() -> None:
        ast = specwire.astream(_ref(), "hi")
        await ast.aclose()

    arun(body)
    assert route.call_count == 0
    gc.collect()


def test_async_with_block_closes_response(tracked: tuple[list[TrackingStream], respx.Route]) -> None:
    bodies, _ = tracked

    async def body() -> None:
        async with specwire.astream(_ref(), "hi") as st:
            async for event in st:
                if event.type == "text_delta":
                    break
        assert bodies[0].closed, "leaving `async with` must close the response"
        st2 = specwire.astream(_ref(), "hi")
        async for event in st2:
            if event.type == "text_delta":
                break
        await st2.aclose()
        assert bodies[1].closed, "aclose() must close the response"
        assert st2.response is None

    arun(body)
    gc.collect()


def test_async_break_closes_response_by_loop_end(tracked: tuple[list[TrackingStream], respx.Route]) -> None:
    """A bare `break` out of `async for` leaves the async generator to the loop's finalizer
    (Python semantics); the response must be closed by the time the loop is done."""
    bodies, _ = tracked

    async def body() -> None:
        async for event in specwire.astream(_ref(), "hi"):
            if event.type == "text_delta":
                break

    arun(body)
    assert bodies[0].closed
    assert bodies[0].sent < len(bodies[0].chunks)
    gc.collect()


def test_full_stream_closes_response(tracked: tuple[list[TrackingStream], respx.Route]) -> None:
    bodies, _ = tracked
    assert specwire.stream(_ref(), "hi").until_done().text == "The capital of the UK is London."
    assert bodies[0].closed

    async def body() -> str:
        return await specwire.astream(_ref(), "hi").until_done()

    assert arun(body).text == "The capital of the UK is London."
    assert bodies[1].closed
    gc.collect()


# ---------------------------------------------------------------------------- canary
def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [error]
    while todo:
        exc = todo.pop()
        if exc is None or any(exc is s for s in seen):
            continue
        seen.append(exc)
        todo.extend([exc.__cause__, exc.__context__])
    return seen


def _request_texts(exc: BaseException) -> list[str]:
    """URL and headers of an httpx request riding on an exception, if any."""
    try:
        request = exc.request  # type: ignore[attr-defined]
    except (AttributeError, RuntimeError):
        return []
    if not isinstance(request, httpx.Request):
        return []
    return [str(request.url), *(f"{k}: {v}" for k, v in request.headers.items())]


def assert_no_canary(out: Outcome) -> None:
    texts: list[str] = list(out.extra_reprs)
    if out.error is not None:
        for exc in _chain(out.error):
            texts += [str(exc), repr(exc), *map(repr, exc.args), *_request_texts(exc)]
            partial = getattr(exc, "partial", None)
            if partial is not None:
                texts.append(repr(partial))
        texts.append("".join(traceback.format_exception(out.error)))
    if out.events is not None:
        texts += [repr(e) for e in out.events]
        texts += [repr(out.stream_obj), repr(out.stream_obj.error), repr(out.stream_obj.response)]
        last = out.events[-1] if out.events else None
        if last is not None and last.type == "error":
            for exc in _chain(last.error):
                texts += [str(exc), repr(exc), *_request_texts(exc)]
    if out.response is not None:
        texts.append(repr(out.response))
    texts.append(repr(sw_client._default_client))
    leaks = [t for t in texts if CANARY in t]
    assert not leaks, f"the canary key leaked into: {leaks[:3]}"


Installer = Callable[[respx.MockRouter], object]


def _serve(status: int, headers: dict[str, str], content: bytes = b"") -> Installer:
    return lambda router: router.route().respond(status, headers=headers, content=content)


def _canary_scenarios() -> dict[str, tuple[str, Installer]]:
    """Every error path, with the canary as the API key; some servers even echo it back."""
    echo = json.dumps({"error": {"message": f"Incorrect API key provided: {CANARY}; see https://x.example/?key={CANARY}", "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}}).encode()
    inband = b'data: {"id":"c1","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n' + b'data: {"error":{"message":"key ' + CANARY.encode() + b' rejected","type":"server_error"}}\n\n'
    out: dict[str, tuple[str, Installer]] = {
        name: (sc.provider, _serve(sc.status, {"content-type": "application/json", **sc.headers}, sc.body)) for name, sc in ERRORS.items()
    }
    out["openai-401-echoes-key"] = ("openai", _serve(401, {"content-type": "application/json"}, echo))
    out["redirect-location-carries-key"] = ("gemini", _serve(302, {"location": f"https://{CANARY}.evil.example/{CANARY}?key={CANARY}"}))
    out["openai-inband-error-echoes-key"] = ("openai", _serve(200, {"content-type": SSE_TYPE}, inband))
    out["transport-error-connection-refused"] = ("anthropic", _raise_on_send("[Errno 111] Connection refused"))
    out["transport-error-echoes-key"] = ("gemini", _raise_on_send(f"proxy refused the request: x-goog-api-key: {CANARY}"))
    return out


def _raise_on_send(message: str) -> Installer:
    """A connection failure; httpx attaches the request (with its auth header) to the exception."""

    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(message, request=request)

    return lambda router: router.route().mock(side_effect=fail)


CANARY_SCENARIOS = _canary_scenarios()


# complete and stream, sync and async, both raise_on_error values (the error objects are the same).
CANARY_MODES = [m for m in MODES if m[0] in ("complete", "acomplete", "stream-raise", "astream-events-only")]


@pytest.mark.parametrize(("label", "flavor", "stream", "raise_on_error"), CANARY_MODES, ids=[m[0] for m in CANARY_MODES])
@pytest.mark.parametrize("name", list(CANARY_SCENARIOS))
def test_canary_key_never_leaks(name: str, label: str, flavor: str, stream: bool, raise_on_error: bool, canary_keys: None, mock: respx.MockRouter) -> None:
    provider, install = CANARY_SCENARIOS[name]
    install(mock)
    out = call("module", flavor, f"{provider}:{catalog_model(provider)['id']}", stream=stream, raise_on_error=raise_on_error)
    failed = out.error if out.events is None else out.events[-1].error
    assert isinstance(failed, specwire.SpecwireError), f"the scenario must fail: {failed!r}"
    assert_no_canary(out)


@pytest.mark.parametrize("flavor", ["sync", "async"])
def test_canary_key_never_leaks_through_client(flavor: str, canary_keys: None, mock: respx.MockRouter) -> None:
    """The same through an explicit Client: its repr is checked while it is open."""
    for name in ("openai-401-echoes-key", "redirect-location-carries-key", "openai-inband-error-echoes-key"):
        provider, install = CANARY_SCENARIOS[name]
        install(mock)
        for stream in (False, True):
            out = call("client", flavor, f"{provider}:{catalog_model(provider)['id']}", stream=stream)
            assert out.error is not None and out.extra_reprs
            assert_no_canary(out)


def test_canary_not_in_client_or_success_reprs(canary_keys: None, mock: respx.MockRouter) -> None:
    case = next(c for c in CASES if c.fixture == "openai/chat-stream-text-usage-final-chunk")
    route = mock.route().respond(200, headers=case.headers(), content=case.content())
    for api in ("module", "client"):
        for flavor in ("sync", "async"):
            out = call(api, flavor, f"openai:{catalog_model('openai')['id']}", stream=True)
            assert out.error is None
            assert_no_canary(out)
    assert route.calls.last.request.headers["authorization"] == f"Bearer {CANARY}"  # it was used
    with specwire.Client(api_keys={"openai": CANARY}) as client:
        assert CANARY not in repr(client) and CANARY not in str(client)
        assert CANARY not in repr(vars(client))


def test_canary_not_in_error_body_attribute(canary_keys: None, mock: respx.MockRouter) -> None:
    """docs/RELIABILITY.md section 2: APIStatusError.body is kept *redacted*; a server echoing the key
    in its error body must not hand the key back to whoever logs ``error.body``."""
    provider, install = CANARY_SCENARIOS["openai-401-echoes-key"]
    install(mock)
    with pytest.raises(specwire.AuthenticationError) as info:
        specwire.complete(f"{provider}:{catalog_model(provider)['id']}", "hi")
    assert info.value.body is not None
    assert CANARY not in json.dumps(info.value.body)
