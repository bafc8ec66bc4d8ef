"""Accounting: per deployment and per route, what was asked, what it cost and how fast it was.

:class:`Stats` records outcomes in this process (thread-safe) and :meth:`Stats.snapshot` returns
frozen :class:`RouterSnapshot` values.  Per deployment, one entry per *attempt* (so a call that
fell back counts once on each deployment it tried); per route (the name the caller asked for),
one entry per *call*, with its end-to-end latency across attempts and waits, the attempts made,
fallbacks taken and cache hits.  Tokens and cost come from the final ``Response`` (``usage`` and
``cost``); a response whose cost is unknown adds nothing to ``cost_usd`` and one to
``cost_unknown``; cache hits cost nothing and are counted apart.  Latency percentiles (p50, p90,
p99, nearest rank) are computed over the most recent :data:`RESERVOIR` samples of each entry.

``snapshot.state`` and ``snapshot.cache`` (:class:`BackendHealth`) say whether the shared state
backend and the response cache are working or degraded (see :mod:`specwire.router.failsafe`) and
count their failed and skipped operations.

Counts are per process; the circuit state and error rate shown per deployment come from the
state backend, so with Redis they are the shared values.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = ["BackendHealth", "DeploymentStats", "Latency", "RouteStats", "RouterSnapshot", "Stats", "Totals"]

RESERVOIR = 1024


@dataclass(frozen=True)
class Latency:
    """Seconds: ``count`` samples kept, their mean and percentiles (``None`` when empty)."""

    count: int = 0
    mean: float | None = None
    p50: float | None = None
    p90: float | None = None
    p99: float | None = None


@dataclass(frozen=True)
class Totals:
    """What a deployment and a route both count: ``requests`` (attempts of a deployment, calls
    of a route), their ``successes`` and ``failures``, ``errors`` by class name, tokens, cost in
    USD (``cost_unknown``: successes whose cost is unknown) and latency."""

    requests: int = 0
    successes: int = 0
    failures: int = 0
    errors: Mapping[str, int] = field(default_factory=dict)
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    cost_usd: float = 0.0
    cost_unknown: int = 0
    latency: Latency = Latency()


@dataclass(frozen=True)
class DeploymentStats(Totals):
    """:class:`Totals` per attempt, with the time to first token and the backend's live view:
    calls ``in_flight``, ``circuit`` state and ``error_rate``."""

    ttft: Latency = Latency()
    in_flight: int = 0
    circuit: str = "closed"
    error_rate: float | None = None


@dataclass(frozen=True)
class RouteStats(Totals):
    """:class:`Totals` per call, with the ``attempts`` and ``fallbacks`` the calls took and their
    ``cache_hits``."""

    attempts: int = 0
    fallbacks: int = 0
    cache_hits: int = 0


@dataclass(frozen=True)
class BackendHealth:
    """A cache or state backend: ``degraded`` while it is failing (per-process state or cache
    misses stand in) or disabled; ``errors`` operations that failed on it, ``skipped`` operations
    not sent to it while it was failing, ``last_error`` the class name of its last error."""

    degraded: bool = False
    errors: int = 0
    skipped: int = 0
    last_error: str | None = None

    @classmethod
    def of(cls, wrapper: Any) -> BackendHealth:
        """From a fail-safe wrapper's breaker (a backend without one never fails: all zero)."""
        b = getattr(wrapper, "breaker", None)
        return cls() if b is None else cls(degraded=b.degraded, errors=b.errors, skipped=b.skipped, last_error=b.last_error)


@dataclass(frozen=True)
class RouterSnapshot:
    """Everything at one moment: ``deployments`` and ``routes`` by name; the health of the
    shared ``state`` backend and of the response ``cache``."""

    taken_at: float
    deployments: Mapping[str, DeploymentStats]
    routes: Mapping[str, RouteStats]
    state: BackendHealth = BackendHealth()
    cache: BackendHealth = BackendHealth()


class _Entry:
    __slots__ = ("requests", "successes", "failures", "errors", "inp", "out", "total", "cost", "cost_unknown",
                 "latency", "ttft", "attempts", "fallbacks", "cache_hits")

    def __init__(self) -> None:
        self.requests = self.successes = self.failures = 0
        self.errors: dict[str, int] = {}
        self.inp = self.out = self.total = 0
        self.cost = 0.0
        self.cost_unknown = 0
        self.latency: deque[float] = deque(maxlen=RESERVOIR)
        self.ttft: deque[float] = deque(maxlen=RESERVOIR)
        self.attempts = self.fallbacks = self.cache_hits = 0

    def add(self, latency: float, *, ok: bool, response: Any, error: BaseException | None, free: bool = False) -> None:
        """One outcome; a ``free`` success (a cache hit) adds no tokens or cost."""
        self.requests += 1
        self.latency.append(latency)
        if not ok:
            self.failures += 1
            if error is not None:
                self.add_error(error)
            return
        self.successes += 1
        if not free:
            self.add_response(response)

    def add_response(self, response: Any) -> None:
        usage = getattr(response, "usage", None)
        if usage is not None:
            self.inp += usage.input_tokens or 0
            self.out += usage.output_tokens or 0
            self.total += usage.total_tokens or ((usage.input_tokens or 0) + (usage.output_tokens or 0))
        if getattr(response, "cost", None) is not None:
            self.cost += response.cost.total
        else:
            self.cost_unknown += 1

    def add_error(self, error: BaseException) -> None:
        name = type(error).__name__
        self.errors[name] = self.errors.get(name, 0) + 1

    def totals(self) -> dict[str, Any]:
        """The :class:`Totals` fields, frozen."""
        return {"requests": self.requests, "successes": self.successes, "failures": self.failures, "errors": MappingProxyType(dict(self.errors)),
                "input_tokens": self.inp, "output_tokens": self.out, "total_tokens": self.total, "cost_usd": self.cost,
                "cost_unknown": self.cost_unknown, "latency": _latency(self.latency)}


def _latency(samples: deque[float]) -> Latency:
    if not samples:
        return Latency()
    ordered = sorted(samples)

    def rank(q: float) -> float:
        return ordered[max(math.ceil(q * len(ordered)) - 1, 0)]

    return Latency(count=len(ordered), mean=sum(ordered) / len(ordered), p50=rank(0.50), p90=rank(0.90), p99=rank(0.99))


class Stats:
    """The recorder (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._deps: dict[str, _Entry] = {}
        self._routes: dict[str, _Entry] = {}

    def attempt(self, dep: str, *, ok: bool, latency: float, response: Any = None, error: BaseException | None = None, ttft: float | None = None) -> None:
        with self._lock:
            e = self._deps.get(dep) or self._deps.setdefault(dep, _Entry())
            e.add(latency, ok=ok, response=response, error=error)
            if ttft is not None:
                e.ttft.append(ttft)

    def call(self, route: str, *, ok: bool, latency: float, attempts: int, fallbacks: int, response: Any = None,
             error: BaseException | None = None, cache_hit: bool = False) -> None:
        with self._lock:
            e = self._routes.get(route) or self._routes.setdefault(route, _Entry())
            e.add(latency, ok=ok or cache_hit, response=response, error=error, free=cache_hit)
            e.attempts += attempts
            e.fallbacks += fallbacks
            e.cache_hits += int(cache_hit)

    def snapshot(self, *, now: float, live: Mapping[str, tuple[int, str, float | None]], state: Any = None, cache: Any = None) -> RouterSnapshot:
        """``live``: deployment id -> (in flight, circuit state, error rate) from the backend;
        ``state`` / ``cache``: the router's backend and cache (their health is reported)."""
        with self._lock:
            deps = {}
            for name in sorted(set(self._deps) | set(live)):
                e = self._deps.get(name) or _Entry()
                in_flight, circuit, rate = live.get(name, (0, "closed", None))
                deps[name] = DeploymentStats(**e.totals(), ttft=_latency(e.ttft), in_flight=in_flight, circuit=circuit, error_rate=rate)
            routes = {
                name: RouteStats(**e.totals(), attempts=e.attempts, fallbacks=e.fallbacks, cache_hits=e.cache_hits)
                for name, e in sorted(self._routes.items())
            }
        return RouterSnapshot(taken_at=now, deployments=MappingProxyType(deps), routes=MappingProxyType(routes),
                              state=BackendHealth.of(state), cache=BackendHealth.of(cache))
