"""One call across its attempts, as a sans-IO state machine (docs/ARCHITECTURE.md section 2,
docs/RELIABILITY.md section 1).

:class:`Call` is what :class:`~specwire.Client` prepared for one call (spec, model, the built
:class:`~specwire.request.RequestPlan`, its auth); :class:`Run` is that call across its attempts.
Like h11's connection, a :class:`Run` does no I/O: the loops of :mod:`specwire.attempts` (sync and
async) open each attempt, read the body and hand every piece to the run, which answers with the
events for the caller and an *outcome*:

* ``None``: read on;
* :data:`DRAIN`: the call finished; read what is left of the body within the drain budgets (so the
  connection can be reused) and stop;
* :data:`DONE`: the call is over (an error after the first content event, or the body ended);
* a :class:`Failure`: the attempt failed before any content event reached the caller; ask
  :meth:`Run.retry` whether to sleep and try again or give up.

Deadlines (``first_event``, ``idle``, ``total``), the hold-back of non-content events until the
first content event (:class:`~specwire.streams.HoldBack`), the drain decision and the retry
decision are made here once for both loops.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal

from .errors import APITimeoutError, DeadlineExceeded, PoolExhaustedError, ReadTimeout, SpecwireError
from .process import ResponseProcessor
from .provider_errors import api_error, parse_body
from .redact import redact_url
from .request import RequestPlan
from .retry import RetryPolicy, Timeouts
from .spec.compile import CompiledSpec
from .streams import HoldBack
from .types import Request
from .vocabulary import CONTENT_EVENT_TYPES

if TYPE_CHECKING:
    from . import observe

__all__ = ["DONE", "DRAIN", "Call", "Failure", "Outcome", "Run", "socket_timeouts", "status_error", "too_late"]

#: Outcome: the call finished; drain the rest of the body, then stop.
DRAIN: Final = "drain"
#: Outcome: the call is over; stop reading.
DONE: Final = "done"


@dataclass(frozen=True)
class Call:
    """A prepared call: the spec, the model, the plan and its auth (an ``httpx.Auth``)."""

    spec: CompiledSpec
    model: str
    plan: RequestPlan
    auth: Any
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


def status_error(spec: CompiledSpec, status: int, headers: Mapping[str, Any], body: bytes) -> SpecwireError:
    """The error of a response whose status is 300 or more (a redirect is never followed)."""
    if 300 <= status < 400:
        location = redact_url(headers.get("location", "?"))
        err = api_error(spec, status=status, body=parse_body(body) if body else None, headers=dict(headers))
        err.message = f"the server answered with a redirect to {location}; redirects are never followed on authenticated requests"
        err.args = (f"{spec.provider}: HTTP {status}: {err.message}",)
        return err
    return api_error(spec, status=status, body=parse_body(body), headers=dict(headers))


@dataclass
class Failure:
    """An attempt that failed before any content event reached the caller (a retry candidate):
    the error, the error event the processor built (if it got that far), and the provider events
    held back so far (usage, warnings), which are delivered only if no retry follows."""

    error: SpecwireError
    event: Any = None
    held: list[Any] = field(default_factory=list)


Outcome = Failure | Literal["drain", "done"] | None


class Run:
    """One logical call across its attempts: the single retry loop of the library (docs/RELIABILITY.md
    section 1), without I/O (see the module docstring).  Content events (text, reasoning, tool
    calls) reach the caller as they arrive; other provider events are held until the first content
    event, so an attempt that fails before it can be retried without the caller seeing anything
    but ``response_start`` and the request's warnings.  After the first content event nothing is
    retried."""

    def __init__(self, call: Call, policy: RetryPolicy, timeouts: Timeouts, sleep: Callable[[float], Any] | None = None) -> None:
        self.call = call
        self.policy = policy
        self.timeouts = timeouts
        self.clock = time.monotonic
        self.started = self.clock()
        self.deadline = self.started + timeouts.total if timeouts.total is not None else None
        self.attempt = 0
        self.proc = call.processor()
        self.hold = HoldBack()
        self.sleep = sleep
        self.obs: observe.CallObserver | None = None
        self.sent = self.last_content = self.started
        stream = call.stream
        # which clocks a read must watch: with none (the default), no per-chunk check runs
        self._first_event = timeouts.first_event if stream else None
        self._idle = timeouts.idle if stream else None
        self.timed = self.deadline is not None or self._first_event is not None or self._idle is not None

    @property
    def delivered(self) -> bool:
        """A content event reached the caller (nothing is retried after it)."""
        return self.hold.delivered

    # -------------------------------------------------------------- an attempt
    def start(self) -> list[Any]:
        """The call's opening events (``response_start``, the request's warnings)."""
        return self.proc.start()

    def begin(self) -> Timeouts:
        """Start an attempt now; its socket timeouts: capped by what is left of the total deadline
        (and, for streams, by ``first_event``: the headers count against it).  Each body read is
        further limited by :meth:`read_budget`, in both loops."""
        self.sent = self.last_content = self.clock()
        return socket_timeouts(self.timeouts, self.left(), self._first_event)

    def read_budget(self) -> float | None:
        """Seconds the next body read may take (sync and async alike): ``first_event`` until the
        first content event, ``idle`` after it, and the total deadline."""
        now = self.clock()
        limits = [self.left()]
        if self._first_event is not None and not self.hold.delivered:
            limits.append(self._first_event - (now - self.sent))
        if self._idle is not None and self.hold.delivered:
            limits.append(self._idle - (now - self.last_content))
        return _smallest(*limits)

    def budget(self) -> Callable[[], float | None] | None:
        """:meth:`read_budget`, or ``None`` when the call has no deadline a read must watch."""
        return self.read_budget if self.timed else None

    def on_open_error(self, error: SpecwireError) -> Failure:
        """The attempt could not be sent (connect, pool, TLS…)."""
        return Failure(self.blame(error))

    def on_status(self, status: int, headers: Mapping[str, Any], body: bytes) -> Failure:
        """The server answered with a status of 300 or more (``body``: at most the error cap)."""
        return Failure(status_error(self.call.spec, status, headers, body))

    def on_chunk(self, data: bytes) -> tuple[list[Any], Outcome]:
        """The events for the next piece of the body, and the outcome."""
        out, failed = self.hold.push(self.proc.feed(data))
        if failed is not None:
            return out, Failure(failed.error, failed, self.hold.take())
        if self.timed:
            if self._idle is not None and self.hold.delivered and any(e.type in CONTENT_EVENT_TYPES for e in out):
                self.last_content = self.clock()
            if not self.proc.finished and (expired := self.expired()) is not None:
                more, outcome = self.on_error(expired)
                return out + more, outcome
        if self.proc.finished:
            return out, DRAIN if out and out[-1].type == "finish" else DONE
        return out, None

    def on_error(self, error: SpecwireError) -> tuple[list[Any], Outcome]:
        """The body could not be read on (``error``: a :class:`ReadTimeout` for a read that ran
        out of its budget): a failed attempt before the first content event, the call's error
        event after it."""
        error = (self.expired() if isinstance(error, ReadTimeout) else None) or self.blame(error)
        if not self.hold.delivered:
            return [], Failure(error, held=self.hold.take())
        return self.proc.fail(error), DONE

    def on_end(self) -> tuple[list[Any], Outcome]:
        """The body ended: the closing events, and a failure or :data:`DONE`."""
        out, failed = self.hold.push(self.proc.close())
        if failed is not None:
            return out, Failure(failed.error, failed, self.hold.take())
        return out, DONE

    # -------------------------------------------------------------- after a failed attempt
    def retry(self, failure: Failure) -> tuple[list[Any], float | None]:
        """After a failed attempt: ``([], seconds)`` to sleep and try again (the next attempt is
        set up), or ``(terminal events, None)`` to give up.  A sleep that would end past the total
        deadline gives up with :class:`DeadlineExceeded`."""
        delay = self.policy.delay(failure.error, self.attempt, statuses=self.call.spec.retry_statuses)
        late = too_late(delay, self.left(), self.timeouts, failure.error)
        if late is not None:
            failure.error, failure.event, delay = late, None, None
        if delay is None:
            if failure.event is not None and failure.event.error is failure.error:
                return [*failure.held, failure.event], None
            # the processor may have ended on the error event the deadline replaced: its assembler still gives the terminal event
            return [*failure.held, *(self.proc.fail(failure.error) or self.proc.assembler.fail(failure.error))], None
        return [], delay

    def next_attempt(self) -> None:
        self.attempt += 1
        self.proc = self.call.processor()
        self.hold = HoldBack()

    # -------------------------------------------------------------- deadlines
    def left(self) -> float | None:
        return None if self.deadline is None else self.deadline - self.clock()

    def expired(self) -> SpecwireError | None:
        """The deadline that has passed, as an error, or ``None``."""
        now = self.clock()
        t = self.timeouts
        if self.deadline is not None and now >= self.deadline:
            return DeadlineExceeded(f"the call's total deadline of {t.total:g} s passed")
        if self._first_event is not None and not self.hold.delivered and now - self.sent >= self._first_event:
            return ReadTimeout(f"no first event within {self._first_event:g} s")
        if self._idle is not None and self.hold.delivered and now - self.last_content >= self._idle:
            return ReadTimeout(f"no event for {self._idle:g} s (keep-alives do not count)")
        return None

    def blame(self, error: SpecwireError) -> SpecwireError:
        """``error``, or :class:`DeadlineExceeded` when it is a timeout that fired because the
        total deadline capped this attempt's socket timeouts (the caller asked for the deadline;
        the socket's timeout is only how it was enforced)."""
        if self.deadline is not None and isinstance(error, (APITimeoutError, PoolExhaustedError)) and not isinstance(error, DeadlineExceeded):
            if self.clock() >= self.deadline - _DEADLINE_SLACK:
                return DeadlineExceeded(f"the call's total deadline of {self.timeouts.total:g} s passed ({error})")
        return error


# A timer may fire a hair before the deadline it was set from.
_DEADLINE_SLACK = 0.005


def socket_timeouts(timeouts: Timeouts, left: float | None, first_event: float | None = None) -> Timeouts:
    """An attempt's connect, read and pool timeouts: ``timeouts``' own, capped by ``left`` (the
    seconds left of the total deadline, ``None``: none) and the read by ``first_event``.  Shared
    by chat calls and the other operations (:mod:`specwire.op_calls`)."""
    if left is None and first_event is None:
        return timeouts  # nothing caps the client's own socket timeouts
    t = timeouts
    return Timeouts(connect=_smallest(t.connect, left), read=_smallest(t.read, first_event, left), pool=_smallest(t.pool, left))


def too_late(delay: float | None, left: float | None, timeouts: Timeouts, error: SpecwireError) -> DeadlineExceeded | None:
    """The error of a retry whose sleep of ``delay`` seconds would end past the total deadline
    (``left`` seconds away), or ``None``.  Shared by chat calls and the other operations."""
    if delay is None or left is None or delay < left:
        return None
    return DeadlineExceeded(f"the call's total deadline of {timeouts.total:g} s would pass before the next retry ({type(error).__name__}: {error})")


def _smallest(*values: float | None) -> float | None:
    present = [v for v in values if v is not None]
    return max(min(present), 0.0) if present else None
