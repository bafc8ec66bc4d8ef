"""Event rules dispatched, not scanned: the index a spec's rules are compiled into.  Pure.

A frame used to be compared against every rule of its SSE event name in turn.  At spec compile
time, :func:`build_index` now reads the ``when`` expressions (and ``foreach`` paths) and finds,
for each rule, conditions that must hold for it to fire at all:

* **value** conditions: ``P == 'x'``, ``P == 'x' || P == 'y'``, ``contains(`["x", "y"]`, P)``
  say the value at the plain path ``P`` is one of a set of strings (Anthropic
  ``data.delta.type``, the Responses API's ``data.type``…);
* **key** conditions: a truthy path ``X.k``, ``X.k != `null` `` or a ``foreach`` over ``X.k`` say
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
        if node["value"] == "ne":  # only ``P != `null` `` says something
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
_DEFAULT = object()  # the bucket key of a value no rule names (or a value that is not a string)


class Index(Generic[T]):
    """Rules (or ``foreach`` cases) in file order, with a discriminator.  :meth:`select` gives the
    ones that can match a frame (``root``: what their expressions are evaluated against), still in
    file order.  ``kind`` is ``"value"``, ``"keys"`` or ``"scan"`` (no discriminator); ``path``
    the discriminating path (for ``"keys"``, the object whose keys count); ``keys`` the keys read.
    Each bucket is an index itself (over fewer rules, with another discriminator or none), built
    the first time a frame needs it: at most :data:`_MAX_NODES` indexes with a discriminator per
    tree, so memory stays bounded whatever the frames."""

    __slots__ = ("_bits", "_buckets", "_plan", "_read", "_values", "keys", "kind", "path", "rules", "select")

    def __init__(self, rules: Sequence[T], kind: str = "scan", path: Path = (), plan: _Plan[T] | None = None,
                 values: frozenset[str] = frozenset(), keys: tuple[str, ...] = ()) -> None:
        self.rules: tuple[T, ...] = tuple(rules)
        self.kind = kind
        self.path = path
        self.keys = keys
        self._bits = tuple((key, 1 << i) for i, key in enumerate(keys))
        self._read = path_reader(path)
        self._plan = plan
        self._values = values
        self._buckets: dict[Any, Index[T]] = {}  # a value (or _DEFAULT), or a bit mask of the keys present -> index
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
        key = value if isinstance(value, str) and value in self._values else _DEFAULT
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._bucket(key)
        return bucket.select(root)

    def _by_keys(self, root: Any) -> tuple[T, ...]:
        obj = self._read(root)
        mask = 0
        if isinstance(obj, dict):
            for key, bit in self._bits:
                if obj.get(key) is not None:
                    mask |= bit
        bucket = self._buckets.get(mask)
        if bucket is None:
            bucket = self._bucket(mask)
        return bucket.select(root)

    def _bucket(self, key: Any) -> Index[T]:
        assert self._plan is not None
        bucket = self._buckets[key] = self._plan.bucket(self, key)
        return bucket

    def __eq__(self, other: object) -> bool:  # the index is a function of its rules
        return isinstance(other, Index) and other.rules == self.rules

    def __hash__(self) -> int:
        return hash(self.rules)

    def __repr__(self) -> str:
        return f"Index({self.kind}, {self.path!r}, {len(self.rules)} rules)"


#: Discriminators read one after another at most (each bucket indexed again on what is left).
_MAX_DEPTH = 3
#: Indexes with a discriminator in one tree at most; past it, buckets are scanned.
_MAX_NODES = 64


class _Builder(Generic[T]):
    """Builds the indexes of one tree (shared by its nodes, which build their buckets on demand)."""

    def __init__(self, rules: tuple[T, ...], atoms: tuple[set[Atom], ...], envelope: bool) -> None:
        self.rules, self.atoms, self.envelope = rules, atoms, envelope
        self.memo: dict[tuple[tuple[int, ...], frozenset[tuple[str, Path]]], Index[T]] = {}
        self.budget = _MAX_NODES

    def build(self, chosen: tuple[int, ...], used: frozenset[tuple[str, Path]]) -> Index[T]:
        """The index of ``rules[i] for i in chosen``, not using the discriminators in ``used`` again."""
        key = (chosen, used)
        found = self.memo.get(key)
        if found is not None:
            return found
        subset = tuple(self.rules[i] for i in chosen)
        choice = None
        if len(chosen) >= 2 and len(used) < _MAX_DEPTH and self.budget > 0:
            choice = _discriminator([self.atoms[i] for i in chosen], used, self.envelope)
        if choice is None:
            index: Index[T] = Index(subset)
        else:
            self.budget -= 1
            kind, path = choice
            wants = tuple(_wants(self.atoms[i], kind, path) for i in chosen)
            plan = _Plan(self, chosen, wants, used | {choice})
            named = frozenset().union(*(w for w in wants if w is not None))
            if kind == "eq":
                index = Index(subset, "value", path, plan, values=named)
            else:
                index = Index(subset, "keys", path, plan, keys=tuple(sorted(named)))
        self.memo[key] = index
        return index


class _Plan(Generic[T]):
    """What an index needs to build a bucket: its rules, what each wants, the discriminators used."""

    __slots__ = ("below", "builder", "chosen", "wants")

    def __init__(self, builder: _Builder[T], chosen: tuple[int, ...], wants: tuple[frozenset[str] | None, ...], below: frozenset[tuple[str, Path]]) -> None:
        self.builder, self.chosen, self.wants, self.below = builder, chosen, wants, below

    def bucket(self, index: Index[T], key: Any) -> Index[T]:
        if index.kind == "value":
            members = [w is None or (key is not _DEFAULT and key in w) for w in self.wants]
        else:
            present = {k for i, k in enumerate(index.keys) if key >> i & 1}
            members = [w is None or bool(w & present) for w in self.wants]
        return self.builder.build(tuple(i for i, m in zip(self.chosen, members) if m), self.below)


def build_index(rules: Sequence[T], atoms: Sequence[set[Atom]], *, envelope: bool = False) -> Index[T]:
    """The index of ``rules`` (file order) given each rule's conditions (``atoms[i]`` for
    ``rules[i]``, see :func:`conditions`).  ``envelope``: the rules see a frame envelope
    (``{event, data, headers}``), whose own keys are always there and discriminate nothing."""
    rules = tuple(rules)
    return _Builder(rules, tuple(atoms), envelope).build(tuple(range(len(rules))), frozenset())


def _discriminator(conds: list[set[Atom]], used: frozenset[tuple[str, Path]], envelope: bool) -> tuple[str, Path] | None:
    """The path most rules compare with strings (two at least), else the object whose keys leave
    out the most rules when a frame carries only its most common key (then: the one covering more
    rules, the deeper one); ``None`` if neither would leave out a rule."""
    eq_paths: dict[Path, int] = {}
    for c in conds:
        for kind, path, _ in c:
            if kind == "eq" and ("eq", path) not in used:
                eq_paths[path] = eq_paths.get(path, 0) + 1
    if eq_paths:
        path, count = max(sorted(eq_paths.items()), key=lambda item: (item[1], len(item[0])))
        if count >= 2:
            return ("eq", path)
    best: tuple[int, int, int, Path] | None = None
    parents = sorted({p for c in conds for kind, p, _ in c if kind == "has" and (p or not envelope) and ("has", p) not in used}, key=str)
    for parent in parents:
        covered = [w for c in conds if (w := _wants(c, "has", parent)) is not None]
        keys: set[str] = set().union(*covered)
        if not covered or len(keys) > _MAX_KEYS:
            continue
        most_common = max(sum(1 for w in covered if k in w) for k in keys)
        score = (len(covered) - most_common, len(covered), len(parent))
        if score[0] > 0 and (best is None or score > best[:3]):
            best = (*score, parent)
    return ("has", best[3]) if best is not None else None


def _wants(conds: set[Atom], kind: str, path: Path) -> frozenset[str] | None:
    """What a rule needs at the discriminator: the strings the value at ``path`` must be one of
    (``eq``), or the keys of the object at ``path`` one of which must be there (``has``); the
    narrowest of its conditions there, or ``None`` (it does not depend on it)."""
    found = [values for k, p, values in conds if k == kind and p == path]
    if not found:
        return None
    if kind == "eq":
        return frozenset.intersection(*found)
    return min(found, key=len)
