"""What an error becomes at the gateway: an HTTP status, a kind, a message and ``retry-after``.

:func:`classify` maps any exception to a :class:`GatewayError` (API-neutral); each wire format
then renders it in its own error shape (:meth:`specwire.gateway.wire.WireAPI.error_body`).

Statuses: an upstream :class:`~specwire.errors.APIStatusError` keeps its status (429 stays 429
with its ``retry_after``), except an upstream 401/403 (the *gateway's* provider key was refused:
the caller's key is not at fault), which becomes 502, and an in-band stream error (status 200),
which becomes 502.  The router's own errors: :class:`~specwire.router.LocalRateLimitError` 429,
:class:`~specwire.router.NoDeploymentAvailableError` 503, an unknown or ambiguous model 404, a
request the library cannot build 400, timeouts 504, transport and stream errors 502.  A
:class:`~specwire.errors.ConfigError` (a missing provider key, a refused destination) and any
other exception are 500 with a generic message: their detail goes to the log, not the caller.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import errors as e

__all__ = ["GatewayError", "classify"]


@dataclass
class GatewayError(Exception):
    """An error as the gateway answers it: ``status`` (HTTP), ``kind`` (``invalid_request``,
    ``authentication``, ``permission``, ``not_found``, ``request_too_large``, ``rate_limit``,
    ``timeout``, ``upstream``, ``unavailable``, ``server``, ``quota``: a key's budget is spent),
    ``message`` (safe to show), ``code`` and ``param`` (optional), ``retry_after`` (seconds, or
    ``None``), ``should_retry`` (sent as ``x-should-retry``, which the OpenAI and Anthropic SDKs
    obey, when not ``None``)."""

    status: int
    kind: str
    message: str
    code: str | None = None
    param: str | None = None
    retry_after: float | None = None
    should_retry: bool | None = None

    def __str__(self) -> str:
        return f"HTTP {self.status} {self.kind}: {self.message}"

    def headers(self) -> dict[str, str]:
        """``retry-after`` (whole seconds, rounded up) when known, ``x-should-retry`` when set."""
        out = {} if self.should_retry is None else {"x-should-retry": "true" if self.should_retry else "false"}
        if self.retry_after is not None:
            out["retry-after"] = str(max(0, math.ceil(self.retry_after)))
        return out


def classify(exc: BaseException) -> GatewayError:
    """The :class:`GatewayError` an exception is answered with (see the module docstring)."""
    if isinstance(exc, GatewayError):
        return exc
    from ..router.errors import NoDeploymentAvailableError

    if isinstance(exc, e.RateLimitError):
        return GatewayError(429, "rate_limit", _message(exc), code="rate_limit_exceeded", retry_after=exc.retry_after)
    if isinstance(exc, e.APIStatusError):
        status = exc.status
        if status in (401, 403):
            return GatewayError(502, "upstream", f"the upstream provider refused the gateway's credentials (HTTP {status})")
        if status is None or status < 400:
            return GatewayError(502, "upstream", _message(exc), code=exc.code, retry_after=exc.retry_after)
        kind = "invalid_request" if status < 500 else "upstream"
        code = "context_length_exceeded" if isinstance(exc, e.ContextWindowExceededError) else \
            "content_filter" if isinstance(exc, e.ContentFilterError) else exc.code
        return GatewayError(status, kind, _message(exc), code=code, param=exc.param, retry_after=exc.retry_after)
    if isinstance(exc, NoDeploymentAvailableError):
        return GatewayError(503, "unavailable", str(exc), retry_after=exc.retry_after)
    if isinstance(exc, e.ModelNotFoundError):
        return GatewayError(404, "not_found", str(exc), code="model_not_found", param="model")
    if isinstance(exc, e.RequestBuildError):
        return GatewayError(400, "invalid_request", str(exc))
    if isinstance(exc, e.APITimeoutError):
        return GatewayError(504, "timeout", "the upstream call timed out")
    if isinstance(exc, (e.TransportError, e.StreamError)):
        return GatewayError(502, "upstream", "the upstream call failed: " + type(exc).__name__)
    return GatewayError(500, "server", "the gateway could not serve the request (see its log)")


def _message(exc: e.APIStatusError) -> str:
    return exc.message or str(exc)
