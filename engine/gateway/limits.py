"""Per-key limits of the gateway: requests and tokens per minute, and spend budgets (:class:`KeyLimits`).

A gateway key (:class:`~specwire.gateway.config.GatewayKey`) may have ``rpm``, ``tpm`` and a
``budget`` (:class:`~specwire.gateway.config.Budget`).  They are kept in the **router's state
backend** (``router.backend``: in memory, or Redis wrapped by the router's
:class:`~specwire.router.failsafe.FailSafeBackend`), so every gateway replica pointed at one Redis
shares the counts; while Redis fails, each replica keeps them in its own memory (the fail-safe
backend's per-process state) and goes back to Redis when it answers again.

* ``rpm``: a request bucket of ``rpm`` tokens refilled at ``rpm / 60`` per second; each request
  takes one before it is served (all or nothing with the ``tpm`` check), else 429 with
  ``retry-after`` (whole seconds until the bucket has a token again).
* ``tpm``: a token bucket of ``tpm`` refilled at ``tpm / 60`` per second.  A request is admitted
  while the bucket is not in debt (its level is at least 0); the tokens the provider reported
  (input + output, :class:`~specwire.types.Usage`) are debited when the call ends (a stream: when
  it ends), down to at most ``-tpm`` (a debt, which refuses requests until it is refilled).
* ``budget``: a counter of micro-USD spent in the current period (the cost specwire computes from
  the model catalogs, :attr:`specwire.types.Response.cost`), one counter per period start, so
  periods roll over by themselves; ``hour``, ``day`` and ``month`` are UTC calendar periods, a
  number of seconds a period aligned on the Unix epoch.  A request is refused (429,
  ``insufficient_quota``, ``x-should-retry: false``, ``retry-after`` until the next period) once
  the spend reaches the budget; the cost is added when the call ends.  Calls in flight when the
  budget is reached still complete, so the spend may pass the budget by their cost.

The state keys are ``gw:{<key name>}:rpm``, ``…:tpm`` and ``…:spend:<period start>`` (the name
URL-encoded, in a ``{hash tag}`` for Redis Cluster).  Time comes from the router's clock
(:class:`~specwire.router.clock.Clock`; the Redis backend refills buckets by the server's clock).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from ..router.clock import Clock
from ..router.state import Bucket, StateBackend
from .config import PERIODS, Budget, GatewayKey
from .errors import GatewayError

__all__ = ["MICRO_USD", "KeyLimits", "period_window"]

log = logging.getLogger("specwire.gateway")

#: Micro-USD per USD: spend is counted in whole micro-USD.
MICRO_USD = 1_000_000
_KEEP = 3600.0  # seconds a period's spend counter outlives its period


def period_window(period: str | float, now: float) -> tuple[float, float]:
    """``(start, end)`` (Unix seconds) of the budget period holding ``now``: ``"hour"``,
    ``"day"``, ``"month"`` (UTC calendar periods) or a length in seconds (aligned on the epoch)."""
    if period == "month":
        at = datetime.fromtimestamp(now, timezone.utc)
        first = datetime(at.year, at.month, 1, tzinfo=timezone.utc)
        after = datetime(at.year + at.month // 12, at.month % 12 + 1, 1, tzinfo=timezone.utc)
        return first.timestamp(), after.timestamp()
    length = PERIODS[period] if isinstance(period, str) else float(period)
    start = math.floor(now / length) * length
    return start, start + length


def _describe(budget: Budget) -> str:
    per = budget.period if isinstance(budget.period, str) else f"{budget.period:g} s"
    return f"{budget.usd:g} USD per {per}"


class KeyLimits:
    """The ``rpm``/``tpm``/``budget`` limits of gateway keys (see the module docstring), kept in
    ``backend`` (the router's :class:`~specwire.router.state.StateBackend`) on ``clock``."""

    def __init__(self, backend: StateBackend, clock: Clock) -> None:
        self.backend, self.clock = backend, clock

    @staticmethod
    def _base(key: GatewayKey) -> str:
        return "gw:{" + quote(key.name, safe="") + "}"

    def buckets(self, key: GatewayKey) -> list[Bucket]:
        """The key's buckets: ``rpm`` (asking for one request), then ``tpm`` (asking for nothing:
        it only must not be in debt)."""
        out = []
        if key.rpm is not None:
            out.append(Bucket(self._base(key) + ":rpm", key.rpm, key.rpm / 60.0, 1.0))
        if key.tpm is not None:
            out.append(Bucket(self._base(key) + ":tpm", key.tpm, key.tpm / 60.0, 0.0))
        return out

    def spend_key(self, key: GatewayKey, start: float) -> str:
        """The state key of the spend counter of the period starting at ``start``."""
        return f"{self._base(key)}:spend:{int(start)}"

    def spent(self, key: GatewayKey) -> float:
        """USD the key spent in the current period (0 without a budget)."""
        if key.budget is None:
            return 0.0
        start, _ = period_window(key.budget.period, self.clock.now())
        return self.backend.get_counts([self.spend_key(key, start)])[0] / MICRO_USD

    # ------------------------------------------------------------------ before the call
    def admit(self, key: GatewayKey | None) -> None:
        """Admit one request of ``key`` or raise :class:`GatewayError` (429): the budget is spent
        (``insufficient_quota``, nothing taken), or the ``rpm`` bucket is empty or the ``tpm``
        bucket in debt (``rate_limit_exceeded``; ``retry_after`` the seconds until it would pass)."""
        if key is None:
            return
        now = self.clock.now()
        budget = key.budget
        if budget is not None:
            start, end = period_window(budget.period, now)
            spent = self.backend.get_counts([self.spend_key(key, start)])[0]
            if spent >= round(budget.usd * MICRO_USD):
                raise GatewayError(429, "quota", f"the budget of this key ({_describe(budget)}) is spent; it renews at the next period",
                                   code="insufficient_quota", retry_after=max(end - now, 0.0), should_retry=False)
        buckets = self.buckets(key)
        if buckets:
            ok, wait = self.backend.bucket_take(buckets, now)
            if not ok:
                what = " or ".join(f"{b.capacity:g} {b.key.rsplit(':', 1)[1]}" for b in buckets)
                raise GatewayError(429, "rate_limit", f"this key's rate limit ({what}) is reached",
                                   code="rate_limit_exceeded", retry_after=wait if math.isfinite(wait) else None)

    # ------------------------------------------------------------------ after the call
    def settle(self, key: GatewayKey | None, tokens: int, cost: float) -> None:
        """Debit the ``tokens`` (input + output) a call of ``key`` used from its ``tpm`` bucket and
        add its ``cost`` (USD) to the current period's spend."""
        if key is None:
            return
        now = self.clock.now()
        if key.tpm is not None and tokens > 0:
            self.backend.bucket_adjust(self.buckets(key)[-1], float(tokens), now)
        micro = round(cost * MICRO_USD)
        if key.budget is not None and micro > 0:
            start, end = period_window(key.budget.period, now)
            self.backend.incr_ttl(self.spend_key(key, start), micro, end - now + _KEEP, now)

    # ------------------------------------------------------------------ from the event loop
    async def aadmit(self, key: GatewayKey | None) -> GatewayKey | None:
        """:meth:`admit` from async code (in a worker thread when the backend does network I/O);
        returns ``key`` when it has limits to settle after the call, else ``None``."""
        if key is None or not key.limited:
            return None
        await self._off_loop(self.admit, key)
        return key

    async def asettle(self, key: GatewayKey | None, tokens: int, cost: float) -> None:
        """:meth:`settle` from async code; an error of a custom backend is logged, never raised
        (the reply is already sent)."""
        if key is None:
            return
        try:
            await self._off_loop(self.settle, key, tokens, cost)
        except Exception as exc:  # noqa: BLE001 - the call is over: its accounting must not fail it
            log.error("the limits of key %s could not be settled: %s", key.name, type(exc).__name__)

    async def _off_loop(self, fn: Callable[..., None], *args: Any) -> None:
        if self.backend.blocking:
            await asyncio.to_thread(fn, *args)
        else:
            fn(*args)
