"""Per-call inputs, resolved once (pure; docs/ARCHITECTURE.md section 2).

A call's provider settings, base URL, API key and where it came from, and the hosts that key may
go to come from three places: the call's options, the :class:`~specwire.Client` (``api_keys=``,
``base_urls=``, ``settings=``, ``trusted_hosts=``) and the environment (the variables the spec
names).  :meth:`Resolver.inputs` reads them once per call into one immutable :class:`CallInputs`;
the request is built from it (:func:`specwire.request.build_request`) and the client's
``authorize`` (:mod:`specwire.client`, an I/O module: auth hooks build ``httpx.Auth`` objects)
gives the built plan its auth, its connect-time guard and its idempotency key.  Chat calls and the
other operations (:mod:`specwire.client_ops`) resolve the same way.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .binding import host_pattern as _host_pattern
from .errors import ConfigError
from .lazy import defer
from .redact import Secret

if TYPE_CHECKING:
    from .registry import SpecRegistry
    from .request import base_url_problem
    from .spec.compile import CompiledSpec
    from .types import CallWarning
else:  # the request builder loads with the first call (specwire.lazy)
    defer(globals(), "specwire.request", "base_url_problem")

__all__ = ["CallInputs", "Resolver"]

#: :func:`specwire.binding.host_pattern` (pure), parsed once per URL: the same few base URLs come
#: back call after call.
host_pattern = functools.lru_cache(maxsize=256)(_host_pattern)


@dataclass(frozen=True, slots=True)
class CallInputs:
    """What one call takes from its options, its client and the environment, resolved once.

    ``settings``: every setting the spec declares, given or defaulted (a fresh dict; nothing
    mutates it).  ``base_url``: the one the caller chose (call, client, environment), ``None`` for
    the spec's own.  ``api_key``/``key_source``: the key (or ``None``) and where it came from
    (``"argument"``, ``"client"``, ``"env:NAME"``; never the value).  ``bound_hosts``: the host
    patterns that key may go to (``None``: unbound).  ``trusted_hosts``: the client's.
    ``guard_hosts``: the hosts trusted at connect time (:class:`~specwire.binding.ConnectGuard`)."""

    spec: CompiledSpec
    model: str
    warnings: tuple[CallWarning, ...]
    settings: dict[str, Any]
    base_url: str | None
    api_key: Secret | None
    key_source: str | None
    bound_hosts: tuple[str, ...] | None
    trusted_hosts: tuple[str, ...]
    guard_hosts: tuple[str, ...]
    env: Mapping[str, str]

    def __repr__(self) -> str:  # the key stays out of reprs (it is a Secret anyway)
        return f"CallInputs(provider={self.spec.provider!r}, model={self.model!r}, key_source={self.key_source!r})"


@dataclass(frozen=True)
class Resolver:
    """A client's per-provider configuration: its registry, keys (``provider -> Secret``), base
    URLs, settings and trusted hosts, and the environment it reads (``None``: ``os.environ`` at
    call time)."""

    registry: SpecRegistry
    keys: Mapping[str, Secret]
    base_urls: Mapping[str, str]
    settings: Mapping[str, Mapping[str, Any]]
    trusted: tuple[str, ...]
    env: Mapping[str, str] | None = None

    def environ(self) -> Mapping[str, str]:
        return self.env if self.env is not None else os.environ

    # -------------------------------------------------------------- one call
    def inputs(self, spec: CompiledSpec, model: str, warnings: list[CallWarning] | tuple[CallWarning, ...], opts: Mapping[str, Any],
               settings: dict[str, Any] | None = None) -> CallInputs:
        """The :class:`CallInputs` of a call of ``model`` with the call options ``opts``
        (``api_key``, ``base_url``, ``settings``; ``settings``: already resolved).  Raises
        :class:`ConfigError` for a missing required setting, an unknown setting or a bad base-URL
        variable (a missing or unusable key: :meth:`auth_inputs`)."""
        env = self.environ()
        if settings is None:
            settings = self.resolve_settings(spec, opts.get("settings") or {}, env)
        base_url = self.base_url(spec, opts, env)
        key, source = self._key(spec, opts.get("api_key"), env)
        bound = self._bound_hosts(spec, source, opts, env)
        configured = [self.base_urls.get(spec.provider), *(env.get(v) for v in spec.env_base_url)]
        guard = (*self.trusted, *(bound or ()), *(h for u in configured if u and (h := host_pattern(u))))
        return CallInputs(spec, model, tuple(warnings), settings, base_url, key, source, bound, self.trusted, guard, env)

    def resolve_settings(self, spec: CompiledSpec, call: Mapping[str, Any], env: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Every setting ``spec`` declares: the call's, the client's, its environment variable, its
        default.  Raises :class:`ConfigError` for a missing required one or an unknown name."""
        env = self.environ() if env is None else env
        given = {**self.settings.get(spec.provider, {}), **call}
        out: dict[str, Any] = {}
        for name, decl in spec.settings.items():
            if name in given:
                out[name] = given[name]
                continue
            names = decl.get("env") or ()
            names = (names,) if isinstance(names, str) else tuple(names)
            value = next((env[v] for v in names if env.get(v)), None)
            if value is None:
                value = decl.get("default")
            if value is None and decl.get("required"):
                where = " or ".join(names) if names else "settings"
                raise ConfigError(f"{spec.provider} needs the setting {name!r}: set {where} or pass settings={{{name!r}: …}}")
            out[name] = value
        unknown = set(given) - set(spec.settings)
        if unknown:
            raise ConfigError(f"{spec.provider} has no setting(s) {', '.join(sorted(unknown))}; it takes: {', '.join(spec.settings) or 'none'}")
        return out

    def base_url(self, spec: CompiledSpec, opts: Mapping[str, Any], env: Mapping[str, str] | None = None) -> str | None:
        """The base URL the caller chose (call, client, environment), or ``None``: the spec's."""
        base_url: str | None = opts.get("base_url") or self.base_urls.get(spec.provider)
        if not base_url:
            env = self.environ() if env is None else env
            var = next((v for v in spec.env_base_url if env.get(v)), None)
            if var is not None:
                base_url = env[var]
                if (problem := base_url_problem(base_url)):
                    raise ConfigError(f"the environment variable {var} {problem}")
        return base_url

    def _key(self, spec: CompiledSpec, api_key: str | None, env: Mapping[str, str]) -> tuple[Secret | None, str | None]:
        """The API key (argument, client, environment) and its source."""
        key: Secret | None = None
        source: str | None = None
        if api_key:
            key, source = Secret(api_key), "argument"
        elif spec.provider in self.keys:
            key, source = self.keys[spec.provider], "client"
        else:
            for name in spec.env_api_key:
                if env.get(name):
                    key, source = Secret(env[name]), f"env:{name}"
                    break
        return key, source

    def _bound_hosts(self, spec: CompiledSpec, source: str | None, opts: Mapping[str, Any], env: Mapping[str, str]) -> tuple[str, ...] | None:
        """The hosts a key from ``source`` may go to (``None``: unbound)."""
        if source is not None and source.startswith("env:"):
            binding = self.registry.credential_binding(source[4:])
            if binding is None:
                return None  # the user's own variable, declared by their own spec
            hosts = [pattern for pattern, _ in binding]
            for _, url_vars in binding:
                hosts += [h for v in url_vars if env.get(v) and (h := host_pattern(env[v]))]
            if self.base_urls.get(spec.provider) and not opts.get("base_url"):
                hosts += [h for h in (host_pattern(self.base_urls[spec.provider]),) if h]
            return tuple(hosts)
        if source == "client" and opts.get("base_url"):
            default = self.base_urls.get(spec.provider) or next((env[v] for v in spec.env_base_url if env.get(v)), None)
            pattern = host_pattern(default) if default else host_pattern(str(spec.data.get("base_url", "")))
            return (pattern,) if pattern else ()
        return None
