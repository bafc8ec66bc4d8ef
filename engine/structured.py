"""Structured output: the JSON schema in a provider's strict form, and the reply validated.  Pure.

``response_format=MyModel`` (a pydantic model class) sends ``MyModel.model_json_schema()``; what
each provider needs (field names, which form is the strictest, a forced tool) is the spec's
``params.response_format`` (docs/ARCHITECTURE.md section 4).  Two things here are mechanism:

* :func:`strict_schema`: the named rule sets a params case applies to ``value.schema`` with
  ``strict_schema: <rules>`` (:data:`SCHEMA_RULES`);
* :func:`finish_structured`: at the end of a call, the reply (the text, or the input of the forced
  tool a case names with ``output_tool``) validated into the model class, ``Response.parsed``; a
  reply that does not validate raises :class:`~specwire.errors.StructuredOutputError`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import StructuredOutputError
from .types import Part, Response, TextPart, ToolCallPart

__all__ = ["SCHEMA_RULES", "OutputSpec", "finish_structured", "strict_schema"]

_MAX_ERRORS = 5


@dataclass(frozen=True)
class OutputSpec:
    """What a call's reply is checked against: ``output_type`` (the pydantic model class, or
    ``None`` for a plain JSON schema) and ``tool`` (the forced tool whose call input is the reply,
    or ``None`` when the reply is the text)."""

    output_type: Any = None
    tool: str | None = None


# ---------------------------------------------------------------------------- schema rules
def _walk(schema: Any, visit: Callable[[dict[str, Any]], dict[str, Any]]) -> Any:
    """``visit`` applied bottom-up to every subschema (properties, items, $defs, anyOf…)."""
    if isinstance(schema, list):
        return [_walk(s, visit) for s in schema]
    if not isinstance(schema, dict):
        return schema
    return _walk_object(schema, visit)


def _walk_object(schema: dict[str, Any], visit: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
    """:func:`_walk` of a schema object (a dict in, a dict out)."""
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("properties", "$defs", "definitions", "patternProperties") and isinstance(value, dict):
            out[key] = {k: _walk(v, visit) for k, v in value.items()}
        elif key in ("items", "additionalProperties", "not", "contains") and isinstance(value, dict):
            out[key] = _walk(value, visit)
        elif key in ("anyOf", "oneOf", "allOf", "prefixItems") and isinstance(value, list):
            out[key] = [_walk(v, visit) for v in value]
        else:
            out[key] = value
    return visit(out)


def _is_object(node: dict[str, Any]) -> bool:
    return node.get("type") == "object" or (node.get("type") is None and "properties" in node)


def _inline_refs_with_siblings(schema: dict[str, Any]) -> dict[str, Any]:
    """A ``$ref`` next to other keywords (pydantic puts a field's ``description`` beside it) is
    replaced by the definition merged with those keywords: OpenAI strict mode takes a bare
    ``$ref`` only."""
    defs = schema.get("$defs") or {}

    def visit(node: dict[str, Any]) -> dict[str, Any]:
        all_of = node.get("allOf")
        if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict):
            # a single-entry allOf (what older pydantic emits for a described $ref) is its entry
            node = {**all_of[0], **{k: v for k, v in node.items() if k != "allOf"}}
        ref = node.get("$ref")
        if isinstance(ref, str) and len(node) > 1 and ref.startswith("#/$defs/") and ref[8:] in defs:
            target = defs[ref[8:]]
            return {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return node

    return _walk_object(schema, visit)


def _closed_required(schema: dict[str, Any]) -> dict[str, Any]:
    # https://platform.openai.com/docs/guides/structured-outputs#supported-schemas : every object
    # has `additionalProperties: false` and lists all its properties in `required` (an optional
    # field is expressed as a union with null); `default` is not a supported keyword.
    def visit(node: dict[str, Any]) -> dict[str, Any]:
        node.pop("default", None)
        if _is_object(node):
            node["additionalProperties"] = False
            node["required"] = list(node.get("properties") or {})
            node.setdefault("properties", {})
        return node

    return _walk_object(_inline_refs_with_siblings(schema), visit)


#: Keywords the closed subset keeps (Anthropic structured outputs); others are moved into the
#: description (as the Anthropic SDK's ``transform_schema`` does) so the model still sees them.
_SUBSET_FORMATS = {"date-time", "time", "date", "duration", "email", "hostname", "uri", "ipv4", "ipv6", "uuid"}
_SUBSET_KEEP = {"type", "description", "title", "enum", "const", "anyOf", "allOf", "$ref", "$defs", "properties", "required", "additionalProperties", "items", "format", "minItems"}


def _closed_subset(schema: dict[str, Any]) -> dict[str, Any]:
    # https://platform.claude.com/docs/en/build-with-claude/structured-outputs ("JSON Schema
    # limitations"): every object has `additionalProperties: false`; numeric and string length
    # constraints, `minItems` above 1 and most string formats are not supported.  Amazon Bedrock's
    # structured outputs take the same subset (https://docs.aws.amazon.com/bedrock/latest/userguide/structured-output.html).
    def visit(node: dict[str, Any]) -> dict[str, Any]:
        if "oneOf" in node:
            node["anyOf"] = node.pop("oneOf")
        node.pop("default", None)
        moved = {}
        for key in list(node):
            if key not in _SUBSET_KEEP or (key == "format" and node[key] not in _SUBSET_FORMATS) or (key == "minItems" and node[key] not in (0, 1)):
                moved[key] = node.pop(key)
        if moved:
            note = "{" + ", ".join(f"{k}: {json.dumps(v)}" for k, v in moved.items()) + "}"
            node["description"] = f"{node['description']}\n\n{note}" if node.get("description") else note
        if _is_object(node):
            node["additionalProperties"] = False
            node.setdefault("properties", {})
        return node

    return _walk_object(schema, visit)


#: The rule sets a params case can name with ``strict_schema:``: ``closed-required`` (every object
#: closed and every property required, no ``default``: OpenAI strict mode) and ``closed-subset``
#: (every object closed, keywords outside the subset moved to the description: Anthropic and
#: Amazon Bedrock structured outputs).
SCHEMA_RULES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "closed-required": _closed_required,
    "closed-subset": _closed_subset,
}


def strict_schema(schema: Any, rules: str) -> Any:
    """``schema`` (a JSON schema dict; not modified) rewritten by the named rule set of
    :data:`SCHEMA_RULES`.  A value that is not a dict is returned as is.  Raises ``KeyError`` for
    an unknown rule set (spec loading refuses one)."""
    transform = SCHEMA_RULES[rules]
    if not isinstance(schema, dict):
        return schema
    return transform(copy.deepcopy(schema))


# ---------------------------------------------------------------------------- the reply
def _describe(exc: Any) -> str:
    """What did not validate, from a pydantic ``ValidationError``: ``loc: msg`` for the first few
    errors, without pydantic's documentation links or input echoes."""
    items = []
    for err in exc.errors(include_url=False)[:_MAX_ERRORS]:
        loc = ".".join(str(p) for p in err.get("loc", ())) or "(the whole reply)"
        items.append(f"{loc}: {err.get('msg', 'invalid')}")
    more = exc.error_count() - len(items)
    return "; ".join(items) + (f" (and {more} more)" if more > 0 else "")


def _from_tool(response: Response, tool: str) -> tuple[Response, str | None]:
    """The response with the forced tool's call turned into a text part (its input as JSON), and
    that text; ``None`` when the reply holds no call of ``tool``."""
    raw = None
    parts: list[Part] = []
    for part in response.parts:
        if raw is None and isinstance(part, ToolCallPart) and part.tool_name == tool:
            raw = (part.arguments_text or "") if part.arguments is None else json.dumps(part.arguments, ensure_ascii=False)
            parts.append(TextPart(text=raw))
        else:
            parts.append(part)
    if raw is None:
        return response, None
    finish = response.finish_reason
    if finish is not None and finish.unified == "tool_calls" and not any(isinstance(p, ToolCallPart) for p in parts):
        finish = finish.model_copy(update={"unified": "stop"})
    update = {
        "parts": parts,
        "text": "".join(p.text for p in parts if isinstance(p, TextPart)),
        "tool_calls": [p for p in parts if isinstance(p, ToolCallPart)],
        "finish_reason": finish,
    }
    return response.model_copy(update=update), raw


def finish_structured(response: Response, output: OutputSpec, provider: str) -> Response:
    """``response`` with the structured reply in place: the forced tool's call (``output.tool``)
    becomes the text, and ``parsed`` holds the reply validated into ``output.output_type``.  A
    reply that is only tool calls (the model chose one of the caller's tools) is returned with
    ``parsed`` unset.  Raises :class:`StructuredOutputError` (``raw``: the text checked,
    ``partial``: the response) when the reply is not valid JSON for the model."""
    raw = None
    if output.tool is not None:
        response, raw = _from_tool(response, output.tool)
    if raw is None:  # the text (also when the model answered in text despite the forced tool)
        raw = response.text
        if not raw and response.tool_calls:
            return response
    if output.output_type is None:
        return response
    from pydantic import ValidationError

    try:
        parsed = output.output_type.model_validate_json(raw)
    except ValidationError as exc:
        finish = response.finish_reason
        why = f" (the reply finished with {finish.unified!r})" if finish is not None and finish.unified not in ("stop", "tool_calls") else ""
        error = StructuredOutputError(
            f"{provider}: the reply does not validate as {output.output_type.__name__}{why}: {_describe(exc)}",
            raw=raw, partial=response,
        )
        raise error from None
    return response.model_copy(update={"parsed": parsed})

