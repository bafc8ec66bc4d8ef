"""JMESPath expressions of a spec, compiled once (docs/RELIABILITY.md T3).

:func:`compile_jpath` parses an expression at spec load with jmespath.py, with caps on its length
and nesting (deep nesting makes jmespath.py recurse past Python's limit) and no custom functions,
then turns the syntax tree into nested Python closures, so that evaluating a rule on every stream
chunk costs a few function calls rather than a tree walk.  The closures follow jmespath.py's
``TreeInterpreter`` node by node (fields on non-objects are ``null``, JMESPath truthiness, ``0``
and ``1`` never equal to booleans, ordering only between numbers…); built-in functions are called
through jmespath.py's own function table, and node types this module does not compile are handed
to one shared ``TreeInterpreter``.  A test compares both on many expressions and documents.
https://jmespath.org/specification.html
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import jmespath
from jmespath import visitor
from jmespath.exceptions import JMESPathError

__all__ = ["EVALUATION_ERRORS", "MAX_EXPRESSION_CHARS", "MAX_NESTING", "JPath", "JPathError", "compile_jpath"]

#: What evaluating a compiled expression may raise (a type error inside a JMESPath function…).
EVALUATION_ERRORS = (JMESPathError, TypeError, ValueError, RecursionError)

MAX_EXPRESSION_CHARS = 2000
MAX_NESTING = 32

_INTERPRETER = visitor.TreeInterpreter()
# jmespath internals that its public API does not offer (and its stubs do not declare)
_FUNCTIONS = _INTERPRETER._functions  # type: ignore[attr-defined]
_equals = visitor._equals  # type: ignore[attr-defined]
_is_comparable = visitor._is_comparable  # type: ignore[attr-defined]
_ORDER: dict[str, Callable[[Any, Any], Any]] = {"lt": lambda a, b: a < b, "gt": lambda a, b: a > b, "lte": lambda a, b: a <= b, "gte": lambda a, b: a >= b}


class JPathError(ValueError):
    """An expression that does not compile, or is over a cap."""


class JPath:
    """A compiled expression.  ``search(data)`` returns the result, ``None`` when a path is missing,
    and raises :class:`JPathError` for an evaluation error (a type error inside a function)."""

    __slots__ = ("_parsed", "fn", "source")

    def __init__(self, source: str, parsed: Any) -> None:
        self.source = source
        self._parsed = parsed
        #: the compiled closure; raises what the evaluation raises (callers on hot paths use it
        #: directly inside their own ``try``)
        self.fn: Callable[[Any], Any] = _compile(parsed)

    def search(self, data: Any) -> Any:
        try:
            return self.fn(data)
        except (JMESPathError, TypeError, ValueError, RecursionError) as exc:
            raise JPathError(f"{self.source!r}: {exc}") from None

    def search_interpreted(self, data: Any) -> Any:
        """The same search through jmespath.py's interpreter (for tests of the compiler)."""
        return _INTERPRETER.visit(self._parsed, data)

    def __repr__(self) -> str:
        return f"JPath({self.source!r})"


# ---------------------------------------------------------------------------- the compiler
def _false(value: Any) -> bool:
    return value == "" or value == [] or value == {} or value is None or value is False


def _steps(node: dict[str, Any]) -> list[dict[str, Any]] | None:
    """A chain of fields and indices (``a.b[0].c``) as a flat list, or ``None``."""
    kind = node["type"]
    if kind in ("field", "index"):
        return [node]
    if kind in ("subexpression", "index_expression"):
        out: list[dict[str, Any]] = []
        for child in node["children"]:
            sub = _steps(child)
            if sub is None:
                return None
            out += sub
        return out
    return None


def _chain(steps: list[dict[str, Any]]) -> Callable[[Any], Any]:
    keys = tuple(s["value"] if s["type"] == "field" else int(s["value"]) for s in steps)
    kinds = tuple(s["type"] == "field" for s in steps)
    if len(keys) == 1 and kinds[0]:
        key = keys[0]
        return lambda v: v.get(key) if isinstance(v, dict) else None

    def walk(value: Any) -> Any:
        for key, is_field in zip(keys, kinds):
            if is_field:
                if not isinstance(value, dict):
                    return None
                value = value.get(key)
            else:
                if not isinstance(value, list):
                    return None
                try:
                    value = value[key]
                except IndexError:
                    return None
        return value

    return walk


def _compile(node: dict[str, Any]) -> Callable[[Any], Any]:
    kind = node["type"]
    steps = _steps(node)
    if steps is not None:
        return _chain(steps)
    children = [_compile(c) if isinstance(c, dict) else c for c in node.get("children", ())]
    if kind == "literal":
        value = node["value"]
        return lambda v: value
    if kind in ("current", "identity"):
        return lambda v: v
    if kind in ("subexpression", "index_expression", "pipe"):
        fns = tuple(children)

        def seq(value: Any) -> Any:
            for fn in fns:
                value = fn(value)
            return value

        return seq
    if kind == "or_expression":
        left, right = children

        def either(v: Any) -> Any:
            matched = left(v)
            return right(v) if _false(matched) else matched

        return either
    if kind == "and_expression":
        left, right = children

        def both(v: Any) -> Any:
            matched = left(v)
            return matched if _false(matched) else right(v)

        return both
    if kind == "not_expression":
        (inner,) = children

        def negate(v: Any) -> Any:
            result = inner(v)
            if type(result) in (int, float) and result == 0:  # JMESPath: !0 is false
                return False
            return not result

        return negate
    if kind == "comparator":
        left, right = children
        op = node["value"]
        if op == "eq":
            return lambda v: _equals(left(v), right(v))
        if op == "ne":
            return lambda v: not _equals(left(v), right(v))
        order = _ORDER[op]

        def compare(v: Any) -> Any:
            a, b = left(v), right(v)
            if not (_is_comparable(a) and _is_comparable(b)):
                return None
            return order(a, b)

        return compare
    if kind == "function_expression":
        name, args = node["value"], tuple(children)
        return lambda v: _FUNCTIONS.call_function(name, [a(v) for a in args])
    if kind == "multi_select_dict":
        pairs = tuple((c["value"], _compile(c["children"][0])) for c in node["children"])
        return lambda v: None if v is None else {k: f(v) for k, f in pairs}
    if kind == "multi_select_list":
        fns = tuple(children)
        return lambda v: None if v is None else [f(v) for f in fns]
    if kind == "projection":
        base, rhs = children

        def project(v: Any) -> Any:
            items = base(v)
            if not isinstance(items, list):
                return None
            return [r for r in map(rhs, items) if r is not None]

        return project
    if kind == "filter_projection":
        base, rhs, cond = children

        def filtered(v: Any) -> Any:
            items = base(v)
            if not isinstance(items, list):
                return None
            out = []
            for item in items:
                if not _false(cond(item)):
                    r = rhs(item)
                    if r is not None:
                        out.append(r)
            return out

        return filtered
    if kind == "flatten":
        (base,) = children

        def flatten(v: Any) -> Any:
            items = base(v)
            if not isinstance(items, list):
                return None
            out: list[Any] = []
            for item in items:
                if isinstance(item, list):
                    out.extend(item)
                else:
                    out.append(item)
            return out

        return flatten
    return lambda v: _INTERPRETER.visit(cast("Any", node), v)  # slices, value projections, exprefs


def compile_jpath(source: str) -> JPath:
    """Compile a JMESPath expression; raises :class:`JPathError`."""
    if not isinstance(source, str):  # pyright: ignore[reportUnnecessaryIsInstance] - runtime check of user input
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
    try:
        return JPath(source, parsed)
    except RecursionError:
        raise JPathError(f"{source!r}: expression nested too deeply") from None
