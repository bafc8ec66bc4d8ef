"""Observability: log records, Python warnings and the callback API (docs/observability.md).

* **Logging.**  The library logs to ``logging.getLogger("specwire")`` and its children
  ``specwire.client`` (one record per attempt, per retry, and one when the call ends),
  ``specwire.router`` (fallbacks and router retries) and ``specwire.callbacks`` (a callback that
  raised).  It never configures logging: the ``specwire`` logger only gets a
  :class:`logging.NullHandler`.  Levels follow the official SDKs: the request is logged at DEBUG,
  each response and each retry at INFO (openai-python logs ``Retrying request to …`` at INFO,
  httpx logs ``HTTP Request: …`` at INFO), the end of a call at INFO, a router fallback and a
  failing callback at WARNING.  Every record carries the ``extra`` fields of :data:`LOG_FIELDS`.
  Nothing is built when the logger is not enabled for INFO and no callback is registered.
* **Warnings.**  The plan's warnings that matter (an unknown or deprecated model, a dropped,
  clamped, truncated or adjusted parameter) are also issued with :func:`warnings.warn` under
  :class:`SpecwireWarning` (:class:`ModelWarning`, :class:`ParameterWarning`), once per call, at
  the caller's line.  ``response.warnings`` is unchanged.
* **Callbacks.**  :class:`Callbacks` with optional ``on_request``, ``on_response_headers``,
  ``on_retry``, ``on_finish`` and ``on_error`` methods, each receiving a frozen event dataclass.
  Sync methods are called in sync and async calls; ``async def`` methods are awaited in async calls
  (a sync call cannot await them: they are skipped there, logged at DEBUG).  A callback that raises
  is logged at WARNING on ``specwire.callbacks`` and the call goes on.  Every call that sent a
  request ends with exactly one ``on_finish`` or ``on_error``.

Secrets never reach a record, a warning or an event: URLs go through
:func:`~specwire.redact.redact_url`, headers through :func:`~specwire.redact.redact_headers`.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import logging
import os
import sys
import time
import warnings
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .redact import redact_headers, redact_url

if TYPE_CHECKING:  # for annotations only: pydantic is not imported with this module
    from .types import Cost, Request, Response, Usage

__all__ = [
    "LOG_FIELDS",
    "Callbacks",
    "FailureEvent",
    "FinishEvent",
    "ModelWarning",
    "ParameterWarning",
    "RequestEvent",
    "ResponseHeadersEvent",
    "RetryEvent",
    "SpecwireWarning",
]

logging.getLogger("specwire").addHandler(logging.NullHandler())
client_log = logging.getLogger("specwire.client")
router_log = logging.getLogger("specwire.router")
callbacks_log = logging.getLogger("specwire.callbacks")

#: The ``extra`` fields of specwire's log records (absent when unknown).  Durations in seconds.
LOG_FIELDS = {
    "specwire_event": "request | response | retry | fallback | finish | error",
    "specwire_call_id": "an int identifying the logical call within the process",
    "specwire_provider": "provider id (router: the deployment's provider)",
    "specwire_model": "model id as sent",
    "specwire_method": "HTTP method",
    "specwire_url": "request URL, secrets masked",
    "specwire_attempt": "attempt number, 1 for the first",
    "specwire_status": "HTTP status of the attempt",
    "specwire_elapsed": "seconds from sending the attempt to its response headers",
    "specwire_delay": "seconds slept before the next attempt",
    "specwire_reason": "why an attempt failed: the error class, and the HTTP status if any",
    "specwire_deployment": "router: the deployment tried next (fallback record)",
    "specwire_duration": "seconds of the whole call, retries included",
    "specwire_time_to_first_event": "seconds from the call's start to its first content event",
    "specwire_input_tokens": "input tokens of the final response",
    "specwire_output_tokens": "output tokens of the final response",
    "specwire_error_type": "class name of the error that ended the call",
}


# ---------------------------------------------------------------------------- warnings
class SpecwireWarning(UserWarning):
    """Base category of specwire's Python warnings; filter it or turn it into errors
    (``warnings.simplefilter("error", specwire.SpecwireWarning)``, ``-W error::specwire.SpecwireWarning``)."""


class ModelWarning(SpecwireWarning):
    """An unknown or deprecated model id (sent as given)."""


class ParameterWarning(SpecwireWarning):
    """A parameter the provider cannot take as given: dropped, clamped, truncated or adjusted."""


_CATEGORIES: dict[str, type[SpecwireWarning]] = {
    "unknown-model": ModelWarning,
    "deprecated-model": ModelWarning,
    "unsupported-param": ParameterWarning,
    "clamped-param": ParameterWarning,
    "truncated-param": ParameterWarning,
    "adjusted-param": ParameterWarning,
}
_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _user_stacklevel() -> int:
    """The ``stacklevel`` that points :func:`warnings.warn`, called by this module's caller's
    frame, at the first frame outside the specwire package (the user's call)."""
    level, frame = 1, sys._getframe(1)  # pyright: ignore[reportPrivateUsage] - the documented CPython frame API (as warnings uses)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


def warn_call(call_warnings: Iterable[Any], provider: str, model: str) -> None:
    """Issue the Python warnings of a call's :class:`~specwire.types.CallWarning` list (those of a
    kind in the table above), each once, at the user's line."""
    seen: set[tuple[str, str]] = set()
    for w in call_warnings:
        category = _CATEGORIES.get(w.kind)
        if category is None or (w.kind, w.detail) in seen:
            continue
        seen.add((w.kind, w.detail))
        param = f" {w.param!r}" if w.param else ""
        warnings.warn(f"{provider}:{model}{param}: {w.detail} [{w.kind}]", category, stacklevel=_user_stacklevel())


# ---------------------------------------------------------------------------- events
@dataclass(frozen=True, slots=True)
class RequestEvent:
    """An attempt's request is built and about to be sent.  ``attempt``: 1 for the first.  ``url``
    and ``headers``: secrets masked (credentials are added by the auth step after this point and
    never appear).  ``request``: the generic :class:`~specwire.Request` (messages, parameters)."""

    call_id: int
    provider: str
    model: str
    attempt: int
    method: str
    url: str
    headers: Mapping[str, str]
    stream: bool
    request: Request | None = None


@dataclass(frozen=True, slots=True)
class ResponseHeadersEvent:
    """An attempt's response headers arrived.  ``elapsed``: seconds since the attempt was sent;
    ``headers``: secrets masked."""

    call_id: int
    provider: str
    model: str
    attempt: int
    url: str
    status: int
    headers: Mapping[str, str]
    elapsed: float


@dataclass(frozen=True, slots=True)
class RetryEvent:
    """Attempt ``attempt`` failed with ``error`` and another follows after ``delay`` seconds.
    ``status``: the HTTP status, if any; ``reason``: the error class and status as text.  Router:
    ``deployment`` is the deployment tried next and ``fallback`` says it differs from the failed one."""

    call_id: int
    provider: str
    model: str
    attempt: int
    delay: float
    error: BaseException
    status: int | None
    reason: str
    deployment: str | None = None
    fallback: bool = False


@dataclass(frozen=True, slots=True)
class FinishEvent:
    """The call succeeded.  ``duration``: seconds of the whole call (retries included);
    ``time_to_first_event``: seconds to the first content event (``None`` if there was none);
    ``attempts``: attempts made; ``usage``/``cost``: those of ``response``."""

    call_id: int
    provider: str
    model: str
    attempts: int
    response: Response
    usage: Usage | None
    cost: Cost | None
    duration: float
    time_to_first_event: float | None
    server_address: str | None = None
    server_port: int | None = None


@dataclass(frozen=True, slots=True)
class FailureEvent:
    """The call ended without a response.  ``error``: the error raised (or delivered as the
    stream's ``error`` event); ``None`` when the caller stopped the call (a ``break``, ``close()``,
    a cancellation).  ``partial``: the response assembled so far, if any."""

    call_id: int
    provider: str
    model: str
    attempts: int
    error: BaseException | None
    partial: Response | None
    duration: float
    time_to_first_event: float | None
    server_address: str | None = None
    server_port: int | None = None


class Callbacks:
    """Base class of a callbacks consumer: override the methods you need (sync or ``async def``);
    the others are not called.  Objects that are not subclasses work too (any of these method names)."""

    def on_request(self, event: RequestEvent) -> Any:
        """An attempt is about to be sent."""

    def on_response_headers(self, event: ResponseHeadersEvent) -> Any:
        """An attempt's response headers arrived."""

    def on_retry(self, event: RetryEvent) -> Any:
        """An attempt failed and another follows (router: a retry or a fallback)."""

    def on_finish(self, event: FinishEvent) -> Any:
        """The call finished with a response."""

    def on_error(self, event: FailureEvent) -> Any:
        """The call ended without a response."""


_NAMES = ("on_request", "on_response_headers", "on_retry", "on_finish", "on_error")


class Hooks:
    """The bound callback methods of a list of consumers, by name (base-class no-ops left out)."""

    __slots__ = ("on_request", "on_response_headers", "on_retry", "on_finish", "on_error", "consumers")

    def __init__(self, consumers: Sequence[Any]) -> None:
        self.consumers = tuple(consumers)
        self.on_request = self._bound("on_request")
        self.on_response_headers = self._bound("on_response_headers")
        self.on_retry = self._bound("on_retry")
        self.on_finish = self._bound("on_finish")
        self.on_error = self._bound("on_error")

    def _bound(self, name: str) -> tuple[Any, ...]:
        base = getattr(Callbacks, name)
        found = (getattr(c, name, None) for c in self.consumers)
        return tuple(fn for fn in found if fn is not None and getattr(fn, "__func__", None) is not base)

    @classmethod
    def of(cls, consumers: Sequence[Any] | None) -> Hooks | None:
        if not consumers:
            return None
        for c in consumers:
            if not any(callable(getattr(c, n, None)) for n in _NAMES):
                from .errors import ConfigError

                raise ConfigError(f"callbacks must have at least one of {', '.join(_NAMES)}; got {type(c).__name__}")
        return cls(consumers)

    def plus(self, consumers: Sequence[Any] | None) -> Hooks | None:
        extra = Hooks.of(consumers)
        if extra is None:
            return self
        return Hooks([*self.consumers, *extra.consumers])


def run_sync(fns: tuple[Any, ...], event: Any) -> None:
    for fn in fns:
        try:
            result = fn(event)
        except Exception:  # noqa: BLE001 - a callback never breaks the call
            callbacks_log.warning("callback %s raised; the call goes on", _name(fn), exc_info=True)
            continue
        if inspect.isawaitable(result):
            close = getattr(result, "close", None)  # a coroutine never awaited: closed so Python does not warn
            if callable(close):
                close()
            callbacks_log.debug("async callback %s skipped in a sync call (or after a cancellation)", _name(fn))


async def run_async(fns: tuple[Any, ...], event: Any) -> None:
    for fn in fns:
        try:
            result = fn(event)
            if inspect.isawaitable(result):
                await result
        except Exception:  # noqa: BLE001 - a callback never breaks the call
            callbacks_log.warning("callback %s raised; the call goes on", _name(fn), exc_info=True)


def _name(fn: Any) -> str:
    return getattr(fn, "__qualname__", None) or type(fn).__name__


def reason(error: BaseException | None) -> str:
    if error is None:
        return "stopped by the caller"
    status = getattr(error, "status", None)
    return f"{type(error).__name__} (HTTP {status})" if isinstance(status, int) else type(error).__name__


_CONTENT = frozenset({"text_start", "text_delta", "reasoning_start", "reasoning_delta", "tool_call_start", "tool_call_delta"})
_ids = itertools.count(1)


# ---------------------------------------------------------------------------- one call
class CallObserver:
    """One logical call's hook point: logs its records and runs its callbacks.  Created only when a
    callback is registered or ``specwire.client`` (or ``specwire.router``) is enabled for INFO."""

    def __init__(self, hooks: Hooks | None, *, provider: str, model: str, method: str = "POST", url: str = "",
                 stream: bool = False, request: Any = None, log: logging.Logger = client_log) -> None:
        self.hooks = hooks
        self.call_id = next(_ids)
        self.provider, self.model, self.method = provider, model, method
        self.url = redact_url(url) if url else ""
        self.stream, self.call_request, self.log = stream, request, log
        self.started = self.attempt_sent = time.monotonic()
        self.first_event: float | None = None
        self.attempts = 0
        self.done = False
        self.server_address, self.server_port = server_of(url)

    # -------------------------------------------------------------- building
    def _extra(self, event: str, **fields: Any) -> dict[str, Any]:
        out = {"specwire_event": event, "specwire_call_id": self.call_id, "specwire_provider": self.provider,
               "specwire_model": self.model}
        out.update({f"specwire_{k}": v for k, v in fields.items() if v is not None})
        return out

    def _request(self, attempt: int, headers: Mapping[str, str]) -> RequestEvent | None:
        self.attempts = attempt + 1
        self.attempt_sent = time.monotonic()
        if self.log.isEnabledFor(logging.DEBUG):
            self.log.debug("Sending request: %s %s (%s %s, attempt %d)", self.method, self.url, self.provider, self.model, attempt + 1,
                           extra=self._extra("request", method=self.method, url=self.url, attempt=attempt + 1))
        if self.hooks is None or not self.hooks.on_request:
            return None
        return RequestEvent(self.call_id, self.provider, self.model, attempt + 1, self.method, self.url,
                            redact_headers(headers), self.stream, self.call_request)

    def _headers(self, attempt: int, status: int, headers: Mapping[str, str]) -> ResponseHeadersEvent | None:
        elapsed = time.monotonic() - self.attempt_sent
        if self.log.isEnabledFor(logging.INFO):
            self.log.info("HTTP Response: %s %s %d (%s %s, attempt %d, %.3f s)", self.method, self.url, status, self.provider, self.model,
                          attempt + 1, elapsed, extra=self._extra("response", method=self.method, url=self.url, attempt=attempt + 1,
                                                                  status=status, elapsed=elapsed))
        if self.hooks is None or not self.hooks.on_response_headers:
            return None
        return ResponseHeadersEvent(self.call_id, self.provider, self.model, attempt + 1, self.url, status, redact_headers(headers), elapsed)

    def _retry(self, attempt: int, error: BaseException, delay: float, *, deployment: str | None = None, fallback: bool = False) -> RetryEvent | None:
        why = reason(error)
        status = getattr(error, "status", None)
        status = status if isinstance(status, int) else None
        if fallback and self.log.isEnabledFor(logging.WARNING):
            self.log.warning("Falling back to deployment %s after %s (attempt %d)", deployment, why, attempt + 1,
                             extra=self._extra("fallback", attempt=attempt + 1, delay=delay, reason=why, status=status, deployment=deployment))
        elif self.log.isEnabledFor(logging.INFO):
            self.log.info("Retrying request to %s in %.3f seconds after %s (attempt %d)", deployment or self.url, delay, why, attempt + 1,
                          extra=self._extra("retry", url=self.url or None, attempt=attempt + 1, delay=delay, reason=why, status=status,
                                            deployment=deployment))
        if self.hooks is None or not self.hooks.on_retry:
            return None
        return RetryEvent(self.call_id, self.provider, self.model, attempt + 1, delay, error, status, why, deployment, fallback)

    def _finish(self, response: Any) -> FinishEvent | None:
        self.done = True
        duration = time.monotonic() - self.started
        ttfe = None if self.first_event is None else self.first_event - self.started
        usage = getattr(response, "usage", None)
        if self.log.isEnabledFor(logging.INFO):
            inp = getattr(usage, "input_tokens", None)
            out = getattr(usage, "output_tokens", None)
            self.log.info("Call finished: %s %s in %.3f s, %d attempt(s), tokens in/out %s/%s", self.provider, self.model, duration,
                          self.attempts, inp, out, extra=self._extra("finish", attempt=self.attempts, duration=duration,
                                                                      time_to_first_event=ttfe, input_tokens=inp, output_tokens=out))
        if self.hooks is None or not self.hooks.on_finish:
            return None
        return FinishEvent(self.call_id, self.provider, self.model, self.attempts, response, usage, getattr(response, "cost", None),
                           duration, ttfe, self.server_address, self.server_port)

    def _error(self, error: BaseException | None, partial: Any = None) -> FailureEvent | None:
        self.done = True
        duration = time.monotonic() - self.started
        ttfe = None if self.first_event is None else self.first_event - self.started
        if self.log.isEnabledFor(logging.INFO):
            self.log.info("Call failed: %s %s after %.3f s, %d attempt(s): %s", self.provider, self.model, duration, self.attempts,
                          reason(error), extra=self._extra("error", attempt=self.attempts, duration=duration, time_to_first_event=ttfe,
                                                           reason=reason(error), error_type=type(error).__name__ if error else None,
                                                           status=getattr(error, "status", None)))
        if self.hooks is None or not self.hooks.on_error:
            return None
        return FailureEvent(self.call_id, self.provider, self.model, self.attempts, error, partial, duration, ttfe,
                            self.server_address, self.server_port)

    # -------------------------------------------------------------- sync
    def request(self, attempt: int, headers: Mapping[str, str]) -> None:
        if (event := self._request(attempt, headers)) is not None:
            run_sync(self.hooks.on_request, event)  # type: ignore[union-attr]

    def response_headers(self, attempt: int, status: int, headers: Mapping[str, str]) -> None:
        if (event := self._headers(attempt, status, headers)) is not None:
            run_sync(self.hooks.on_response_headers, event)  # type: ignore[union-attr]

    def retry(self, attempt: int, error: BaseException, delay: float, **router: Any) -> None:
        if (event := self._retry(attempt, error, delay, **router)) is not None:
            run_sync(self.hooks.on_retry, event)  # type: ignore[union-attr]

    def finish(self, response: Any) -> None:
        if not self.done and (event := self._finish(response)) is not None:
            run_sync(self.hooks.on_finish, event)  # type: ignore[union-attr]

    def error(self, error: BaseException | None, partial: Any = None) -> None:
        if not self.done and (event := self._error(error, partial)) is not None:
            run_sync(self.hooks.on_error, event)  # type: ignore[union-attr]

    # -------------------------------------------------------------- async
    async def arequest(self, attempt: int, headers: Mapping[str, str]) -> None:
        if (event := self._request(attempt, headers)) is not None:
            await run_async(self.hooks.on_request, event)  # type: ignore[union-attr]

    async def aresponse_headers(self, attempt: int, status: int, headers: Mapping[str, str]) -> None:
        if (event := self._headers(attempt, status, headers)) is not None:
            await run_async(self.hooks.on_response_headers, event)  # type: ignore[union-attr]

    async def aretry(self, attempt: int, error: BaseException, delay: float, **router: Any) -> None:
        if (event := self._retry(attempt, error, delay, **router)) is not None:
            await run_async(self.hooks.on_retry, event)  # type: ignore[union-attr]

    async def afinish(self, response: Any) -> None:
        if not self.done and (event := self._finish(response)) is not None:
            await run_async(self.hooks.on_finish, event)  # type: ignore[union-attr]

    async def aerror(self, error: BaseException | None, partial: Any = None) -> None:
        if not self.done and (event := self._error(error, partial)) is not None:
            await run_async(self.hooks.on_error, event)  # type: ignore[union-attr]

    # -------------------------------------------------------------- terminal events
    def wrap(self, events: Iterator[Any]) -> Iterator[Any]:
        """``events`` unchanged, with the first content event timed and ``on_finish``/``on_error``
        run on the terminal event (or when the caller stops the stream)."""
        try:
            for event in events:
                kind = event.type
                if kind in _CONTENT:
                    if self.first_event is None:
                        self.first_event = time.monotonic()
                elif kind == "finish":
                    self.finish(event.response)
                elif kind == "error":
                    self.error(event.error, event.response)
                yield event
        except GeneratorExit:
            raise
        except Exception as exc:
            self.error(exc)
            raise
        finally:
            close = getattr(events, "close", None)
            if close is not None:
                close()
            self.error(None)  # a no-op once a terminal event was seen

    async def awrap(self, events: AsyncIterator[Any]) -> AsyncGenerator[Any, None]:
        """Async :meth:`wrap`.  After a cancellation or an abandoned stream the ``on_error`` hooks
        run synchronously (an ``async def`` one is skipped: nothing may be awaited then)."""
        try:
            async for event in events:
                kind = event.type
                if kind in _CONTENT:
                    if self.first_event is None:
                        self.first_event = time.monotonic()
                elif kind == "finish":
                    await self.afinish(event.response)
                elif kind == "error":
                    await self.aerror(event.error, event.response)
                yield event
        except (GeneratorExit, asyncio.CancelledError):
            raise
        except Exception as exc:
            self.error(exc)
            raise
        finally:
            aclose = getattr(events, "aclose", None)
            try:
                if aclose is not None:
                    from .aio import finish as _finish_aw

                    await _finish_aw(aclose())
            finally:
                self.error(None)


def telemetry_consumers(telemetry: Any) -> list[Any]:
    """``telemetry=`` of a Client or Router as a consumer list: ``None``/``False`` → none; ``True`` →
    a default :class:`~specwire.otel.Telemetry` (imported only then); a :class:`Telemetry` as it is."""
    if telemetry is None or telemetry is False:
        return []
    if telemetry is True:
        from .otel import Telemetry

        return [Telemetry()]
    return [telemetry]


def server_of(url: str) -> tuple[str | None, int | None]:
    """``server.address``/``server.port`` of a URL (the default port of its scheme when none)."""
    if not url:
        return None, None
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None, None
    host = parts.hostname
    if port is None:
        port = {"https": 443, "http": 80}.get(parts.scheme)
    return host, port


def observer(hooks: Hooks | None, log: logging.Logger = client_log, **fields: Any) -> CallObserver | None:
    """A :class:`CallObserver`, or ``None`` (nothing to do) when no callback is registered and
    ``log`` is not enabled for INFO: the cost of observability when nobody observes."""
    if hooks is None and not log.isEnabledFor(logging.INFO):
        return None
    return CallObserver(hooks, log=log, **fields)
