"""Local OpenAI-compatible servers (vLLM, llama.cpp, LM Studio) run with or without a key:
`auth: {scheme: bearer, optional: true}` sends `Authorization: Bearer <key>` when the spec's key
variable is set and no credentials otherwise (https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html
`--api-key`)."""

from __future__ import annotations

import httpx
import pytest
import respx

import specwire

OK = {"id": "x", "model": "m", "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}]}


@pytest.mark.parametrize(("provider", "var", "url"), [
    ("vllm", "VLLM_API_KEY", "http://localhost:8000/v1/chat/completions"),
    ("llamacpp", "LLAMA_API_KEY", "http://localhost:8080/v1/chat/completions"),
    ("lmstudio", "LM_STUDIO_API_KEY", "http://localhost:1234/v1/chat/completions"),
])
@respx.mock
def test_optional_key_sent_only_when_set(provider: str, var: str, url: str) -> None:
    route = respx.post(url).mock(return_value=httpx.Response(200, json=OK))
    keyless = specwire.Client(env={}, load_entry_points=False)
    assert keyless.complete(f"{provider}:some-local-model", "hi").text == "hi"
    assert "authorization" not in route.calls.last.request.headers
    keyed = specwire.Client(env={var: "local-secret-123"}, load_entry_points=False)
    assert keyed.complete(f"{provider}:some-local-model", "hi").text == "hi"
    assert route.calls.last.request.headers["authorization"] == "Bearer local-secret-123"
