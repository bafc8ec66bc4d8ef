"""Event rules dispatched, not scanned: the index a spec's rules are compiled into.  Pure.

A frame used to be compared against every rule of its SSE event name in turn.  At spec compile
time, :func:`build_index` now reads the ``when`` expressions (and ``foreach`` paths) and finds,
for each rule, conditions that must hold for it to fire at all:

* **value** conditions: ``P == 'x'``, ``P == 'x' || P == 'y'``, ``contains(`["x", "y"]`, P)``
  say the value at the plain path ``P`` is one of a set of strings (Anthropic
  ``data.delta.type``, the Responses API's ``data.type``…);
* **key** conditions: a truthy path ``X.k``, ``X.k != null`` or a ``foreach`` over ``X.k`` say
  the object at ``X`` has a non-null ``k`` (a chat chunk's ``choices[0].delta`` keys, a Gemini
  part's keys).  ``a && b`` needs what either side needs, ``a || b`` what both sides share.

The index picks one discriminator for a list of rules: the path whose value conditions cover
the most rules (two at least), else the object whose key conditions leave out the most rules
when a frame carries only its most common key (then: the one covering more rules, the deeper).  Per frame it reads that one value (or that
object's few relevant keys) and returns, from a table built once, the rules that can match: the
rules whose condition holds plus every rule the compiler could not classify, **in file order**.
A rule left out could not have fired, so the result is the linear scan's, rule for rule (every
rule that holds fires; for ``foreach`` cases the first that holds).  A rule with no condition the
compiler understands is simply always a candidate.  ``tests/unit/test_dispatch.py`` checks this
against the linear scan on every recorded frame of the corpus for every built-in spec.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from .jpath import JPath, chain_path, path_reader

__all__ = ["Atom", "Index", "build_index", "conditions"]

Path = tuple[str | int, ...]
#: ``("eq", path, values)``: the value at ``path`` is one of ``values`` (strings);
#: ``("has", parent, keys)``: the object at ``parent`` has a non-null value under one of ``keys``.
Atom = tuple[str, Path, frozenset[str]]

T = TypeVar("T")

#: A key discriminator reads at most this many keys per frame (its table has 2**n entries at most).
_MAX_KEYS = 8


# ---------------------------------------------------------------------------- conditions
def _nonnull(node: dict[str, Any]) -> set[Atom]:
    """What a non-null result of ``node`` implies: every field step of a plain chain is there."""
    path = chain_path(node)
    if path is not None:
        return {("has", path[:i], frozenset((step,))) for i, step in enumerate(path) if isinstance(step, str)}
    kind = node["type"]
    if kind in ("projection", "filter_projection", "flatten"):  # null unless the base is a list
        return _nonnull(node["children"][0])
    if kind in ("index_expression", "subexpression") and all(_keeps_null(c) for c in node["children"]):
        return _nonnull(node["children"][0])  # a null first step would give null
    return set()


#: Node kinds that give ``null`` for a ``null`` input (given children that do too).
_NULL_KEEPING = frozenset(("field", "index", "slice", "index_expression", "subexpression", "projection", "filter_projection", "flatten", "multi_select_dict", "multi_select_list", "identity", "current"))


def _keeps_null(node: dict[str, Any]) -> bool:
    kind = node["type"]
    if kind not in _NULL_KEEPING:
        return False
    if kind in ("index_expression", "subexpression"):
        return all(_keeps_null(c) for c in node["children"])
    if kind in ("projection", "filter_projection", "flatten"):
        return _keeps_null(node["children"][0])
    return True


def _literal_strings(node: dict[str, Any]) -> frozenset[str] | None:
    if node["type"] != "literal":
        return None
    value = node["value"]
    if isinstance(value, str):
        return frozenset((value,))
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return frozenset(value)
    return None


def conditions(node: dict[str, Any]) -> set[Atom]:
    """Conditions that hold whenever the expression ``node`` (a jmespath.py syntax tree) gives a
    truthy value.  An empty set: nothing is known."""
    kind = node["type"]
    children = node.get("children") or []
    if kind == "comparator" and node["value"] in ("eq", "ne"):
        left, right = children
        if node["value"] == "ne":  # only ``P != null`` says something
            for a, b in ((left, right), (right, left)):
                if b["type"] == "literal" and b["value"] is None:
                    return _nonnull(a)
            return set()
        for a, b in ((left, right), (right, left)):
            path, values = chain_path(a), _literal_strings(b)
            if path and values is not None and isinstance(b["value"], str):
                return _nonnull(a) | {("eq", path, values)}
        return set()
    if kind == "function_expression" and node["value"] == "contains" and len(children) == 2:
        values, path = _literal_strings(children[0]), chain_path(children[1])
        if values is not None and isinstance(children[0]["value"], list) and path:
            return _nonnull(children[1]) | {("eq", path, values)}
        return set()
    if kind == "and_expression":
        return conditions(children[0]) | conditions(children[1])
    if kind == "or_expression":
        return _either(conditions(children[0]), conditions(children[1]))
    if kind in ("field", "index", "subexpression", "index_expression", "projection", "filter_projection", "flatten"):
        return _nonnull(node)
    return set()


def _either(left: set[Atom], right: set[Atom]) -> set[Atom]:
    """What holds when one of two condition sets holds: atoms of one kind on one path, merged."""
    out: set[Atom] = set()
    for kind, path, values in left:
        for kind2, path2, values2 in right:
            if kind == kind2 and path == path2:
                out.add((kind, path, values | values2))
    return out


def rule_conditions(when: JPath | None, foreach: JPath | None) -> set[Atom]:
    """A rule's conditions on the frame: its ``when`` (a ``foreach`` rule's ``when`` applies to
    each item, not to the frame, so there only the ``foreach`` path counts)."""
    if foreach is not None:
        return _nonnull(foreach.parsed)
    if when is not None:
        return conditions(when.parsed)
    return set()


# ---------------------------------------------------------------------------- the index
class Index(Generic[T]):
    """Rules (or ``foreach`` cases) in file order, with a discriminator.  :meth:`select` gives the
    ones that can match a frame (``root``: what their expressions are evaluated against), still in
    file order.  ``kind`` is ``"value"``, ``"keys"`` or ``"scan"`` (no discriminator); ``path``
    the discriminating path (for ``"keys"``, the object whose keys count); ``keys`` the keys read."""

    __slots__ = ("_buckets", "_default", "_read", "keys", "kind", "path", "rules", "select")

    def __init__(self, rules: Sequence[T], kind: str = "scan", path: Path = (), buckets: dict[Any, tuple[T, ...]] | None = None,
                 default: tuple[T, ...] = (), keys: tuple[str, ...] = ()) -> None:
        self.rules: tuple[T, ...] = tuple(rules)
        self.kind = kind
        self.path = path
        self.keys = keys
        self._read = path_reader(path)
        self._buckets = buckets or {}  # value -> rules, or (for keys) bit mask of the keys present -> rules
        self._default = default
        self.select: Callable[[Any], tuple[T, ...]]
        if kind == "value":
            self.select = self._by_value
        elif kind == "keys":
            self.select = self._by_keys
        else:
            everything = self.rules
            self.select = lambda root: everything

    def _by_value(self, root: Any) -> tuple[T, ...]:
        value = self._read(root)
        if isinstance(value, str):
            return self._buckets.get(value, self._default)
        return self._default

    def _by_keys(self, root: Any) -> tuple[T, ...]:
        obj = self._read(root)
        if not isinstance(obj, dict):
            return self._default
        mask = 0
        bit = 1
        for key in self.keys:
            if obj.get(key) is not None:
                mask |= bit
            bit <<= 1
        return self._buckets[mask]

    def __repr__(self) -> str:
        return f"Index({self.kind}, {self.path!r}, {len(self.rules)} rules)"


def build_index(rules: Sequence[T], atoms: Sequence[set[Atom]], *, envelope: bool = False) -> Index[T]:
    """The index of ``rules`` (file order) given each rule's conditions (``atoms[i]`` for
    ``rules[i]``, see :func:`conditions`).  ``envelope``: the rules see a frame envelope
    (``{event, data, headers}``), whose own keys are always there and discriminate nothing."""
    rules = tuple(rules)
    if len(rules) < 2:
        return Index(rules)
    # a value discriminator: the path most rules compare with strings
    eq_paths: dict[Path, int] = {}
    for conds in atoms:
        for kind, path, _ in conds:
            if kind == "eq":
                eq_paths[path] = eq_paths.get(path, 0) + 1
    if eq_paths:
        path, count = max(eq_paths.items(), key=lambda item: (item[1], len(item[0])))
        if count >= 2:
            return _value_index(rules, atoms, path)
    # a key discriminator: the object whose keys leave out the most rules
    best: tuple[int, int, int, Path] | None = None
    parents = {p for conds in atoms for kind, p, _ in conds if kind == "has" and (p or not envelope)}
    for parent in parents:
        wants = [_wants(conds, parent) for conds in atoms]
        covered = [w for w in wants if w is not None]
        keys: set[str] = set().union(*covered)
        if not covered or len(keys) > _MAX_KEYS:
            continue
        most_common = max(sum(1 for w in covered if k in w) for k in keys)
        score = (len(covered) - most_common, len(covered), len(parent))
        if score[0] > 0 and (best is None or score > best[:3]):
            best = (*score, parent)
    if best is not None:
        parent = best[3]
        wants_t = tuple(_wants(conds, parent) for conds in atoms)
        keys_t = tuple(sorted(set().union(*(w for w in wants_t if w is not None))))
        buckets: dict[Any, tuple[T, ...]] = {}
        for mask in range(1 << len(keys_t)):
            present = {k for i, k in enumerate(keys_t) if mask >> i & 1}
            buckets[mask] = tuple(r for r, want in zip(rules, wants_t) if want is None or want & present)
        return Index(rules, "keys", parent, buckets=buckets, default=buckets[0], keys=keys_t)
    return Index(rules)


def _wants(conds: set[Atom], parent: Path) -> frozenset[str] | None:
    """The keys of the object at ``parent`` one of which a rule needs (the narrowest of its
    conditions there), or ``None``."""
    found = [values for kind, p, values in conds if kind == "has" and p == parent]
    return min(found, key=len) if found else None


def _value_index(rules: tuple[T, ...], atoms: Sequence[set[Atom]], path: Path) -> Index[T]:
    wants: list[frozenset[str] | None] = []
    for conds in atoms:
        sets = [values for kind, p, values in conds if kind == "eq" and p == path]
        wants.append(frozenset.intersection(*sets) if sets else None)
    values = set().union(*(w for w in wants if w is not None))
    buckets = {v: tuple(r for r, w in zip(rules, wants) if w is None or v in w) for v in values}
    default = tuple(r for r, w in zip(rules, wants) if w is None)
    return Index(rules, "value", path, buckets=buckets, default=default)
