"""Retries and deadlines, the pure part: :class:`RetryPolicy`, :class:`Timeouts`, and parsing
``retry-after-ms``, ``retry-after`` and body durations.  The one retry loop that applies them is in
:mod:`specwire.client`.

``retry-after-ms`` wins over ``retry-after`` (the Vercel AI SDK and the Stainless SDKs do the same);
``retry-after`` is seconds (a float) or an HTTP-date (RFC 9110 section 10.2.3, the date forms
of section 5.6.7, always GMT).  NaN, infinities, negative values and text that is neither a
number nor an HTTP-date are ignored as junk.  A long hint is not junk, however long (a day and a
second, a date a year ahead): it is returned as is, and :class:`RetryPolicy` treats anything over
its ``max_retry_after`` as "do not wait, raise with ``retry_after`` set".
A body hint such as Gemini's ``RetryInfo.retryDelay`` is a protobuf Duration string (``"34.4s"``).
"""

from __future__ import annotations

import email.utils
import math
import random
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DEFAULT_RETRY_STATUSES", "RetryPolicy", "Timeouts", "parse_duration", "parse_retry_after"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
#: The three HTTP-date forms of RFC 9110 section 5.6.7: IMF-fixdate, obsolete RFC 850, asctime.
_HTTP_DATE = re.compile(
    rf"^(?:{_DAY}, \d{{2}} {_MONTH} \d{{4}} \d{{2}}:\d{{2}}:\d{{2}} GMT"
    rf"|(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \d{{2}}-{_MONTH}-\d{{2}} \d{{2}}:\d{{2}}:\d{{2}} GMT"
    rf"|{_DAY} {_MONTH} [ \d]\d \d{{2}}:\d{{2}}:\d{{2}} \d{{4}})$"
)


def _sane(value: float) -> float | None:
    if math.isnan(value) or math.isinf(value) or value < 0:
        return None
    return value


def parse_retry_after(headers: Mapping[str, str] | None, *, now: float | None = None) -> float | None:
    """Seconds to wait according to the response headers, or ``None``."""
    if not headers:
        return None
    lowered = {k.lower(): v for k, v in headers.items()} if not hasattr(headers, "get_list") else headers
    ms = lowered.get("retry-after-ms")
    if ms:
        try:
            value = _sane(float(ms) / 1000.0)
        except ValueError:
            value = None
        if value is not None:
            return value
    ra = lowered.get("retry-after")
    if not ra:
        return None
    try:
        return _sane(float(ra))
    except ValueError:
        pass
    if not _HTTP_DATE.match(ra.strip()):
        return None  # email.utils would accept junk such as "Zun, 29 Sep …" or a date without GMT
    try:
        when = email.utils.parsedate_to_datetime(ra.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    delta = when.timestamp() - (time.time() if now is None else now)
    return _sane(max(delta, 0.0))


def parse_duration(value: Any) -> float | None:
    """``"34.4s"`` / ``"250ms"`` / ``12`` → seconds, or ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return _sane(float(value))
    if not isinstance(value, str):
        return None
    m = _DURATION.match(value)
    if not m:
        return None
    number = float(m.group(1))
    factor = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}[m.group(2)]
    return _sane(number * factor)


# ---------------------------------------------------------------------------- the retry policy
DEFAULT_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 529})


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before trying a call again (docs/RELIABILITY.md section 1).

    ``max_retries`` retries after the first attempt (default 2).  Backoff: ``initial_delay`` ×
    2^attempt, capped at ``max_delay`` seconds, times a jitter drawn from ``jitter`` (default
    ``[0.5, 1.0]``, as wide as the Stainless SDKs').  A ``retry-after``/``retry-after-ms`` hint (or a
    body hint such as Gemini's RetryInfo) replaces the backoff; a hint above ``max_retry_after``
    seconds means *do not wait*: the error is raised at once with its ``retry_after`` so the caller
    can schedule the work.  ``x-should-retry: true|false`` from the server decides when present,
    always within ``max_retries``.

    Retried: connection failures and timeouts (not :class:`PoolExhaustedError`, a local problem),
    HTTP statuses in the spec's ``retry.statuses`` (default 408, 429, 500, 502, 503, 504, 529; 409
    only where a spec lists it), in-band errors of a retryable class, and a stream that broke
    before its first event.  Never after a stream's first content event reached the caller.

    :meth:`delay` is also the public helper for callers who run their own loop.
    """

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    jitter: tuple[float, float] = (0.5, 1.0)
    max_retry_after: float = 60.0
    rng: random.Random | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int) or self.max_retries < 0:  # pyright: ignore[reportUnnecessaryIsInstance] - runtime check of user input
            _invalid("max_retries", self.max_retries, "a whole number >= 0")
        for name in ("initial_delay", "max_delay", "max_retry_after"):
            if not _seconds(getattr(self, name), zero=True):
                _invalid(name, getattr(self, name), "a finite number of seconds >= 0")
        lo, hi = self.jitter
        if not (_seconds(lo, zero=True) and _seconds(hi, zero=True) and lo <= hi):
            _invalid("jitter", self.jitter, "two numbers 0 <= low <= high")

    def backoff(self, attempt: int) -> float:
        """The jittered exponential delay before retry number ``attempt + 1`` (seconds)."""
        base: float = min(self.initial_delay * (2 ** min(attempt, 64)), self.max_delay)  # no float overflow
        lo, hi = self.jitter
        return base * (self.rng or random).uniform(lo, hi)

    def delay(self, error: BaseException, attempt: int, *, statuses: frozenset[int] | None = None) -> float | None:
        """Seconds to wait before retrying after ``error`` on attempt ``attempt`` (0-based), or
        ``None``: do not retry."""
        from .errors import (
            APIStatusError,
            DeadlineExceeded,
            IncompleteStreamError,
            OverloadedError,
            PoolExhaustedError,
            RateLimitError,
            ServerError,
            TransportError,
        )

        if attempt >= self.max_retries:
            return None
        if isinstance(error, (PoolExhaustedError, DeadlineExceeded)):
            return None
        if isinstance(error, APIStatusError):
            hint = (getattr(error, "headers", None) or {}).get("x-should-retry", "").strip().lower()
            if hint == "false":
                return None
            if hint == "true":
                retryable = True
            elif error.in_stream:
                retryable = isinstance(error, (RateLimitError, OverloadedError, ServerError))
            else:
                retryable = error.status in (statuses if statuses is not None else DEFAULT_RETRY_STATUSES)
            if not retryable:
                return None
            if error.retry_after is not None:
                if error.retry_after > self.max_retry_after:
                    return None
                return max(error.retry_after, 0.0)
            return self.backoff(attempt)
        if isinstance(error, (TransportError, IncompleteStreamError)):
            return self.backoff(attempt)
        return None


@dataclass(frozen=True)
class Timeouts:
    """Every deadline of a call, in seconds (``None``: none).  The same for every provider.

    * ``connect``: establishing the connection (default 10);
    * ``read``: the longest silence on the socket, no bytes at all (default 600);
    * ``first_event``: from sending the request to the first content event (time to first token);
    * ``idle``: between content events; keep-alive pings and SSE comments do not reset it;
    * ``total``: the whole call, every attempt and every retry sleep included;
    * ``pool``: waiting for a free connection in the local pool (default 10).

    Sync and async streams apply them the same way: every body read may take at most what is
    left of ``first_event`` (until the first content event), then of ``idle``, and of ``total``;
    bytes that are not content (keep-alives) do not reset them.  (Sync streams do this through
    httpcore's per-read socket timeout; with a transport that is not httpcore's, a sync stream
    checks them whenever bytes arrive.)
    """

    connect: float | None = 10.0
    read: float | None = 600.0
    first_event: float | None = None
    idle: float | None = None
    total: float | None = None
    pool: float | None = 10.0

    def __post_init__(self) -> None:
        for name in ("connect", "read", "first_event", "idle", "total", "pool"):
            value = getattr(self, name)
            if value is not None and not _seconds(value, zero=True):  # 0: already expired (a deadline's rest)
                _invalid(f"timeout {name}", value, "None or a finite number of seconds >= 0")

    @classmethod
    def of(cls, value: Any) -> Timeouts:
        """A :class:`Timeouts` from ``None`` (defaults), a number (the ``read`` timeout, with the
        default connect timeout capped by it) or a :class:`Timeouts`."""
        if value is None:
            return cls()
        if isinstance(value, Timeouts):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return cls(connect=min(10.0, float(value)), read=float(value), pool=min(10.0, float(value)))
        _invalid("timeout", value, "a number of seconds or a Timeouts")
        raise AssertionError  # pragma: no cover - _invalid raised


def _seconds(value: Any, *, zero: bool = False) -> bool:
    """``value`` is a real, finite number of seconds, positive (or zero, when allowed)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return False
    return bool(value >= 0 if zero else value > 0)


def _invalid(name: str, value: Any, expected: str) -> None:
    from .errors import ConfigError

    raise ConfigError(f"{name} must be {expected}, got {value!r:.60}")
