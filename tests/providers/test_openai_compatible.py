"""The OpenAI-compatible vendor specs (providers.d/{groq,together,openrouter,deepseek,perplexity,
cerebras,xai,mistral,fireworks,alibaba,siliconflow,huggingface,zai}.yaml) and the local-server
family (ollama, vllm, llamacpp, lmstudio): each ``extends: openai`` with only its differences.

What this protects:

* every spec stays short: nothing but keys that differ from the merged openai spec (no inherited
  rule restated identically), few lines before the model catalog, its own ``env`` (never the
  inherited ``OPENAI_API_KEY``), a catalog whose prices carry a source and ``as_of``;
* rendering: for every vendor the request goes to its own URL, and the generic options become the
  vendor's fields (max_tokens vs max_completion_tokens, random_seed, user vs user_id, reasoning
  effort vs thinking switches vs budgets, extra headers), with a warning for each option a vendor
  drops, clamps or adjusts;
* vendor specifics: OpenRouter attribution headers from settings, DeepSeek sending
  ``reasoning_content`` back on tool-call turns only, Z.ai's temperature rules, Perplexity citations
  in ``Response.provider_metadata``, in-band stream errors of Groq and OpenRouter as errors;
* through ``specwire.Client`` with respx (no network): the auth header (Bearer key read from the
  vendor's own variable; none for local servers), the SDK-style ``*_BASE_URL`` override, and a
  stream and a non-stream call per vendor without a recorded corpus case (together, cerebras,
  fireworks, siliconflow, ollama, vllm, llamacpp, lmstudio) against the wire shape its docs define.

Corpus cases of these vendors (tests/fixtures/<vendor>/) run in test_replay_corpus.py.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
import yaml

import specwire
from specwire.registry import merge_specs

ROOT = Path(__file__).resolve().parents[2]
PROVIDERS = ROOT / "providers.d"

HOSTED = ("groq", "together", "openrouter", "deepseek", "perplexity", "cerebras", "xai", "mistral", "fireworks", "alibaba", "siliconflow", "huggingface", "zai")
LOCAL = ("ollama", "vllm", "llamacpp", "lmstudio")
VENDORS = HOSTED + LOCAL

#: vendor -> (chat completions URL, API-key variable or None, base-URL variable or None)
ENDPOINTS: dict[str, tuple[str, str | None, str | None]] = {
    "groq": ("https://api.groq.com/openai/v1/chat/completions", "GROQ_API_KEY", "GROQ_BASE_URL"),
    "together": ("https://api.together.ai/v1/chat/completions", "TOGETHER_API_KEY", "TOGETHER_BASE_URL"),
    "openrouter": ("https://openrouter.ai/api/v1/chat/completions", "OPENROUTER_API_KEY", "OPENROUTER_BASE_URL"),
    "deepseek": ("https://api.deepseek.com/chat/completions", "DEEPSEEK_API_KEY", "DEEPSEEK_BASE_URL"),
    "perplexity": ("https://api.perplexity.ai/chat/completions", "PERPLEXITY_API_KEY", "PERPLEXITY_BASE_URL"),
    "cerebras": ("https://api.cerebras.ai/v1/chat/completions", "CEREBRAS_API_KEY", "CEREBRAS_BASE_URL"),
    "xai": ("https://api.x.ai/v1/chat/completions", "XAI_API_KEY", "XAI_BASE_URL"),
    "mistral": ("https://api.mistral.ai/v1/chat/completions", "MISTRAL_API_KEY", "MISTRAL_BASE_URL"),
    "fireworks": ("https://api.fireworks.ai/inference/v1/chat/completions", "FIREWORKS_API_KEY", "FIREWORKS_BASE_URL"),
    "alibaba": ("https://dashscope.aliyuncs.com/compatible-mode/v1/chat/completions", "DASHSCOPE_API_KEY", "DASHSCOPE_COMPATIBLE_BASE_URL"),
    "siliconflow": ("https://api.siliconflow.com/v1/chat/completions", "SILICONFLOW_API_KEY", "SILICONFLOW_BASE_URL"),
    "huggingface": ("https://router.huggingface.co/v1/chat/completions", "HF_TOKEN", None),
    "zai": ("https://api.z.ai/api/paas/v4/chat/completions", "ZAI_API_KEY", "ZAI_BASE_URL"),
    "ollama": ("http://localhost:11434/v1/chat/completions", None, "OLLAMA_BASE_URL"),
    "vllm": ("http://localhost:8000/v1/chat/completions", "VLLM_API_KEY", "VLLM_BASE_URL"),
    "llamacpp": ("http://localhost:8080/v1/chat/completions", "LLAMA_API_KEY", "LLAMA_CPP_BASE_URL"),
    "lmstudio": ("http://localhost:1234/v1/chat/completions", "LM_STUDIO_API_KEY", "LM_STUDIO_BASE_URL"),
}

#: Every generic option at once; each vendor's expected rendering follows.
OPTIONS: dict[str, Any] = {
    "max_output_tokens": 100, "temperature": 0.5, "top_k": 40, "seed": 7,
    "user": "user-1", "metadata": {"app": "tests"}, "reasoning": "high",
}

#: vendor -> (body fields it must contain, body fields it must not contain, params warned about).
#: Sources: each spec's header comment (SDK files and doc URLs).
RENDERING: dict[str, tuple[dict[str, Any], set[str], set[str]]] = {
    # groq 1.7.0 completion_create_params.py: `user`; metadata "not currently supported"; no top_k
    "groq": ({"max_completion_tokens": 100, "user": "user-1", "seed": 7, "reasoning_effort": "high"}, {"top_k", "metadata", "safety_identifier"}, {"top_k", "metadata"}),
    # together 3.1.1: max_tokens, top_k, reasoning_effort low|medium|high; no user/metadata
    "together": ({"max_tokens": 100, "top_k": 40, "seed": 7, "reasoning_effort": "high"}, {"max_completion_tokens", "user", "metadata"}, {"user", "metadata"}),
    # openrouter 1.3.84: reasoning {effort}, top_k, user, metadata
    "openrouter": ({"max_completion_tokens": 100, "top_k": 40, "user": "user-1", "metadata": {"app": "tests"}, "reasoning": {"effort": "high"}}, {"reasoning_effort"}, set()),
    # https://api-docs.deepseek.com/guides/thinking_mode : thinking + reasoning_effort; max_tokens
    "deepseek": ({"max_tokens": 100, "thinking": {"type": "enabled"}, "reasoning_effort": "high", "temperature": 0.5}, {"top_k", "seed", "user", "metadata"}, {"top_k", "seed", "user", "metadata", "temperature"}),
    # perplexityai 0.46.1: max_tokens, top_k, reasoning_effort; no seed/user/metadata
    "perplexity": ({"max_tokens": 100, "top_k": 40, "reasoning_effort": "high"}, {"seed", "user", "metadata"}, {"seed", "user", "metadata"}),
    # cerebras-cloud-sdk 1.91.0: max_completion_tokens, user, reasoning_effort; no metadata, no top_k
    "cerebras": ({"max_completion_tokens": 100, "user": "user-1", "seed": 7, "reasoning_effort": "high"}, {"top_k", "metadata"}, {"top_k", "metadata"}),
    # https://docs.x.ai/docs/api-reference#chat-completions : user, reasoning_effort
    "xai": ({"max_completion_tokens": 100, "user": "user-1", "seed": 7, "reasoning_effort": "high"}, {"top_k"}, {"top_k"}),
    # mistralai 3.7.0: max_tokens, random_seed, top_k, reasoning_effort; no user
    "mistral": ({"max_tokens": 100, "random_seed": 7, "top_k": 40, "reasoning_effort": "high", "metadata": {"app": "tests"}}, {"seed", "user", "safety_identifier"}, {"user"}),
    # fireworks-ai 1.2.30: max_tokens, top_k, user, metadata, reasoning_effort
    "fireworks": ({"max_tokens": 100, "top_k": 40, "user": "user-1", "metadata": {"app": "tests"}, "reasoning_effort": "high"}, set(), set()),
    # https://www.alibabacloud.com/help/en/model-studio/deep-thinking : enable_thinking / thinking_budget
    "alibaba": ({"max_tokens": 100, "top_k": 40, "seed": 7, "enable_thinking": True}, {"reasoning_effort", "user", "metadata"}, {"user", "metadata", "reasoning"}),
    # https://docs.siliconflow.com/en/api-reference/chat-completions/chat-completions
    "siliconflow": ({"max_tokens": 100, "top_k": 40, "enable_thinking": True}, {"seed", "user", "metadata", "reasoning_effort"}, {"seed", "user", "metadata", "reasoning"}),
    # huggingface_hub 2.4.0 chat_completion(): max_tokens, seed; no top_k/user/metadata
    "huggingface": ({"max_tokens": 100, "seed": 7}, {"top_k", "user", "metadata"}, {"top_k", "user", "metadata"}),
    # zai-sdk 0.2.3: max_tokens, user_id, thinking, reasoning_effort
    "zai": ({"max_tokens": 100, "user_id": "user-1", "seed": 7, "thinking": {"type": "enabled"}, "reasoning_effort": "high"}, {"top_k", "user", "metadata"}, {"top_k", "metadata"}),
    # https://docs.ollama.com/api/openai-compatibility : max_tokens, seed, reasoning_effort; no top_k
    "ollama": ({"max_tokens": 100, "seed": 7, "reasoning_effort": "high"}, {"top_k", "user", "metadata"}, {"top_k", "user", "metadata"}),
    # https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html : top_k among the extra params
    "vllm": ({"max_completion_tokens": 100, "top_k": 40, "seed": 7, "reasoning_effort": "high"}, {"user", "metadata"}, {"user", "metadata"}),
    # llama.cpp tools/server/README.md: max_tokens, top_k
    "llamacpp": ({"max_tokens": 100, "top_k": 40, "seed": 7, "reasoning_effort": "high"}, {"user", "metadata"}, {"user", "metadata"}),
    # https://lmstudio.ai/docs/developer/openai-compat : max_tokens, top_k
    "lmstudio": ({"max_tokens": 100, "top_k": 40, "seed": 7, "reasoning_effort": "high"}, {"user", "metadata"}, {"user", "metadata"}),
}


def _raw(provider: str) -> dict[str, Any]:
    return yaml.safe_load((PROVIDERS / f"{provider}.yaml").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _client(**kwargs: Any) -> specwire.Client:
    return specwire.Client(load_entry_points=False, **kwargs)


def _completion(text: str = "Hello!", **extra: Any) -> dict[str, Any]:
    return {
        "id": "cmpl-1", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}, **extra,
    }


def _sse(*chunks: Any, done: bool = True) -> bytes:
    out = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks)
    return (out + ("data: [DONE]\n\n" if done else "")).encode()


# ---------------------------------------------------------------------------- the specs are short
#: Entries a child replaces whole under `extends` (engine/registry.py _ATOMIC): compared as a whole.
_ATOMIC = {("params",), ("stream", "events"), ("response", "events"), ("errors", "classes"), ("request", "parts"),
           ("request", "message_by_role"), ("finish_reasons",), ("profiles",)}
_NOT_INHERITED = {"spec_version", "provider", "display_name", "docs", "description", "extends", "models", "catalog", "bare_names", "default_model", "provider_aliases"}


def _restated(child: Any, parent: Any, path: tuple[str, ...]) -> list[str]:
    """Paths where the child repeats exactly what it would inherit."""
    out = []
    for key, value in child.items():
        if not path and key in _NOT_INHERITED:
            continue
        here = (*path, key)
        if not isinstance(parent, dict) or key not in parent:
            continue
        if value == parent[key]:
            out.append(".".join(here))
        elif isinstance(value, dict) and isinstance(parent[key], dict) and path not in _ATOMIC and here not in (("auth",), ("env",)):
            out += _restated(value, parent[key], here)
    return out


@pytest.mark.parametrize("provider", VENDORS)
def test_spec_holds_only_its_differences(provider: str) -> None:
    """A vendor file is ``extends: openai`` plus differences: no key restates the inherited value,
    the part before the model catalog stays short, and ``env`` names the vendor's own variables."""
    raw = _raw(provider)
    assert raw["extends"] == "openai"
    parent = _raw("openai")
    assert _restated(raw, parent, ()) == [], "these keys repeat what openai.yaml already says"
    text = (PROVIDERS / f"{provider}.yaml").read_text(encoding="utf-8")
    head = text.split("\nmodels:", 1)[0]
    # 130: the wire differences plus the operations (embeddings, model listing) and the newer
    # generic options (logprobs, n, service_tier…) each vendor maps or refuses
    assert len(head.splitlines()) <= 130, f"{provider}.yaml is {len(head.splitlines())} lines before `models:`"
    env = raw.get("env") or {}
    assert "OPENAI_API_KEY" not in json.dumps(env) and "OPENAI_BASE_URL" not in json.dumps(env)
    url, key_var, base_var = ENDPOINTS[provider]
    names = env.get("api_key")
    assert (names if isinstance(names, list) else [names] if names else [None])[0] == key_var
    assert env.get("base_url") == base_var
    if provider in LOCAL:  # no key needed; an optional one is sent when set
        assert raw["auth"] in ({"scheme": "none"}, {"scheme": "bearer", "optional": True})


@pytest.mark.parametrize("provider", VENDORS)
def test_merged_spec_compiles_and_catalog_is_sourced(registry: Any, provider: str) -> None:
    """The merged spec compiles (validate-spec is clean), and every catalog price names its source
    and the research date."""
    spec = registry.get(provider)
    merged = merge_specs(_raw("openai"), _raw(provider))
    assert merged["request"]["path"] in ("/chat/completions", "/v1/chat/completions", "/openai/v1/chat/completions")
    for model in _raw(provider).get("models") or []:
        pricing = model.get("pricing") or {}
        assert pricing.get("source", "").startswith("https://"), model["id"]
        retired = pricing.get("source", "").endswith("/v1.72.0/model_prices_and_context_window.json")  # retired models' block
        assert pricing.get("as_of") in ("2026-11-22", "2026-12-07") or (retired and pricing.get("as_of") == "2025-06-03"), model["id"]  # the catalog research; the embedding models
        assert spec.model_info(model["id"]) is not None


# ---------------------------------------------------------------------------- rendering
@pytest.mark.parametrize("provider", VENDORS)
def test_rendering_applies_the_vendor_differences(client: specwire.Client, provider: str) -> None:
    """URL, renamed / dropped / added fields and one warning per dropped or adjusted option, for
    the same generic options on every vendor (sources in RENDERING's comments)."""
    plan = client.build(f"{provider}:some-model", "Hi", stream=True, **OPTIONS)
    url, _, _ = ENDPOINTS[provider]
    assert plan.url == url
    present, absent, warned = RENDERING[provider]
    body = plan.body
    for key, value in present.items():
        assert body.get(key) == value, (key, body)
    assert not absent & set(body), absent & set(body)
    assert {w.param for w in plan.warnings if w.param} == warned
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["messages"] == [{"role": "user", "content": "Hi"}]


def test_rendering_clamps_and_renames(client: specwire.Client) -> None:
    """Clamps and renames that the common options do not reach: Together's temperature 0..1
    (together 3.1.1 "a decimal number from 0-1"), Z.ai's open interval (0, 1) with temperature 0 as
    do_sample=false and a single stop word (zai-sdk 0.2.3 completions.py, https://docs.z.ai/api-reference/llm/chat-completion),
    Mistral's tool_choice `any` (mistralai 3.7.0), SiliconFlow's thinking_budget 128..32768."""
    plan = client.build("together:m", "Hi", temperature=1.5)
    assert plan.body["temperature"] == 1 and [w.kind for w in plan.warnings if w.param] == ["clamped-param"]
    plan = client.build("zai:glm-5.2", "Hi", temperature=0, top_p=1.0, stop_sequences=["a", "b"])
    assert plan.body["do_sample"] is False and "temperature" not in plan.body
    assert plan.body["top_p"] == 0.99 and plan.body["stop"] == ["a"]
    assert {w.param for w in plan.warnings if w.param} == {"temperature", "top_p", "stop_sequences"}
    plan = client.build("zai:glm-5.2", "Hi", temperature=1.0, tools=[{"name": "f", "parameters": {"type": "object"}}], tool_choice="required")
    assert plan.body["temperature"] == 0.99 and "tool_choice" not in plan.body
    plan = client.build("mistral:mistral-large-latest", "Hi", tools=[{"name": "f", "parameters": {"type": "object"}}], tool_choice="required")
    assert plan.body["tool_choice"] == "any"
    plan = client.build("siliconflow:m", "Hi", reasoning=100000)
    assert plan.body["thinking_budget"] == 32768 and plan.body["enable_thinking"] is True
    plan = client.build("alibaba:qwen3-max", "Hi", reasoning="none")
    assert plan.body["enable_thinking"] is False and not [w for w in plan.warnings if w.param]


@pytest.mark.parametrize(("provider", "effort", "expected"), [
    ("groq", "minimal", {"reasoning_effort": "low"}),
    ("groq", "none", {"reasoning_effort": "none"}),
    ("openrouter", 2048, {"reasoning": {"max_tokens": 2048}}),
    ("deepseek", "none", {"thinking": {"type": "disabled"}}),
    ("zai", "none", {"thinking": {"type": "disabled"}}),
    ("together", "none", {"reasoning": {"enabled": False}}),
    ("fireworks", 4096, {"reasoning_effort": 4096}),
    ("cerebras", "xhigh", {"reasoning_effort": "high"}),
    ("vllm", "none", {"chat_template_kwargs": {"enable_thinking": False}}),
    ("xai", "max", {"reasoning_effort": "high"}),
])
def test_reasoning_fields(client: specwire.Client, provider: str, effort: Any, expected: dict[str, Any]) -> None:
    """The reasoning option reaches each vendor's own field (sources: the spec headers)."""
    body = client.build(f"{provider}:m", "Hi", reasoning=effort).body
    for key, value in expected.items():
        assert body[key] == value


def test_openrouter_attribution_headers_from_settings() -> None:
    """HTTP-Referer / X-OpenRouter-Title / X-OpenRouter-Categories come from the spec's settings
    (per call or OPENROUTER_APP_*), and are left out when unset (openrouter 1.3.84
    models/internal/globals.py; https://openrouter.ai/docs/app-attribution)."""
    client = _client(env={})
    plan = client.build("openrouter:openai/gpt-5.5", "Hi")
    assert not {"http-referer", "x-openrouter-title", "x-openrouter-categories"} & set(plan.headers)
    plan = client.build("openrouter:openai/gpt-5.5", "Hi", settings={"app_url": "https://app.example", "app_title": "Example"})
    assert plan.headers["http-referer"] == "https://app.example" and plan.headers["x-openrouter-title"] == "Example"
    client = _client(env={"OPENROUTER_APP_CATEGORIES": "cli-agent"})
    assert client.build("openrouter:openai/gpt-5.5", "Hi").headers["x-openrouter-categories"] == "cli-agent"


def test_deepseek_sends_reasoning_content_back_on_tool_call_turns_only(client: specwire.Client) -> None:
    """https://api-docs.deepseek.com/guides/thinking_mode : reasoning_content of a turn that called
    tools must be passed back (else HTTP 400); other turns' reasoning is not sent."""
    messages = [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": [{"type": "reasoning", "text": "I should call it."},
                                          {"type": "tool_call", "tool_call_id": "c1", "tool_name": "weather", "arguments": {"city": "Oslo"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "-3C"},
        {"role": "assistant", "content": [{"type": "reasoning", "text": "Cold."}, {"type": "text", "text": "It is -3C."}]},
        {"role": "user", "content": "Thanks"},
    ]
    wire = client.build("deepseek:deepseek-flash", messages).body["messages"]
    assert wire[1] == {"role": "assistant", "content": None, "reasoning_content": "I should call it.",
                       "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "weather", "arguments": '{"city":"Oslo"}'}}]}
    assert wire[3] == {"role": "assistant", "content": "It is -3C."}


# ---------------------------------------------------------------------------- through the client
@pytest.mark.parametrize("provider", VENDORS)
def test_non_stream_call_auth_and_url(monkeypatch: pytest.MonkeyPatch, provider: str) -> None:
    """A non-streaming call through specwire.Client: the key comes from the vendor's own variable
    and travels as ``Authorization: Bearer`` (local servers: no key, no header), to the vendor's URL;
    the body is the OpenAI chat-completion object every vendor documents (links in ENDPOINTS'
    spec headers)."""
    url, key_var, _ = ENDPOINTS[provider]
    if key_var:
        monkeypatch.setenv(key_var, "test-key-123")
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(url).mock(return_value=httpx.Response(200, json=_completion()))
        with _client() as client:
            response = client.complete(f"{provider}:m", "Hi")
    request = route.calls.last.request
    if key_var:
        assert request.headers["authorization"] == "Bearer test-key-123"
    else:
        assert "authorization" not in request.headers
    assert json.loads(request.content)["model"] == "m"
    assert response.text == "Hello!" and response.finish_reason.unified == "stop"
    assert response.usage is not None and response.usage.total_tokens == 7


#: The request path after a ``<VENDOR>_BASE_URL`` root: the path the vendor's SDK appends to its
#: base URL (groq 1.7.0 /openai/v1/chat/completions; together 3.1.1, cerebras-cloud-sdk 1.91.0,
#: fireworks-ai 1.2.30 and mistralai 3.7.0 /v1/chat/completions), else the OpenAI-style /chat/completions.
SDK_PATHS = {"groq": "/openai/v1/chat/completions", "together": "/v1/chat/completions", "cerebras": "/v1/chat/completions",
             "fireworks": "/v1/chat/completions", "mistral": "/v1/chat/completions"}


@pytest.mark.parametrize("provider", [p for p in VENDORS if ENDPOINTS[p][2]])
def test_base_url_variable_keeps_the_sdk_meaning(monkeypatch: pytest.MonkeyPatch, provider: str) -> None:
    """``<VENDOR>_BASE_URL`` means what it means in the vendor's SDK (its root, to which the SDK's
    request path is appended), and a key from the environment may go to that host."""
    _, key_var, base_var = ENDPOINTS[provider]
    monkeypatch.setenv(str(base_var), "https://proxy.example/base")
    if key_var:
        monkeypatch.setenv(key_var, "test-key-123")
    target = "https://proxy.example/base" + SDK_PATHS.get(provider, "/chat/completions")
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(target).mock(return_value=httpx.Response(200, json=_completion()))
        with _client() as client:
            client.complete(f"{provider}:m", "Hi")
    if key_var:
        assert route.calls.last.request.headers["authorization"] == "Bearer test-key-123"


def test_environment_key_is_bound_to_the_vendor_host(monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/RELIABILITY.md T4: GROQ_API_KEY goes to api.groq.com (or GROQ_BASE_URL's host), never to a
    per-call base URL of another host."""
    monkeypatch.setenv("GROQ_API_KEY", "test-key-123")
    with _client() as client, pytest.raises(specwire.ConfigError):
        client.complete("groq:m", "Hi", base_url="https://evil.example")


# ---------------------------------------------------------------------------- documented wire shapes
def _chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}


_USAGE = {"prompt_tokens": 9, "completion_tokens": 6, "total_tokens": 15}

#: vendor -> (doc URL of its stream shape, the reasoning delta key, extra keys on the last chunk)
STREAM_SHAPES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "together": ("https://docs.together.ai/docs/reasoning-models", "reasoning", {}),
    "cerebras": ("https://inference-docs.cerebras.ai/capabilities/reasoning", "reasoning", {"time_info": {"queue_time": 0.1}}),
    "fireworks": ("https://docs.fireworks.ai/guides/reasoning", "reasoning_content", {}),
    "siliconflow": ("https://docs.siliconflow.com/en/api-reference/chat-completions/chat-completions", "reasoning_content", {}),
    "ollama": ("https://docs.ollama.com/api/openai-compatibility", "reasoning", {}),
    "vllm": ("https://docs.vllm.ai/en/latest/features/reasoning_outputs.html", "reasoning_content", {}),
    "llamacpp": ("https://github.com/ggml-org/llama.cpp/blob/master/tools/server/README.md", "reasoning_content", {"timings": {"predicted_n": 6}}),
    "lmstudio": ("https://lmstudio.ai/docs/developer/openai-compat", "reasoning", {}),
}


def _stream_body(reasoning_key: str, extra: dict[str, Any]) -> bytes:
    call = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "weather", "arguments": ""}}
    return _sse(
        _chunk({"role": "assistant", "content": ""}),
        _chunk({reasoning_key: "Think"}),
        _chunk({reasoning_key: "ing."}),
        _chunk({"content": "Let me check."}),
        _chunk({"tool_calls": [call]}),
        _chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city":'}}]}),
        _chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"Oslo"}'}}]}),
        _chunk({}, "tool_calls"),
        {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": [], "usage": _USAGE, **extra},
    )


@pytest.mark.parametrize("provider", list(STREAM_SHAPES))
def test_stream_call_documented_shape(monkeypatch: pytest.MonkeyPatch, provider: str) -> None:
    """A streaming call through specwire.Client against the chunk shape the vendor documents (URL in
    STREAM_SHAPES): reasoning deltas in the vendor's field, text, a tool call whose arguments arrive
    in pieces, finish, a usage-only last chunk (with vendor extras such as Cerebras time_info or
    llama.cpp timings), then [DONE]."""
    url, key_var, _ = ENDPOINTS[provider]
    if key_var:
        monkeypatch.setenv(key_var, "test-key-123")
    _, reasoning_key, extra = STREAM_SHAPES[provider]
    body = _stream_body(reasoning_key, extra)
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(url).mock(return_value=httpx.Response(200, content=body, headers={"content-type": "text/event-stream"}))
        with _client() as client:
            events = list(client.stream(f"{provider}:m", "Weather in Oslo?", tools=[{"name": "weather", "parameters": {"type": "object"}}]))
    sent = json.loads(route.calls.last.request.content)
    assert sent["stream"] is True and sent["tools"][0]["function"]["name"] == "weather"
    assert events[0].type == "response_start" and events[-1].type == "finish"
    response = events[-1].response
    assert response.reasoning == "Thinking." and response.text == "Let me check."
    assert [(c.tool_call_id, c.tool_name, c.arguments) for c in response.tool_calls] == [("call_1", "weather", {"city": "Oslo"})]
    assert response.finish_reason.unified == "tool_calls"
    assert response.usage is not None and (response.usage.input_tokens, response.usage.output_tokens) == (9, 6)


@pytest.mark.parametrize("provider", list(STREAM_SHAPES))
def test_non_stream_call_documented_shape(monkeypatch: pytest.MonkeyPatch, provider: str) -> None:
    """A non-streaming call (async) against the message shape the vendor documents (URL in
    STREAM_SHAPES): reasoning in message.<vendor field>, text and a tool call with JSON-text
    arguments."""
    url, key_var, _ = ENDPOINTS[provider]
    if key_var:
        monkeypatch.setenv(key_var, "test-key-123")
    _, reasoning_key, _ = STREAM_SHAPES[provider]
    message = {"role": "assistant", "content": "Checking.", reasoning_key: "Because.",
               "tool_calls": [{"id": "call_9", "type": "function", "function": {"name": "weather", "arguments": '{"city":"Oslo"}'}}]}
    payload = _completion()
    payload["choices"] = [{"index": 0, "message": message, "finish_reason": "tool_calls"}]

    async def run() -> specwire.Response:
        with respx.mock(assert_all_called=True) as mock:
            mock.post(url).mock(return_value=httpx.Response(200, json=payload))
            async with _client() as client:
                return await client.acomplete(f"{provider}:m", "Weather in Oslo?")

    response = asyncio.run(run())
    assert response.reasoning == "Because." and response.text == "Checking."
    assert response.tool_calls[0].arguments == {"city": "Oslo"} and response.finish_reason.unified == "tool_calls"


# ---------------------------------------------------------------------------- vendor response specifics
def test_perplexity_citations_reach_provider_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    """Perplexity's citations and search_results (perplexityai 0.46.1 types/stream_chunk.py; repeated
    on every chunk, https://docs.perplexity.ai/api-reference/chat-completions-post) end up in
    Response.provider_metadata["perplexity"], for streams and plain responses."""
    monkeypatch.setenv("PERPLEXITY_API_KEY", "test-key-123")
    cites = ["https://a.example", "https://b.example"]
    body = _sse(_chunk({"content": "Hi [1]"}, citations=cites, usage=_USAGE),
                {**_chunk({"content": ""}, "stop", citations=cites, usage=_USAGE), "object": "chat.completion.done"}, done=False)
    url = ENDPOINTS["perplexity"][0]
    with respx.mock() as mock:
        mock.post(url).mock(return_value=httpx.Response(200, content=body, headers={"content-type": "text/event-stream"}))
        with _client() as client:
            response = client.stream("perplexity:sonar", "Hi").until_done()
            assert response.provider_metadata == {"perplexity": {"citations": cites}}
            mock.post(url).mock(return_value=httpx.Response(200, json=_completion("Hi [1]", citations=cites, search_results=[{"url": cites[0]}])))
            response = client.complete("perplexity:sonar", "Hi")
    assert response.provider_metadata["perplexity"] == {"citations": cites, "search_results": [{"url": cites[0]}]}


@pytest.mark.parametrize(("provider", "body", "cls"), [
    # groq/_streaming.py: `event: error` with {"error": {..., "status_code": 429}}
    ("groq", b'data: {"id":"c","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\nevent: error\ndata: {"error":{"message":"slow down","type":"rate_limit_error","status_code":429}}\n\n', specwire.RateLimitError),
    # https://openrouter.ai/docs/api-reference/errors : mid-stream error chunk, error.code = HTTP status
    ("openrouter", b': OPENROUTER PROCESSING\n\ndata: {"id":"c","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\ndata: {"id":"c","error":{"code":502,"message":"Provider disconnected"},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}\n\ndata: [DONE]\n\n', specwire.ServerError),
])
def test_in_band_stream_errors(monkeypatch: pytest.MonkeyPatch, provider: str, body: bytes, cls: type[Exception]) -> None:
    """An error inside a 200 stream ends it with one ``error`` event of the class its status stands
    for, with the text so far in the partial response."""
    url, key_var, _ = ENDPOINTS[provider]
    monkeypatch.setenv(str(key_var), "test-key-123")
    with respx.mock() as mock:
        mock.post(url).mock(return_value=httpx.Response(200, content=body, headers={"content-type": "text/event-stream"}))
        with _client() as client:
            events = list(client.stream(f"{provider}:m", "Hi", raise_on_error=False))
    assert events[-1].type == "error" and isinstance(events[-1].error, cls)
    assert events[-1].error.in_stream and events[-1].response.text == "Hi"
