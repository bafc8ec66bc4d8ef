"""Unit tests for :mod:`specwire.messages` (caller input -> ``list[Message]``).

What this protects: docs/ARCHITECTURE.md section 3's promise that OpenAI-style message dicts are accepted and
converted (``image_url`` with data and http URLs, ``input_audio``, ``file``, assistant
``tool_calls`` whose arguments are JSON text, ``role: tool`` messages, ``reasoning_content``), that
unified dicts, ``Message`` objects and a plain string work too, and the module's contract that
shapes it does not understand raise :class:`RequestBuildError` (never a raw pydantic
``ValidationError``, ``AttributeError`` or silent drop).

Why unit tests and not replay tests: replay fixtures start from recorded responses and never pass
caller messages through this converter; the many input dialects and malformed inputs are only
reachable by calling it directly.
"""

from __future__ import annotations

from typing import Any

import pytest

from specwire.errors import RequestBuildError, SpecwireError
from specwire.messages import parse_data_url, to_messages
from specwire.types import (
    AudioPart,
    DocumentPart,
    ImagePart,
    Message,
    ReasoningPart,
    Request,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)


# --------------------------------------------------------------------------- simple inputs
def test_plain_string_is_one_user_message() -> None:
    assert to_messages("hi") == [Message(role="user", content="hi")]


def test_single_dict_and_single_message_are_wrapped() -> None:
    assert to_messages({"role": "system", "content": "be brief"}) == [Message(role="system", content="be brief")]
    m = Message(role="user", content="x")
    assert to_messages(m) == [m]


def test_message_objects_pass_through_unchanged() -> None:
    msgs = [Message(role="user", content="a"), Message(role="assistant", content=[TextPart(text="b")])]
    out = to_messages(msgs)
    assert out == msgs and out[0] is msgs[0]


def test_generators_and_tuples_are_accepted() -> None:
    assert to_messages(({"role": "user", "content": "a"},)) == [Message(role="user", content="a")]
    assert to_messages(m for m in [{"role": "user", "content": "b"}]) == [Message(role="user", content="b")]


@pytest.mark.parametrize("role", ["system", "developer", "user"])
def test_string_content_stays_a_string_with_name(role: str) -> None:
    (m,) = to_messages([{"role": role, "content": "text", "name": "alice"}])
    assert m == Message(role=role, content="text", name="alice")


# --------------------------------------------------------------------------- OpenAI content parts
def test_image_url_data_url_and_http_url() -> None:
    (m,) = to_messages(
        [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "look"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
                    {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg", "detail": "high"}},
                    {"type": "image_url", "image_url": "https://example.com/dog.jpg"},
                ],
            }
        ]
    )
    assert m.role == "user"
    assert m.content == [
        TextPart(text="look"),
        ImagePart(data="iVBORw0KGgo=", media_type="image/png"),
        ImagePart(url="https://example.com/cat.jpg"),
        ImagePart(url="https://example.com/dog.jpg"),
    ]


def test_input_audio() -> None:
    (m,) = to_messages([{"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "mp3"}}]}])
    assert m.content == [AudioPart(data="UklGRg==", media_type="audio/mp3")]
    (m,) = to_messages([{"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": "UklGRg=="}}]}])
    assert m.content == [AudioPart(data="UklGRg==", media_type="audio/wav")]


def test_file_with_data_url() -> None:
    (m,) = to_messages([{"role": "user", "content": [{"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0=", "filename": "a.pdf"}}]}])
    assert m.content == [DocumentPart(data="JVBERi0=", media_type="application/pdf", filename="a.pdf")]


def test_refusal_part_becomes_text() -> None:
    (m,) = to_messages([{"role": "assistant", "content": [{"type": "refusal", "refusal": "I can't"}]}])
    assert m.content == [TextPart(text="I can't")]


# --------------------------------------------------------------------------- assistant / tool turns
def test_assistant_tool_calls_with_json_text_arguments_and_reasoning() -> None:
    (m,) = to_messages(
        [
            {
                "role": "assistant",
                "content": None,
                "reasoning_content": "let me check",
                "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}},
                    {"id": "call_2", "type": "function", "function": {"name": "now", "arguments": ""}},
                ],
            }
        ]
    )
    assert m.role == "assistant"
    assert m.content == [
        ReasoningPart(text="let me check"),
        ToolCallPart(tool_call_id="call_1", tool_name="get_weather", arguments={"city": "Paris"}, arguments_text='{"city": "Paris"}'),
        ToolCallPart(tool_call_id="call_2", tool_name="now", arguments={}, arguments_text=""),
    ]


def test_assistant_text_then_tool_calls_keep_order() -> None:
    (m,) = to_messages([{"role": "assistant", "content": "Checking.", "reasoning": "r", "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "{}"}}]}])
    assert [p.type for p in m.content] == ["reasoning", "text", "tool_call"]


def test_tool_call_arguments_given_as_a_dict() -> None:
    (m,) = to_messages([{"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": {"a": 1}}}]}])
    assert m.content == [ToolCallPart(tool_call_id="c", tool_name="f", arguments={"a": 1})]


def test_tool_role_messages() -> None:
    out = to_messages(
        [
            {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
            {"role": "tool", "tool_call_id": "call_2", "name": "now", "content": [{"type": "text", "text": "12:"}, {"type": "text", "text": "00"}]},
            {"role": "tool", "tool_call_id": "call_3", "content": [{"type": "text", "text": "see"}, {"type": "image_url", "image_url": {"url": "https://x/i.png"}}]},
        ]
    )
    assert [m.role for m in out] == ["tool", "tool", "tool"]
    assert out[0].content == [ToolResultPart(tool_call_id="call_1", content="18C")]
    assert out[1].content == [ToolResultPart(tool_call_id="call_2", tool_name="now", content="12:00")]
    assert out[2].content == [ToolResultPart(tool_call_id="call_3", content=[TextPart(text="see"), ImagePart(url="https://x/i.png")])]


def test_tool_message_error_flag() -> None:
    (m,) = to_messages([{"role": "tool", "tool_call_id": "c", "content": "boom", "is_error": True}])
    assert m.content[0].is_error is True


# --------------------------------------------------------------------------- unified dicts
def test_unified_dicts() -> None:
    out = to_messages(
        [
            {"role": "user", "content": [{"type": "image", "url": "https://x/y.png"}, {"type": "document", "data": "JVBE", "media_type": "application/pdf"}]},
            {"role": "assistant", "content": [{"type": "reasoning", "text": "t", "provider_metadata": {"anthropic": {"signature": "s"}}}, {"type": "tool_call", "tool_call_id": "c", "tool_name": "f", "arguments": {}}]},
            {"role": "tool", "content": [{"type": "tool_result", "tool_call_id": "c", "content": "ok"}]},
        ]
    )
    assert out[0].content == [ImagePart(url="https://x/y.png"), DocumentPart(data="JVBE")]
    assert out[1].content[0] == ReasoningPart(text="t", provider_metadata={"anthropic": {"signature": "s"}})
    assert out[2].content == [ToolResultPart(tool_call_id="c", content="ok")]


def test_request_model_converts_messages_too() -> None:
    req = Request(messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]}])
    assert req.messages[0].content == [ImagePart(url="https://x/y.png")]


# --------------------------------------------------------------------------- data URLs
def test_parse_data_url() -> None:
    assert parse_data_url("data:image/png;base64,AAA=") == ("image/png", "AAA=")
    assert parse_data_url("data:;base64,AAA=") == ("application/octet-stream", "AAA=")
    assert parse_data_url("https://example.com/a.png") is None
    with pytest.raises(RequestBuildError):
        parse_data_url("data:image/png,rawbytes")
    with pytest.raises(RequestBuildError):
        parse_data_url("data:image/png;base64")


# --------------------------------------------------------------------------- bad shapes
BAD_SHAPES: list[tuple[str, Any]] = [
    ("not-a-list", 5),
    ("none", None),
    ("item-not-a-dict", [5]),
    ("item-is-a-string", ["hello"]),
    ("content-is-int", [{"role": "user", "content": 5}]),
    ("content-is-dict", [{"role": "user", "content": {"text": "x"}}]),
    ("unknown-role", [{"role": "wizard", "content": "x"}]),
    ("missing-role", [{"content": "x"}]),
    ("function-role", [{"role": "function", "name": "f", "content": "x"}]),
    ("tool-without-id", [{"role": "tool", "content": "x"}]),
    ("unknown-part-type", [{"role": "user", "content": [{"type": "video", "video": {}}]}]),
    ("part-not-a-dict", [{"role": "user", "content": ["str"]}]),
    ("image-without-source", [{"role": "user", "content": [{"type": "image"}]}]),
    ("image-url-missing", [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]),
    ("non-base64-data-url", [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png,abc"}}]}]),
    ("file-id-only", [{"role": "user", "content": [{"type": "file", "file": {"file_id": "file-abc"}}]}]),
    ("tool-call-bad-json", [{"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "{bad"}}]}]),
    ("tool-call-args-not-object", [{"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "[1, 2]"}}]}]),
    ("tool-call-not-a-dict", [{"role": "assistant", "tool_calls": ["call_1"]}]),
    ("tool-call-id-not-str", [{"role": "assistant", "tool_calls": [{"id": 5, "function": {"name": "f", "arguments": "{}"}}]}]),
    ("tool-result-id-not-str", [{"role": "tool", "tool_call_id": 123, "content": "x"}]),
    ("tool-result-content-dict", [{"role": "tool", "tool_call_id": "c", "content": {"a": 1}}]),
    ("input-audio-not-a-dict", [{"role": "user", "content": [{"type": "input_audio", "input_audio": "UklG"}]}]),
    ("name-not-str", [{"role": "user", "name": 5, "content": "x"}]),
]


@pytest.mark.parametrize("value", [v for _, v in BAD_SHAPES], ids=[i for i, _ in BAD_SHAPES])
def test_bad_shapes_raise_request_build_error(value: Any) -> None:
    with pytest.raises(RequestBuildError) as info:
        to_messages(value)
    assert isinstance(info.value, SpecwireError)
    assert str(info.value)
