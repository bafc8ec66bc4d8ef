"""Unit tests for :class:`specwire.FinishReason` equality and the stream events' ``type``.

What this protects: ``response.finish_reason == "tool_calls"`` is how users (and the README's
typed idiom) test a finish; it must compare the unified string while two finish reasons still
compare on both fields, and equal values must hash alike (sets, dict keys).  The stream events'
``type`` became a ``Literal`` per class for type checkers; its run-time value and the JSON of an
event must not change (schemas/stream-event.schema.json).

Why unit tests: no replay compares a finish reason with a string, and a changed ``type`` string
would only show as a schema failure far from its cause.
"""

from __future__ import annotations

import typing

import pytest

from specwire.types import (
    ErrorEvent,
    Finish,
    FinishReason,
    Response,
    StreamEvent,
    TextDelta,
    UsageUpdate,
    Usage,
)


def test_a_finish_reason_equals_its_unified_string() -> None:
    reason = FinishReason(unified="tool_calls", raw="tool_use")
    assert reason == "tool_calls" and "tool_calls" == reason
    assert reason != "stop" and not (reason == "tool_use")  # the raw value is not the unified one
    assert reason in ("stop", "tool_calls")


def test_two_finish_reasons_compare_on_both_fields_and_hash_consistently() -> None:
    a, b, other_raw = FinishReason(unified="stop", raw="end_turn"), FinishReason(unified="stop", raw="end_turn"), FinishReason(unified="stop")
    assert a == b and a != other_raw and a != FinishReason(unified="length", raw="end_turn")
    assert hash(a) == hash(b) == hash("stop")
    assert {a, b, other_raw} == {a, other_raw}
    assert a != 1 and a != None  # noqa: E711 - the comparison itself is under test


@pytest.mark.parametrize("cls", typing.get_args(StreamEvent))
def test_every_event_class_has_one_literal_type_string(cls: type) -> None:
    hints = typing.get_type_hints(cls, include_extras=True)
    (literal,) = typing.get_args(hints["type"])  # ClassVar[Literal["…"]]
    assert typing.get_args(literal) == (cls.type,)  # type: ignore[attr-defined]


def test_event_type_and_json_are_unchanged() -> None:
    response = Response(provider="p", model="m", finish_reason=FinishReason(unified="stop"))
    assert TextDelta(index=0, delta="hi").model_dump() == {"type": "text_delta", "index": 0, "delta": "hi"}
    assert UsageUpdate(usage=Usage(output_tokens=3)).model_dump(mode="json")["type"] == "usage"
    assert Finish(response=response).model_dump(mode="json")["response"]["finish_reason"] == {"unified": "stop", "raw": None}
    assert ErrorEvent.type == "error" and Finish.type == "finish"
