"""Which fields of a provider's usage object a spec accounts for (``validate-spec``'s
``usage-unmapped`` check, run on recorded samples by :mod:`specwire.spec.samples`).

A usage object's fields are named by path: ``a.b`` for a nested object's member and ``a[].b`` for
a member of the objects in a list (Gemini's ``promptTokensDetails[].tokenCount``).  A spec
accounts for a path when one of its ``usage.fields`` / ``usage.billed_fields`` expressions reads it
or an object above it, or when ``usage.raw_fields`` lists it or an object above it (a field with no
unified meaning, kept in ``Usage.raw`` on purpose).  An expression that filters a list
(``cacheDetails[?ttl=='1h'].inputTokens``) accounts for everything in that list.

Every other field a sample's usage object holds is a finding: a count the provider's SDK knows
(the OpenAI ``prompt_tokens_details.cache_write_tokens``…) that the spec would silently drop, and
with it part of the cost.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from .compile import UsageConfig

__all__ = ["UNMAPPED_RULE", "accounted_paths", "unaccounted", "usage_paths"]

UNMAPPED_RULE = "usage-unmapped"

_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`|\"(?:[^\"\\]|\\.)*\"")
_BRACKET = re.compile(r"\[[^\[\]]*\]")
_CHAIN = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


def usage_paths(obj: Any, prefix: str = "") -> Iterator[str]:
    """The leaf paths of a usage object (an empty object or list is a leaf)."""
    if isinstance(obj, dict) and obj:
        for key, value in obj.items():
            yield from usage_paths(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(obj, list) and any(isinstance(item, dict) for item in obj):
        for item in obj:
            yield from usage_paths(item, prefix + "[]")
    elif prefix:
        yield prefix


def _expression_paths(source: str) -> Iterator[str]:
    """The field chains an expression reads, cut at the first list step: ``a.b[?x].c`` → ``a.b``."""
    text = _QUOTED.sub(" ", source)
    while True:  # innermost brackets first, so `a[?b[0]]` ends as one marker
        cut = _BRACKET.sub("\x00", text)
        if cut == text:
            break
        text = cut
    for segment in text.split("\x00"):
        match = _CHAIN.match(segment.lstrip())
        if match and not segment.lstrip().startswith("."):
            yield match.group(0)
        yield from (m.group(0) for m in _CHAIN.finditer(segment) if m.start() > 0 and segment[m.start() - 1] in " (,|&!=<>")


def accounted_paths(config: UsageConfig) -> frozenset[str]:
    """The paths (and the objects above paths) the spec maps or keeps raw on purpose."""
    out = set(config.raw_fields)
    for _, exprs in (*config.fields, *config.billed_fields):
        for expr in exprs:
            out.update(_expression_paths(expr.source))
    return frozenset(out)


def unaccounted(paths: Iterable[str], accounted: frozenset[str]) -> list[str]:
    """The ``paths`` neither accounted for nor below an accounted one, sorted."""
    plain = {a.replace("[]", "") for a in accounted}

    def covered(path: str) -> bool:
        parts = path.replace("[]", "").split(".")
        return any(".".join(parts[:i]) in plain for i in range(1, len(parts) + 1))

    return sorted({p for p in paths if not covered(p)})
