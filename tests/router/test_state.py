"""The state backends, one contract: token buckets, the circuit breaker, counters, moving
averages and cache entries behave the same in memory and in Redis.

What this protects: the router's shared-state semantics (engine/router/state.py docstring) on a
fake clock, for :class:`InMemoryBackend` and for :class:`RedisBackend` against a real
``redis-server`` on 127.0.0.1 (``server_time=False`` so the same fake clock drives its Lua
scripts).  A divergence between the Python and the Lua implementation of a transition fails here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from specwire.router import Bucket, CircuitParams, InMemoryBackend

P = CircuitParams(window=60, buckets=10, min_requests=4, failure_rate=0.5, consecutive_failures=3, cooldown=10, max_cooldown=35, half_open_probes=1, probe_lease=30)
T0 = 1_000_000.0


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "memory":
        yield InMemoryBackend(max_cache_entries=2)
        return
    from specwire.router import RedisBackend

    url = request.getfixturevalue("redis_url")
    b = RedisBackend(url, prefix="t", server_time=False)
    try:
        yield b
    finally:
        b.close()


def test_bucket_take_all_or_nothing_and_refill(backend: Any) -> None:
    rpm = Bucket("rl:{d}:rpm", 2, 2 / 60, 1)
    tpm = Bucket("rl:{d}:tpm", 100, 100 / 60, 60)
    assert backend.bucket_take([rpm, tpm], T0) == (True, 0.0)
    ok, wait = backend.bucket_take([rpm, tpm], T0)
    assert not ok and wait == pytest.approx(20 / (100 / 60)), "tpm has 40 left of the 60 asked: 12 s"
    assert backend.bucket_levels([rpm, tpm], T0) == [pytest.approx(1), pytest.approx(40)], "a refused take takes nothing"
    assert backend.bucket_take([rpm, tpm], T0 + 12) == (True, 0.0)
    ok, wait = backend.bucket_take([rpm], T0 + 12)
    assert not ok and wait == pytest.approx(18.0), "0.4 left after 12 s of refill at 1/30 per s: 18 s to 1"
    assert backend.bucket_levels([rpm], T0 + 1000) == [pytest.approx(2)], "never above capacity"


def test_bucket_amount_capped_at_capacity_and_adjusted(backend: Any) -> None:
    tpm = Bucket("rl:{x}:tpm", 100, 1.0, 500)
    assert backend.bucket_take([tpm], T0) == (True, 0.0), "a call larger than the bucket passes alone"
    assert backend.bucket_levels([tpm], T0) == [pytest.approx(0)]
    backend.bucket_adjust(tpm, 150, T0)  # used more than estimated: debt, floored at -capacity
    assert backend.bucket_levels([tpm], T0) == [pytest.approx(-100)]
    backend.bucket_adjust(tpm, -30, T0 + 10)  # refund
    assert backend.bucket_levels([tpm], T0 + 10) == [pytest.approx(-60)]


def test_circuit_trips_on_consecutive_failures_then_half_opens(backend: Any) -> None:
    key = "circuit:{a}"
    for i in range(2):
        assert backend.circuit_record(key, False, T0 + i, P) == "closed"
    assert backend.circuit_record(key, False, T0 + 2, P) == "open"
    assert backend.circuit_acquire(key, T0 + 5, P) == (False, "open", pytest.approx(7.0))
    view = backend.circuit_view([key], T0 + 5, P)[0]
    assert (view.state, view.available, view.failures, view.error_rate) == ("open", False, 3, 1.0)
    assert backend.circuit_acquire(key, T0 + 12, P) == (True, "half_open", 0.0)
    assert backend.circuit_acquire(key, T0 + 12, P)[:2] == (False, "half_open"), "one probe at a time"
    assert backend.circuit_record(key, False, T0 + 13, P) == "open"
    assert backend.circuit_acquire(key, T0 + 13 + 19, P)[0] is False, "a failed probe doubles the cooldown (20 s)"
    assert backend.circuit_acquire(key, T0 + 13 + 20, P) == (True, "half_open", 0.0)
    assert backend.circuit_record(key, False, T0 + 34, P) == "open"
    assert backend.circuit_acquire(key, T0 + 34 + 34, P)[0] is False and backend.circuit_acquire(key, T0 + 34 + 35, P)[0], "capped at max_cooldown"
    assert backend.circuit_record(key, True, T0 + 70, P) == "closed"
    view = backend.circuit_view([key], T0 + 70, P)[0]
    assert (view.state, view.available, view.successes, view.failures) == ("closed", True, 0, 0), "closing clears the window"


def test_circuit_trips_on_failure_rate_over_the_window(backend: Any) -> None:
    key = "circuit:{b}"
    outcomes = [True, False, True, False]  # 2 of 4 = 50 %, never 3 in a row
    states = [backend.circuit_record(key, ok, T0 + i, P) for i, ok in enumerate(outcomes)]
    assert states == ["closed", "closed", "closed", "open"]
    key2 = "circuit:{c}"
    for i, ok in enumerate([False, True, False, True]):
        backend.circuit_record(key2, ok, T0 + i * 30, P)  # spread over 90 s: old failures leave the window
    assert backend.circuit_view([key2], T0 + 90, P)[0].state == "closed"


def test_rate_limit_hint_opens_at_once_for_that_long(backend: Any) -> None:
    key = "circuit:{r}"
    assert backend.circuit_record(key, False, T0, P, hint=3.5) == "open"
    assert backend.circuit_acquire(key, T0 + 3.4, P)[0] is False
    assert backend.circuit_acquire(key, T0 + 3.5, P) == (True, "half_open", 0.0)
    backend.circuit_release(key, T0 + 3.6)
    assert backend.circuit_acquire(key, T0 + 3.6, P)[0] is True, "a released probe slot is free again"
    assert backend.circuit_record(key, False, T0 + 4, P, hint=100.0) == "open"
    assert backend.circuit_view([key], T0 + 4, P)[0].retry_in == pytest.approx(35.0), "hints are capped at max_cooldown"


def test_probe_slot_lease_expires(backend: Any) -> None:
    key = "circuit:{l}"
    backend.circuit_record(key, False, T0, P, hint=1.0)
    assert backend.circuit_acquire(key, T0 + 1, P)[0] is True
    assert backend.circuit_acquire(key, T0 + 2, P)[0] is False
    assert backend.circuit_acquire(key, T0 + 31, P)[0] is True, "a probe holder that vanished loses its slot after probe_lease"


def test_counters_moving_averages_and_cache(backend: Any) -> None:
    assert backend.incr("inflight:{a}") == 1 and backend.incr("inflight:{a}", -1) == 0
    assert backend.get_counts(["inflight:{a}", "inflight:{zz}"]) == [0, 0]
    assert backend.ewma_get(["ttft:{a}"]) == [None]
    assert backend.ewma_update("ttft:{a}", 1.0, 0.5) == 1.0
    assert backend.ewma_update("ttft:{a}", 3.0, 0.5) == pytest.approx(2.0)
    assert backend.ewma_get(["ttft:{a}"]) == [pytest.approx(2.0)]
    backend.cache_set("cache:k", b"v", None, T0)
    assert backend.cache_get("cache:k", T0 + 10**6) == b"v"
    assert backend.cache_get("cache:missing", T0) is None


def test_memory_cache_is_lru_with_ttl() -> None:
    b = InMemoryBackend(max_cache_entries=2)
    b.cache_set("a", b"1", 10, T0)
    b.cache_set("b", b"2", None, T0)
    assert b.cache_get("a", T0 + 1) == b"1"  # a is now the most recent
    b.cache_set("c", b"3", None, T0 + 1)
    assert b.cache_get("b", T0 + 1) is None and b.cache_get("a", T0 + 1) == b"1"
    assert b.cache_get("a", T0 + 10) is None, "expired"


def test_redis_backend_never_shows_its_url_credentials() -> None:
    pytest.importorskip("redis", reason="redis-py is not installed: pip install 'specwire[redis]'")
    from specwire.router import RedisBackend

    backend = RedisBackend.from_env("R", env={"R": "redis://:CANARYpass@cache.internal:6380/2"})  # no connection is made yet
    try:
        assert "CANARY" not in repr(backend) and "cache.internal" in repr(backend)
    finally:
        backend.close()


def test_routers_in_one_process_share_an_in_memory_backend(fake: Any, make_router: Any) -> None:
    from .conftest import deployment
    from .fakes import rate_limited

    shared = InMemoryBackend()
    config = {"router": {}, "deployments": [deployment(fake, "a", "gpt-5.4"), deployment(fake, "b", "gpt-5.4")], "groups": {"g": {"deployments": ["a", "b"]}}}
    one, two = make_router(config, backend=shared), make_router(config, backend=shared)
    fake.script("a", rate_limited(retry_after=30))
    one.complete("g", "hi")
    assert two.snapshot().deployments["a"].circuit == "open"
    for _ in range(3):
        assert two.complete("g", "hi").provider_metadata["router"]["deployment"] == "b"
