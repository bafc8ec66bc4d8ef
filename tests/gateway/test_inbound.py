"""engine/gateway/inbound.py: each rule of the inbound reader, on the reference section
(providers.d/anthropic.yaml's messages endpoint, Anthropic's MessageParam content blocks,
https://platform.claude.com/docs/en/api/messages) and on small sections of its own (typed items,
as the OpenAI Responses API's input list has), and malformed input refused with 400 naming the place."""

from __future__ import annotations

from typing import Any

import pytest

from specwire import errors as e
from specwire.gateway.errors import GatewayError
from specwire.gateway.inbound import Inbound
from specwire.gateway.wire import WireAPI, serve_sections
from specwire.registry import default_registry
from specwire.types import DocumentPart, ImagePart, ProviderPart, ReasoningPart, TextPart, ToolCallPart, ToolResultPart


@pytest.fixture(scope="module")
def anthropic() -> Inbound:
    section = dict(serve_sections(default_registry()))["anthropic"]
    endpoint = next(ep for ep in WireAPI(section, name="anthropic").endpoints if ep.name == "messages")
    assert endpoint.inbound is not None
    return endpoint.inbound


def _read(inbound: Inbound, messages: Any, system: Any = None) -> list[Any]:
    return inbound.messages(messages, "messages", system)


def _refused(inbound: Inbound, messages: Any, system: Any = None) -> GatewayError:
    with pytest.raises(GatewayError) as info:
        _read(inbound, messages, system)
    assert info.value.status == 400 and info.value.kind == "invalid_request"
    return info.value


# ---------------------------------------------------------------------------- the Anthropic rules
def test_string_content_and_system_string(anthropic: Inbound) -> None:
    out = _read(anthropic, [{"role": "user", "content": "Hi"}], system="Be brief")
    assert [(m.role, m.parts) for m in out] == [("system", [TextPart(text="Be brief")]), ("user", [TextPart(text="Hi")])]


def test_system_blocks_keep_cache_control(anthropic: Inbound) -> None:
    out = _read(anthropic, [{"role": "user", "content": "Hi"}], system=[{"type": "text", "text": "Rules", "cache_control": {"type": "ephemeral"}}])
    assert out[0].role == "system"
    assert out[0].parts == [TextPart(text="Rules", provider_metadata={"anthropic": {"cache_control": {"type": "ephemeral"}}})]


def test_image_sources(anthropic: Inbound) -> None:
    out = _read(anthropic, [{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}}]}])
    assert out[0].parts == [ImagePart(data="AAAA", media_type="image/png"), ImagePart(url="https://example.com/a.png")]


def test_document(anthropic: Inbound) -> None:
    out = _read(anthropic, [{"role": "user", "content": [{"type": "document", "title": "a.pdf", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBE"}}]}])
    assert out[0].parts == [DocumentPart(data="JVBE", media_type="application/pdf", filename="a.pdf")]


def test_tool_use_and_tool_result_split_into_a_tool_message(anthropic: Inbound) -> None:
    out = _read(anthropic, [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": [{"type": "text", "text": "Let me look."}, {"type": "tool_use", "id": "t1", "name": "get_weather", "input": {"city": "Paris"}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": "sunny"}]},
            {"type": "tool_result", "tool_use_id": "t2", "content": "rain", "is_error": True},
            {"type": "text", "text": "Thanks"}]},
    ])
    assert [m.role for m in out] == ["user", "assistant", "tool", "tool", "user"]
    assert out[1].parts[1] == ToolCallPart(tool_call_id="t1", tool_name="get_weather", arguments={"city": "Paris"})
    assert out[2].parts == [ToolResultPart(tool_call_id="t1", content=[TextPart(text="sunny")])]
    assert out[3].parts == [ToolResultPart(tool_call_id="t2", content="rain", is_error=True)]
    assert out[4].parts == [TextPart(text="Thanks")]


def test_tool_result_without_content(anthropic: Inbound) -> None:
    out = _read(anthropic, [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1"}]}])
    assert out == [out[0]] and out[0].role == "tool" and out[0].parts == [ToolResultPart(tool_call_id="t1")]


def test_thinking_blocks(anthropic: Inbound) -> None:
    out = _read(anthropic, [{"role": "assistant", "content": [
        {"type": "thinking", "thinking": "hmm", "signature": "sig"},
        {"type": "redacted_thinking", "data": "opaque"},
        {"type": "text", "text": "Done"}]}])
    assert out[0].parts[:2] == [ReasoningPart(text="hmm", provider_metadata={"anthropic": {"signature": "sig"}}),
                                ReasoningPart(redacted=True, provider_metadata={"anthropic": {"redacted_data": "opaque"}})]


def test_server_tool_blocks_kept(anthropic: Inbound) -> None:
    result = {"type": "web_search_tool_result", "tool_use_id": "s1", "content": []}
    out = _read(anthropic, [{"role": "assistant", "content": [{"type": "server_tool_use", "id": "s1", "name": "web_search", "input": {"query": "x"}}, result]}])
    assert out[0].parts[0].provider_executed and out[0].parts[0].tool_call_id == "s1"
    assert out[0].parts[1] == ProviderPart(provider="anthropic", provider_type="web_search_tool_result", tool_call_id="s1", data=result)


@pytest.mark.parametrize(("messages", "param"), [
    ("Hi", "messages"),                                                            # not a list
    ([], "messages"),
    (["Hi"], "messages[0]"),
    ([{"role": "system", "content": "Hi"}], "messages[0].role"),                   # roles: user, assistant
    ([{"role": "user"}], "messages[0].content"),
    ([{"role": "user", "content": 3}], "messages[0].content"),
    ([{"role": "user", "content": ["Hi"]}], "messages[0].content[0]"),
    ([{"role": "user", "content": [{"type": "imgae"}]}], "messages[0].content[0].type"),
    ([{"role": "user", "content": [{"text": "no type"}]}], "messages[0].content[0].type"),
    ([{"role": "user", "content": [{"type": "text"}]}], "messages[0].content[0]"),  # text missing
    ([{"role": "user", "content": [{"type": "text", "text": 5}]}], "messages[0].content[0]"),
    ([{"role": "user", "content": [{"type": "image", "source": {"type": "file", "file_id": "f"}}]}], "messages[0].content[0]"),  # refuse rule
    ([{"role": "user", "content": [{"type": "image"}]}], "messages[0].content[0]"),  # no source
    ([{"role": "user", "content": [{"type": "image", "source": {"type": "base64", "data": "AA"}}]}], "messages[0].content[0]"),  # no media type
    ([{"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "f", "input": "not an object"}]}], "messages[0].content[0]"),
    ([{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": [{"type": "tool_result", "tool_use_id": "u"}]}]}], "messages[0].content[0].content"),
])
def test_malformed_input_names_the_place(anthropic: Inbound, messages: Any, param: str) -> None:
    error = _refused(anthropic, messages)
    assert error.param == param and error.message.startswith((param + ":", param + " "))


def test_malformed_system(anthropic: Inbound) -> None:
    assert _refused(anthropic, [{"role": "user", "content": "Hi"}], system=[{"type": "tool_result", "tool_use_id": "t"}]).param == "system"
    assert _refused(anthropic, [{"role": "user", "content": "Hi"}], system=[{"type": "text"}]).param == "system[0]"


# ---------------------------------------------------------------------------- the mechanism
#: Typed items like the OpenAI Responses API's input list (https://platform.openai.com/docs/api-reference/responses/create):
#: messages by role, function calls and their outputs as items of their own, `instructions` as a developer message.
ITEMS = {
    "system": {"field": "instructions", "role": "developer"},
    "items": {"kind": "type", "text": "user", "message": {"roles": {"user": "user", "assistant": "assistant", "developer": "developer", "system": "system"}}},
    "blocks": {
        "input_text": {"part": {"type": "text", "text": "{{ block.text }}"}},
        "output_text": {"part": {"type": "text", "text": "{{ block.text }}"}},
        "function_call": {"role": "assistant", "merge": True,
                          "part": {"type": "tool_call", "tool_call_id": "{{ block.call_id }}", "tool_name": "{{ block.name }}", "arguments_text": "{{ block.arguments }}"},
                          "json": {"arguments": "arguments"}},
        "function_call_output": {"role": "tool", "part": {"type": "tool_result", "tool_call_id": "{{ block.call_id }}"}, "nested": {"content": "output"}},
        "reasoning": {"drop": True},
        "item_reference": {"refuse": "item references need stored responses, which this gateway does not keep"},
    },
}


def test_typed_items() -> None:
    inbound = Inbound(ITEMS, "test")
    assert inbound.wire_fields == ("instructions",)
    out = inbound.messages([
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {"type": "reasoning", "summary": []},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Looking."}]},
        {"type": "function_call", "call_id": "c1", "name": "w", "arguments": '{"city": "Paris"}'},
        {"type": "function_call", "call_id": "c2", "name": "w", "arguments": '{"city": "Rome"}'},
        {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
        {"type": "function_call_output", "call_id": "c2", "output": [{"type": "input_text", "text": "rain"}]},
    ], "input", "Be brief")
    assert [m.role for m in out] == ["developer", "user", "assistant", "tool", "tool"]
    assert [p.type for p in out[2].parts] == ["text", "tool_call", "tool_call"]  # merged into one assistant turn
    assert out[2].parts[2].tool_call_id == "c2" and out[2].parts[2].arguments_text == '{"city": "Rome"}'
    assert out[2].parts[2].arguments == {"city": "Rome"}
    assert out[3].parts == [ToolResultPart(tool_call_id="c1", content="sunny")]
    assert out[4].parts == [ToolResultPart(tool_call_id="c2", content=[TextPart(text="rain")])]


def test_plain_string_input() -> None:
    out = Inbound(ITEMS, "test").messages("Hi", "input")
    assert [(m.role, m.parts) for m in out] == [("user", [TextPart(text="Hi")])]


def test_typed_item_refusals() -> None:
    inbound = Inbound(ITEMS, "test")
    with pytest.raises(GatewayError) as info:
        inbound.messages([{"type": "item_reference", "id": "x"}], "input")
    assert info.value.param == "input[0]" and "stored responses" in info.value.message
    with pytest.raises(GatewayError) as info:
        inbound.messages([{"type": "input_text", "text": "stray"}], "input")  # a block that belongs inside a message
    assert info.value.param == "input[0].type"
    kept = inbound.messages([{"type": "function_call", "call_id": "c", "name": "w", "arguments": "{oops"}], "input")  # cut off: kept as text
    assert kept[0].parts[0].arguments is None and kept[0].parts[0].arguments_text == "{oops"
    with pytest.raises(GatewayError) as info:
        inbound.messages([{"type": "function_call", "call_id": "c", "name": "w", "arguments": 7}], "input")  # not text
    assert info.value.param == "input[0].arguments"
    with pytest.raises(GatewayError) as info:
        inbound.messages([{"type": "function_call", "call_id": "c", "name": "w", "arguments": "[1]"}], "input")  # not an object
    assert info.value.param == "input[0]"


def test_first_matching_rule_wins_and_drop() -> None:
    inbound = Inbound({"blocks": {"text": [{"when": "block.text == 'skip'", "drop": True}, {"part": {"type": "text", "text": "{{ block.text | upper }}"}}]}}, "t")
    out = inbound.messages([{"role": "user", "content": [{"type": "text", "text": "skip"}, {"type": "text", "text": "keep"}]}], "messages")
    assert out[0].parts == [TextPart(text="KEEP")]


def test_a_message_left_empty_is_left_out() -> None:
    inbound = Inbound({"blocks": {"note": {"drop": True}, "text": {"part": {"type": "text", "text": "{{ block.text }}"}}}}, "t")
    out = inbound.messages([{"role": "user", "content": [{"type": "note"}]}, {"role": "user", "content": "Hi"}], "messages")
    assert [(m.role, m.parts) for m in out] == [("user", [TextPart(text="Hi")])]


@pytest.mark.parametrize("section", [
    {"blocks": {"text": {"part": {"type": "text"}, "drop": True}}},          # two outcomes
    {"blocks": {"text": {"when": "block.text"}}},                             # none
    {"blocks": {"text": {"part": {"type": "text"}, "colour": 1}}},            # unknown key
    {"blocks": {"text": {"part": {"type": "text"}, "role": "robot"}}},        # no such role
    {"blocks": {"text": {"part": {"type": "text", "text": "{{ nope( }}"}}}},  # does not compile
    {"items": {"text": "narrator"}},
    {"system": {"field": "instructions", "role": "narrator"}},
])
def test_bad_sections_are_config_errors(section: dict[str, Any]) -> None:
    with pytest.raises(e.ConfigError):
        Inbound(section, "serve.endpoints.x.request")


def test_a_rule_making_no_known_part_is_the_gateways_fault() -> None:
    inbound = Inbound({"blocks": {"text": {"part": {"type": "hologram"}}}}, "t")
    with pytest.raises(GatewayError) as info:
        inbound.messages([{"role": "user", "content": [{"type": "text", "text": "x"}]}], "messages")
    assert info.value.status == 500
