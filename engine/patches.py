"""Tool-call arguments built from JSON-path patches (Vertex ``partialArgs``), for the assembler.  Pure.

Each patch is ``{path, append | value | null}`` with ``path`` a JSONPath of the subset
``$.a.b[0]['c d']`` (the shape the vertex spec's stream rules give as ``patches``).
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["apply_patches"]


def _parse_json_path(path: object) -> list[str | int] | None:
    """``$.a.b[0]['c d']`` → ``["a", "b", 0, "c d"]`` (the subset tool-argument patches use)."""
    if not isinstance(path, str) or not path.startswith("$"):
        return None
    steps: list[str | int] = []
    for m in _PATH_STEP.finditer(path, 1):
        name, index, quoted = m.group(1), m.group(2), m.group(3)
        steps.append(int(index) if index is not None else (quoted if quoted is not None else name))
    rebuilt = sum(len(m.group(0)) for m in _PATH_STEP.finditer(path, 1))
    return steps if rebuilt == len(path) - 1 else None


def apply_patches(root: Any, patches: list[Any]) -> Any:
    """Apply ``{path, append | value | null}`` patches: ``append`` extends a string (streamed
    string values), ``value`` sets a number/bool/object, a truthy ``null`` sets ``None``.
    Containers along the path are created (a dict for a name, a list for an index)."""
    for patch in patches:
        if not isinstance(patch, dict):
            continue
        steps = _parse_json_path(patch.get("path"))
        if not steps:
            continue
        if patch.get("append") is not None:
            op, value = "append", str(patch["append"])
        elif patch.get("value") is not None:
            op, value = "set", patch["value"]
        elif patch.get("null"):
            op, value = "set", None
        else:
            continue
        root = _patched(root, steps, op, value)
    return root


def _patched(node: Any, steps: list[str | int], op: str, value: Any) -> Any:
    step, rest = steps[0], steps[1:]
    if isinstance(step, int):
        node = list(node) if isinstance(node, list) else []
        while len(node) <= step:
            node.append(None)
    else:
        node = dict(node) if isinstance(node, dict) else {}
    current = node[step] if isinstance(step, int) else node.get(step)
    if rest:
        node[step] = _patched(current, rest, op, value)
    elif op == "append":
        node[step] = (current if isinstance(current, str) else "") + value
    else:
        node[step] = value
    return node


_PATH_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\['([^']*)'\]")

