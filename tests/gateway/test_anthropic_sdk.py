"""The unmodified ``anthropic`` SDK against ``specwire serve`` (a uvicorn subprocess) fronting a loopback
fake provider (OpenAI-shaped): Anthropic's Messages API as providers.d/anthropic.yaml's ``serve:``
section declares it.  Shapes: https://platform.claude.com/docs/en/api/messages , streaming:
https://platform.claude.com/docs/en/build-with-claude/streaming , errors: https://docs.claude.com/en/api/errors ,
token counting: https://docs.claude.com/en/api/messages-count-tokens ."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

anthropic = pytest.importorskip("anthropic")

from .conftest import GATEWAY_KEY, UPSTREAM_KEY  # noqa: E402
from .fake_upstream import TEXT, TOOL_ARGS, FakeUpstream  # noqa: E402

pytestmark = pytest.mark.timeout(60)

TOOLS = [{"name": "get_weather", "description": "The weather in a city",
          "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]
HI = [{"role": "user", "content": "Hi"}]
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg=="


@pytest.fixture
def client(gateway_url: str) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(base_url=gateway_url, api_key=GATEWAY_KEY, max_retries=0, timeout=15) as c:
        yield c


def test_message(client: anthropic.Anthropic, upstream: FakeUpstream) -> None:
    raw = client.messages.with_raw_response.create(model="chat", max_tokens=64, messages=HI, extra_headers={"x-request-id": "req-a1"})
    message = raw.parse()
    assert message.type == "message" and message.role == "assistant" and message.model == "chat"
    assert [b.type for b in message.content] == ["text"] and message.content[0].text == TEXT  # type: ignore[union-attr]
    assert message.stop_reason == "end_turn"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (11, 7)
    assert message.id == "msg_req-a1" and raw.headers["x-request-id"] == "req-a1"
    body, headers = upstream.requests[-1]
    assert headers["authorization"] == f"Bearer {UPSTREAM_KEY}"
    assert body["messages"] == [{"role": "user", "content": "Hi"}]
    assert body.get("max_completion_tokens", body.get("max_tokens")) == 64


def test_system_prompt_and_options_reach_upstream(client: anthropic.Anthropic, upstream: FakeUpstream) -> None:
    client.messages.create(model="gpt-4o", max_tokens=50, system=[{"type": "text", "text": "Be brief"}], stop_sequences=["END"],
                           messages=[{"role": "user", "content": [{"type": "text", "text": "Hi"}, {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}]}])
    body, _ = upstream.requests[-1]
    first = body["messages"][0]
    assert first["role"] in ("system", "developer") and "Be brief" in json.dumps(first["content"])
    user = body["messages"][1]["content"]
    assert user[0] == {"type": "text", "text": "Hi"} and user[1]["image_url"]["url"] == f"data:image/png;base64,{PNG}"
    assert body["stop"] == ["END"]


def test_stream_text(client: anthropic.Anthropic) -> None:
    with client.messages.stream(model="chat", max_tokens=64, messages=HI) as stream:
        events = list(stream)
        final = stream.get_final_message()
    types = [e.type for e in events]
    assert types[0] == "message_start" and types[-1] == "message_stop"
    assert "".join(e.text for e in events if e.type == "text") == TEXT
    assert final.content[0].text == TEXT and final.stop_reason == "end_turn"  # type: ignore[union-attr]
    # the counts come in message_delta (an OpenAI upstream reports usage last); SDKs before 0.51
    # read input_tokens from message_start only, where it is 0 then
    assert final.usage.output_tokens == 7


def test_raw_stream_grammar(gateway_url: str) -> None:
    """The exact SSE grammar: an ``event:`` line naming each data object's ``type``, blocks numbered
    from 0 and each opened, filled and closed in order."""
    body = {"model": "chat", "max_tokens": 64, "messages": HI, "stream": True}
    with httpx.Client(timeout=10) as http:
        r = http.post(gateway_url + "/v1/messages", json=body, headers={"x-api-key": GATEWAY_KEY})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    frames = [f for f in r.text.split("\n\n") if f.strip()]
    pairs = []
    for frame in frames:
        lines = frame.split("\n")
        assert lines[0].startswith("event: ") and lines[1].startswith("data: ")
        data = json.loads(lines[1][6:])
        assert data["type"] == lines[0][7:]
        pairs.append(data)
    names = [d["type"] for d in pairs]
    assert names[0] == "message_start" and names[-2:] == ["message_delta", "message_stop"]
    assert names[1] == "content_block_start" and names[-3] == "content_block_stop"
    assert {d["index"] for d in pairs if "index" in d} == {0}
    assert pairs[-2]["delta"]["stop_reason"] == "end_turn"
    assert (pairs[-2]["usage"]["input_tokens"], pairs[-2]["usage"]["output_tokens"]) == (11, 7)
    assert pairs[0]["message"]["usage"] == {"input_tokens": 0, "output_tokens": 0}  # not known yet from this upstream


def test_tool_use(client: anthropic.Anthropic) -> None:
    message = client.messages.create(model="chat", max_tokens=64, messages=[{"role": "user", "content": "TOOL please"}], tools=TOOLS)  # type: ignore[arg-type]
    assert message.stop_reason == "tool_use"
    blocks = [b for b in message.content if b.type == "tool_use"]
    assert len(blocks) == 1 and blocks[0].name == "get_weather" and blocks[0].id == "call_1"
    assert blocks[0].input == json.loads(TOOL_ARGS)


def test_tool_use_stream_and_result_turn(client: anthropic.Anthropic, upstream: FakeUpstream) -> None:
    messages: list[dict[str, object]] = [{"role": "user", "content": "TOOL please"}]
    with client.messages.stream(model="chat", max_tokens=64, messages=messages, tools=TOOLS, tool_choice={"type": "any"}) as stream:  # type: ignore[arg-type]
        events = list(stream)
        final = stream.get_final_message()
    starts = [e for e in events if e.type == "content_block_start"]
    assert [(e.index, e.content_block.type) for e in starts] == [(0, "tool_use")]
    assert "".join(e.delta.partial_json for e in events if e.type == "content_block_delta" and e.delta.type == "input_json_delta") == TOOL_ARGS
    assert final.stop_reason == "tool_use"
    call = final.content[0]
    assert call.type == "tool_use" and call.id == "call_1" and call.name == "get_weather" and call.input == json.loads(TOOL_ARGS)
    body, _ = upstream.requests[-1]
    assert body["tool_choice"] == "required" and body["tools"][0]["function"]["name"] == "get_weather"
    # the next turn: the assistant's tool_use echoed, the result in a user turn
    messages += [{"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in final.content]},
                 {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_1", "content": [{"type": "text", "text": "sunny"}]},
                                              {"type": "text", "text": "And tomorrow?"}]}]
    reply = client.messages.create(model="chat", max_tokens=64, messages=messages, tools=TOOLS)  # type: ignore[arg-type]
    assert reply.content[0].text == TEXT  # type: ignore[union-attr]
    body, _ = upstream.requests[-1]
    sent = body["messages"]
    assert sent[1]["role"] == "assistant" and sent[1]["tool_calls"][0]["id"] == "call_1"
    assert json.loads(sent[1]["tool_calls"][0]["function"]["arguments"]) == json.loads(TOOL_ARGS)
    assert sent[2]["role"] == "tool" and sent[2]["tool_call_id"] == "call_1" and "sunny" in json.dumps(sent[2]["content"])
    assert sent[3]["role"] == "user" and "And tomorrow?" in json.dumps(sent[3]["content"])


def test_count_tokens(client: anthropic.Anthropic, upstream: FakeUpstream) -> None:
    before = len(upstream.requests)
    short = client.messages.count_tokens(model="chat", messages=HI)
    long = client.messages.count_tokens(model="chat", system="You are a weather bot. " * 20, messages=HI, tools=TOOLS)  # type: ignore[arg-type]
    assert 0 < short.input_tokens < long.input_tokens
    assert len(upstream.requests) == before  # counted locally: no upstream call


def test_wrong_key(gateway_url: str) -> None:
    with anthropic.Anthropic(base_url=gateway_url, api_key="not-a-key", max_retries=0, timeout=15) as bad:
        with pytest.raises(anthropic.AuthenticationError) as info:
            bad.messages.create(model="chat", max_tokens=16, messages=HI)
    assert info.value.status_code == 401
    assert isinstance(info.value.body, dict) and info.value.body["type"] == "error"
    assert info.value.body["error"]["type"] == "authentication_error"
    assert UPSTREAM_KEY not in info.value.response.text


def test_unknown_model(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.NotFoundError) as info:
        client.messages.create(model="no-such-model", max_tokens=16, messages=HI)
    assert info.value.body["error"]["type"] == "not_found_error"  # type: ignore[index]
    with pytest.raises(anthropic.NotFoundError):
        client.messages.count_tokens(model="no-such-model", messages=HI)


def test_model_not_allowed_for_key(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.PermissionDeniedError) as info:
        client.messages.create(model="other", max_tokens=16, messages=HI)
    assert info.value.body["error"]["type"] == "permission_error"  # type: ignore[index]


def test_upstream_rate_limit(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.RateLimitError) as info:
        client.messages.create(model="limited", max_tokens=16, messages=[{"role": "user", "content": "RATE"}])
    assert info.value.status_code == 429 and info.value.response.headers["retry-after"] == "7"
    assert info.value.body["error"]["type"] == "rate_limit_error"  # type: ignore[index]


def test_upstream_rate_limit_stream(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.RateLimitError) as info:
        with client.messages.stream(model="limited-stream", max_tokens=16, messages=[{"role": "user", "content": "RATE"}]) as stream:
            list(stream)
    assert info.value.status_code == 429


@pytest.mark.parametrize(("messages", "param"), [
    ([{"role": "system", "content": "Hi"}], "messages[0].role"),
    ([{"role": "user", "content": [{"type": "imgae", "source": {}}]}], "messages[0].content[0].type"),
    ([{"role": "user", "content": [{"type": "text"}]}], "messages[0].content[0]"),
    ([], "messages"),
])
def test_bad_request(client: anthropic.Anthropic, messages: list[dict[str, object]], param: str) -> None:
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.create(model="chat", max_tokens=16, messages=messages)  # type: ignore[arg-type]
    error = info.value.body["error"]  # type: ignore[index]
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith((param + ":", param + " "))  # the message names the wire place at fault


def test_unknown_field_refused(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.create(model="chat", max_tokens=16, messages=HI, extra_body={"frobnicate": 1})
    assert "frobnicate" in info.value.body["error"]["message"]  # type: ignore[index]


def test_error_after_content_reaches_the_sdk(client: anthropic.Anthropic) -> None:
    text = ""
    with pytest.raises(anthropic.APIStatusError):
        with client.messages.stream(model="chat", max_tokens=16, messages=[{"role": "user", "content": "BREAK"}]) as stream:
            for event in stream:
                if event.type == "text":
                    text += event.text
    assert text == TEXT[: len(TEXT) // 2]
