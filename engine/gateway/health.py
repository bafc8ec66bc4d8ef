"""The gateway's readiness (``GET /health/ready``): :class:`Readiness`.

The gateway is ready when all three checks pass:

* ``started``: the app's lifespan has started (its router built) and not yet ended;
* ``state_backend``: the router's shared state backend answers (a Redis state backend: one
  cheap read through the router's own connection, bounded by ``timeout``; the in-process
  backend always answers; the read runs in a worker thread, which the backend's own socket
  timeouts end: the Redis backend's are 0.5 s);
* ``deployments``: at least one deployment is reachable: a TCP connection to the host and port
  of its base URL opens within ``timeout`` (nothing is sent, so no provider key leaves the
  process) and its circuit (:mod:`specwire.router.state`) is not open.  The outcome of each
  host is kept for ``ttl`` seconds, so frequent probes do not hammer the providers.  A
  deployment whose URL cannot be worked out without a call (e.g. a setting it lacks) counts as
  reachable: only a call can tell.

:meth:`Readiness.check` gives the status (200 or 503) and a body naming each check's outcome
(``ok`` or why not) and the ``failed`` ones; it names no host, URL or key (the endpoint needs no
gateway key).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import anyio

__all__ = ["READY_TIMEOUT", "READY_TTL", "Readiness"]

#: Seconds one readiness probe (the backend read, one TCP connect) may take.
READY_TIMEOUT = 1.0
#: Seconds a host's reachability is remembered.
READY_TTL = 5.0
_PORTS = {"https": 443, "http": 80, "wss": 443, "ws": 80}
_READY_KEY = "gateway:ready"  # the counter key the backend check reads (never written)


class Readiness:
    """The readiness checks of one gateway over ``router`` (see the module docstring).
    ``started``: whether the app has started; ``timeout`` and ``ttl`` in seconds."""

    def __init__(self, router: Any, started: Callable[[], bool], *, timeout: float = READY_TIMEOUT, ttl: float = READY_TTL) -> None:
        self.router, self.started, self.timeout, self.ttl = router, started, timeout, ttl
        self._hosts: dict[tuple[str, int], tuple[float, bool]] = {}  # (host, port) -> (monotonic time checked, reachable)
        self._targets: list[tuple[str, tuple[str, int] | None]] | None = None

    async def check(self) -> tuple[int, dict[str, Any]]:
        """``(status, body)``: 200 when every check passed, else 503; ``body`` is
        ``{"status": "ready" | "not ready", "checks": {name: "ok" | reason}, "failed": [names]}``."""
        checks: dict[str, str] = {"started": "ok" if self.started() else "the app has not started (or is shutting down)"}
        results: dict[str, str] = {}

        async def run(name: str, fn: Callable[[], Any]) -> None:
            results[name] = await fn()

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(run, "state_backend", self._backend)
            tasks.start_soon(run, "deployments", self._deployments)
        checks.update(state_backend=results["state_backend"], deployments=results["deployments"])
        failed = [name for name, outcome in checks.items() if outcome != "ok"]
        body = {"status": "not ready" if failed else "ready", "checks": checks, "failed": failed}
        return (503 if failed else 200), body

    # ------------------------------------------------------------------ the shared state backend
    async def _backend(self) -> str:
        backend = self.router.backend
        if not getattr(backend, "blocking", False):
            return "ok"  # in process: nothing to reach
        primary = getattr(backend, "primary", backend)  # past the fail-safe wrapper: its fallback would always answer
        try:
            with anyio.fail_after(self.timeout):
                await anyio.to_thread.run_sync(_read, primary)
        except TimeoutError:
            return f"the shared state backend did not answer within {self.timeout:g} s"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready; its text may hold a URL
            return f"the shared state backend failed ({type(exc).__name__})"
        return "ok"

    # ------------------------------------------------------------------ the deployments
    def _endpoints(self) -> list[tuple[str, tuple[str, int] | None]]:
        """Each deployment's id and the (host, port) of its URL (``None``: not known without a call)."""
        if self._targets is None:
            self._targets = []
            for dep in list(self.router.resolver.deployments.values()):
                self._targets.append((dep.id, _address(self.router.client, dep)))
        return self._targets

    async def _reachable(self, address: tuple[str, int]) -> bool:
        now = time.monotonic()
        known = self._hosts.get(address)
        if known is not None and now - known[0] < self.ttl:
            return known[1]
        try:
            with anyio.fail_after(self.timeout):
                stream = await anyio.connect_tcp(*address)
            await stream.aclose()
            ok = True
        except (OSError, TimeoutError):
            ok = False
        self._hosts[address] = (time.monotonic(), ok)
        return ok

    async def _deployments(self) -> str:
        targets = self._endpoints()
        if not targets:
            return "the router has no deployments"
        up: dict[tuple[str, int], bool] = {}

        async def probe(address: tuple[str, int]) -> None:
            up[address] = await self._reachable(address)

        async with anyio.create_task_group() as tasks:
            for address in {a for _, a in targets if a is not None}:
                tasks.start_soon(probe, address)
        open_ids = await self._open_circuits([d for d, _ in targets])
        reachable = [d for d, a in targets if (a is None or up[a]) and d not in open_ids]
        if reachable:
            return "ok"
        down = sum(1 for _, a in targets if a is not None and not up[a])
        return f"no deployment is reachable ({down} of {len(targets)} unreachable, {len(open_ids)} with an open circuit)"

    async def _open_circuits(self, ids: list[str]) -> set[str]:
        """The deployments among ``ids`` whose circuit is open (read through the router's
        fail-safe backend; an error reads as none open)."""
        from ..router.plan import circuit_key
        from ..router.state import OPEN

        router = self.router

        def views() -> list[Any]:
            return list(router.backend.circuit_view([circuit_key(i) for i in ids], router.clock.now(), router.circuit_params))

        try:
            with anyio.fail_after(self.timeout):
                found = await anyio.to_thread.run_sync(views) if router.backend.blocking else views()
        except Exception:  # noqa: BLE001 - circuits unknown: the TCP probe decides
            return set()
        return {i for i, v in zip(ids, found) if v.state == OPEN}


def _read(backend: Any) -> None:
    """One cheap read of ``backend`` (a counter; the Redis backend's socket steps have their own
    timeouts, and the caller stops waiting after its own)."""
    backend.get_counts([_READY_KEY])


def _address(client: Any, dep: Any) -> tuple[str, int] | None:
    """The (host, port) a deployment's calls go to, or ``None`` when it cannot be worked out
    without a call (no chat and no embeddings URL, a missing setting)."""
    from ..errors import SpecwireError

    try:
        url = str(client.url(dep.ref, base_url=dep.base_url, settings=dep.settings or None))
    except SpecwireError:
        from ..router.embed import embed_url

        try:
            url = embed_url(client, dep.ref, {"base_url": dep.base_url, "settings": dep.settings or None})
        except SpecwireError:
            return None
    parts = urlsplit(url)
    if not parts.hostname:
        return None
    try:
        port = parts.port or _PORTS.get(parts.scheme)
    except ValueError:
        return None
    return (parts.hostname, port) if port else None
