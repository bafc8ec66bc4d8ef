"""Errors the router adds to the library's hierarchy (:mod:`specwire.errors`).

* :class:`AmbiguousModelError` (a :class:`~specwire.errors.ModelNotFoundError`): a requested name
  matches several targets (routes of equal priority, or several provider catalogs); ``candidates``
  lists them.
* :class:`NoDeploymentAvailableError`: every deployment that could serve the call is cooling down
  (open circuit) or was excluded, and waiting is not possible within the deadline; ``retry_after``
  says when the first one becomes available again.
* :class:`LocalRateLimitError` (a :class:`~specwire.errors.RateLimitError`, ``status=None``): the
  router's own token buckets (``rpm``/``tpm``) have no room and ``rate_limit.mode`` is ``raise``
  (or waiting would pass ``max_wait`` or the deadline); ``retry_after`` says when there will be.
"""

from __future__ import annotations

from ..errors import ModelNotFoundError, RateLimitError, SpecwireError

__all__ = ["AmbiguousModelError", "LocalRateLimitError", "NoDeploymentAvailableError"]


class AmbiguousModelError(ModelNotFoundError):
    """A name the router cannot route unambiguously; ``candidates`` lists what it matched."""

    def __init__(self, message: str, *, candidates: list[str]) -> None:
        self.candidates = list(candidates)
        super().__init__(f"{message}: {', '.join(self.candidates)}")


class NoDeploymentAvailableError(SpecwireError):
    """No deployment can take the call now; ``retry_after`` (seconds) when one will, if known."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message + (f" (retry in {retry_after:.3g} s)" if retry_after is not None else ""))


class LocalRateLimitError(RateLimitError):
    """The router's client-side rate limit (``rpm``/``tpm`` of a deployment) has no room."""

    def __init__(self, message: str, *, provider: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, status=None, provider=provider, retry_after=retry_after, error_type="local_rate_limit")
