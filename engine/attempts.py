"""The I/O loops of a call (docs/ARCHITECTURE.md section 2, docs/RELIABILITY.md section 1).

:func:`events_sync` and :func:`events_async` send each attempt of a :class:`~specwire.call.Run`
through the :class:`~specwire.transport.Transport` and hand the run the status, every piece of
the body and every read error; the run (sans-IO, :mod:`specwire.call`) answers with the events to
yield and what to do next (read on, drain and stop, stop, or retry after a sleep).  The loops only
do the I/O: open, read, drain, close, sleep, and the observer's hooks.  :func:`observed` /
:func:`aobserved` put the call's observer (:mod:`specwire.observe`) around them; :func:`final`
drives them to the final :class:`~specwire.Response` for ``complete``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Iterator
from contextlib import aclosing, closing
from typing import Any

from .aio import finish
from .call import DRAIN, Call, Failure, Run, status_error
from .errors import ReadTimeout, SpecwireError
from .transport import Transport
from .types import ErrorEvent, Finish, Response

__all__ = ["Call", "Failure", "Run", "aobserved", "events_async", "events_sync", "final", "final_event", "observed", "status_error"]

# The retry sleeps, as module names so a test suite can make them instant.
_sleep = time.sleep
_async_sleep = asyncio.sleep


def observed(run: Run, transport: Transport) -> Iterator[Any]:
    """The call's events, through its observer when it has one (:mod:`specwire.observe`)."""
    events = events_sync(run, transport)
    return events if run.obs is None else run.obs.wrap(events)


def aobserved(run: Run, transport: Transport) -> AsyncGenerator[Any, None]:
    events = events_async(run, transport)
    return events if run.obs is None else run.obs.awrap(events)


def events_sync(run: Run, transport: Transport) -> Iterator[Any]:
    """The call's events: every attempt sent and read, retried as the run decides."""
    yield from run.start()
    obs = run.obs
    plan = run.call.plan
    while True:
        if obs is not None:
            obs.request(run.attempt, plan.headers)
        timeouts = run.begin()
        try:
            response = transport.open(plan, run.call.auth, timeouts)
        except SpecwireError as exc:
            outcome: Any = run.on_open_error(exc)
        else:
            with closing(response):
                status = response.status_code
                if obs is not None:
                    obs.response_headers(run.attempt, status, Transport.headers(response))
                if status >= 300:
                    outcome = run.on_status(status, Transport.headers(response), transport.read_capped(response))
                else:
                    chunks = transport.iter_bytes(response, run.budget())
                    outcome, tail = None, list[Any]()
                    try:
                        for chunk in chunks:
                            out, outcome = run.on_chunk(chunk)
                            yield from out
                            if outcome is not None:
                                if outcome is DRAIN:
                                    transport.drain(response, chunks)
                                break
                    except SpecwireError as exc:
                        tail, outcome = run.on_error(exc)
                    finally:
                        chunks.close()  # undoes the per-read budget before the connection is released
                    if outcome is None:
                        tail, outcome = run.on_end()
                    yield from tail
        if not isinstance(outcome, Failure):
            return
        out, delay = run.retry(outcome)
        if delay is None:
            yield from out
            return
        if obs is not None:
            obs.retry(run.attempt, outcome.error, delay)
        (run.sleep or _sleep)(delay)
        run.next_attempt()


async def events_async(run: Run, transport: Transport) -> AsyncGenerator[Any, None]:
    """Async :func:`events_sync`."""
    for event in run.start():
        yield event
    obs = run.obs
    plan = run.call.plan
    while True:
        if obs is not None:
            await obs.arequest(run.attempt, plan.headers)
        timeouts = run.begin()
        try:
            response = await transport.aopen(plan, run.call.auth, timeouts)
        except SpecwireError as exc:
            outcome: Any = run.on_open_error(exc)
        else:
            try:
                status = response.status_code
                if obs is not None:
                    await obs.aresponse_headers(run.attempt, status, Transport.headers(response))
                if status >= 300:
                    outcome = run.on_status(status, Transport.headers(response), await transport.aread_capped(response))
                else:
                    outcome, tail = None, list[Any]()
                    try:
                        async with aclosing(transport.aiter_bytes(response, run.budget())) as chunks:
                            async for chunk in chunks:
                                out, outcome = run.on_chunk(chunk)
                                for event in out:
                                    yield event
                                if outcome is not None:
                                    if outcome is DRAIN:
                                        await transport.adrain(chunks)
                                    break
                    except TimeoutError:
                        tail, outcome = run.on_error(ReadTimeout("read timeout"))
                    except SpecwireError as exc:
                        tail, outcome = run.on_error(exc)
                    if outcome is None:
                        tail, outcome = run.on_end()
                    for event in tail:
                        yield event
            finally:
                await finish(Transport.release(response))  # a cancellation must not leave the connection checked out
        if not isinstance(outcome, Failure):
            return
        out, delay = run.retry(outcome)
        if delay is None:
            for event in out:
                yield event
            return
        if obs is not None:
            await obs.aretry(run.attempt, outcome.error, delay)
        await (run.sleep or _async_sleep)(delay)
        run.next_attempt()


def final_event(event: Any) -> Response:
    if isinstance(event, Finish):
        return event.response
    if isinstance(event, ErrorEvent):
        raise event.error
    raise RuntimeError("the event stream ended without a terminal event")  # pragma: no cover - a bug


def final(events: Iterator[Any]) -> Response:
    last = None
    with closing(events):  # type: ignore[type-var]
        for last in events:
            pass
    return final_event(last)
