"""Every Anthropic content-block type and every OpenAI Responses output-item type, mapped explicitly,
the same in stream and non-stream mode, and echoed back by ``response.message()``.

The types are those of the newest SDKs: anthropic 2.17.0 ``anthropic/types/content_block.py`` and
``anthropic/types/beta/beta_content_block.py`` (``BetaMCPToolUseBlock``, ``BetaMCPToolResultBlock``…),
openai 3.63.0 ``openai/types/responses/response_output_item.py``.  Bodies are built the way the API
reference documents them (URL on each block); the stream of a body is built as the streaming docs
describe: https://platform.claude.com/docs/en/build-with-claude/streaming (``content_block_start`` with
the block, ``input_json_delta`` fragments for tool input, server-tool results whole in
``content_block_start``) and https://platform.openai.com/docs/api-reference/responses-streaming
(``response.output_item.added`` / ``…done`` around each item).

What must hold:

* client tool calls (Anthropic ``tool_use``, Responses ``function_call``) are :class:`ToolCallPart`;
* calls the provider runs itself (``server_tool_use``, ``mcp_tool_use``) are :class:`ToolCallPart`
  with ``provider_executed`` and their real id and name; their results and every other
  provider-specific block are :class:`ProviderPart` (kept as sent);
* a block or item type the spec does not know is a :class:`ProviderPart` with an
  ``unknown-content`` warning, never a client tool call (no call with an empty name or a made-up id);
* stream and non-stream give the same parts; the next request echoes the turn.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

import specwire
from specwire import Message, ProviderPart, ToolCallPart
from specwire.process import ResponseProcessor

# ============================================================================ Anthropic
SIG = "EqQBCkYIBRgCKkBsignatureExample0123456789"
ANTHROPIC_BLOCKS: list[dict[str, Any]] = [
    {"type": "thinking", "thinking": "Use the tools.", "signature": SIG},
    {"type": "text", "text": "Looking it up."},
    # https://platform.claude.com/docs/en/agents-and-tools/mcp-connector (response content types)
    {"type": "mcp_tool_use", "id": "mcptoolu_014Q35RayjACSWkSj4X2yov1", "name": "echo", "server_name": "example-mcp", "input": {"param1": "value1", "param2": "value2"}},
    {"type": "mcp_tool_result", "tool_use_id": "mcptoolu_014Q35RayjACSWkSj4X2yov1", "is_error": False, "content": [{"type": "text", "text": "Hello"}]},
    # https://platform.claude.com/docs/en/agents-and-tools/tool-use/web-search-tool (response)
    {"type": "server_tool_use", "id": "srvtoolu_01WYG3ziw53XMcoyKL4XcZmE", "name": "web_search", "input": {"query": "claude shannon birth date"}},
    {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_01WYG3ziw53XMcoyKL4XcZmE", "content": [
        {"type": "web_search_result", "url": "https://en.wikipedia.org/wiki/Claude_Shannon", "title": "Claude Shannon - Wikipedia", "encrypted_content": "EqgfCioIARgBIiQ3YTAwMjY1Mi1mZjM5", "page_age": "April 30, 2025"},
    ]},
    # https://platform.claude.com/docs/en/agents-and-tools/tool-use/web-fetch-tool (response)
    {"type": "server_tool_use", "id": "srvtoolu_01234567890abcdef", "name": "web_fetch", "input": {"url": "https://example.com/article"}},
    {"type": "web_fetch_tool_result", "tool_use_id": "srvtoolu_01234567890abcdef", "content": {
        "type": "web_fetch_result", "url": "https://example.com/article", "retrieved_at": "2025-08-25T10:30:00Z",
        "content": {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "Full text content of the article..."}, "title": "Article Title", "citations": {"enabled": True}},
    }},
    # https://platform.claude.com/docs/en/agents-and-tools/tool-use/code-execution-tool (response formats)
    {"type": "server_tool_use", "id": "srvtoolu_01A2B3C4D5E6F7G8H9", "name": "code_execution", "input": {"code": "print(1+1)"}},
    {"type": "code_execution_tool_result", "tool_use_id": "srvtoolu_01A2B3C4D5E6F7G8H9", "content": {"type": "code_execution_result", "stdout": "2\n", "stderr": "", "return_code": 0, "content": []}},
    {"type": "server_tool_use", "id": "srvtoolu_01B3C4D5E6F7G8H9I0", "name": "bash_code_execution", "input": {"command": "ls -la | head -5"}},
    {"type": "bash_code_execution_tool_result", "tool_use_id": "srvtoolu_01B3C4D5E6F7G8H9I0", "content": {"type": "bash_code_execution_result", "stdout": "total 24\n", "stderr": "", "return_code": 0, "content": []}},
    {"type": "server_tool_use", "id": "srvtoolu_01C4D5E6F7G8H9I0J1", "name": "text_editor_code_execution", "input": {"command": "create", "path": "/tmp/x.py", "file_text": "print(1)\n"}},
    {"type": "text_editor_code_execution_tool_result", "tool_use_id": "srvtoolu_01C4D5E6F7G8H9I0J1", "content": {"type": "text_editor_code_execution_create_result", "is_file_update": False}},
    {"type": "container_upload", "file_id": "file_011CNha8iCJcU1wXNR6q4V8w"},
    # https://platform.claude.com/docs/en/agents-and-tools/tool-use/tool-search-tool (response format)
    {"type": "server_tool_use", "id": "srvtoolu_01ABC123", "name": "tool_search_tool_regex", "input": {"query": "weather"}},
    {"type": "tool_search_tool_result", "tool_use_id": "srvtoolu_01ABC123", "content": {"type": "tool_search_tool_search_result", "tool_references": [{"type": "tool_reference", "tool_name": "get_weather"}]}},
    # beta blocks (anthropic 2.17.0 types/beta/beta_content_block.py): compaction (streamed through
    # compaction_delta, beta_compaction_content_block_delta.py), the MCP tool listing, a fallback hop
    # (https://platform.claude.com/docs/en/build-with-claude/compaction)
    {"type": "compaction", "content": "Summary of the earlier conversation.", "encrypted_content": "Eo8BCkYIBhgC"},
    {"type": "mcp_tool_listing", "mcp_server_name": "example-mcp", "tools": [{"name": "echo", "description": "Echo", "input_schema": {"type": "object"}}]},
    {"type": "fallback", "from": {"model": "claude-opus-4-7"}, "to": {"model": "claude-sonnet-4-6"}, "trigger": {"type": "refusal", "category": None}},
    # a block type no spec knows yet, with streamed input (the phantom-call case)
    {"type": "hologram_tool_use", "id": "holo_01", "input": {"scene": "moon"}},
    {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "get_weather", "input": {"location": "San Francisco, CA"}},
]
EXECUTED = {"mcp_tool_use", "server_tool_use"}
RESULTS = {b["type"] for b in ANTHROPIC_BLOCKS} - EXECUTED - {"thinking", "text", "tool_use"}


def _anthropic_message() -> dict[str, Any]:
    return {
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant", "model": "claude-sonnet-4-6",
        "content": copy.deepcopy(ANTHROPIC_BLOCKS), "stop_reason": "tool_use", "stop_sequence": None,
        "usage": {"input_tokens": 2095, "output_tokens": 503},
    }


def _sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def _anthropic_stream() -> bytes:
    msg = _anthropic_message()
    out = [_sse("message_start", {"type": "message_start", "message": {**msg, "content": [], "stop_reason": None, "usage": {"input_tokens": 2095, "output_tokens": 1}}})]
    for i, block in enumerate(msg["content"]):
        start, deltas = dict(block), []
        if block["type"] == "text":
            start["text"] = ""
            deltas = [{"type": "text_delta", "text": block["text"]}]
        elif block["type"] == "thinking":
            start.update(thinking="", signature="")
            deltas = [{"type": "thinking_delta", "thinking": block["thinking"]}, {"type": "signature_delta", "signature": SIG}]
        elif block["type"] == "compaction":
            start.update(content=None, encrypted_content=None)
            deltas = [{"type": "compaction_delta", "content": block["content"], "encrypted_content": block["encrypted_content"]}]
        elif "input" in block:
            start["input"] = {}
            text = json.dumps(block["input"])
            deltas = [{"type": "input_json_delta", "partial_json": text[:7]}, {"type": "input_json_delta", "partial_json": text[7:]}]
        out.append(_sse("content_block_start", {"type": "content_block_start", "index": i, "content_block": start}))
        out += [_sse("content_block_delta", {"type": "content_block_delta", "index": i, "delta": d}) for d in deltas]
        out.append(_sse("content_block_stop", {"type": "content_block_stop", "index": i}))
    out.append(_sse("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None}, "usage": {"output_tokens": 503}}))
    out.append(_sse("message_stop", {"type": "message_stop"}))
    return b"".join(out)


def _run(registry: Any, provider: str, body: bytes, *, stream: bool) -> tuple[specwire.Response, list[Any]]:
    proc = ResponseProcessor(registry.get(provider), model="m", stream=stream, framing="sse" if stream else None)
    events = proc.start() + proc.feed(body) + proc.close()
    assert events[-1].type == "finish", events[-1]
    return events[-1].response, events


def _comparable(parts: list[Any]) -> list[Any]:
    return [p.model_dump(exclude={"arguments_text"}) for p in parts]


@pytest.fixture(scope="module")
def anthropic_modes(registry: Any) -> dict[bool, tuple[specwire.Response, list[Any]]]:
    return {
        False: _run(registry, "anthropic", json.dumps(_anthropic_message()).encode(), stream=False),
        True: _run(registry, "anthropic", _anthropic_stream(), stream=True),
    }


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_anthropic_every_block_is_mapped(anthropic_modes: Any, stream: bool) -> None:
    response, _ = anthropic_modes[stream]
    assert len(response.parts) == len(ANTHROPIC_BLOCKS)
    for block, part in zip(ANTHROPIC_BLOCKS, response.parts):
        kind = block["type"]
        if kind in EXECUTED or kind == "tool_use":
            assert isinstance(part, ToolCallPart), (kind, part)
            assert (part.tool_call_id, part.tool_name, part.arguments) == (block["id"], block["name"], block["input"])
            assert part.provider_executed is (kind in EXECUTED)
        elif kind in ("text", "thinking"):
            assert part.type == ("text" if kind == "text" else "reasoning")
        else:
            assert isinstance(part, ProviderPart), (kind, part)
            assert (part.provider, part.provider_type, part.data) == ("anthropic", kind, block)
            assert part.tool_call_id == block.get("tool_use_id")
    assert all(c.tool_name for c in response.tool_calls)  # no phantom call with an empty name
    assert [c.tool_call_id for c in response.tool_calls if not c.provider_executed] == ["toolu_01A09q90qw90lq917835lq9"]
    assert response.finish_reason.unified == "tool_calls"
    assert [w.kind for w in response.warnings] == ["unknown-content"]
    assert "hologram_tool_use" in response.warnings[0].detail


def test_anthropic_stream_and_json_give_the_same_parts(anthropic_modes: Any) -> None:
    assert _comparable(anthropic_modes[True][0].parts) == _comparable(anthropic_modes[False][0].parts)


def test_anthropic_stream_events_never_open_a_phantom_call(anthropic_modes: Any) -> None:
    _, events = anthropic_modes[True]
    starts = [e for e in events if e.type == "tool_call_start"]
    assert [(e.tool_call_id, e.tool_name) for e in starts] == [(b["id"], b["name"]) for b in ANTHROPIC_BLOCKS if b["type"] in EXECUTED | {"tool_use"}]
    assert [e.warning.kind for e in events if e.type == "warning"] == ["unknown-content"]


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_anthropic_turn_is_echoed(registry: Any, anthropic_modes: Any, stream: bool) -> None:
    """The assistant turn goes back as it came (thinking signed, provider-executed calls with their
    block type, results and unknown blocks as sent); another provider gets no Anthropic blocks."""
    response, _ = anthropic_modes[stream]
    with specwire.Client(load_entry_points=False, registry=registry, env={"ANTHROPIC_API_KEY": "k", "OPENAI_API_KEY": "k"}) as client:
        plan = client.build("anthropic:claude-sonnet-4-6", [Message(role="user", content="q"), response.message()])
        assert plan.body["messages"][1] == {"role": "assistant", "content": ANTHROPIC_BLOCKS}
        other = client.build("openai:gpt-5.5", [Message(role="user", content="q"), response.message()])
    # OpenAI gets only the client call: the provider-executed calls and the blocks are Anthropic's
    assert [c["id"] for c in other.body["messages"][1]["tool_calls"]] == ["toolu_01A09q90qw90lq917835lq9"]
    assert "srvtoolu_" not in json.dumps(other.body) and "mcptoolu_" not in json.dumps(other.body) and "hologram" not in json.dumps(other.body)


# ============================================================================ OpenAI Responses
# https://platform.openai.com/docs/api-reference/responses/object (output); openai 3.63.0
# openai/types/responses/response_output_item.py and the item modules it imports.
RESPONSES_ITEMS: list[dict[str, Any]] = [
    {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "Plan."}], "encrypted_content": "gAAAAenc"},
    {"type": "web_search_call", "id": "ws_1", "status": "completed", "action": {"type": "search", "query": "weather paris"}},
    {"type": "file_search_call", "id": "fs_1", "status": "completed", "queries": ["refund policy"], "results": None},
    {"type": "code_interpreter_call", "id": "ci_1", "status": "completed", "code": "print(2)", "container_id": "cntr_1", "outputs": [{"type": "logs", "logs": "2\n"}]},
    {"type": "image_generation_call", "id": "ig_1", "status": "completed", "result": "iVBORw0KGgo="},
    {"type": "mcp_list_tools", "id": "mcpl_1", "server_label": "deepwiki", "tools": [{"name": "ask_question", "input_schema": {"type": "object"}, "annotations": None, "description": None}], "error": None},
    {"type": "mcp_call", "id": "mcp_1", "server_label": "deepwiki", "name": "ask_question", "arguments": "{\"q\":\"x\"}", "output": "answer", "error": None, "approval_request_id": None, "status": "completed"},
    {"type": "mcp_approval_request", "id": "mcpr_1", "server_label": "deepwiki", "name": "ask_question", "arguments": "{\"q\":\"y\"}"},
    {"type": "computer_call", "id": "cu_1", "call_id": "call_cu1", "action": {"type": "click", "button": "left", "x": 10, "y": 20}, "pending_safety_checks": [], "status": "completed"},
    {"type": "local_shell_call", "id": "lsh_1", "call_id": "call_lsh1", "action": {"type": "exec", "command": ["ls"], "env": {}}, "status": "completed"},
    {"type": "custom_tool_call", "id": "ctc_1", "call_id": "call_ctc1", "name": "code_exec", "input": "print('hi')"},
    {"type": "hologram_call", "id": "holo_1", "status": "completed"},
    {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed", "content": [{"type": "output_text", "text": "Done.", "annotations": []}]},
    {"type": "function_call", "id": "fc_1", "call_id": "call_fc1", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}", "status": "completed"},
]


def _responses_body() -> dict[str, Any]:
    return {"id": "resp_1", "object": "response", "model": "gpt-5.5", "status": "completed", "output": copy.deepcopy(RESPONSES_ITEMS),
            "usage": {"input_tokens": 10, "output_tokens": 20, "total_tokens": 30}}


def _responses_stream() -> bytes:
    body = _responses_body()
    out = [_sse("response.created", {"type": "response.created", "response": {**body, "status": "in_progress", "output": [], "usage": None}})]
    for i, item in enumerate(body["output"]):
        added = {**item, "status": "in_progress"} if "status" in item else dict(item)
        if item["type"] == "message":
            added["content"] = []
        if item["type"] == "function_call":
            added["arguments"] = ""
        out.append(_sse("response.output_item.added", {"type": "response.output_item.added", "output_index": i, "item": added}))
        if item["type"] == "message":
            out.append(_sse("response.output_text.delta", {"type": "response.output_text.delta", "item_id": item["id"], "output_index": i, "content_index": 0, "delta": "Done."}))
        elif item["type"] == "reasoning":
            out.append(_sse("response.reasoning_summary_text.delta", {"type": "response.reasoning_summary_text.delta", "item_id": item["id"], "output_index": i, "summary_index": 0, "delta": "Plan."}))
        elif item["type"] == "function_call":
            out.append(_sse("response.function_call_arguments.delta", {"type": "response.function_call_arguments.delta", "item_id": item["id"], "output_index": i, "delta": item["arguments"]}))
        elif item["type"] == "mcp_call":
            out.append(_sse("response.mcp_call_arguments.delta", {"type": "response.mcp_call_arguments.delta", "item_id": item["id"], "output_index": i, "delta": item["arguments"]}))
        elif item["type"] == "custom_tool_call":
            out.append(_sse("response.custom_tool_call_input.delta", {"type": "response.custom_tool_call_input.delta", "item_id": item["id"], "output_index": i, "delta": item["input"]}))
        out.append(_sse("response.output_item.done", {"type": "response.output_item.done", "output_index": i, "item": item}))
    out.append(_sse("response.completed", {"type": "response.completed", "response": body}))
    return b"".join(out)


@pytest.fixture(scope="module")
def responses_modes(registry: Any) -> dict[bool, tuple[specwire.Response, list[Any]]]:
    return {
        False: _run(registry, "openai-responses", json.dumps(_responses_body()).encode(), stream=False),
        True: _run(registry, "openai-responses", _responses_stream(), stream=True),
    }


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_responses_every_item_is_mapped(responses_modes: Any, stream: bool) -> None:
    response, _ = responses_modes[stream]
    assert len(response.parts) == len(RESPONSES_ITEMS)
    for item, part in zip(RESPONSES_ITEMS, response.parts):
        kind = item["type"]
        if kind == "function_call":
            assert isinstance(part, ToolCallPart) and not part.provider_executed
            assert (part.tool_call_id, part.tool_name, part.arguments) == ("call_fc1", "get_weather", {"city": "Paris"})
        elif kind in ("message", "reasoning"):
            assert part.type == ("text" if kind == "message" else "reasoning")
        else:
            assert isinstance(part, ProviderPart), (kind, part)
            assert (part.provider, part.provider_type, part.data) == ("openai-responses", kind, item)
    assert [c.tool_name for c in response.tool_calls] == ["get_weather"]
    assert [w.kind for w in response.warnings] == ["unknown-content"] and "hologram_call" in response.warnings[0].detail


def test_responses_stream_and_json_give_the_same_parts(responses_modes: Any) -> None:
    assert _comparable(responses_modes[True][0].parts) == _comparable(responses_modes[False][0].parts)


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_responses_turn_is_echoed(registry: Any, responses_modes: Any, stream: bool) -> None:
    """Provider items go back as input items, as they came (response_input_item_param.py accepts
    each output item type), in order."""
    response, _ = responses_modes[stream]
    with specwire.Client(load_entry_points=False, registry=registry, env={"OPENAI_API_KEY": "k"}) as client:
        plan = client.build("openai-responses:gpt-5.5", [Message(role="user", content="q"), response.message()])
    items = plan.body["input"][1:]
    assert [i["type"] for i in items] == [i["type"] for i in RESPONSES_ITEMS]
    assert [i for i in items if i["type"] not in ("message", "reasoning", "function_call")] == [
        i for i in RESPONSES_ITEMS if i["type"] not in ("message", "reasoning", "function_call")
    ]


def test_finish_event_with_provider_parts_matches_the_cli_schema(anthropic_modes: Any, responses_modes: Any) -> None:
    """``specwire replay --json`` prints the finish event; provider parts are in its schema."""
    from specwire.cli.output import event_json
    from tests.integration.test_cli import assert_valid

    for modes in (anthropic_modes, responses_modes):
        _, events = modes[True]
        assert_valid("stream-event.schema.json", event_json(events[-1]))


def test_deeply_nested_input_of_an_unknown_block_is_kept_as_text(registry: Any) -> None:
    """The streamed input of a block the spec keeps as a provider part is parsed with the engine's
    depth-capped JSON decoder: input nested past the cap is kept as the text that came (no
    ``RecursionError``), and the stream still finishes."""
    deep = "[" * 5000 + "]" * 5000
    events = [
        _sse("message_start", {"type": "message_start", "message": {**_anthropic_message(), "content": [], "stop_reason": None}}),
        _sse("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "future_tool_use", "id": "x1", "input": {}}}),
        _sse("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": '{"a": ' + deep + "}"}}),
        _sse("content_block_stop", {"type": "content_block_stop", "index": 0}),
        _sse("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None}, "usage": {"output_tokens": 5}}),
        _sse("message_stop", {"type": "message_stop"}),
    ]
    response, _ = _run(registry, "anthropic", b"".join(events), stream=True)
    (part,) = response.parts
    assert isinstance(part, ProviderPart)
    assert not any(isinstance(v, (dict, list)) and v for v in part.data.values() if v != {})  # not parsed
    assert any(isinstance(v, str) and v.startswith('{"a": [[[') for v in part.data.values())
