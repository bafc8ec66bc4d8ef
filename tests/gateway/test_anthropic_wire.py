"""Anthropic's Messages API as providers.d/anthropic.yaml's serve: section declares it, in process:
the request fields to unified options, the reply's content blocks, and the stream's events (the
stream written by :class:`~specwire.gateway.wire.EventWriter` and read back by the unmodified
``anthropic`` SDK over an in-memory transport, thinking blocks included).  Shapes:
https://platform.claude.com/docs/en/api/messages , https://platform.claude.com/docs/en/build-with-claude/streaming ."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("starlette")

from starlette.testclient import TestClient  # noqa: E402

from specwire import errors as e  # noqa: E402
from specwire.gateway import GatewayError, create_app  # noqa: E402
from specwire.gateway.wire import Endpoint, EventWriter, WireAPI, serve_sections  # noqa: E402
from specwire.registry import default_registry  # noqa: E402
from specwire.types import (  # noqa: E402
    Finish,
    FinishReason,
    ReasoningDelta,
    ReasoningEnd,
    ReasoningPart,
    ReasoningStart,
    Response,
    ResponseStart,
    TextDelta,
    TextEnd,
    TextPart,
    TextStart,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallPart,
    ToolCallStart,
    Usage,
    UsageUpdate,
)

from .conftest import ENV, GATEWAY_KEY, router_config  # noqa: E402
from .fake_upstream import FakeUpstream  # noqa: E402

pytestmark = pytest.mark.timeout(60)
HI = [{"role": "user", "content": "Hi"}]


@pytest.fixture(scope="module")
def endpoints() -> dict[str, Endpoint]:
    section = dict(serve_sections(default_registry()))["anthropic"]
    return {ep.name: ep for ep in WireAPI(section, name="anthropic").endpoints}


@pytest.fixture(scope="module")
def messages(endpoints: dict[str, Endpoint]) -> Endpoint:
    return endpoints["messages"]


# ---------------------------------------------------------------------------- request fields
def test_fields_to_unified_options(messages: Endpoint) -> None:
    call = messages.parse({
        "model": "claude", "max_tokens": 100, "messages": HI, "stream": True, "stop_sequences": ["END"], "top_k": 5,
        "metadata": {"user_id": "u1"}, "tool_choice": {"type": "any", "disable_parallel_tool_use": True},
        "tools": [{"name": "f", "description": "d", "input_schema": {"type": "object"}, "cache_control": {"type": "ephemeral"}}],
        "thinking": {"type": "enabled", "budget_tokens": 2048},
    })
    assert call.stream and call.model == "claude"
    assert call.options == {
        "max_output_tokens": 100, "stop_sequences": ["END"], "top_k": 5, "user": "u1",
        "tool_choice": {"type": "required"}, "parallel_tool_calls": False,
        "tools": [{"name": "f", "description": "d", "parameters": {"type": "object"}, "provider_metadata": {"anthropic": {"cache_control": {"type": "ephemeral"}}}}],
        "reasoning": {"budget_tokens": 2048},
    }


@pytest.mark.parametrize(("given", "options"), [
    ({"tool_choice": {"type": "tool", "name": "f"}}, {"tool_choice": {"type": "tool", "name": "f"}}),
    ({"tool_choice": {"type": "auto"}}, {"tool_choice": {"type": "auto"}}),
    ({"thinking": {"type": "disabled"}}, {"reasoning": {"effort": "none"}}),
    ({"thinking": {"type": "adaptive"}, "output_config": {"effort": "high"}}, {"reasoning": {"effort": "high"}}),
    # structured outputs, https://platform.claude.com/docs/en/build-with-claude/structured-outputs
    ({"output_config": {"format": {"type": "json_schema", "schema": {"type": "object"}}}},
     {"response_format": {"type": "json_schema", "name": "output", "schema": {"type": "object"}}}),
])
def test_more_fields(messages: Endpoint, given: dict[str, Any], options: dict[str, Any]) -> None:
    assert messages.parse({"model": "m", "max_tokens": 1, "messages": HI, **given}).options == {"max_output_tokens": 1, **options}


@pytest.mark.parametrize(("given", "param"), [
    ({"tools": [{"type": "web_search_20250305", "name": "web_search"}]}, "tools"),  # a server tool
    ({"tools": [{"description": "no name"}]}, "tools[0]"),
    ({"tools": {"name": "f"}}, "tools"),
    ({"container": "c"}, "container"),
])
def test_refused_fields(messages: Endpoint, given: dict[str, Any], param: str) -> None:
    with pytest.raises(GatewayError) as info:
        messages.parse({"model": "m", "max_tokens": 1, "messages": HI, **given})
    assert info.value.status == 400 and info.value.param == param


def test_count_tokens_takes_only_the_count_fields(endpoints: dict[str, Endpoint]) -> None:
    count = endpoints["count_tokens"]
    call = count.parse({"model": "m", "messages": HI, "system": "S", "tools": [{"name": "f", "input_schema": {"type": "object"}}]})
    assert [m.role for m in call.messages] == ["system", "user"] and call.options["tools"][0]["name"] == "f"
    with pytest.raises(GatewayError) as info:
        count.parse({"model": "m", "messages": HI, "max_tokens": 5})
    assert info.value.param == "max_tokens"
    assert count.count_body(42) == {"input_tokens": 42}


@pytest.mark.parametrize("request_section", [
    {"like": "nope"},                                  # no such endpoint
    {"like": "b"},                                     # an endpoint that is itself `like` another
    {"like": "a", "fields": ["stream", "colour"]},     # a field the named endpoint does not take
])
def test_like_must_name_an_endpoint_and_its_fields(request_section: dict[str, Any]) -> None:
    endpoints = {"a": {"operation": "chat", "path": "/a", "request": {"fields": {"stream": {"call": "stream"}}}, "response": {}},
                 "b": {"operation": "count_tokens", "path": "/b", "request": {"like": "a"}, "response": {}},
                 "c": {"operation": "count_tokens", "path": "/c", "request": request_section, "response": {}}}
    with pytest.raises(e.ConfigError, match="like|fields"):
        WireAPI({"error": {"message": "{{ message }}"}, "endpoints": endpoints}, name="t")


# ---------------------------------------------------------------------------- the reply
def test_reply_blocks_in_order(messages: Endpoint) -> None:
    parts = [ReasoningPart(text="hmm", provider_metadata={"anthropic": {"signature": "sig"}}),
             ReasoningPart(redacted=True, provider_metadata={"anthropic": {"redacted_data": "opaque"}}),
             ReasoningPart(redacted=True),  # another provider's redacted reasoning: nothing to send back
             TextPart(text="Calling."),
             ToolCallPart(tool_call_id="t1", tool_name="f", arguments={"a": 1})]
    response = Response(provider="anthropic", model="m", parts=parts, finish_reason=FinishReason(unified="tool_calls", raw="tool_use"),
                        usage=Usage(input_tokens=100, output_tokens=5, cache_read_tokens=60, cache_write_tokens=10))
    body = messages.response_body(response, model="claude", reply_id=messages.reply_id_for("r1"))
    assert body["id"] == "msg_r1" and body["type"] == "message" and body["role"] == "assistant" and body["model"] == "claude"
    assert body["content"] == [{"type": "thinking", "thinking": "hmm", "signature": "sig"}, {"type": "redacted_thinking", "data": "opaque"},
                               {"type": "text", "text": "Calling."}, {"type": "tool_use", "id": "t1", "name": "f", "input": {"a": 1}}]
    assert body["stop_reason"] == "tool_use" and body["stop_sequence"] is None
    # Anthropic's input_tokens leave out the cached tokens
    assert body["usage"] == {"input_tokens": 30, "output_tokens": 5, "cache_creation_input_tokens": 10, "cache_read_input_tokens": 60}


@pytest.mark.parametrize(("reason", "wire"), [
    (FinishReason(unified="stop"), "end_turn"), (FinishReason(unified="length", raw="length"), "max_tokens"),
    (FinishReason(unified="stop", raw="stop_sequence"), "stop_sequence"),  # an Anthropic upstream's raw reason kept
    (FinishReason(unified="content_filter"), "refusal"), (FinishReason(unified="other", raw="whatever"), "end_turn"),
])
def test_stop_reasons(messages: Endpoint, reason: FinishReason, wire: str) -> None:
    assert messages.finish(Response(provider="x", model="m", finish_reason=reason)) == wire


# ---------------------------------------------------------------------------- the stream
def _stream(messages: Endpoint) -> bytes:
    writer = EventWriter(messages, model="claude", reply_id="msg_1", include_usage=False)
    reasoning = ReasoningPart(text="hmm", provider_metadata={"anthropic": {"signature": "sig"}})
    call = ToolCallPart(tool_call_id="t1", tool_name="f", arguments={"a": 1})
    response = Response(provider="anthropic", model="m", parts=[reasoning, TextPart(text="Hi"), call],
                        finish_reason=FinishReason(unified="tool_calls", raw="tool_use"), usage=Usage(input_tokens=12, output_tokens=9))
    events = [ResponseStart(provider="anthropic", model="m"), UsageUpdate(usage=Usage(input_tokens=12, output_tokens=1)),
              ReasoningStart(index=0), ReasoningDelta(index=0, delta="hm"), ReasoningDelta(index=0, delta="m"), ReasoningEnd(index=0, part=reasoning),
              TextStart(index=1), TextDelta(index=1, delta=""), TextDelta(index=1, delta="Hi"), TextEnd(index=1, part=TextPart(text="Hi")),
              # part 2 sent nothing (no template for its kind): the tool call is block 2, not 3
              ToolCallStart(index=3, tool_call_id="t1", tool_name="f"), ToolCallDelta(index=3, delta='{"a"'), ToolCallDelta(index=3, delta=": 1}"),
              ToolCallEnd(index=3, part=call), Finish(response=response)]
    return b"".join(writer.event(ev) for ev in events)


def test_stream_events_and_indexes(messages: Endpoint) -> None:
    frames = [f.split("\n") for f in _stream(messages).decode().split("\n\n") if f]
    data = [json.loads(f[1][len("data: "):]) for f in frames]
    assert all(f[0] == "event: " + d["type"] for f, d in zip(frames, data))
    assert data[0]["message"]["usage"] == {"input_tokens": 12, "output_tokens": 1, "cache_creation_input_tokens": None, "cache_read_input_tokens": None}
    blocks = [(d["type"], d.get("index")) for d in data[1:-2]]
    assert blocks == [("content_block_start", 0), ("content_block_delta", 0), ("content_block_delta", 0), ("content_block_delta", 0), ("content_block_stop", 0),
                      ("content_block_start", 1), ("content_block_delta", 1), ("content_block_stop", 1),
                      ("content_block_start", 2), ("content_block_delta", 2), ("content_block_delta", 2), ("content_block_stop", 2)]
    assert data[4]["delta"] == {"type": "signature_delta", "signature": "sig"}
    assert data[-2]["delta"] == {"stop_reason": "tool_use", "stop_sequence": None} and data[-2]["usage"]["output_tokens"] == 9
    assert data[-1] == {"type": "message_stop"}


def _sdk_httpx(anthropic: Any) -> Any:
    """The HTTP package the installed SDK is built on (httpx before anthropic 2, httpx2 since)."""
    for name in ("httpx2", "httpx"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if issubclass(anthropic.DefaultHttpxClient, module.Client):
            return module
    pytest.skip("the SDK's HTTP package is neither httpx nor httpx2")


def _sdk_final_message(anthropic: Any, body: bytes) -> Any:
    """The unmodified SDK's ``messages.stream(...).get_final_message()`` over the SSE ``body``."""
    hx = _sdk_httpx(anthropic)
    transport = hx.MockTransport(lambda request: hx.Response(200, content=body, headers={"content-type": "text/event-stream"}))
    with anthropic.Anthropic(api_key="k", base_url="http://gateway.test", http_client=anthropic.DefaultHttpxClient(transport=transport), max_retries=0) as client:
        with client.messages.stream(model="claude", max_tokens=10, messages=HI) as stream:
            return stream.get_final_message()


def test_the_sdk_reads_the_stream(messages: Endpoint) -> None:
    anthropic = pytest.importorskip("anthropic")
    final = _sdk_final_message(anthropic, _stream(messages))
    assert [b.type for b in final.content] == ["thinking", "text", "tool_use"]
    if hasattr(anthropic.types, "SignatureDelta"):  # an SDK that knows extended thinking accumulates its deltas
        assert (final.content[0].thinking, final.content[0].signature) == ("hmm", "sig")  # type: ignore[union-attr]
    assert final.content[1].text == "Hi"  # type: ignore[union-attr]
    assert final.content[2].input == {"a": 1} and final.content[2].id == "t1"  # type: ignore[union-attr]
    assert final.stop_reason == "tool_use" and final.usage.output_tokens == 9


def _stream_redacted(messages: Endpoint) -> bytes:
    """An Anthropic upstream's redacted thinking (no deltas: the end says it was redacted), another
    provider's redacted reasoning (nothing to send back: no block), a thinking block with only a
    signature, then text."""
    writer = EventWriter(messages, model="claude", reply_id="msg_1", include_usage=False)
    redacted = ReasoningPart(redacted=True, provider_metadata={"anthropic": {"redacted_data": "OPAQUE"}})
    foreign = ReasoningPart(redacted=True)
    signed = ReasoningPart(text="", provider_metadata={"anthropic": {"signature": "sig"}})
    response = Response(provider="anthropic", model="m", parts=[redacted, foreign, signed, TextPart(text="Hi")],
                        finish_reason=FinishReason(unified="stop", raw="end_turn"), usage=Usage(input_tokens=12, output_tokens=9))
    events = [ResponseStart(provider="anthropic", model="m"),
              ReasoningStart(index=0), ReasoningEnd(index=0, part=redacted),
              ReasoningStart(index=1), ReasoningEnd(index=1, part=foreign),
              ReasoningStart(index=2), ReasoningEnd(index=2, part=signed),
              TextStart(index=3), TextDelta(index=3, delta="Hi"), TextEnd(index=3, part=TextPart(text="Hi")), Finish(response=response)]
    return b"".join(writer.event(ev) for ev in events)


def test_redacted_thinking_streams_as_redacted_thinking(messages: Endpoint) -> None:
    data = [json.loads(f.split("\n")[1][len("data: "):]) for f in _stream_redacted(messages).decode().split("\n\n") if f]
    blocks = [(d["type"], d.get("index")) for d in data[1:-2]]
    assert blocks == [("content_block_start", 0), ("content_block_stop", 0),
                      ("content_block_start", 1), ("content_block_delta", 1), ("content_block_stop", 1),
                      ("content_block_start", 2), ("content_block_delta", 2), ("content_block_stop", 2)]
    assert data[1]["content_block"] == {"type": "redacted_thinking", "data": "OPAQUE"}
    assert data[3]["content_block"] == {"type": "thinking", "thinking": "", "signature": ""}
    assert data[4]["delta"] == {"type": "signature_delta", "signature": "sig"}


def test_a_thinking_block_opens_with_its_first_delta(messages: Endpoint) -> None:
    """Deltas first, then the end: one start, before the first delta, and no second one at the end."""
    data = [json.loads(f.split("\n")[1][len("data: "):]) for f in _stream(messages).decode().split("\n\n") if f]
    starts = [d for d in data if d["type"] == "content_block_start" and d["index"] == 0]
    assert starts == [{"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": "", "signature": ""}}]
    assert data.index(starts[0]) == 1 and data[2]["delta"] == {"type": "thinking_delta", "thinking": "hm"}


def test_the_sdk_reads_redacted_thinking(messages: Endpoint) -> None:
    anthropic = pytest.importorskip("anthropic")
    if not hasattr(anthropic.types, "RedactedThinkingBlock"):
        pytest.skip("this anthropic SDK predates redacted thinking blocks")
    final = _sdk_final_message(anthropic, _stream_redacted(messages))
    assert [b.type for b in final.content] == ["redacted_thinking", "thinking", "text"]
    assert final.content[0].data == "OPAQUE"  # type: ignore[union-attr]
    assert final.content[1].signature == "sig" and final.content[2].text == "Hi"  # type: ignore[union-attr]


# ---------------------------------------------------------------------------- in the app
@pytest.fixture(scope="module")
def tc(upstream: FakeUpstream) -> Iterator[TestClient]:
    with TestClient(create_app(router_config(upstream), env=ENV)) as client:
        yield client


def test_structured_output_reaches_upstream(tc: TestClient, upstream: FakeUpstream) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"], "additionalProperties": False}
    r = tc.post("/v1/messages", headers={"x-api-key": GATEWAY_KEY},
                json={"model": "chat", "max_tokens": 20, "messages": HI, "output_config": {"format": {"type": "json_schema", "schema": schema}}})
    assert r.status_code == 200, r.text
    body, _ = upstream.requests[-1]
    assert body["response_format"]["type"] == "json_schema" and body["response_format"]["json_schema"]["schema"]["properties"] == schema["properties"]


def test_errors_in_anthropic_shape(tc: TestClient) -> None:
    r = tc.post("/v1/messages", headers={"x-api-key": "wrong"}, json={"model": "chat", "max_tokens": 5, "messages": HI})
    assert r.status_code == 401 and r.json() == {"type": "error", "error": {"type": "authentication_error", "message": "invalid or missing gateway key"}}
    r = tc.post("/v1/messages", headers={"x-api-key": GATEWAY_KEY}, content=b"{not json")
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"


def test_count_tokens_in_process(tc: TestClient) -> None:
    r = tc.post("/v1/messages/count_tokens", headers={"x-api-key": GATEWAY_KEY}, json={"model": "chat", "messages": [{"role": "user", "content": "x" * 400}]})
    assert r.status_code == 200 and r.json()["input_tokens"] >= 100  # 400 characters: at least 100 tokens by the estimate


def test_anthropic_upstream_round_trip() -> None:
    """An Anthropic client in front of an Anthropic deployment: system blocks with cache_control,
    an echoed thinking block with its signature and a tool result reach the upstream as Anthropic
    sent them, and the upstream's thinking signature, raw stop reason and cache counts come back."""
    respx = pytest.importorskip("respx")
    key_env, upstream_env = "GATEWAY_TEST_KEY", "GATEWAY_TEST_ANTHROPIC_KEY"
    config = {"router": {"retry": {"retries": 0}},
              "deployments": [{"id": "claude", "provider": "anthropic", "model": "claude-sonnet-4-5", "api_key_env": upstream_env, "base_url": "https://anthropic.test/v1"}],
              "gateway": {"keys": [{"name": "k", "key_env": key_env}]}}
    reply = {"id": "msg_up", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
             "content": [{"type": "thinking", "thinking": "hmm", "signature": "sig"}, {"type": "text", "text": "Hi"}],
             "stop_reason": "stop_sequence", "stop_sequence": "END", "usage": {"input_tokens": 5, "output_tokens": 3, "cache_read_input_tokens": 2}}
    request = {"model": "claude", "max_tokens": 50, "system": [{"type": "text", "text": "S", "cache_control": {"type": "ephemeral"}}],
               "messages": [{"role": "user", "content": "Q"},
                            {"role": "assistant", "content": [{"type": "thinking", "thinking": "t", "signature": "s0"}, {"type": "tool_use", "id": "tu1", "name": "f", "input": {}}]},
                            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "tu1", "content": "ok"}]}],
               "tools": [{"name": "f", "input_schema": {"type": "object", "properties": {}}}]}
    with respx.mock(assert_all_called=False) as mock:
        route = mock.post("https://anthropic.test/v1/messages").respond(200, json=reply)
        with TestClient(create_app(config, env={key_env: GATEWAY_KEY, upstream_env: "sk-ant-test"})) as client:
            r = client.post("/v1/messages", headers={"x-api-key": GATEWAY_KEY}, json=request)
        assert r.status_code == 200, r.text
        sent = json.loads(route.calls[-1].request.content)
    assert sent["system"] == [{"type": "text", "text": "S", "cache_control": {"type": "ephemeral"}}]
    assert sent["messages"][1]["content"] == [{"type": "thinking", "thinking": "t", "signature": "s0"}, {"type": "tool_use", "id": "tu1", "name": "f", "input": {}}]
    assert sent["messages"][2] == {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "tu1", "content": "ok"}]}
    body = r.json()
    assert body["content"] == [{"type": "thinking", "thinking": "hmm", "signature": "sig"}, {"type": "text", "text": "Hi"}]
    assert body["stop_reason"] == "stop_sequence"
    assert (body["usage"]["input_tokens"], body["usage"]["cache_read_input_tokens"], body["usage"]["output_tokens"]) == (5, 2, 3)
