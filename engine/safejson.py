"""JSON at the engine's edges: one depth-capped decoder for everything a provider sends, and one
check for everything the caller hands us to send.  Pure, no I/O.

Decoding (:func:`loads`): every place the engine parses provider JSON (response frames, error
bodies, tool-call arguments, AWS event-stream payloads) goes through it.  Python's ``json`` would
recurse until :class:`RecursionError` on ``[[[[…`` (a few kilobytes of brackets), and a document
just under that limit would still blow up later code that walks it (redaction, JMESPath, re-encoding),
so nesting is capped at :data:`MAX_DEPTH` containers and a deeper document is refused with
:class:`JSONDepthError`, a :class:`ValueError` like any other invalid JSON.  Lone UTF-16 surrogates
that a ``\\ud800`` escape can produce are replaced by U+FFFD, so every string the engine hands out
can be encoded as UTF-8 (printed, cached, sent back on the next turn).

Encoding (:func:`problem`): the values a caller passes (messages, tool schemas, options…) may hold
what ``json.dumps`` rejects or chokes on: a dict that contains itself, nesting past
:data:`MAX_DEPTH`, a lone surrogate (``"\\ud800"``: UTF-8 cannot encode it), a ``set`` or an
arbitrary object, ``nan``.  :func:`problem` walks a value iteratively (no recursion, whatever
the nesting) and names the first offending place, so the request builder can refuse it with a
:class:`~specwire.RequestBuildError` that says which field, before anything is sent.
"""

from __future__ import annotations

import json
import math
import re
import reprlib
from collections.abc import Mapping
from itertools import accumulate
from typing import Any

from pydantic import BaseModel

__all__ = ["MAX_DEPTH", "JSONDepthError", "brief", "loads", "problem", "text_problem"]

#: The deepest nesting of containers (objects and arrays) accepted, in either direction.  ``1`` is
#: depth 0, ``[]`` depth 1, ``[[]]`` depth 2.  Real provider payloads and tool schemas stay far below.
MAX_DEPTH = 128


class JSONDepthError(ValueError):
    """A JSON document nested deeper than :data:`MAX_DEPTH` containers."""


_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
# A ``\uD800``-``\uDFFF`` escape: the only way a decoded JSON string can hold a surrogate.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _depth(text: str) -> int:
    """The deepest bracket nesting of ``text``, brackets inside strings left out."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if not brackets:
        return 0
    return max(accumulate(1 if c in "[{" else -1 for c in brackets))


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse provider JSON.  Raises :class:`ValueError` for invalid JSON (bytes that are not UTF-8
    included; ``NaN`` and ``Infinity``, which Python's ``json`` would take) and its subclass
    :class:`JSONDepthError` for nesting deeper than ``max_depth``.
    Lone surrogates from ``\\uD800``-style escapes come out as U+FFFD."""
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8")  # UnicodeDecodeError is a ValueError
    # Nesting can never exceed the number of opening brackets: only count it when it could matter.
    if text.count("[") + text.count("{") > max_depth and _depth(text) > max_depth:
        raise JSONDepthError(f"JSON nested deeper than {max_depth} levels")
    try:
        value = _DECODER.decode(text)
    except RecursionError:  # pragma: no cover - the count above refuses this first
        raise JSONDepthError(f"JSON nested deeper than {max_depth} levels") from None
    if _SURROGATE_ESCAPE.search(text):
        value = _without_surrogates(value)
    return value


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_not_json)  # one decoder (json.loads builds one per call with options)


def _clean(s: str) -> str:
    return _SURROGATE.sub("\ufffd", s)


def _without_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, list):
        return [_without_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_clean(k): _without_surrogates(v) for k, v in value.items()}
    return value


_BRIEF = reprlib.Repr()
_BRIEF.maxlevel, _BRIEF.maxstring, _BRIEF.maxother = 3, 60, 60


def brief(value: Any) -> str:
    """A short ``repr`` for an error message: bounded in length and nesting, safe on a value that
    contains itself or nests thousands deep (plain ``repr`` raises :class:`RecursionError`)."""
    try:
        return _BRIEF.repr(value)
    except Exception:  # noqa: BLE001 - a hostile __repr__
        return f"<{type(value).__name__}>"


def text_problem(s: str) -> str | None:
    """Why ``s`` cannot be sent as UTF-8 (a lone surrogate), or ``None``."""
    if s.isascii():
        return None
    m = _SURROGATE.search(s)
    return f"holds a lone surrogate ({ascii(m.group())}) that UTF-8 cannot encode" if m else None


def _at(where: str) -> str:
    """A path for a message: long ones (a deep nest) are elided in the middle."""
    if not where:
        return "value"
    return where if len(where) <= 120 else f"{where[:60]}…{where[-50:]}"


def _join(path: str, key: Any) -> str:
    if isinstance(key, int) and not isinstance(key, bool):
        return f"{path}[{key}]"
    text = str(key)
    return f"{path}.{text}" if path and text.isidentifier() else f"{path}[{text!r}]" if path else (text if text.isidentifier() else f"[{text!r}]")


_SCALARS = (str, int, float, type(None))  # bool is an int


def _scalar_problem(v: Any) -> str | None:
    if isinstance(v, str):
        return None if v.isascii() else text_problem(v)
    if isinstance(v, float) and not math.isfinite(v):
        return f"{v!r} is not a JSON number"
    return None


_LEAVE = object()


def _path(root: str, node: Any) -> str:
    keys = []
    while node is not None:
        keys.append(node[0])
        node = node[1]
    where = root
    for key in reversed(keys):
        where = _join(where, key)
    return _at(where)


def problem(value: Any, path: str = "", *, max_depth: int = MAX_DEPTH) -> str | None:
    """The first reason ``value`` cannot be sent as JSON, as ``"<path>: <reason>"``, or ``None``.

    Accepted: ``str`` (no lone surrogates), ``bool``, ``int``, finite ``float``, ``None``, dicts
    (keys ``str``/``int``/``float``/``bool``/``None``), lists, tuples and pydantic models (their
    fields), nested at most ``max_depth`` containers deep and without cycles.  Iterative: safe on
    any nesting.  Paths are only spelled out for the offending value (a walk over a long
    conversation allocates one small tuple per container)."""
    if isinstance(value, _SCALARS):
        reason = _scalar_problem(value)
        return f"{_at(path)}: {reason}" if reason else None
    active: set[int] = set()  # ids of the containers on the current path (cycle detection)
    # entries: (container, depth, node), node = (key, parent node) locating it; (_LEAVE, id, None)
    # when a container's children are done (its id comes off the active path)
    stack: list[tuple[Any, int, Any]] = [(value, 1, None)]
    while stack:
        v, depth, node = stack.pop()
        if v is _LEAVE:
            active.discard(depth)  # the id of the container being left
            continue
        t = type(v)
        if t is list or t is tuple:
            items: Any = enumerate(v)
        elif t is dict or (not isinstance(v, BaseModel) and isinstance(v, Mapping)):
            items = v.items()
            for key in v:
                if isinstance(key, str):
                    if not key.isascii() and (reason := text_problem(key)):
                        return f"{_path(path, (key, node))}: the key {reason}"
                elif not (key is None or isinstance(key, (int, float))):
                    return f"{_path(path, node)}: a {type(key).__name__} key is not JSON"
        elif isinstance(v, BaseModel):
            items = vars(v).items()
        elif isinstance(v, (list, tuple)):
            items = enumerate(v)
        else:
            return f"{_path(path, node)}: a {t.__name__} is not JSON"
        if id(v) in active:
            return f"{_path(path, node)}: a circular reference (the value contains itself)"
        if depth > max_depth:
            return f"{_path(path, node)}: nested deeper than {max_depth} levels"
        active.add(id(v))
        stack.append((_LEAVE, id(v), None))
        mark = len(stack)
        for key, child in items:
            if isinstance(child, _SCALARS):
                if (reason := _scalar_problem(child)) is not None:
                    return f"{_path(path, (key, node))}: {reason}"
            else:
                stack.append((child, depth + 1, (key, node)))
        stack[mark:] = reversed(stack[mark:])  # the first child on top: found first
    return None
