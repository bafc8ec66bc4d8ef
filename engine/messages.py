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
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import RequestBuildError
from .safejson import JSONDepthError, brief, loads
from .suggest import did_you_mean
from .types import (
    AudioPart,
    DocumentPart,
    ImagePart,
    Message,
    ProviderPart,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)

__all__ = ["parse_data_url", "to_messages"]

#: The unified content parts by their ``type``.
_PART_CLASSES: dict[str, type[BaseModel]] = {
    cls.model_fields["type"].default: cls
    for cls in (TextPart, ImagePart, DocumentPart, AudioPart, ReasoningPart, ToolCallPart, ToolResultPart, ProviderPart)
}
#: OpenAI Chat Completions content part types read here too.
_OPENAI_TYPES = ("image_url", "input_audio", "file", "refusal")


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

    Raises :class:`RequestBuildError` for shapes it does not understand, naming the place:
    ``messages[1].content[0]: expected a content part with type text, image, …; got type 'imgae'``.
    """
    if isinstance(value, str):
        return [Message(role="user", content=value)]
    if isinstance(value, (Message, dict)):
        value = [value]
    if not isinstance(value, Iterable):
        raise RequestBuildError(f"messages must be a list, got {type(value).__name__}")
    out: list[Message] = []
    for i, item in enumerate(value):
        where = f"messages[{i}]"
        if isinstance(item, Message):
            out.append(item)
        elif isinstance(item, dict):
            out.append(_message_from_dict(item, where))
        else:
            raise RequestBuildError(f"{where}: expected a Message or a dict, got {type(item).__name__}")
    return out


_Model = TypeVar("_Model", bound=BaseModel)


def _build(cls: type[_Model], where: str, values: dict[str, Any]) -> _Model:
    """``cls(**values)`` with a validation failure told as a :class:`RequestBuildError` at ``where``."""
    from .validate import explain

    try:
        return cls.model_validate(values)
    except ValidationError as exc:
        raise RequestBuildError(explain(exc, root=where, model=cls)) from None


def _message_from_dict(d: dict[str, Any], where: str) -> Message:
    role = d.get("role")
    content = d.get("content")
    if role == "tool":
        return _tool_message(d, where)
    if role == "function":
        raise RequestBuildError(f"{where}: legacy 'function' role messages are not supported; use 'tool'")
    parts: list[Any] = []
    if role == "assistant":
        reasoning = d.get("reasoning_content") or d.get("reasoning")
        if isinstance(reasoning, str) and reasoning:
            parts.append(ReasoningPart(text=reasoning))
    if isinstance(content, str):
        if content:
            parts.append(TextPart(text=content))
    elif isinstance(content, list):
        parts.extend(_part_from_dict(p, f"{where}.content[{j}]") for j, p in enumerate(content))
    elif content is not None:
        raise RequestBuildError(f"{where}.content: expected a string or a list of parts, got {type(content).__name__}")
    calls = d.get("tool_calls") or []
    if not isinstance(calls, list):
        raise RequestBuildError(f"{where}.tool_calls: expected a list, got {type(calls).__name__}")
    for k, call in enumerate(calls):
        if not isinstance(call, dict):
            raise RequestBuildError(f"{where}.tool_calls[{k}]: expected a dict, got {type(call).__name__}")
        parts.append(_tool_call_from_openai(call, f"{where}.tool_calls[{k}]"))
    extra = {k: v for k, v in d.items() if k not in _MESSAGE_KEYS}
    if role in ("system", "developer", "user") and parts and all(isinstance(p, TextPart) for p in parts) and isinstance(content, str):
        return _build(Message, where, {**extra, "role": role, "content": content, "name": d.get("name")})
    return _build(Message, where, {**extra, "role": role, "content": parts, "name": d.get("name")})


#: The message keys read above, and those an OpenAI SDK message dump carries beside them
#: (``refusal``, ``audio``, ``annotations``, ``function_call``); any other key is refused by
#: :class:`Message`, with a suggestion (``contnet`` → ``content``).
_MESSAGE_KEYS = frozenset({"role", "content", "name", "tool_calls", "reasoning_content", "reasoning", "refusal", "audio", "annotations", "function_call"})


def _tool_message(d: dict[str, Any], where: str) -> Message:
    tool_call_id = d.get("tool_call_id")
    content = d.get("content")
    if not tool_call_id:
        # Already unified: {"role": "tool", "content": [{"type": "tool_result", …}]}
        if isinstance(content, list) and content and all(isinstance(p, dict) and p.get("type") == "tool_result" for p in content):
            return _build(Message, where, {"role": "tool", "content": [_part_from_dict(p, f"{where}.content[{j}]") for j, p in enumerate(content)]})
        raise RequestBuildError(f"{where}: a tool message needs a tool_call_id (or tool_result parts)")
    if content is not None and not isinstance(content, (str, list)):
        raise RequestBuildError(f"{where}.content: expected a string or a list of parts, got {type(content).__name__}")
    if isinstance(content, list):
        inner = [_part_from_dict(p, f"{where}.content[{j}]") for j, p in enumerate(content)]
        if all(isinstance(p, TextPart) for p in inner):
            content = "".join(p.text for p in inner)
        else:
            content = inner
    result = _build(ToolResultPart, where, {
        "tool_call_id": tool_call_id,
        "tool_name": d.get("name"),
        "content": content if content is not None else "",
        "is_error": bool(d.get("is_error", False)),
    })
    return Message(role="tool", content=[result])


def _tool_call_from_openai(call: dict[str, Any], where: str) -> ToolCallPart:
    fn = call.get("function") or {}
    if not isinstance(fn, dict):
        raise RequestBuildError(f"{where}.function: expected a dict, got {type(fn).__name__}")
    raw = fn.get("arguments")
    if isinstance(raw, dict):
        args, text = raw, None
    elif raw is None or isinstance(raw, str):
        text = raw or ""
        try:
            args = loads(text) if text.strip() else {}
        except JSONDepthError:
            raise RequestBuildError(f"{where}: tool call {brief(call.get('id'))} has arguments nested too deeply") from None
        except ValueError:
            raise RequestBuildError(f"{where}: tool call {brief(call.get('id'))} has arguments that are not valid JSON") from None
        if not isinstance(args, dict):
            raise RequestBuildError(f"{where}: tool call {brief(call.get('id'))} has arguments that are not a JSON object")
    else:
        raise RequestBuildError(f"{where}: tool call {brief(call.get('id'))} has arguments of type {type(raw).__name__}")
    return _build(ToolCallPart, where, {"tool_call_id": call.get("id"), "tool_name": fn.get("name") or "", "arguments": args, "arguments_text": text})


def _part_from_dict(p: Any, where: str) -> Any:
    if not isinstance(p, dict):
        raise RequestBuildError(f"{where}: expected a content part (a dict), got {type(p).__name__}")
    kind = p.get("type")
    cls = _PART_CLASSES.get(kind) if isinstance(kind, str) else None
    if cls is not None:
        return _build(cls, where, p)
    if kind == "image_url":
        spec = p.get("image_url")
        url = spec.get("url") if isinstance(spec, dict) else spec
        if not isinstance(url, str):
            raise RequestBuildError(f"{where}: an image_url part needs image_url.url (a string)")
        parsed = _data_url(url, where)
        if parsed:
            return ImagePart(data=parsed[1], media_type=parsed[0])
        return ImagePart(url=url)
    if kind == "input_audio":
        spec = p.get("input_audio") or {}
        if not isinstance(spec, dict):
            raise RequestBuildError(f"{where}: an input_audio part needs input_audio.data and input_audio.format")
        return _build(AudioPart, where, {"data": spec.get("data", ""), "media_type": f"audio/{spec.get('format', 'wav')}"})
    if kind == "file":
        spec = p.get("file") or {}
        if not isinstance(spec, dict):
            raise RequestBuildError(f"{where}: a file part needs file.file_data")
        data = spec.get("file_data")
        if isinstance(data, str):
            parsed = _data_url(data, where)
            if parsed:
                return DocumentPart(data=parsed[1], media_type=parsed[0], filename=spec.get("filename"))
        raise RequestBuildError(f"{where}: a file part needs file.file_data as a base64 data URL (file ids are provider-specific)")
    if kind == "refusal":
        return TextPart(text=p.get("refusal", ""))
    known = [*_PART_CLASSES, *_OPENAI_TYPES]
    if kind is None:
        raise RequestBuildError(f"{where}: a content part needs a 'type', one of {', '.join(known)}")
    raise RequestBuildError(
        f"{where}: expected a content part with type {', '.join(known)}; got type {brief(kind)}" + (did_you_mean(kind, known) if isinstance(kind, str) else "")
    )


def _data_url(url: str, where: str) -> tuple[str, str] | None:
    try:
        return parse_data_url(url)
    except RequestBuildError as exc:
        raise RequestBuildError(f"{where}: {exc}") from None
