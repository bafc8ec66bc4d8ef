"""Closing things from async code so that cancellation cannot cut the close short.

A response's close returns its connection to the pool (or discards it).  If the task running that
close is cancelled while the close awaits (a second ``CancelledError`` while a first one is being
handled, an ``asyncio.timeout`` around the caller, a task group tearing down), the close stops
half-way: httpcore has already marked the response closed, so nobody finishes it, and the
connection stays "active" in the pool for ever with its socket in CLOSE-WAIT.  Under load, with a
loop that is sometimes blocked, that exhausts the pool (:class:`~specwire.PoolExhaustedError`).
httpcore's own shield (an anyio cancel scope) does not stop a plain ``Task.cancel()``.

:func:`finish` runs the close in its own task and waits for it to end whatever happens to the
caller; a cancellation of the caller is re-raised once the close is done.  :func:`cancel_once`
does the same for an I/O step that must stay cancellable: the step runs in its own task and is
cancelled once, so its own cleanup cannot be interrupted by a second cancellation.
:class:`ReadAhead` gives a response body one such task for all its reads: the task reads ahead into
a bounded buffer and its consumer takes chunks from there, so a chunk costs no extra trip through
the event loop, while a consumer that stops (cancelled, however often; closed; timed out) cancels
the reader once and waits for its cleanup.  :func:`close_once`
makes concurrent closes of the same async generator share one close (an ``async with stream``
whose loop was left by ``break`` is closed by ``__aexit__`` and by the event loop's finalizer of the
abandoned iterator at the same time; a second ``aclose()`` of a generator that is still closing
fails with "asynchronous generator is already running").
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterable, Awaitable, Callable
from typing import Any

__all__ = ["READ_AHEAD_BYTES", "ReadAhead", "cancel_once", "close_once", "finish"]

#: How far a :class:`ReadAhead` reads ahead of its consumer (bytes) before it waits for it.
READ_AHEAD_BYTES = 64 * 1024


async def finish(awaitable: Awaitable[Any]) -> Any:
    """Await ``awaitable`` to its end even if the calling task is cancelled meanwhile (any number
    of times); then re-raise the caller's cancellation, if there was one.  Returns its result and
    raises its exception otherwise.  Use it only for operations that end on their own (closing a
    response or a generator), since it cannot be interrupted."""
    task = asyncio.ensure_future(awaitable)
    cancelled: BaseException | None = None
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError as exc:
            if task.done():  # the close itself was cancelled (the loop is shutting down)
                if task.cancelled():
                    raise
                break
            cancelled = exc
    if cancelled is not None:
        if not task.cancelled():
            task.exception()  # retrieved: an error of the close is secondary to the cancellation
        raise cancelled
    return task.result()


async def cancel_once(awaitable: Awaitable[Any], on_result: Callable[[Any], Awaitable[Any]] | None = None) -> Any:
    """Await ``awaitable`` (an I/O step: sending a request, reading a chunk) in its own task, so
    that a cancellation of the caller reaches it exactly once: however often the caller is
    cancelled, the step's own cleanup (httpcore closing a connection whose read was cancelled)
    runs to its end before the caller's ``CancelledError`` propagates.  When the step completed
    anyway, ``on_result(result)`` disposes of its result (closes a response nobody will read)."""
    task = asyncio.ensure_future(awaitable)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        task.cancel()
        await finish(_settle(task, on_result))
        raise


async def _settle(task: asyncio.Future[Any], on_result: Callable[[Any], Awaitable[Any]] | None) -> None:
    try:
        result = await task
    except BaseException:  # the step's own failure or its cancellation: the caller's cancellation wins
        return
    if on_result is not None:
        await on_result(result)


def close_once(holder: Any, events: Any) -> asyncio.Future[Any] | None:
    """The one close task of the async generator ``events`` (started on first use, kept on
    ``holder._closing``), or ``None`` when there is nothing to close (not a generator, or already
    finished)."""
    closing: asyncio.Future[Any] | None = getattr(holder, "_closing", None)
    if closing is not None:
        return closing
    aclose = getattr(events, "aclose", None)
    if aclose is None or getattr(events, "ag_frame", True) is None:  # finished generators have no frame
        return None
    closing = asyncio.ensure_future(aclose())
    holder._closing = closing
    return closing


#: How many of the first chunks a :class:`ReadAhead` hands to a waiting consumer before reading on
#: (a first event is not held up while the rest of a burst is parsed).
_EAGER_CHUNKS = 8

#: Running :class:`ReadAhead` tasks (the event loop keeps only weak references to tasks, and a
#: reader waiting for buffer space is referenced by nothing else).
_READERS: set[asyncio.Task[None]] = set()


class ReadAhead:
    """One task that reads the async iterable ``source`` (a response body) ahead of its one
    consumer, into a buffer of at most about ``limit`` bytes.

    Its consumer takes buffered chunks with :meth:`take` and, when there are none and the reader
    is not :attr:`done`, awaits :meth:`ready`; at the end, :attr:`error` is what stopped the
    reader (``None``: the source ended).  Whatever ends the consumer (the body's end, an error,
    ``break``, a timeout, one or more cancellations, the event loop finalising an abandoned
    consumer), it calls :meth:`stop`: the reader is cancelled once and its cleanup (httpcore
    closing a connection whose read was cancelled) runs to its end before the consumer goes on,
    since only the consumer holds the task.  Compared with one task per read
    (:func:`cancel_once`), a chunk that is already buffered costs no trip through the event loop,
    and a chunk that is not costs one wake-up."""

    __slots__ = ("_buffer", "_limit", "_size", "_space", "_task", "_waiter", "closing", "consumed", "done", "error", "head", "opened")

    def __init__(self, source: AsyncIterable[bytes] | None = None, limit: int = READ_AHEAD_BYTES, *,
                 opening: Awaitable[Any] | None = None, body: Callable[[Any, ReadAhead], AsyncIterable[bytes]] | None = None) -> None:
        self._buffer: deque[bytes] = deque()
        self._limit = limit
        self._size = 0
        self._waiter: asyncio.Future[None] | None = None  # the consumer, waiting for a chunk
        self._space: asyncio.Future[None] | None = None  # the reader, waiting for the consumer
        #: the reader has ended (the source ended or failed, or the reader was cancelled)
        self.done = False
        #: what ended the reader, if not the end of the source (an I/O error, a cancellation)
        self.error: BaseException | None = None
        #: a consumer has started taking chunks (a body is read once)
        self.consumed = False
        #: the source is closing itself (the end of a body releasing its connection): :meth:`stop`
        #: lets that close finish instead of cancelling it
        self.closing = False
        #: with ``opening``: its outcome (the response head), for the one who waits for it
        self.head: asyncio.Future[Any] | None = None
        #: with ``opening``: its result once it completed (even when nobody waited for it)
        self.opened: Any = None
        loop = asyncio.get_running_loop()
        if opening is not None and body is not None:
            self.head = loop.create_future()
            self._task = loop.create_task(self._open(opening, body, self.head))
        elif source is not None:
            self._task = loop.create_task(self._read(source))
        else:
            raise TypeError("ReadAhead needs a source, or an opening and a body")
        _READERS.add(self._task)
        self._task.add_done_callback(_READERS.discard)

    @property
    def task(self) -> asyncio.Task[None]:
        """The reader's task."""
        return self._task

    async def _open(self, opening: Awaitable[Any], body: Callable[[Any, ReadAhead], AsyncIterable[bytes]], head: asyncio.Future[Any]) -> None:
        """Await ``opening`` (sending a request), hand its outcome to ``head``, then read
        ``body(result, self)``: one task for the whole exchange."""
        try:
            self.opened = result = await opening
            source = body(result, self)
        except BaseException as exc:  # the send failed, or the one cancellation: the head carries it
            self.done = True
            if not head.done():
                if isinstance(exc, asyncio.CancelledError):
                    head.cancel()
                else:
                    head.set_exception(exc)
            return
        if not head.done():
            head.set_result(result)
        await self._read(source)

    async def _read(self, source: AsyncIterable[bytes]) -> None:
        eager = _EAGER_CHUNKS
        try:
            async for chunk in source:
                self._buffer.append(chunk)
                self._size += len(chunk)
                waiting = self._waiter is not None
                self._wake()
                if eager:  # the first chunks go to a waiting consumer before the rest of a burst is parsed
                    eager -= 1
                    if waiting:
                        await asyncio.sleep(0)
                if self._size >= self._limit:
                    self._space = asyncio.get_running_loop().create_future()
                    await self._space
        except BaseException as exc:  # a read error or the consumer's one cancellation: handed to the consumer
            self.error = exc
        finally:
            self.done = True
            self._wake()

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def take(self) -> bytes | None:
        """The next buffered chunk, or ``None`` when none is buffered."""
        if not self._buffer:
            return None
        chunk = self._buffer.popleft()
        self._size -= len(chunk)
        space = self._space
        if space is not None and self._size <= self._limit // 2:
            self._space = None
            if not space.done():
                space.set_result(None)
        return chunk

    def take_all(self) -> bytes | None:
        """Every buffered chunk, joined (one piece of the body instead of many small ones: the
        consumer's per-piece work is done once), or ``None`` when none is buffered."""
        buffer = self._buffer
        if not buffer:
            return None
        data = buffer.popleft() if len(buffer) == 1 else b"".join(buffer)
        buffer.clear()
        self._size = 0
        space, self._space = self._space, None
        if space is not None and not space.done():
            space.set_result(None)
        return data

    def ready(self) -> asyncio.Future[None]:
        """A future that completes when a chunk is buffered or the reader has ended (await it
        only when :meth:`take` gave ``None`` and the reader is not :attr:`done`)."""
        waiter = asyncio.get_running_loop().create_future()
        if self._buffer or self.done:
            waiter.set_result(None)
        else:
            self._waiter = waiter
        return waiter

    async def stop(self) -> None:
        """End the reader (it is cancelled once, however often the caller is) and wait for its
        cleanup; a cancellation of the caller is re-raised once the reader has ended."""
        task = self._task
        if task.done():
            return
        if not self.closing:
            task.cancel()
        try:
            await finish(_settle(task, None))
        finally:
            self.done = True  # a task cancelled before it ever ran did not say so itself
