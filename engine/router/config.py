"""The router config as data: load, validate, lint (schema ``schemas/router-config.schema.json``).

A router config is YAML (or a dict) whose top level has a ``router:`` key; that key is how
``validate-spec`` tells it from a provider spec.  Sections::

    router:      strategy, unknown_models, prefer_providers, trusted_hosts, fallback_on, retry, timeout
    deployments: id, provider, model, api_key_env, base_url, settings, options, weight, rpm, tpm, tags
    groups:      name -> deployments and/or tags, strategy, fallbacks, context_window_fallbacks,
                 content_filter_fallbacks, cache
    aliases:     name -> group, deployment id, alias or model ref
    routes:      match (glob) | regex, priority, to | provider (+ api_key_env, base_url, settings),
                 the three chains, cache
    health, rate_limit, cache, state

Loading a YAML file goes through :func:`specwire.spec.loader.load_file`, so the YAML traps of
provider specs (duplicate keys, unquoted dates, ``yes``/``no`` booleans, anchors, tags, size and
depth caps) are caught here too, with ``line:col``.  Then the JSON Schema (unknown keys are errors)
and the semantic checks below run; every problem is a :class:`~specwire.spec.issues.SpecIssue`
(rules ``router-*``), and :func:`load_router_config` raises :class:`~specwire.errors.SpecError`
carrying all of them.

Semantic checks: unique deployment ids and names (a group, alias and deployment may not share a
name); every reference resolves (group members, chains, alias targets, route targets); no alias
cycles; regexes compile; providers exist on the spec search path (did-you-mean); a deployment
without ``provider`` names a model that exactly one catalog knows (else the candidates are listed);
``api_key_env`` is a variable name, not a key, and no secret sits in ``settings``/``options`` or a
Redis URL; a ``context_window_fallbacks`` target should have a larger context window (a warning,
from the catalogs); a group selects at least one deployment; ``cache.backend: sqlite`` has a path
and ``redis`` has a Redis state backend.
"""

from __future__ import annotations

import difflib
import fnmatch
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from ..errors import SpecError, SpecwireError
from ..spec.issues import SourceMap, SpecIssue
from ..spec.loader import load_file
from .owners import detect
from .state import CircuitPolicy

__all__ = [
    "CacheConfig",
    "Chains",
    "DeploymentConfig",
    "DeploymentFields",
    "GroupConfig",
    "HealthConfig",
    "ProbeConfig",
    "RateLimitConfig",
    "RetryConfig",
    "RouteConfig",
    "RouterConfig",
    "StateConfig",
    "TimeoutConfig",
    "check_router_data",
    "is_router_config",
    "lint_router_config",
    "load_router_config",
    "router_schema",
]

DEFAULT_FALLBACK_ON = ("RateLimitError", "ServerError", "APITimeoutError", "TransportError", "StreamError")
_SECRET_PREFIXES = ("sk-", "sk_", "sk-ant-", "AIza", "xai-", "gsk_", "ya29.", "ABSK", "AKIA", "ghp_", "hf_", "pplx-", "csk-", "fw_")
_SECRET_KEYS = re.compile(r"(^|_)(api_?key|key|secret|password|passwd|token|access_token)$", re.IGNORECASE)


# ---------------------------------------------------------------------------- the config values
@dataclass(frozen=True)
class RetryConfig:
    """One budget for the whole call: ``retries`` attempts after the first, across retries of a
    deployment and fallbacks to others.  Backoff and ``retry-after`` handling as
    :class:`specwire.retry.RetryPolicy`."""

    retries: int = 3
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    jitter: tuple[float, float] = (0.5, 1.0)


@dataclass(frozen=True)
class TimeoutConfig:
    """``total`` bounds the whole router call (attempts, fallbacks, waits); the others apply to
    each attempt as in :class:`specwire.retry.Timeouts`."""

    total: float | None = None
    connect: float | None = 10.0
    read: float | None = 600.0
    first_event: float | None = None
    idle: float | None = None
    pool: float | None = 10.0


@dataclass(frozen=True, kw_only=True)
class DeploymentFields:
    """What a deployment has as configured and as resolved besides its names: ``api_key_env``
    (the variable holding its key), ``base_url``, ``settings`` (its spec's settings), ``options``
    (call options it adds), ``weight`` (for the weighted strategies) and ``rpm`` / ``tpm``
    (client-side rate limits)."""

    api_key_env: str | None = None
    base_url: str | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    weight: float = 1.0
    rpm: int | None = None
    tpm: int | None = None


@dataclass(frozen=True)
class DeploymentConfig(DeploymentFields):
    id: str
    model: str
    provider: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Chains:
    """Where a call goes when its group cannot serve it: ``fallbacks`` (after errors in
    ``fallback_on``), ``context_window_fallbacks``, ``content_filter_fallbacks`` (names of groups,
    deployments or aliases), and the response-cache opt-in ``cache`` (``None``: inherited)."""

    fallbacks: tuple[str, ...] = ()
    context_window_fallbacks: tuple[str, ...] = ()
    content_filter_fallbacks: tuple[str, ...] = ()
    cache: bool | None = None

    def chains(self, **changes: Any) -> dict[str, Any]:
        """These four fields by name, with ``changes`` (to build another :class:`Chains`)."""
        return {**{f.name: getattr(self, f.name) for f in fields(Chains)}, **changes}


@dataclass(frozen=True)
class GroupConfig(Chains):
    name: str
    deployments: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    strategy: str | None = None


@dataclass(frozen=True)
class RouteConfig:
    index: int
    name: str | None = None
    match: str | None = None
    regex: str | None = None
    priority: int = 0
    to: str | None = None
    provider: str | None = None
    api_key_env: str | None = None
    base_url: str | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    fallbacks: tuple[str, ...] | None = None
    context_window_fallbacks: tuple[str, ...] | None = None
    content_filter_fallbacks: tuple[str, ...] | None = None
    cache: bool | None = None

    def matches(self, name: str) -> bool:
        if self.match is not None:
            return fnmatch.fnmatchcase(name, self.match)
        return _regex(self.regex or "").fullmatch(name) is not None

    @property
    def label(self) -> str:
        return self.name or f"route[{self.index}]"


@dataclass(frozen=True)
class ProbeConfig:
    """Active health checks (off by default): every ``interval`` seconds, a ``max_output_tokens``
    completion of ``prompt`` per deployment (it costs a few tokens per probe)."""

    enabled: bool = False
    interval: float = 60.0
    prompt: str = "ping"
    max_output_tokens: int = 1
    timeout: float = 10.0


@dataclass(frozen=True)
class HealthConfig(CircuitPolicy):
    """Passive health and the circuit breaker.  A deployment's circuit opens after
    ``consecutive_failures`` failures in a row, or when at least ``min_requests`` calls in the last
    ``window`` seconds failed at a rate of ``failure_rate`` or more, or at once on a rate-limit
    error (for its ``retry_after``, else ``cooldown``).  After the cooldown, ``half_open_probes``
    calls may test it: a success closes it, a failure opens it again for twice the previous
    cooldown (at most ``max_cooldown``)."""

    probe: ProbeConfig = field(default_factory=ProbeConfig)


@dataclass(frozen=True)
class RateLimitConfig:
    """Client-side limits (a deployment's ``rpm``/``tpm``): ``mode: wait`` sleeps until the bucket
    has room (at most ``max_wait`` seconds, within the deadline); ``raise`` treats a full bucket like
    a rate-limit error (fallbacks apply; at the end :class:`LocalRateLimitError`).  Tokens are
    counted before the call locally (the spec's tokenizer when loaded, else ``ceil(characters /
    chars_per_token)``; :mod:`specwire.tokens`) plus ``max_output_tokens`` (else
    ``default_output_tokens``), then corrected with the usage the provider reports."""

    mode: str = "wait"
    max_wait: float = 30.0
    chars_per_token: float = 4.0
    default_output_tokens: int = 256


@dataclass(frozen=True)
class CacheConfig:
    enabled: bool = False
    backend: str = "memory"
    ttl: float | None = 3600.0
    max_entries: int = 1024
    path: str | None = None
    namespace: str = ""


@dataclass(frozen=True)
class StateConfig:
    backend: str = "memory"
    url_env: str | None = None
    url: str | None = None
    prefix: str = "specwire:router"
    server_time: bool = True


@dataclass(frozen=True)
class RouterConfig:
    """A validated router config (see the module docstring)."""

    deployments: tuple[DeploymentConfig, ...]
    groups: Mapping[str, GroupConfig] = field(default_factory=dict)
    aliases: Mapping[str, str] = field(default_factory=dict)
    routes: tuple[RouteConfig, ...] = ()
    strategy: str = "round-robin"
    unknown_models: str = "passthrough"
    trusted_hosts: tuple[str, ...] = ()
    prefer_providers: tuple[str, ...] = ()
    fallback_on: tuple[str, ...] = DEFAULT_FALLBACK_ON
    retry: RetryConfig = field(default_factory=RetryConfig)
    timeout: TimeoutConfig = field(default_factory=TimeoutConfig)
    health: HealthConfig = field(default_factory=HealthConfig)
    rate_limit: RateLimitConfig = field(default_factory=RateLimitConfig)
    cache: CacheConfig = field(default_factory=CacheConfig)
    state: StateConfig = field(default_factory=StateConfig)
    file: str | None = None

    def deployment(self, dep_id: str) -> DeploymentConfig:
        return next(d for d in self.deployments if d.id == dep_id)

    def group_members(self, group: GroupConfig) -> list[DeploymentConfig]:
        """The deployments a group selects: listed ids first, then those carrying all its tags."""
        out = [self.deployment(i) for i in group.deployments if any(d.id == i for d in self.deployments)]
        if group.tags:
            out += [d for d in self.deployments if set(group.tags) <= set(d.tags) and d not in out]
        return out


# ---------------------------------------------------------------------------- loading
@lru_cache(maxsize=1)
def router_schema() -> dict[str, Any]:
    """The router config JSON Schema (draft 2020-12)."""
    text = files("specwire.schemas").joinpath("router-config.schema.json").read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def is_router_config(source: str | Path | Mapping[str, Any]) -> bool:
    """Whether a file (or dict) is a router config: its top level has a ``router:`` key.  A file
    is read with the safe loader; an unreadable file is not a router config."""
    if isinstance(source, Mapping):
        return "router" in source
    loaded = load_file(source)
    return isinstance(loaded.data, dict) and "router" in loaded.data


def lint_router_config(path: str | Path, *, registry: Any = None) -> list[SpecIssue]:
    """Every problem of a router config file, as ``validate-spec`` prints them (never raises)."""
    loaded = load_file(path)
    issues = list(loaded.issues)
    if any(i.level == "error" for i in issues) or loaded.data is None:
        return issues
    issues += check_router_data(loaded.data, loaded.source, str(path), registry=registry)
    return sorted(issues, key=lambda i: (i.file, i.line, i.col, i.rule))


def load_router_config(source: RouterConfig | Mapping[str, Any] | str | Path, *, registry: Any = None) -> RouterConfig:
    """A :class:`RouterConfig` from a file path or a dict (validated; raises :class:`SpecError`
    with every issue, the first one's ``line:col`` in the message)."""
    if isinstance(source, RouterConfig):
        return source
    if isinstance(source, Mapping):
        data: Any = source
        smap, file = SourceMap(), "<router config>"
        issues: list[SpecIssue] = []
    else:
        loaded = load_file(source)
        data, smap, file, issues = loaded.data, loaded.source, str(source), list(loaded.issues)
    if not any(i.level == "error" for i in issues) and data is not None:
        issues += check_router_data(data, smap, file, registry=registry)
    errors = [i for i in issues if i.level == "error"]
    if errors or data is None:
        first = errors[0] if errors else SpecIssue(file, 1, 1, "router-schema", "the config is empty")
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        where = f"{first.path}: " if first.path else ""
        located = not isinstance(source, Mapping)
        raise SpecError(where + first.message + more, file=first.file, line=first.line if located else None,
                        col=first.col if located else None, rule=first.rule, issues=issues)
    return _build(data, file if not isinstance(source, Mapping) else None)


def _build(data: Mapping[str, Any], file: str | None) -> RouterConfig:
    r = data.get("router") or {}
    deployments = tuple(
        DeploymentConfig(
            id=d["id"], model=d["model"], provider=d.get("provider"), api_key_env=d.get("api_key_env"),
            base_url=d.get("base_url"), settings=dict(d.get("settings") or {}), options=dict(d.get("options") or {}),
            weight=float(d.get("weight", 1.0)), rpm=d.get("rpm"), tpm=d.get("tpm"), tags=tuple(d.get("tags") or ()),
        )
        for d in data["deployments"]
    )
    groups = {
        name: GroupConfig(
            name=name, deployments=tuple(g.get("deployments") or ()), tags=tuple(g.get("tags") or ()),
            strategy=g.get("strategy"), fallbacks=tuple(g.get("fallbacks") or ()),
            context_window_fallbacks=tuple(g.get("context_window_fallbacks") or ()),
            content_filter_fallbacks=tuple(g.get("content_filter_fallbacks") or ()), cache=g.get("cache"),
        )
        for name, g in (data.get("groups") or {}).items()
    }

    def chain(route: Mapping[str, Any], key: str) -> tuple[str, ...] | None:
        return tuple(route[key]) if key in route else None

    routes = tuple(
        RouteConfig(
            index=i, name=rt.get("name"), match=rt.get("match"), regex=rt.get("regex"), priority=int(rt.get("priority", 0)),
            to=rt.get("to"), provider=rt.get("provider"), api_key_env=rt.get("api_key_env"), base_url=rt.get("base_url"),
            settings=dict(rt.get("settings") or {}), fallbacks=chain(rt, "fallbacks"),
            context_window_fallbacks=chain(rt, "context_window_fallbacks"),
            content_filter_fallbacks=chain(rt, "content_filter_fallbacks"), cache=rt.get("cache"),
        )
        for i, rt in enumerate(data.get("routes") or ())
    )
    rc, tc = r.get("retry") or {}, r.get("timeout") or {}
    retry: dict[str, Any] = {k: (tuple(v) if k == "jitter" else v) for k, v in rc.items()}
    h, rl, c, s = data.get("health") or {}, data.get("rate_limit") or {}, data.get("cache") or {}, data.get("state") or {}
    probe = h.get("probe") or {}
    return RouterConfig(
        deployments=deployments, groups=groups, aliases=dict(data.get("aliases") or {}), routes=routes,
        strategy=r.get("strategy", "round-robin"), unknown_models=r.get("unknown_models", "passthrough"),
        trusted_hosts=tuple(r.get("trusted_hosts") or ()), prefer_providers=tuple(r.get("prefer_providers") or ()),
        fallback_on=tuple(r.get("fallback_on", DEFAULT_FALLBACK_ON)),
        retry=RetryConfig(**retry),
        timeout=TimeoutConfig(**tc),
        health=HealthConfig(**{k: v for k, v in h.items() if k != "probe"}, probe=ProbeConfig(**probe)),
        rate_limit=RateLimitConfig(**rl), cache=CacheConfig(**c), state=StateConfig(**s), file=file,
    )


# ---------------------------------------------------------------------------- checks
def check_router_data(data: Any, smap: SourceMap, file: str, *, registry: Any = None) -> list[SpecIssue]:
    """Schema and semantic issues of a loaded router config (see the module docstring)."""
    import jsonschema

    issues: list[SpecIssue] = []

    def issue(path: tuple[object, ...], rule: str, message: str, level: str = "error", *, key: bool = False) -> None:
        _, line, col = smap.locate_key(path) if key else smap.locate(path)
        issues.append(SpecIssue(file, line, col, rule, message, level, ".".join(str(p) for p in path)))  # type: ignore[arg-type]

    validator = jsonschema.Draft202012Validator(router_schema())
    for err in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        path = tuple(err.absolute_path)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            known = set((err.schema.get("properties") or {}))
            for extra in sorted(set(err.instance) - known):
                close = difflib.get_close_matches(extra, sorted(known), n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                issue(path + (extra,), "router-schema", f"unknown key {extra!r}{hint}", key=True)
            continue
        issue(path, "router-schema", _schema_message(err))
    if issues or not isinstance(data, dict):
        return issues
    _semantic(data, issue, registry)
    return issues


def _schema_message(err: Any) -> str:
    if err.validator in ("oneOf", "anyOf") and err.schema is not None:
        if err.validator == "oneOf" and isinstance(err.instance, dict):
            return "needs exactly one of " + " / ".join(
                "+".join(s.get("required", [])) for s in err.schema.get(err.validator, []) if s.get("required")
            ) or err.message
    return str(err.message)


def _semantic(data: dict[str, Any], issue: Any, registry: Any) -> None:
    deps = data.get("deployments") or []
    groups = data.get("groups") or {}
    aliases = data.get("aliases") or {}
    ids: dict[str, int] = {}
    for i, d in enumerate(deps):
        if d["id"] in ids:
            issue(("deployments", i, "id"), "router-duplicate", f"deployment id {d['id']!r} is used twice")
        ids.setdefault(d["id"], i)
    for name in groups:
        if name in ids:
            issue(("groups", name), "router-duplicate", f"{name!r} names both a group and a deployment", key=True)
    for name in aliases:
        if name in ids or name in groups:
            issue(("aliases", name), "router-duplicate", f"alias {name!r} hides a group or deployment of the same name", key=True)
    names = set(ids) | set(groups) | set(aliases)

    def ref_ok(name: str) -> bool:
        return name in names

    def check_chain(path: tuple[object, ...], chain: list[str], own: str | None) -> None:
        for j, target in enumerate(chain):
            if not ref_ok(target):
                close = difflib.get_close_matches(target, sorted(names), n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                issue(path + (j,), "router-unknown-ref", f"{target!r} is not a group, deployment or alias{hint}")
            elif target == own:
                issue(path + (j,), "router-self-fallback", f"{target!r} falls back to itself", "warning")

    for gname, g in groups.items():
        members = [m for m in g.get("deployments") or []]
        for j, m in enumerate(members):
            if m not in ids:
                close = difflib.get_close_matches(m, sorted(ids), n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                issue(("groups", gname, "deployments", j), "router-unknown-ref", f"no deployment {m!r}{hint}")
        tagged = [d for d in deps if g.get("tags") and set(g["tags"]) <= set(d.get("tags") or ())]
        if not [m for m in members if m in ids] and not tagged:
            issue(("groups", gname), "router-empty-group", f"group {gname!r} selects no deployment", key=True)
        for key in ("fallbacks", "context_window_fallbacks", "content_filter_fallbacks"):
            check_chain(("groups", gname, key), g.get(key) or [], gname)
    for name, target in aliases.items():
        if not ref_ok(target) and ":" not in target:
            issue(("aliases", name), "router-unknown-ref", f"alias {name!r} points at {target!r}, which is not a group, deployment, alias or 'provider:model' ref")
    for name in aliases:  # cycles
        seen = [name]
        cur = aliases[name]
        while cur in aliases:
            if cur in seen:
                issue(("aliases", name), "router-alias-cycle", "aliases form a cycle: " + " -> ".join(seen + [cur]), key=True)
                break
            seen.append(cur)
            cur = aliases[cur]
    for i, rt in enumerate(data.get("routes") or []):
        if "regex" in rt:
            try:
                re.compile(rt["regex"])
            except re.error as exc:
                issue(("routes", i, "regex"), "router-regex", f"invalid regular expression: {exc}")
        if rt.get("to") and not ref_ok(rt["to"]):
            issue(("routes", i, "to"), "router-unknown-ref", f"{rt['to']!r} is not a group, deployment or alias")
        for key in ("fallbacks", "context_window_fallbacks", "content_filter_fallbacks"):
            check_chain(("routes", i, key), rt.get(key) or [], None)
        if rt.get("provider"):
            _check_provider(("routes", i, "provider"), rt["provider"], issue, registry)
        _check_secrets(("routes", i), rt, issue)
    for i, d in enumerate(deps):
        _check_secrets(("deployments", i), d, issue)
        if d.get("provider"):
            _check_provider(("deployments", i, "provider"), d["provider"], issue, registry)
        else:
            owners = _catalog_owners(d["model"], registry, (data.get("router") or {}).get("prefer_providers") or (), [x.get("provider") for x in deps])
            if owners is not None and len(owners) != 1:
                if owners:
                    issue(("deployments", i, "model"), "router-model", f"model {d['model']!r} is in several catalogs; set `provider:` to one of: {', '.join(owners)}")
                else:
                    issue(("deployments", i, "model"), "router-model", f"no catalog knows model {d['model']!r}; set `provider:`")
    _check_context_windows(data, issue, registry)
    cache, state = data.get("cache") or {}, data.get("state") or {}
    if cache.get("backend") == "sqlite" and not cache.get("path"):
        issue(("cache", "backend"), "router-cache", "cache.backend sqlite needs cache.path")
    if cache.get("backend") == "redis" and state.get("backend") != "redis":
        issue(("cache", "backend"), "router-cache", "cache.backend redis uses the state's Redis connection: set state.backend: redis")
    if state.get("backend") == "redis" and not (state.get("url") or state.get("url_env")):
        issue(("state", "backend"), "router-state", "state.backend redis needs state.url_env (or a url without credentials)")


def _check_secrets(path: tuple[object, ...], entry: Mapping[str, Any], issue: Any) -> None:
    var = entry.get("api_key_env")
    if isinstance(var, str) and (var.startswith(_SECRET_PREFIXES) or (len(var) >= 32 and var.upper() != var)):
        issue(path + ("api_key_env",), "router-secret", "api_key_env must name an environment variable; this looks like a key itself (never put keys in the config)")
    for section in ("settings", "options"):
        for k, v in (entry.get(section) or {}).items():
            if isinstance(k, str) and _SECRET_KEYS.search(k) and isinstance(v, str) and v:
                issue(path + (section, k), "router-secret", f"{section}.{k} looks like a credential; reference it through api_key_env instead")


def _check_provider(path: tuple[object, ...], provider: str, issue: Any, registry: Any) -> None:
    reg = registry if registry is not None else _default_registry()
    if reg is None:
        return
    known = reg.providers()
    if provider not in known:
        close = difflib.get_close_matches(provider, known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        issue(path, "router-unknown-provider", f"unknown provider {provider!r}{hint}")


def _catalog_owners(model: str, registry: Any, preferred: Any, configured: Any) -> list[str] | None:
    reg = registry if registry is not None else _default_registry()
    if reg is None:
        return None
    return detect(reg, model, preferred, configured)


def _context_window(registry: Any, provider: str | None, model: str, preferred: Any = ()) -> int | None:
    if registry is None:
        return None
    try:
        if provider is None:
            owners = detect(registry, model, preferred)
            if len(owners) != 1:
                return None
            provider = owners[0].split(":", 1)[0]
        info = registry.get(provider).model_info(model)
    except SpecwireError:
        return None
    return info.context_window if info is not None else None


def _check_context_windows(data: dict[str, Any], issue: Any, registry: Any) -> None:
    reg = registry if registry is not None else _default_registry()
    if reg is None:
        return
    deps = {d["id"]: d for d in data.get("deployments") or []}
    groups = data.get("groups") or {}

    def windows(name: str) -> list[int | None]:
        if name in deps:
            members = [deps[name]]
        elif name in groups:
            g = groups[name]
            members = [deps[m] for m in g.get("deployments") or [] if m in deps]
            if g.get("tags"):
                members += [d for d in deps.values() if set(g["tags"]) <= set(d.get("tags") or ()) and d not in members]
        else:
            return []
        preferred = (data.get("router") or {}).get("prefer_providers") or ()
        return [_context_window(reg, d.get("provider"), d["model"], preferred) for d in members]

    for gname, g in groups.items():
        own = [w for w in windows(gname) if w is not None]
        if not own:
            continue
        for j, target in enumerate(g.get("context_window_fallbacks") or []):
            theirs = [w for w in windows(target) if w is not None]
            if theirs and min(theirs) <= max(own):
                issue(("groups", gname, "context_window_fallbacks", j), "router-context-window",
                      f"{target!r} has a context window of {min(theirs)} tokens, not larger than {gname!r} ({max(own)})", "warning")


_REGISTRY: list[Any] = []


def _default_registry() -> Any:
    if not _REGISTRY:
        from ..registry import default_registry

        _REGISTRY.append(default_registry())
    return _REGISTRY[0]


@lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)
