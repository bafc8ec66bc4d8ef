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
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

if _TYPE_CHECKING:  # pragma: no cover - explicit re-exports for type checkers
    from .cache import (
        BackendCache as BackendCache,
        MemoryCache as MemoryCache,
        ResponseCache as ResponseCache,
        SQLiteCache as SQLiteCache,
        cache_key as cache_key,
    )
    from .clock import (
        Clock as Clock,
        FakeClock as FakeClock,
        SystemClock as SystemClock,
    )
    from .config import (
        RouterConfig as RouterConfig,
        is_router_config as is_router_config,
        lint_router_config as lint_router_config,
        load_router_config as load_router_config,
        router_schema as router_schema,
    )
    from .core import (
        Router as Router,
    )
    from .errors import (
        AmbiguousModelError as AmbiguousModelError,
        LocalRateLimitError as LocalRateLimitError,
        NoDeploymentAvailableError as NoDeploymentAvailableError,
    )
    from .failsafe import (
        FailSafeBackend as FailSafeBackend,
        FailSafeCache as FailSafeCache,
    )
    from .ratelimit import (
        estimate_tokens as estimate_tokens,
    )
    from .redis_backend import (
        RedisBackend as RedisBackend,
    )
    from .resolve import (
        Deployment as Deployment,
        Group as Group,
        Target as Target,
    )
    from .state import (
        Bucket as Bucket,
        CircuitParams as CircuitParams,
        CircuitView as CircuitView,
        InMemoryBackend as InMemoryBackend,
        StateBackend as StateBackend,
    )
    from .stats import (
        BackendHealth as BackendHealth,
        DeploymentStats as DeploymentStats,
        Latency as Latency,
        RouteStats as RouteStats,
        RouterSnapshot as RouterSnapshot,
    )
    from .strategies import (
        STRATEGIES as STRATEGIES,
    )
    from .streams import (
        AsyncRouterStream as AsyncRouterStream,
        RouterStream as RouterStream,
    )

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

# Literal (not computed) so that type checkers read it; tests/typing/test_exports.py checks it.
__all__ = [
    "AmbiguousModelError",
    "AsyncRouterStream",
    "BackendCache",
    "BackendHealth",
    "Bucket",
    "CircuitParams",
    "CircuitView",
    "Clock",
    "Deployment",
    "DeploymentStats",
    "FailSafeBackend",
    "FailSafeCache",
    "FakeClock",
    "Group",
    "InMemoryBackend",
    "Latency",
    "LocalRateLimitError",
    "MemoryCache",
    "NoDeploymentAvailableError",
    "RedisBackend",
    "ResponseCache",
    "RouteStats",
    "Router",
    "RouterConfig",
    "RouterSnapshot",
    "RouterStream",
    "SQLiteCache",
    "STRATEGIES",
    "StateBackend",
    "SystemClock",
    "Target",
    "cache_key",
    "estimate_tokens",
    "is_router_config",
    "lint_router_config",
    "load_router_config",
    "router_schema",
]


def __getattr__(name: str) -> _Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'specwire.router' has no attribute {name!r}")
    value = getattr(_importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
