"""A call in flight: its attempts, the single retry loop, and the events they yield
(docs/ARCHITECTURE.md section 2, docs/RELIABILITY.md section 1).

:class:`Call` is what :class:`~specwire.Client` prepared for one call (spec, model, the built
:class:`~specwire.request.RequestPlan`, its auth); :class:`Run` is that call across its attempts,
with its deadlines and the processor of the current attempt.  :func:`events_sync` and
:func:`events_async` send each attempt through the :class:`~specwire.transport.Transport`, feed the
body to the processor (pure) and yield the stream events, retrying a failure that reached the
caller with nothing but ``response_start`` and the request's warnings.  :func:`observed` /
:func:`aobserved` put the call's observer (:mod:`specwire.observe`) around them; :func:`final`
drives them to the final :class:`~specwire.Response` for ``complete``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable, Generator, Iterator
from contextlib import aclosing, closing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .aio import finish
from .errors import APITimeoutError, DeadlineExceeded, PoolExhaustedError, ReadTimeout, SpecwireError
from .process import ResponseProcessor
from .provider_errors import api_error, parse_body
from .redact import redact_url
from .request import RequestPlan
from .retry import RetryPolicy, Timeouts
from .spec.compile import CompiledSpec
from .transport import HTTPResponse, Transport
from .types import CONTENT_EVENT_TYPES, ErrorEvent, Finish, Request, Response

if TYPE_CHECKING:  # httpx stays inside transport.py and auth/ (docs/ARCHITECTURE.md section 2)
    import httpx

    from . import observe

__all__ = ["Call", "Failure", "Run", "aobserved", "events_async", "events_sync", "final", "final_event", "observed"]


@dataclass(frozen=True)
class Call:
    spec: CompiledSpec
    model: str
    plan: RequestPlan
    auth: httpx.Auth
    stream: bool
    stream_mode: str | None
    raise_on_content_filter: bool = False
    settings: dict[str, Any] | None = None
    request: Request | None = None

    def processor(self) -> ResponseProcessor:
        return ResponseProcessor(
            self.spec, model=self.model, stream=self.stream, stream_mode=self.stream_mode, warnings=self.plan.warnings,
            raise_on_content_filter=self.raise_on_content_filter, settings=self.settings, output=self.plan.output,
        )


def status_error(spec: CompiledSpec, response: HTTPResponse, body: bytes) -> SpecwireError:
    """The error of a response whose status is 300 or more (a redirect is never followed)."""
    headers = Transport.headers(response)
    if 300 <= response.status_code < 400:
        location = redact_url(response.headers.get("location", "?"))
        err = api_error(spec, status=response.status_code, body=parse_body(body) if body else None, headers=headers)
        err.message = f"the server answered with a redirect to {location}; redirects are never followed on authenticated requests"
        err.args = (f"{spec.provider}: HTTP {response.status_code}: {err.message}",)
        return err
    return api_error(spec, status=response.status_code, body=parse_body(body), headers=headers)


@dataclass
class Failure:
    """An attempt that failed before any content event reached the caller (a retry candidate):
    the error, the error event the processor built (if it got that far), and the provider events
    held back so far (usage, warnings), which are delivered only if no retry follows."""

    error: SpecwireError
    event: Any = None
    held: list[Any] = field(default_factory=list)


class Run:
    """One logical call across its attempts: the single retry loop of the library (docs/RELIABILITY.md
    section 1).  Content events (text, reasoning, tool calls) reach the caller as they arrive;
    other provider events are held until the first content event, so an attempt that fails before
    it can be retried without the caller seeing anything but ``response_start`` and the request's
    warnings.  After the first content event nothing is retried."""

    def __init__(self, call: Call, policy: RetryPolicy, timeouts: Timeouts, sleep: Callable[[float], Any] | None = None) -> None:
        self.call = call
        self.policy = policy
        self.timeouts = timeouts
        self.clock = time.monotonic
        self.started = self.clock()
        self.deadline = self.started + timeouts.total if timeouts.total is not None else None
        self.attempt = 0
        self.delivered = False
        self.proc = call.processor()
        self.sleep = sleep
        self.obs: observe.CallObserver | None = None

    # -------------------------------------------------------------- deadlines
    def left(self) -> float | None:
        return None if self.deadline is None else self.deadline - self.clock()

    def attempt_timeouts(self) -> Timeouts:
        """This attempt's socket timeouts: capped by what is left of the total deadline (and, for
        streams, by ``first_event``: the headers count against it).  Each body read is further
        limited by :meth:`read_budget`, in both loops."""
        t = self.timeouts
        left = self.left()
        first = t.first_event if self.call.stream else None
        return Timeouts(
            connect=_smallest(t.connect, left),
            read=_smallest(t.read, first, left),
            pool=_smallest(t.pool, left),
        )

    def read_budget(self, sent: float, last_content: float) -> float | None:
        """Seconds the next body read may take (sync and async alike): ``first_event`` until the
        first content event, ``idle`` after it, and the total deadline."""
        t = self.timeouts
        now = self.clock()
        limits = [self.left()]
        if self.call.stream:
            if not self.delivered and t.first_event is not None:
                limits.append(t.first_event - (now - sent))
            if self.delivered and t.idle is not None:
                limits.append(t.idle - (now - last_content))
        return _smallest(*limits)

    def expired(self, sent: float, last_content: float) -> SpecwireError | None:
        """The deadline that has passed, as an error, or ``None``."""
        now = self.clock()
        t = self.timeouts
        if self.deadline is not None and now >= self.deadline:
            return DeadlineExceeded(f"the call's total deadline of {t.total:g} s passed")
        if self.call.stream and not self.delivered and t.first_event is not None and now - sent >= t.first_event:
            return ReadTimeout(f"no first event within {t.first_event:g} s")
        if self.call.stream and self.delivered and t.idle is not None and now - last_content >= t.idle:
            return ReadTimeout(f"no event for {t.idle:g} s (keep-alives do not count)")
        return None

    def blame(self, error: SpecwireError) -> SpecwireError:
        """``error``, or :class:`DeadlineExceeded` when it is a timeout that fired because the
        total deadline capped this attempt's socket timeouts (the caller asked for the deadline;
        the socket's timeout is only how it was enforced)."""
        if self.deadline is not None and isinstance(error, (APITimeoutError, PoolExhaustedError)) and not isinstance(error, DeadlineExceeded):
            if self.clock() >= self.deadline - _DEADLINE_SLACK:
                return DeadlineExceeded(f"the call's total deadline of {self.timeouts.total:g} s passed ({error})")
        return error

    # -------------------------------------------------------------- events
    def sort(self, events: list[Any], held: list[Any]) -> tuple[list[Any], Failure | None]:
        """Which events go to the caller now; a failure before the first content event."""
        if self.delivered:
            return events, None
        out: list[Any] = []
        for event in events:
            if self.delivered:
                out.append(event)
            elif event.type in CONTENT_EVENT_TYPES:
                self.delivered = True
                out.extend(held)
                held.clear()
                out.append(event)
            elif event.type == "error":
                return out, Failure(event.error, event, list(held))
            elif event.type == "finish":
                out.extend(held)
                held.clear()
                out.append(event)
            else:
                held.append(event)
        return out, None

    def retry_delay(self, failure: Failure) -> float | None:
        """Seconds to sleep before the next attempt, or ``None`` to give up.  A sleep that would
        end past the total deadline gives up with :class:`DeadlineExceeded`."""
        delay = self.policy.delay(failure.error, self.attempt, statuses=self.call.spec.retry_statuses)
        if delay is None:
            return None
        left = self.left()
        if left is not None and delay >= left:
            failure.error = DeadlineExceeded(f"the call's total deadline of {self.timeouts.total:g} s would pass before the next retry ({type(failure.error).__name__}: {failure.error})")
            failure.event = None
            return None
        return delay

    def give_up(self, failure: Failure) -> list[Any]:
        """The terminal events of a failure that is not retried."""
        if failure.event is not None and failure.event.error is failure.error:
            return [*failure.held, failure.event]
        return [*failure.held, *self.proc.fail(failure.error)]

    def next_attempt(self) -> None:
        self.attempt += 1
        self.proc = self.call.processor()


# A timer may fire a hair before the deadline it was set from.
_DEADLINE_SLACK = 0.005

# The retry sleeps, as module names so a test suite can make them instant.
_sleep = time.sleep
_async_sleep = asyncio.sleep


def _smallest(*values: float | None) -> float | None:
    present = [v for v in values if v is not None]
    return max(min(present), 0.0) if present else None


def observed(run: Run, transport: Transport) -> Iterator[Any]:
    """The call's events, through its observer when it has one (:mod:`specwire.observe`)."""
    events = events_sync(run, transport)
    return events if run.obs is None else run.obs.wrap(events)


def aobserved(run: Run, transport: Transport) -> AsyncGenerator[Any, None]:
    events = events_async(run, transport)
    return events if run.obs is None else run.obs.awrap(events)


def events_sync(run: Run, transport: Transport) -> Iterator[Any]:
    yield from run.proc.start()
    while True:
        failure = yield from _attempt_sync(run, transport)
        if failure is None:
            return
        delay = run.retry_delay(failure)
        if delay is None:
            yield from run.give_up(failure)
            return
        if run.obs is not None:
            run.obs.retry(run.attempt, failure.error, delay)
        (run.sleep or _sleep)(delay)
        run.next_attempt()


def _attempt_sync(run: Run, transport: Transport) -> Generator[Any, None, Failure | None]:
    proc = run.proc
    held: list[Any] = []
    sent = run.clock()
    if run.obs is not None:
        run.obs.request(run.attempt, run.call.plan.headers)
    try:
        response = transport.open(run.call.plan, run.call.auth, run.attempt_timeouts())
    except SpecwireError as exc:
        return Failure(run.blame(exc))
    with closing(response):
        if run.obs is not None:
            run.obs.response_headers(run.attempt, response.status_code, Transport.headers(response))
        if response.status_code >= 300:
            return Failure(status_error(run.call.spec, response, transport.read_capped(response)))
        last_content = sent
        chunks = transport.iter_bytes(response, lambda: run.read_budget(sent, last_content))
        try:
            for chunk in chunks:
                out, failure = run.sort(proc.feed(chunk), held)
                if any(e.type in CONTENT_EVENT_TYPES for e in out):
                    last_content = run.clock()
                yield from out
                if failure is not None:
                    return failure
                if proc.finished:
                    if out and out[-1].type == "finish":
                        transport.drain(response, chunks)
                    return None
                expired = run.expired(sent, last_content)
                if expired is not None:
                    raise expired
        except SpecwireError as exc:
            error = (run.expired(sent, last_content) if isinstance(exc, ReadTimeout) else None) or run.blame(exc)
            if not run.delivered:
                return Failure(error, held=held)
            yield from proc.fail(error)
            return None
        finally:
            chunks.close()  # undoes the per-read budget before the connection is released
        out, failure = run.sort(proc.close(), held)
        yield from out
        return failure


async def events_async(run: Run, transport: Transport) -> AsyncGenerator[Any, None]:
    for event in run.proc.start():
        yield event
    while True:
        failure: Failure | None = None
        async with aclosing(_attempt_async(run, transport)) as attempt:  # closing it closes the response
            async for item in attempt:
                if isinstance(item, Failure):
                    failure = item
                else:
                    yield item
        if failure is None:
            return
        delay = run.retry_delay(failure)
        if delay is None:
            for event in run.give_up(failure):
                yield event
            return
        if run.obs is not None:
            await run.obs.aretry(run.attempt, failure.error, delay)
        await (run.sleep or _async_sleep)(delay)
        run.next_attempt()


async def _attempt_async(run: Run, transport: Transport) -> AsyncGenerator[Any, None]:
    """Yields the attempt's events, and at most one :class:`Failure` last."""
    proc = run.proc
    held: list[Any] = []
    sent = run.clock()
    if run.obs is not None:
        await run.obs.arequest(run.attempt, run.call.plan.headers)
    try:
        response = await transport.aopen(run.call.plan, run.call.auth, run.attempt_timeouts())
    except SpecwireError as exc:
        yield Failure(run.blame(exc))
        return
    try:
        if run.obs is not None:
            await run.obs.aresponse_headers(run.attempt, response.status_code, Transport.headers(response))
        if response.status_code >= 300:
            yield Failure(status_error(run.call.spec, response, await transport.aread_capped(response)))
            return
        last_content = sent
        try:
            try:
                async with aclosing(transport.aiter_bytes(response, lambda: run.read_budget(sent, last_content))) as chunks:
                    async for chunk in chunks:
                        out, failure = run.sort(proc.feed(chunk), held)
                        if any(e.type in CONTENT_EVENT_TYPES for e in out):
                            last_content = run.clock()
                        for event in out:
                            yield event
                        if failure is not None:
                            yield failure
                            return
                        if proc.finished:
                            if out and out[-1].type == "finish":
                                await transport.adrain(chunks)
                            return
                        expired = run.expired(sent, last_content)
                        if expired is not None:
                            raise expired
            except TimeoutError:
                raise run.expired(sent, last_content) or ReadTimeout("read timeout") from None
        except SpecwireError as exc:
            error = run.blame(exc)
            if not run.delivered:
                yield Failure(error, held=held)
                return
            for event in proc.fail(error):
                yield event
            return
        out, failure = run.sort(proc.close(), held)
        for event in out:
            yield event
        if failure is not None:
            yield failure
    finally:
        await finish(response.aclose())  # a cancellation must not leave the connection checked out


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
