"""JMESPath expressions of a spec, compiled once (RELIABILITY.md T3).

:func:`compile_jpath` parses an expression at spec load, with caps on its length and nesting (deep
nesting makes jmespath.py recurse past Python's limit) and no custom functions.  Evaluation reuses
one stateless ``TreeInterpreter`` instead of building one per search as
``ParsedResult.search`` does; a plain field path (``data.choices[0].delta.content``) skips the
interpreter altogether.  https://jmespath.org/specification.html
"""

from __future__ import annotations

import re
from typing import Any

import jmespath
from jmespath import visitor
from jmespath.exceptions import JMESPathError

__all__ = ["MAX_EXPRESSION_CHARS", "MAX_NESTING", "JPath", "JPathError", "compile_jpath"]

MAX_EXPRESSION_CHARS = 2000
MAX_NESTING = 32

_INTERPRETER = visitor.TreeInterpreter()
_SIMPLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*$")
_STEP = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


class JPathError(ValueError):
    """An expression that does not compile, or is over a cap."""


class JPath:
    """A compiled expression.  ``search(data)`` returns the result, ``None`` when a path is missing,
    and raises :class:`JPathError` for an evaluation error (a type error inside a function)."""

    __slots__ = ("_parsed", "_steps", "source")

    def __init__(self, source: str, parsed: Any, steps: tuple[str | int, ...] | None) -> None:
        self.source = source
        self._parsed = parsed
        self._steps = steps

    def search(self, data: Any) -> Any:
        steps = self._steps
        if steps is not None:
            for step in steps:
                if isinstance(step, str):
                    if not isinstance(data, dict):
                        return None
                    data = data.get(step)
                else:
                    if not isinstance(data, list) or step >= len(data):
                        return None
                    data = data[step]
            return data
        try:
            return _INTERPRETER.visit(self._parsed, data)
        except (JMESPathError, TypeError, ValueError, RecursionError) as exc:
            raise JPathError(f"{self.source!r}: {exc}") from None

    def __repr__(self) -> str:
        return f"JPath({self.source!r})"


def compile_jpath(source: str) -> JPath:
    """Compile a JMESPath expression; raises :class:`JPathError`."""
    if not isinstance(source, str):
        raise JPathError(f"a JMESPath expression must be a string, got {type(source).__name__}")
    if len(source) > MAX_EXPRESSION_CHARS:
        raise JPathError(f"expression longer than {MAX_EXPRESSION_CHARS} characters")
    depth = max_depth = 0
    for ch in source:
        if ch in "([{":
            depth += 1
            max_depth = max(max_depth, depth)
        elif ch in ")]}":
            depth -= 1
    if max_depth > MAX_NESTING:
        raise JPathError(f"expression nested deeper than {MAX_NESTING} levels")
    try:
        parsed = jmespath.compile(source).parsed
    except (JMESPathError, RecursionError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        first = first.removesuffix(" for expression:").removesuffix(",").strip()
        raise JPathError(f"{source!r}: {first}") from None
    steps: tuple[str | int, ...] | None = None
    if _SIMPLE.match(source):
        steps = tuple(m.group(1) if m.group(1) is not None else int(m.group(2)) for m in _STEP.finditer(source))
    return JPath(source, parsed, steps)
