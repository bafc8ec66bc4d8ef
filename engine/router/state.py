"""Shared router state: the :class:`StateBackend` interface and :class:`InMemoryBackend`.

Everything the router must agree on across calls (and, with :class:`~specwire.router.redis_backend.RedisBackend`,
across processes and hosts) goes through a backend, one atomic operation at a time:

* **counters**: in-flight calls per deployment (least-connections), round-robin positions; with
  :meth:`StateBackend.incr_ttl`, counters of a period kept as long as it lasts (a gateway key's spend);
* **EWMA**: time to first token per deployment (lowest-latency);
* **token buckets**: ``rpm``/``tpm`` limits; :meth:`StateBackend.bucket_take` takes from several
  buckets all-or-nothing, :meth:`StateBackend.bucket_adjust` corrects an estimate afterwards (a
  bucket may go into debt, down to minus its capacity);
* **circuits**: the breaker of each deployment, its failure window and half-open probe slots;
* **cache entries**: bytes with a TTL (the response cache's ``redis`` backend stores here).

A backend that does I/O may fail: the router wraps it in a
:class:`~specwire.router.failsafe.FailSafeBackend` (per-process state while it fails, every
operation bounded by the call's deadline).

Time stamps are the ``now`` the caller passes (``Clock.now()``), so tests run on a fake clock; the
Redis backend uses the Redis server's clock instead by default, so hosts with skewed clocks agree.

The circuit state machine (the same in every backend; :class:`CircuitParams` holds its numbers)::

    closed --(consecutive_failures in a row | failure_rate over window with >= min_requests
              | a rate-limit hint)--> open(until now + hint or cooldown)
    open --(now >= until; acquire)--> half_open: at most half_open_probes calls in flight
         (a probe slot is leased for probe_lease seconds, so a crashed caller cannot hold it)
    half_open --success--> closed (window cleared, cooldown reset)
    half_open --failure--> open(until now + hint or 2 x previous cooldown, capped at max_cooldown)
    open + rate-limit hint --> until extended to now + hint

Successes in the open state (calls that started before it opened) change nothing but the window.
"""

from __future__ import annotations

import math
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

__all__ = ["Bucket", "CircuitParams", "CircuitPolicy", "CircuitView", "InMemoryBackend", "StateBackend"]

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"
_STATES = (CLOSED, OPEN, HALF_OPEN)


@dataclass(frozen=True)
class Bucket:
    """A token bucket: ``capacity`` tokens, refilled at ``rate`` tokens per second; ``amount`` is
    what a take asks for (capped at the capacity, so one large request can still pass alone)."""

    key: str
    capacity: float
    rate: float
    amount: float = 1.0


@dataclass(frozen=True)
class CircuitPolicy:
    """When a deployment's circuit opens and closes again (the router config's ``health:``,
    :class:`~specwire.router.config.HealthConfig`, says what each threshold means)."""

    window: float = 60.0
    min_requests: int = 5
    failure_rate: float = 0.5
    consecutive_failures: int = 3
    cooldown: float = 30.0
    max_cooldown: float = 300.0
    half_open_probes: int = 1


@dataclass(frozen=True)
class CircuitParams(CircuitPolicy):
    """A :class:`CircuitPolicy` as the backends apply it: its ``window`` counted in ``buckets``
    slices; a half-open probe slot is held at most ``probe_lease`` seconds."""

    buckets: int = 10
    probe_lease: float = 60.0

    @classmethod
    def of(cls, policy: CircuitPolicy, **params: Any) -> CircuitParams:
        """``policy``'s thresholds with these ``buckets`` / ``probe_lease``."""
        return cls(**{f.name: getattr(policy, f.name) for f in fields(CircuitPolicy)}, **params)


@dataclass(frozen=True)
class CircuitView:
    """A read-only look at one circuit: ``available`` says whether a call could acquire it now,
    ``retry_in`` how long until it could (0 when available).  ``successes``/``failures`` count the
    current window."""

    state: str
    available: bool
    retry_in: float
    successes: int
    failures: int
    consecutive: int
    cooldown: float

    @property
    def error_rate(self) -> float | None:
        total = self.successes + self.failures
        return self.failures / total if total else None


class StateBackend(ABC):
    """The operations the router needs, each atomic (see the module docstring).  ``blocking``
    backends do network I/O: the async router calls them in a worker thread."""

    blocking: bool = False

    # counters
    @abstractmethod
    def incr(self, key: str, delta: int = 1) -> int: ...

    @abstractmethod
    def get_counts(self, keys: Sequence[str]) -> list[int]: ...

    def incr_ttl(self, key: str, delta: int, ttl: float, now: float) -> int:
        """:meth:`incr`, the counter kept at least ``ttl`` seconds after this write (``now``: the
        caller's clock; counters of a period, such as a gateway key's spend).  This default is
        plain :meth:`incr` (the backend's own expiry applies)."""
        return self.incr(key, delta)

    # moving averages
    @abstractmethod
    def ewma_update(self, key: str, sample: float, alpha: float) -> float: ...

    @abstractmethod
    def ewma_get(self, keys: Sequence[str]) -> list[float | None]: ...

    # token buckets
    @abstractmethod
    def bucket_take(self, buckets: Sequence[Bucket], now: float) -> tuple[bool, float]:
        """Take every bucket's ``amount``, all or nothing: ``(True, 0.0)``, or ``(False, seconds
        until all would have room)``."""

    @abstractmethod
    def bucket_adjust(self, bucket: Bucket, delta: float, now: float) -> None:
        """Take ``delta`` more tokens (negative: give back), at most down to ``-capacity``."""

    @abstractmethod
    def bucket_levels(self, buckets: Sequence[Bucket], now: float) -> list[float]: ...

    # circuits
    @abstractmethod
    def circuit_acquire(self, key: str, now: float, params: CircuitParams) -> tuple[bool, str, float]:
        """May a call go to this deployment now?  ``(allowed, state, retry_in)``; in half-open
        state an allowed call holds a probe slot until :meth:`circuit_record` or
        :meth:`circuit_release`."""

    @abstractmethod
    def circuit_record(self, key: str, ok: bool, now: float, params: CircuitParams, hint: float | None = None) -> str:
        """Record an outcome (``hint``: a cooldown the provider asked for, e.g. ``retry_after``);
        returns the new state."""

    @abstractmethod
    def circuit_release(self, key: str, now: float) -> None:
        """Give back a probe slot without an outcome (a cancelled call)."""

    @abstractmethod
    def circuit_view(self, keys: Sequence[str], now: float, params: CircuitParams) -> list[CircuitView]: ...

    # cache
    @abstractmethod
    def cache_get(self, key: str, now: float) -> bytes | None: ...

    @abstractmethod
    def cache_set(self, key: str, value: bytes, ttl: float | None, now: float) -> None: ...

    def close(self) -> None:
        """Release connections (the in-memory backend has none)."""


# ---------------------------------------------------------------------------- in memory
@dataclass
class _Circuit:
    state: str = CLOSED
    until: float = 0.0
    cooldown: float = 0.0
    consecutive: int = 0
    probes: int = 0
    lease: float = 0.0


class InMemoryBackend(StateBackend):
    """The embedded default: state in this process, guarded by one lock (thread-safe; share one
    instance between routers of the same process to share their state).  ``max_cache_entries``
    bounds the cache (least recently used entries go first)."""

    def __init__(self, *, max_cache_entries: int = 1024) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._expires: dict[str, float] = {}  # counters written by incr_ttl -> when they may go
        self._ewma: dict[str, float] = {}
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, stamp)
        self._circuits: dict[str, _Circuit] = {}
        self._windows: dict[str, dict[int, list[int]]] = {}  # key -> bucket index -> [ok, fail]
        self._cache: OrderedDict[str, tuple[bytes, float | None]] = OrderedDict()
        self._max_cache = max_cache_entries

    def __repr__(self) -> str:
        return f"InMemoryBackend(circuits={len(self._circuits)}, cache={len(self._cache)})"

    # counters
    def incr(self, key: str, delta: int = 1) -> int:
        with self._lock:
            value = self._counts.get(key, 0) + delta
            self._counts[key] = value
            return value

    def get_counts(self, keys: Sequence[str]) -> list[int]:
        with self._lock:
            return [self._counts.get(k, 0) for k in keys]

    def incr_ttl(self, key: str, delta: int, ttl: float, now: float) -> int:
        with self._lock:
            if key not in self._counts:  # a new counter: forget the expired ones
                for old in [k for k, t in self._expires.items() if t <= now]:
                    del self._expires[old]
                    self._counts.pop(old, None)
            value = self._counts.get(key, 0) + delta
            self._counts[key] = value
            self._expires[key] = max(self._expires.get(key, 0.0), now + ttl)
            return value

    # moving averages
    def ewma_update(self, key: str, sample: float, alpha: float) -> float:
        with self._lock:
            old = self._ewma.get(key)
            new = sample if old is None else alpha * sample + (1 - alpha) * old
            self._ewma[key] = new
            return new

    def ewma_get(self, keys: Sequence[str]) -> list[float | None]:
        with self._lock:
            return [self._ewma.get(k) for k in keys]

    # token buckets
    def _level(self, b: Bucket, now: float) -> float:
        tokens, stamp = self._buckets.get(b.key, (b.capacity, now))
        if now > stamp:
            tokens = min(b.capacity, tokens + (now - stamp) * b.rate)
        return tokens

    def bucket_take(self, buckets: Sequence[Bucket], now: float) -> tuple[bool, float]:
        with self._lock:
            levels = [self._level(b, now) for b in buckets]
            wait = 0.0
            for b, level in zip(buckets, levels):
                amount = min(b.amount, b.capacity)
                if level < amount:
                    wait = max(wait, (amount - level) / b.rate if b.rate > 0 else math.inf)
            if wait > 0:
                return False, wait
            for b, level in zip(buckets, levels):
                stamp = max(now, self._buckets.get(b.key, (0.0, now))[1])
                self._buckets[b.key] = (level - min(b.amount, b.capacity), stamp)
            return True, 0.0

    def bucket_adjust(self, bucket: Bucket, delta: float, now: float) -> None:
        with self._lock:
            level = self._level(bucket, now)
            stamp = max(now, self._buckets.get(bucket.key, (0.0, now))[1])
            self._buckets[bucket.key] = (max(min(bucket.capacity, level - delta), -bucket.capacity), stamp)

    def bucket_levels(self, buckets: Sequence[Bucket], now: float) -> list[float]:
        with self._lock:
            return [self._level(b, now) for b in buckets]

    # circuits
    def _window(self, key: str, now: float, p: CircuitParams) -> tuple[int, int, dict[int, list[int]], int]:
        size = p.window / p.buckets
        current = math.floor(now / size)
        window = self._windows.setdefault(key, {})
        for idx in [i for i in window if i <= current - p.buckets]:
            del window[idx]
        ok = sum(v[0] for v in window.values())
        fail = sum(v[1] for v in window.values())
        return ok, fail, window, current

    def circuit_acquire(self, key: str, now: float, params: CircuitParams) -> tuple[bool, str, float]:
        with self._lock:
            c = self._circuits.setdefault(key, _Circuit())
            if c.state == OPEN:
                if now < c.until:
                    return False, OPEN, c.until - now
                c.state, c.probes = HALF_OPEN, 0
            if c.state == HALF_OPEN:
                if c.probes >= params.half_open_probes and now < c.lease:
                    return False, HALF_OPEN, c.lease - now
                if now >= c.lease:
                    c.probes = 0
                c.probes += 1
                c.lease = now + params.probe_lease
                return True, HALF_OPEN, 0.0
            return True, CLOSED, 0.0

    def circuit_record(self, key: str, ok: bool, now: float, params: CircuitParams, hint: float | None = None) -> str:
        with self._lock:
            c = self._circuits.setdefault(key, _Circuit())
            _, _, window, current = self._window(key, now, params)
            window.setdefault(current, [0, 0])[0 if ok else 1] += 1
            oks, fails, _, _ = self._window(key, now, params)
            if ok:
                c.consecutive = 0
                if c.state == HALF_OPEN:
                    c.state, c.probes, c.lease, c.cooldown, c.until = CLOSED, 0, 0.0, 0.0, 0.0
                    self._windows.pop(key, None)
                return c.state
            c.consecutive += 1
            if c.state == HALF_OPEN:
                c.cooldown = min(max(c.cooldown, params.cooldown) * 2, params.max_cooldown)
                c.state, c.probes, c.lease = OPEN, 0, 0.0
                c.until = now + min(hint if hint is not None else c.cooldown, params.max_cooldown)
            elif c.state == CLOSED:
                total = oks + fails
                trip = (
                    hint is not None
                    or c.consecutive >= params.consecutive_failures
                    or (total >= params.min_requests and fails / total >= params.failure_rate)
                )
                if trip:
                    c.cooldown = params.cooldown
                    c.state = OPEN
                    c.until = now + min(hint if hint is not None else params.cooldown, params.max_cooldown)
            elif hint is not None:
                c.until = max(c.until, now + min(hint, params.max_cooldown))
            return c.state

    def circuit_release(self, key: str, now: float) -> None:
        with self._lock:
            c = self._circuits.get(key)
            if c is not None and c.state == HALF_OPEN and c.probes > 0:
                c.probes -= 1

    def circuit_view(self, keys: Sequence[str], now: float, params: CircuitParams) -> list[CircuitView]:
        out = []
        with self._lock:
            for key in keys:
                c = self._circuits.get(key) or _Circuit()
                oks, fails, _, _ = self._window(key, now, params)
                out.append(make_circuit_view(c.state, c.until, c.probes, c.lease, c.consecutive, c.cooldown, oks, fails, now, params))
        return out

    # cache
    def cache_get(self, key: str, now: float) -> bytes | None:
        with self._lock:
            item = self._cache.get(key)
            if item is None:
                return None
            value, expires = item
            if expires is not None and now >= expires:
                del self._cache[key]
                return None
            self._cache.move_to_end(key)
            return value

    def cache_set(self, key: str, value: bytes, ttl: float | None, now: float) -> None:
        with self._lock:
            self._cache[key] = (value, None if ttl is None else now + ttl)
            self._cache.move_to_end(key)
            while len(self._cache) > self._max_cache:
                self._cache.popitem(last=False)


def make_circuit_view(state: str, until: float, probes: int, lease: float, consecutive: int, cooldown: float, oks: int, fails: int, now: float, p: CircuitParams) -> CircuitView:
    """The circuit as a caller sees it (available or not, seconds until it may be) from its stored fields at ``now``."""
    if state == OPEN and now < until:
        available, retry_in = False, until - now
    elif state == HALF_OPEN and probes >= p.half_open_probes and now < lease:
        available, retry_in = False, lease - now
    else:
        available, retry_in = True, 0.0
    return CircuitView(state, available, retry_in, oks, fails, consecutive, cooldown)


def as_state(value: Any) -> str:
    """A circuit state name from its stored form (the name, or its index as a number or digit string)."""
    return _STATES[int(value)] if str(value).isdigit() else str(value)
