"""Sandboxed Jinja2 over YAML trees (docs/ARCHITECTURE.md section 9.5, docs/RELIABILITY.md T1).

A spec's request templates are YAML trees whose string leaves are Jinja2:

* a leaf that is exactly ``"{{ expr }}"`` is compiled with ``compile_expression(expr,
  undefined_to_none=False)`` and keeps its native type (a list stays a list, ``true`` stays a bool);
* any other leaf containing ``{{`` or ``{%`` renders as text;
* a leaf that evaluates to :data:`OMIT` (``omit`` in templates) removes its key or list item, and a
  mapping whose keys were *all* omitted is omitted too (so ``systemInstruction: {parts: "{{
  system_parts or omit }}"}`` disappears when there is no system prompt);
* everything else is a constant.

Templates are compiled once, at spec load, and what a spec never needs but attacks use is refused
right then (see :mod:`specwire.template_checks`): ``include``/``import``/``extends`` tags, macros, recursive
loops, ``_``-prefixed attribute access (also through ``|attr``), ``.format()`` and in-place
mutators, constant ``range()`` calls over :data:`MAX_RANGE` and loop nests over
:data:`MAX_LOOP_ITERATIONS`.  The environment is
``ImmutableSandboxedEnvironment(loader=None, undefined=StrictUndefined, autoescape=False)``: no
``{% include %}``/``{% import %}`` (no loader), no attribute access to Python internals, no mutation
of the context, ``range`` capped at :data:`MAX_RANGE`, and rendered text capped at
:data:`MAX_RENDERED_CHARS` (counted while rendering, so rendering stops there).  A sandbox check or
cap hit while rendering is a :class:`TemplateFailure` with ``security`` set: the spec, not the
call, is at fault.  Secrets are never part of a template context (auth hooks add them after
rendering), and bodies are serialized with ``json.dumps``, so user content cannot inject JSON.

Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from jinja2 import StrictUndefined, TemplateError, Undefined, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .template_checks import (
    MAX_LOOP_ITERATIONS,
    MAX_POWER_BITS,
    MAX_RANGE,
    MAX_RENDERED_CHARS,
    refuse_unsafe,
    exponent_refusal,
    repetition_refusal,
)

__all__ = [
    "MAX_LOOP_ITERATIONS",
    "MAX_POWER_BITS",
    "MAX_RANGE",
    "MAX_RENDERED_CHARS",
    "OMIT",
    "CompiledTree",
    "TemplateFailure",
    "compile_expression",
    "compile_tree",
    "exponent_refusal",
    "expression_variables",
    "repetition_refusal",
    "template_leaves",
    "template_variables",
]


_EXPR_RE = re.compile(r"^\s*\{\{(?P<expr>.*)\}\}\s*$", re.DOTALL)


class _Omit:
    __slots__ = ()

    def __repr__(self) -> str:
        return "omit"

    def __bool__(self) -> bool:
        return False


#: The value of ``omit`` inside templates: a key or list item that evaluates to it is dropped.
OMIT: Any = _Omit()


def _safe_range(*args: int) -> range:
    r = range(*args)
    if len(r) > MAX_RANGE:
        raise SecurityError(f"range() of more than {MAX_RANGE} items is not allowed in specs")
    return r


class TemplateEnv(ImmutableSandboxedEnvironment):
    """The sandboxed Jinja environment of spec templates (the URL environment derives from it)."""

    # `'x' * 10**20` or `9**9**9` would eat memory or CPU before any output cap could look
    intercepted_binops = frozenset({"*", "**"})

    def __init__(self) -> None:
        super().__init__(loader=None, undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
        self.globals.clear()
        self.globals["omit"] = OMIT
        self.globals["range"] = _safe_range  # pyright: ignore[reportArgumentType] - jinja2 infers the globals type from its default namespace; any value is allowed
        # `tojson` keeps key order (a JSON schema's property order can matter to a model)
        self.policies["json.dumps_kwargs"] = {"sort_keys": False}

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if isinstance(left, int) and isinstance(right, int) and (reason := exponent_refusal(left, right)):
                raise SecurityError(reason)
        elif isinstance(right, int) and isinstance(left, (str, list, tuple)) or isinstance(left, int) and isinstance(right, (str, list, tuple)):
            seq, times = cast("tuple[str | list[Any] | tuple[Any, ...], int]", (left, right) if isinstance(right, int) else (right, left))
            if reason := repetition_refusal(len(seq), times):
                raise SecurityError(reason)
        return super().call_binop(context, operator, left, right)


ENV = TemplateEnv()
_GLOBALS = ENV.globals


class TemplateFailure(Exception):
    """A template failed to compile or render; ``where`` is its place in the spec (a dotted key
    path), ``path`` the same place as a key path (below the ``base`` given to
    :func:`compile_tree`), ``detail`` the bare reason.  ``security`` is set when a sandbox check or
    cap stopped the template (docs/RELIABILITY.md T1): the spec is at fault, not the call's data."""

    def __init__(self, where: str, message: str, path: tuple[object, ...] = (), *, security: bool = False) -> None:
        self.where, self.detail, self.path, self.security = where, message, path, security
        super().__init__(f"{where}: {message}" if where else message)


@dataclass(frozen=True, slots=True)
class _Const:
    value: Any

    def render(self, ctx: Mapping[str, Any]) -> Any:
        return self.value


RENDER_ERRORS = (TemplateError, TypeError, ValueError, AttributeError, KeyError, IndexError, ZeroDivisionError, OverflowError, MemoryError)


@dataclass(frozen=True, slots=True)
class _Expr:
    fn: Any
    source: str
    where: str
    path: tuple[object, ...] = ()

    def render(self, ctx: Mapping[str, Any]) -> Any:
        try:
            value = self.fn(**ctx)
        except SecurityError as exc:
            raise TemplateFailure(self.where, f"{{{{ {self.source} }}}}: {exc}", self.path, security=True) from None
        except RENDER_ERRORS as exc:
            raise TemplateFailure(self.where, f"{{{{ {self.source} }}}}: {exc}", self.path) from None
        if isinstance(value, Undefined):
            try:
                str(value)  # StrictUndefined raises with the name that is missing
            except TemplateError as exc:  # SecurityError: the sandbox refused an attribute
                raise TemplateFailure(self.where, f"{{{{ {self.source} }}}}: {exc}", self.path, security=isinstance(exc, SecurityError)) from None
            raise TemplateFailure(self.where, f"{{{{ {self.source} }}}} is undefined", self.path)  # pragma: no cover
        if isinstance(value, str) and len(value) > MAX_RENDERED_CHARS:
            raise TemplateFailure(self.where, f"rendered value too large (over {MAX_RENDERED_CHARS} characters)", self.path, security=True)
        return value


@dataclass(frozen=True, slots=True)
class _Text:
    template: Any
    where: str
    path: tuple[object, ...] = ()

    def render(self, ctx: Mapping[str, Any]) -> Any:
        try:
            return bounded_join(self.template.generate(ctx))
        except SecurityError as exc:
            raise TemplateFailure(self.where, str(exc), self.path, security=True) from None
        except RENDER_ERRORS as exc:
            raise TemplateFailure(self.where, str(exc), self.path) from None


def bounded_join(chunks: Any) -> str:
    """The rendered chunks joined, stopping (``SecurityError``) as soon as they pass
    :data:`MAX_RENDERED_CHARS`: a template that would render 10 MB is stopped after 4 MiB, not after
    building all of it (docs/RELIABILITY.md T1: the sandbox bounds neither CPU nor output)."""
    out: list[str] = []
    size = 0
    try:
        for chunk in chunks:
            size += len(chunk)
            if size > MAX_RENDERED_CHARS:
                raise SecurityError(f"rendered text too large (over {MAX_RENDERED_CHARS} characters)")
            out.append(chunk)
    finally:
        chunks.close()
    return "".join(out)


@dataclass(frozen=True, slots=True)
class _Map:
    items: tuple[tuple[str, Any], ...]

    def render(self, ctx: Mapping[str, Any]) -> Any:
        out: dict[str, Any] = {}
        for key, node in self.items:
            value = node.render(ctx)
            if value is not OMIT:
                out[key] = value
        if self.items and not out:
            return OMIT
        return out


@dataclass(frozen=True, slots=True)
class _List:
    items: tuple[Any, ...]

    def render(self, ctx: Mapping[str, Any]) -> Any:
        return [v for v in (node.render(ctx) for node in self.items) if v is not OMIT]


class CompiledTree:
    """A compiled YAML template tree.  ``render(ctx)`` returns plain JSON-able data (or
    :data:`OMIT` when the whole tree was omitted); raises :class:`TemplateFailure`."""

    __slots__ = ("_root", "is_constant", "source")

    def __init__(self, root: Any, source: Any) -> None:
        self._root = root
        self.source = source
        self.is_constant = isinstance(root, _Const)

    def render(self, ctx: Mapping[str, Any]) -> Any:
        return self._root.render(ctx)


def compile_tree(tree: Any, where: str = "", base: tuple[object, ...] = ()) -> CompiledTree:
    """Compile a YAML tree of templates; raises :class:`TemplateFailure` on a syntax error or a
    construct specs may not use.  ``base`` is the tree's key path in the spec: failures carry
    ``base`` + the key path of the template below it."""
    return CompiledTree(_compile(tree, where, base), tree)


def compile_expression(source: str, where: str = "", path: tuple[object, ...] = ()) -> Any:
    """Compile one Jinja expression (no braces), e.g. a ``when:`` condition; ``path`` is its key
    path in the spec, carried by every :class:`TemplateFailure` it raises."""
    try:
        ast = ENV.parse("{{ " + source + " }}")
        refuse_unsafe(ast)
        fn = ENV.compile_expression(source, undefined_to_none=False)
    except TemplateError as exc:
        raise TemplateFailure(where, f"{source!r}: {exc}", path) from None
    slow = _Expr(fn, source.strip(), where, path)
    fast = _fast_expression(ast)
    if fast is not None:
        return _FastExpr(fast, source.strip(), where, slow)
    return slow


# ---------------------------------------------------------------------------- the fast path
# Most spec expressions are lookups (`{{ model }}`, `{{ part.text }}`), `or omit` defaults and
# simple conditions.  Jinja evaluates each by building a whole template context, which costs more
# than the rest of a request's rendering; these shapes are compiled to closures instead, with the
# same results: a missing name or key raises like StrictUndefined does, `or`/`and`/`not`/`if`
# follow Python truthiness as Jinja does, and a name that is also an attribute of `dict` (`items`,
# `get`…), where Jinja would return the method, is left to Jinja.  Anything else goes to Jinja.

class _Missing(Exception):
    pass


def _fast_expression(ast: nodes.Template) -> Any:
    body = ast.body
    if len(body) != 1 or not isinstance(body[0], nodes.Output) or len(body[0].nodes) != 1:
        return None
    try:
        return _fast(body[0].nodes[0])
    except _Unsupported:
        return None


class _Unsupported(Exception):
    pass


def _lookup(value: Any, key: Any, label: str) -> Any:
    if isinstance(value, dict):
        if key in value:
            return value[key]
        missing = cast("Any", value).__missing__(key) if hasattr(value, "__missing__") else _MISSING
        if missing is not _MISSING:
            return missing
    elif isinstance(value, (list, tuple)) and isinstance(key, int):
        try:
            return value[key]
        except IndexError:
            pass
    elif value is not None and not isinstance(value, (str, int, float, bool, list, tuple)):
        raise _Fallback  # an object: Jinja's sandboxed attribute access decides
    raise _Missing(f"{type(value).__name__} object has no attribute {label}")


class _Fallback(Exception):
    pass


_MISSING = object()


def _fast(node: nodes.Node) -> Any:
    if isinstance(node, nodes.Name) and node.ctx == "load":
        name = node.name

        def var(ctx: Mapping[str, Any]) -> Any:
            try:
                return ctx[name]
            except KeyError:
                if name in _GLOBALS:  # omit, range: the environment's globals, as in Jinja
                    return _GLOBALS[name]
                raise _Missing(f"{name!r} is undefined") from None

        return var
    if isinstance(node, nodes.Const):
        value = node.value
        return lambda ctx: value
    if isinstance(node, nodes.Getattr):
        if hasattr(dict, node.attr) or node.attr.startswith("_"):
            raise _Unsupported
        inner, attr = _fast(node.node), node.attr
        return lambda ctx: _lookup(inner(ctx), attr, repr(attr))
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, (str, int)):
        if isinstance(node.arg.value, str) and node.arg.value.startswith("_"):
            raise _Unsupported
        inner, key = _fast(node.node), node.arg.value
        return lambda ctx: _lookup(inner(ctx), key, repr(key))
    if isinstance(node, nodes.Or):
        left, right = _fast(node.left), _fast(node.right)
        return lambda ctx: left(ctx) or right(ctx)
    if isinstance(node, nodes.And):
        left, right = _fast(node.left), _fast(node.right)
        return lambda ctx: left(ctx) and right(ctx)
    if isinstance(node, nodes.Not):
        inner = _fast(node.node)
        return lambda ctx: not inner(ctx)
    if isinstance(node, nodes.CondExpr) and node.expr2 is not None:
        test, yes, no = _fast(node.test), _fast(node.expr1), _fast(node.expr2)
        return lambda ctx: yes(ctx) if test(ctx) else no(ctx)
    if isinstance(node, nodes.Test) and not node.args and not node.kwargs and node.name in ("none", "defined", "undefined"):
        inner, name = _fast(node.node), node.name
        if name == "none":
            return lambda ctx: inner(ctx) is None

        def defined(ctx: Mapping[str, Any]) -> bool:
            try:
                inner(ctx)
                return name == "defined"
            except _Missing:
                return name == "undefined"

        return defined
    if isinstance(node, nodes.Compare) and len(node.ops) == 1 and node.ops[0].op in ("eq", "ne"):
        left, right, op = _fast(node.expr), _fast(node.ops[0].expr), node.ops[0].op
        if op == "eq":
            return lambda ctx: left(ctx) == right(ctx)
        return lambda ctx: left(ctx) != right(ctx)
    raise _Unsupported


@dataclass(frozen=True, slots=True)
class _FastExpr:
    fn: Any
    source: str
    where: str
    slow: _Expr

    def render(self, ctx: Mapping[str, Any]) -> Any:
        try:
            return self.fn(ctx)
        except _Fallback:
            return self.slow.render(ctx)
        except (_Missing, TypeError) as exc:
            raise TemplateFailure(self.where, f"{{{{ {self.source} }}}}: {exc}", self.slow.path) from None


def _compile(tree: Any, where: str, path: tuple[object, ...]) -> Any:
    if isinstance(tree, str):
        if "{{" not in tree and "{%" not in tree and "{#" not in tree:
            return _Const(tree)
        m = _EXPR_RE.match(tree)
        if m and "{{" not in m.group("expr") and "}}" not in m.group("expr"):
            return compile_expression(m.group("expr"), where, path)
        try:
            refuse_unsafe(ENV.parse(tree))
            return _Text(ENV.from_string(tree), where, path)
        except TemplateError as exc:
            raise TemplateFailure(where, f"{tree!r}: {exc}", path) from None
    if isinstance(tree, dict):
        items = tuple((k, _compile(v, f"{where}.{k}" if where else k, path + (k,))) for k, v in tree.items())
        if all(isinstance(n, _Const) for _, n in items):
            return _Const(tree)
        return _Map(items)
    if isinstance(tree, list):
        items = tuple(_compile(v, f"{where}[{i}]", path + (i,)) for i, v in enumerate(tree))
        if all(isinstance(n, _Const) for n in items):
            return _Const(tree)
        return _List(items)
    return _Const(tree)


def template_variables(tree: Any) -> set[str]:
    """The names a template tree reads from its context (for the lint that checks them against the
    documented context of each template location)."""
    names: set[str] = set()
    for _path, text in template_leaves(tree):
        names |= meta.find_undeclared_variables(ENV.parse(text))
    return names


def template_leaves(tree: Any, path: tuple[object, ...] = ()) -> list[tuple[tuple[object, ...], str]]:
    """``(path, text)`` of every string leaf that contains a template."""
    if isinstance(tree, str):
        return [(path, tree)] if "{{" in tree or "{%" in tree else []
    if isinstance(tree, dict):
        return [leaf for k, v in tree.items() for leaf in template_leaves(v, path + (k,))]
    if isinstance(tree, list):
        return [leaf for i, v in enumerate(tree) for leaf in template_leaves(v, path + (i,))]
    return []


def expression_variables(source: str) -> set[str]:
    """The names one expression reads (``when:`` conditions)."""
    return set(meta.find_undeclared_variables(ENV.parse("{{ " + source + " }}")))
