"""specwire.aio and the async body reads of specwire.transport: closes that cancellation cannot cut short.

Each test drives the event loop step by step with gates (asyncio.Event), never with timing, so the
cancellation lands exactly where the scenario needs it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from specwire.aio import cancel_once, close_once, finish
from specwire.transport import Transport


class GatedClose(httpx.AsyncByteStream):
    """A body of ``chunks`` whose close waits for ``gate`` (a close that awaits, as httpcore's
    does when it releases a connection); ``closed`` is set only when the close ran to its end."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.gate = asyncio.Event()
        self.closing = asyncio.Event()
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk

    async def aclose(self) -> None:
        self.closing.set()
        await self.gate.wait()
        self.closed = True


async def _cancel_twice(task: asyncio.Task[Any]) -> None:
    task.cancel()
    await asyncio.sleep(0)
    task.cancel()


def test_close_at_end_of_body_survives_cancellation() -> None:
    """httpx closes the response inside the last read; the caller is cancelled (twice) while that
    close awaits: the close still runs to its end, and the caller's cancellation propagates."""

    async def scenario() -> tuple[bool, bool]:
        body = GatedClose([b"data: 1\n\n"])
        response = httpx.Response(200, stream=body)
        seen: list[bytes] = []

        async def consume() -> None:
            async for chunk in Transport.aiter_bytes(response):
                seen.append(chunk)

        task = asyncio.create_task(consume())
        await asyncio.wait_for(body.closing.wait(), 5)  # the read of the end is inside the close
        await _cancel_twice(task)
        await asyncio.sleep(0)
        body.gate.set()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)
        return body.closed, seen == [b"data: 1\n\n"]

    closed, read = asyncio.run(scenario())
    assert read
    assert closed, "the close httpx began at the end of the body was cut short"


def test_aiter_bytes_wraps_once() -> None:
    """Reading the same response twice (an error body after a status check) wraps its stream once."""

    async def scenario() -> list[bytes]:
        body = GatedClose([b"a", b"b"])
        body.gate.set()
        response = httpx.Response(200, stream=body)
        out = [c async for c in Transport.aiter_bytes(response)]
        stream = response.stream
        with pytest.raises(httpx.StreamConsumed):
            async for _ in Transport.aiter_bytes(response):
                pass
        assert response.stream is stream
        assert body.closed
        return out

    assert asyncio.run(scenario()) == [b"a", b"b"]


def test_finish_completes_and_reraises_cancellation() -> None:
    async def scenario() -> bool:
        gate, done = asyncio.Event(), []

        async def close() -> str:
            await gate.wait()
            done.append(True)
            return "closed"

        task = asyncio.create_task(finish(close()))
        await asyncio.sleep(0)
        await _cancel_twice(task)
        await asyncio.sleep(0)
        assert not task.done()  # still waiting for the close
        gate.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        return bool(done)

    assert asyncio.run(scenario())


def test_finish_returns_result_and_raises_error() -> None:
    async def ok() -> int:
        return 7

    async def bad() -> int:
        raise ValueError("close failed")

    assert asyncio.run(finish(ok())) == 7
    with pytest.raises(ValueError):
        asyncio.run(finish(bad()))


def test_cancel_once_disposes_of_a_result_nobody_reads() -> None:
    """The step finished just as its caller was cancelled: ``on_result`` gets the result."""

    async def scenario() -> list[str]:
        disposed: list[str] = []
        gate = asyncio.Event()

        async def step() -> str:
            await gate.wait()
            return "response"

        async def dispose(result: str) -> None:
            disposed.append(result)

        async def caller() -> str:
            return await cancel_once(step(), on_result=dispose)  # type: ignore[no-any-return]

        task = asyncio.create_task(caller())
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        gate.set()  # the step completes ...
        task.cancel()  # ... and the caller is cancelled before it resumes
        with pytest.raises(asyncio.CancelledError):
            await task
        return disposed

    assert asyncio.run(scenario()) == ["response"]


def test_cancel_once_cancels_the_step_once() -> None:
    """However often the caller is cancelled, the step sees one cancellation and its cleanup runs."""

    async def scenario() -> tuple[int, bool]:
        cancels, cleaned = [0], [False]
        cleanup_gate = asyncio.Event()

        async def step() -> None:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancels[0] += 1
                await cleanup_gate.wait()  # a second cancellation here would cut the cleanup short
                cleaned[0] = True
                raise

        task = asyncio.create_task(cancel_once(step()))
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        await _cancel_twice(task)
        await asyncio.sleep(0)
        task.cancel()
        await asyncio.sleep(0)
        cleanup_gate.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        return cancels[0], cleaned[0]

    assert asyncio.run(scenario()) == (1, True)


def test_close_once_shares_one_close() -> None:
    async def scenario() -> tuple[bool, bool]:
        class Holder:
            _closing: Any = None

        async def gen() -> AsyncIterator[int]:
            yield 1
            yield 2

        events = gen()
        await events.__anext__()
        holder = Holder()
        first = close_once(holder, events)
        second = close_once(holder, events)
        assert first is not None
        await first
        finished = gen()
        async for _ in finished:
            pass
        return first is second, close_once(Holder(), finished) is None

    assert asyncio.run(scenario()) == (True, True)
