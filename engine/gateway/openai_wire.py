"""OpenAI Chat Completions on the wire: the request in, the completion, chunks and errors out.

Shapes from https://platform.openai.com/docs/api-reference/chat (the request, the
``chat.completion`` object, the ``chat.completion.chunk`` stream) and
https://platform.openai.com/docs/guides/error-codes (``{"error": {message, type, param, code}}``).

Inbound, messages, tools and ``tool_choice`` go to the library as they are: specwire's own input
normalization reads OpenAI-shaped messages and tools (:mod:`specwire.messages`,
:class:`~specwire.types.Tool`, :class:`~specwire.types.ToolChoice`,
:class:`~specwire.types.ResponseFormat`).  The other fields are renamed by the table
:data:`REQUEST_FIELDS` (wire name → unified option); a field the gateway does not handle is
refused with 400 naming it, never dropped silently.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from ..types import ErrorEvent, Finish, Response, StreamEvent, TextDelta, ToolCallDelta, ToolCallStart, Usage
from .errors import GatewayError

__all__ = ["REQUEST_FIELDS", "ChatCall", "ChunkWriter", "completion_body", "error_body", "parse_chat_request", "sse"]

#: Wire field → the unified option it fills (``messages`` and ``model`` are read apart).
REQUEST_FIELDS: Mapping[str, str] = {
    "tools": "tools",
    "tool_choice": "tool_choice",
    "parallel_tool_calls": "parallel_tool_calls",
    "max_completion_tokens": "max_output_tokens",
    "max_tokens": "max_output_tokens",
    "temperature": "temperature",
    "top_p": "top_p",
    "stop": "stop_sequences",
    "seed": "seed",
    "presence_penalty": "presence_penalty",
    "frequency_penalty": "frequency_penalty",
    "response_format": "response_format",
    "reasoning_effort": "reasoning",
    "user": "user",
    "metadata": "metadata",
    "service_tier": "service_tier",
}
#: Fields read by the gateway itself, or with nothing to do here (``store``: the gateway keeps nothing).
_OWN_FIELDS = frozenset({"model", "messages", "stream", "stream_options", "store", "n"})

#: Unified finish reason → the wire's ``finish_reason``.
FINISH_REASONS: Mapping[str, str] = {"stop": "stop", "length": "length", "tool_calls": "tool_calls", "content_filter": "content_filter"}

#: :class:`~specwire.gateway.errors.GatewayError` kind → the wire's error ``type``.
ERROR_TYPES: Mapping[str, str] = {
    "invalid_request": "invalid_request_error",
    "authentication": "invalid_request_error",
    "permission": "invalid_request_error",
    "not_found": "invalid_request_error",
    "request_too_large": "invalid_request_error",
    "rate_limit": "requests",
    "timeout": "server_error",
    "upstream": "server_error",
    "unavailable": "server_error",
    "server": "server_error",
}


class ChatCall:
    """A parsed request: ``model``, ``messages`` (as sent), ``options`` (unified call options),
    ``stream`` and ``include_usage`` (``stream_options.include_usage``)."""

    __slots__ = ("include_usage", "messages", "model", "options", "stream")

    def __init__(self, model: str, messages: Any, options: dict[str, Any], stream: bool, include_usage: bool) -> None:
        self.model, self.messages, self.options, self.stream, self.include_usage = model, messages, options, stream, include_usage


def parse_chat_request(body: Any) -> ChatCall:
    """A :class:`ChatCall` from a decoded request body.  Raises :class:`GatewayError` (400) naming
    the field at fault."""
    if not isinstance(body, dict):
        raise GatewayError(400, "invalid_request", "the request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise GatewayError(400, "invalid_request", "you must provide a model parameter", param="model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise GatewayError(400, "invalid_request", "messages must be a non-empty array", param="messages")
    unknown = sorted(k for k in body if k not in REQUEST_FIELDS and k not in _OWN_FIELDS)
    if unknown:
        raise GatewayError(400, "invalid_request", f"unrecognized request argument supplied: {unknown[0]}", param=unknown[0])
    if body.get("n") not in (None, 1):
        raise GatewayError(400, "invalid_request", "this gateway returns one choice: n must be 1", param="n")
    options: dict[str, Any] = {}
    for wire, unified in REQUEST_FIELDS.items():
        value = body.get(wire)
        if value is None:
            continue
        if unified in options and wire == "max_tokens":  # max_completion_tokens wins
            continue
        if wire == "stop":
            value = [value] if isinstance(value, str) else value
        elif wire == "reasoning_effort":
            value = {"effort": value}
        options[unified] = value
    stream = body.get("stream") is True
    stream_options = body.get("stream_options")
    if stream_options is not None and not isinstance(stream_options, dict):
        raise GatewayError(400, "invalid_request", "stream_options must be an object", param="stream_options")
    include_usage = bool(stream and stream_options and stream_options.get("include_usage"))
    return ChatCall(model, messages, options, stream, include_usage)


# ---------------------------------------------------------------------------- out
def _usage(usage: Usage | None) -> dict[str, Any] | None:
    if usage is None:
        return None
    prompt, completion = usage.input_tokens or 0, usage.output_tokens or 0
    out: dict[str, Any] = {"prompt_tokens": prompt, "completion_tokens": completion,
                           "total_tokens": usage.total_tokens if usage.total_tokens is not None else prompt + completion}
    if usage.cache_read_tokens is not None:
        out["prompt_tokens_details"] = {"cached_tokens": usage.cache_read_tokens}
    if usage.reasoning_tokens is not None:
        out["completion_tokens_details"] = {"reasoning_tokens": usage.reasoning_tokens}
    return out


def _finish(response: Response) -> str:
    reason = response.finish_reason.unified if response.finish_reason is not None else "stop"
    return FINISH_REASONS.get(reason, "stop")


def _arguments(call: Any) -> str:
    if call.arguments_text is not None:
        return str(call.arguments_text)
    return json.dumps(call.arguments if call.arguments is not None else {}, ensure_ascii=False)


def completion_body(response: Response, *, model: str, completion_id: str, created: int | None = None) -> dict[str, Any]:
    """The ``chat.completion`` object of a final :class:`~specwire.Response` (``model``: the name
    the caller asked for)."""
    message: dict[str, Any] = {"role": "assistant", "content": response.text or (None if response.tool_calls else ""), "refusal": None}
    if response.tool_calls:
        message["tool_calls"] = [
            {"id": call.tool_call_id or f"call_{i}", "type": "function", "function": {"name": call.tool_name, "arguments": _arguments(call)}}
            for i, call in enumerate(response.tool_calls)
        ]
    body: dict[str, Any] = {
        "id": completion_id, "object": "chat.completion", "created": created if created is not None else int(time.time()), "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": _finish(response)}],
    }
    usage = _usage(response.usage)
    if usage is not None:
        body["usage"] = usage
    return body


def error_body(error: GatewayError) -> dict[str, Any]:
    """``{"error": {"message", "type", "param", "code"}}``."""
    return {"error": {"message": error.message, "type": ERROR_TYPES.get(error.kind, "server_error"), "param": error.param, "code": error.code}}


def sse(data: Mapping[str, Any] | str) -> bytes:
    """One server-sent event: ``data: <json>`` and a blank line (``data: [DONE]`` for the string)."""
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"data: {text}\n\n".encode()


class ChunkWriter:
    """Turns specwire stream events into ``chat.completion.chunk`` SSE events.

    The first chunk carries ``delta.role``; text deltas become ``delta.content``; a tool call's
    start becomes a ``delta.tool_calls`` entry with its ``id``, ``type`` and ``function.name``
    (its ``index`` counts tool calls, not parts) and its deltas ``function.arguments`` pieces;
    ``finish`` becomes a chunk with ``finish_reason``, then (``include_usage``) a chunk with empty
    ``choices`` and ``usage``, then ``data: [DONE]``.  An ``error`` event becomes one
    ``data: {"error": {...}}`` event (what the OpenAI SDK raises as an ``APIError``)."""

    def __init__(self, *, model: str, completion_id: str, include_usage: bool, created: int | None = None) -> None:
        self.model, self.completion_id, self.include_usage = model, completion_id, include_usage
        self.created = created if created is not None else int(time.time())
        self._started = False
        self._tools: dict[int, int] = {}  # part index -> tool call index

    def _chunk(self, delta: dict[str, Any] | None, finish: str | None = None, usage: dict[str, Any] | None = None) -> bytes:
        data: dict[str, Any] = {"id": self.completion_id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
                                "choices": [] if delta is None else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
        if usage is not None:
            data["usage"] = usage
        elif self.include_usage:
            data["usage"] = None
        return sse(data)

    def start(self) -> bytes:
        """The opening chunk (``role: assistant``); sent once."""
        if self._started:
            return b""
        self._started = True
        return self._chunk({"role": "assistant", "content": ""})

    def event(self, event: StreamEvent) -> bytes:
        """The bytes (possibly none) for one event."""
        out = self.start()
        if isinstance(event, TextDelta):
            return out + (self._chunk({"content": event.delta}) if event.delta else b"")
        if isinstance(event, ToolCallStart):
            k = self._tools.setdefault(event.index, len(self._tools))
            call = {"index": k, "id": event.tool_call_id or f"call_{k}", "type": "function", "function": {"name": event.tool_name or "", "arguments": ""}}
            return out + self._chunk({"tool_calls": [call]})
        if isinstance(event, ToolCallDelta):
            k = self._tools.setdefault(event.index, len(self._tools))
            return out + (self._chunk({"tool_calls": [{"index": k, "function": {"arguments": event.delta}}]}) if event.delta else b"")
        if isinstance(event, Finish):
            out += self._chunk({}, _finish(event.response))
            if self.include_usage:
                out += self._chunk(None, usage=_usage(event.response.usage) or {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0})
            return out + sse("[DONE]")
        if isinstance(event, ErrorEvent):
            from .errors import classify

            return out + sse(error_body(classify(event.error)))
        return out
