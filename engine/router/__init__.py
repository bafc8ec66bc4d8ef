"""specwire.router: one object that takes a model name and decides which deployment serves it.

    >>> from specwire.router import Router
    >>> router = Router("router.yaml")                               # doctest: +SKIP
    >>> router.complete("gpt", "Say hi").text                         # doctest: +SKIP
    >>> for event in router.stream("claude", "Hi"): ...               # doctest: +SKIP

A router config (YAML or dict, schema ``schemas/router-config.schema.json``, linted by
``validate-spec``) declares **deployments** (provider + model + the environment variable holding
the key + optional base URL, weight, rpm/tpm, tags), **groups** (load-balanced sets of deployments
with a strategy and fallback chains), **aliases** and **routes** (glob/regex on the requested name,
with priorities), and the policies: retry budget and total deadline, health (passive error rates,
circuit breaker, optional active probes), client-side rate limits, the response cache and the state
backend (in memory, or Redis for many processes and hosts).

Modules: :mod:`~specwire.router.config` (load, validate, lint), :mod:`~specwire.router.resolve`
(names → groups), :mod:`~specwire.router.plan` (the one retry/fallback loop),
:mod:`~specwire.router.strategies`, :mod:`~specwire.router.state` (the state backend interface and
the in-memory backend), :mod:`~specwire.router.redis_backend`, :mod:`~specwire.router.ratelimit`,
:mod:`~specwire.router.cache`, :mod:`~specwire.router.stats`, :mod:`~specwire.router.core` (the
:class:`Router`, sync and async).  Public names are imported lazily.
"""

import importlib as _importlib
from typing import Any as _Any

_EXPORTS: dict[str, str] = {
    "Router": "core",
    "RouterStream": "streams",
    "AsyncRouterStream": "streams",
    "RouterConfig": "config",
    "load_router_config": "config",
    "lint_router_config": "config",
    "is_router_config": "config",
    "router_schema": "config",
    "Target": "resolve",
    "Deployment": "resolve",
    "Group": "resolve",
    "StateBackend": "state",
    "InMemoryBackend": "state",
    "Bucket": "state",
    "CircuitParams": "state",
    "CircuitView": "state",
    "RedisBackend": "redis_backend",
    "ResponseCache": "cache",
    "MemoryCache": "cache",
    "SQLiteCache": "cache",
    "BackendCache": "cache",
    "cache_key": "cache",
    "Clock": "clock",
    "SystemClock": "clock",
    "FakeClock": "clock",
    "STRATEGIES": "strategies",
    "estimate_tokens": "ratelimit",
    "RouterSnapshot": "stats",
    "BackendHealth": "stats",
    "FailSafeBackend": "failsafe",
    "FailSafeCache": "failsafe",
    "DeploymentStats": "stats",
    "RouteStats": "stats",
    "Latency": "stats",
    "AmbiguousModelError": "errors",
    "NoDeploymentAvailableError": "errors",
    "LocalRateLimitError": "errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> _Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'specwire.router' has no attribute {name!r}")
    value = getattr(_importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
