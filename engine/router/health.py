"""Active health checks of the :class:`~specwire.router.Router` (``health.probe``, off by default).

A probe is a cheap completion (``prompt``, ``max_output_tokens``, one attempt, ``timeout``) sent to
a deployment through the same credentials and host binding as real calls.  It goes through the
circuit like a call: while a circuit is open and cooling down the deployment is not probed (the
cooldown, e.g. a ``retry-after``, is honoured); once the cooldown is over the probe is the
half-open test call; its outcome is recorded like a call's (a failure counts against the
deployment, a success closes a half-open circuit) and a success updates the latency average.
:meth:`probe` / :meth:`aprobe` run one round; :meth:`start_health_checks` (a daemon thread) and
:meth:`astart_health_checks` (a task of the running loop) repeat it every ``interval`` seconds
until the router is closed; ``with Router(...)`` / ``async with`` start them when
``health.probe.enabled`` is true.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from ..errors import SpecwireError
from ..retry import Timeouts
from .plan import Attempt, circuit_key, is_unhealthy
from .resolve import Deployment
from .strategies import EWMA_ALPHA, inflight_key, ttft_key

__all__ = ["HealthChecks"]


class HealthChecks:
    """Mixed into :class:`~specwire.router.Router` (uses its client, backend, clock and config)."""

    backend: Any
    clock: Any
    client: Any
    config: Any
    circuit_params: Any
    _probe_thread: threading.Thread | None
    _probe_stop: threading.Event
    _probe_task: asyncio.Task[None] | None

    def _deployments(self) -> list[Deployment]:
        raise NotImplementedError

    def _credentials(self, dep: Deployment) -> dict[str, Any]:
        raise NotImplementedError

    async def off_loop(self, fn: Any, *args: Any) -> Any:
        raise NotImplementedError

    def _probe_one(self, dep: Deployment) -> tuple[Attempt | None, dict[str, Any] | None]:
        now = self.clock.now()
        ok, state, _ = self.backend.circuit_acquire(circuit_key(dep.id), now, self.circuit_params)
        if not ok:
            return None, None
        p = self.config.health.probe
        try:
            opts = {**self._credentials(dep), "max_output_tokens": p.max_output_tokens, "max_retries": 0,
                    "timeout": Timeouts(connect=p.timeout, read=p.timeout, total=p.timeout, pool=p.timeout)}
            if dep.settings:
                opts["settings"] = dict(dep.settings)
        except SpecwireError:
            if state == "half_open":
                self.backend.circuit_release(circuit_key(dep.id), now)
            return None, None
        self.backend.incr(inflight_key(dep.id))
        att = Attempt(dep, None, opts, 0, [], state == "half_open", self.clock.monotonic(), 0)  # type: ignore[arg-type]
        return att, opts

    def _probe_done(self, att: Attempt, error: BaseException | None) -> bool:
        att.closed = True
        self.backend.incr(inflight_key(att.dep.id), -1)
        now = self.clock.now()
        ok = error is None or not is_unhealthy(error)
        hint = getattr(error, "retry_after", None) if not ok else None
        self.backend.circuit_record(circuit_key(att.dep.id), ok, now, self.circuit_params, hint)
        if error is None:
            self.backend.ewma_update(ttft_key(att.dep.id), self.clock.monotonic() - att.started, EWMA_ALPHA)
        return ok

    def probe(self, deployments: list[str] | None = None) -> dict[str, bool | None]:
        """One active health check of each deployment (or of those named): a cheap completion
        (``health.probe``).  ``True`` healthy, ``False`` failed (recorded on its circuit), ``None``
        skipped (its circuit is cooling down: a probe would not honour the cooldown)."""
        out: dict[str, bool | None] = {}
        for dep in self._deployments():
            if deployments is not None and dep.id not in deployments:
                continue
            att, opts = self._probe_one(dep)
            if att is None or opts is None:
                out[dep.id] = None
                continue
            error: BaseException | None = None
            try:
                self.client.complete(dep.ref, self.config.health.probe.prompt, **opts)
            except SpecwireError as exc:
                error = exc
            out[dep.id] = self._probe_done(att, error)
        return out

    async def aprobe(self, deployments: list[str] | None = None) -> dict[str, bool | None]:
        """Async :meth:`probe` (the deployments are probed concurrently)."""

        async def one(dep: Deployment) -> tuple[str, bool | None]:
            att, opts = await self.off_loop(self._probe_one, dep)
            if att is None or opts is None:
                return dep.id, None
            error: BaseException | None = None
            try:
                await self.client.acomplete(dep.ref, self.config.health.probe.prompt, **opts)
            except SpecwireError as exc:
                error = exc
            return dep.id, await self.off_loop(self._probe_done, att, error)

        deps = [d for d in self._deployments() if deployments is None or d.id in deployments]
        return dict(await asyncio.gather(*(one(d) for d in deps)))

    def start_health_checks(self) -> None:
        """Probe every ``health.probe.interval`` seconds in a daemon thread until :meth:`close`."""
        if self._probe_thread is not None:
            return
        self._probe_stop.clear()

        def loop() -> None:
            while not self._probe_stop.wait(self.config.health.probe.interval):
                try:
                    self.probe()
                except Exception:  # noqa: BLE001 - a probe round must never kill the thread
                    continue

        self._probe_thread = threading.Thread(target=loop, name="specwire-router-probe", daemon=True)
        self._probe_thread.start()

    def astart_health_checks(self) -> None:
        """Probe every interval in a task of the running event loop until :meth:`aclose`."""
        if self._probe_task is not None:
            return

        async def loop() -> None:
            while True:
                await self.clock.asleep(self.config.health.probe.interval)
                try:
                    await self.aprobe()
                except Exception:  # noqa: BLE001
                    continue

        self._probe_task = asyncio.get_running_loop().create_task(loop())

    def stop_health_checks(self) -> None:
        if self._probe_thread is not None:
            self._probe_stop.set()
            self._probe_thread.join()
            self._probe_thread = None

