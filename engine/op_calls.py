"""Sending an operation's request (embeddings, token counts, model lists): one JSON request, one
JSON body, retried by the call's :class:`~specwire.RetryPolicy` exactly as chat calls are
(docs/RELIABILITY.md section 1), within the call's total deadline.  Sync and async; the body is
read whole, at most :data:`MAX_OPERATION_BODY_BYTES`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import aclosing, closing
from dataclasses import dataclass
from typing import Any

from . import attempts
from .aio import finish
from .call import socket_timeouts, status_error, too_late
from .errors import DeadlineExceeded, ReadTimeout, ResponseParseError, SpecwireError
from .request import RequestPlan
from .retry import RetryPolicy, Timeouts
from .safejson import loads
from .spec.compile import CompiledSpec
from .transport import Transport

__all__ = ["MAX_OPERATION_BODY_BYTES", "OperationCall", "send_async", "send_sync"]

#: The largest operation body read (bytes): 2048 embeddings of 3072 floats as JSON text fit.
MAX_OPERATION_BODY_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class OperationCall:
    """One prepared operation request: the spec (for its error rules and retried statuses), the
    plan, its auth (an ``httpx.Auth``), the retry policy and timeouts."""

    spec: CompiledSpec
    plan: RequestPlan
    auth: Any
    policy: RetryPolicy
    timeouts: Timeouts
    sleep: Callable[[float], Any] | None = None


class _Deadline:
    def __init__(self, timeouts: Timeouts) -> None:
        self.timeouts = timeouts
        self.clock = time.monotonic
        self.end = self.clock() + timeouts.total if timeouts.total is not None else None

    def left(self) -> float | None:
        return None if self.end is None else self.end - self.clock()

    def attempt(self) -> Timeouts:
        left = self.left()
        if left is not None and left <= 0:
            raise DeadlineExceeded(f"the call's total deadline of {self.timeouts.total:g} s passed")
        return socket_timeouts(self.timeouts, left)

    def delay(self, call: OperationCall, error: SpecwireError, attempt: int) -> float | None:
        delay = call.policy.delay(error, attempt, statuses=call.spec.retry_statuses)
        late = too_late(delay, self.left(), self.timeouts, error)
        if late is not None:
            raise late from None
        return delay


def _json(spec: CompiledSpec, body: bytes) -> Any:
    if len(body) > MAX_OPERATION_BODY_BYTES:
        raise ResponseParseError(f"{spec.provider}: the response body is larger than {MAX_OPERATION_BODY_BYTES} bytes")
    try:
        return loads(body)
    except ValueError:
        raise ResponseParseError(f"{spec.provider}: the response body is not JSON") from None


def send_sync(call: OperationCall, transport: Transport) -> Any:
    """The parsed JSON body of a successful response.  Raises the error classes of
    :mod:`specwire.errors` (an HTTP error by the spec's error rules) after the retries."""
    deadline = _Deadline(call.timeouts)
    attempt = 0
    while True:
        try:
            return _json(call.spec, _once_sync(call, transport, deadline))
        except SpecwireError as exc:
            delay = deadline.delay(call, exc, attempt)
            if delay is None:
                raise
        (call.sleep or getattr(attempts, "_sleep"))(delay)  # the module name, so tests can make it instant
        attempt += 1


def _once_sync(call: OperationCall, transport: Transport, deadline: _Deadline) -> bytes:
    response = transport.open(call.plan, call.auth, deadline.attempt())
    with closing(response):
        if response.status_code >= 300:
            raise status_error(call.spec, response.status_code, Transport.headers(response), transport.read_capped(response))
        out = bytearray()
        for chunk in transport.iter_bytes(response, deadline.left):
            out += chunk
            if len(out) > MAX_OPERATION_BODY_BYTES:
                break
        return bytes(out)


async def send_async(call: OperationCall, transport: Transport) -> Any:
    """Async :func:`send_sync`."""
    deadline = _Deadline(call.timeouts)
    attempt = 0
    while True:
        try:
            return _json(call.spec, await _once_async(call, transport, deadline))
        except SpecwireError as exc:
            delay = deadline.delay(call, exc, attempt)
            if delay is None:
                raise
        if call.sleep is not None:
            call.sleep(delay)
        else:
            await getattr(attempts, "_async_sleep")(delay)
        attempt += 1


async def _once_async(call: OperationCall, transport: Transport, deadline: _Deadline) -> bytes:
    response = await transport.aopen(call.plan, call.auth, deadline.attempt())
    try:
        if response.status_code >= 300:
            raise status_error(call.spec, response.status_code, Transport.headers(response), await transport.aread_capped(response))
        out = bytearray()
        try:
            async with aclosing(transport.aiter_bytes(response, deadline.left)) as chunks:
                async for chunk in chunks:
                    out += chunk
                    if len(out) > MAX_OPERATION_BODY_BYTES:
                        break
        except TimeoutError:
            raise ReadTimeout(f"{call.spec.provider}: the response body did not arrive within the call's deadline") from None
        return bytes(out)
    finally:
        await finish(Transport.release(response))  # a cancellation must not leave the connection checked out
