"""Load-balancing strategies: which deployment of a group takes the next call.

A strategy picks one of ``candidates`` (the group's deployments that are allowed now: circuit not
open, not yet failed in this call, tags matching), reading shared state through the
:class:`PickContext`.  Ties are broken with the router's seeded random generator, so a test that
seeds it gets one answer.

=====================  =========================================================================
``round-robin``        a shared counter per group (``rr:<group>``), position modulo candidates
``random``             uniform
``weighted``           random in proportion to each deployment's ``weight``
``least-connections``  fewest calls in flight (shared counter ``inflight:<deployment>``)
``lowest-latency``     lowest EWMA of time to first token (``ttft:<deployment>``, alpha 0.3);
                       deployments with no sample yet go first (they must be measured once)
``usage-based``        most remaining capacity: the smaller of the ``rpm`` and ``tpm`` buckets'
                       fill ratio (a deployment without limits counts as full)
=====================  =========================================================================

Time to first token is the time from sending the request to the first content event of a
stream; for a non-streamed call, to the complete response (its first token arrives with it).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .state import Bucket, StateBackend

__all__ = ["EWMA_ALPHA", "STRATEGIES", "PickContext", "Strategy", "inflight_key", "rr_key", "ttft_key"]

EWMA_ALPHA = 0.3


def inflight_key(dep_id: str) -> str:
    return f"inflight:{{{dep_id}}}"


def ttft_key(dep_id: str) -> str:
    return f"ttft:{{{dep_id}}}"


def rr_key(group: str) -> str:
    return f"rr:{{{group}}}"


@dataclass
class PickContext:
    backend: StateBackend
    rng: random.Random
    now: float
    buckets: Callable[[Any], list[Bucket]]  # a deployment's rate-limit buckets (amount 0)


class Strategy(Protocol):
    def __call__(self, group: str, candidates: Sequence[Any], ctx: PickContext) -> Any: ...


def _lowest(candidates: Sequence[Any], scores: Sequence[float], rng: random.Random) -> Any:
    best = min(scores)
    tied = [c for c, s in zip(candidates, scores) if s == best]
    return tied[0] if len(tied) == 1 else rng.choice(tied)


def round_robin(group: str, candidates: Sequence[Any], ctx: PickContext) -> Any:
    n = ctx.backend.incr(rr_key(group)) - 1
    return candidates[n % len(candidates)]


def random_choice(group: str, candidates: Sequence[Any], ctx: PickContext) -> Any:
    return ctx.rng.choice(list(candidates))


def weighted(group: str, candidates: Sequence[Any], ctx: PickContext) -> Any:
    return ctx.rng.choices(list(candidates), weights=[c.weight for c in candidates], k=1)[0]


def least_connections(group: str, candidates: Sequence[Any], ctx: PickContext) -> Any:
    counts = ctx.backend.get_counts([inflight_key(c.id) for c in candidates])
    return _lowest(candidates, [float(n) for n in counts], ctx.rng)


def lowest_latency(group: str, candidates: Sequence[Any], ctx: PickContext) -> Any:
    ewmas = ctx.backend.ewma_get([ttft_key(c.id) for c in candidates])
    return _lowest(candidates, [-1.0 if v is None else v for v in ewmas], ctx.rng)


def usage_based(group: str, candidates: Sequence[Any], ctx: PickContext) -> Any:
    scores = []
    for c in candidates:
        buckets = ctx.buckets(c)
        if not buckets:
            scores.append(-1.0)
            continue
        levels = ctx.backend.bucket_levels(buckets, ctx.now)
        scores.append(-min(level / b.capacity for level, b in zip(levels, buckets)))
    return _lowest(candidates, scores, ctx.rng)


STRATEGIES: dict[str, Strategy] = {
    "round-robin": round_robin,
    "random": random_choice,
    "weighted": weighted,
    "least-connections": least_connections,
    "lowest-latency": lowest_latency,
    "usage-based": usage_based,
}
