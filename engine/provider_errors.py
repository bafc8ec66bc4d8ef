"""Provider error bodies → the error hierarchy, through a spec's ``errors`` section.  Pure.

The spec names where the message, code, type, param, request id and retry hint sit in the error
body (JMESPath), and ``classes``: rules of an optional ``status`` and a ``when`` predicate over
structured fields (never over free text the user could have echoed), first match wins.  The HTTP
status is authoritative for its family and rules refine it: a rule's class replaces the status
class when it is a subclass of it (a 400 refined to :class:`ContextWindowExceededError`) or when
the status class is generic (:class:`BadRequestError`, :class:`APIStatusError`); a status class
that is a subclass of the rule's stays (a 503 matching a ``ServerError`` rule stays
:class:`ServiceUnavailableError`); a rule of another family never overrides a specific status (a
429 whose body says ``server_error`` stays a :class:`RateLimitError`).

In-band stream errors go through the same function with ``in_stream=True``: same classes, status
200 kept, and no status-based default.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .errors import ERROR_CLASSES, APIStatusError, BadRequestError, class_for_status
from .jpath import JPathError
from .mapping import truthy
from .redact import redact_headers, redact_text
from .retry import parse_duration, parse_retry_after
from .safejson import loads
from .spec.compile import CompiledSpec, ErrorsConfig

__all__ = ["api_error", "classify", "parse_body"]

_EXCERPT = 300


def parse_body(content: bytes) -> Any:
    """An error body as JSON when it is JSON (nested at most :data:`specwire.safejson.MAX_DEPTH`
    deep), else its text (an excerpt, redacted)."""
    text = content.decode("utf-8", errors="replace")
    try:
        return loads(text)
    except ValueError:
        text = text.strip()
        return redact_text(text[:_EXCERPT] + ("…" if len(text) > _EXCERPT else ""))


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v) for v in value]
    return value


def _search(expr: Any, data: Any) -> Any:
    if expr is None or not isinstance(data, (dict, list)):
        return None
    try:
        return expr.search(data)
    except JPathError:
        return None


def classify(config: ErrorsConfig, status: int | None, data: Any) -> type[APIStatusError]:
    """The error class for a status and a parsed body."""
    default = class_for_status(status)
    for rule in config.classes:
        if rule.statuses is not None and status not in rule.statuses:
            continue
        if rule.when is not None and not truthy(_search(rule.when, data)):
            continue
        chosen = ERROR_CLASSES[rule.cls]
        if issubclass(default, chosen):
            return default
        if status is None or default in (APIStatusError, BadRequestError) or issubclass(chosen, default):
            return chosen
        return default
    return default


def api_error(
    spec: CompiledSpec,
    *,
    status: int | None,
    body: Any,
    headers: Mapping[str, str] | None = None,
    in_stream: bool = False,
) -> APIStatusError:
    """Build the :class:`APIStatusError` subclass for an error response or an in-band error."""
    cfg = spec.errors
    body = _redacted(body)  # a server may echo a credential back
    data = body if isinstance(body, (dict, list)) else None
    message = _search(cfg.message, data)
    if not isinstance(message, str) or not message:
        message = body if isinstance(body, str) and body else (json.dumps(body)[:_EXCERPT] if data is not None else f"HTTP {status}")
    code = _search(cfg.code, data)
    error_type = _search(cfg.type, data)
    if error_type is None and cfg.type_header and headers:
        lowered = {k.lower(): v for k, v in headers.items()}
        raw_type = lowered.get(cfg.type_header.lower())
        if raw_type:  # AWS: "ValidationException:http://internal.amazon.com/coral/…"
            error_type = raw_type.split(":", 1)[0]
            if data is None or isinstance(data, dict):
                data = {**(data or {}), "__type": error_type}  # class rules can test it
    param = _search(cfg.param, data)
    request_id = _search(cfg.request_id, data)
    if request_id is None and headers:
        lowered = {k.lower(): v for k, v in headers.items()}
        for name in cfg.request_id_headers or ("x-request-id", "request-id"):
            if lowered.get(name.lower()):
                request_id = lowered[name.lower()]
                break
    retry_after = parse_retry_after(headers)
    if retry_after is None:
        retry_after = parse_duration(_search(cfg.retry_after, data))
    cls = classify(cfg, None if in_stream else status, data)
    shown_headers = redact_headers({k.lower(): v for k, v in headers.items()}) if headers else {}
    return cls(
        message,
        status=status,
        provider=spec.provider,
        code=code,
        error_type=error_type if isinstance(error_type, str) else None,
        param=param if isinstance(param, str) else None,
        request_id=request_id if isinstance(request_id, str) else None,
        retry_after=retry_after,
        body=body,
        in_stream=in_stream,
        headers=shown_headers,
    )
