"""The error hierarchy (docs/ARCHITECTURE.md section 6, reconciled with docs/RELIABILITY.md section 2)::

    SpecwireError
    ├── SpecError(file, line, col, rule)          a spec failed to load, validate or compile
    ├── ConfigError                               something to set: an API key, a setting
    ├── ModelNotFoundError(suggestion)            unknown provider (did-you-mean)
    ├── RequestBuildError                         a request cannot be rendered (unsupported part…)
    │   └── CapabilityError                       the model's catalog entry says it cannot (strict_capabilities)
    ├── TransportError  (alias APIConnectionError) no usable HTTP response
    │   ├── APITimeoutError
    │   │   ├── ConnectTimeout
    │   │   ├── ReadTimeout
    │   │   └── DeadlineExceeded
    │   ├── PoolExhaustedError                    local connection pool exhausted (never retried)
    │   └── StreamInterruptedError                the connection broke mid-stream (partial attached)
    ├── APIStatusError(status, provider, code, error_type, param, message, request_id,
    │   │              retry_after, body, in_stream, partial)
    │   ├── BadRequestError
    │   │   ├── ContextWindowExceededError
    │   │   └── ContentFilterError
    │   ├── AuthenticationError
    │   ├── PermissionDeniedError
    │   ├── NotFoundError
    │   ├── ConflictError
    │   ├── RequestTooLargeError
    │   ├── UnprocessableEntityError
    │   ├── RateLimitError
    │   ├── RedirectError                         a 3xx on an authenticated request (never followed)
    │   └── ServerError
    │       ├── ServiceUnavailableError
    │       └── OverloadedError
    ├── StreamError(partial)
    │   ├── FramingError(offset)                  malformed SSE / JSON array / JSON body, or over a cap
    │   └── IncompleteStreamError                 the stream ended without its terminal event
    └── StructuredOutputError(raw, partial)       the reply does not validate against response_format

In-band errors (an ``error`` event inside a 200 stream) raise the same :class:`APIStatusError`
subclasses as HTTP errors, with ``in_stream=True`` and the partial response attached.

Messages never contain secrets: API keys live only in auth hooks, and every message passes through
:func:`specwire.redact.redact_text` before it is stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .redact import redact_headers, redact_text
from .vocabulary import ERROR_CLASS_NAMES

if TYPE_CHECKING:  # pragma: no cover
    from .types import Response

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "CapabilityError",
    "ConfigError",
    "ConflictError",
    "ConnectTimeout",
    "ContentFilterError",
    "ContextWindowExceededError",
    "DeadlineExceeded",
    "ERROR_CLASSES",
    "FramingError",
    "IncompleteStreamError",
    "ModelNotFoundError",
    "NotFoundError",
    "OverloadedError",
    "PermissionDeniedError",
    "PoolExhaustedError",
    "RateLimitError",
    "ReadTimeout",
    "RedirectError",
    "RequestBuildError",
    "RequestTooLargeError",
    "ResponseParseError",
    "ServerError",
    "ServiceUnavailableError",
    "SpecError",
    "SpecwireError",
    "StreamError",
    "StreamInterruptedError",
    "StructuredOutputError",
    "TransportError",
    "UnprocessableEntityError",
    "UnsupportedOperationError",
    "class_for_status",
]


class SpecwireError(Exception):
    """Root of every error specwire raises."""

    def __init__(self, message: str) -> None:
        self.message = redact_text(message)
        super().__init__(self.message)


class SpecError(SpecwireError):
    """A provider spec failed to load, validate or compile.

    ``file``, ``line`` and ``col`` (1-based) point at the offending node; ``rule`` names the check
    (``yaml-syntax``, ``schema``, ``jmespath``, ``template``, ``unknown-framing``…: a key of
    :data:`specwire.vocabulary.LINT_RULES`).  ``issues`` holds
    every problem found when several were collected.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        col: int | None = None,
        rule: str = "spec",
        issues: list[Any] | None = None,
    ) -> None:
        self.file, self.line, self.col, self.rule = file, line, col, rule
        self.issues = issues or []
        where = ":".join(str(x) for x in (file, line, col) if x is not None)
        super().__init__(f"{where}: {message} [{rule}]" if where else f"{message} [{rule}]")


class ConfigError(SpecwireError):
    """Missing or invalid configuration; the message says what to set."""


class ModelNotFoundError(SpecwireError):
    """An unknown provider in a model ref; ``suggestion`` holds a close known name, if any."""

    def __init__(self, message: str, *, suggestion: str | None = None) -> None:
        self.suggestion = suggestion
        super().__init__(message + (f" (did you mean {suggestion!r}?)" if suggestion else ""))


class RequestBuildError(SpecwireError):
    """The request cannot be built: a template failed, a content part the provider's spec does
    not support (parts are never dropped silently), or a value of the call that cannot be sent (a
    lone surrogate, a tool schema that contains itself or nests too deeply, a header value with
    CR/LF, an option of the wrong type).  The message names the field.  Raised before any I/O and
    never retried."""


class UnsupportedOperationError(RequestBuildError):
    """The provider's spec declares no such operation (``embed``, ``count_tokens``,
    ``list_models``; docs/ARCHITECTURE.md section 4, "Operations").  Raised before any I/O."""


class CapabilityError(RequestBuildError):
    """With ``strict_capabilities=True``: the call sends something (an image, a reasoning effort,
    tools, a JSON schema) that the model's catalog entry says it cannot take.  Raised before any
    I/O (:mod:`specwire.capabilities`)."""


class TransportError(SpecwireError):
    """No usable HTTP response: connection refused or reset, DNS failure, timeout."""

    def __init__(self, message: str, *, partial: Response | None = None) -> None:
        self.partial = partial
        super().__init__(message)


APIConnectionError = TransportError


class APITimeoutError(TransportError):
    """A timeout (connect, read, or the total deadline)."""


class ConnectTimeout(APITimeoutError):
    """Connecting took longer than the connect timeout."""


class ReadTimeout(APITimeoutError):
    """No bytes (or no event) arrived within the read, first-event or idle timeout."""


class DeadlineExceeded(APITimeoutError):
    """The total deadline of the call, across every attempt and sleep, ran out."""


class PoolExhaustedError(TransportError):
    """No connection became free in the local pool in time.  A local resource problem: not retried."""


class StreamInterruptedError(TransportError):
    """The connection broke after the stream started; ``partial`` holds what arrived."""


class APIStatusError(SpecwireError):
    """The provider answered with an error: an HTTP status >= 300, or an in-band stream error.

    Attributes: ``status`` (HTTP status; 200 for in-band errors), ``provider``, ``code`` and
    ``error_type`` (the provider's own error code / type), ``param``, ``message``, ``request_id``,
    ``retry_after`` (seconds, from ``retry-after-ms`` / ``retry-after`` headers or the body),
    ``body`` (the parsed error body, secrets redacted), ``headers`` (the response headers,
    lower-cased, secrets masked), ``in_stream`` and ``partial`` (the partial response of a stream).
    ``retry_after_s`` is an alias of ``retry_after``.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        provider: str | None = None,
        code: Any = None,
        error_type: str | None = None,
        param: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        body: Any = None,
        in_stream: bool = False,
        partial: Response | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        # a server may echo a credential in any of these (``x-request-id: <the key>``)
        self.headers = redact_headers(headers or {})
        self.status = status
        self.provider = provider
        self.code = redact_text(code) if isinstance(code, str) else code
        self.error_type = redact_text(error_type) if error_type else error_type
        self.param = redact_text(param) if param else param
        self.request_id = redact_text(request_id) if request_id else request_id
        self.retry_after = retry_after
        self.body = body
        self.in_stream = in_stream
        self.partial = partial
        prefix = f"{provider}: " if provider else ""
        status_txt = f"HTTP {status}" if status is not None else "error"
        detail = " ".join(str(x) for x in (error_type, code) if x not in (None, ""))
        text = f"{prefix}{status_txt}{' ' + detail if detail else ''}: {message}"
        super().__init__(text)
        self.message = redact_text(message)

    @property
    def retry_after_s(self) -> float | None:
        return self.retry_after

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, provider={self.provider!r}, code={self.code!r}, message={self.message!r})"


class BadRequestError(APIStatusError):
    """HTTP 400: the request was invalid."""


class ContextWindowExceededError(BadRequestError):
    """The prompt (plus ``max_output_tokens``) does not fit the model's context window."""


class ContentFilterError(BadRequestError):
    """The provider refused the request on content-policy grounds."""


class AuthenticationError(APIStatusError):
    """HTTP 401: missing or invalid credentials."""


class PermissionDeniedError(APIStatusError):
    """HTTP 403: the credentials may not use this resource."""


class NotFoundError(APIStatusError):
    """HTTP 404: unknown model, deployment or path."""


class ConflictError(APIStatusError):
    """HTTP 409."""


class RequestTooLargeError(APIStatusError):
    """HTTP 413: the request body is too large."""


class UnprocessableEntityError(APIStatusError):
    """HTTP 422."""


class RateLimitError(APIStatusError):
    """HTTP 429 (or an in-band rate-limit error); ``retry_after`` says when to try again, if known."""


class RedirectError(APIStatusError):
    """A 3xx answer to an authenticated request.  Redirects are never followed, so credentials never
    reach another origin; the message names the (redacted) ``Location``."""


class ServerError(APIStatusError):
    """HTTP 5xx."""


class ServiceUnavailableError(ServerError):
    """HTTP 503."""


class OverloadedError(ServerError):
    """The provider is overloaded (Anthropic 529 ``overloaded_error``)."""


class StreamError(SpecwireError):
    """A stream could not be decoded or ended early; ``partial`` holds the response so far."""

    def __init__(self, message: str, *, partial: Response | None = None) -> None:
        self.partial = partial
        super().__init__(message)


class FramingError(StreamError):
    """Malformed or oversized framing (SSE, JSON array, JSON body); ``offset`` is the byte offset
    into the body where decoding failed, when known."""

    def __init__(self, message: str, *, offset: int | None = None, partial: Response | None = None) -> None:
        self.offset = offset
        self.frames: list[Any] = []  # frames a framing completed in the same read, before the error
        super().__init__(message + (f" (at byte {offset})" if offset is not None else ""), partial=partial)


class IncompleteStreamError(StreamError):
    """The body ended before the stream's terminal event (``[DONE]``, ``message_stop``, a finish
    reason…).  Never turned into a synthetic ``stop``."""


class ResponseParseError(StreamError):
    """A response body (of an operation besides chat: embeddings, token counts, model lists) is
    not JSON or lacks a field its operation needs; ``partial`` is ``None``."""


class StructuredOutputError(SpecwireError):
    """The reply does not validate against the pydantic model given as ``response_format``.

    ``raw`` is the text that was checked (the reply's text, or the forced tool call's input as
    JSON); ``partial`` is the whole :class:`~specwire.Response` (``parsed`` unset).  The message
    names the fields that did not validate.  Never retried: the same request would be billed again
    for a reply the provider already constrained."""

    def __init__(self, message: str, *, raw: str, partial: Response | None = None) -> None:
        self.raw = raw
        self.partial = partial
        super().__init__(message)


def _nameable(name: str) -> type[APIStatusError]:
    cls = globals().get(name)
    if not (isinstance(cls, type) and issubclass(cls, APIStatusError)):  # pragma: no cover - a vocabulary slip
        raise TypeError(f"specwire.vocabulary.ERROR_CLASS_NAMES names {name!r}, which is not an APIStatusError class")
    return cls


#: Error classes a spec may name in its ``errors.classes`` rules, by class name: the names are
#: :data:`specwire.vocabulary.ERROR_CLASS_NAMES` (the spec schema's enum is generated from them).
ERROR_CLASSES: dict[str, type[APIStatusError]] = {name: _nameable(name) for name in ERROR_CLASS_NAMES}

_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: RequestTooLargeError,
    422: UnprocessableEntityError,
    429: RateLimitError,
    503: ServiceUnavailableError,
    529: OverloadedError,
}


def class_for_status(status: int | None) -> type[APIStatusError]:
    """The default error class of an HTTP status (before a spec's own ``errors.classes`` rules)."""
    if status is None:
        return APIStatusError
    if status in _STATUS_CLASSES:
        return _STATUS_CLASSES[status]
    if 300 <= status < 400:
        return RedirectError
    if status >= 500:
        return ServerError
    return APIStatusError
