"""Time for the router, injectable: :class:`SystemClock` (the default) and :class:`FakeClock` (tests).

A clock gives two readings and two ways to wait:

* ``now()``: wall-clock seconds (``time.time``), the time stamps written to shared state
  (circuit cooldowns, token buckets) so that several processes agree on them;
* ``monotonic()``: seconds for deadlines and latencies, immune to wall-clock jumps;
* ``sleep(s)`` / ``await asleep(s)``: the router's own waits (retry backoff, waiting for a
  rate-limit bucket or a cooldown).

:class:`FakeClock` moves both readings together and its sleeps advance it instantly, so every
strategy, cooldown and bucket can be tested deterministically.
"""

from __future__ import annotations

import asyncio
import threading
import time

__all__ = ["Clock", "FakeClock", "SystemClock"]


class Clock:
    """The clock interface (also the system clock's base)."""

    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    async def asleep(self, seconds: float) -> None:
        if seconds > 0:
            await asyncio.sleep(seconds)


class SystemClock(Clock):
    """Real time: ``time.time``, ``time.monotonic``, ``time.sleep``, ``asyncio.sleep``."""


class FakeClock(Clock):
    """A clock that only moves when told to (:meth:`advance`) or when something sleeps on it.

    ``sleeps`` records every sleep, so a test can assert how long the router waited.
    """

    def __init__(self, start: float = 1_000_000.0) -> None:
        self._t = float(start)
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self._t

    def monotonic(self) -> float:
        return self._t

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._t += max(float(seconds), 0.0)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)

    async def asleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)
        await asyncio.sleep(0)
