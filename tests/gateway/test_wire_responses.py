"""The generic ``serve:`` features the Responses API needs (engine/gateway/wire.py, inbound.py),
unit-tested on providers.d/openai-responses.yaml's section and on small hand-made sections:
``reply_id``, ``parts``, a field's ``each``, the stream's ``sequence``, ``block_index``, ``item``,
``request`` and ``response``, and inbound tool calls whose arguments are JSON text.
Shapes: https://platform.openai.com/docs/api-reference/responses-streaming ."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytest.importorskip("starlette")

from specwire.gateway import GatewayError  # noqa: E402
from specwire.gateway.wire import Endpoint, EventWriter, WireAPI, serve_sections  # noqa: E402
from specwire.registry import default_registry  # noqa: E402
from specwire.types import (  # noqa: E402
    ErrorEvent,
    Finish,
    FinishReason,
    ReasoningDelta,
    ReasoningEnd,
    ReasoningPart,
    ReasoningStart,
    Response,
    TextDelta,
    TextEnd,
    TextPart,
    TextStart,
    ToolCallPart,
    ToolResultPart,
    Usage,
)
from specwire import errors as e  # noqa: E402


@pytest.fixture(scope="module")
def responses() -> Endpoint:
    section = dict(serve_sections(default_registry()))["openai-responses"]
    return next(ep for ep in WireAPI(section, name="openai-responses").endpoints if ep.path == "/v1/responses")


def _sse(data: bytes) -> list[tuple[str, Any]]:
    out = []
    for block in data.decode().split("\n\n"):
        if block:
            event, payload = block.split("\n", 1)
            assert event.startswith("event: ") and payload.startswith("data: ")
            out.append((event[len("event: "):], json.loads(payload[len("data: "):])))
    return out


def _reply(parts: list[Any], **kw: Any) -> Response:
    return Response(provider="openai", model="m", parts=parts, **kw)


def test_reply_id_and_parse(responses: Endpoint) -> None:
    assert responses.reply_id_for("abc") == "resp_abc"
    call = responses.parse({"model": "m", "input": "Hi", "instructions": "Be brief", "store": True, "tools": [
        {"type": "function", "name": "f", "parameters": {"type": "object"}, "strict": None}]})
    assert [(m.role, m.content) for m in call.messages] == [("system", [TextPart(text="Be brief")]), ("user", [TextPart(text="Hi")])]
    assert call.options["tools"] == [{"name": "f", "parameters": {"type": "object"}, "strict": None}]
    assert call.request["store"] is True
    # a value that comes out omit sets no option
    assert "response_format" not in responses.parse({"model": "m", "input": "Hi", "text": {"format": {"type": "text"}}}).options
    with pytest.raises(GatewayError) as info:
        responses.parse({"model": "m", "input": "Hi", "tools": [{"type": "function", "name": "f"}, {"type": "file_search"}]})
    assert (info.value.status, info.value.param) == (400, "tools")


def test_default_reply_id_is_the_chat_one() -> None:
    chat = next(ep for ep in WireAPI(dict(serve_sections(default_registry()))["openai"], name="openai").endpoints if ep.operation == "chat")
    assert chat.reply_id_for("abc") == "chatcmpl-abc"


def test_inbound_function_call_arguments_are_decoded(responses: Endpoint) -> None:
    call = responses.parse({"model": "m", "input": [
        {"role": "user", "content": "go"},
        {"type": "function_call", "call_id": "c1", "name": "f", "arguments": '{"a": 1}'},
        {"type": "function_call", "call_id": "c2", "name": "g", "arguments": '{"cut'},
        {"type": "function_call_output", "call_id": "c1", "output": [{"type": "input_text", "text": "ok"}]},
    ]})
    assistant, tool = call.messages[1], call.messages[2]
    first, second = assistant.content
    assert isinstance(first, ToolCallPart) and first.arguments == {"a": 1} and first.arguments_text == '{"a": 1}'
    assert isinstance(second, ToolCallPart) and second.arguments is None and second.arguments_text == '{"cut'  # kept as sent
    assert tool.role == "tool" and tool.content == [ToolResultPart(tool_call_id="c1", content=[TextPart(text="ok")])]


def test_parts_render_in_order_with_ids(responses: Endpoint) -> None:
    reply = _reply([ReasoningPart(text="hmm"), TextPart(text="Hi"), ToolCallPart(tool_call_id=None, tool_name="f", arguments={"a": 1})],
                   finish_reason=FinishReason(unified="tool_calls"), usage=Usage(input_tokens=3, output_tokens=2, cache_read_tokens=1, reasoning_tokens=1))
    body = responses.response_body(reply, model="gpt", reply_id="resp_x", created=7, request={"instructions": "Be brief"})
    assert [(o["type"], o["id"]) for o in body["output"]] == [("reasoning", "rs_resp_x_0"), ("message", "msg_resp_x_1"), ("function_call", "fc_resp_x_2")]
    assert body["output"][2]["call_id"] == "call_2" and json.loads(body["output"][2]["arguments"]) == {"a": 1}
    assert (body["status"], body["created_at"], body["instructions"], body["error"]) == ("completed", 7, "Be brief", None)
    assert body["usage"] == {"input_tokens": 3, "input_tokens_details": {"cached_tokens": 1, "cache_write_tokens": 0},
                             "output_tokens": 2, "output_tokens_details": {"reasoning_tokens": 1}, "total_tokens": 5}


def test_stream_sequence_block_index_item_and_response(responses: Endpoint) -> None:
    w = EventWriter(responses, model="gpt", reply_id="resp_x", include_usage=False, created=1, request={"temperature": 0.5})
    final = _reply([ReasoningPart(text="hmm"), TextPart(text="Hi")], finish_reason=FinishReason(unified="stop"), usage=Usage(input_tokens=1, output_tokens=2))
    data = w.event(ReasoningStart(index=0)) + w.event(ReasoningDelta(index=0, delta="hmm")) + w.event(ReasoningEnd(index=0, part=ReasoningPart(text="hmm")))
    data += w.event(TextStart(index=1)) + w.event(TextDelta(index=1, delta="")) + w.event(TextDelta(index=1, delta="Hi"))
    data += w.event(TextEnd(index=1, part=TextPart(text="Hi"))) + w.event(Finish(response=final))
    events = _sse(data)
    assert [d["sequence_number"] for _, d in events] == list(range(len(events)))
    assert all(name == d["type"] for name, d in events)
    created = events[0][1]["response"]
    assert (created["status"], created["output"], created["usage"], created["temperature"]) == ("in_progress", [], None, 0.5)
    added = [d for name, d in events if name == "response.output_item.added"]
    done = [d for name, d in events if name == "response.output_item.done"]
    assert [d["output_index"] for d in added] == [0, 1] and [d["output_index"] for d in done] == [0, 1]
    completed = events[-1][1]
    assert completed["type"] == "response.completed" and completed["response"]["status"] == "completed"
    assert completed["response"]["output"] == [d["item"] for d in done]  # each item as the final reply has it
    assert [d["item"]["id"] for d in added] == [d["item"]["id"] for d in done]
    assert [d["delta"] for name, d in events if name == "response.output_text.delta"] == ["Hi"]  # an empty delta sends nothing


def test_block_index_skips_parts_that_send_nothing(responses: Endpoint) -> None:
    w = EventWriter(responses, model="gpt", reply_id="r", include_usage=False, created=1)
    w.start()
    assert w.event(TextDelta(index=0, delta="")) == b""  # no start, no delta: part 0 sent nothing
    events = _sse(w.event(TextStart(index=1)))
    assert [d["output_index"] for _, d in events] == [0, 0]


def test_stream_error_is_an_error_event_then_a_failed_response(responses: Endpoint) -> None:
    w = EventWriter(responses, model="gpt", reply_id="r", include_usage=False, created=1)
    partial = _reply([TextPart(text="Hel")])
    data = w.event(TextStart(index=0)) + w.event(ErrorEvent(error=e.ServerError("upstream broke", status=500), response=partial))
    events = _sse(data)
    (name, error), (last, failed) = events[-2], events[-1]
    assert name == "error" and error["message"] and error["code"] == "server_error"
    assert last == "response.failed" and failed["response"]["status"] == "failed"
    assert failed["response"]["error"] == {"code": "server_error", "message": error["message"]}
    assert [d["sequence_number"] for _, d in events] == list(range(len(events)))


def test_incomplete_reply(responses: Endpoint) -> None:
    body = responses.response_body(_reply([TextPart(text="Hi")], finish_reason=FinishReason(unified="length")), model="gpt", reply_id="r")
    assert body["status"] == "incomplete" and body["incomplete_details"] == {"reason": "max_output_tokens"}


def test_each_maps_list_entries_and_refuses_other_values() -> None:
    api = WireAPI({"error": {"message": "{{ message }}"}, "endpoints": {"c": {
        "operation": "chat", "path": "/c", "response": {"id": "{{ id }}"},
        "request": {"fields": {"tools": {"option": "tools", "each": {"name": "{{ item.n }}", "description": "{{ item.d if item.d is defined else omit }}"}}}}}}})
    ep = api.endpoints[0]
    call = ep.parse({"model": "m", "messages": [{"role": "user", "content": "x"}], "tools": [{"n": "a"}, {"n": "b", "d": "B"}]})
    assert call.options["tools"] == [{"name": "a"}, {"name": "b", "description": "B"}]
    with pytest.raises(GatewayError) as info:
        ep.parse({"model": "m", "messages": [{"role": "user", "content": "x"}], "tools": {"n": "a"}})
    assert (info.value.status, info.value.param) == (400, "tools")
    with pytest.raises(GatewayError) as info:
        ep.parse({"model": "m", "messages": [{"role": "user", "content": "x"}], "tools": [{"d": "no name"}]})
    assert (info.value.status, info.value.param) == (400, "tools[0]")


def test_include_accepts_only_encrypted_reasoning(responses: Endpoint) -> None:
    assert responses.parse({"model": "m", "input": "Hi", "include": ["reasoning.encrypted_content"], "prompt_cache_key": "k"}).options == {}
    with pytest.raises(GatewayError) as info:
        responses.parse({"model": "m", "input": "Hi", "include": ["message.output_text.logprobs"]})
    assert (info.value.status, info.value.param) == (400, "include")
