"""Errors that say how to fix them: a malformed message, content part, tool or option is refused
with a :class:`~specwire.RequestBuildError` that names the place (``messages[1].content[0]``,
``tools[0].name``), says what was expected and what came, and carries none of the validator's
internals (pydantic's type labels and documentation links)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import specwire
from specwire import Message, RequestBuildError

MODEL = "openai:gpt-4o"
#: Text of the validator's own messages that must never reach a caller.
INTERNALS = ("pydantic", "errors.pydantic.dev", "tagged-union", "function-after", "validation error for", "[type=", "input_value=")


def _client() -> specwire.Client:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError("nothing may be sent for a call with bad values")

    return specwire.Client(api_keys={"openai": "sk-test"}, transport=httpx.MockTransport(refuse), load_entry_points=False)


def _error(messages: Any, **options: Any) -> str:
    with pytest.raises(RequestBuildError) as info:
        _client().complete(MODEL, messages, **options)
    text = str(info.value)
    for bad in INTERNALS:
        assert bad not in text, f"{bad!r} in {text!r}"
    return text


MALFORMED_MESSAGES = [
    # (messages, the location, a word of what was expected or found)
    ([{"role": "user", "content": [{"type": "imgae", "url": "https://x/y.png"}]}], "messages[0].content[0]", "'imgae'"),
    ([{"role": "user", "content": "hi"}, {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "image"}]}], "messages[1].content[1]", "url"),
    ([{"role": "user", "content": [{"type": "text"}]}], "messages[0].content[0]", "'text'"),
    ([{"role": "usr", "content": "hi"}], "messages[0].role", "'usr'"),
    ([{"role": "user", "content": "hi"}, 42], "messages[1]", "int"),
    ([{"role": "user", "content": 42}], "messages[0].content", "int"),
    ([{"role": "user", "content": ["just a string"]}], "messages[0].content[0]", "str"),
    ([{"role": "user", "content": [{"type": "image", "data": "AAAA"}]}], "messages[0].content[0]", "media_type"),
    ([{"role": "user", "content": [{"type": "text", "text": "a", "colour": "red"}]}], "messages[0].content[0]", "'colour'"),
    ([{"role": "user", "content": "hi"}, {"role": "tool", "content": [{"type": "tool_result"}]}], "messages[1].content[0]", "'tool_call_id'"),
    ([{"role": "user", "content": "hi"}, {"role": "tool", "tool_call_id": "c1", "content": [{"type": "tool_result", "tool_call_id": "c1", "content": [{"type": "imgae"}]}]}], "messages[1].content[0].content[0]", "'imgae'"),
    ([{"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "function": {"name": "f", "arguments": "{not json"}}]}], "messages[0].tool_calls[0]", "JSON"),
    ([{"role": "user", "contnet": "hi"}], "messages[0]", "'contnet'"),
]


@pytest.mark.parametrize(("messages", "where", "word"), MALFORMED_MESSAGES, ids=[w for _, w, _ in MALFORMED_MESSAGES])
def test_a_malformed_message_is_named_by_place(messages: Any, where: str, word: str) -> None:
    text = _error(messages)
    assert text.startswith(where + ":") or f" {where}:" in text or f"{where}." in text, text
    assert word in text, text


def test_an_unknown_part_type_lists_the_types_and_suggests_one() -> None:
    text = _error([{"role": "user", "content": "a"}, {"role": "user", "content": [{"type": "imgae", "url": "https://x/y.png"}]}])
    assert text.startswith("messages[1].content[0]: expected a content part with type text, image"), text
    assert "got type 'imgae'" in text and "did you mean 'image'?" in text, text


def test_a_wrong_role_suggests_the_right_one() -> None:
    assert "did you mean 'user'?" in _error([{"role": "usr", "content": "hi"}])


def test_a_message_object_among_dicts_keeps_its_index() -> None:
    text = _error([Message(role="user", content="hi"), {"role": "assistant", "content": [{"type": "txt", "text": "a"}]}])
    assert text.startswith("messages[1].content[0]:"), text
    assert "did you mean 'text'?" in text, text


MALFORMED_OPTIONS = [
    ({"temperature": "hot"}, "temperature"),
    ({"max_output_tokens": -1}, "max_output_tokens"),
    ({"tools": [{"nam": "f"}]}, "tools[0]"),
    ({"tools": "f"}, "tools"),
    ({"tool_choice": 5}, "tool_choice"),
    ({"response_format": {"type": "jsn"}}, "response_format.type"),
    ({"reasoning": "hihg"}, "reasoning.effort"),
    ({"metadata": {"a": 1}}, "metadata"),
    ({"stop_sequences": [1, 2]}, "stop_sequences[0]"),
]


@pytest.mark.parametrize(("options", "where"), MALFORMED_OPTIONS, ids=[w for _, w in MALFORMED_OPTIONS])
def test_a_malformed_option_is_named(options: dict[str, Any], where: str) -> None:
    text = _error("hi", **options)
    assert text.startswith("invalid call options: "), text
    assert f"{where}:" in text or f"{where}." in text, text


def test_a_mistyped_field_or_choice_inside_an_option_gets_a_suggestion() -> None:
    assert "unknown field 'nam' (did you mean 'name'?)" in _error("hi", tools=[{"nam": "f"}])
    assert "got 'jsn' (did you mean 'json'?)" in _error("hi", response_format={"type": "jsn"})
    assert "got 'hihg' (did you mean 'high'?)" in _error("hi", reasoning="hihg")


@pytest.mark.parametrize("kind", ["stream", "acomplete", "astream"])
def test_every_call_style_reports_the_same_place(kind: str) -> None:
    client = _client()
    bad = [{"role": "user", "content": [{"type": "imgae"}]}]
    with pytest.raises(RequestBuildError, match=r"^messages\[0\]\.content\[0\]: expected a content part"):
        if kind == "stream":
            client.stream(MODEL, bad)
        elif kind == "astream":
            client.astream(MODEL, bad)
        else:
            import asyncio

            asyncio.run(client.acomplete(MODEL, bad))


def test_explain_rewrites_union_failures_without_internals() -> None:
    """The tool-result content union (a string or a list of text/image parts) fails in both
    members; only the member the value was meant for is reported."""
    from pydantic import ValidationError

    from specwire.types import ToolResultPart
    from specwire.validate import explain

    with pytest.raises(ValidationError) as info:
        ToolResultPart(tool_call_id="c", content=[{"type": "imgae"}])
    text = explain(info.value, root="messages[3].content[0]", model=ToolResultPart)
    assert text.startswith("messages[3].content[0].content[0]: expected type text, image; got type 'imgae'"), text
    with pytest.raises(ValidationError) as info:
        ToolResultPart(tool_call_id="c", content=5)
    text = explain(info.value, root="m", model=ToolResultPart)
    assert text == "m.content: expected a string or a list, got int", text
