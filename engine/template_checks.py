"""Load-time refusals and limits of spec templates (docs/RELIABILITY.md T1).

Specs are untrusted and Jinja's sandbox bounds neither CPU nor output, so what a spec never needs
but attacks use is refused when the spec loads (``validate-spec`` reports it at the template's
line): ``include``/``import``/``extends`` tags, macros, recursive loops, ``_``-prefixed attribute
access (also through ``|attr``), ``.format()`` and in-place mutators, constant ``range()`` calls
over :data:`MAX_RANGE`, loop nests over :data:`MAX_LOOP_ITERATIONS`, and constant ``**``/``*``
expressions whose result would be huge.  The limits are shared with the render-time guards of
:mod:`specwire.render`, so a template that lints clean is not refused by a call, and the reverse.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateError, nodes

#: The largest ``range()`` a template may build.
MAX_RANGE = 1000
#: Rendered text stops here (characters), counted while rendering.
MAX_RENDERED_CHARS = 4 * 1024 * 1024

#: ``a ** b`` is refused when ``b * bits(a)`` (about the bits of the result) passes this.
MAX_POWER_BITS = 256


def exponent_refusal(base: int, exponent: int) -> str | None:
    """Why ``base ** exponent`` is refused in a spec template, or ``None``.  The one check behind
    both the render-time guard (``specwire.render.TemplateEnv.call_binop``) and the load-time refusal of constant
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


def refuse_unsafe(ast: nodes.Template) -> None:
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
    for other in (node.iter, node.test, *node.else_):
        if other is not None:
            _walk_loops(other, names, outer)


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
