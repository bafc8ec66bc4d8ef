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

from ..aio import close_once, finish
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


class RouterStream:
    """An iterable of stream events from a :class:`~specwire.router.Router` (see the module docstring)."""

    def __init__(self, events: Iterator[StreamEvent], holder: ResultHolder, *, raise_on_error: bool = True) -> None:
        self._events = events
        self._holder = holder
        self._raise = raise_on_error
        self.response: Response | None = None
        self.error: Exception | None = None
        self._done = False

    def __iter__(self) -> Iterator[StreamEvent]:
        return self._iterate()

    def _iterate(self) -> Iterator[StreamEvent]:
        if self._done:
            return
        try:
            for event in self._events:
                if isinstance(event, Finish):
                    self.response = event.response
                elif isinstance(event, ErrorEvent):
                    self.error = event.error
                yield event
        finally:
            self.close()
        if self.error is not None and self._raise:
            raise self.error

    @property
    def partial(self) -> Response | None:
        return self._holder.partial()

    def close(self) -> None:
        self._done = True
        close = getattr(self._events, "close", None)
        if close is not None:
            close()

    def until_done(self) -> Response:
        for _ in self:
            pass
        if self.error is not None:
            raise self.error
        if self.response is None:
            raise RuntimeError("the stream was closed before it finished")
        return self.response

    def text(self) -> Iterator[str]:
        for event in self:
            if event.type == "text_delta":
                yield event.delta
        if self.error is not None:
            raise self.error

    def __enter__(self) -> RouterStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncRouterStream:
    """Async :class:`RouterStream` (``async for``)."""

    def __init__(self, events: AsyncIterator[StreamEvent], holder: ResultHolder, *, raise_on_error: bool = True) -> None:
        self._events = events
        self._holder = holder
        self._raise = raise_on_error
        self.response: Response | None = None
        self.error: Exception | None = None
        self._done = False
        self._closing: Any = None

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[StreamEvent]:
        if self._done:
            return
        try:
            async for event in self._events:
                if isinstance(event, Finish):
                    self.response = event.response
                elif isinstance(event, ErrorEvent):
                    self.error = event.error
                yield event
        finally:
            await self.aclose()
        if self.error is not None and self._raise:
            raise self.error

    @property
    def partial(self) -> Response | None:
        return self._holder.partial()

    async def aclose(self) -> None:
        """Stop and release the connection; see :meth:`specwire.AsyncStream.aclose`."""
        self._done = True
        closing = close_once(self, self._events)
        if closing is not None:
            await finish(closing)

    async def until_done(self) -> Response:
        async for _ in self:
            pass
        if self.error is not None:
            raise self.error
        if self.response is None:
            raise RuntimeError("the stream was closed before it finished")
        return self.response

    async def text(self) -> AsyncIterator[str]:
        async for event in self:
            if event.type == "text_delta":
                yield event.delta
        if self.error is not None:
            raise self.error

    async def __aenter__(self) -> AsyncRouterStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


_CONTENT = frozenset({"text_start", "text_delta", "text_end", "reasoning_start", "reasoning_delta", "reasoning_end",
                      "tool_call_start", "tool_call_delta", "tool_call_end"})


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
            if kind in _CONTENT:
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
            self.router._record_call(self.plan, ok=True, response=event.response)
            return [*out, Finish(response=self.plan.annotate(event.response))], True
        if kind == "error":
            self.plan.failed(self.att, event.error, after_content=True)
            self.router._record_call(self.plan, ok=False, error=event.error)
            return [event], True
        self.seen.append(event)
        return [event], None

    def ended(self) -> bool:
        """The inner stream ended without a terminal event (it was closed): the call is over."""
        self.plan.abandoned(self.att)
        return True
