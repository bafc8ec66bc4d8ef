"""The stream objects a router returns: :class:`RouterStream` and :class:`AsyncRouterStream`.

They behave like :class:`specwire.Stream` / :class:`specwire.AsyncStream`: iterate once; the events
end with exactly one ``finish`` or ``error``; ``raise_on_error=True`` (the default) raises the error
after its event; ``response`` / ``error`` hold the outcome; ``partial`` is the response assembled
so far by the attempt that reached the caller; ``close()`` / ``aclose()`` or leaving the
``with`` block releases the connection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from ..streams import AsyncStream, HoldBack, Stream
from ..types import ErrorEvent, Finish, Response, StreamEvent

__all__ = ["AsyncRouterStream", "RouterStream"]


class ResultHolder:
    """What the running call exposes to its stream object: the current attempt's inner stream."""

    inner: Any = None
    cached: Response | None = None

    def partial(self) -> Response | None:
        if self.cached is not None:
            return self.cached
        return getattr(self.inner, "partial", None) if self.inner is not None else None


class RouterStream(Stream):
    """An iterable of stream events from a :class:`~specwire.router.Router`: a
    :class:`specwire.Stream` whose ``partial`` is the response assembled so far by the attempt
    that reached the caller (or the cached response)."""

    def __init__(self, events: Iterator[StreamEvent], holder: ResultHolder, *, raise_on_error: bool = True) -> None:
        super().__init__(events, raise_on_error=raise_on_error)
        self._partial = holder.partial


class AsyncRouterStream(AsyncStream):
    """Async :class:`RouterStream` (``async for``): a :class:`specwire.AsyncStream`."""

    def __init__(self, events: AsyncIterator[StreamEvent], holder: ResultHolder, *, raise_on_error: bool = True) -> None:
        super().__init__(events, raise_on_error=raise_on_error)
        self._partial = holder.partial


class AttemptEvents:
    """One stream attempt of a routed call: its events go through the same hold-back as a call's
    retries (:class:`specwire.streams.HoldBack`), so an error before the first content event is a
    failed attempt (its events are dropped and the next deployment is tried); a finish, or an
    error after the first content event, ends the call."""

    def __init__(self, router: Any, plan: Any, att: Any, use_cache: bool) -> None:
        self.router, self.plan, self.att, self.use_cache = router, plan, att, use_cache
        self.hold = HoldBack()
        self.seen: list[Any] = []
        self.ttft: float | None = None

    def feed(self, event: Any) -> tuple[list[Any], bool | None]:
        """``(events for the caller, None | True (call over) | False (try the next attempt))``."""
        out, failed = self.hold.push([event])
        if failed is not None:
            self.plan.failed(self.att, failed.error, events=[*self.hold.held, failed])
            return [], False
        if not out:
            return out, None
        if self.ttft is None and self.hold.delivered:
            self.ttft = self.router.clock.monotonic() - self.att.started
        last = out[-1]
        if last.type == "finish":
            self.seen += out
            self.plan.succeeded(self.att, last.response, ttft=self.ttft)
            if self.use_cache:
                self.router._cache_store(self.plan, self.att.dep, last.response, self.seen)
            self.router.record_call(self.plan, ok=True, response=last.response)
            return [*out[:-1], Finish(response=self.plan.annotate(last.response))], True
        if last.type == "error":  # after the first content event
            self.plan.failed(self.att, last.error, after_content=True)
            self.router.record_call(self.plan, ok=False, error=last.error)
            return [*out[:-1], ErrorEvent(error=last.error, response=self.plan.annotate(last.response))], True
        self.seen += out
        return out, None

    def ended(self) -> bool:
        """The inner stream ended without a terminal event (it was closed): the call is over."""
        self.plan.abandoned(self.att)
        return True
