"""Azure OpenAI (providers.d/azure-openai.yaml, azure-openai-entra.yaml) and the ``azure-ad`` auth
hook (engine/auth/azure.py).

What this protects:

* where a call goes: ``{endpoint}/openai/deployments/{deployment}/chat/completions?api-version=…``
  with the endpoint from AZURE_OPENAI_ENDPOINT (or the resource name), the deployment from
  settings or the model ref, the api-version from settings / AZURE_OPENAI_API_VERSION /
  OPENAI_API_VERSION / the default, and the key in the ``api-key`` header
  (https://learn.microsoft.com/azure/ai-foundry/openai/reference ; openai 3.54.0
  ``openai/lib/azure.py``); a clear error when no endpoint is known;
* the key from AZURE_OPENAI_API_KEY stays with Azure hosts and the user's endpoint
  (docs/RELIABILITY.md T4): a third-party spec extending azure-openai cannot redirect it;
* the body is OpenAI Chat Completions (inherited) with Azure's ``user`` field;
* the recorded Azure stream whose first chunk has ``choices: []`` and only
  ``prompt_filter_results`` parses (also replayed by test_replay_corpus.py), end to end over HTTP;
* content filtering errors (``innererror.code: ResponsibleAIPolicyViolation``) are
  :class:`ContentFilterError` (https://learn.microsoft.com/azure/ai-foundry/openai/concepts/content-filter);
* the ``azure-ad`` hook: a token from a (fake) DefaultAzureCredential in ``Authorization: Bearer``,
  cached per scope and fetched again near expiry, fetched off the event loop in async code, never
  sent to a non-Azure host, a static token from AZURE_OPENAI_AD_TOKEN, a clear ConfigError when
  azure-identity is missing, and no token in any repr or error;
* the Entra spec carries the same catalog as the key spec.

No test touches the network: HTTP is answered by respx, azure-identity is replaced by a fake.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import types
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
import respx
import specwire
import yaml
from specwire.auth import azure as azure_auth
from specwire.auth.credentials import Credentials
from specwire.redact import Secret

from tests.conftest import FIXTURES, PROVIDERS_DIR
from tests.providers.param_probe import probe_problems
from tests.providers.render_common import WEATHER_TOOL

KEY = "azure-key-test-5e6f7a8b"
ENDPOINT = "https://my-resource.openai.azure.com"
TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOi-fake-entra-token"
DEFAULT_VERSION = "2025-04-01-preview"


def _client(env: dict[str, str] | None = None, **kwargs: Any) -> specwire.Client:
    return specwire.Client(load_entry_points=False, env=env if env is not None else {"AZURE_OPENAI_API_KEY": KEY, "AZURE_OPENAI_ENDPOINT": ENDPOINT}, max_retries=0, **kwargs)


# ---------------------------------------------------------------- request: URL, query, headers
def test_url_deployment_and_api_version_defaults() -> None:
    """The deployment defaults to the model of the ref; api-version to the newest dated version
    (2025-04-01-preview, https://learn.microsoft.com/azure/ai-foundry/openai/api-version-lifecycle)."""
    plan = _client().build("azure-openai:gpt-5.5", "hi")
    assert plan.url == f"{ENDPOINT}/openai/deployments/gpt-5.5/chat/completions?api-version={DEFAULT_VERSION}"
    assert plan.body["model"] == "gpt-5.5" and plan.body["messages"] == [{"role": "user", "content": "hi"}]


def test_settings_and_variables_choose_deployment_and_version() -> None:
    """settings.deployment / AZURE_OPENAI_DEPLOYMENT name the deployment (the catalog model still
    prices the call); AZURE_OPENAI_API_VERSION, then OPENAI_API_VERSION (the openai SDK's), set the
    api-version; a call's settings win over the environment."""
    env = {"AZURE_OPENAI_ENDPOINT": ENDPOINT + "/", "AZURE_OPENAI_DEPLOYMENT": "prod-gpt", "OPENAI_API_VERSION": "2024-10-21"}
    plan = _client(env).build("azure-openai:gpt-5.5", "hi")
    assert plan.url == f"{ENDPOINT}/openai/deployments/prod-gpt/chat/completions?api-version=2024-10-21"
    env["AZURE_OPENAI_API_VERSION"] = "2025-03-01-preview"
    plan = _client(env).build("azure-openai:gpt-5.5", "hi", settings={"deployment": "other", "api_version": "2024-12-01-preview"})
    assert plan.url == f"{ENDPOINT}/openai/deployments/other/chat/completions?api-version=2024-12-01-preview"
    assert not [w for w in plan.warnings if w.kind == "unknown-model"]


def test_resource_name_builds_the_endpoint_and_a_missing_endpoint_is_explained() -> None:
    """Without AZURE_OPENAI_ENDPOINT the resource name (settings.resource / AZURE_RESOURCE_NAME)
    gives https://<resource>.openai.azure.com; with neither, the error names what to set."""
    plan = _client({"AZURE_RESOURCE_NAME": "res1"}).build("azure-openai:gpt-5.5", "hi")
    assert plan.url.startswith("https://res1.openai.azure.com/openai/deployments/gpt-5.5/")
    with pytest.raises(specwire.RequestBuildError, match="set AZURE_OPENAI_ENDPOINT or AZURE_RESOURCE_NAME"):
        _client({}).build("azure-openai:gpt-5.5", "hi")


def test_api_key_header_and_render_masks_it() -> None:
    """The key travels in ``api-key`` (openai/lib/azure.py ``_auth_headers``), never as a bearer
    token, and ``specwire render``'s output masks it."""
    from specwire.cli.output import rendered_request

    client = _client()
    spec, _, _ = client.registry.resolve("azure-openai:gpt-5.5")
    out = rendered_request(client, spec, client.build("azure-openai:gpt-5.5", "hi"))
    assert out["headers"]["api-key"] == "***" and "authorization" not in {k.lower() for k in out["headers"]}
    assert KEY not in json.dumps(out)


def test_body_is_chat_completions_with_azure_user_field() -> None:
    """Inherited from openai.yaml: messages, tools, max_completion_tokens, reasoning_effort,
    stream_options; ``user`` is Azure's end-user field (the dated API has no safety_identifier)."""
    plan = _client().build("azure-openai:gpt-5.5", [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}],
                           tools=[WEATHER_TOOL], max_output_tokens=50, reasoning="low", user="u-9", stream=True)
    b = plan.body
    assert b["messages"][0] == {"role": "system", "content": "S"} and b["tools"][0]["function"]["name"] == "get_weather"
    assert (b["max_completion_tokens"], b["reasoning_effort"], b["user"]) == (50, "low", "u-9")
    assert "safety_identifier" not in b and b["stream_options"] == {"include_usage": True}


def test_every_generic_option_is_mapped_or_warned() -> None:
    """The payload-diff probe of tests/providers/test_param_coverage.py, on azure-openai."""
    assert probe_problems(_client(), "azure-openai:gpt-5.5") == []


def test_unknown_deployment_name_gets_no_cost_and_a_warning() -> None:
    """A ref naming a deployment that is not a catalog model is sent as is, with a warning."""
    plan = _client().build("azure-openai:my-company-gpt", "hi")
    assert "/deployments/my-company-gpt/" in plan.url
    assert [w.kind for w in plan.warnings] == ["unknown-model"]


# ---------------------------------------------------------------- credential binding (T4)
def test_the_azure_key_cannot_be_redirected_by_a_third_party_spec(tmp_path: Path) -> None:
    """A spec that extends azure-openai with another host gets no AZURE_OPENAI_API_KEY; the
    endpoint host from AZURE_OPENAI_ENDPOINT (a custom domain) is allowed."""
    (tmp_path / "evil.yaml").write_text('spec_version: 1\nprovider: evil\nextends: azure-openai\nbase_url: "https://evil.test"\nenv: {api_key: AZURE_OPENAI_API_KEY}\n', encoding="utf-8")
    with respx.mock(assert_all_called=False) as router:
        route = router.route(host="evil.test").mock(return_value=httpx.Response(200, json={}))
        client = specwire.Client(spec_paths=[str(tmp_path)], env={"AZURE_OPENAI_API_KEY": KEY, "AZURE_RESOURCE_NAME": "x"}, load_entry_points=False, max_retries=0)
        with pytest.raises(specwire.ConfigError, match=r"bound to \*\.openai\.azure\.com"):
            client.complete("evil:gpt-5.5", "hi")
        assert route.call_count == 0
    custom = "https://llm-gateway.contoso.example"
    body = {"id": "c", "model": "gpt-5.5", "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}]}
    with respx.mock(assert_all_called=True) as router:
        ok = router.post(f"{custom}/openai/deployments/gpt-5.5/chat/completions").mock(return_value=httpx.Response(200, json=body))
        assert _client({"AZURE_OPENAI_API_KEY": KEY, "AZURE_OPENAI_ENDPOINT": custom}).complete("azure-openai:gpt-5.5", "hi").text == "ok"
    assert ok.calls[0].request.headers["api-key"] == KEY


# ---------------------------------------------------------------- over HTTP
def test_recorded_stream_with_prompt_filter_first_chunk_over_http() -> None:
    """The corpus case azure-openai/chat-stream-prompt-filter-first-chunk through the client: the
    empty-``choices`` first chunk is skipped, the model-router's real model is reported."""
    body = (FIXTURES / "azure-openai/chat-stream-prompt-filter-first-chunk/stream.reframed.sse").read_bytes()
    url = f"{ENDPOINT}/openai/deployments/model-router/chat/completions"
    with respx.mock(assert_all_called=True) as router:
        route = router.post(url, params={"api-version": DEFAULT_VERSION}).mock(return_value=httpx.Response(200, content=body, headers={"content-type": "text/event-stream"}))
        with _client() as client:
            events = list(client.stream("azure-openai:model-router", "Capital of Denmark?"))
    assert route.calls[0].request.headers["api-key"] == KEY and "authorization" not in route.calls[0].request.headers
    response = events[-1].response
    assert response.text == "Capital of Denmark." and response.model == "gpt-5-nano-2025-08-07"
    assert response.finish_reason.unified == "stop" and response.usage.reasoning_tokens == 64


def test_non_stream_call_and_content_filter_error_over_http() -> None:
    """A non-streaming Chat Completions body (the shape the REST reference shows, with
    prompt_filter_results and content_filter_results) parses; a 400 content-filter body is a
    ContentFilterError."""
    ok = {"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-5.5-2026-04-24",
          "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {"hate": {"filtered": False, "severity": "safe"}}}],
          "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Hello!"},
                       "content_filter_results": {"hate": {"filtered": False, "severity": "safe"}}}],
          "usage": {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12}}
    blocked = {"error": {"message": "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
                         "type": None, "param": "prompt", "code": "content_filter", "status": 400,
                         "innererror": {"code": "ResponsibleAIPolicyViolation", "content_filter_result": {"violence": {"filtered": True, "severity": "high"}}}}}
    with respx.mock(assert_all_called=True) as router:
        router.post(f"{ENDPOINT}/openai/deployments/gpt-5.5/chat/completions").mock(side_effect=[httpx.Response(200, json=ok), httpx.Response(400, json=blocked)])
        with _client() as client:
            response = client.complete("azure-openai:gpt-5.5", "hi")
            with pytest.raises(specwire.ContentFilterError) as info:
                client.complete("azure-openai:gpt-5.5", "something blocked")
    assert response.text == "Hello!" and response.usage.total_tokens == 12 and response.cost is not None
    assert info.value.status == 400 and info.value.code == "content_filter"


def test_inner_error_alone_is_a_content_filter_error(registry: Any) -> None:
    """The innererror code decides even when the outer code is something else."""
    from specwire.provider_errors import api_error

    err = api_error(registry.get("azure-openai"), status=400, body={"error": {"code": "invalid_prompt", "message": "m", "innererror": {"code": "ResponsibleAIPolicyViolation"}}})
    assert isinstance(err, specwire.ContentFilterError)


# ---------------------------------------------------------------- the Entra ID spec and hook
class FakeAccessToken:
    def __init__(self, token: str, expires_on: float) -> None:
        self.token, self.expires_on = token, expires_on


class FakeCredential:
    """Stands in for azure.identity.DefaultAzureCredential."""

    instances: ClassVar[list[FakeCredential]] = []
    lifetime = 3600.0  # seconds until a new token expires

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.threads: list[str] = []
        FakeCredential.instances.append(self)

    def get_token(self, *scopes: str) -> FakeAccessToken:
        import time

        self.calls.append(scopes)
        self.threads.append(threading.current_thread().name)
        return FakeAccessToken(f"{TOKEN}-{len(self.calls)}", time.time() + self.lifetime)


@pytest.fixture
def fake_identity(monkeypatch: pytest.MonkeyPatch) -> type[FakeCredential]:
    """A fake ``azure.identity`` module with DefaultAzureCredential = FakeCredential."""
    FakeCredential.instances = []
    monkeypatch.setattr(FakeCredential, "lifetime", 3600.0)
    azure_pkg = types.ModuleType("azure")
    identity = types.ModuleType("azure.identity")
    identity.DefaultAzureCredential = FakeCredential  # type: ignore[attr-defined]
    azure_pkg.identity = identity  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "azure", azure_pkg)
    monkeypatch.setitem(sys.modules, "azure.identity", identity)
    azure_auth.clear_token_cache()
    yield FakeCredential
    azure_auth.clear_token_cache()


def _sign(auth: httpx.Auth, url: str) -> httpx.Request:
    request = httpx.Request("POST", url, content=b"{}")
    flow = auth.sync_auth_flow(request)
    return next(flow)


def test_hook_adds_a_cached_bearer_token(fake_identity: type[FakeCredential]) -> None:
    """One credential per scope set, one token until it nears expiry (REFRESH_MARGIN_S), shared
    across hook instances (each call builds one)."""
    spec = {"scheme": "azure-ad", "scopes": [azure_auth.DEFAULT_SCOPE]}
    a = azure_auth.azure_ad_auth(spec, Credentials(env={}))
    b = azure_auth.azure_ad_auth(spec, Credentials(env={}))
    r1 = _sign(a, f"{ENDPOINT}/openai/deployments/d/chat/completions")
    r2 = _sign(b, "https://other-res.cognitiveservices.azure.com/openai/deployments/d/chat/completions")
    assert r1.headers["authorization"] == f"Bearer {TOKEN}-1" == r2.headers["authorization"]
    (cred,) = fake_identity.instances
    assert cred.calls == [(azure_auth.DEFAULT_SCOPE,)]
    assert TOKEN not in repr(a) and "***" in repr(a)


def test_hook_refreshes_a_token_near_expiry(fake_identity: type[FakeCredential]) -> None:
    """A token with less than REFRESH_MARGIN_S left is fetched again; a fresh one is reused."""
    fake_identity.lifetime = azure_auth.REFRESH_MARGIN_S - 1  # every token is already "near expiry"
    auth = azure_auth.azure_ad_auth({"scheme": "azure-ad"}, Credentials(env={}))
    assert _sign(auth, f"{ENDPOINT}/x").headers["authorization"] == f"Bearer {TOKEN}-1"
    assert _sign(auth, f"{ENDPOINT}/x").headers["authorization"] == f"Bearer {TOKEN}-2"
    fake_identity.lifetime = 3600.0
    assert _sign(auth, f"{ENDPOINT}/x").headers["authorization"] == f"Bearer {TOKEN}-3"
    assert _sign(auth, f"{ENDPOINT}/x").headers["authorization"] == f"Bearer {TOKEN}-3"
    assert len(fake_identity.instances) == 1


def test_hook_refuses_non_azure_hosts_but_allows_the_users_endpoint(fake_identity: type[FakeCredential]) -> None:
    """A credential-chain token goes only to Azure OpenAI hosts over https, to loopback, or to the
    host of AZURE_OPENAI_ENDPOINT; no token is fetched for a refused request."""
    auth = azure_auth.azure_ad_auth({"scheme": "azure-ad"}, Credentials(env={"AZURE_OPENAI_ENDPOINT": "https://gw.contoso.example/"}))
    for url in ("https://evil.test/openai/deployments/d/chat/completions", "http://res.openai.azure.com/x", "https://openai.azure.com.evil.test/x"):
        with pytest.raises(specwire.ConfigError, match="refusing to send a Microsoft Entra ID token"):
            _sign(auth, url)
    assert fake_identity.instances == []
    assert _sign(auth, "https://gw.contoso.example/openai/x").headers["authorization"].startswith("Bearer ")
    assert _sign(auth, "http://127.0.0.1:8080/x").headers["authorization"].startswith("Bearer ")


def test_hook_uses_a_given_token_as_is(fake_identity: type[FakeCredential]) -> None:
    """A token given as the key (AZURE_OPENAI_AD_TOKEN, api_key=…) is sent without the credential
    chain (openai/lib/azure.py: AZURE_OPENAI_AD_TOKEN)."""
    auth = azure_auth.azure_ad_auth({"scheme": "azure-ad"}, Credentials(api_key=Secret("static-token-123"), source="env:AZURE_OPENAI_AD_TOKEN"))
    assert _sign(auth, f"{ENDPOINT}/x").headers["authorization"] == "Bearer static-token-123"
    assert fake_identity.instances == [] and "static-token-123" not in repr(auth)


def test_hook_without_azure_identity_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """The optional ``azure`` extra is missing: a ConfigError that says what to install, raised
    when the call is prepared (before any request)."""
    monkeypatch.setitem(sys.modules, "azure.identity", None)  # import fails
    azure_auth.clear_token_cache()
    with pytest.raises(specwire.ConfigError, match=r"pip install 'specwire\[azure\]'"):
        azure_auth.azure_ad_auth({"scheme": "azure-ad"}, Credentials(env={}))
    client = _client({"AZURE_OPENAI_ENDPOINT": ENDPOINT})
    with respx.mock(assert_all_called=False) as router:
        route = router.route(host="my-resource.openai.azure.com").mock(return_value=httpx.Response(200, json={}))
        with pytest.raises(specwire.ConfigError, match="azure-identity"):
            client.complete("azure-openai-entra:gpt-5.5", "hi")
        assert route.call_count == 0


def test_credential_failures_are_config_errors_without_secrets(fake_identity: type[FakeCredential], monkeypatch: pytest.MonkeyPatch) -> None:
    """An exception of the credential chain becomes a ConfigError saying how to sign in."""

    def broken(self: FakeCredential, *scopes: str) -> FakeAccessToken:
        raise RuntimeError("DefaultAzureCredential failed to retrieve a token")

    monkeypatch.setattr(FakeCredential, "get_token", broken)
    auth = azure_auth.azure_ad_auth({"scheme": "azure-ad"}, Credentials(env={}))
    with pytest.raises(specwire.ConfigError, match="az login") as info:
        _sign(auth, f"{ENDPOINT}/x")
    assert info.value.__cause__ is None


def test_entra_spec_end_to_end_sync_and_async(fake_identity: type[FakeCredential]) -> None:
    """``azure-openai-entra``: same URL as azure-openai, ``Authorization: Bearer <token>`` and no
    api-key header; in async code the token is fetched in a worker thread (the credential chain
    blocks)."""
    body = (FIXTURES / "azure-openai/chat-stream-prompt-filter-first-chunk/stream.reframed.sse").read_bytes()
    url = f"{ENDPOINT}/openai/deployments/gpt-5-nano/chat/completions"
    env = {"AZURE_OPENAI_ENDPOINT": ENDPOINT}

    async def main() -> specwire.Response:
        async with specwire.Client(load_entry_points=False, env=env, max_retries=0) as client:
            return await client.astream("azure-openai-entra:gpt-5-nano", "hi").until_done()

    with respx.mock(assert_all_called=True) as router:
        route = router.post(url).mock(side_effect=lambda request: httpx.Response(200, content=body, headers={"content-type": "text/event-stream"}))
        with _client(env) as client:
            sync_response = client.stream("azure-openai-entra:gpt-5-nano", "hi").until_done()
        async_response = asyncio.run(main())
    for call in route.calls:
        assert call.request.headers["authorization"] == f"Bearer {TOKEN}-1"
        assert "api-key" not in call.request.headers
    assert sync_response.text == async_response.text == "Capital of Denmark."
    cred = fake_identity.instances[0]
    assert len(cred.calls) == 1  # cached across the sync and the async call


def test_async_token_fetch_runs_off_the_event_loop(fake_identity: type[FakeCredential]) -> None:
    auth = azure_auth.azure_ad_auth({"scheme": "azure-ad"}, Credentials(env={}))

    async def main() -> httpx.Request:
        flow = auth.async_auth_flow(httpx.Request("POST", f"{ENDPOINT}/x"))
        return await flow.__anext__()

    request = asyncio.run(main())
    assert request.headers["authorization"] == f"Bearer {TOKEN}-1"
    assert fake_identity.instances[0].threads[0] != "MainThread"


def test_entra_spec_has_the_same_catalog_and_the_azure_ad_scheme(registry: Any) -> None:
    """A catalog is not inherited under ``extends``, so azure-openai-entra.yaml carries a copy:
    it must stay equal to azure-openai.yaml's."""
    key_models = yaml.safe_load((PROVIDERS_DIR / "azure-openai.yaml").read_text(encoding="utf-8"))["models"]
    entra_models = yaml.safe_load((PROVIDERS_DIR / "azure-openai-entra.yaml").read_text(encoding="utf-8"))["models"]
    assert entra_models == key_models
    spec = registry.get("azure-openai-entra")
    assert spec.auth["scheme"] == "azure-ad" and spec.auth["scopes"] == [azure_auth.DEFAULT_SCOPE]
    assert spec.env_api_key == ("AZURE_OPENAI_AD_TOKEN",) and spec.env_base_url == ("AZURE_OPENAI_ENDPOINT",)


# ---------------------------------------------------------------- Azure Responses API (v1 route)
def test_azure_responses_url_deployment_and_key() -> None:
    """``POST {endpoint}/openai/v1/responses`` with the deployment as ``model`` and the key in
    ``api-key`` (https://learn.microsoft.com/azure/ai-foundry/openai/how-to/responses: the v1 API);
    no api-version unless one is set."""
    client = _client()
    plan = client.build("azure-openai-responses:gpt-5.5", "hi", settings={"deployment": "resp-dep"}, reasoning="low", user="u-2")
    assert plan.url == f"{ENDPOINT}/openai/v1/responses"
    assert plan.body["model"] == "resp-dep" and plan.body["user"] == "u-2" and plan.body["store"] is False
    assert plan.body["input"] == [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}]
    assert client.build("azure-openai-responses:gpt-5.5", "hi", settings={"api_version": "preview"}).url == f"{ENDPOINT}/openai/v1/responses?api-version=preview"


def test_azure_responses_stream_over_http() -> None:
    """A recorded Responses stream served by the Azure route gives the same result as on OpenAI."""
    body = (FIXTURES / "openai/responses-stream-text/stream.sse").read_bytes()
    with respx.mock(assert_all_called=True) as router:
        route = router.post(f"{ENDPOINT}/openai/v1/responses").mock(return_value=httpx.Response(200, content=body, headers={"content-type": "text/event-stream"}))
        with _client() as client:
            response = client.stream("azure-openai-responses:gpt-5.5", "Capital of France?").until_done()
    assert route.calls[0].request.headers["api-key"] == KEY
    assert response.text == "The capital of France is Paris." and response.finish_reason.raw == "completed"


def test_azure_responses_probe_and_catalog() -> None:
    """The payload-diff probe passes, and the catalog repeats azure-openai.yaml's entries (plus the
    Responses-only models)."""
    assert probe_problems(_client(), "azure-openai-responses:gpt-5.5") == []
    key_models = [m for m in yaml.safe_load((PROVIDERS_DIR / "azure-openai.yaml").read_text(encoding="utf-8"))["models"] if "embedding" not in m["id"]]  # no embeddings in Responses
    resp_models = yaml.safe_load((PROVIDERS_DIR / "azure-openai-responses.yaml").read_text(encoding="utf-8"))["models"]
    assert resp_models[: len(key_models)] == key_models
    assert [m["id"] for m in resp_models[len(key_models):]] == ["gpt-5.4-pro"]
