"""Readable errors for the values a call is given: options, messages, tools.

* :func:`explain` turns a pydantic ``ValidationError`` into one line in the library's terms: where
  (``messages[1].content[0]``, ``tools[0].name``), what was expected and what came instead, with a
  did-you-mean for a mistyped field or choice.  No validator internals (``tagged-union[…]``,
  ``function-after[…]``, documentation links) reach the caller.
* :func:`request_from` builds the :class:`~specwire.types.Request` of a call: unknown option names
  are refused with a suggestion (:data:`specwire.suggest.OPTION_ALIASES`), a pydantic failure
  becomes :class:`~specwire.RequestBuildError` via :func:`explain`, and the tools are checked
  (:func:`check_tools`), all before any I/O.
* :func:`check_tools`: each tool's ``parameters`` must be a valid JSON Schema (draft 2020-12,
  https://json-schema.org/draft/2020-12/schema, checked with ``jsonschema``'s ``check_schema``)
  and a ``tool_choice`` naming a tool must name a declared one.

Pure: no I/O.
"""

from __future__ import annotations

import functools
import json
import re
import typing
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from .errors import RequestBuildError
from .safejson import brief
from .suggest import OPTION_ALIASES, closest, did_you_mean
from . import types
from .types import Request

__all__ = ["check_tools", "explain", "request_from"]

#: How many problems one message lists.
MAX_PROBLEMS = 3
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")
_SCALARS = frozenset({"str", "int", "float", "bool", "none", "dict", "list", "bytes", "tuple", "set"})
_MODEL_NAMES = frozenset(name for name, obj in vars(types).items() if isinstance(obj, type) and issubclass(obj, BaseModel))
_READABLE = {"str": "a string", "int": "an integer", "float": "a number", "bool": "a bool", "dict": "a dict", "list": "a list", "none": "None"}


def _label(step: Any) -> bool:
    """A loc step that names a union member (``str``, ``list[…]``, ``function-after[…]``,
    ``TextPart``), not a field, a dict key or an index."""
    return isinstance(step, str) and (step in _SCALARS or "[" in step or "(" in step or step in _MODEL_NAMES)


def _where(root: str, loc: Iterable[Any]) -> str:
    out = root
    after_tagged = False
    for step in loc:
        if isinstance(step, int):
            out += f"[{step}]"
            continue
        if _label(step):
            after_tagged = "tagged-union[" in step
            continue
        if after_tagged:  # the discriminator's value, not a field
            after_tagged = False
            continue
        out += f".{step}" if out else str(step)
    return out


def _model_at(model: type[BaseModel] | None, loc: Iterable[Any]) -> type[BaseModel] | None:
    """The model class at ``loc`` below ``model`` (``None`` when it is not one model)."""
    for step in loc:
        if model is None:
            return None
        if isinstance(step, int) or _label(step):
            continue
        field = model.model_fields.get(step)
        if field is None:
            return None
        found = _models_in(field.annotation)
        model = found[0] if len(found) == 1 else None
    return model


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        out += [m for m in _models_in(arg) if m not in out]
    return out


def _fields(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return [f.alias or name for name, f in model.model_fields.items()]


def _one(error: Mapping[str, Any], root: str, model: type[BaseModel] | None) -> str:
    loc = tuple(error.get("loc", ()))
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    value = error.get("input")
    msg = str(error.get("msg", ""))
    if kind in ("missing", "extra_forbidden") and loc and isinstance(loc[-1], str) and not _label(loc[-1]):
        parent, name = _where(root, loc[:-1]), loc[-1]
        prefix = f"{parent}: " if parent else ""
        if kind == "missing":
            return f"{prefix}missing required field {name!r}"
        return f"{prefix}unknown field {name!r}{did_you_mean(name, _fields(_model_at(model, loc[:-1])))}"
    where = _where(root, loc)
    prefix = f"{where}: " if where else ""
    if kind == "union_tag_invalid":
        tags = _QUOTED.findall(str(ctx.get("expected_tags", "")))
        return f"{prefix}expected type {', '.join(tags)}; got type {brief(ctx.get('tag'))}{did_you_mean(str(ctx.get('tag')), tags)}"
    if kind == "union_tag_not_found":
        return f"{prefix}needs a {ctx.get('discriminator', 'type')} field"
    if kind == "literal_error":
        choices = _QUOTED.findall(str(ctx.get("expected", "")))
        hint = did_you_mean(value, choices) if isinstance(value, str) else ""
        return f"{prefix}expected {ctx.get('expected', '?')}; got {brief(value)}{hint}"
    if kind in ("value_error", "assertion_error"):
        return prefix + re.sub(r"^(Value|Assertion) error, ", "", msg)
    msg = re.sub(r"^Input should be ", "expected ", msg)
    if kind.endswith("_type") or kind.endswith("_parsing"):
        msg += f", got {type(value).__name__}"
    return prefix + msg


def _prune_branches(errors: list[dict[str, Any]], root: str) -> list[str | dict[str, Any]]:
    """Errors of a union: when one member got further than the others (the value was of that
    member's type), only its errors; when no member matched the type, one "expected A or B"."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    plain: list[tuple[int, dict[str, Any]]] = []
    order: list[tuple[int, tuple[Any, ...] | None]] = []
    for n, e in enumerate(errors):
        loc = tuple(e.get("loc", ()))
        cut = next((i for i, step in enumerate(loc) if _label(step)), None)
        if cut is None:
            plain.append((n, e))
            order.append((n, None))
            continue
        key = loc[:cut]
        if key not in groups:
            order.append((n, key))
        groups.setdefault(key, []).append(e)
    out: list[str | dict[str, Any]] = []
    for n, group in order:
        if group is None:
            out.append(errors[n])
            continue
        members = groups[group]
        deep = [e for e in members if len(e["loc"]) > len(group) + 1]
        if deep:
            out.extend(deep)
        elif len(members) > 1:
            names = [str(e["loc"][len(group)]).split("[")[0] for e in members]
            expected = " or ".join(dict.fromkeys(_READABLE.get(x, x) for x in names))
            where = _where(root, group)
            out.append(f"{where + ': ' if where else ''}expected {expected}, got {type(members[0].get('input')).__name__}")
        else:
            out.extend(members)
    return out


def explain(exc: ValidationError, *, root: str = "", model: type[BaseModel] | None = None) -> str:
    """One readable line for ``exc``: up to :data:`MAX_PROBLEMS` problems, each as
    ``<where>: <what was expected>; got <what came>``.  ``root`` prefixes every location
    (``"messages[2]"``); ``model`` is the class that was validated (for field suggestions)."""
    errors = exc.errors(include_url=False)
    items = _prune_branches([dict(e) for e in errors], root)
    texts = list(dict.fromkeys(item if isinstance(item, str) else _one(item, root, model) for item in items))
    more = len(texts) - MAX_PROBLEMS
    return "; ".join(texts[:MAX_PROBLEMS]) + (f" (and {more} more)" if more > 0 else "")


def request_from(messages: Any, options: Mapping[str, Any], *, other_options: Iterable[str] = ()) -> Request:
    """The :class:`Request` of a call from its ``messages`` and generic ``options``.

    ``other_options``: the names the caller takes besides :class:`Request`'s fields (``timeout``,
    ``api_key``…), offered as suggestions too.  Raises :class:`RequestBuildError` naming the
    option, message, part or tool at fault."""
    fields = [name for name in Request.model_fields if name != "messages"]
    unknown = [name for name in options if name not in Request.model_fields or name == "messages"]
    if unknown:
        known = [*fields, *other_options]
        problems = [f"unknown option {name!r}{did_you_mean(name, known, aliases=OPTION_ALIASES)}" for name in unknown]
        raise RequestBuildError("invalid call options: " + "; ".join(problems))
    try:
        request = Request(messages=messages, **options)
    except ValidationError as exc:
        raise RequestBuildError(f"invalid call options: {explain(exc, model=Request)}") from None
    check_tools(request)
    return request


# ---------------------------------------------------------------------------- tools
def check_tools(request: Request) -> None:
    """Each tool's ``parameters`` is a valid JSON Schema (draft 2020-12), tool names are unique,
    and a ``tool_choice`` of type ``tool`` names one of them (when the call declares tools and no
    ``provider_options``, which may add the provider's own).  Raises :class:`RequestBuildError`
    naming the tool and the place in its schema."""
    names: list[str] = []
    for i, tool in enumerate(request.tools):
        if tool.name in names:
            raise RequestBuildError(f"tools[{i}]: a second tool named {tool.name!r}; tool names must be unique")
        names.append(tool.name)
        problem = _schema_problem(tool.parameters)
        if problem is not None:
            raise RequestBuildError(f"tools[{i}] ({tool.name!r}): parameters is not a valid JSON Schema: {problem}")
    choice = request.tool_choice
    # with no tools declared (a spec without tool definitions warns), or tools that may come from
    # ``provider_options`` (a provider's own server tools), the name cannot be checked here
    if choice is not None and choice.type == "tool" and names and not request.provider_options:
        if choice.name not in names:
            raise RequestBuildError(
                f"tool_choice names the tool {choice.name!r}, which is not among the call's tools ({', '.join(map(repr, names))})"
                + did_you_mean(str(choice.name), names)
            )


def _schema_problem(schema: Mapping[str, Any]) -> str | None:
    """:func:`_check_schema`, cached by the schema's JSON text (a tool list is usually the same
    on every call of a conversation, and checking a schema costs far more than dumping it)."""
    try:
        key = json.dumps(schema, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return _check_schema(schema)
    return _cached_schema_problem(key)


@functools.lru_cache(maxsize=256)
def _cached_schema_problem(key: str) -> str | None:
    return _check_schema(json.loads(key))


def _check_schema(schema: Any) -> str | None:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        path = "/".join(str(p) for p in exc.absolute_path)
        at = f"at /{path}" if path else "at the top level"
        return f"{at}: {_schema_message(exc)}"
    return None


def _schema_message(exc: Any) -> str:
    """jsonschema's message, bounded (it quotes the offending value)."""
    if exc.validator in ("anyOf", "oneOf"):  # the meta-schema's `type`: a name or a list of names
        enum = next((e for e in exc.context or () if e.validator == "enum"), None)
        if enum is None:
            return f"{brief(exc.instance)} is not valid here"
        exc = enum
    if exc.validator == "type":
        return f"{brief(exc.instance)} is not of type {' or '.join(map(repr, exc.validator_value)) if isinstance(exc.validator_value, list) else repr(exc.validator_value)}"
    if exc.validator == "enum" and exc.validator_value is not None:
        allowed = exc.validator_value
        hint = ""
        if isinstance(exc.instance, str) and isinstance(allowed, list):
            match = closest(exc.instance, [a for a in allowed if isinstance(a, str)])
            hint = f" (did you mean {match!r}?)" if match else ""
        return f"{brief(exc.instance)} is not one of {brief(allowed)}{hint}"
    return brief(exc.message) if len(exc.message) > 200 else exc.message
