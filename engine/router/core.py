"""The :class:`Router`: one object that takes a model name and decides which deployment serves it.

``router.complete / stream / acomplete / astream`` take the same arguments as
:class:`specwire.Client`'s calls and return the same things (a :class:`~specwire.Response`, or a
stream with the same event grammar), plus three router options: ``cache=`` (opt in or out of the
response cache for this call), ``tags=`` (only deployments carrying all these tags) and
``max_retries=`` (the call's retry budget across retries *and* fallbacks).  ``timeout=`` is a
:class:`~specwire.retry.Timeouts` (or the read timeout in seconds) whose ``total`` bounds the whole
router call.  ``api_key=`` and ``base_url=`` belong to deployments and are refused on a call.

Each attempt is one library call with ``max_retries=0``: the router runs the only retry loop
(:mod:`specwire.router.plan`), so a fallback never hides behind the library's own retries.  A
stream falls back only while nothing but held-back events (``response_start``, warnings, usage) has
come from the attempt: those are dropped with the failed attempt, so the caller sees one clean
stream from the deployment that served it; after the first content event an error ends the
stream (no fallback).  The final response carries ``provider_metadata["router"]``: ``route``,
``deployment``, ``attempts``, ``fallbacks`` and ``cache_hit``; so does the response of a failed
stream's ``error`` event, its ``deployment`` the one of the last attempt.

Credentials: a deployment's ``api_key_env`` is read at call time from the environment (or the
``env=`` mapping) and is bound to hosts like the library's own keys (:mod:`specwire.binding`): a
variable that a built-in spec declares (``OPENAI_API_KEY``…) may only go to that provider's hosts,
its base-URL variable's host, or ``router.trusted_hosts``; the router refuses the deployment
otherwise (:class:`~specwire.errors.ConfigError`, nothing sent).

This module builds the calls; :mod:`specwire.router.drive` runs each through the public
:class:`specwire.Client` (imported from the package top level when a router is built); the rest of
the router package is pure logic over a :class:`~specwire.router.state.StateBackend`.
"""

from __future__ import annotations

import asyncio
import os
import random
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast, overload

from .. import errors as _errors
from .. import observe
from . import embed as _embed
from .observe import router_observer
from ..binding import check_credential_destination, host_pattern
from ..errors import ConfigError, ContentFilterError, ContextWindowExceededError, DeadlineExceeded, PoolExhaustedError, RequestBuildError, SpecwireError, UnsupportedOperationError
from ..request import check_call_options, check_extra_headers
from ..retry import RetryPolicy, Timeouts
from ..types import Request, Response
from ..validate import request_from
from .cache import BackendCache, MemoryCache, SQLiteCache
from .clock import Clock, SystemClock
from .config import RouterConfig, load_router_config
from .failsafe import FailSafeBackend, FailSafeCache, disabled_cache
from .drive import StreamCall, UnaryCall, adrive, aresult, drive, result
from .plan import CallPlan, CallScope, circuit_key
from .ratelimit import buckets_for, deployment_tokens
from .resolve import Deployment, Resolver, Target, check_resolvable
from .state import CircuitParams, InMemoryBackend, StateBackend
from .health import HealthChecks
from .stats import RouterSnapshot, Stats
from .streams import AsyncRouterStream, RouterStream, ResultHolder
from .strategies import inflight_key

if TYPE_CHECKING:
    from typing import Unpack

    from ..op_types import EmbeddingResponse
    from ..options import Messages, ModelT, RouterCallOptions, RouterCallOptionsWithoutFormat, RouterEmbedOptions

__all__ = ["Router"]

_CALL_ONLY = ("extra_headers", "settings")


class Router(HealthChecks):
    """Routes calls over the deployments of a router config (see the module docstring).

    ``config``: a :class:`RouterConfig`, a dict, or a YAML file path.  ``client``: the
    :class:`specwire.Client` to call through (default: a new one, closed with the router).
    ``backend``: a :class:`StateBackend` (default: from ``state:``, in memory).  ``cache``: a
    response store (default: from ``cache:``); both are wrapped fail-safe
    (:mod:`specwire.router.failsafe`), so their errors never fail a call.  ``clock``, ``rng``:
    time and randomness, injectable for tests.  ``env``: where ``api_key_env`` and ``state.url_env`` are read (default
    ``os.environ`` at call time).  ``registry``: the spec registry (default: the client's).
    ``callbacks`` / ``telemetry``: as for :class:`specwire.Client` (a call adds its own with
    ``callbacks=[…]``), per router call: each attempt's
    ``on_request``/``on_response_headers``, ``on_retry`` for a retry or a fallback, one ``on_finish``
    or ``on_error`` for the call (docs/observability.md).
    """

    def __init__(
        self,
        config: RouterConfig | Mapping[str, Any] | str | Path,
        *,
        client: Any = None,
        backend: StateBackend | None = None,
        cache: Any = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        env: Mapping[str, str] | None = None,
        registry: Any = None,
        callbacks: list[Any] | None = None,
        telemetry: Any = None,
    ) -> None:
        self._hooks = observe.Hooks.of([*(callbacks or ()), *observe.telemetry_consumers(telemetry)])
        if client is None:
            import specwire  # the public API (see the module docstring)

            client = specwire.Client(registry=registry, env=env)
            self._owns_client = True
        else:
            self._owns_client = False
        self.client = client
        self.registry = registry or client.registry
        self.config = load_router_config(config, registry=self.registry)
        self.clock = clock or SystemClock()
        self.rng = rng or random.Random()
        self._env = env
        self.resolver = Resolver(self.config, self.registry)
        check_resolvable(self.resolver)
        h, rc = self.config.health, self.config.retry
        self.circuit_params = CircuitParams.of(h, probe_lease=max(self.config.timeout.total or 0.0, self.config.timeout.read or 0.0, 60.0))
        self.policy = RetryPolicy(max_retries=1 << 30, initial_delay=rc.initial_delay, max_delay=rc.max_delay,
                                  jitter=rc.jitter, max_retry_after=rc.max_retry_after, rng=self.rng)
        self._fallback_on = tuple(getattr(_errors, name) for name in self.config.fallback_on)
        self._owns_backend = backend is None
        self.backend = _fail_safe(backend if backend is not None else self._make_backend())
        self._owns_cache = cache is None
        self.cache = cache if isinstance(cache, FailSafeCache) else FailSafeCache(cache) if cache is not None else self._make_cache()
        self.stats = Stats()
        self._bindings: dict[str, str | None] = {}
        self._seen: dict[str, Deployment] = {}
        self._lock = threading.Lock()
        self._probe_thread: threading.Thread | None = None
        self._probe_stop = threading.Event()
        self._probe_task: asyncio.Task[None] | None = None

    @classmethod
    def from_file(cls, path: str | Path, **kwargs: Any) -> Router:
        return cls(path, **kwargs)

    def __repr__(self) -> str:
        return f"Router(deployments={len(self.config.deployments)}, groups={len(self.config.groups)}, backend={self.backend!r})"

    # ------------------------------------------------------------------ construction helpers
    def _environ(self) -> Mapping[str, str]:
        return self._env if self._env is not None else os.environ

    def _make_backend(self) -> StateBackend:
        s = self.config.state
        if s.backend == "redis":
            from .redis_backend import RedisBackend

            if s.url_env:
                return RedisBackend.from_env(s.url_env, env=self._environ(), prefix=s.prefix, server_time=s.server_time)
            return RedisBackend(s.url, prefix=s.prefix, server_time=s.server_time)
        return InMemoryBackend(max_cache_entries=self.config.cache.max_entries)

    def _make_cache(self) -> FailSafeCache:
        """The configured store, fail-safe (:mod:`specwire.router.failsafe`): a file that cannot be
        opened as a cache (corrupt, unreadable) disables the cache with a warning."""
        c = self.config.cache
        if c.backend == "sqlite":
            try:
                return FailSafeCache(SQLiteCache(c.path or "specwire-router-cache.sqlite3", clock=self.clock.now), what="SQLite response cache")
            except Exception as exc:  # noqa: BLE001 - sqlite3.DatabaseError, OSError…: the cache is an optimisation
                return disabled_cache("SQLite response cache", exc)
        if c.backend == "redis":
            return FailSafeCache(BackendCache(self.backend, clock=self.clock.now), what="Redis response cache")
        return FailSafeCache(MemoryCache(max_entries=c.max_entries, clock=self.clock.now))

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        """Stop health checks; close what the router created (client, backend, cache)."""
        self._close_stores()
        if self._owns_client:
            self.client.close()

    def _close_stores(self) -> None:
        self.stop_health_checks()
        if self._owns_cache:
            self.cache.close()
        if self._owns_backend:
            self.backend.close()

    async def aclose(self) -> None:
        if self._probe_task is not None:
            self._probe_task.cancel()
            try:
                await self._probe_task
            except asyncio.CancelledError:
                pass
            self._probe_task = None
        self._close_stores()
        if self._owns_client:
            await self.client.aclose()

    def __enter__(self) -> Router:
        if self.config.health.probe.enabled:
            self.start_health_checks()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Router:
        if self.config.health.probe.enabled:
            self.astart_health_checks()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ policies used by the plan
    def classify(self, error: BaseException) -> str:
        """``context_window`` | ``content_filter`` | ``retryable`` (in ``fallback_on``) | ``fatal``."""
        if isinstance(error, ContextWindowExceededError):
            return "context_window"
        if isinstance(error, ContentFilterError):
            return "content_filter"
        if isinstance(error, (DeadlineExceeded, PoolExhaustedError)):
            return "fatal"
        if isinstance(error, RequestBuildError):
            # The call's own values were checked before the first attempt, so this one depends on
            # the deployment (its spec cannot express a part, lacks a stream mode…): try the next.
            return "retryable"
        return "retryable" if isinstance(error, self._fallback_on) else "fatal"

    def estimate(self, request: Request, dep: Any = None) -> int:
        """The call's token estimate for ``dep``'s rate limits (:func:`.ratelimit.deployment_tokens`)."""
        return deployment_tokens(self, request, dep)

    def _retry_statuses(self, provider: str) -> frozenset[int] | None:
        try:
            return self.registry.get(provider).retry_statuses  # type: ignore[no-any-return]
        except SpecwireError:
            return None

    def _stream_modes(self, provider: str) -> Mapping[str, Any]:
        try:
            return self.registry.get(provider).stream_modes  # type: ignore[no-any-return]
        except SpecwireError:
            return {}

    def _note(self, dep: Deployment) -> None:
        if dep.dynamic:
            with self._lock:
                self._seen.setdefault(dep.id, dep)

    def _credentials(self, dep: Deployment) -> dict[str, Any]:
        """``api_key`` / ``base_url`` options of a deployment, after the host-binding check."""
        out: dict[str, Any] = {}
        if dep.base_url:
            out["base_url"] = dep.base_url
        if dep.api_key_env:
            key = self._environ().get(dep.api_key_env)
            if not key:
                raise ConfigError(f"deployment {dep.id!r} needs its API key: set {dep.api_key_env}")
            if dep.id not in self._bindings:
                self._bindings[dep.id] = self._binding(dep)
            reason = self._bindings[dep.id]
            if reason is not None:
                raise ConfigError(f"deployment {dep.id!r}: {reason}")
            out["api_key"] = key
        return out

    def _binding(self, dep: Deployment) -> str | None:
        var = dep.api_key_env
        assert var is not None
        opts: dict[str, Any] = {"base_url": dep.base_url} if dep.base_url else {}
        if dep.settings:
            opts["settings"] = dict(dep.settings)
        try:
            url = self.client.url(dep.ref, **opts)
        except UnsupportedOperationError:  # a provider without chat (chat: false): its embed request's host
            url = _embed.embed_url(self.client, dep.ref, opts)
        binding = self.registry.credential_binding(var)
        env = self._environ()
        hosts = None
        if binding is not None:
            hosts = [pattern for pattern, _ in binding]
            hosts += [h for _, url_vars in binding for v in url_vars if env.get(v) and (h := host_pattern(env[v]))]
        return check_credential_destination(url, source=f"env:{var}", bound_hosts=hosts, trusted_hosts=self.config.trusted_hosts)

    # ------------------------------------------------------------------ a call
    def resolve(self, model: str) -> Target:
        """Where a name goes (the primary group and its chains), without calling anything."""
        return self.resolver.resolve(model)

    def _plan(self, model: str, messages: Any, options: dict[str, Any], *, stream: bool, stream_mode: str | None) -> tuple[CallPlan, bool]:
        for name in ("api_key", "base_url"):
            if name in options:
                raise ConfigError(f"{name}= is set per deployment in the router config, not per call")
        # values no deployment could send are refused before the first attempt (no fallback can help)
        check_call_options(options)
        check_extra_headers(options.get("extra_headers"))
        cache_opt = options.pop("cache", None)
        tags = frozenset(options.pop("tags", None) or ())
        timeout = options.pop("timeout", None)
        max_retries = options.pop("max_retries", None)
        call_callbacks = options.pop("callbacks", None)  # this call's own, besides the router's
        hooks = self._hooks.plus(call_callbacks) if self._hooks is not None else observe.Hooks.of(call_callbacks)
        target = self.resolver.resolve(model)
        generic = {k: v for k, v in options.items() if k not in _CALL_ONLY}
        request = request_from(messages, generic, other_options=(*_CALL_ONLY, "cache", "tags", "timeout", "max_retries", "stream_mode", "raise_on_error"))
        t = self.config.timeout
        timeouts = Timeouts.of(timeout) if timeout is not None else Timeouts(
            connect=t.connect, read=t.read, first_event=t.first_event, idle=t.idle, total=t.total, pool=t.pool)
        started = self.clock.monotonic()
        plan = CallPlan(
            router=CallScope(self, timeouts.total, started, hooks), target=target, request=request, options={k: options[k] for k in _CALL_ONLY if k in options},
            stream=stream, stream_mode=stream_mode, tags=tags,
            budget=self.config.retry.retries if max_retries is None else int(max_retries),
            timeouts=timeouts, started=started, estimate=0,
        )
        use_cache = cache_opt if cache_opt is not None else target.cache if target.cache is not None else \
            target.group.cache if target.group.cache is not None else self.config.cache.enabled
        return plan, bool(use_cache)

    def _cache_store(self, plan: CallPlan, dep: Deployment, response: Response, events: list[Any] | None) -> None:
        plan.store(dep, response, events)  # for AttemptEvents (specwire.router.streams)

    def record_call(self, plan: CallPlan, *, ok: bool, response: Any = None, error: BaseException | None = None, cache_hit: bool = False) -> None:
        self.stats.call(plan.target.route, ok=ok, latency=self.clock.monotonic() - plan.started, attempts=plan.attempts,
                        fallbacks=plan.fallbacks, response=response, error=error, cache_hit=cache_hit)

    # ------------------------------------------------------------------ sync API
    @overload
    def complete(self, model: str, messages: Messages, *, response_format: type[ModelT], **options: Unpack[RouterCallOptionsWithoutFormat]) -> Response[ModelT]: ...
    @overload
    def complete(self, model: str, messages: Messages, **options: Unpack[RouterCallOptions]) -> Response: ...
    def complete(self, model: str, messages: Messages, **options: Unpack[RouterCallOptions]) -> Response:
        """Route one call and return the final :class:`~specwire.Response` (raises on failure)."""
        plan, use_cache = self._plan(model, messages, cast("dict[str, Any]", options), stream=False, stream_mode=None)
        obs = router_observer(plan.router.hooks, plan.target.route)
        call = UnaryCall(self, plan, self.client.complete, plan.request.messages, use_cache=use_cache)
        if obs is None:
            return cast(Response, result(call))
        try:
            response: Response = result(call, obs)
        except BaseException as exc:
            obs.error(exc if isinstance(exc, Exception) else None)
            raise
        obs.finish(response)
        return response

    def stream(self, model: str, messages: Messages, *, stream_mode: str | None = None, raise_on_error: bool = True, **options: Unpack[RouterCallOptions]) -> RouterStream:
        """A :class:`RouterStream` of events (sent when iteration starts); resolution and option
        errors are raised here, before any event."""
        plan, use_cache = self._plan(model, messages, cast("dict[str, Any]", options), stream=True, stream_mode=stream_mode)
        holder = ResultHolder()
        obs = router_observer(plan.router.hooks, plan.target.route)
        events = drive(StreamCall(self, plan, holder, use_cache=use_cache), obs)
        return RouterStream(events if obs is None else obs.wrap(events), holder, raise_on_error=raise_on_error)

    # ------------------------------------------------------------------ async API
    async def off_loop(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run a state/cache operation: in a worker thread when the backend does network I/O."""
        if self.backend.blocking or getattr(self.cache, "blocking", False):
            return await asyncio.to_thread(fn, *args)
        return fn(*args)

    @overload
    async def acomplete(self, model: str, messages: Messages, *, response_format: type[ModelT], **options: Unpack[RouterCallOptionsWithoutFormat]) -> Response[ModelT]: ...
    @overload
    async def acomplete(self, model: str, messages: Messages, **options: Unpack[RouterCallOptions]) -> Response: ...
    async def acomplete(self, model: str, messages: Messages, **options: Unpack[RouterCallOptions]) -> Response:
        """Async :meth:`complete`."""
        plan, use_cache = self._plan(model, messages, cast("dict[str, Any]", options), stream=False, stream_mode=None)
        obs = router_observer(plan.router.hooks, plan.target.route)
        call = UnaryCall(self, plan, self.client.acomplete, plan.request.messages, use_cache=use_cache)
        if obs is None:
            return cast(Response, await aresult(call))
        try:
            response: Response = await aresult(call, obs)
        except BaseException as exc:
            if isinstance(exc, Exception):
                await obs.aerror(exc)
            else:
                obs.error(None)  # a cancellation: nothing may be awaited
            raise
        await obs.afinish(response)
        return response

    def astream(self, model: str, messages: Messages, *, stream_mode: str | None = None, raise_on_error: bool = True, **options: Unpack[RouterCallOptions]) -> AsyncRouterStream:
        """Async :meth:`stream`: an :class:`AsyncRouterStream` (``async for``)."""
        plan, use_cache = self._plan(model, messages, cast("dict[str, Any]", options), stream=True, stream_mode=stream_mode)
        holder = ResultHolder()
        obs = router_observer(plan.router.hooks, plan.target.route)
        events = adrive(StreamCall(self, plan, holder, use_cache=use_cache), obs)
        return AsyncRouterStream(events if obs is None else obs.awrap(events), holder, raise_on_error=raise_on_error)

    def embed(self, model: str, inputs: str | Sequence[str], **options: Unpack[RouterEmbedOptions]) -> EmbeddingResponse:
        """Route one embed call (``Client.embed``'s options plus ``tags``, ``timeout``, ``max_retries``): :mod:`specwire.router.embed`."""
        return _embed.embed(self, model, inputs, cast("dict[str, Any]", options))

    async def aembed(self, model: str, inputs: str | Sequence[str], **options: Unpack[RouterEmbedOptions]) -> EmbeddingResponse:
        """Async :meth:`embed`."""
        return await _embed.aembed(self, model, inputs, cast("dict[str, Any]", options))

    def _deployments(self) -> list[Deployment]:
        with self._lock:
            return list(self.resolver.deployments.values()) + list(self._seen.values())

    # ------------------------------------------------------------------ accounting
    def snapshot(self) -> RouterSnapshot:
        """Requests, errors by class, tokens, cost and latency per deployment and per route, with
        each deployment's circuit state, error rate and calls in flight."""
        deps = self._deployments()
        views = self.backend.circuit_view([circuit_key(d.id) for d in deps], self.clock.now(), self.circuit_params)
        counts = self.backend.get_counts([inflight_key(d.id) for d in deps])
        live = {d.id: (n, v.state, v.error_rate) for d, v, n in zip(deps, views, counts)}
        return self.stats.snapshot(now=self.clock.now(), live=live, state=self.backend, cache=self.cache)

    def bucket_levels(self, dep_id: str) -> dict[str, float]:
        """The current fill of a deployment's ``rpm``/``tpm`` buckets (for dashboards and tests)."""
        dep = self.resolver.deployments[dep_id]
        buckets = buckets_for(dep)
        levels = self.backend.bucket_levels(buckets, self.clock.now())
        return {b.key.rsplit(":", 1)[1]: level for b, level in zip(buckets, levels)}


def _fail_safe(backend: StateBackend) -> StateBackend:
    """A shared backend wrapped so that its failures degrade to per-process state (the
    in-process backend cannot fail and is used as it is)."""
    return backend if isinstance(backend, (InMemoryBackend, FailSafeBackend)) else FailSafeBackend(backend)

