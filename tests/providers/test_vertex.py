"""Vertex AI: Gemini (providers.d/vertex.yaml), Claude (providers.d/vertex-anthropic.yaml) and the
``google-oauth`` auth hook (engine/auth/google.py).

What this protects:

* the request each spec renders: regional, ``global`` and multi-regional (``us``/``eu``) hosts,
  ``projects/{project}/locations/{location}/publishers/…`` paths, ``:generateContent`` /
  ``:streamGenerateContent`` (``alt=sse`` in the sse mode), express-mode paths without a project,
  model resource names, the ``api_version`` setting, ``labels`` from ``metadata``; for Claude,
  ``:rawPredict`` / ``:streamRawPredict``, a body without ``model`` and with ``anthropic_version``,
  no ``anthropic-version`` header; missing settings as :class:`ConfigError`;
* calls through :class:`specwire.Client` with HTTP mocked by respx (sync, stream and async): the
  ADC bearer token and ``x-goog-user-project`` from google-auth's credentials (faked here: the
  ``google.auth`` modules are replaced in ``sys.modules``, so nothing touches the network and
  google-auth need not be installed), parsing of the documented response shapes, cost from the
  catalogs;
* the hook: credentials loaded once and cached, refreshed when ``valid`` turns false and once more
  after a 401, express-mode API keys (``x-goog-api-key``) and caller-supplied access tokens, an
  ``Authorization`` header the caller set left alone, the :class:`ConfigError` messages for a
  missing google-auth / requests / credentials / project, refresh failures as
  :class:`AuthenticationError`, the destination check that keeps an ADC token away from hosts
  that are not Google's, and tokens kept out of reprs.

Sources (also cited in the specs): google-genai 3.4.0 ``google/genai/_api_client.py``,
``_transformers.py`` (t_model) and ``models.py``; anthropic 2.12.0 ``anthropic/lib/vertex/_client.py``;
https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest ;
https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/claude ;
https://platform.claude.com/docs/en/build-with-claude/claude-on-vertex-ai ;
https://cloud.google.com/vertex-ai/generative-ai/docs/start/express-mode/overview .
The streamed function-call arguments (``partialArgs``) of the three recorded Vertex cases are checked
by tests/providers/test_replay_corpus.py; here one of them is also served through the client.
"""

from __future__ import annotations

import asyncio
import functools
import json
import sys
import types
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
import specwire
from specwire import AuthenticationError, ConfigError
from specwire.auth.credentials import Credentials
from specwire.auth.google import (
    GoogleAPIKeyAuth,
    GoogleOAuth,
    GoogleTokenAuth,
    clear_token_cache,
    google_oauth_auth,
)
from specwire.redact import Secret

from tests.conftest import FIXTURES
from tests.providers.param_probe import probe_problems

GEMINI_MODEL = "gemini-4-hydrogen"       # priced in providers.d/vertex.yaml
CLAUDE_MODEL = "claude-sonnet-5-5"
PROJECT = "proj-7731"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"
TOKEN_1, TOKEN_2 = "ya29.fake-token-one-4821", "ya29.fake-token-two-9513"

REGIONAL = f"https://us-central1-aiplatform.googleapis.com/v1/projects/{PROJECT}/locations/us-central1/publishers/google/models/{GEMINI_MODEL}"
GLOBAL = f"https://aiplatform.googleapis.com/v1/projects/{PROJECT}/locations/global/publishers/google/models/{GEMINI_MODEL}"
CLAUDE_REGIONAL = f"https://us-east5-aiplatform.googleapis.com/v1/projects/{PROJECT}/locations/us-east5/publishers/anthropic/models/{CLAUDE_MODEL}"
CLAUDE_GLOBAL = f"https://aiplatform.googleapis.com/v1/projects/{PROJECT}/locations/global/publishers/anthropic/models/{CLAUDE_MODEL}"


# ---------------------------------------------------------------------------- a fake google-auth
def _exception(name: str) -> type[Exception]:
    cls = type(name, (Exception,), {})
    cls.__module__ = "google.auth.exceptions"
    return cls


DefaultCredentialsError = _exception("DefaultCredentialsError")
RefreshError = _exception("RefreshError")
GoogleTransportError = _exception("TransportError")


class FakeRequest:
    """Stands in for google.auth.transport.requests.Request (the object refresh() receives)."""


class FakeCredentials:
    """The google.auth.credentials.Credentials surface the hook uses: token, valid, refresh(request),
    quota_project_id."""

    def __init__(self, tokens: list[str], quota_project_id: str | None = None) -> None:
        self._tokens = list(tokens)
        self.token: str | None = None
        self.expired = False
        self.quota_project_id = quota_project_id
        self.refresh_calls = 0
        self.fail: Exception | None = None

    @property
    def valid(self) -> bool:
        return self.token is not None and not self.expired

    def refresh(self, request: Any) -> None:
        assert isinstance(request, FakeRequest)
        self.refresh_calls += 1
        if self.fail is not None:
            raise self.fail
        self.token = self._tokens.pop(0)
        self.expired = False


class FakeGoogle:
    """What google.auth.default is asked for and returns."""

    def __init__(self) -> None:
        self.credentials = FakeCredentials([TOKEN_1, TOKEN_2, "ya29.fake-token-three"], quota_project_id="billing-proj")
        self.default_calls: list[Any] = []
        self.default_error: Exception | None = None

    def default(self, scopes: Any = None, **kwargs: Any) -> tuple[Any, str]:
        self.default_calls.append(scopes)
        if self.default_error is not None:
            raise self.default_error
        return self.credentials, "adc-project"


@pytest.fixture
def google(monkeypatch: pytest.MonkeyPatch) -> Any:
    """google.auth, google.auth.exceptions and google.auth.transport.requests replaced by fakes."""
    fake = FakeGoogle()
    pkg = types.ModuleType("google")
    pkg.__path__ = []
    auth = types.ModuleType("google.auth")
    auth.__path__ = []
    auth.default = fake.default  # type: ignore[attr-defined]
    exceptions = types.ModuleType("google.auth.exceptions")
    for cls in (DefaultCredentialsError, RefreshError, GoogleTransportError):
        setattr(exceptions, cls.__name__, cls)
    transport = types.ModuleType("google.auth.transport")
    transport.__path__ = []
    requests_mod = types.ModuleType("google.auth.transport.requests")
    requests_mod.Request = FakeRequest  # type: ignore[attr-defined]
    pkg.auth = auth  # type: ignore[attr-defined]
    auth.exceptions = exceptions  # type: ignore[attr-defined]
    auth.transport = transport  # type: ignore[attr-defined]
    transport.requests = requests_mod  # type: ignore[attr-defined]
    for name, module in (("google", pkg), ("google.auth", auth), ("google.auth.exceptions", exceptions), ("google.auth.transport", transport), ("google.auth.transport.requests", requests_mod)):
        monkeypatch.setitem(sys.modules, name, module)
    clear_token_cache()
    yield fake
    clear_token_cache()


@functools.lru_cache(maxsize=1)
def _registry() -> specwire.SpecRegistry:
    """The built-in specs, compiled once for the module."""
    return specwire.SpecRegistry(user_config=False, env={})


def _client(env: dict[str, str] | None = None, **kwargs: Any) -> specwire.Client:
    if "spec_paths" not in kwargs:
        kwargs["registry"] = _registry()
    return specwire.Client(load_entry_points=False, env=env if env is not None else {}, max_retries=0, **kwargs)


def _vertex(location: str = "us-central1", **kwargs: Any) -> specwire.Client:
    return _client(settings={"vertex": {"project": PROJECT, "location": location}, "vertex-anthropic": {"project": PROJECT, "location": location}}, **kwargs)


# ---------------------------------------------------------------------------- documented bodies
#: https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/v1/GenerateContentResponse
GENERATE_CONTENT = {
    "candidates": [{"content": {"role": "model", "parts": [{"text": "Paris is the capital of France."}]}, "finishReason": "STOP", "avgLogprobs": -0.12}],
    "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 5, "thoughtsTokenCount": 3, "totalTokenCount": 18, "trafficType": "ON_DEMAND"},
    "modelVersion": GEMINI_MODEL,
    "createTime": "2026-11-22T09:00:00.000000Z",
    "responseId": "vx-resp-1",
}
#: streamGenerateContent without alt=sse: one JSON array of GenerateContentResponse chunks.
STREAM_CHUNKS = [
    {"candidates": [{"content": {"role": "model", "parts": [{"text": "Par"}]}}], "usageMetadata": {"trafficType": "ON_DEMAND"}, "modelVersion": GEMINI_MODEL, "responseId": "vx-resp-2"},
    {"candidates": [{"content": {"role": "model", "parts": [{"text": "is."}]}, "finishReason": "STOP"}], "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 2, "totalTokenCount": 12, "trafficType": "ON_DEMAND"}, "modelVersion": GEMINI_MODEL, "responseId": "vx-resp-2"},
]
#: https://platform.claude.com/docs/en/api/messages (the Message object; Vertex ids start msg_vrtx_)
CLAUDE_MESSAGE = {
    "id": "msg_vrtx_01AbC", "type": "message", "role": "assistant", "model": CLAUDE_MODEL,
    "content": [{"type": "text", "text": "Hello from Vertex."}],
    "stop_reason": "end_turn", "stop_sequence": None,
    "usage": {"input_tokens": 12, "output_tokens": 6, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0},
}
#: https://platform.claude.com/docs/en/build-with-claude/streaming (event sequence, ping included)
CLAUDE_SSE = "".join(
    f"event: {name}\ndata: {json.dumps(data)}\n\n"
    for name, data in [
        ("message_start", {"type": "message_start", "message": {"id": "msg_vrtx_02", "type": "message", "role": "assistant", "model": CLAUDE_MODEL, "content": [], "stop_reason": None, "usage": {"input_tokens": 20, "output_tokens": 1}}}),
        ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ("ping", {"type": "ping"}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi "}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "there"}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("content_block_start", {"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "toolu_vrtx_1", "name": "get_weather", "input": {}}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{\"city\": \"Pa"}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "ris\"}"}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 1}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None}, "usage": {"output_tokens": 15}}),
        ("message_stop", {"type": "message_stop"}),
    ]
).encode()
SSE = {"content-type": "text/event-stream"}


# ============================================================================ rendering: vertex
def test_regional_global_and_multiregional_hosts() -> None:
    """google-genai 3.4.0 _api_client.py: https://{location}-aiplatform.googleapis.com for a region,
    https://aiplatform.googleapis.com for `global` (the default location), and
    https://aiplatform.{us,eu}.rep.googleapis.com for the multi-regions; the path is
    v1/projects/{project}/locations/{location}/publishers/google/models/{model}:generateContent
    (https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/v1/projects.locations.publishers.models/generateContent)."""
    assert _vertex("us-central1").build(f"vertex:{GEMINI_MODEL}", "hi").url == f"{REGIONAL}:generateContent"
    assert _client(settings={"vertex": {"project": PROJECT}}).build(f"vertex:{GEMINI_MODEL}", "hi").url == f"{GLOBAL}:generateContent"
    assert _client(env={"GOOGLE_CLOUD_PROJECT": PROJECT, "GOOGLE_CLOUD_LOCATION": "global"}).build(f"vertex:{GEMINI_MODEL}", "hi").url == f"{GLOBAL}:generateContent"
    eu = _vertex("eu").build(f"vertex:{GEMINI_MODEL}", "hi")
    assert eu.url == f"https://aiplatform.eu.rep.googleapis.com/v1/projects/{PROJECT}/locations/eu/publishers/google/models/{GEMINI_MODEL}:generateContent"
    plan = _vertex("europe-west4").build(f"vertex:{GEMINI_MODEL}", "hi")
    assert plan.url.startswith(f"https://europe-west4-aiplatform.googleapis.com/v1/projects/{PROJECT}/locations/europe-west4/")
    assert plan.method == "POST" and plan.warnings == []


def test_stream_urls_json_array_by_default_and_alt_sse_in_sse_mode() -> None:
    """models.py streams with `{model}:streamGenerateContent`; without alt=sse the answer is one JSON
    array (the inherited default framing), with `stream_mode="sse"` the query gains alt=sse."""
    client = _vertex()
    plain = client.build(f"vertex:{GEMINI_MODEL}", "hi", stream=True)
    assert plain.url == f"{REGIONAL}:streamGenerateContent"
    assert plain.headers["accept"] == "application/json"
    sse = client.build(f"vertex:{GEMINI_MODEL}", "hi", stream=True, stream_mode="sse")
    assert sse.url == f"{REGIONAL}:streamGenerateContent?alt=sse"
    assert sse.headers["accept"] == "text/event-stream"
    assert plain.body == sse.body == client.build(f"vertex:{GEMINI_MODEL}", "hi").body


def test_body_is_the_gemini_body_with_labels_from_metadata() -> None:
    """The Vertex body is the Gemini generateContent body (google-genai 3.4.0 models.py
    _GenerateContentConfig_to_vertex sends the same fields), and `labels` (billing labels) come from
    `metadata`."""
    client = _vertex()
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Capital of France?"}]
    plan = client.build(f"vertex:{GEMINI_MODEL}", messages, metadata={"team": "search", "run": "r1"}, max_output_tokens=64, temperature=0.2)
    gemini = client.build("gemini:gemini-3.8-flash", messages, metadata={"team": "search", "run": "r1"}, max_output_tokens=64, temperature=0.2)
    assert plan.body == gemini.body
    assert plan.body == {
        "contents": [{"role": "user", "parts": [{"text": "Capital of France?"}]}],
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "labels": {"team": "search", "run": "r1"},
        "generationConfig": {"maxOutputTokens": 64, "temperature": 0.2},
    }
    assert "x-goog-api-key" not in plan.headers and "authorization" not in plan.headers  # added by the auth hook


def test_model_resource_names_and_api_version() -> None:
    """google-genai 3.4.0 _transformers.py t_model: `publisher/id` → publishers/<publisher>/models/<id>;
    publishers/…, models/… and endpoints/… are kept under the location, projects/… is used as is.
    The `api_version` setting switches to v1beta1, google-genai's default."""
    client = _vertex()
    base = f"https://us-central1-aiplatform.googleapis.com/v1/projects/{PROJECT}/locations/us-central1"
    assert client.build("vertex:meta/llama-4-scout", "hi").url == f"{base}/publishers/meta/models/llama-4-scout:generateContent"
    assert client.build("vertex:publishers/google/models/gemini-3.8-flash", "hi").url == f"{base}/publishers/google/models/gemini-3.8-flash:generateContent"
    assert client.build("vertex:endpoints/123", "hi").url == f"{base}/endpoints/123:generateContent"
    tuned = "projects/other/locations/europe-west1/endpoints/987"
    assert client.build(f"vertex:{tuned}", "hi").url == f"https://us-central1-aiplatform.googleapis.com/v1/{tuned}:generateContent"
    beta = client.build(f"vertex:{GEMINI_MODEL}", "hi", settings={"project": PROJECT, "location": "us-central1", "api_version": "v1beta1"})
    assert beta.url == REGIONAL.replace("/v1/", "/v1beta1/") + ":generateContent"


def test_express_mode_path_has_no_project() -> None:
    """Vertex AI express mode (an API key, no project): google-genai 3.4.0 sends
    https://aiplatform.googleapis.com/v1beta1/publishers/google/models/{model}:generateContent;
    https://cloud.google.com/vertex-ai/generative-ai/docs/start/express-mode/overview ."""
    plan = _client().build(f"vertex:{GEMINI_MODEL}", "hi")
    assert plan.url == f"https://aiplatform.googleapis.com/v1/publishers/google/models/{GEMINI_MODEL}:generateContent"


def test_base_url_variable_replaces_the_host() -> None:
    """GOOGLE_VERTEX_BASE_URL (google-genai 3.4.0 _base_url.py) replaces the host; the version and
    resource path stay."""
    plan = _client(env={"GOOGLE_VERTEX_BASE_URL": "https://vertex-proxy.example.com", "GOOGLE_CLOUD_PROJECT": PROJECT}).build(f"vertex:{GEMINI_MODEL}", "hi")
    assert plan.url == f"https://vertex-proxy.example.com/v1/projects/{PROJECT}/locations/global/publishers/google/models/{GEMINI_MODEL}:generateContent"


def test_every_generic_option_is_mapped_or_warned_vertex() -> None:
    """The payload-diff probe of tests/providers/test_param_coverage.py, on both Vertex specs."""
    client = _vertex()
    assert probe_problems(client, f"vertex:{GEMINI_MODEL}") == []
    assert probe_problems(client, f"vertex-anthropic:{CLAUDE_MODEL}") == []


# ============================================================================ rendering: vertex-anthropic
def test_claude_urls_raw_predict_and_stream_raw_predict() -> None:
    """anthropic 2.12.0 lib/vertex/_client.py: base https://{region}-aiplatform.googleapis.com/v1
    (https://aiplatform.googleapis.com/v1 for `global`, aiplatform.{us,eu}.rep for `us`/`eu`) and
    /projects/{project}/locations/{region}/publishers/anthropic/models/{model}:rawPredict, or
    :streamRawPredict for a stream; https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/claude ."""
    client = _vertex("us-east5")
    assert client.build(f"vertex-anthropic:{CLAUDE_MODEL}", "hi").url == f"{CLAUDE_REGIONAL}:rawPredict"
    assert client.build(f"vertex-anthropic:{CLAUDE_MODEL}", "hi", stream=True).url == f"{CLAUDE_REGIONAL}:streamRawPredict"
    glob = _client(env={"ANTHROPIC_VERTEX_PROJECT_ID": PROJECT}).build(f"vertex-anthropic:{CLAUDE_MODEL}", "hi", stream=True)
    assert glob.url == f"{CLAUDE_GLOBAL}:streamRawPredict"
    us = _client(env={"GOOGLE_CLOUD_PROJECT": PROJECT, "CLOUD_ML_REGION": "us"}).build(f"vertex-anthropic:{CLAUDE_MODEL}", "hi")
    assert us.url == f"https://aiplatform.us.rep.googleapis.com/v1/projects/{PROJECT}/locations/us/publishers/anthropic/models/{CLAUDE_MODEL}:rawPredict"
    dated = client.build("vertex-anthropic:claude-haiku-4-5@20251001", "hi")
    assert dated.url.endswith("/publishers/anthropic/models/claude-haiku-4-5@20251001:rawPredict") and dated.warnings == []


def test_claude_body_has_no_model_and_carries_anthropic_version() -> None:
    """https://platform.claude.com/docs/en/build-with-claude/claude-on-vertex-ai: "model is not passed
    in the request body" and "anthropic_version is passed in the request body (rather than as a
    header), and must be set to the value vertex-2023-10-16"; the rest is the Messages body."""
    client = _vertex("us-east5")
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    plan = client.build(f"vertex-anthropic:{CLAUDE_MODEL}", messages, max_output_tokens=100, stop_sequences=["END"])
    assert "model" not in plan.body
    assert plan.body["anthropic_version"] == "vertex-2023-10-16"
    assert "anthropic-version" not in plan.headers
    direct = client.build(f"anthropic:{CLAUDE_MODEL}", messages, max_output_tokens=100, stop_sequences=["END"])
    assert {k: v for k, v in direct.body.items() if k != "model"} == {k: v for k, v in plan.body.items() if k != "anthropic_version"}
    assert plan.body["system"] == [{"type": "text", "text": "Be brief."}] and plan.body["max_tokens"] == 100
    streamed = client.build(f"vertex-anthropic:{CLAUDE_MODEL}", messages, stream=True)
    assert streamed.body["stream"] is True and "model" not in streamed.body
    assert streamed.headers["accept"] == "text/event-stream"
    other = client.build(f"vertex-anthropic:{CLAUDE_MODEL}", "hi", settings={"project": PROJECT, "anthropic_version": "2026-10-21"})
    assert other.body["anthropic_version"] == "2026-10-21"  # the anthropic 2.12.0 SDK's value (see the spec's DOUBT note)


def test_claude_thinking_profiles_are_inherited() -> None:
    """Profiles come from anthropic.yaml: a 4.5 model on Vertex takes a thinking budget."""
    plan = _vertex().build("vertex-anthropic:claude-sonnet-4-5@20250929", "hi", reasoning=4096, max_output_tokens=8192)
    assert plan.body["thinking"] == {"type": "enabled", "budget_tokens": 4096}


def test_claude_missing_project_is_a_config_error() -> None:
    """No project: a ConfigError naming the variables, before anything is rendered or sent."""
    with pytest.raises(ConfigError, match="ANTHROPIC_VERTEX_PROJECT_ID or GOOGLE_CLOUD_PROJECT"):
        _client().build(f"vertex-anthropic:{CLAUDE_MODEL}", "hi")


# ============================================================================ calls: vertex
def test_complete_sends_the_adc_token_and_parses_the_response(google: FakeGoogle) -> None:
    """ADC: google.auth.default(scopes=[cloud-platform]), a refresh with a transport Request, then
    `Authorization: Bearer <token>` and `x-goog-user-project` for the quota project (google-genai
    3.4.0 _api_client.py _request_once).  The GenerateContentResponse of
    https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/v1/GenerateContentResponse
    is parsed like Gemini's; usage counts thoughts as output; cost from the vertex catalog."""
    with respx.mock(assert_all_called=True) as router:
        route = router.post(f"{REGIONAL}:generateContent").mock(return_value=httpx.Response(200, json=GENERATE_CONTENT))
        with _vertex() as client:
            response = client.complete(f"vertex:{GEMINI_MODEL}", "Capital of France?", metadata={"team": "a"})
    request = route.calls.last.request
    assert request.headers["authorization"] == f"Bearer {TOKEN_1}"
    assert request.headers["x-goog-user-project"] == "billing-proj"
    assert "x-goog-api-key" not in request.headers
    assert json.loads(request.content)["labels"] == {"team": "a"}
    assert google.default_calls == [[SCOPE]] and google.credentials.refresh_calls == 1
    assert response.text == "Paris is the capital of France."
    assert response.finish_reason is not None and response.finish_reason.unified == "stop"
    assert response.id == "vx-resp-1" and response.provider == "vertex"
    assert response.usage is not None and (response.usage.input_tokens, response.usage.output_tokens, response.usage.reasoning_tokens) == (10, 8, 3)
    assert response.cost is not None and response.cost.total == pytest.approx((10 * 1.50 + 8 * 7.50) / 1e6)


def test_stream_json_array_and_token_reuse(google: FakeGoogle) -> None:
    """The default stream: one JSON array, elements parsed as they arrive.  A second call reuses
    the cached credentials and the still-valid token (no second default() or refresh)."""
    body = ("[" + ",\r\n".join(json.dumps(c) for c in STREAM_CHUNKS) + "]").encode()
    with respx.mock(assert_all_called=True) as router:
        route = router.post(f"{REGIONAL}:streamGenerateContent").mock(return_value=httpx.Response(200, content=body, headers={"content-type": "application/json"}))
        with _vertex() as client:
            events = list(client.stream(f"vertex:{GEMINI_MODEL}", "hi"))
            again = list(client.stream(f"vertex:{GEMINI_MODEL}", "hi"))
    types_ = [e.type for e in events]
    assert types_[0] == "response_start" and types_[-1] == "finish"
    assert [e.delta for e in events if e.type == "text_delta"] == ["Par", "is."]
    assert events[-1].response.text == "Paris." and again[-1].response.text == "Paris."
    assert [c.request.headers["authorization"] for c in route.calls] == [f"Bearer {TOKEN_1}"] * 2
    assert len(google.default_calls) == 1 and google.credentials.refresh_calls == 1


def test_stream_sse_mode_serves_a_recorded_partial_args_body(google: FakeGoogle) -> None:
    """stream_mode="sse" (alt=sse) through the client, with the recorded Vertex body of
    tests/fixtures/vertex/stream-partial-args-two-calls (streamed function-call arguments)."""
    body = (FIXTURES / "vertex" / "stream-partial-args-two-calls" / "stream.reframed.sse").read_bytes()
    with respx.mock(assert_all_called=True) as router:
        router.post(f"{REGIONAL}:streamGenerateContent", params={"alt": "sse"}).mock(return_value=httpx.Response(200, content=body, headers=SSE))
        with _vertex() as client:
            response = client.stream(f"vertex:{GEMINI_MODEL}", "Weather in Boston and San Francisco?", stream_mode="sse").until_done()
    assert [(c.tool_name, c.arguments) for c in response.tool_calls] == [("getWeather", {"location": "Boston"}), ("getWeather", {"location": "San Francisco"})]
    assert response.finish_reason is not None and response.finish_reason.unified == "tool_calls"
    assert response.tool_calls[0].provider_metadata["vertex"]["thoughtSignature"].startswith("CiMBjz1r")


def test_async_complete_runs_the_refresh_off_the_event_loop(google: FakeGoogle) -> None:
    """acomplete: the same headers; google-auth's blocking refresh runs in a worker thread."""
    import threading

    seen: list[str] = []
    original = google.credentials.refresh

    def refresh(request: Any) -> None:
        seen.append(threading.current_thread().name)
        original(request)

    google.credentials.refresh = refresh  # type: ignore[method-assign]

    async def main() -> specwire.Response:
        async with _vertex() as client:
            return await client.acomplete(f"vertex:{GEMINI_MODEL}", "hi")

    with respx.mock(assert_all_called=True) as router:
        route = router.post(f"{REGIONAL}:generateContent").mock(return_value=httpx.Response(200, json=GENERATE_CONTENT))
        response = asyncio.run(main())
    assert response.text == "Paris is the capital of France."
    assert route.calls.last.request.headers["authorization"] == f"Bearer {TOKEN_1}"
    assert seen and seen[0] != threading.main_thread().name


def test_expired_token_is_refreshed(google: FakeGoogle) -> None:
    """credentials.valid false (google-auth reports expiry early, within its refresh threshold) →
    refresh before the request."""
    with respx.mock(assert_all_called=True) as router:
        route = router.post(f"{REGIONAL}:generateContent").mock(return_value=httpx.Response(200, json=GENERATE_CONTENT))
        with _vertex() as client:
            client.complete(f"vertex:{GEMINI_MODEL}", "hi")
            google.credentials.expired = True
            client.complete(f"vertex:{GEMINI_MODEL}", "hi")
    assert [c.request.headers["authorization"] for c in route.calls] == [f"Bearer {TOKEN_1}", f"Bearer {TOKEN_2}"]
    assert google.credentials.refresh_calls == 2


def test_a_401_refreshes_once_and_resends(google: FakeGoogle) -> None:
    """A token revoked before its expiry: the 401 makes the hook refresh and resend once (what
    google-auth's AuthorizedSession does); a second 401 is the caller's AuthenticationError."""
    unauthenticated = {"error": {"code": 401, "message": "Request had invalid authentication credentials.", "status": "UNAUTHENTICATED"}}
    with respx.mock(assert_all_called=True) as router:
        route = router.post(f"{REGIONAL}:generateContent").mock(side_effect=[httpx.Response(401, json=unauthenticated), httpx.Response(200, json=GENERATE_CONTENT)])
        with _vertex() as client:
            response = client.complete(f"vertex:{GEMINI_MODEL}", "hi")
    assert response.text.startswith("Paris")
    assert [c.request.headers["authorization"] for c in route.calls] == [f"Bearer {TOKEN_1}", f"Bearer {TOKEN_2}"]
    with respx.mock(assert_all_called=True) as router:
        router.post(f"{REGIONAL}:generateContent").mock(return_value=httpx.Response(401, json=unauthenticated))
        with _vertex() as client, pytest.raises(AuthenticationError) as info:
            client.complete(f"vertex:{GEMINI_MODEL}", "hi")
    assert info.value.status == 401 and "ya29" not in str(info.value) and "ya29" not in repr(info.value)


def test_a_401_refreshes_once_and_resends_async(google: FakeGoogle) -> None:
    """The async flow does the same refresh-and-resend after a 401 (in a worker thread)."""
    unauthenticated = {"error": {"code": 401, "message": "Request had invalid authentication credentials.", "status": "UNAUTHENTICATED"}}

    async def main() -> specwire.Response:
        async with _vertex() as client:
            return await client.acomplete(f"vertex:{GEMINI_MODEL}", "hi")

    with respx.mock(assert_all_called=True) as router:
        route = router.post(f"{REGIONAL}:generateContent").mock(side_effect=[httpx.Response(401, json=unauthenticated), httpx.Response(200, json=GENERATE_CONTENT)])
        response = asyncio.run(main())
    assert response.text.startswith("Paris")
    assert [c.request.headers["authorization"] for c in route.calls] == [f"Bearer {TOKEN_1}", f"Bearer {TOKEN_2}"]


def test_express_mode_api_key(google: FakeGoogle) -> None:
    """An API key with no project: x-goog-api-key to the global host, no project in the path, no
    ADC (google-genai 3.4.0 _api_client.py; express mode docs).  GOOGLE_API_KEY from the
    environment works too: it is bound to Google's API hosts (specwire.binding)."""
    with respx.mock(assert_all_called=True) as router:
        route = router.post(f"https://aiplatform.googleapis.com/v1/publishers/google/models/{GEMINI_MODEL}:generateContent").mock(return_value=httpx.Response(200, json=GENERATE_CONTENT))
        with _client() as client:
            client.complete(f"vertex:{GEMINI_MODEL}", "hi", api_key="AQ.express-key-1234")
        with _client(env={"GOOGLE_API_KEY": "AQ.env-express-key-5678"}) as client:
            client.complete(f"vertex:{GEMINI_MODEL}", "hi")
    assert [c.request.headers["x-goog-api-key"] for c in route.calls] == ["AQ.express-key-1234", "AQ.env-express-key-5678"]
    assert all("authorization" not in c.request.headers for c in route.calls)
    assert google.default_calls == []


def test_a_project_wins_over_an_api_key_from_the_environment(google: FakeGoogle) -> None:
    """GOOGLE_API_KEY set for the Gemini API and GOOGLE_CLOUD_PROJECT set: ADC, and the key is not
    sent (google-genai 3.4.0: implicit project/location take precedence over an implicit key)."""
    env = {"GOOGLE_API_KEY": "AIza-gemini-key-0000", "GOOGLE_CLOUD_PROJECT": PROJECT, "GOOGLE_CLOUD_LOCATION": "us-central1"}
    with respx.mock(assert_all_called=True) as router:
        route = router.post(f"{REGIONAL}:generateContent").mock(return_value=httpx.Response(200, json=GENERATE_CONTENT))
        with _client(env=env) as client:
            client.complete(f"vertex:{GEMINI_MODEL}", "hi")
    request = route.calls.last.request
    assert request.headers["authorization"] == f"Bearer {TOKEN_1}" and "x-goog-api-key" not in request.headers


def test_caller_authorization_header_is_left_alone(google: FakeGoogle) -> None:
    """extra_headers={"authorization": …}: already authenticated, nothing to do (as AnthropicVertex's
    _prepare_request); google.auth is never asked."""
    with respx.mock(assert_all_called=True) as router:
        route = router.post(f"{REGIONAL}:generateContent").mock(return_value=httpx.Response(200, json=GENERATE_CONTENT))
        with _vertex() as client:
            client.complete(f"vertex:{GEMINI_MODEL}", "hi", extra_headers={"authorization": "Bearer ya29.caller-own"})
    assert route.calls.last.request.headers["authorization"] == "Bearer ya29.caller-own"
    assert google.default_calls == []


def test_base_url_variable_host_may_receive_the_adc_token(google: FakeGoogle) -> None:
    """GOOGLE_VERTEX_BASE_URL names a proxy / private endpoint: the ADC token may go there."""
    env = {"GOOGLE_VERTEX_BASE_URL": "https://vertex-proxy.example.com", "GOOGLE_CLOUD_PROJECT": PROJECT}
    url = f"https://vertex-proxy.example.com/v1/projects/{PROJECT}/locations/global/publishers/google/models/{GEMINI_MODEL}:generateContent"
    with respx.mock(assert_all_called=True) as router:
        route = router.post(url).mock(return_value=httpx.Response(200, json=GENERATE_CONTENT))
        with _client(env=env) as client:
            client.complete(f"vertex:{GEMINI_MODEL}", "hi")
    assert route.calls.last.request.headers["authorization"] == f"Bearer {TOKEN_1}"


def test_adc_token_never_goes_to_a_foreign_host(google: FakeGoogle, tmp_path: Path) -> None:
    """docs/RELIABILITY.md T4: a third-party spec extending vertex with its own base_url does not receive
    the user's Google identity: ConfigError, no request, no token fetched."""
    (tmp_path / "sneaky.yaml").write_text(
        "spec_version: 1\nprovider: sneaky\ndisplay_name: Sneaky\nextends: vertex\nbase_url: https://collector.example.net\n",
        encoding="utf-8",
    )
    with respx.mock(assert_all_called=False) as router:
        route = router.post(url__startswith="https://collector.example.net").mock(return_value=httpx.Response(200, json=GENERATE_CONTENT))
        client = _client(spec_paths=[str(tmp_path)], settings={"sneaky": {"project": PROJECT}})
        with client, pytest.raises(ConfigError, match="refusing to send a Google access token to collector.example.net"):
            client.complete(f"sneaky:{GEMINI_MODEL}", "hi")
    assert not route.called
    assert google.credentials.refresh_calls == 0


# ============================================================================ streamed arguments beyond the corpus
def test_partial_args_of_every_value_kind() -> None:
    """PartialArg (google-genai 3.4.0 types.py; https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/v1/Content#PartialArg):
    stringValue appends, numberValue / boolValue set (0 and false included), nullValue
    ("NULL_VALUE") sets null; a start part may already carry partialArgs; `{}` ends the call and a
    whole functionCall {name, args} after it is a call of its own.  The recorded cases have strings
    and numbers only."""
    from specwire.process import ResponseProcessor

    def chunk(*parts: Any, finish: str | None = None) -> str:
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": list(parts)}}
        if finish:
            candidate["finishReason"] = finish
        return "data: " + json.dumps({"candidates": [candidate], "modelVersion": GEMINI_MODEL}) + "\r\n\r\n"

    def args(*items: dict[str, Any], more: bool = True) -> dict[str, Any]:
        call: dict[str, Any] = {"partialArgs": list(items)}
        if more:
            call["willContinue"] = True
        return {"functionCall": call}

    body = "".join([
        chunk({"functionCall": {"name": "setFlags", "willContinue": True, "partialArgs": [{"jsonPath": "$.label", "stringValue": "ni", "willContinue": True}]}}),
        chunk(args({"jsonPath": "$.label", "stringValue": "ght"})),
        chunk(args({"jsonPath": "$.count", "numberValue": 0}, {"jsonPath": "$.enabled", "boolValue": False})),
        chunk({"functionCall": {"willContinue": True}}),
        chunk(args({"jsonPath": "$.owner", "nullValue": "NULL_VALUE"}, {"jsonPath": "$.tags[1]", "stringValue": "b"}, more=False)),
        chunk({"functionCall": {}}),
        chunk({"functionCall": {"name": "ping", "args": {"n": 1}}}, finish="STOP"),
    ]).encode()
    spec = _registry().get("vertex")
    proc = ResponseProcessor(spec, model=GEMINI_MODEL, stream=True, stream_mode="sse")
    events = proc.start() + proc.feed(body) + proc.close()
    assert [e.type for e in events if e.type.startswith("tool_call")] == ["tool_call_start", "tool_call_end", "tool_call_start", "tool_call_delta", "tool_call_end"]
    response = events[-1].response
    assert [(c.tool_name, c.arguments) for c in response.tool_calls] == [
        ("setFlags", {"label": "night", "count": 0, "enabled": False, "owner": None, "tags": [None, "b"]}),
        ("ping", {"n": 1}),
    ]
    assert response.finish_reason is not None and response.finish_reason.unified == "tool_calls"


# ============================================================================ calls: vertex-anthropic
def test_claude_complete_and_stream(google: FakeGoogle) -> None:
    """rawPredict answers with an Anthropic Message (https://platform.claude.com/docs/en/api/messages),
    streamRawPredict with Anthropic's SSE events (https://platform.claude.com/docs/en/build-with-claude/streaming),
    both with the ADC bearer token and no anthropic-version header."""
    with respx.mock(assert_all_called=True) as router:
        plain = router.post(f"{CLAUDE_REGIONAL}:rawPredict").mock(return_value=httpx.Response(200, json=CLAUDE_MESSAGE))
        streamed = router.post(f"{CLAUDE_REGIONAL}:streamRawPredict").mock(return_value=httpx.Response(200, content=CLAUDE_SSE, headers=SSE))
        with _vertex("us-east5") as client:
            response = client.complete(f"vertex-anthropic:{CLAUDE_MODEL}", "Hi", max_output_tokens=50)
            events = list(client.stream(f"vertex-anthropic:{CLAUDE_MODEL}", "Weather in Paris?", max_output_tokens=50))
    assert response.text == "Hello from Vertex." and response.id == "msg_vrtx_01AbC"
    assert response.finish_reason is not None and response.finish_reason.unified == "stop"
    assert response.usage is not None and (response.usage.input_tokens, response.usage.output_tokens) == (12, 6)
    # us-east5 is a regional endpoint: 10% over the global price (the catalog's `multipliers`)
    assert response.cost is not None and response.cost.total == pytest.approx((12 * 2.0 + 6 * 10.0) * 1.1 / 1e6)
    assert response.cost.factor == pytest.approx(1.1)
    final = events[-1].response
    assert final.text == "Hi there"
    assert [(c.tool_call_id, c.tool_name, c.arguments) for c in final.tool_calls] == [("toolu_vrtx_1", "get_weather", {"city": "Paris"})]
    assert final.finish_reason is not None and final.finish_reason.unified == "tool_calls"
    assert final.usage is not None and final.usage.output_tokens == 15
    for route, stream in ((plain, False), (streamed, True)):
        request = route.calls.last.request
        body = json.loads(request.content)
        assert request.headers["authorization"] == f"Bearer {TOKEN_1}" and "anthropic-version" not in request.headers
        assert "model" not in body and body["anthropic_version"] == "vertex-2023-10-16" and body.get("stream", False) is stream


def test_claude_access_token_as_api_key(google: FakeGoogle) -> None:
    """Claude on Vertex takes no API key: a key given to the call is a ready OAuth access token
    (AnthropicVertex(access_token=…)), sent as is; google.auth is not asked."""
    with respx.mock(assert_all_called=True) as router:
        route = router.post(f"{CLAUDE_REGIONAL}:rawPredict").mock(return_value=httpx.Response(200, json=CLAUDE_MESSAGE))
        with _vertex("us-east5") as client:
            client.complete(f"vertex-anthropic:{CLAUDE_MODEL}", "Hi", api_key="ya29.handed-over-token")
    assert route.calls.last.request.headers["authorization"] == "Bearer ya29.handed-over-token"
    assert google.default_calls == []


def test_claude_vertex_quota_error_is_a_rate_limit(google: FakeGoogle) -> None:
    """Vertex AI's own errors use the google.rpc.Status envelope (https://cloud.google.com/apis/design/errors):
    429 RESOURCE_EXHAUSTED → RateLimitError with the status as the error type; an Anthropic-shaped
    error keeps its type."""
    quota = {"error": {"code": 429, "message": "Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model.", "status": "RESOURCE_EXHAUSTED"}}
    overloaded = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    with respx.mock(assert_all_called=True) as router:
        router.post(f"{CLAUDE_REGIONAL}:rawPredict").mock(side_effect=[httpx.Response(429, json=quota), httpx.Response(529, json=overloaded)])
        with _vertex("us-east5") as client:
            with pytest.raises(specwire.RateLimitError) as rate:
                client.complete(f"vertex-anthropic:{CLAUDE_MODEL}", "Hi")
            with pytest.raises(specwire.OverloadedError) as over:
                client.complete(f"vertex-anthropic:{CLAUDE_MODEL}", "Hi")
    assert rate.value.error_type == "RESOURCE_EXHAUSTED" and rate.value.code == 429 and rate.value.message.startswith("Quota exceeded")
    assert over.value.error_type == "overloaded_error"


# ============================================================================ the hook's error paths
def test_missing_google_auth_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """google-auth not installed: the call fails at once with what to install (the `google` extra),
    and says that an API key (express mode) is the alternative."""
    monkeypatch.setitem(sys.modules, "google.auth", None)
    clear_token_cache()
    with _vertex() as client, pytest.raises(ConfigError, match=r"google-auth.*pip install 'specwire\[google\]'"):
        client.stream(f"vertex:{GEMINI_MODEL}", "hi")


def test_missing_requests_is_a_config_error(google: FakeGoogle, monkeypatch: pytest.MonkeyPatch) -> None:
    """google-auth without `requests` cannot refresh: ConfigError naming requests."""
    monkeypatch.setitem(sys.modules, "google.auth.transport.requests", None)
    with _vertex() as client, pytest.raises(ConfigError, match="requests"):
        client.complete(f"vertex:{GEMINI_MODEL}", "hi")


def test_missing_credentials_is_a_config_error(google: FakeGoogle) -> None:
    """google.auth.default finds nothing: ConfigError saying how to sign in; nothing is sent."""
    google.default_error = DefaultCredentialsError("Your default credentials were not found.")
    with respx.mock(assert_all_called=False) as router:
        route = router.post(f"{REGIONAL}:generateContent").mock(return_value=httpx.Response(200, json=GENERATE_CONTENT))
        with _vertex() as client, pytest.raises(ConfigError, match="gcloud auth application-default login") as info:
            client.complete(f"vertex:{GEMINI_MODEL}", "hi")
    assert not route.called
    assert "DefaultCredentialsError" in str(info.value)


def test_refresh_failure_is_an_authentication_error(google: FakeGoogle) -> None:
    """A RefreshError (revoked grant, deleted service account) is an AuthenticationError; a
    transport failure on the token endpoint is a TransportError."""
    google.credentials.fail = RefreshError("invalid_grant: Token has been expired or revoked.")
    with _vertex() as client, pytest.raises(AuthenticationError, match="invalid_grant"):
        client.complete(f"vertex:{GEMINI_MODEL}", "hi")
    google.credentials.fail = GoogleTransportError("metadata server unreachable")
    with _vertex() as client, pytest.raises(specwire.TransportError, match="metadata server"):
        client.complete(f"vertex:{GEMINI_MODEL}", "hi")


def test_vertex_without_project_or_key_is_a_config_error(google: FakeGoogle) -> None:
    """OAuth needs the project in the URL: ConfigError from the stream() call itself, naming
    GOOGLE_CLOUD_PROJECT and express mode."""
    with _client() as client, pytest.raises(ConfigError, match="GOOGLE_CLOUD_PROJECT.*express mode"):
        client.stream(f"vertex:{GEMINI_MODEL}", "hi")


# ============================================================================ the hook, directly
def test_hook_picks_the_auth_by_key_and_spec() -> None:
    """No key → GoogleOAuth; a key with `name` in the auth block → GoogleAPIKeyAuth; without →
    GoogleTokenAuth; an environment key while a project is set → GoogleOAuth.  Nothing is imported
    from google-auth for the key cases.  Reprs never show a secret."""
    spec = {"scheme": "google-oauth", "scopes": [SCOPE], "name": "x-goog-api-key"}
    key = Secret("AQ.secret-key-value-42")
    assert isinstance(google_oauth_auth(spec, Credentials(api_key=key, source="argument", settings={"project": PROJECT})), GoogleAPIKeyAuth)
    assert isinstance(google_oauth_auth({"scheme": "google-oauth"}, Credentials(api_key=key, source="argument", settings={"project": PROJECT})), GoogleTokenAuth)
    for auth in (GoogleAPIKeyAuth(key, "x-goog-api-key"), GoogleTokenAuth(key)):
        assert "AQ.secret" not in repr(auth)


def test_hook_oauth_object(google: FakeGoogle) -> None:
    spec = {"scheme": "google-oauth", "scopes": [SCOPE], "name": "x-goog-api-key"}
    auth = google_oauth_auth(spec, Credentials(api_key=Secret("AIza-env-key-1111"), source="env:GOOGLE_API_KEY", settings={"project": PROJECT}))
    assert isinstance(auth, GoogleOAuth)
    assert google.default_calls == []  # nothing loaded until a request is signed
    request = httpx.Request("POST", "https://us-central1-aiplatform.googleapis.com/v1/x:generateContent")
    flow = auth.sync_auth_flow(request)
    signed = next(flow)
    flow.close()
    assert signed.headers["authorization"] == f"Bearer {TOKEN_1}"
    assert TOKEN_1 not in repr(auth) and google.default_calls == [[SCOPE]]
    with pytest.raises(ConfigError, match="https only"):
        next(auth.sync_auth_flow(httpx.Request("POST", "http://aiplatform.googleapis.com/v1/x")))
    local = auth.sync_auth_flow(httpx.Request("POST", "http://127.0.0.1:8080/v1/x"))
    assert next(local).headers["authorization"] == f"Bearer {TOKEN_1}"  # loopback is allowed
    local.close()
