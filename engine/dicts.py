"""Small pure helpers for JSON-like trees: deep merge and dotted-path set (copy-on-write: the
inputs are never mutated, so constant subtrees of compiled specs can be shared safely)."""

from __future__ import annotations

from typing import Any

__all__ = ["deep_merge", "get_path", "set_path"]


def deep_merge(base: Any, over: Any, *, null_deletes: bool = False) -> Any:
    """``over`` merged onto ``base``: mappings merge key by key, anything else (lists included)
    replaces.  With ``null_deletes``, a ``None`` in ``over`` removes the key from the result."""
    if not isinstance(base, dict) or not isinstance(over, dict):
        return over
    out = dict(base)
    for key, value in over.items():
        if value is None and null_deletes:
            out.pop(key, None)
        elif key in out and isinstance(out[key], dict) and isinstance(value, dict):
            out[key] = deep_merge(out[key], value, null_deletes=null_deletes)
        else:
            out[key] = value
    return out


def set_path(tree: dict[str, Any], path: str, value: Any, *, only_if_absent: bool = False, extend: bool = False) -> dict[str, Any]:
    """A copy of ``tree`` with ``value`` at the dotted ``path`` (``generationConfig.topK``); maps
    along the path are copied, missing ones created.  Dict values are deep-merged into an existing
    dict at the same place; with ``extend`` a list value is appended to an existing list there
    (items already in it are not repeated)."""
    head, _, rest = path.partition(".")
    out = dict(tree)
    if rest:
        child = out.get(head)
        out[head] = set_path(child if isinstance(child, dict) else {}, rest, value, only_if_absent=only_if_absent, extend=extend)
        return out
    if only_if_absent and head in out:
        return out
    current = out.get(head)
    if extend and isinstance(current, list) and isinstance(value, list):
        out[head] = current + [v for v in value if v not in current]
    else:
        out[head] = deep_merge(current, value) if isinstance(current, dict) and isinstance(value, dict) else value
    return out


def get_path(tree: Any, path: str) -> Any:
    """The value at a dotted path, or ``None``."""
    for key in path.split("."):
        if not isinstance(tree, dict):
            return None
        tree = tree.get(key)
    return tree
