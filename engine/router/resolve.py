"""From a requested name to the deployments that may serve it.

:meth:`Resolver.resolve` tries, in order (first match wins):

1. an **alias** (followed through other aliases), then the name it points at;
2. a **group** name: that group;
3. a **deployment id**: that deployment alone;
4. **routes**: every route whose glob (``match``) or regex (``regex``, whole name) matches; the
   highest ``priority`` wins, then the earlier route; two matching routes of the same priority
   that lead to different targets are ambiguous (:class:`AmbiguousModelError` lists them).  A
   route leads ``to`` a group, deployment or alias, or sends the name to a ``provider``;
5. the **deployments whose model** is the name (``gpt-5.5``) or whose ``provider:model`` ref is
   (``openai:gpt-5.5``): load-balanced together as one implicit group;
6. with ``unknown_models: passthrough`` (the default), a ``provider:model`` ref, a provider id or
   alias alone (its spec's ``default_model``), or a bare model found in the spec catalogs
   (``claude-sonnet-5-5`` → ``anthropic``) or matching a spec's ``bare_names.patterns``
   (``gpt-6-luna`` → ``openai``), goes to that provider with its own environment key.  Catalogs
   overlap (``azure-openai`` re-lists OpenAI's models, ``vertex-anthropic`` Anthropic's), so among
   several candidates the first of ``router.prefer_providers`` wins, else the only one whose
   provider the config's deployments use, else the highest ``bare_names.priority``, as on the
   plain Client (:mod:`specwire.router.owners`); a tie there is ambiguous (the error lists each
   ``provider:model``).  Unknown names raise :class:`~specwire.errors.ModelNotFoundError` with a
   did-you-mean.

The result is a :class:`Target`: the primary group plus the fallback chains (the route's chains
when it has them, else the group's).  Results are cached per name.
"""

from __future__ import annotations

import difflib
import threading
from dataclasses import dataclass, replace
from typing import Any

from ..errors import ModelNotFoundError, SpecError
from .config import Chains, DeploymentConfig, DeploymentFields, GroupConfig, RouteConfig, RouterConfig
from .owners import default_ref, detect
from .errors import AmbiguousModelError

__all__ = ["Deployment", "Group", "Resolver", "Target"]

_MAX_CACHE = 4096


@dataclass(frozen=True)
class Deployment(DeploymentFields):
    """A provider + model + credentials reference, as the router uses it."""

    id: str
    provider: str
    model: str
    tags: frozenset[str] = frozenset()
    dynamic: bool = False

    @property
    def ref(self) -> str:
        return f"{self.provider}:{self.model}"


@dataclass(frozen=True)
class Group(Chains):
    name: str
    deployments: tuple[Deployment, ...]
    strategy: str


@dataclass(frozen=True)
class Target(Chains):
    """What a name resolved to: ``route`` (the accounting name: the name asked for), the primary
    ``group``, the three fallback chains (names of groups/deployments/aliases), the route's cache
    opt-in, and ``via`` (how it was resolved, for debugging)."""

    route: str
    group: Group
    via: str


class Resolver:
    def __init__(self, config: RouterConfig, registry: Any) -> None:
        self.config = config
        self.registry = registry
        self.deployments: dict[str, Deployment] = {d.id: self._deployment(d) for d in config.deployments}
        self.groups: dict[str, Group] = {name: self._group(g) for name, g in config.groups.items()}
        self._routes = sorted(config.routes, key=lambda r: (-r.priority, r.index))
        self._cache: dict[str, Target] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ building
    def _deployment(self, d: DeploymentConfig) -> Deployment:
        provider = d.provider or self._detect(d.model, where=f"deployment {d.id!r}")
        return Deployment(
            id=d.id, provider=provider, model=d.model, api_key_env=d.api_key_env, base_url=d.base_url,
            settings=dict(d.settings), options=dict(d.options), weight=d.weight, rpm=d.rpm, tpm=d.tpm, tags=frozenset(d.tags),
        )

    def _group(self, g: GroupConfig) -> Group:
        members = tuple(self.deployments[d.id] for d in self.config.group_members(g))
        return Group(name=g.name, deployments=members, strategy=g.strategy or self.config.strategy, **g.chains())

    def _detect(self, model: str, *, where: str) -> str:
        configured = [d.provider for d in self.config.deployments if d.provider]
        owners = detect(self.registry, model, self.config.prefer_providers, configured)
        if len(owners) == 1:
            return owners[0].split(":", 1)[0]
        if owners:
            raise AmbiguousModelError(f"{where}: model {model!r} is in several catalogs; name one of", candidates=owners)
        raise ModelNotFoundError(f"{where}: no spec catalog knows model {model!r}; give its provider ('provider:{model}')")

    def _single(self, dep: Deployment, name: str) -> Group:
        return Group(name=name, deployments=(dep,), strategy=self.config.strategy)

    # ------------------------------------------------------------------ resolving
    def group(self, name: str) -> Group:
        """The group a chain entry names (group, deployment id, alias, or a model the router can
        resolve)."""
        return self.resolve(name).group

    def resolve(self, name: str) -> Target:
        if not isinstance(name, str) or not name.strip():  # pyright: ignore[reportUnnecessaryIsInstance] - runtime check of user input
            raise ModelNotFoundError("the model name must be a non-empty string")
        with self._lock:
            hit = self._cache.get(name)
        if hit is not None:
            return hit
        target = self._resolve(name, depth=0)
        with self._lock:
            if len(self._cache) >= _MAX_CACHE:
                self._cache.clear()
            self._cache[name] = target
        return target

    def _plain(self, route: str, group: Group, via: str, cache: bool | None = None) -> Target:
        return Target(route=route, group=group, via=via, **group.chains(cache=cache))

    def _resolve(self, name: str, *, depth: int, routes: bool = True) -> Target:
        if depth > 16:
            raise ModelNotFoundError(f"{name!r}: too many levels of aliases")
        if name in self.config.aliases:
            inner = self._resolve(self.config.aliases[name], depth=depth + 1)
            return replace(inner, route=name, via=f"alias:{inner.via}")
        if name in self.groups:
            return self._plain(name, self.groups[name], "group")
        if name in self.deployments:
            return self._plain(name, self._single(self.deployments[name], name), "deployment")
        if routes:
            matched = [r for r in self._routes if r.matches(name)]
            if matched:
                top = [r for r in matched if r.priority == matched[0].priority]
                targets = {(r.to or f"{r.provider}:{name}") for r in top}
                if len(targets) > 1:
                    raise AmbiguousModelError(
                        f"{name!r} matches several routes of priority {top[0].priority}",
                        candidates=[f"{r.label} -> {r.to or f'{r.provider}:{name}'}" for r in top],
                    )
                return self._route(name, top[0], depth)
        by_model = [d for d in self.deployments.values() if d.model == name or d.ref == name]
        if by_model:
            return self._plain(name, Group(name=name, deployments=tuple(by_model), strategy=self.config.strategy), "model")
        if self.config.unknown_models == "passthrough":
            return self._plain(name, self._single(self._passthrough(name), name), "passthrough")
        known = sorted(set(self.config.aliases) | set(self.groups) | set(self.deployments))
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        raise ModelNotFoundError(f"the router has no route for {name!r} (unknown_models: error)", suggestion=close[0] if close else None)

    def _route(self, name: str, route: RouteConfig, depth: int) -> Target:
        if route.to is not None:
            inner = self._resolve(route.to, depth=depth + 1, routes=False)
            group = inner.group
            base = inner
        else:
            assert route.provider is not None
            dep = Deployment(
                id=f"{route.provider}:{name}", provider=route.provider, model=name, api_key_env=route.api_key_env,
                base_url=route.base_url, settings=dict(route.settings), dynamic=True,
            )
            group = self._single(dep, name)
            base = self._plain(name, group, "")

        def pick(own: tuple[str, ...] | None, inherited: tuple[str, ...]) -> tuple[str, ...]:
            return own if own is not None else inherited

        return Target(
            route=name, group=group, fallbacks=pick(route.fallbacks, base.fallbacks),
            context_window_fallbacks=pick(route.context_window_fallbacks, base.context_window_fallbacks),
            content_filter_fallbacks=pick(route.content_filter_fallbacks, base.content_filter_fallbacks),
            cache=route.cache if route.cache is not None else base.cache, via=f"route:{route.label}",
        )

    def _passthrough(self, name: str) -> Deployment:
        provider, sep, model = name.partition(":")
        if not (sep and provider and model):
            provider, sep, model = name.partition("/")
            if not (sep and provider in self.registry.providers() and model):
                default = default_ref(self.registry, name)  # a provider id or alias alone
                provider, model = default.split(":", 1) if default else (self._detect(name, where="the router"), name)
        if provider not in self.registry.providers():
            close = difflib.get_close_matches(provider, self.registry.providers(), n=1, cutoff=0.6)
            raise ModelNotFoundError(f"unknown provider {provider!r}", suggestion=close[0] if close else None)
        return Deployment(id=f"{provider}:{model}", provider=provider, model=model, dynamic=True)


def check_resolvable(resolver: Resolver) -> None:
    """Resolve every chain entry once (a config error surfaces at construction, not mid-call)."""
    for group in list(resolver.groups.values()):
        for name in group.fallbacks + group.context_window_fallbacks + group.content_filter_fallbacks:
            try:
                resolver.group(name)
            except ModelNotFoundError as exc:
                raise SpecError(f"group {group.name!r}: fallback {name!r}: {exc}", rule="router-unknown-ref") from None
