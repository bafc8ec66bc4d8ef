"""A router call's observer (docs/observability.md): the router's own log records on
``specwire.router`` (retries, fallbacks at WARNING, the call's end) and its callbacks, with each
attempt's ``on_request``/``on_response_headers`` forwarded from the library call."""

from __future__ import annotations

import inspect
import logging
from dataclasses import replace
from typing import Any

from ..observe import CallObserver, Hooks, RequestEvent, ResponseHeadersEvent, RetryEvent, router_log, run_async, run_sync

__all__ = ["RouterObserver", "router_observer"]


class RouterObserver(CallObserver):
    """A router call's observer: the router's own records and callbacks (retries, fallbacks, the
    call's end), and a forwarder that passes each attempt's ``on_request`` /
    ``on_response_headers`` from the library call to the router's callbacks, renumbered as the
    router's attempts under the router call's ``call_id``."""

    def __init__(self, hooks: Hooks | None, *, route: str, log: logging.Logger = router_log) -> None:
        super().__init__(hooks, provider="router", model=route, log=log)
        self.waited = 0.0
        self.deployment: str | None = None

    def _begin(self, dep: Any, options: dict[str, Any], last_error: BaseException | None) -> tuple[dict[str, Any], RetryEvent | None]:
        previous, number = self.deployment, self.attempts
        self.deployment, self.provider, self.model = dep.id, dep.provider, dep.model
        self.attempts += 1
        event = None
        if number and last_error is not None:
            event = self._retry(number - 1, last_error, self.waited, deployment=dep.id, fallback=dep.id != previous)
        self.waited = 0.0
        if self.hooks is not None and (self.hooks.on_request or self.hooks.on_response_headers):
            options = {**options, "callbacks": [_Forward(self)]}
        return options, event

    def attempt(self, dep: Any, options: dict[str, Any], last_error: BaseException | None) -> dict[str, Any]:
        """The library call options of the next attempt; runs ``on_retry`` when one failed before."""
        options, event = self._begin(dep, options, last_error)
        if event is not None:
            run_sync(self.hooks.on_retry, event)  # type: ignore[union-attr]
        return options

    async def aattempt(self, dep: Any, options: dict[str, Any], last_error: BaseException | None) -> dict[str, Any]:
        options, event = self._begin(dep, options, last_error)
        if event is not None:
            await run_async(self.hooks.on_retry, event)  # type: ignore[union-attr]
        return options


class _Forward:
    """The per-attempt callbacks consumer a router passes to the library call."""

    def __init__(self, owner: RouterObserver) -> None:
        self.owner = owner

    def _relay(self, fns: tuple[Any, ...], event: Any) -> Any:
        """Run the plain callbacks now; return the ``async def`` ones as one awaitable, which an
        async library call awaits and a sync one closes (skips)."""
        event = replace(event, call_id=self.owner.call_id, attempt=self.owner.attempts)
        run_sync(tuple(fn for fn in fns if not inspect.iscoroutinefunction(fn)), event)
        later = tuple(fn for fn in fns if inspect.iscoroutinefunction(fn))
        return run_async(later, event) if later else None

    def on_request(self, event: RequestEvent) -> Any:
        return self._relay(self.owner.hooks.on_request, event)  # type: ignore[union-attr]

    def on_response_headers(self, event: ResponseHeadersEvent) -> Any:
        return self._relay(self.owner.hooks.on_response_headers, event)  # type: ignore[union-attr]


def router_observer(hooks: Hooks | None, route: str) -> RouterObserver | None:
    """A :class:`RouterObserver`, or ``None`` when nobody observes (see :func:`observer`)."""
    if hooks is None and not router_log.isEnabledFor(logging.INFO):
        return None
    return RouterObserver(hooks, route=route)
