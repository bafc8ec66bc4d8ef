"""``extends``: how a spec file is merged onto the spec it extends (docs/ARCHITECTURE.md section 4).

Maps merge, lists replace, ``null`` removes an inherited key, and the rule entries of
:data:`ATOMIC` (``params.temperature``, ``stream.events.text``, ``env``…) are replaced whole.  The
keys of :data:`NOT_INHERITED` are each file's own.  Pure.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ATOMIC", "NOT_INHERITED", "merge_specs"]

#: Keys a spec never inherits from the spec it extends (profiles are inherited: a child's catalog
#: may name its parent's profiles).
NOT_INHERITED = ("provider", "display_name", "docs", "description", "extends", "override", "models", "catalog", "bare_names", "default_model", "provider_aliases", "serve")

#: Under ``extends``, these entries are whole rules: a child's entry replaces the parent's rather
#: than merging into it (a ``to:`` must not meet an inherited ``unsupported:``).
ATOMIC = (
    ("params", "*"),
    ("stream", "events", "*"),
    ("response", "events", "*"),
    ("errors", "classes", "*"),
    ("request", "parts", "*"),
    ("request", "message_by_role", "*"),
    ("finish_reasons", "*"),
    ("profiles", "*"),
    ("auth",),
    # env is replaced whole: a child that names its own key variable must not inherit the parent's
    # base-URL variable (OPENAI_BASE_URL would otherwise redirect the child's key)
    ("env",),
)


def merge_specs(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """``child`` merged onto ``parent`` the ``extends`` way: maps merge, lists replace, ``null``
    removes, and the rule entries of :data:`ATOMIC` replace wholesale."""

    def atomic(path: tuple[str, ...]) -> bool:
        return any(len(p) == len(path) and all(a in ("*", b) for a, b in zip(p, path)) for p in ATOMIC)

    def merge(base: Any, over: Any, path: tuple[str, ...]) -> Any:
        if not isinstance(base, dict) or not isinstance(over, dict) or atomic(path):
            return over
        out = dict(base)
        for key, value in over.items():
            if value is None:
                out.pop(key, None)
            elif key in out:
                out[key] = merge(out[key], value, path + (key,))
            else:
                out[key] = value
        return out

    return merge(parent, child, ())  # type: ignore[no-any-return]


def inherited(parent: dict[str, Any]) -> dict[str, Any]:
    """The part of a merged ``parent`` tree that a spec extending it inherits."""
    return {k: v for k, v in parent.items() if k not in NOT_INHERITED}
