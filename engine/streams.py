"""The stream objects a call returns: :class:`Stream` and :class:`AsyncStream` (see the module
docstring of :mod:`specwire.client` for how iteration, errors and closing behave).  The Router's
streams (:mod:`specwire.router.streams`) are these, with their own ``partial``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, Self

from .aio import close_once, finish
from .types import ErrorEvent, Finish, Response, StreamEvent

if TYPE_CHECKING:
    from .attempts import Run

__all__ = ["AsyncStream", "Stream", "partial_response"]


def partial_response(run: Run | None) -> Response | None:
    if run is None:
        return None
    return run.proc.assembler.response(partial=not run.proc.finished)


class Stream:
    """An iterable of stream events; see the module docstring.  Single-pass: iterate it in one
    loop (leaving that loop releases the connection, and the stream is then over).  ``response``
    holds the final :class:`Response` once the stream finished (``None`` before, or after an
    error)."""

    def __init__(self, events: Iterator[StreamEvent], *, raise_on_error: bool = True, run: Run | None = None) -> None:
        self._events = events
        self._run = run
        self._raise = raise_on_error
        self.response: Response | None = None
        self.error: Exception | None = None
        self._done = False

    def __iter__(self) -> Iterator[StreamEvent]:
        # A fresh generator each time, referenced only by the loop: a `break` drops it at once and
        # its `finally` releases the connection.  So a stream is single-pass: iterate it in one loop.
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
        """The response assembled so far (after an error, a ``break`` or a cancellation too),
        with whatever usage the provider reported."""
        return partial_response(self._run)

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
        if self.error is not None:
            raise self.error
        if self.response is None:
            raise RuntimeError("the stream was closed before it finished")
        return self.response

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


class AsyncStream:
    """Async :class:`Stream` (``async for event in stream``)."""

    def __init__(self, events: AsyncIterator[StreamEvent], *, raise_on_error: bool = True, run: Run | None = None) -> None:
        self._events = events
        self._run = run
        self._raise = raise_on_error
        self.response: Response | None = None
        self.error: Exception | None = None
        self._done = False
        self._closing: asyncio.Future[Any] | None = None

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
        """The response assembled so far (after an error, a ``break`` or a cancellation too)."""
        return partial_response(self._run)

    async def aclose(self) -> None:
        """Stop and release the connection (safe to call more than once, and concurrently: the
        release finishes even if the calling task is cancelled, which is then re-raised)."""
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

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
