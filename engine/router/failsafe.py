"""Fail-safe wrappers: a cache or state backend that breaks never fails a router call.

The router wraps every network or file backend it uses:

* :class:`FailSafeCache` around the response cache.  A store error (Redis down or frozen, an
  SQLite file locked, corrupt or read-only) makes a lookup a **miss** and a write a **skipped
  write**; the error is counted (``router.snapshot().cache``) and logged on ``specwire.router``
  at most once per :data:`LOG_EVERY` seconds (the first failure as a warning, repeats as a
  count).  A cache that could not even be opened (a corrupt SQLite file) is **disabled** for the
  router's lifetime (the file is left untouched for an operator to inspect or delete): see
  :func:`disabled_cache`.
* :class:`FailSafeBackend` around a shared :class:`~specwire.router.state.StateBackend` (Redis).
  When an operation fails, the router carries on with **per-process state** (an
  :class:`~specwire.router.state.InMemoryBackend`: rate limits, circuits and counters of this
  process only) and logs one warning; it goes back to the shared backend when a later
  operation there succeeds, and logs that too.  Cache operations through a broken backend
  raise :class:`BackendUnavailable` (so the cache wrapper counts a miss) instead of using the
  per-process store.

**Bounded in time.**  Each operation runs under a time budget: what is left of the router
call's deadline, capped at ``op_timeout`` (default :data:`OP_TIMEOUT` seconds) and at least
:data:`MIN_BUDGET` (so the bookkeeping of a call that has just reached its deadline still reaches
a healthy backend).  The budget is published in a context variable (:func:`op_budget`): the Redis
backend's connections use it as their connect and socket timeouts, the SQLite cache as its busy
timeout.  A frozen Redis therefore costs at most one budget per operation, and usually only once
per call, because of the breaker below.

**A breaker on the backend itself** (:class:`Breaker`).  After a failure the backend is not
called again for ``backoff`` seconds (1 s, doubling on every failed retry up to 30 s); all
operations go to the fallback at once.  When the backoff ends one operation (only one, whatever
the number of threads) tries the backend again: success closes the breaker, failure re-opens it.
So a dead Redis is dialled about once per backoff, not on every call.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable, Generator, Sequence
from contextlib import contextmanager
from typing import Any

from .state import Bucket, CircuitParams, CircuitView, InMemoryBackend, StateBackend

__all__ = ["BackendUnavailable", "Breaker", "FailSafeBackend", "FailSafeCache", "disabled_cache", "op_budget"]

logger = logging.getLogger("specwire.router")

OP_TIMEOUT = 0.5  # seconds: the default cap on one backend operation (each connect, send and read step)
MIN_BUDGET = 0.05  # seconds: the least budget an operation gets, even past the call's deadline
LOG_EVERY = 60.0  # seconds between two warnings about the same failing backend

_BUDGET: contextvars.ContextVar[float | None] = contextvars.ContextVar("specwire_router_op_budget", default=None)


def op_budget(default: float | None = None) -> float | None:
    """The time budget (seconds) of the backend operation running now, else ``default``."""
    value = _BUDGET.get()
    return default if value is None else value


@contextmanager
def _budget(seconds: float | None) -> Generator[None, None, None]:
    token = _BUDGET.set(seconds)
    try:
        yield
    finally:
        _BUDGET.reset(token)


def budget_for(left: float | None, cap: float) -> float:
    """The budget of one operation when ``left`` seconds remain of the call (``None``: no deadline)."""
    if left is None:
        return cap
    return max(min(cap, left), min(MIN_BUDGET, cap))


class BackendUnavailable(Exception):
    """A backend is failing or its breaker is open (internal: never leaves the router)."""


class Breaker:
    """The health of one backend (see the module docstring), with its counters and its
    rate-limited log.  ``what`` names it in log records (no URL, no credentials)."""

    def __init__(self, what: str, *, backoff: float = 1.0, max_backoff: float = 30.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.what = what
        self._initial, self._max = backoff, max_backoff
        self._backoff = backoff
        self._mono = monotonic
        self._lock = threading.Lock()
        self._open_until: float | None = None  # None: closed
        self._probing = False
        self._logged_at: float | None = None
        self._unlogged = 0
        self.errors = 0  # operations that failed on the backend
        self.skipped = 0  # operations not sent because the breaker was open
        self.last_error: str | None = None
        self.disabled = False

    @property
    def degraded(self) -> bool:
        return self.disabled or self._open_until is not None

    def admit(self) -> bool:
        """May an operation go to the backend now?  (At most one probe while it is failing.)"""
        with self._lock:
            if self.disabled:
                self.skipped += 1
                return False
            if self._open_until is None:
                return True
            if self._probing or self._mono() < self._open_until:
                self.skipped += 1
                return False
            self._probing = True
            return True

    def ok(self) -> None:
        if self._open_until is None:
            return
        with self._lock:
            was_open, self._open_until, self._probing, self._backoff = self._open_until is not None, None, False, self._initial  # pyright: ignore[reportUnnecessaryComparison] - another thread may have closed it before the lock
            self._logged_at = None
        if was_open:
            logger.info("the %s is available again", self.what)

    def failed(self, error: BaseException, consequence: str) -> None:
        with self._lock:
            self.errors += 1
            self.last_error = type(error).__name__
            if self._open_until is not None and not self._probing:
                pass  # a concurrent operation that started before the breaker opened
            elif self._open_until is not None:
                self._backoff = min(self._backoff * 2, self._max)
            self._open_until = self._mono() + self._backoff
            self._probing = False
            retry_in = self._backoff
        self.log(f"the {self.what} failed ({type(error).__name__}): {consequence}; retrying it in {retry_in:g} s")

    def disable(self, error: BaseException, consequence: str) -> None:
        with self._lock:
            self.disabled, self.errors, self.last_error = True, self.errors + 1, type(error).__name__
        self.log(f"the {self.what} cannot be used ({type(error).__name__}: {error}): {consequence}")

    def log(self, message: str) -> None:
        """One warning, then at most one more per :data:`LOG_EVERY` seconds (with the number of
        failures in between); the rest at DEBUG level."""
        now = self._mono()
        with self._lock:
            if self._logged_at is not None and now - self._logged_at < LOG_EVERY:
                self._unlogged += 1
                quiet, repeats = True, 0
            else:
                self._logged_at, quiet, repeats, self._unlogged = now, False, self._unlogged, 0
        if quiet:
            logger.debug("%s", message)
        elif repeats:
            logger.warning("%s (%d more failures since the last report)", message, repeats)
        else:
            logger.warning("%s", message)


# ---------------------------------------------------------------------------- cache
class FailSafeCache:
    """A response cache whose errors are misses and skipped writes (see the module docstring).
    ``inner``: the store (``None``: disabled); ``op_timeout``: the cap of one operation."""

    def __init__(self, inner: Any, *, op_timeout: float = OP_TIMEOUT, what: str = "response cache") -> None:
        self.inner = inner
        self.blocking = bool(getattr(inner, "blocking", False))
        self.op_timeout = op_timeout
        self.breaker = Breaker(what)

    def __repr__(self) -> str:
        return f"FailSafeCache({self.inner!r})"

    def get(self, key: str, *, left: float | None = None) -> bytes | None:
        """The entry, or ``None`` (a miss, also when the store fails).  ``left``: seconds left of
        the call's deadline."""
        if self.inner is None or not self.breaker.admit():
            return None
        try:
            with _budget(budget_for(left, self.op_timeout)):
                value: bytes | None = self.inner.get(key)
        except Exception as exc:  # noqa: BLE001 - a cache error is a miss, whatever it is
            self.breaker.failed(exc, "cache lookups are misses")
            return None
        self.breaker.ok()
        return value

    def set(self, key: str, value: bytes, ttl: float | None, *, left: float | None = None) -> None:
        """Store an entry; a failure skips the write."""
        if self.inner is None or not self.breaker.admit():
            return
        try:
            with _budget(budget_for(left, self.op_timeout)):
                self.inner.set(key, value, ttl)
        except Exception as exc:  # noqa: BLE001
            self.breaker.failed(exc, "responses are not cached")
            return
        self.breaker.ok()

    def close(self) -> None:
        if self.inner is not None:
            self.inner.close()


def disabled_cache(what: str, error: BaseException) -> FailSafeCache:
    """A cache that could not be opened: every lookup a miss, logged once."""
    cache = FailSafeCache(None, what=what)
    cache.breaker.disable(error, "the response cache is disabled for this router (the file is left as it is)")
    return cache


# ---------------------------------------------------------------------------- state
class FailSafeBackend(StateBackend):
    """A shared backend with a per-process fallback (see the module docstring).

    ``primary``: the shared backend (e.g. :class:`~specwire.router.redis_backend.RedisBackend`);
    ``local``: the fallback (default: a new :class:`InMemoryBackend`); ``op_timeout``: the cap
    of one operation (seconds); ``backoff`` / ``max_backoff``: the breaker's waits (seconds).
    :meth:`for_deadline` gives a view whose operations are bounded by one call's deadline.

    In-flight counters taken in this process while degraded are given back here too (a
    decrement goes to the fallback while the fallback holds a positive count for that key), so
    the shared counters do not drift when the backend returns mid-call.
    """

    def __init__(self, primary: StateBackend, *, local: StateBackend | None = None, op_timeout: float = OP_TIMEOUT,
                 backoff: float = 1.0, max_backoff: float = 30.0) -> None:
        self.primary = primary
        self.local = local if local is not None else InMemoryBackend()
        self.blocking = primary.blocking
        self.op_timeout = op_timeout
        self.breaker = Breaker("shared state backend", backoff=backoff, max_backoff=max_backoff)
        self._left: Callable[[], float | None] = lambda: None

    def __repr__(self) -> str:
        return f"FailSafeBackend({self.primary!r})"

    def for_deadline(self, left: Callable[[], float | None]) -> FailSafeBackend:
        """A view of this backend (same state, same breaker) whose operations are bounded by
        ``left()``: the seconds left of a call (``None``: no deadline)."""
        view = object.__new__(FailSafeBackend)
        vars(view).update(vars(self))
        view._left = left
        return view

    def _run(self, name: str, *args: Any, cache: bool = False, fallback: Callable[[], Any] | None = None) -> Any:
        if self.breaker.admit():
            try:
                with _budget(budget_for(self._left(), self.op_timeout)):
                    result = getattr(self.primary, name)(*args)
            except Exception as exc:  # noqa: BLE001 - any backend failure degrades, never fails the call
                self.breaker.failed(exc, "using per-process state (rate limits and circuits of this process only)")
            else:
                self.breaker.ok()
                return result
        if cache:
            raise BackendUnavailable(self.breaker.what)
        return fallback() if fallback is not None else getattr(self.local, name)(*args)

    # counters
    def incr(self, key: str, delta: int = 1) -> int:
        if delta < 0:
            held = self.local.get_counts([key])[0]
            if held > 0:  # a slot taken here while degraded
                return self.local.incr(key, max(delta, -held))
            # a slot taken on the backend, which is failing now: the per-process count must not go
            # negative (the shared one is corrected by its expiry, a day, if the backend stays down)
            return int(self._run("incr", key, delta, fallback=lambda: 0))
        return int(self._run("incr", key, delta))

    def incr_ttl(self, key: str, delta: int, ttl: float, now: float) -> int:
        return int(self._run("incr_ttl", key, delta, ttl, now))

    def get_counts(self, keys: Sequence[str]) -> list[int]:
        return list(self._run("get_counts", keys))

    def ewma_update(self, key: str, sample: float, alpha: float) -> float:
        return float(self._run("ewma_update", key, sample, alpha))

    def ewma_get(self, keys: Sequence[str]) -> list[float | None]:
        return list(self._run("ewma_get", keys))

    def bucket_take(self, buckets: Sequence[Bucket], now: float) -> tuple[bool, float]:
        return self._run("bucket_take", buckets, now)  # type: ignore[no-any-return]

    def bucket_adjust(self, bucket: Bucket, delta: float, now: float) -> None:
        self._run("bucket_adjust", bucket, delta, now)

    def bucket_levels(self, buckets: Sequence[Bucket], now: float) -> list[float]:
        return list(self._run("bucket_levels", buckets, now))

    def circuit_acquire(self, key: str, now: float, params: CircuitParams) -> tuple[bool, str, float]:
        return self._run("circuit_acquire", key, now, params)  # type: ignore[no-any-return]

    def circuit_record(self, key: str, ok: bool, now: float, params: CircuitParams, hint: float | None = None) -> str:
        return str(self._run("circuit_record", key, ok, now, params, hint))

    def circuit_release(self, key: str, now: float) -> None:
        self._run("circuit_release", key, now)

    def circuit_view(self, keys: Sequence[str], now: float, params: CircuitParams) -> list[CircuitView]:
        return list(self._run("circuit_view", keys, now, params))

    def cache_get(self, key: str, now: float) -> bytes | None:
        return self._run("cache_get", key, now, cache=True)  # type: ignore[no-any-return]

    def cache_set(self, key: str, value: bytes, ttl: float | None, now: float) -> None:
        self._run("cache_set", key, value, ttl, now, cache=True)

    def close(self) -> None:
        self.primary.close()
        self.local.close()
