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

    assert b"".join(asyncio.run(scenario())) == b"ab"  # what had arrived comes as one piece


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


# ---------------------------------------------------------------------------- ReadAhead: one reader task per body
class Body(httpx.AsyncByteStream):
    """A body that yields ``chunks`` then waits on ``more`` (a read that blocks, as a socket read
    does); a read cancelled there runs a cleanup that awaits ``cleanup_gate`` (httpcore closing the
    connection), which a second cancellation would cut short."""

    def __init__(self, chunks: list[bytes], *, block: bool = True, fail: BaseException | None = None) -> None:
        self.chunks = chunks
        self.block = block
        self.fail = fail
        self.pulled = 0
        self.cancels = 0
        self.cleaned = False
        self.closed = False
        self.blocked = asyncio.Event()
        self.cleanup_gate = asyncio.Event()
        self.cleanup_gate.set()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            self.pulled += 1
            yield chunk
        if self.fail is not None:
            raise self.fail
        if self.block:
            try:
                self.blocked.set()
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                self.cancels += 1
                await self.cleanup_gate.wait()
                self.cleaned = True
                raise

    async def aclose(self) -> None:
        self.closed = True


def test_read_ahead_cancelled_twice_mid_read_cleans_up_once() -> None:
    """The consumer is cancelled twice while the reader waits for the socket: the reader sees one
    cancellation, its cleanup runs to its end, then the consumer's cancellation propagates."""

    async def scenario() -> tuple[list[bytes], int, bool, bool]:
        body = Body([b"a", b"b"])
        body.cleanup_gate.clear()
        response = httpx.Response(200, stream=body)
        seen: list[bytes] = []

        async def consume() -> None:
            async for chunk in Transport.aiter_bytes(response):
                seen.append(chunk)

        task = asyncio.create_task(consume())
        await asyncio.wait_for(body.blocked.wait(), 5)
        await asyncio.sleep(0)
        await _cancel_twice(task)
        for _ in range(5):
            await asyncio.sleep(0)
        assert not task.done()  # still waiting for the reader's cleanup
        task.cancel()  # a third one, for good measure
        await asyncio.sleep(0)
        body.cleanup_gate.set()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)
        return seen, body.cancels, body.cleaned, task.cancelled()

    seen, cancels, cleaned, cancelled = asyncio.run(scenario())
    assert b"".join(seen) == b"ab"
    assert (cancels, cleaned, cancelled) == (1, True, True)


def test_read_ahead_stops_reader_on_close_and_timeout() -> None:
    """``aclose()`` of the consumer (a ``break``) and a read budget running out both stop the
    reader, whose cancelled read is cleaned up before the consumer goes on."""

    async def scenario() -> tuple[bool, bool, bool]:
        closed = Body([b"a"])
        gen = Transport.aiter_bytes(httpx.Response(200, stream=closed))
        assert await gen.__anext__() == b"a"
        await asyncio.wait_for(closed.blocked.wait(), 5)
        await gen.aclose()
        timed = Body([b"a"])
        budgets = iter([5.0, 0.01])
        gen2 = Transport.aiter_bytes(httpx.Response(200, stream=timed), lambda: next(budgets))
        assert await gen2.__anext__() == b"a"
        with pytest.raises(TimeoutError):
            await gen2.__anext__()
        return closed.cleaned, timed.cleaned, timed.cancels == 1

    assert asyncio.run(scenario()) == (True, True, True)


def test_read_ahead_abandoned_consumer_is_finalized() -> None:
    """A consumer dropped without a close (no ``async with``) is finalized by the event loop: its
    reader is cancelled and cleaned up, and no task is reported destroyed while pending."""
    import gc

    errors: list[dict[str, Any]] = []

    async def scenario() -> tuple[bool, int]:
        asyncio.get_running_loop().set_exception_handler(lambda _loop, context: errors.append(context))
        body = Body([b"x" * 100] * 3)
        gen = Transport.aiter_bytes(httpx.Response(200, stream=body))
        assert (await gen.__anext__()).startswith(b"x" * 100)
        await asyncio.wait_for(body.blocked.wait(), 5)
        del gen
        gc.collect()
        for _ in range(50):
            if body.cleaned:
                break
            await asyncio.sleep(0.01)
        from specwire.aio import _READERS

        return body.cleaned, len(_READERS)

    assert asyncio.run(scenario()) == (True, 0)
    assert not errors, errors


def test_read_ahead_reads_a_bounded_distance_ahead() -> None:
    """The reader stops pulling from the source once about ``limit`` bytes wait for the consumer,
    and goes on when the consumer has taken half of them."""
    from specwire.aio import ReadAhead

    async def scenario() -> tuple[int, int, list[bytes]]:
        body = Body([bytes([i]) * 10 for i in range(20)], block=False)
        reader = ReadAhead(body.__aiter__(), limit=50)
        for _ in range(10):
            await asyncio.sleep(0)
        ahead = body.pulled
        got: list[bytes] = []
        while True:
            chunk = reader.take()
            if chunk is not None:
                got.append(chunk)
                continue
            if reader.done:
                break
            await reader.ready()
        await reader.stop()
        return ahead, body.pulled, got

    ahead, pulled, got = asyncio.run(scenario())
    assert ahead == 5  # 50 bytes buffered, then it waits
    assert pulled == 20
    assert got == [bytes([i]) * 10 for i in range(20)]


def test_read_ahead_read_error_after_chunks() -> None:
    """Buffered chunks reach the consumer before the read error, which is mapped and carries no
    httpx exception (whose request holds the credentials) in its chain."""
    from specwire.errors import StreamInterruptedError

    async def scenario() -> tuple[list[bytes], BaseException]:
        body = Body([b"a", b"b"], fail=httpx.ReadError("connection reset"))
        seen: list[bytes] = []
        try:
            async for chunk in Transport.aiter_bytes(httpx.Response(200, stream=body)):
                seen.append(chunk)
        except StreamInterruptedError as exc:
            return seen, exc
        raise AssertionError("no error")

    seen, error = asyncio.run(scenario())
    assert b"".join(seen) == b"ab"
    assert error.__cause__ is None and error.__context__ is None


# ---------------------------------------------------------------------------- Transport.aopen: one task per exchange
class GatedSend(httpx.AsyncBaseTransport):
    """A transport whose send waits on ``reply``; a send cancelled while it waits runs a cleanup
    that awaits ``cleanup_gate`` (httpcore releasing the connection), which a second cancellation
    would cut short.  ``chunks`` is the body it answers with."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.waiting = asyncio.Event()
        self.reply = asyncio.Event()
        self.cleanup_gate = asyncio.Event()
        self.cleanup_gate.set()
        self.cancels = 0
        self.cleaned = False
        self.body: Body | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            self.waiting.set()
            await self.reply.wait()
        except asyncio.CancelledError:
            self.cancels += 1
            await self.cleanup_gate.wait()
            self.cleaned = True
            raise
        self.body = Body(self.chunks, block=False)
        return httpx.Response(200, stream=self.body)


def _plan() -> Any:
    from specwire.request import RequestPlan

    return RequestPlan("POST", "http://127.0.0.1:9/v1/chat", {"content-type": "application/json"}, {"x": 1})


def test_aopen_cancelled_twice_while_sending() -> None:
    """The caller of ``aopen`` is cancelled twice while the request is in flight: the send sees one
    cancellation and its cleanup finishes before the caller's cancellation propagates."""

    async def scenario() -> tuple[int, bool]:
        sender = GatedSend([b"{}"])
        sender.cleanup_gate.clear()
        transport = Transport(async_transport=sender)
        task = asyncio.create_task(transport.aopen(_plan(), httpx.Auth()))
        await asyncio.wait_for(sender.waiting.wait(), 5)
        await _cancel_twice(task)
        for _ in range(5):
            await asyncio.sleep(0)
        assert not task.done()
        sender.cleanup_gate.set()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)
        await transport.aclose()
        return sender.cancels, sender.cleaned

    assert asyncio.run(scenario()) == (1, True)


def test_aopen_closes_a_response_its_cancelled_caller_will_not_read() -> None:
    """The response arrives just as the caller is cancelled: it is closed (its connection
    released), not left to the garbage collector."""

    async def scenario() -> bool:
        sender = GatedSend([b"x" * 10] * 3)
        transport = Transport(async_transport=sender)
        task = asyncio.create_task(transport.aopen(_plan(), httpx.Auth()))
        await asyncio.wait_for(sender.waiting.wait(), 5)
        sender.reply.set()  # the send completes ...
        task.cancel()  # ... and the caller is cancelled before it resumes
        with pytest.raises(asyncio.CancelledError):
            await task
        await transport.aclose()
        return sender.body is not None and sender.body.closed

    assert asyncio.run(scenario())


def test_aopen_reads_the_body_in_the_same_task() -> None:
    """The body comes through ``aiter_bytes`` once (a second read raises ``StreamConsumed``), and
    a response closed at the end of its body needs no further close (``release``)."""

    async def scenario() -> tuple[list[bytes], bool]:
        sender = GatedSend([b"a", b"b"])
        sender.reply.set()
        transport = Transport(async_transport=sender)
        response = await transport.aopen(_plan(), httpx.Auth())
        got = [b"".join([chunk async for chunk in Transport.aiter_bytes(response)])]
        with pytest.raises(httpx.StreamConsumed):
            async for _ in Transport.aiter_bytes(response):
                pass
        released = Transport.release(response)
        done = isinstance(released, asyncio.Future) and released.done()
        await released
        await transport.aclose()
        return got, done

    assert asyncio.run(scenario()) == ([b"ab"], True)


def test_aopen_cancelled_twice_as_the_response_arrives_still_closes_it() -> None:
    """The response arrives as its caller is cancelled, and a second cancellation lands while
    that unread response is being closed: the close still runs to its end (its connection is
    released), then the cancellation propagates."""

    class SlowClose(Body):
        def __init__(self) -> None:
            super().__init__([b"x"], block=True)
            self.close_gate = asyncio.Event()
            self.closing = asyncio.Event()

        async def aclose(self) -> None:
            self.closing.set()
            await self.close_gate.wait()
            self.closed = True

    class Sender(GatedSend):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            self.waiting.set()
            await self.reply.wait()
            self.body = SlowClose()
            return httpx.Response(200, stream=self.body)

    async def scenario() -> tuple[bool, bool]:
        sender = Sender([])
        transport = Transport(async_transport=sender)
        task = asyncio.create_task(transport.aopen(_plan(), httpx.Auth()))
        await asyncio.wait_for(sender.waiting.wait(), 5)
        sender.reply.set()
        task.cancel()
        body = None
        for _ in range(100):
            body = sender.body
            if isinstance(body, SlowClose) and body.closing.is_set():
                break
            await asyncio.sleep(0)
        assert isinstance(body, SlowClose) and body.closing.is_set()
        task.cancel()  # the second cancellation, during the close
        await asyncio.sleep(0)
        body.close_gate.set()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)
        closed = body.closed
        await transport.aclose()
        return closed, task.cancelled()

    assert asyncio.run(scenario()) == (True, True)
