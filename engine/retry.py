"""Retry hints: parsing ``retry-after-ms``, ``retry-after`` and body durations.  Pure.

``retry-after-ms`` wins over ``retry-after`` (the Vercel AI SDK and the Stainless SDKs do the same);
``retry-after`` is seconds (a float) or an HTTP-date (RFC 9110 section 10.2.3, the date forms
of section 5.6.7, always GMT).  NaN, infinities,
negative values and values over :data:`MAX_RETRY_AFTER_SECONDS` are ignored as junk.
A body hint such as Gemini's ``RetryInfo.retryDelay`` is a protobuf Duration string (``"34.4s"``).
"""

from __future__ import annotations

import email.utils
import math
import re
import time
from collections.abc import Mapping
from typing import Any

__all__ = ["MAX_RETRY_AFTER_SECONDS", "parse_duration", "parse_retry_after"]

#: Longer hints are treated as junk by the parser (callers apply their own, lower cap).
MAX_RETRY_AFTER_SECONDS = 24 * 3600.0

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
    if math.isnan(value) or math.isinf(value) or value < 0 or value > MAX_RETRY_AFTER_SECONDS:
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
    if when is None:
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
