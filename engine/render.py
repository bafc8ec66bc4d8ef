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
right then (see :func:`_refuse_unsafe`): ``include``/``import``/``extends`` tags, macros, recursive
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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, TemplateError, Undefined, meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

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

MAX_RANGE = 1000
MAX_RENDERED_CHARS = 4 * 1024 * 1024

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


class _Env(ImmutableSandboxedEnvironment):
    # `'x' * 10**20` or `9**9**9` would eat memory or CPU before any output cap could look
    intercepted_binops = frozenset({"*", "**"})

    def __init__(self) -> None:
        super().__init__(loader=None, undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
        self.globals.clear()
        self.globals.update({"omit": OMIT, "range": _safe_range})
        # `tojson` keeps key order (a JSON schema's property order can matter to a model)
        self.policies["json.dumps_kwargs"] = {"sort_keys": False}

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if isinstance(left, int) and isinstance(right, int) and (reason := exponent_refusal(left, right)):
                raise SecurityError(reason)
        elif isinstance(right, int) and isinstance(left, (str, list, tuple)) or isinstance(left, int) and isinstance(right, (str, list, tuple)):
            seq, times = (left, right) if isinstance(right, int) else (right, left)
            if reason := repetition_refusal(len(seq), times):
                raise SecurityError(reason)
        return super().call_binop(context, operator, left, right)


#: ``a ** b`` is refused when ``b * bits(a)`` (about the bits of the result) passes this.
MAX_POWER_BITS = 256


def exponent_refusal(base: int, exponent: int) -> str | None:
    """Why ``base ** exponent`` is refused in a spec template, or ``None``.  The one check behind
    both the render-time guard (:meth:`_Env.call_binop`) and the load-time refusal of constant
    expressions (:func:`_refuse_constant_blowups`), so ``validate-spec`` and a call agree."""
    if exponent > 0 and abs(base) > 1 and exponent * abs(base).bit_length() > MAX_POWER_BITS:
        return "exponent too large in a spec template"
    return None


def repetition_refusal(length: int, times: int) -> str | None:
    """Why repeating a sequence of ``length`` items ``times`` times (``'A' * n``, ``[x] * n``) is
    refused in a spec template, or ``None``: the result would pass :data:`MAX_RENDERED_CHARS`.
    Shared by the render-time guard and the load-time refusal, as :func:`exponent_refusal`."""
    if times > 0 and length * times > MAX_RENDERED_CHARS:
        return "repetition too large in a spec template"
    return None


ENV = _Env()
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


_RENDER_ERRORS = (TemplateError, TypeError, ValueError, AttributeError, KeyError, IndexError, ZeroDivisionError, OverflowError, MemoryError)


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
        except _RENDER_ERRORS as exc:
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
            return _bounded_join(self.template.generate(ctx))
        except SecurityError as exc:
            raise TemplateFailure(self.where, str(exc), self.path, security=True) from None
        except _RENDER_ERRORS as exc:
            raise TemplateFailure(self.where, str(exc), self.path) from None


def _bounded_join(chunks: Any) -> str:
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
        _refuse_unsafe(ast)
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
        missing = value.__missing__(key) if hasattr(value, "__missing__") else _MISSING
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


# ---------------------------------------------------------------------------- load-time refusals
# docs/RELIABILITY.md T1: specs are untrusted and the sandbox bounds neither CPU nor output.  What a spec
# never needs but attacks use is refused when the spec loads (validate-spec reports it at the
# template's line), so a hostile spec fails before any call.  The sandbox still stops the same
# things at render time; these checks make the failure early, located and certain.

_UNSAFE_TAGS = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends, nodes.Macro, nodes.CallBlock)

#: ``str.format``/``format_map`` walk attribute chains inside the format string
#: (``'{0.__class__.__init__.__globals__}'.format(x)``), out of reach of an AST scan.
_FORMAT_METHODS = frozenset({"format", "format_map"})
#: Methods that change a list, dict or set in place: a template only ever builds new values.
_MUTATING_METHODS = frozenset({
    "append", "extend", "insert", "pop", "popitem", "remove", "clear", "update", "setdefault",
    "sort", "reverse", "add", "discard",
})
#: Filters whose positional argument 0 names an attribute (``attr``'s name is checked separately).
_ATTRIBUTE_ARG_FILTERS = frozenset({"selectattr", "rejectattr", "groupby"})

#: The largest product of constant iteration counts along a nest of ``{% for %}`` loops (a single
#: ``range(MAX_RANGE)`` loop is allowed; ``range(1000)`` inside ``range(1000)`` is not).
MAX_LOOP_ITERATIONS = MAX_RANGE
#: Constant folding (``range()`` arguments, loop counts) gives up (refuses) past this many bits.
_MAX_FOLD_BITS = MAX_POWER_BITS
_FOLD_OPS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "//": lambda a, b: a // b}


def _refuse_unsafe(ast: nodes.Template) -> None:
    """Refuse, at load time, what a spec never needs and attacks use (docs/RELIABILITY.md T1); raises
    ``TemplateError`` naming the construct.  Each check below says what it refuses and why."""
    _refuse_tags(ast)
    _refuse_private_names(ast)
    _refuse_attr_filter(ast)
    _refuse_method_calls(ast)
    _refuse_constant_blowups(ast)
    _refuse_large_ranges(ast)
    _refuse_loop_nests(ast)


def _refuse_tags(ast: nodes.Template) -> None:
    """``include``/``import``/``extends`` (file reads; there is no loader anyway), macros and call
    blocks, and ``recursive`` loops (``loop(...)`` nests without bound: exponential CPU with no
    output for the size cap to see)."""
    for node in ast.find_all(_UNSAFE_TAGS):
        raise TemplateError(f"{type(node).__name__.lower()} tags are not allowed in specs")
    for loop in ast.find_all(nodes.For):
        if loop.recursive:
            raise TemplateError("recursive loops are not allowed in specs")


def _refuse_private_names(ast: nodes.Template) -> None:
    """Any ``_``-prefixed attribute name, however it is written: ``x.__class__``,
    ``x['__globals__']``, ``x|attr('__class__')`` (also with ``\\x5f`` escapes, which Jinja's lexer
    decodes into the constant checked here), or a constant attribute path given to
    ``map``/``sort``/``selectattr``… (``attribute='__class__'``).  That is the first step of every
    sandbox escape.  The message lists every such name, in the order written."""
    private = [name for name in _attribute_names(ast) if name.startswith("_")]
    if private:
        raise TemplateError(f"access to {', '.join(repr(n) for n in dict.fromkeys(private))} is not allowed in specs")


def _refuse_attr_filter(ast: nodes.Template) -> None:
    """``|attr()`` with anything but one constant name (``|attr('_' ~ '_class__')``, ``|attr(name)``):
    a computed name is out of reach of :func:`_refuse_private_names`."""
    for node in ast.find_all(nodes.Filter):
        if node.name == "attr" and not _attr_filter_name(node):
            raise TemplateError("the attr filter takes only a constant attribute name in specs")


def _attribute_names(ast: nodes.Template) -> Iterator[str]:
    """The constant attribute and item names a template reads, in source order."""
    for node in _in_source_order(ast, (nodes.Getattr, nodes.Getitem, nodes.Filter)):
        if isinstance(node, nodes.Getattr):
            yield node.attr
        elif isinstance(node, nodes.Getitem):
            if _is_str_const(node.arg):
                yield node.arg.value  # type: ignore[attr-defined]
        elif node.name == "attr":
            yield from _attr_filter_name(node)
        else:
            named = [kw.value for kw in node.kwargs if kw.key == "attribute"]
            if node.name in _ATTRIBUTE_ARG_FILTERS and node.args:
                named.append(node.args[0])
            for arg in named:
                if _is_str_const(arg):
                    yield from arg.value.split(".")


def _attr_filter_name(node: nodes.Filter) -> list[str]:
    """``[name]`` of ``|attr('name')``; ``[]`` when the name is not one constant string."""
    if node.kwargs or node.dyn_args or node.dyn_kwargs or len(node.args) != 1 or not _is_str_const(node.args[0]):
        return []
    return [node.args[0].value]  # type: ignore[attr-defined]


def _refuse_method_calls(ast: nodes.Template) -> None:
    """Calls of ``.format()``/``.format_map()`` (attribute access inside the format string) and of
    in-place mutators (``messages.append(...)``, ``d.update(...)``: a template must not change the
    values it renders), however the method is reached (``x.m()``, ``x['m']()``, ``(x|attr('m'))()``).
    Reading a key that happens to share such a name (``part.format``) stays allowed."""
    for call in _in_source_order(ast, nodes.Call):
        name = _method_name(call.node)
        if name in _FORMAT_METHODS:
            raise TemplateError(f"calling .{name}() is not allowed in specs (str.format reaches attributes the sandbox must guard); use ~ or the format filter")
        if name in _MUTATING_METHODS:
            raise TemplateError(f"calling .{name}() is not allowed in specs (templates never modify values)")


def _refuse_constant_blowups(ast: nodes.Template) -> None:
    """``*`` and ``**`` whose operands are constants (``'A' * 1000000000``, ``10 ** 10 ** 8``,
    ``[model] * 10**8``): refused at load by the same checks that stop them while rendering
    (:func:`exponent_refusal`, :func:`repetition_refusal`), so a spec the call would refuse does
    not pass ``validate-spec``.  Operands that depend on the context are left to the render-time
    guard.  A refused operation in a branch that never runs is refused too (the spec is wrong
    either way)."""
    for node in ast.find_all((nodes.Mul, nodes.Pow)):
        _operand(node)


def _refuse_large_ranges(ast: nodes.Template) -> None:
    """``range()`` with constant arguments longer than :data:`MAX_RANGE` (``range(10**5)``): the
    runtime cap would stop it on every call; refusing it at load names the spec instead."""
    for call in ast.find_all(nodes.Call):
        n = _constant_range_length(call)
        if n is not None and n > MAX_RANGE:
            raise TemplateError(f"range() of {n} items is more than the {MAX_RANGE} allowed in specs")


def _refuse_loop_nests(ast: nodes.Template) -> None:
    """Nested ``{% for %}`` loops whose constant iteration counts multiply past
    :data:`MAX_LOOP_ITERATIONS` (``range(1000)`` inside ``range(1000)``: each loop is under the
    ``range`` cap, the nest is not).  Counted: constant ``range()`` calls, list/tuple/string
    literals, a literal repeated by a constant (``[0] * 50``), ``|list``/``|sort``/``|reverse`` of
    those, and names ``{% set %}`` to one of those.  A loop over context data counts as 1 (it is
    bounded by the caller's input); the runtime caps stay the backstop for what this cannot count."""
    names: dict[str, int] = {}
    for assign in ast.find_all(nodes.Assign):
        n = _iteration_count(assign.node, names)
        if isinstance(assign.target, nodes.Name) and n is not None:
            names[assign.target.name] = max(n, names.get(assign.target.name, 0))
    _walk_loops(ast, names, 1)


def _walk_loops(node: nodes.Node, names: dict[str, int], outer: int) -> None:
    """Check every loop below ``node``, which runs ``outer`` times."""
    if not isinstance(node, nodes.For):
        for child in node.iter_child_nodes():
            _walk_loops(child, names, outer)
        return
    inner = outer * (_iteration_count(node.iter, names) or 1)
    if inner > MAX_LOOP_ITERATIONS:
        raise TemplateError(f"nested loops too large: they run {inner} times over constant ranges, more than the {MAX_LOOP_ITERATIONS} allowed in specs")
    for part in node.body:
        _walk_loops(part, names, inner)
    for part in (node.iter, node.test, *node.else_):
        if part is not None:
            _walk_loops(part, names, outer)


def _in_source_order(node: nodes.Node, types: Any) -> Iterator[Any]:
    """The nodes of ``types`` below ``node``, children first: for a chain such as
    ``x|attr('a')|attr('b')`` or ``x.a.b``, that is the order they are written in, so the first
    refusal names the first offending step."""
    for child in node.iter_child_nodes():
        yield from _in_source_order(child, types)
    if isinstance(node, types):
        yield node


def _is_str_const(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Const) and isinstance(node.value, str)


def _method_name(node: nodes.Node) -> str | None:
    """The method a call's callee names: ``x.m``, ``x['m']`` or ``x|attr('m')``; else ``None``."""
    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node, nodes.Getitem) and _is_str_const(node.arg):
        return node.arg.value  # type: ignore[attr-defined, no-any-return]
    if isinstance(node, nodes.Filter) and node.name == "attr":
        return next(iter(_attr_filter_name(node)), None)
    return None


def _constant_range_length(call: nodes.Call) -> int | None:
    """The length of ``range(<constant ints>)``; ``None`` when it is not that (or not valid)."""
    if not (isinstance(call.node, nodes.Name) and call.node.name == "range") or call.kwargs or call.dyn_args or call.dyn_kwargs:
        return None
    args = [_fold(a) for a in call.args]
    if not 1 <= len(args) <= 3 or any(a is None for a in args):
        return None
    start, stop, step = (0, args[0], 1) if len(args) == 1 else (args[0], args[1], args[2] if len(args) == 3 else 1)
    if step == 0:
        return None  # range() raises at render time
    return max(0, -((start - stop) // step)) if step > 0 else max(0, -((stop - start) // -step))  # type: ignore[operator]


def _fold(node: nodes.Node) -> int | None:
    """A constant integer expression's value (ints, unary ``-``/``+``, ``+ - * // **``), else
    ``None``; raises ``TemplateError`` past :data:`_MAX_FOLD_BITS` or for a refused ``**``.  Done
    here because Jinja's ``as_const`` will not fold ``*``/``**`` (the sandbox intercepts them)."""
    value = _operand(node)
    if not isinstance(value, int):
        return None
    if value.bit_length() > _MAX_FOLD_BITS:
        raise TemplateError("constant too large in a spec template")
    return value


@dataclass(frozen=True, slots=True)
class _Sized:
    """A constant-length sequence operand: a string, list or tuple literal (its items may be
    variables), or one repeated a constant number of times."""

    length: int


def _operand(node: nodes.Node) -> int | _Sized | None:
    """What :func:`_fold` and :func:`_refuse_constant_blowups` know of ``node`` without a context:
    an int, a sequence's length, or ``None``.  Raises ``TemplateError`` for a ``*``/``**`` that
    the render-time guard would refuse (the same check).  Ints are computed exactly: only ``**``
    grows them faster than the template's own length, and it is capped first."""
    if isinstance(node, nodes.Const):
        value = node.value
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        return _Sized(len(value)) if isinstance(value, (str, list, tuple)) else None
    if isinstance(node, (nodes.List, nodes.Tuple)):
        return _Sized(len(node.items))
    if isinstance(node, (nodes.Neg, nodes.Pos)):
        value = _operand(node.node)
        return (-value if isinstance(node, nodes.Neg) else value) if isinstance(value, int) else None
    if not isinstance(node, nodes.BinExpr):
        return None
    left, right = _operand(node.left), _operand(node.right)
    if isinstance(left, int) and isinstance(right, int):
        if node.operator == "**":
            if reason := exponent_refusal(left, right):
                raise TemplateError(reason)
            return left**right if right >= 0 else None
        if node.operator in _FOLD_OPS and not (node.operator == "//" and right == 0):
            return _FOLD_OPS[node.operator](left, right)  # type: ignore[no-any-return]
        return None
    if node.operator == "*" and isinstance(left, _Sized) != isinstance(right, _Sized) and None not in (left, right):
        seq, times = (left, right) if isinstance(left, _Sized) else (right, left)
        assert isinstance(seq, _Sized) and isinstance(times, int)
        if reason := repetition_refusal(seq.length, times):
            raise TemplateError(reason)
        return _Sized(seq.length * max(times, 0))
    if node.operator == "+" and isinstance(left, _Sized) and isinstance(right, _Sized):
        return _Sized(left.length + right.length)
    return None


def _iteration_count(node: nodes.Node, names: dict[str, int]) -> int | None:
    """How many items a loop over ``node`` yields, when that is a constant (see
    :func:`_refuse_loop_nests`); ``None`` when it depends on the context."""
    if isinstance(node, nodes.Call):
        return _constant_range_length(node)
    if isinstance(node, (nodes.List, nodes.Tuple)):
        return len(node.items)
    if isinstance(node, nodes.Const):
        return len(node.value) if isinstance(node.value, (str, list, tuple)) else None
    if isinstance(node, nodes.Name):
        return names.get(node.name)
    if isinstance(node, nodes.Filter) and node.name in ("list", "sort", "reverse") and node.node is not None:
        return _iteration_count(node.node, names)
    if isinstance(node, nodes.Mul):
        for seq, times in ((node.left, node.right), (node.right, node.left)):
            count, factor = _iteration_count(seq, names), _fold(times)
            if count is not None and factor is not None:
                return max(0, count * factor)
    return None


def _compile(tree: Any, where: str, path: tuple[object, ...]) -> Any:
    if isinstance(tree, str):
        if "{{" not in tree and "{%" not in tree and "{#" not in tree:
            return _Const(tree)
        m = _EXPR_RE.match(tree)
        if m and "{{" not in m.group("expr") and "}}" not in m.group("expr"):
            return compile_expression(m.group("expr"), where, path)
        try:
            _refuse_unsafe(ENV.parse(tree))
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
