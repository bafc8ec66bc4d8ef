"""The unmodified ``openai`` SDK against ``specwire serve`` (a uvicorn subprocess) fronting a loopback
fake provider: what a user of the gateway sees."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

openai = pytest.importorskip("openai")

from .conftest import GATEWAY_KEY, MAX_BODY, OTHER_KEY, UPSTREAM_KEY  # noqa: E402
from .fake_upstream import TEXT, TOOL_ARGS, FakeUpstream  # noqa: E402

pytestmark = pytest.mark.timeout(60)

TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "The weather in a city",
                                           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]


@pytest.fixture
def client(gateway_url: str) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=gateway_url + "/v1", api_key=GATEWAY_KEY, max_retries=0, timeout=15) as c:
        yield c


def test_chat_completion(client: openai.OpenAI, upstream: FakeUpstream) -> None:
    raw = client.chat.completions.with_raw_response.create(model="chat", messages=[{"role": "user", "content": "Hi"}], extra_headers={"x-request-id": "req-123"})
    completion = raw.parse()
    assert completion.choices[0].message.content == TEXT
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == "chat"
    assert completion.usage is not None and (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (11, 7)
    assert raw.headers["x-request-id"] == "req-123"
    body, headers = upstream.requests[-1]
    assert headers["x-request-id"] == "req-123"  # propagated to the upstream call
    assert headers["authorization"] == f"Bearer {UPSTREAM_KEY}"  # the provider key, not the gateway's
    assert body["model"] == "gpt-fake" and body["messages"][-1]["content"] == "Hi"


def test_alias_and_options_reach_upstream(client: openai.OpenAI, upstream: FakeUpstream) -> None:
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "system", "content": "Be brief"}, {"role": "user", "content": "Hi"}],
                                   max_completion_tokens=50, temperature=0.2, stop=["END"])
    body, _ = upstream.requests[-1]
    assert body["messages"][0] == {"role": "system", "content": "Be brief"} or body["messages"][0]["role"] in ("system", "developer")
    assert body.get("max_completion_tokens", body.get("max_tokens")) == 50
    assert body["temperature"] == 0.2 and body["stop"] == ["END"]


def test_stream_with_usage(client: openai.OpenAI) -> None:
    chunks = list(client.chat.completions.create(model="chat", messages=[{"role": "user", "content": "Hi"}], stream=True,
                                                 stream_options={"include_usage": True}))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == TEXT
    assert chunks[0].choices[0].delta.role == "assistant"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    assert chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 18
    assert all(c.usage is None for c in chunks[:-1])


def test_stream_without_usage(client: openai.OpenAI) -> None:
    chunks = list(client.chat.completions.create(model="chat", messages=[{"role": "user", "content": "Hi"}], stream=True))
    assert all(c.choices for c in chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == TEXT


def test_tool_call(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(model="chat", messages=[{"role": "user", "content": "TOOL please"}], tools=TOOLS, tool_choice="auto")  # type: ignore[arg-type]
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    calls = choice.message.tool_calls or []
    assert len(calls) == 1 and calls[0].function.name == "get_weather" and calls[0].id == "call_1"
    assert json.loads(calls[0].function.arguments) == json.loads(TOOL_ARGS)


def test_tool_call_stream_and_result_turn(client: openai.OpenAI, upstream: FakeUpstream) -> None:
    stream = client.chat.completions.create(model="chat", messages=[{"role": "user", "content": "TOOL please"}], tools=TOOLS, stream=True)  # type: ignore[arg-type]
    name, args, call_id, finish = "", "", None, None
    for chunk in stream:
        for call in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            assert call.index == 0
            call_id = call.id or call_id
            name += (call.function.name or "") if call.function else ""
            args += (call.function.arguments or "") if call.function else ""
        if chunk.choices and chunk.choices[0].finish_reason:
            finish = chunk.choices[0].finish_reason
    assert (name, call_id, finish) == ("get_weather", "call_1", "tool_calls")
    assert json.loads(args) == json.loads(TOOL_ARGS)
    # the next turn carries the assistant's call and the tool's result, OpenAI-shaped
    messages = [{"role": "user", "content": "TOOL please"},
                {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": args}}]},
                {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}]
    client.chat.completions.create(model="chat", messages=messages, tools=TOOLS)  # type: ignore[arg-type]
    body, _ = upstream.requests[-1]
    assert body["messages"][1]["tool_calls"][0]["id"] == "call_1"
    assert body["messages"][2]["role"] == "tool" and body["messages"][2]["tool_call_id"] == "call_1"


def test_upstream_rate_limit(client: openai.OpenAI) -> None:
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(model="limited", messages=[{"role": "user", "content": "RATE"}])
    assert info.value.status_code == 429
    assert info.value.response.headers["retry-after"] == "7"
    assert isinstance(info.value.body, dict) and info.value.body.get("code") == "rate_limit_exceeded"


def test_upstream_rate_limit_stream(client: openai.OpenAI) -> None:
    with pytest.raises(openai.RateLimitError) as info:
        list(client.chat.completions.create(model="limited-stream", messages=[{"role": "user", "content": "RATE"}], stream=True))
    assert info.value.status_code == 429


def test_wrong_key(gateway_url: str) -> None:
    with openai.OpenAI(base_url=gateway_url + "/v1", api_key="not-a-key", max_retries=0, timeout=15) as bad:
        with pytest.raises(openai.AuthenticationError) as info:
            bad.chat.completions.create(model="chat", messages=[{"role": "user", "content": "Hi"}])
    assert info.value.status_code == 401
    assert UPSTREAM_KEY not in info.value.response.text


def test_body_over_cap(client: openai.OpenAI) -> None:
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(model="chat", messages=[{"role": "user", "content": "x" * (MAX_BODY + 1)}])
    assert info.value.status_code == 413


def test_model_not_allowed_for_key(client: openai.OpenAI, gateway_url: str) -> None:
    with pytest.raises(openai.PermissionDeniedError) as info:
        client.chat.completions.create(model="other", messages=[{"role": "user", "content": "Hi"}])
    assert info.value.status_code == 403
    with openai.OpenAI(base_url=gateway_url + "/v1", api_key=OTHER_KEY, max_retries=0, timeout=15) as other:
        assert other.chat.completions.create(model="other", messages=[{"role": "user", "content": "Hi"}]).choices[0].message.content == TEXT
        with pytest.raises(openai.PermissionDeniedError):
            other.chat.completions.create(model="chat", messages=[{"role": "user", "content": "Hi"}])


def test_unknown_model(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "Hi"}])
    assert info.value.status_code == 404


def test_models_list(client: openai.OpenAI, gateway_url: str) -> None:
    assert sorted(m.id for m in client.models.list()) == ["chat", "gpt-4o", "limited", "limited-stream"]
    with openai.OpenAI(base_url=gateway_url + "/v1", api_key=OTHER_KEY, max_retries=0, timeout=15) as other:
        assert [m.id for m in other.models.list()] == ["other"]


def test_health(gateway_url: str) -> None:
    assert httpx.get(gateway_url + "/health/live", timeout=5).status_code == 200
    assert httpx.get(gateway_url + "/health/ready", timeout=5).json()["status"] == "ready"


def test_error_after_content_reaches_the_sdk(client: openai.OpenAI) -> None:
    text = ""
    with pytest.raises(openai.APIError):
        for chunk in client.chat.completions.create(model="chat", messages=[{"role": "user", "content": "BREAK"}], stream=True):
            text += (chunk.choices[0].delta.content or "") if chunk.choices else ""
    assert text == TEXT[: len(TEXT) // 2]


def test_client_disconnect_cancels_the_upstream_call(gateway_url: str, upstream: FakeUpstream) -> None:
    upstream.dropped.clear()
    body = {"model": "chat", "messages": [{"role": "user", "content": "SLOW"}], "stream": True}
    with httpx.Client(timeout=10) as http:
        with http.stream("POST", gateway_url + "/v1/chat/completions", json=body, headers={"authorization": f"Bearer {GATEWAY_KEY}"}) as r:
            assert r.status_code == 200
            lines = r.iter_lines()
            assert sum(1 for line, _ in zip(lines, range(6)) if line.startswith("data: ")) >= 2
    # the gateway closed its upstream connection: the provider's next writes fail
    assert upstream.dropped.wait(8)
