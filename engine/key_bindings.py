"""Which built-in specs can declare an API-key variable, read from their text without loading them.

:meth:`SpecRegistry.credential_binding` binds a key variable (``OPENAI_API_KEY``) to the hosts of
the built-in specs whose merged ``env.api_key`` names it (:mod:`specwire.binding`).  Merging every
built-in spec to learn that cost about as much as the rest of a first call, so the registry first
narrows the specs with :func:`may_declare` and merges only those.

The narrowing never leaves out a spec that declares the variable.  A spec's merged ``env`` is its
own ``env`` when the file writes one (``env`` is replaced whole under ``extends``), else the ``env``
of the spec it extends.  So a spec can declare ``VAR`` only when its text contains the word ``VAR``, or when
it writes no top-level ``env`` and extends a spec that can.  The two facts read from the text
(:func:`scan`) are the top-level block keys ``extends:`` and ``env:``, which in YAML's block style
start at column 0 and nowhere else (a block or multi-line scalar's lines are indented); a file
whose ``extends`` cannot be read that way counts as extending anything, and one whose ``env`` key
cannot be seen counts as inheriting.  The abstract specs (``bases/<stem>``) are among the texts
read, so a spec inheriting its ``env`` from one is found; they bind nothing themselves.  Pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["SpecText", "may_declare", "scan"]

_EXTENDS = re.compile(r"""^extends[ \t]*:[ \t]*(?:"([^"\\\n]*)"|'([^'\n]*)'|([^\s#'"{}\[\],&*!|>][^\s#]*))[ \t]*(?:\#.*)?$""", re.MULTILINE)
_ENV = re.compile(r"^env[ \t]*:", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class SpecText:
    """What :func:`scan` reads from a spec file's text: the ``text``; the id it ``extends``
    (``None``: none); ``unsure`` when it may extend something the text does not show plainly;
    ``own_env`` when it writes its own top-level ``env``."""

    text: str
    extends: str | None
    unsure: bool
    own_env: bool


def scan(text: str) -> SpecText:
    """The facts :func:`may_declare` needs from one spec file's text."""
    found = _EXTENDS.findall(text)
    if len(found) == 1:
        parent: str | None = next(v for v in found[0] if v)
        unsure = False
    else:
        parent, unsure = None, "extends" in text  # several (an error) or written some other way
    return SpecText(text, parent, unsure, _ENV.search(text) is not None)


def may_declare(var: str, specs: Mapping[str, SpecText]) -> set[str]:
    """The ids among ``specs`` (provider id → :class:`SpecText`) whose merged ``env`` may name
    ``var``: a superset of those that do, usually exactly them."""
    memo: dict[str, bool] = {}
    # the name as a whole word: AZURE_OPENAI_API_KEY does not name OPENAI_API_KEY (a YAML scalar
    # that is the name stands between quotes, spaces, commas, brackets or line ends)
    named = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(var)}(?![A-Za-z0-9_])")

    def may(provider: str, seen: frozenset[str]) -> bool:
        if provider in memo:
            return memo[provider]
        spec = specs.get(provider)
        if spec is None:
            result = False  # no such spec: a broken `extends`, refused when that spec loads
        elif named.search(spec.text):
            result = True
        elif spec.own_env:
            result = False  # its own env replaces the inherited one whole
        elif spec.unsure:
            result = True
        elif spec.extends is None:
            result = False
        elif spec.extends in seen:
            result = True  # a cycle: let the merge report it
        else:
            result = may(spec.extends, seen | {provider})
        memo[provider] = result
        return result

    return {p for p in specs if may(p, frozenset())}
