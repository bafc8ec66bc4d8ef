"""The README's routing example (tests/router/readme_example.yaml) is a working config.

What this protects: the example users copy is loaded, linted clean and run end to end, offline:
the real provider specs (openai, anthropic, groq) build the requests, and an httpx mock transport
answers for api.openai.com, api.anthropic.com and api.groq.com with the wire shapes of
https://platform.openai.com/docs/api-reference/chat (and Groq's OpenAI-compatible
https://console.groq.com/docs/openai) and https://platform.claude.com/docs/en/api/messages.  It
checks the behaviours the example's comments promise: the alias and the glob route reach the chat
group, a 429 on both OpenAI projects falls back to Claude, a too-long prompt for Groq falls back to
the larger context window, the Claude route sends other Claude models to Anthropic, the ``fast``
group's cache answers the second identical call, and the SQLite cache file is where the config
says.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from specwire import Client
from specwire.router import FakeClock, Router, lint_router_config, load_router_config

EXAMPLE = Path(__file__).resolve().parent / "readme_example.yaml"
ENV = {"OPENAI_API_KEY": "sk-openai-test", "OPENAI_API_KEY_SPARE": "sk-spare-test", "ANTHROPIC_API_KEY": "sk-ant-test", "GROQ_API_KEY": "gsk-test"}


class Providers:
    """The three APIs behind one mock transport; ``fail[host]`` lists replies to give first."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []  # (host, model, api key)
        self.fail: dict[str, list[httpx.Response]] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        host = request.url.host
        key = request.headers.get("authorization", "").removeprefix("Bearer ") or request.headers.get("x-api-key", "")
        self.calls.append((host, body["model"], key))
        queue = self.fail.get(host) or []
        if queue:
            return queue.pop(0)
        if host == "api.anthropic.com":
            return httpx.Response(200, json={
                "id": "msg_1", "type": "message", "role": "assistant", "model": body["model"],
                "content": [{"type": "text", "text": "From Claude"}], "stop_reason": "end_turn", "stop_sequence": None,
                "usage": {"input_tokens": 12, "output_tokens": 3},
            })
        text = f"From {host}"
        if body.get("stream"):
            chunks = [
                {"id": "c1", "object": "chat.completion.chunk", "model": body["model"], "choices": [{"index": 0, "delta": {"role": "assistant", "content": text}, "finish_reason": None}]},
                {"id": "c1", "object": "chat.completion.chunk", "model": body["model"], "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
                {"id": "c1", "object": "chat.completion.chunk", "model": body["model"], "choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11}},
            ]
            sse = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
            return httpx.Response(200, content=sse.encode(), headers={"content-type": "text/event-stream"})
        return httpx.Response(200, json={
            "id": "c1", "object": "chat.completion", "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11},
        })


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, registry: Any) -> Any:
    monkeypatch.chdir(tmp_path)  # the example's sqlite path is relative
    providers = Providers()
    client = Client(registry=registry, env={}, transport=httpx.MockTransport(providers))
    router = Router(EXAMPLE, client=client, env=ENV, registry=registry, clock=FakeClock())
    try:
        yield router, providers, tmp_path
    finally:
        router.close()
        client.close()


def test_the_example_lints_clean_and_loads(registry: Any) -> None:
    assert lint_router_config(EXAMPLE, registry=registry) == []
    config = load_router_config(EXAMPLE, registry=registry)
    assert [d.id for d in config.deployments] == ["openai-main", "openai-spare", "claude", "groq-llama"]


def test_the_example_routes_falls_back_and_caches(setup: Any) -> None:
    router, providers, folder = setup
    for name in ("default", "gpt-5.4", "gpt-anything"):
        response = router.complete(name, "Name three primes")
        assert response.text == "From api.openai.com" and response.provider_metadata["router"]["deployment"] in ("openai-main", "openai-spare")
    assert {key for _, _, key in providers.calls} <= {"sk-openai-test", "sk-spare-test"}

    limited = {"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}}
    providers.fail["api.openai.com"] = [httpx.Response(429, json=limited, headers={"retry-after": "20"}) for _ in range(2)]
    response = router.complete("default", "Name three primes")
    assert response.text == "From Claude" and response.provider_metadata["router"]["fallbacks"] == 1

    too_long = {"error": {"message": "Please reduce the length of the messages", "type": "invalid_request_error", "code": "context_length_exceeded"}}
    providers.fail["api.groq.com"] = [httpx.Response(400, json=too_long)]
    response = router.complete("fast", "word " * 2000)
    assert response.provider_metadata["router"]["route"] == "fast"
    assert response.text == "From Claude", "context window: fast -> chat, whose OpenAI projects cool down after their 429s -> chat's own fallback, claude"
    assert router.clock.sleeps == [], "no waiting while a fallback can serve"

    assert router.complete("claude-opus-5-5", "Hi").model == "claude-opus-5-5"
    assert providers.calls[-1][:1] == ("api.anthropic.com",)

    before = len(providers.calls)
    first = router.complete("fast", "cached question")
    second = router.complete("fast", "cached question")
    assert len(providers.calls) == before + 1 and second.provider_metadata["router"]["cache_hit"] is True and second.text == first.text
    assert (folder / "router-cache.sqlite3").exists()

    events = list(router.stream("fast", "stream me"))
    assert [e.type for e in events][0] == "response_start" and events[-1].type == "finish"
    snap = router.snapshot()
    assert snap.routes["default"].fallbacks == 1 and snap.deployments["claude"].successes >= 2
