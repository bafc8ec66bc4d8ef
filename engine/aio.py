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
cancelled once, so its own cleanup cannot be interrupted by a second cancellation.  :func:`close_once`
makes concurrent closes of the same async generator share one close (an ``async with stream``
whose loop was left by ``break`` is closed by ``__aexit__`` and by the event loop's finalizer of the
abandoned iterator at the same time; a second ``aclose()`` of a generator that is still closing
fails with "asynchronous generator is already running").
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["cancel_once", "close_once", "finish"]


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
