"""Which provider serves a bare model name the router config does not name.

The router narrows the candidates the specs give (:meth:`specwire.registry.SpecRegistry.bare_owners`:
the catalogs listing the id, else the specs whose ``bare_names.patterns`` match it) by its own
config first, then by the specs' ranking, so that a Router and a plain :class:`specwire.Client`
pick the same provider for the same name when the config does not say otherwise:

1. the first of ``router.prefer_providers`` among the candidates;
2. else the only candidate whose provider the config's deployments use;
3. else the candidates of the highest ``bare_names.priority`` (the vendor's own API before the
   platforms that resell it); a tie there is ambiguous.

A name that is a provider id or alias alone goes to that spec's ``default_model``, as on the Client.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import SpecwireError
from ..model_refs import default_model, top_ranked

__all__ = ["catalog_owners", "default_ref", "detect", "prefer"]


def catalog_owners(registry: Any, model: str) -> list[str]:
    """The providers whose catalogs know ``model`` (by id or alias), as ``provider:model`` refs
    sorted by provider."""
    owners = []
    for provider in registry.providers():
        try:
            spec = registry.get(provider)
        except SpecwireError:
            continue
        if spec.model_info(model) is not None:
            owners.append(f"{provider}:{model}")
    return owners


def prefer(owners: list[str], preferred: Any, configured: Any = ()) -> list[str]:
    """Narrow the ``provider:model`` candidates of a bare model: the first of ``preferred``
    providers that has it wins; else, if exactly one candidate's provider is among the
    ``configured`` deployments' providers, that one; else all of them (ambiguous)."""
    if len(owners) <= 1:
        return owners
    by_provider = {o.split(":", 1)[0]: o for o in owners}
    for provider in preferred:
        if provider in by_provider:
            return [by_provider[provider]]
    used = [o for p, o in by_provider.items() if p in set(configured)]
    return used if len(used) == 1 else owners


def detect(registry: Any, model: str, preferred: Iterable[str] = (), configured: Iterable[Any] = ()) -> list[str]:
    """The ``provider:model`` refs a bare ``model`` may go to, narrowed as the module docstring
    says: one ref is a decision, several a tie (ambiguous), none an unknown name.  A registry
    without ``bare_owners`` is asked for its catalogs only."""
    preferred, configured = tuple(preferred), tuple(configured)
    ask = getattr(registry, "bare_owners", None)
    if ask is None:
        return prefer(catalog_owners(registry, model), preferred, configured)
    _how, ranked = ask(model)
    rank = {provider: priority for priority, provider in ranked}
    owners = prefer(sorted(f"{p}:{model}" for p in rank), preferred, configured)
    if len(owners) <= 1:
        return owners
    return [f"{p}:{model}" for p in top_ranked([(rank[o.split(":", 1)[0]], o.split(":", 1)[0]) for o in owners])]


def default_ref(registry: Any, name: str) -> str | None:
    """``provider:default_model`` when ``name`` is a provider id or alias whose spec names a
    ``default_model``, else ``None``."""
    aliases = getattr(registry, "aliases", None)
    provider = (aliases() if aliases is not None else {}).get(name, name)
    if provider not in registry.providers():
        return None
    try:
        model = default_model(registry.get(provider).data)
    except SpecwireError:
        return None
    return f"{provider}:{model}" if model else None
