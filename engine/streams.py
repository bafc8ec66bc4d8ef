"""The stream objects a call returns: :class:`Stream` and :class:`AsyncStream` (see the module
docstring of :mod:`specwire.client` for how iteration, errors and closing behave).  The Router's
streams (:mod:`specwire.router.streams`) are these, with their own ``partial``.

:class:`HoldBack` is the one hold-back rule of an attempt's events, used by a call's retry loop
(:class:`specwire.call.Run`) and by the Router's fallbacks (:mod:`specwire.router.streams`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any, Self

from .aio import close_once, finish
from .vocabulary import CONTENT_EVENT_TYPES

if TYPE_CHECKING:
    from .call import Run
    from .types import Response, StreamEvent

__all__ = ["AsyncStream", "HoldBack", "Stream", "partial_response"]

_TERMINAL = frozenset({"finish", "error"})


class HoldBack:
    """The hold-back of one attempt's events (pure): events other than content (usage, warnings,
    metadata) wait for the first content event (text, reasoning, a tool call), so that an attempt
    that fails before it can be retried, or replaced by a fallback, without the caller having seen
    any of them.  A ``finish`` before any content releases what was held; an ``error`` before it
    fails the attempt (its held events stay in :attr:`held`).  From the first content event on,
    every event passes at once (:attr:`delivered`)."""

    __slots__ = ("delivered", "held")

    def __init__(self) -> None:
        self.held: list[Any] = []
        self.delivered = False

    def push(self, events: list[Any]) -> tuple[list[Any], Any]:
        """``(events for the caller now, the error event that failed the attempt before its first
        content event, or None)``."""
        if self.delivered:
            return events, None
        out: list[Any] = []
        for i, event in enumerate(events):
            kind = event.type
            if kind in CONTENT_EVENT_TYPES:
                self.delivered = True
                out += self.held
                out += events[i:]
                self.held = []
                return out, None
            if kind == "error":
                return out, event
            if kind == "finish":
                out += self.held
                out.append(event)
                self.held = []
            else:
                self.held.append(event)
        return out, None

    def take(self) -> list[Any]:
        """The held events, now released from the hold (a failed attempt's)."""
        held, self.held = self.held, []
        return held


def partial_response(run: Run | None) -> Response | None:
    if run is None:
        return None
    return run.proc.assembler.response(partial=not run.proc.finished)


class _Outcome:
    """What :class:`Stream` and :class:`AsyncStream` keep of their events: the final response or
    the error, and the partial response (of ``run``, or given by ``partial``)."""

    def __init__(self, events: Any, *, raise_on_error: bool, run: Run | None, partial: Callable[[], Response | None] | None = None) -> None:
        self._events = events
        self._run = run
        self._partial = partial
        self._raise = raise_on_error
        self.response: Response | None = None
        self.error: Exception | None = None
        self._done = False

    def _note(self, event: Any) -> None:
        if event.type == "finish":
            self.response = event.response
        else:
            self.error = event.error

    @property
    def partial(self) -> Response | None:
        """The response assembled so far (after an error, a ``break`` or a cancellation too),
        with whatever usage the provider reported."""
        return self._partial() if self._partial is not None else partial_response(self._run)

    def _result(self) -> Response:
        """The final response of a stream run to its end (raises its error)."""
        if self.error is not None:
            raise self.error
        if self.response is None:
            raise RuntimeError("the stream was closed before it finished")
        return self.response


class Stream(_Outcome):
    """An iterable of stream events; see the module docstring.  Single-pass: iterate it in one
    loop (leaving that loop releases the connection, and the stream is then over).  ``response``
    holds the final :class:`Response` once the stream finished (``None`` before, or after an
    error)."""

    def __init__(self, events: Iterator[StreamEvent], *, raise_on_error: bool = True, run: Run | None = None) -> None:
        super().__init__(events, raise_on_error=raise_on_error, run=run)

    def __iter__(self) -> Iterator[StreamEvent]:
        # A fresh generator each time, referenced only by the loop: a `break` drops it at once and
        # its `finally` releases the connection.  So a stream is single-pass: iterate it in one loop.
        return self._iterate()

    def _iterate(self) -> Iterator[StreamEvent]:
        if self._done:
            return
        try:
            for event in self._events:
                if event.type in _TERMINAL:
                    self._note(event)
                yield event
        finally:
            self.close()
        if self.error is not None and self._raise:
            raise self.error

    def close(self) -> None:
        """Stop and release the connection (safe to call more than once)."""
        self._done = True
        close = getattr(self._events, "close", None)
        if close is not None:
            close()

    def until_done(self) -> Response:
        """Consume the rest of the stream and return the final response (raises on error)."""
        for _ in self:
            pass
        return self._result()

    def text(self) -> Iterator[str]:
        """Only the text deltas (raises on error)."""
        for event in self:
            if event.type == "text_delta":
                yield event.delta
        if self.error is not None:
            raise self.error

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncStream(_Outcome):
    """Async :class:`Stream` (``async for event in stream``)."""

    def __init__(self, events: AsyncIterator[StreamEvent], *, raise_on_error: bool = True, run: Run | None = None) -> None:
        super().__init__(events, raise_on_error=raise_on_error, run=run)
        self._closing: asyncio.Future[Any] | None = None

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[StreamEvent]:
        if self._done:
            return
        try:
            async for event in self._events:
                if event.type in _TERMINAL:
                    self._note(event)
                yield event
        finally:
            await self.aclose()
        if self.error is not None and self._raise:
            raise self.error

    async def aclose(self) -> None:
        """Stop and release the connection (safe to call more than once, and concurrently: the
        release finishes even if the calling task is cancelled, which is then re-raised)."""
        self._done = True
        closing = close_once(self, self._events)
        if closing is not None:
            await finish(closing)

    async def until_done(self) -> Response:
        """Consume the rest of the stream and return the final response (raises on error)."""
        async for _ in self:
            pass
        return self._result()

    async def text(self) -> AsyncIterator[str]:
        """Only the text deltas (raises on error)."""
        async for event in self:
            if event.type == "text_delta":
                yield event.delta
        if self.error is not None:
            raise self.error

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
