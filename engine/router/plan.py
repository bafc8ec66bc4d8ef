"""One router call across its attempts: the decision loop shared by the sync and async drivers.

:class:`CallPlan` answers "what now?" with :meth:`CallPlan.next`: an :class:`Attempt` (this
deployment, with these call options), a :class:`Wait` (sleep, then ask again) or a :class:`Fail`
(give up with this error).  The driver performs the I/O and reports back with
:meth:`CallPlan.succeeded` or :meth:`CallPlan.failed` (or :meth:`CallPlan.abandoned` when the caller
went away).  All shared state (circuits, buckets, counters) is touched here, never in the drivers.

**Stages.**  The call walks an ordered list of groups: the primary group, then its ``fallbacks``
chain, each group there followed by its own ``fallbacks`` (transitively; every group at most once).  Within a group the strategy picks among deployments whose circuit admits a call, that
carry the call's ``tags`` and that have not failed in this call; a deployment whose bucket is full
is skipped.  When no deployment of the group can be tried the call moves to the next group (a
*fallback*; a fallback never restarts the chain).  A :class:`ContextWindowExceededError` replaces
the rest of the chain with the ``context_window_fallbacks`` chain, a :class:`ContentFilterError`
with ``content_filter_fallbacks`` (expanded the same way; groups already tried are skipped; an
empty chain ends the call with that error).  Error classes outside ``fallback_on`` (bad requests, authentication…) end the
call at once.

**One budget, one deadline.**  Every attempt after the first spends one unit of ``retries``,
whether it retries a deployment or falls back to another.  ``timeout.total`` bounds everything:
each attempt gets what is left as its own total deadline, and no wait starts that would end past it.

**Retries and waits.**  When every group of the chain has been tried, the call may wait and try
again: for the deployment that becomes ready first, either after the backoff
:class:`~specwire.retry.RetryPolicy` gives for its last error (``retry-after`` honoured; a hint over
``max_retry_after`` means no retry) or when its circuit's cooldown ends (at most
``max_retry_after`` seconds away).  A full rate-limit bucket waits (``rate_limit.mode: wait``, at
most ``max_wait``) or counts as a rate limit of that deployment (``raise``).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from ..errors import (
    APIStatusError,
    AuthenticationError,
    DeadlineExceeded,
    NotFoundError,
    PermissionDeniedError,
    PoolExhaustedError,
    RateLimitError,
    ServerError,
    SpecwireError,
    StreamError,
    TransportError,
)
from ..observe import Hooks
from ..op_types import EmbeddingResponse
from ..retry import Timeouts
from ..types import Request, Response
from .cache import cache_key, decode_entry, encode_entry
from .errors import LocalRateLimitError, NoDeploymentAvailableError
from .failsafe import FailSafeBackend
from .ratelimit import buckets_for
from .resolve import Deployment, Group, Target
from .state import HALF_OPEN, Bucket
from .strategies import STRATEGIES, EWMA_ALPHA, PickContext, inflight_key, ttft_key

#: what a routed call returns (a chat or an embeddings response): the route goes into its
#: ``provider_metadata``
_Served = TypeVar("_Served", Response, EmbeddingResponse)

__all__ = ["Attempt", "CallPlan", "CallScope", "Fail", "Wait", "circuit_key", "is_unhealthy"]

_MAX_STEPS = 10_000


def circuit_key(dep_id: str) -> str:
    return f"circuit:{{{dep_id}}}"


def is_unhealthy(error: BaseException) -> bool:
    """Whether an error counts against the deployment's health (its circuit): transport failures
    and timeouts, 5xx, rate limits, broken streams, and credentials or resources the deployment
    lacks.  A bad request, a context-window or content-filter refusal, the call's own deadline, a
    local pool or a local rate limit say nothing about the deployment."""
    if isinstance(error, (DeadlineExceeded, PoolExhaustedError, LocalRateLimitError)):
        return False
    return isinstance(error, (TransportError, ServerError, RateLimitError, StreamError, AuthenticationError, PermissionDeniedError, NotFoundError))


@dataclass
class Attempt:
    dep: Deployment
    stage: Group
    options: dict[str, Any]
    estimate: int
    buckets: list[Bucket]
    probe: bool
    started: float
    number: int
    closed: bool = False


@dataclass(frozen=True)
class Wait:
    seconds: float


@dataclass(frozen=True)
class Fail:
    error: SpecwireError


@dataclass
class CallPlan:
    router: Any
    target: Target
    request: Request
    options: dict[str, Any]
    stream: bool
    stream_mode: str | None
    tags: frozenset[str]
    budget: int
    timeouts: Timeouts
    started: float
    estimate: int
    stages: deque[Group] = field(default_factory=deque)
    tried: set[str] = field(default_factory=set)
    excluded: set[str] = field(default_factory=set)
    waitable: dict[str, tuple[float, Group]] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    attempts: int = 0
    fallbacks: int = 0
    last_error: SpecwireError | None = None
    last_events: list[Any] | None = None
    final_error: SpecwireError | None = None
    local_limit: LocalRateLimitError | None = None
    served_by: Deployment | None = None
    failed_by: Deployment | None = None  # the deployment of the last failed attempt

    def __post_init__(self) -> None:
        primary = self.target.group
        self.stages = deque([primary, *self._groups(self.target.fallbacks, planned=(primary.name,))])

    # ------------------------------------------------------------------ helpers
    def _groups(self, names: tuple[str, ...], planned: tuple[str, ...] = ()) -> list[Group]:
        """The groups of a chain, each followed by its own ``fallbacks`` (transitively), every
        group once, skipping those already tried or ``planned``."""
        out: list[Group] = []
        seen = set(self.tried) | set(planned)
        queue = list(names)
        while queue:
            group = self.router.resolver.group(queue.pop(0))
            if group.name in seen:
                continue
            seen.add(group.name)
            out.append(group)
            queue += group.fallbacks
        return out

    @property
    def deadline(self) -> float | None:
        return None if self.timeouts.total is None else self.started + self.timeouts.total

    def left(self) -> float | None:
        d = self.deadline
        return None if d is None else d - self.router.clock.monotonic()

    def _deadline_error(self, why: str = "passed") -> DeadlineExceeded:
        last = f" (last error: {type(self.last_error).__name__}: {self.last_error})" if self.last_error is not None else ""
        return DeadlineExceeded(f"the router call's total deadline of {self.timeouts.total:g} s {why}{last}")

    def dep_request(self, dep: Deployment) -> Request:
        generic = {k: v for k, v in dep.options.items() if k not in ("extra_headers", "settings", "provider_options")}
        if not generic and "provider_options" not in dep.options:
            return self.request
        update: dict[str, Any] = {k: v for k, v in generic.items() if getattr(self.request, k, None) is None}
        if "provider_options" in dep.options:
            merged = {p: dict(v) for p, v in dep.options["provider_options"].items()}
            for p, v in self.request.provider_options.items():
                merged[p] = {**merged.get(p, {}), **v}
            update["provider_options"] = merged
        return Request.model_validate({**self.request.model_dump(by_alias=True, exclude_none=True), **update})

    def dep_settings(self, dep: Deployment) -> dict[str, Any]:
        return {**dep.settings, **(dep.options.get("settings") or {}), **(self.options.get("settings") or {})}

    def dep_headers(self, dep: Deployment) -> dict[str, str]:
        return {**(dep.options.get("extra_headers") or {}), **(self.options.get("extra_headers") or {})}

    def attempt_options(self, dep: Deployment, left: float | None) -> dict[str, Any]:
        """What every attempt's client call gets whatever its operation: the deployment's settings,
        headers and credentials, no retries of its own (the router's budget covers them), and
        what is left of the total deadline."""
        opts: dict[str, Any] = {}
        settings, headers = self.dep_settings(dep), self.dep_headers(dep)
        if settings:
            opts["settings"] = settings
        if headers:
            opts["extra_headers"] = headers
        opts.update(self.router._credentials(dep))
        opts["max_retries"] = 0
        opts["timeout"] = replace(self.timeouts, total=left)
        return opts

    def call_options(self, dep: Deployment, left: float | None) -> dict[str, Any]:
        """The keyword options of the client call for one attempt."""
        request = self.dep_request(dep)
        opts: dict[str, Any] = request.model_dump(by_alias=True, exclude_none=True, exclude={"messages"})
        rf = self.request.response_format  # the caller's wins over a deployment's (dep_request)
        if rf is not None and rf.output_type is not None:
            opts["response_format"] = rf  # a dump keeps the schema, not the model class to validate into
        if not opts.get("provider_options"):
            opts.pop("provider_options", None)
        if not opts.get("tools"):
            opts.pop("tools", None)
        opts.update(self.attempt_options(dep, left))
        if self.stream and self.stream_mode is not None and self.stream_mode in self.router._stream_modes(dep.provider):
            opts["stream_mode"] = self.stream_mode
        return opts

    # ------------------------------------------------------------------ deciding
    def next(self) -> Attempt | Wait | Fail:
        for _ in range(_MAX_STEPS):
            if self.final_error is not None:
                return Fail(self.final_error)
            left = self.left()
            if left is not None and left <= 0:
                return Fail(self._deadline_error())
            if not self.stages:
                step = self._retry(left)
                if step is None:
                    continue
                return step
            stage = self.stages[0]
            picked = self._pick(stage, left)
            if picked is not None:
                return picked
            if self.final_error is not None:
                continue
            self.tried.add(self.stages.popleft().name)
            if self.stages:
                self.fallbacks += 1
        return Fail(NoDeploymentAvailableError("the router could not place the call"))  # pragma: no cover - a bug

    def _pick(self, stage: Group, left: float | None) -> Attempt | Wait | None:
        r = self.router
        cands = [d for d in stage.deployments if self.tags <= d.tags and d.id not in self.excluded]
        if not cands:
            return None
        now, mono = r.clock.now(), r.clock.monotonic()
        views = r.backend.circuit_view([circuit_key(d.id) for d in cands], now, r.circuit_params)
        avail = []
        for dep, view in zip(cands, views):
            if view.available:
                avail.append(dep)
            else:
                self._cooling(dep, stage, mono + view.retry_in)
        blocked: dict[str, float] = {}
        strategy = STRATEGIES[stage.strategy]
        ctx = PickContext(r.backend, r.rng, now, lambda d: buckets_for(d))
        while avail:
            dep = avail[0] if len(avail) == 1 else strategy(stage.name, avail, ctx)
            avail.remove(dep)
            try:
                options = self.call_options(dep, left)
            except SpecwireError as exc:
                self.final_error = exc
                return None
            ok, state, retry_in = r.backend.circuit_acquire(circuit_key(dep.id), now, r.circuit_params)
            if not ok:
                self._cooling(dep, stage, mono + retry_in)
                continue
            estimate = r.estimate(self.dep_request(dep), dep)
            buckets = buckets_for(dep, tokens=estimate)
            if buckets:
                took, wait = r.backend.bucket_take(buckets, now)
                if not took:
                    if state == HALF_OPEN:
                        r.backend.circuit_release(circuit_key(dep.id), now)
                    blocked[dep.id] = wait
                    continue
            r.backend.incr(inflight_key(dep.id))
            self.attempts += 1
            return Attempt(dep, stage, options, estimate, buckets, state == HALF_OPEN, r.clock.monotonic(), self.attempts)
        if blocked:
            wait = min(blocked.values())
            rl = r.config.rate_limit
            if rl.mode == "wait" and wait <= rl.max_wait and (left is None or wait < left):
                return Wait(wait)
            dep_id = min(blocked, key=lambda k: blocked[k])
            self.local_limit = LocalRateLimitError(
                f"deployment {dep_id!r} is at its client-side rate limit (rpm/tpm)",
                provider=next(d.provider for d in stage.deployments if d.id == dep_id), retry_after=wait,
            )
        return None

    def _cooling(self, dep: Deployment, stage: Group, ready_at: float) -> None:
        if ready_at - self.router.clock.monotonic() <= self.router.config.retry.max_retry_after:
            current = self.waitable.get(dep.id)
            if current is None or current[0] < ready_at:
                self.waitable[dep.id] = (ready_at, stage)

    def _retry(self, left: float | None) -> Wait | Fail | None:
        """Every stage has been tried: wait for the first deployment that will be ready again."""
        if self.attempts >= 1 + self.budget:
            return Fail(self.last_error or self._exhausted())
        if not self.waitable:
            return Fail(self._exhausted())
        _, (ready_at, stage) = min(self.waitable.items(), key=lambda kv: kv[1][0])
        wait = max(ready_at - self.router.clock.monotonic(), 0.0)
        if left is not None and wait >= left:
            return Fail(self._deadline_error("would pass before the next retry"))
        ready = {k for k, (t, g) in self.waitable.items() if g.name == stage.name and t <= ready_at}
        for k in ready:
            self.waitable.pop(k)
        self.excluded -= ready
        self.stages = deque([stage])
        self.tried.discard(stage.name)
        return Wait(wait) if wait > 0 else None

    def _exhausted(self) -> SpecwireError:
        if self.last_error is not None:
            return self.last_error
        if self.local_limit is not None:
            return self.local_limit
        soonest = min((t for t, _ in self.waitable.values()), default=None)
        retry_after = None if soonest is None else max(soonest - self.router.clock.monotonic(), 0.0)
        names = ", ".join(d.id for d in self.target.group.deployments) or "none"
        tags = f" with tags {sorted(self.tags)}" if self.tags else ""
        return NoDeploymentAvailableError(f"no deployment{tags} can take a call for {self.target.route!r} now (deployments: {names})", retry_after=retry_after)

    # ------------------------------------------------------------------ outcomes
    def _close(self, att: Attempt) -> None:
        if not att.closed:
            att.closed = True
            self.router.backend.incr(inflight_key(att.dep.id), -1)

    def abandoned(self, att: Attempt) -> None:
        """The caller went away (a ``break``, a cancellation): free the slot, record nothing."""
        if not att.closed:
            self._close(att)
            if att.probe:
                self.router.backend.circuit_release(circuit_key(att.dep.id), self.router.clock.now())

    def succeeded(self, att: Attempt, response: Response, *, ttft: float | None = None) -> None:
        r = self.router
        self._close(att)
        latency = r.clock.monotonic() - att.started
        now = r.clock.now()
        r.backend.circuit_record(circuit_key(att.dep.id), True, now, r.circuit_params)
        first = ttft if ttft is not None else latency
        r.backend.ewma_update(ttft_key(att.dep.id), first, EWMA_ALPHA)
        r.stats.attempt(att.dep.id, ok=True, latency=latency, response=response, ttft=first)
        usage = response.usage
        tpm = [b for b in att.buckets if b.key.endswith(":tpm")]
        if tpm and usage is not None and usage.input_tokens is not None and usage.output_tokens is not None:
            r.backend.bucket_adjust(tpm[0], usage.input_tokens + usage.output_tokens - att.estimate, now)
        self.served_by = att.dep
        r._note(att.dep)

    def failed(self, att: Attempt, error: SpecwireError, *, events: list[Any] | None = None, after_content: bool = False) -> None:
        r = self.router
        self._close(att)
        latency = r.clock.monotonic() - att.started
        now = r.clock.now()
        hint = error.retry_after if isinstance(error, APIStatusError) else None
        if hint is None and isinstance(error, RateLimitError):
            hint = r.config.health.cooldown
        unhealthy = is_unhealthy(error)
        r.backend.circuit_record(circuit_key(att.dep.id), not unhealthy, now, r.circuit_params, hint if unhealthy else None)
        r.stats.attempt(att.dep.id, ok=False, latency=latency, error=error)
        tpm = [b for b in att.buckets if b.key.endswith(":tpm")]
        if tpm and not after_content:
            r.backend.bucket_adjust(tpm[0], -att.estimate, now)
        r._note(att.dep)
        self.last_error = error
        self.last_events = events
        self.failed_by = att.dep
        if after_content:
            self.final_error = error
            return
        kind = r.classify(error)
        if kind == "fatal" or self.attempts >= 1 + self.budget:
            self.final_error = error
            return
        if kind in ("context_window", "content_filter"):
            chain = self.target.context_window_fallbacks if kind == "context_window" else self.target.content_filter_fallbacks
            self.tried.add(att.stage.name)
            groups = self._groups(chain)
            if not groups:
                self.final_error = error
                return
            self.stages = deque(groups)
            self.waitable.clear()
            self.fallbacks += 1
            return
        self.excluded.add(att.dep.id)
        n = self.failures.get(att.dep.id, 0)
        self.failures[att.dep.id] = n + 1
        spec_statuses = r._retry_statuses(att.dep.provider)
        delay = r.policy.delay(error, n, statuses=spec_statuses)
        if delay is not None:
            self._cooling(att.dep, att.stage, r.clock.monotonic() + delay)

    # ------------------------------------------------------------------ the response cache
    def cache_key(self, dep: Deployment) -> str:
        """The response cache's key of this call as ``dep`` would serve it."""
        return cache_key(dep.provider, dep.model, self.dep_request(dep), settings=self.dep_settings(dep),
                         extra_headers=self.dep_headers(dep), namespace=self.router.config.cache.namespace)

    def cached(self) -> tuple[Response, list[Any] | None] | None:
        """The cached ``(response, stream events or None)`` of the first deployment of the
        primary group (with the call's tags) that has one; it becomes :attr:`served_by`."""
        keys: set[str] = set()
        for dep in self.target.group.deployments:
            key = self.cache_key(dep) if self.tags <= dep.tags else None
            if key is None or key in keys:
                continue
            keys.add(key)
            raw = self.router.cache.get(key, left=self.left())
            entry = decode_entry(raw) if raw is not None else None
            if entry is not None:
                self.served_by = dep
                return entry
        return None

    def store(self, dep: Deployment, response: Response, events: list[Any] | None) -> None:
        """Cache what ``dep`` served (not a response that ended in an error)."""
        if response.finish_reason is not None and response.finish_reason.unified == "error":
            return
        cache = self.router.config.cache
        self.router.cache.set(self.cache_key(dep), encode_entry(response, events), cache.ttl, left=self.left())

    # ------------------------------------------------------------------ results
    def annotate(self, response: _Served, *, cache_hit: bool = False) -> _Served:
        """``response`` with ``provider_metadata["router"]``: the ``route``, the ``deployment``
        that served it (for the response of a failed stream's ``error`` event: the deployment of
        the last failed attempt; ``None`` when no attempt was made), ``attempts``, ``fallbacks``
        and ``cache_hit``."""
        dep = self.served_by or self.failed_by
        meta = {
            "route": self.target.route,
            "deployment": dep.id if dep is not None else None,
            "attempts": self.attempts,
            "fallbacks": self.fallbacks,
            "cache_hit": cache_hit,
        }
        return response.model_copy(update={"provider_metadata": {**response.provider_metadata, "router": meta}})


class CallScope:
    """The router as one call's :class:`CallPlan` sees it: the router itself, except that its
    ``backend`` bounds every operation by what is left of the call's ``total`` deadline."""

    def __init__(self, router: Any, total: float | None, started: float, hooks: Hooks | None = None) -> None:
        self._router = router
        self.hooks = hooks  # the router's callbacks plus the call's own
        clock = router.clock
        left = (lambda: None) if total is None else (lambda: started + total - clock.monotonic())
        backend = router.backend
        self.backend = backend.for_deadline(left) if isinstance(backend, FailSafeBackend) else backend

    def __getattr__(self, name: str) -> Any:
        return getattr(self._router, name)
