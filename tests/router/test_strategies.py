"""Load-balancing strategies, one test each, deterministic (seeded RNG, in-memory backend, fixed
time).

What this protects: the documented choice of every strategy in engine/router/strategies.py —
round-robin cycles through a shared counter; random is uniform and reproducible with a seed;
weighted follows the weights; least-connections takes the fewest calls in flight;
lowest-latency explores unmeasured deployments first and then takes the lowest EWMA of time to
first token; usage-based takes the deployment with the most rpm/tpm capacity left.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

from specwire.router import STRATEGIES, InMemoryBackend
from specwire.router.ratelimit import buckets_for
from specwire.router.resolve import Deployment
from specwire.router.strategies import PickContext, inflight_key, ttft_key

A = Deployment("a", "openai", "gpt-5.4", weight=1.0, rpm=100, tpm=1000)
B = Deployment("b", "openai", "gpt-5.4", weight=3.0, rpm=100, tpm=1000)
C = Deployment("c", "openai", "gpt-5.4", weight=0.5)
NOW = 1_000_000.0


def ctx(backend: Any = None, seed: int = 1) -> PickContext:
    return PickContext(backend or InMemoryBackend(), random.Random(seed), NOW, lambda d: buckets_for(d))


def picks(name: str, n: int, c: PickContext, cands: tuple[Any, ...] = (A, B, C)) -> list[str]:
    return [STRATEGIES[name]("g", list(cands), c).id for _ in range(n)]


def test_round_robin_cycles_through_a_shared_counter() -> None:
    backend = InMemoryBackend()
    assert picks("round-robin", 5, ctx(backend)) == ["a", "b", "c", "a", "b"]
    assert picks("round-robin", 1, ctx(backend)) == ["c"], "the position lives in the backend, not in one call"
    assert picks("round-robin", 2, ctx(backend), (A, B)) == ["a", "b"]


def test_random_is_uniform_and_seeded() -> None:
    first = picks("random", 300, ctx(seed=42))
    assert first == picks("random", 300, ctx(seed=42))
    counts = Counter(first)
    assert all(80 <= counts[k] <= 120 for k in "abc"), counts


def test_weighted_follows_the_weights() -> None:
    counts = Counter(picks("weighted", 4500, ctx(seed=3)))
    assert counts["b"] / counts["a"] == pytest.approx(3.0, rel=0.15)
    assert counts["c"] / counts["a"] == pytest.approx(0.5, rel=0.2)


def test_least_connections_takes_the_fewest_in_flight() -> None:
    backend = InMemoryBackend()
    backend.incr(inflight_key("a"), 2)
    backend.incr(inflight_key("b"), 1)
    backend.incr(inflight_key("c"), 3)
    assert picks("least-connections", 3, ctx(backend)) == ["b", "b", "b"]
    backend.incr(inflight_key("a"), -1)  # a: 1, b: 1 -> a tie broken by the seeded RNG
    assert set(picks("least-connections", 20, ctx(backend))) == {"a", "b"}


def test_lowest_latency_explores_then_prefers_the_fastest() -> None:
    backend = InMemoryBackend()
    backend.ewma_update(ttft_key("a"), 0.8, 0.3)
    backend.ewma_update(ttft_key("b"), 0.2, 0.3)
    assert picks("lowest-latency", 3, ctx(backend)) == ["c", "c", "c"], "c has no sample yet: measure it first"
    backend.ewma_update(ttft_key("c"), 0.5, 0.3)
    assert picks("lowest-latency", 3, ctx(backend)) == ["b", "b", "b"]
    for _ in range(10):
        backend.ewma_update(ttft_key("b"), 2.0, 0.3)  # b got slow: its average follows
    assert picks("lowest-latency", 1, ctx(backend)) == ["c"]


def test_usage_based_takes_the_most_remaining_capacity() -> None:
    backend = InMemoryBackend()
    backend.bucket_take(buckets_for(A, tokens=900), NOW)  # a: 99 % rpm, 10 % tpm left
    backend.bucket_take(buckets_for(B, tokens=100), NOW)  # b: 99 % rpm, 90 % tpm left
    assert picks("usage-based", 2, ctx(backend), (A, B)) == ["b", "b"]
    assert picks("usage-based", 1, ctx(backend), (A, B, C)) == ["c"], "no limits: counts as full capacity"
