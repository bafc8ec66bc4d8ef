"""Keeping secrets out of messages, reprs and logs (docs/RELIABILITY.md T7).

Two layers:

* every secret the engine handles (API keys, tokens) is wrapped in :class:`Secret`, whose ``repr``
  and ``str`` are ``'***'``, and registered here when it is used, so :func:`redact_text` can remove
  it from any text that might carry it (an error message, a URL, a log line);
* well-known secret carriers are masked by pattern: ``Authorization``/``x-api-key``-style header
  values and secret query parameters (``key=``, ``api_key=``, ``X-Amz-Signature=``…).

Headers in the redaction set, and query parameters, are matched case-insensitively.

Log records of httpx and httpcore (which log URLs at INFO and response headers at DEBUG: a Gemini
``?key=`` URL, a hostile ``Location`` carrying the key) pass through :class:`RedactingFilter`,
installed on those loggers by :func:`install_log_redaction` when the transport is imported.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping
from typing import cast

__all__ = ["MASK", "SECRET_HEADERS", "SECRET_QUERY_PARAMS", "RedactingFilter", "Secret", "install_log_redaction", "redact_headers", "redact_text", "redact_url"]

MASK = "***"

#: Header names whose values are always masked.
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
        "x-goog-api-key",
        "x-amz-security-token",
        "cookie",
        "set-cookie",
    }
)

#: Query parameters whose values are always masked.
SECRET_QUERY_PARAMS = frozenset(
    {"key", "api_key", "apikey", "access_token", "token", "sig", "signature", "x-amz-signature",
     "x-amz-credential", "x-amz-security-token"}
)

_known: set[str] = set()
_lock = threading.Lock()
_pattern: re.Pattern[str] | None = None

_QUERY_RE = re.compile(
    r"(?i)([?&](?:" + "|".join(re.escape(p) for p in sorted(SECRET_QUERY_PARAMS)) + r")=)[^&#\s'\"]*"
)
_BEARER_RE = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}")


class Secret:
    """A secret string.  ``repr()``/``str()`` show ``'***'``; :meth:`reveal` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        remember(value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __copy__(self) -> Secret:
        return self  # immutable

    def __deepcopy__(self, memo: dict[int, object]) -> Secret:
        return self

    def __reduce__(self) -> tuple[object, ...]:  # never pickle the value
        raise TypeError("Secret values cannot be pickled")


def remember(value: str) -> None:
    """Register a secret value so that :func:`redact_text` removes it wherever it appears."""
    global _pattern
    if not value or len(value) < 4 or value in _known:
        return
    with _lock:
        _known.add(value)
        ordered = sorted(_known, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(v) for v in ordered))


def redact_text(text: str) -> str:
    """``text`` with every registered secret and every secret-looking query parameter or bearer
    token replaced by ``***``."""
    if not text:
        return text
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    if "=" in text:
        text = _QUERY_RE.sub(lambda m: m.group(1) + MASK, text)
    if " " in text:
        text = _BEARER_RE.sub(lambda m: m.group(1) + " " + MASK, text)
    return text


def redact_url(url: str) -> str:
    """A URL with secret query parameter values masked."""
    return redact_text(url)


def redact_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]], extra: Iterable[str] = ()) -> dict[str, str]:
    """A copy of ``headers`` with secret header values masked (``extra`` adds header names, e.g.
    the one a spec's auth block names)."""
    names = SECRET_HEADERS | {h.lower() for h in extra}
    items = cast("Iterable[tuple[str, str]]", headers.items() if isinstance(headers, Mapping) else headers)
    return {k: (MASK if k.lower() in names else redact_text(v)) for k, v in items}


class RedactingFilter(logging.Filter):
    """A logging filter that rewrites a record's message through :func:`redact_text` (and drops
    its ``args``, which may hold the same secrets) when the message carries a secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is logging's business, not ours
            return True
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


#: The loggers whose records may carry request URLs or response headers.  A filter on a logger
#: does not see its children's records, so each logger that emits is listed.
LOGGERS = ("httpx", "httpcore", "httpcore.connection", "httpcore.http11", "httpcore.http2", "httpcore.proxy", "httpcore.socks", "specwire")
_FILTER = RedactingFilter()


def install_log_redaction(names: Iterable[str] = LOGGERS) -> None:
    """Add the redacting filter to ``names`` (idempotent)."""
    for name in names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
