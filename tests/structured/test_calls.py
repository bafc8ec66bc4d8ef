"""``response_format=<pydantic model class>`` end to end: the request body each spec sends (its
strictest structured-output form), ``Response.parsed``, and a reply that does not validate.

Served on 127.0.0.1 by the hostile test server (tests/hostile/server.py), over the sync API and the
async API on both pools (httpx and aiohttp); Bedrock, whose credentials only go to its https
endpoint, through respx (sync and async, httpx).  The reply bodies are constructed in the providers'
documented shapes (no recorded structured-output body is in the corpus):

* OpenAI Chat Completions, the JSON in ``message.content``:
  https://platform.openai.com/docs/api-reference/chat/object ,
  https://platform.openai.com/docs/guides/structured-outputs ;
* Anthropic Messages, the JSON in a text block:
  https://platform.claude.com/docs/en/build-with-claude/structured-outputs ,
  https://platform.claude.com/docs/en/api/messages ;
* Gemini ``generateContent``, the JSON in ``candidates[0].content.parts[0].text``:
  https://ai.google.dev/gemini-api/docs/structured-output ,
  https://ai.google.dev/api/generate-content#generatecontentresponse ;
* Bedrock Converse, native (``outputConfig.textFormat``, the JSON as text) and the forced tool (a
  ``toolUse`` block whose ``input`` is the answer, ``stopReason: tool_use``):
  https://docs.aws.amazon.com/bedrock/latest/userguide/structured-output.html ,
  https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html ;
* Cohere Chat v2, JSON Schema mode, the JSON in a text content item:
  https://docs.cohere.com/docs/structured-outputs , https://docs.cohere.com/reference/chat .

Streams: the ``finish`` event's response carries ``parsed``; a stream whose reply does not
validate ends with exactly one terminal event, ``error``, carrying :class:`StructuredOutputError`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import respx
from pydantic import BaseModel

from specwire import Client, StructuredOutputError
from tests.hostile.server import (
    HostileServer,
    hostile,  # noqa: F401  (fixture)
    json_reply,
    openai_sse,
    anthropic_sse,
    stream_reply,
)


class Weather(BaseModel):
    city: str
    celsius: float
    rain: bool | None = None


GOOD = {"city": "Paris", "celsius": 21.5, "rain": False}
GOOD_TEXT = json.dumps(GOOD)
BAD_TEXT = json.dumps({"city": "Paris", "celsius": "warm"})


def _openai_body(text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-so", "object": "chat.completion", "created": 1, "model": "gpt-4.1",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "refusal": None}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21},
    }


def _anthropic_body(text: str) -> dict[str, Any]:
    return {
        "id": "msg_so", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": 12, "output_tokens": 9},
    }


def _gemini_body(text: str) -> dict[str, Any]:
    return {
        "candidates": [{"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 9, "totalTokenCount": 21},
        "modelVersion": "gemini-4-argon",
    }


def _converse_text_body(text: str) -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "end_turn", "usage": {"inputTokens": 12, "outputTokens": 9, "totalTokens": 21}, "metrics": {"latencyMs": 300},
    }


def _converse_tool_body(text: str) -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"toolUse": {"toolUseId": "tooluse_so1", "name": "Weather", "input": json.loads(text)}}]}},
        "stopReason": "tool_use", "usage": {"inputTokens": 12, "outputTokens": 9, "totalTokens": 21}, "metrics": {"latencyMs": 300},
    }


def _cohere_body(text: str) -> dict[str, Any]:
    return {
        "id": "c-so", "finish_reason": "COMPLETE",
        "message": {"role": "assistant", "content": [{"type": "text", "text": text}]},
        "usage": {"billed_units": {"input_tokens": 12, "output_tokens": 9}, "tokens": {"input_tokens": 30, "output_tokens": 9}},
    }


def _openai_request(body: dict[str, Any]) -> None:
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "Weather" and fmt["json_schema"]["strict"] is True
    schema = fmt["json_schema"]["schema"]
    assert schema["additionalProperties"] is False and sorted(schema["required"]) == ["celsius", "city", "rain"]


def _anthropic_request(body: dict[str, Any]) -> None:
    fmt = body["output_config"]["format"]
    assert fmt["type"] == "json_schema" and fmt["schema"]["additionalProperties"] is False
    assert fmt["schema"]["required"] == ["city", "celsius"] and "tools" not in body


def _gemini_request(body: dict[str, Any]) -> None:
    config = body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"] == Weather.model_json_schema()


def _converse_native_request(body: dict[str, Any]) -> None:
    fmt = body["outputConfig"]["textFormat"]
    assert fmt["type"] == "json_schema" and fmt["structure"]["jsonSchema"]["name"] == "Weather"
    assert json.loads(fmt["structure"]["jsonSchema"]["schema"])["additionalProperties"] is False
    assert "toolConfig" not in body


def _converse_tool_request(body: dict[str, Any]) -> None:
    assert "outputConfig" not in body
    (tool,) = body["toolConfig"]["tools"]
    assert tool["toolSpec"]["name"] == "Weather" and tool["toolSpec"]["inputSchema"]["json"] == Weather.model_json_schema()
    assert body["toolConfig"]["toolChoice"] == {"tool": {"name": "Weather"}}


def _cohere_request(body: dict[str, Any]) -> None:
    assert body["response_format"] == {"type": "json_object", "json_schema": Weather.model_json_schema()}


#: (model ref, reply body builder, request check)
CASES: dict[str, tuple[str, Callable[[str], dict[str, Any]], Callable[[dict[str, Any]], None]]] = {
    "openai": ("openai:gpt-4.1", _openai_body, _openai_request),
    "azure-openai": ("azure-openai:gpt-4.1", _openai_body, _openai_request),
    "anthropic": ("anthropic:claude-sonnet-4-5", _anthropic_body, _anthropic_request),
    "gemini": ("gemini:gemini-4-argon", _gemini_body, _gemini_request),
    "cohere": ("cohere:command-a-03-2025", _cohere_body, _cohere_request),
}
#: Bedrock: (model id, reply body builder, request check); the forced tool for a model whose
#: catalog entry says json_schema: false (Claude Sonnet 4), the native form otherwise.
BEDROCK = {
    "native": ("global.anthropic.claude-opus-4-6-v1", _converse_text_body, _converse_native_request),
    "tool": ("us.anthropic.claude-sonnet-4-20250514-v1:0", _converse_tool_body, _converse_tool_request),
}
BEDROCK_BASE = "https://bedrock-runtime.us-east-1.amazonaws.com"
_SETTINGS = {"azure-openai": {"resource": "so", "deployment": "gpt-4-1"}}


def _client(server: HostileServer, ref: str, backend: str = "httpx", **kwargs: Any) -> Client:
    provider = ref.split(":", 1)[0]
    return Client(
        api_keys={provider: "test-key-structured"}, base_urls={provider: server.url("/v1")},
        settings={provider: _SETTINGS[provider]} if provider in _SETTINGS else None,
        load_entry_points=False, env={}, async_backend=backend, **kwargs,
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_sync_call_sends_the_strict_form_and_parses(hostile: HostileServer, case: str) -> None:
    ref, body, check = CASES[case]
    hostile.always(json_reply(200, body(GOOD_TEXT)))
    with _client(hostile, ref) as client:
        response = client.complete(ref, "Weather in Paris?", response_format=Weather)
    check(hostile.requests[-1].json())
    assert isinstance(response.parsed, Weather) and response.parsed == Weather(**GOOD)
    # the reply is the text, whatever form carried it (the forced tool's call is not left to answer)
    assert json.loads(response.text) == GOOD and response.tool_calls == []
    assert response.finish_reason is not None and response.finish_reason.unified == "stop"
    assert not [w for w in response.warnings if w.kind == "unsupported-capability"]


@pytest.mark.parametrize("backend", ["httpx", "aiohttp"])
@pytest.mark.parametrize("case", ["openai", "anthropic", "gemini"])
def test_async_call_parses_on_both_pools(hostile: HostileServer, case: str, backend: str) -> None:
    if backend == "aiohttp":
        pytest.importorskip("aiohttp")
    ref, body, check = CASES[case]
    hostile.always(json_reply(200, body(GOOD_TEXT)))

    async def run() -> Any:
        client = _client(hostile, ref, backend)
        try:
            return await client.acomplete(ref, "Weather in Paris?", response_format=Weather)
        finally:
            await client.aclose()

    response = asyncio.run(run())
    check(hostile.requests[-1].json())
    assert response.parsed == Weather(**GOOD)


@pytest.mark.parametrize("case", ["openai", "anthropic", "gemini", "cohere"])
def test_a_reply_that_does_not_validate_raises_with_the_raw_text(hostile: HostileServer, case: str) -> None:
    ref, body, _ = CASES[case]
    hostile.always(json_reply(200, body(BAD_TEXT)))
    with _client(hostile, ref) as client, pytest.raises(StructuredOutputError) as info:
        client.complete(ref, "Weather in Paris?", response_format=Weather)
    error = info.value
    assert json.loads(error.raw) == json.loads(BAD_TEXT)
    assert error.partial is not None and error.partial.parsed is None and json.loads(error.partial.text) == json.loads(BAD_TEXT)
    assert "celsius" in str(error) and "Weather" in str(error)
    assert "pydantic.dev" not in str(error) and "input_value" not in str(error)
    assert len(hostile.requests) == 1  # never retried


def test_a_reply_that_is_not_json_raises(hostile: HostileServer) -> None:
    ref = "openai:gpt-4.1"
    hostile.always(json_reply(200, _openai_body("Sorry, I cannot help with that.")))
    with _client(hostile, ref) as client, pytest.raises(StructuredOutputError) as info:
        client.complete(ref, "hi", response_format=Weather)
    assert info.value.raw == "Sorry, I cannot help with that."


def test_a_dict_schema_is_sent_but_not_parsed(hostile: HostileServer) -> None:
    ref = "openai:gpt-4.1"
    hostile.always(json_reply(200, _openai_body(GOOD_TEXT)))
    schema = {"type": "object", "properties": {"city": {"type": "string"}}}
    with _client(hostile, ref) as client:
        response = client.complete(ref, "hi", response_format={"type": "json_schema", "name": "W", "schema": schema})
        assert response.parsed is None and response.text == GOOD_TEXT
        plain = client.complete(ref, "hi")
        assert plain.parsed is None
    # not strict: sent as given
    assert hostile.requests[0].json()["response_format"]["json_schema"] == {"name": "W", "schema": schema}


# ---------------------------------------------------------------------------- Bedrock (respx)
def _bedrock(mock: respx.MockRouter, model: str, body: dict[str, Any]) -> respx.Route:
    path = "/model/" + model.replace(":", "%3A") + "/converse"
    return mock.post(BEDROCK_BASE + path).mock(return_value=httpx.Response(200, json=body))


def _bedrock_client() -> Client:
    return Client(load_entry_points=False, env={"AWS_ACCESS_KEY_ID": "AKIAEXAMPLESTRUCT01", "AWS_SECRET_ACCESS_KEY": "structuredSecretExample0123456789", "AWS_REGION": "us-east-1"})


@pytest.mark.parametrize("form", sorted(BEDROCK))
def test_bedrock_sync_and_async(form: str) -> None:
    model, body, check = BEDROCK[form]
    with respx.mock(assert_all_mocked=True) as mock:
        route = _bedrock(mock, model, body(GOOD_TEXT))
        with _bedrock_client() as client:
            response = client.complete(f"bedrock:{model}", "Weather in Paris?", response_format=Weather)

        async def run() -> Any:
            client = _bedrock_client()
            try:
                return await client.acomplete(f"bedrock:{model}", "Weather in Paris?", response_format=Weather)
            finally:
                await client.aclose()

        async_response = asyncio.run(run())
    for call in route.calls:
        check(json.loads(call.request.content))
    for r in (response, async_response):
        assert r.parsed == Weather(**GOOD) and json.loads(r.text) == GOOD and r.tool_calls == []
        assert r.finish_reason is not None and r.finish_reason.unified == "stop"
        assert not [w for w in r.warnings if w.kind == "unsupported-capability"]


def test_bedrock_forced_tool_reply_that_does_not_validate() -> None:
    model, body, _ = BEDROCK["tool"]
    with respx.mock(assert_all_mocked=True) as mock:
        route = _bedrock(mock, model, body(BAD_TEXT))
        with _bedrock_client() as client, pytest.raises(StructuredOutputError) as info:
            client.complete(f"bedrock:{model}", "hi", response_format=Weather)
    assert json.loads(info.value.raw) == json.loads(BAD_TEXT) and route.call_count == 1
    assert "celsius" in str(info.value)


def test_a_forced_tool_dict_schema_still_becomes_the_text() -> None:
    model, body, _ = BEDROCK["tool"]
    with respx.mock(assert_all_mocked=True) as mock:
        _bedrock(mock, model, body(GOOD_TEXT))
        with _bedrock_client() as client:
            response = client.complete(f"bedrock:{model}", "hi", response_format={"type": "json_schema", "name": "Weather", "schema": Weather.model_json_schema()})
    assert response.parsed is None and json.loads(response.text) == GOOD and response.tool_calls == []
    # the next turn carries the answer as text, not a tool call awaiting a result
    assert [p.type for p in response.message().parts] == ["text"]


def test_a_forced_tool_is_not_used_beside_the_callers_tools() -> None:
    """With the caller's own tools, the forced tool would replace them: the native form is sent
    (with the capability warning), never a body that drops the caller's tools."""
    model = BEDROCK["tool"][0]
    tool = {"name": "lookup", "description": "Look it up", "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}
    plan = _bedrock_client().build(f"bedrock:{model}", "hi", tools=[tool], response_format=Weather)
    assert [t["toolSpec"]["name"] for t in plan.body["toolConfig"]["tools"]] == ["lookup"]
    assert [w.param for w in plan.warnings if w.kind == "unsupported-capability"] == ["response_format"]


# ---------------------------------------------------------------------------- streams
def _openai_stream(text: str) -> Any:
    return stream_reply(openai_sse([text[:10], text[10:]]))


def _anthropic_stream(text: str) -> Any:
    head, tail = anthropic_sse([text[:10], text[10:]])
    return stream_reply(head + tail)


def _gemini_stream(text: str) -> Any:
    first = {"candidates": [{"content": {"parts": [{"text": text[:10]}], "role": "model"}, "index": 0}]}
    last = {
        "candidates": [{"content": {"parts": [{"text": text[10:]}], "role": "model"}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 9, "totalTokenCount": 21},
    }
    # streamGenerateContent without alt=sse answers with one JSON array of GenerateContentResponse
    return stream_reply([b"[" + json.dumps(first).encode(), b"," + json.dumps(last).encode() + b"]"], content_type="application/json")


STREAMS = {"openai": _openai_stream, "anthropic": _anthropic_stream, "gemini": _gemini_stream}


@pytest.mark.parametrize("case", sorted(STREAMS))
def test_stream_finish_carries_parsed(hostile: HostileServer, case: str) -> None:
    ref = CASES[case][0]
    hostile.always(STREAMS[case](GOOD_TEXT))
    with _client(hostile, ref) as client:
        events = list(client.stream(ref, "Weather in Paris?", response_format=Weather))
    assert [e.type for e in events].count("finish") == 1 and events[-1].type == "finish"
    assert events[-1].response.parsed == Weather(**GOOD)


@pytest.mark.parametrize("backend", ["httpx", "aiohttp"])
@pytest.mark.parametrize("case", sorted(STREAMS))
def test_stream_that_does_not_validate_ends_with_one_error_event(hostile: HostileServer, case: str, backend: str) -> None:
    if backend == "aiohttp":
        pytest.importorskip("aiohttp")
    ref = CASES[case][0]
    hostile.always(STREAMS[case](BAD_TEXT))

    async def run() -> list[Any]:
        client = _client(hostile, ref, backend)
        try:
            return [e async for e in client.astream(ref, "hi", response_format=Weather, raise_on_error=False)]
        finally:
            await client.aclose()

    events = asyncio.run(run())
    terminal = [e for e in events if e.type in ("finish", "error")]
    assert len(terminal) == 1 and events[-1] is terminal[0] and terminal[0].type == "error"
    assert isinstance(terminal[0].error, StructuredOutputError) and json.loads(terminal[0].error.raw) == json.loads(BAD_TEXT)
    assert terminal[0].response.text == BAD_TEXT
    # raise_on_error (the default) raises the same error from the sync iterator
    with _client(hostile, ref) as client, pytest.raises(StructuredOutputError):
        list(client.stream(ref, "hi", response_format=Weather))


# ---------------------------------------------------------------------------- a recorded forced-tool stream
class City(BaseModel):
    city: str


def _replay_tool_stream(output_type: type[BaseModel]) -> list[Any]:
    """The recorded ConverseStream of tests/fixtures/bedrock/converse-stream-tool-use (a
    ``get_temperature`` toolUse with input ``{"city": "Paris"}`` after some text), read as a
    forced-tool structured reply."""
    from specwire.process import ResponseProcessor
    from specwire.registry import SpecRegistry
    from specwire.structured import OutputSpec
    from tests.conftest import FIXTURES

    spec = SpecRegistry(user_config=False, env={}).get("bedrock")
    proc = ResponseProcessor(spec, model="us.amazon.nova-micro-v1:0", stream=True, output=OutputSpec(output_type, "get_temperature"))
    body = (FIXTURES / "bedrock" / "converse-stream-tool-use" / "eventstream.bin").read_bytes()
    return proc.start() + proc.feed(body) + proc.close()


def test_recorded_forced_tool_stream_finish_carries_parsed() -> None:
    events = _replay_tool_stream(City)
    assert [e.type for e in events if e.type in ("finish", "error")] == ["finish"]
    response = events[-1].response
    assert response.parsed == City(city="Paris") and response.tool_calls == []
    assert response.finish_reason is not None and response.finish_reason.unified == "stop" and response.finish_reason.raw == "tool_use"
    assert response.text.endswith('{"city": "Paris"}') and response.parts[-1].type == "text"


def test_recorded_forced_tool_stream_that_does_not_validate_ends_with_one_error() -> None:
    events = _replay_tool_stream(Weather)
    terminal = [e for e in events if e.type in ("finish", "error")]
    assert len(terminal) == 1 and terminal[0] is events[-1] and terminal[0].type == "error"
    assert isinstance(terminal[0].error, StructuredOutputError) and json.loads(terminal[0].error.raw) == {"city": "Paris"}
    assert "celsius" in str(terminal[0].error)
