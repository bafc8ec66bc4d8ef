"""Shared pieces of the per-provider request-rendering tests: sample media, a tool, one tool-using
conversation written three ways (OpenAI-style dicts, unified dicts, Message objects), and replaying
a recorded fixture into a Response to echo back."""

from __future__ import annotations

from typing import Any

import specwire
from specwire import Message, TextPart, ToolCallPart, ToolResultPart
from specwire.process import ResponseProcessor
from tests.conftest import FIXTURES

PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
PDF_B64 = "JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSPj4Kc3RyZWFtCg=="
WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Current weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def replay_fixture(registry: Any, provider: str, case: str, body_file: str, *, stream: bool, framing: str) -> specwire.Response:
    """Replay a recorded fixture through its spec and return the final Response."""
    spec = registry.get(provider)
    body = (FIXTURES / provider / case / body_file).read_bytes()
    proc = ResponseProcessor(spec, model="recorded", stream=stream, framing=framing)
    events = proc.start() + proc.feed(body) + proc.close()
    assert events[-1].type == "finish", events[-1]
    return events[-1].response  # type: ignore[no-any-return]


def param_warnings(plan: specwire.RequestPlan, param: str) -> list[specwire.CallWarning]:
    return [w for w in plan.warnings if w.param == param]


def weather_conversation(prefix: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Message]]:
    """A system prompt, an assistant turn calling ``get_weather`` twice (ids ``<prefix>paris`` and
    ``<prefix>rome``), both results and a follow-up, as OpenAI-style dicts, unified dicts and
    Message objects (they must render identically)."""
    paris, rome = f"{prefix}paris", f"{prefix}rome"
    openai_dicts: list[dict[str, Any]] = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {
            "role": "assistant",
            "content": "Checking both.",
            "tool_calls": [
                {"id": paris, "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}},
                {"id": rome, "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Rome"}'}},
            ],
        },
        {"role": "tool", "tool_call_id": paris, "content": "18C and sunny"},
        {"role": "tool", "tool_call_id": rome, "content": "21C"},
        {"role": "user", "content": "Thanks!"},
    ]
    unified_dicts: list[dict[str, Any]] = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "Weather in Paris and Rome?"}]},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Checking both."},
                {"type": "tool_call", "tool_call_id": paris, "tool_name": "get_weather", "arguments": {"city": "Paris"}},
                {"type": "tool_call", "tool_call_id": rome, "tool_name": "get_weather", "arguments": {"city": "Rome"}},
            ],
        },
        {"role": "tool", "content": [{"type": "tool_result", "tool_call_id": paris, "content": "18C and sunny"}]},
        {"role": "tool", "content": [{"type": "tool_result", "tool_call_id": rome, "content": "21C"}]},
        {"role": "user", "content": "Thanks!"},
    ]
    messages = [
        Message(role="system", content="Be brief."),
        Message(role="user", content="Weather in Paris and Rome?"),
        Message(
            role="assistant",
            content=[
                TextPart(text="Checking both."),
                ToolCallPart(tool_call_id=paris, tool_name="get_weather", arguments={"city": "Paris"}),
                ToolCallPart(tool_call_id=rome, tool_name="get_weather", arguments={"city": "Rome"}),
            ],
        ),
        Message(role="tool", content=[ToolResultPart(tool_call_id=paris, content="18C and sunny")]),
        Message(role="tool", content=[ToolResultPart(tool_call_id=rome, content="21C")]),
        Message(role="user", content="Thanks!"),
    ]
    return openai_dicts, unified_dicts, messages
