"""Bare model names and provider aliases: the spec data that lets a model name alone pick a
provider (docs/ARCHITECTURE.md section 4, keys ``bare_names``, ``default_model``,
``provider_aliases``).

A bare name (no ``provider:`` prefix) resolves, in order:

1. a **provider id or alias** (``"xai"``, ``"google"``): that spec's ``default_model``;
2. the **catalogs** that list the id (by id or alias), ranked by ``bare_names.priority`` (a spec
   without the key ranks 0): the vendor's own API first, then the platforms that resell it;
   a tie at the top is ambiguous (:class:`ModelNotFoundError` lists each ``provider:model``);
3. the specs whose ``bare_names.patterns`` (``fnmatch`` globs such as ``gpt-*``, ``o[0-9]*``)
   match an id no catalog lists, ranked the same way;
4. otherwise :class:`ModelNotFoundError` with a did-you-mean.

Each resolution carries a ``bare-model`` :class:`CallWarning` naming the ``provider:model`` chosen.

:func:`model_warnings` says when a model id is not in its spec's catalog (with a did-you-mean) or
is deprecated; it is remembered per (spec, model), so a call with an uncatalogued id does not
search the catalog for a suggestion every time.
"""

from __future__ import annotations

import fnmatch
import threading
import weakref
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .errors import ModelNotFoundError, SpecError
from .suggest import closest, did_you_mean
from .types import CallWarning

if TYPE_CHECKING:
    from .spec.compile import CompiledSpec

__all__ = ["BARE_MODEL", "alias_map", "bare_owners", "bare_priority", "default_model", "model_warnings", "pattern_matches", "resolve_bare", "top_ranked"]

#: The warning kind of a bare name resolved to a provider.
BARE_MODEL = "bare-model"


def bare_priority(data: Any) -> int:
    """A spec's rank for bare names (``bare_names.priority``; 0 without the key)."""
    rule = (data or {}).get("bare_names") or {}
    value = rule.get("priority", 0)
    return value if isinstance(value, int) else 0


def pattern_matches(data: Any, model: str) -> bool:
    """Whether one of the spec's ``bare_names.patterns`` (case-sensitive globs) matches ``model``."""
    rule = (data or {}).get("bare_names") or {}
    return any(fnmatch.fnmatchcase(model, p) for p in rule.get("patterns") or () if isinstance(p, str))


def default_model(data: Any) -> str | None:
    """The spec's ``default_model``, or ``None``."""
    value = (data or {}).get("default_model")
    return value if isinstance(value, str) and value else None


def alias_map(specs: Iterable[tuple[str, Any]], provider_ids: Iterable[str]) -> dict[str, str]:
    """``{alias: provider id}`` from each ``(provider id, spec data)``'s ``provider_aliases``.
    Raises :class:`SpecError` (rule ``provider-alias-clash``) when an alias is a provider id or
    is declared by two specs."""
    ids = set(provider_ids)
    out: dict[str, str] = {}
    for provider, data in specs:
        for alias in (data or {}).get("provider_aliases") or ():
            if alias in ids:
                raise SpecError(f"{provider}: provider alias {alias!r} is a provider id", rule="provider-alias-clash")
            if alias in out and out[alias] != provider:
                raise SpecError(f"provider alias {alias!r} is declared by both {out[alias]!r} and {provider!r}", rule="provider-alias-clash")
            out[alias] = provider
    return out


def _top(ranked: list[tuple[int, str]]) -> list[str]:
    best = max(r for r, _ in ranked)
    return sorted(p for r, p in ranked if r == best)


def bare_owners(model: str, specs: list[tuple[str, Any]], listed: Callable[[str], bool]) -> tuple[str, list[tuple[int, str]]]:
    """The providers a bare model name could go to, as ``(how, [(priority, provider)])`` in the
    order of ``specs``: the catalogs that list it (``how == "catalog"``), else the specs whose
    ``bare_names.patterns`` match it (``"name pattern"``), else ``("", [])``.  ``specs`` and
    ``listed`` as for :func:`resolve_bare`.  The Router ranks its own candidates with this too."""
    owners = [(bare_priority(d), p) for p, d in specs if listed(p)]
    if owners:
        return "catalog", owners
    owners = [(bare_priority(d), p) for p, d in specs if pattern_matches(d, model)]
    return ("name pattern", owners) if owners else ("", [])


def top_ranked(owners: list[tuple[int, str]]) -> list[str]:
    """The providers of the highest priority among ``(priority, provider)`` pairs, sorted (empty
    for none; more than one is a tie)."""
    return _top(owners) if owners else []


def resolve_bare(model: str, specs: list[tuple[str, Any]], aliases: dict[str, str], listed: Callable[[str], bool]) -> tuple[str, str, CallWarning]:
    """``(provider, model, warning)`` for a bare name.  ``specs``: ``(provider id, spec data)`` of
    every spec that loads; ``aliases``: from :func:`alias_map`; ``listed(provider)``: whether that
    provider's catalog lists ``model``.  Raises :class:`ModelNotFoundError` (ambiguous, a provider
    without ``default_model``, or unknown, with a suggestion)."""
    data = dict(specs)
    provider = aliases.get(model, model)
    if provider in data:
        chosen = default_model(data[provider])
        if chosen is None:
            raise ModelNotFoundError(f"{model!r} is a provider without a default_model; write it as '{provider}:<model>'")
        return provider, chosen, CallWarning(kind=BARE_MODEL, detail=f"{model!r} resolved to {provider}:{chosen} (the provider's default_model)")
    how, owners = bare_owners(model, specs, listed)
    if not owners:
        names = sorted({*data, *aliases} | {m for _, d in specs for m in _catalog_ids(d)})
        raise ModelNotFoundError(
            f"{model!r} is not a model ref, a catalog model or a provider; write it as 'provider:model'",
            suggestion=closest(model, names),
        )
    top = top_ranked(owners)
    if len(top) > 1:
        refs = ", ".join(f"{p}:{model}" for p in top)
        raise ModelNotFoundError(f"model {model!r} is ambiguous ({refs}); write it as 'provider:{model}'")
    chosen_provider = top[0]
    others = len(owners) - 1
    also = f"; also in {others} other catalog(s), write 'provider:{model}' to pick one" if others and how == "catalog" else ""
    return chosen_provider, model, CallWarning(kind=BARE_MODEL, detail=f"{model!r} resolved to {chosen_provider}:{model} (by {how}){also}")


def _catalog_ids(data: Any) -> list[str]:
    out: list[str] = []
    for m in (data or {}).get("models") or ():
        if isinstance(m, dict) and isinstance(m.get("id"), str):
            out.append(m["id"])
    return out


#: (id of the spec, model) → (the spec, weakly; its warnings): :func:`model_warnings` remembered.
#: The weak reference tells a live spec from a dead one whose id was reused.
_WARNINGS: dict[tuple[int, str], tuple[weakref.ref[CompiledSpec], tuple[CallWarning, ...]]] = {}
#: How many (spec, model) pairs :func:`model_warnings` remembers (model ids are the caller's).
MAX_REMEMBERED = 1024
_warnings_lock = threading.Lock()


def model_warnings(spec: CompiledSpec, model: str) -> list[CallWarning]:
    """Warnings about a model id: ``unknown-model`` when the spec's catalog does not list it (with
    a did-you-mean; none when the spec has no catalog), ``deprecated-model`` when its entry is
    deprecated (with the end-of-life date and replacement it names); ``[]`` otherwise.  Remembered
    per (spec, model), at most :data:`MAX_REMEMBERED` pairs; a new list each time."""
    key = (id(spec), model)
    hit = _WARNINGS.get(key)
    if hit is not None and hit[0]() is spec:
        return list(hit[1])
    found = _model_warnings(spec, model)
    with _warnings_lock:
        while len(_WARNINGS) >= MAX_REMEMBERED:
            _WARNINGS.pop(next(iter(_WARNINGS)))
        _WARNINGS[key] = (weakref.ref(spec), tuple(found))
    return found


def _model_warnings(spec: CompiledSpec, model: str) -> list[CallWarning]:
    info = spec.model_info(model)
    if info is None:
        if not spec.models:
            return []
        hint = did_you_mean(model, spec.model_index)
        return [CallWarning(kind="unknown-model", detail=f"{model!r} is not in the {spec.provider} catalog{hint}; sent as given, cost unknown")]
    if info.deprecated:
        eol = info.deprecated.get("end_of_life")
        repl = info.deprecated.get("replacement")
        detail = f"{model!r} is deprecated" + (f" (end of life {eol})" if eol else "") + (f"; use {repl!r}" if repl else "")
        return [CallWarning(kind="deprecated-model", detail=detail)]
    return []
