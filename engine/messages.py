"""Input normalization: whatever the caller passes as ``messages`` becomes ``list[Message]``.

Accepted, mixed freely:

* :class:`~specwire.types.Message` objects;
* a plain string (one user message);
* unified dicts: ``{"role": "user", "content": [{"type": "image", "url": "…"}]}``;
* OpenAI Chat Completions dicts: ``image_url`` / ``input_audio`` / ``file`` content parts,
  assistant ``tool_calls`` (arguments as JSON text), ``role: "tool"`` messages with
  ``tool_call_id``, and ``reasoning_content`` / ``reasoning`` strings on assistant messages
  (https://platform.openai.com/docs/api-reference/chat/create).

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import TypeAdapter

from .errors import RequestBuildError
from .safejson import JSONDepthError, brief, loads
from .types import (
    AudioPart,
    DocumentPart,
    ImagePart,
    Message,
    Part,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)

__all__ = ["parse_data_url", "to_messages"]

_PART_ADAPTER: TypeAdapter[Any] = TypeAdapter(Part)
_UNIFIED_TYPES = {"text", "image", "document", "audio", "reasoning", "tool_call", "tool_result", "provider"}


def parse_data_url(url: str) -> tuple[str, str] | None:
    """``data:<media type>;base64,<data>`` → ``(media_type, data)``; ``None`` for other URLs."""
    if not url.startswith("data:"):
        return None
    header, sep, data = url[5:].partition(",")
    if not sep or not header.endswith(";base64"):
        raise RequestBuildError("only base64 data URLs are supported (data:<type>;base64,<data>)")
    return header[: -len(";base64")] or "application/octet-stream", data


def to_messages(value: Any) -> list[Message]:
    """Normalize ``value`` (see the module docstring) into a list of :class:`Message`.

    Raises :class:`RequestBuildError` for shapes it does not understand.
    """
    if isinstance(value, str):
        return [Message(role="user", content=value)]
    if isinstance(value, (Message, dict)):
        value = [value]
    if not isinstance(value, Iterable):
        raise RequestBuildError(f"messages must be a list, got {type(value).__name__}")
    out: list[Message] = []
    for i, item in enumerate(value):
        if isinstance(item, Message):
            out.append(item)
        elif isinstance(item, dict):
            try:
                out.append(_message_from_dict(item))
            except RequestBuildError:
                raise
            except (ValueError, TypeError, AttributeError) as exc:  # pydantic's ValidationError is a ValueError
                first = str(exc).splitlines()
                raise RequestBuildError(f"messages[{i}] is not a valid message: {' '.join(first[:3])}") from None
        else:
            raise RequestBuildError(f"a message must be a Message or a dict, got {type(item).__name__}")
    return out


def _message_from_dict(d: dict[str, Any]) -> Message:
    role = d.get("role")
    content = d.get("content")
    if role == "tool":
        return _tool_message(d)
    if role == "function":
        raise RequestBuildError("legacy 'function' role messages are not supported; use 'tool'")
    parts: list[Any] = []
    if role == "assistant":
        reasoning = d.get("reasoning_content") or d.get("reasoning")
        if isinstance(reasoning, str) and reasoning:
            parts.append(ReasoningPart(text=reasoning))
    if isinstance(content, str):
        if content:
            parts.append(TextPart(text=content))
    elif isinstance(content, list):
        parts.extend(_part_from_dict(p) for p in content)
    elif content is not None:
        raise RequestBuildError(f"message content must be a string or a list of parts, got {type(content).__name__}")
    calls = d.get("tool_calls") or []
    if not isinstance(calls, list):
        raise RequestBuildError("tool_calls must be a list")
    for call in calls:
        if not isinstance(call, dict):
            raise RequestBuildError(f"a tool call must be a dict, got {type(call).__name__}")
        parts.append(_tool_call_from_openai(call))
    if role in ("system", "developer", "user") and parts and all(isinstance(p, TextPart) for p in parts) and isinstance(content, str):
        return Message(role=role, content=content, name=d.get("name"))
    try:
        return Message(role=role, content=parts, name=d.get("name"))  # type: ignore[arg-type]
    except ValueError as exc:
        raise RequestBuildError(f"invalid message: {exc}") from None


def _tool_message(d: dict[str, Any]) -> Message:
    tool_call_id = d.get("tool_call_id")
    if not tool_call_id:
        # Already unified: {"role": "tool", "content": [{"type": "tool_result", …}]}
        content = d.get("content")
        if isinstance(content, list) and all(isinstance(p, dict) and p.get("type") == "tool_result" for p in content):
            return Message(role="tool", content=[_part_from_dict(p) for p in content])
        raise RequestBuildError("a tool message needs a tool_call_id")
    content = d.get("content")
    if content is not None and not isinstance(content, (str, list)):
        raise RequestBuildError(f"tool message content must be a string or a list of parts, got {type(content).__name__}")
    if isinstance(content, list):
        inner = [_part_from_dict(p) for p in content]
        if all(isinstance(p, TextPart) for p in inner):
            content = "".join(p.text for p in inner)
        else:
            content = inner
    result = ToolResultPart(
        tool_call_id=tool_call_id,
        tool_name=d.get("name"),
        content=content if content is not None else "",
        is_error=bool(d.get("is_error", False)),
    )
    return Message(role="tool", content=[result])


def _tool_call_from_openai(call: dict[str, Any]) -> ToolCallPart:
    fn = call.get("function") or {}
    if not isinstance(fn, dict):
        raise RequestBuildError("a tool call's `function` must be a dict")
    raw = fn.get("arguments")
    if isinstance(raw, dict):
        args, text = raw, None
    elif raw is None or isinstance(raw, str):
        text = raw or ""
        try:
            args = loads(text) if text.strip() else {}
        except JSONDepthError:
            raise RequestBuildError(f"tool call {brief(call.get('id'))} has arguments nested too deeply") from None
        except ValueError:
            raise RequestBuildError(f"tool call {brief(call.get('id'))} has arguments that are not valid JSON") from None
        if not isinstance(args, dict):
            raise RequestBuildError(f"tool call {brief(call.get('id'))} has arguments that are not a JSON object")
    else:
        raise RequestBuildError(f"tool call {brief(call.get('id'))} has arguments of type {type(raw).__name__}")
    return ToolCallPart(tool_call_id=call.get("id"), tool_name=fn.get("name") or "", arguments=args, arguments_text=text)


def _part_from_dict(p: Any) -> Any:
    if not isinstance(p, dict):
        raise RequestBuildError(f"a content part must be a dict, got {type(p).__name__}")
    kind = p.get("type")
    if kind in _UNIFIED_TYPES:
        try:
            return _PART_ADAPTER.validate_python(p)
        except ValueError as exc:
            raise RequestBuildError(f"invalid {kind} part: {exc}") from None
    if kind == "image_url":
        spec = p.get("image_url")
        url = spec.get("url") if isinstance(spec, dict) else spec
        if not isinstance(url, str):
            raise RequestBuildError("image_url part needs image_url.url")
        parsed = parse_data_url(url)
        if parsed:
            return ImagePart(data=parsed[1], media_type=parsed[0])
        return ImagePart(url=url)
    if kind == "input_audio":
        spec = p.get("input_audio") or {}
        if not isinstance(spec, dict):
            raise RequestBuildError("input_audio parts need input_audio.data and input_audio.format")
        return AudioPart(data=spec.get("data", ""), media_type=f"audio/{spec.get('format', 'wav')}")
    if kind == "file":
        spec = p.get("file") or {}
        if not isinstance(spec, dict):
            raise RequestBuildError("file parts need file.file_data")
        data = spec.get("file_data")
        if isinstance(data, str):
            parsed = parse_data_url(data)
            if parsed:
                return DocumentPart(data=parsed[1], media_type=parsed[0], filename=spec.get("filename"))
        raise RequestBuildError("file parts need file.file_data as a base64 data URL (file ids are provider-specific)")
    if kind == "refusal":
        return TextPart(text=p.get("refusal", ""))
    raise RequestBuildError(f"unknown content part type {brief(kind)}")
