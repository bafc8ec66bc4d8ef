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
from jmespath.lexer import Lexer

__all__ = ["EVALUATION_ERRORS", "MAX_EXPRESSION_CHARS", "MAX_NESTING", "JPath", "JPathError", "chain_path", "compile_jpath", "path_reader"]

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

    @property
    def parsed(self) -> dict[str, Any]:
        """The jmespath.py syntax tree (read-only by convention; the dispatch index reads it)."""
        return cast("dict[str, Any]", self._parsed)

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


def _fields(keys: tuple[str, ...]) -> Callable[[Any], Any]:
    """A run of one to three field steps, unrolled (no loop, one call)."""
    if len(keys) == 1:
        (k0,) = keys

        def f1(v: Any) -> Any:
            return v.get(k0) if isinstance(v, dict) else None

        return f1
    if len(keys) == 2:
        k0, k1 = keys

        def f2(v: Any) -> Any:
            if isinstance(v, dict):
                v = v.get(k0)
                if isinstance(v, dict):
                    return v.get(k1)
            return None

        return f2
    k0, k1, k2 = keys

    def f3(v: Any) -> Any:
        if isinstance(v, dict):
            v = v.get(k0)
            if isinstance(v, dict):
                v = v.get(k1)
                if isinstance(v, dict):
                    return v.get(k2)
        return None

    return f3


def _index(i: int) -> Callable[[Any], Any]:
    def index(v: Any) -> Any:
        if isinstance(v, list):
            try:
                return v[i]
            except IndexError:
                return None
        return None

    return index


def _chain(steps: list[dict[str, Any]]) -> Callable[[Any], Any]:
    """A chain of fields and indices: runs of up to three fields unrolled into one closure each,
    the closures applied in turn (a missing step ends the chain: every later step gives ``null``
    for ``null``)."""
    segments: list[Callable[[Any], Any]] = []
    run: list[str] = []
    for step in steps:
        if step["type"] == "field":
            run.append(step["value"])
            if len(run) == 3:
                segments.append(_fields(tuple(run)))
                run = []
        else:
            if run:
                segments.append(_fields(tuple(run)))
                run = []
            segments.append(_index(int(step["value"])))
    if run:
        segments.append(_fields(tuple(run)))
    if len(segments) == 1:
        return segments[0]
    if len(segments) == 2:
        s0, s1 = segments

        def two(v: Any) -> Any:
            v = s0(v)
            return None if v is None else s1(v)

        return two
    fns = tuple(segments)

    def walk(value: Any) -> Any:
        for fn in fns:
            value = fn(value)
            if value is None:
                return None
        return value

    return walk


def chain_path(node: dict[str, Any]) -> tuple[str | int, ...] | None:
    """The steps of a plain chain of fields and indices (``a.b[0].c`` → ``("a", "b", 0, "c")``),
    or ``None`` when ``node`` (a jmespath.py syntax tree) is anything else."""
    steps = _steps(node)
    if steps is None:
        return None
    return tuple(s["value"] if s["type"] == "field" else int(s["value"]) for s in steps)


def path_reader(path: tuple[str | int, ...]) -> Callable[[Any], Any]:
    """The compiled accessor of a plain chain given as steps (what :func:`chain_path` returns)."""
    if not path:
        return lambda v: v
    return _chain([{"type": "field", "value": s} if isinstance(s, str) else {"type": "index", "value": s} for s in path])


def _plain_literal(node: dict[str, Any]) -> bool:
    """A literal that JMESPath equality compares as Python does (not a number, not a boolean)."""
    return node["type"] == "literal" and not isinstance(node["value"], (bool, int, float))


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
            if matched is None or matched is False or matched == "" or matched == [] or matched == {}:
                return right(v)
            return matched

        return either
    if kind == "and_expression":
        left, right = children

        def both(v: Any) -> Any:
            matched = left(v)
            if matched is None or matched is False or matched == "" or matched == [] or matched == {}:
                return matched
            return right(v)

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
        if op in ("eq", "ne") and (_plain_literal(node["children"][0]) or _plain_literal(node["children"][1])):
            # no 0/1-versus-boolean case can arise: JMESPath equality is Python's here
            lit_node, other = (node["children"][0], right) if _plain_literal(node["children"][0]) else (node["children"][1], left)
            literal = lit_node["value"]
            if op == "eq":
                return lambda v: other(v) == literal
            return lambda v: other(v) != literal
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
        first = node["children"][0] if node["children"] else None
        if name == "contains" and len(args) == 2 and first is not None and first["type"] == "literal" and isinstance(first["value"], list) and first["value"] and all(isinstance(x, str) for x in first["value"]):
            # contains(`["a", "b"]`, expr): a set lookup (only a string can equal a string)
            members, search = frozenset(first["value"]), args[1]

            def member(v: Any) -> Any:
                found = search(v)
                return isinstance(found, str) and found in members

            return member
        if name == "sum" and len(args) == 1:
            (arg,) = args

            def total(v: Any) -> Any:
                items = arg(v)
                if isinstance(items, list) and all(type(x) in (int, float) for x in items):
                    return sum(items)  # what jmespath.py's sum does once its argument checks pass
                return _FUNCTIONS.call_function("sum", [items])  # its type error

            return total
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
    if kind == "slice":
        cut = slice(*node["children"])
        return lambda v: v[cut] if isinstance(v, list) else None
    return lambda v: _INTERPRETER.visit(cast("Any", node), v)  # value projections, exprefs…


#: Names JMESPath reads as fields when unquoted, which spec authors mean as literals.
_LITERAL_NAMES = frozenset({"null", "true", "false"})


def _bare_literal(source: str, parsed: Any) -> str | None:
    """``null``/``true``/``false`` written unquoted where JMESPath reads a field (``x != null``),
    else ``None``.  A key of a multi-select hash (``{null: v}``) and a quoted field (``"null"``) are fine."""
    unquoted = {t["value"] for t in Lexer().tokenize(source) if t["type"] == "unquoted_identifier"} & _LITERAL_NAMES
    if not unquoted:
        return None
    stack = [parsed]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("type") == "field" and node.get("value") in unquoted:
                return str(node["value"])
            stack.extend(node.get("children", ()))
    return None

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
        bare = _bare_literal(source, parsed)
    except (JMESPathError, RecursionError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        first = first.removesuffix(" for expression:").removesuffix(",").strip()
        raise JPathError(f"{source!r}: {first}") from None
    if bare is not None:  # JMESPath reads `x != null` as a comparison with a field named "null"
        raise JPathError(f"{source!r}: unquoted {bare} is a field named {bare!r} in JMESPath; write `{bare}` (in backticks) for the literal")
    try:
        return JPath(source, parsed)
    except RecursionError:
        raise JPathError(f"{source!r}: expression nested too deeply") from None
