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

from ..streams import AsyncStream, Stream
from ..types import CONTENT_EVENT_TYPES, Finish, Response, StreamEvent

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
    :class:`specwire.Stream` whose ``partial`` is that of the attempt that reached the caller (or
    the cached response)."""

    def __init__(self, events: Iterator[StreamEvent], holder: ResultHolder, *, raise_on_error: bool = True) -> None:
        super().__init__(events, raise_on_error=raise_on_error)
        self._holder = holder

    @property
    def partial(self) -> Response | None:
        """The response assembled so far by the attempt that reached the caller."""
        return self._holder.partial()


class AsyncRouterStream(AsyncStream):
    """Async :class:`RouterStream` (``async for``): a :class:`specwire.AsyncStream`."""

    def __init__(self, events: AsyncIterator[StreamEvent], holder: ResultHolder, *, raise_on_error: bool = True) -> None:
        super().__init__(events, raise_on_error=raise_on_error)
        self._holder = holder

    @property
    def partial(self) -> Response | None:
        """The response assembled so far by the attempt that reached the caller."""
        return self._holder.partial()



class AttemptEvents:
    """The hold-back machine of one stream attempt: non-content events wait for the first content
    event; an error before it is a failed attempt (the events are dropped); a finish or an error
    after it ends the call."""

    def __init__(self, router: Any, plan: Any, att: Any, use_cache: bool) -> None:
        self.router, self.plan, self.att, self.use_cache = router, plan, att, use_cache
        self.held: list[Any] = []
        self.seen: list[Any] = []
        self.delivered = False
        self.ttft: float | None = None

    def feed(self, event: Any) -> tuple[list[Any], bool | None]:
        """``(events for the caller, None | True (call over) | False (try the next attempt))``."""
        kind = event.type
        if not self.delivered:
            if kind in CONTENT_EVENT_TYPES:
                self.delivered = True
                self.ttft = self.router.clock.monotonic() - self.att.started
                out, self.held = [*self.held, event], []
                self.seen += out
                return out, None
            if kind == "error":
                self.plan.failed(self.att, event.error, events=[*self.held, event])
                return [], False
            if kind != "finish":
                self.held.append(event)
                return [], None
        if kind == "finish":
            out, self.held = [*self.held], []
            self.seen += out + [event]
            self.plan.succeeded(self.att, event.response, ttft=self.ttft)
            if self.use_cache:
                self.router._cache_store(self.plan, self.att.dep, event.response, self.seen)
            self.router.record_call(self.plan, ok=True, response=event.response)
            return [*out, Finish(response=self.plan.annotate(event.response))], True
        if kind == "error":
            self.plan.failed(self.att, event.error, after_content=True)
            self.router.record_call(self.plan, ok=False, error=event.error)
            return [event], True
        self.seen.append(event)
        return [event], None

    def ended(self) -> bool:
        """The inner stream ended without a terminal event (it was closed): the call is over."""
        self.plan.abandoned(self.att)
        return True
