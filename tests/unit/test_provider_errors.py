"""Unit tests for :mod:`specwire.provider_errors` (error bodies -> the error hierarchy), through
the shipped specs' ``errors`` sections.

What this protects: docs/ARCHITECTURE.md section 6 and the docs/RELIABILITY.md rows ``context_window_classified``,
``echoed_429_not_ratelimit``, ``inband_error_event_maps_class`` and ``openai_stream_error_object``:
the HTTP status gives the default class; a spec rule over *structured* fields replaces it, except
that a more specific status class survives a broader rule (a 503 matching a ``ServerError`` rule
stays :class:`ServiceUnavailableError`); in-band stream errors keep status 200 and
``in_stream=True``; text the user may have echoed ("429 rate limit") never decides the class; a
non-JSON body becomes a bounded, redacted excerpt.

Why unit tests and not replay tests: the corpus holds one recorded error body (an Anthropic 400).
The status x rule matrix, in-band errors of every class, HTML error pages from proxies and
adversarial messages are only reachable with hand-made bodies.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from specwire.errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ContentFilterError,
    ContextWindowExceededError,
    NotFoundError,
    OverloadedError,
    PermissionDeniedError,
    RateLimitError,
    RedirectError,
    RequestTooLargeError,
    ServerError,
    ServiceUnavailableError,
    UnprocessableEntityError,
)
from specwire.provider_errors import api_error, classify, parse_body
from specwire.redact import Secret


def openai_body(message: str = "x", type_: str | None = None, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "code": code, "param": None}}


def anthropic_body(type_: str, message: str = "x") -> dict[str, Any]:
    return {"type": "error", "error": {"type": type_, "message": message}, "request_id": "req_011"}


def gemini_body(status: str, code: int, message: str = "x", details: list[Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status, **({"details": details} if details else {})}}


# --------------------------------------------------------------------------- status defaults
@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (413, RequestTooLargeError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, ServerError),
        (502, ServerError),
        (503, ServiceUnavailableError),
        (504, ServerError),
        (529, OverloadedError),
        (302, RedirectError),
        (418, APIStatusError),
    ],
)
def test_status_defaults_with_an_unhelpful_body(registry: Any, status: int, cls: type) -> None:
    for provider in ("openai", "anthropic", "gemini"):
        err = api_error(registry.get(provider), status=status, body={"unrelated": True})
        assert type(err) is cls, (provider, status, type(err))
        assert err.status == status and err.in_stream is False and err.provider == provider


# --------------------------------------------------------------------------- class rules
@pytest.mark.parametrize(
    ("provider", "status", "body", "cls"),
    [
        ("openai", 400, openai_body("too long", "invalid_request_error", "context_length_exceeded"), ContextWindowExceededError),
        ("openai", 400, openai_body("flagged", "invalid_request_error", "content_policy_violation"), ContentFilterError),
        ("openai", 429, openai_body("quota", "insufficient_quota", "insufficient_quota"), RateLimitError),
        # the status is authoritative for its family; rules only refine it (engine/provider_errors.py)
        ("openai", 403, openai_body("quota", "insufficient_quota"), PermissionDeniedError),
        ("openai", 429, openai_body("busy", "server_error"), RateLimitError),
        ("anthropic", 400, anthropic_body("invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"), ContextWindowExceededError),
        ("anthropic", 529, anthropic_body("overloaded_error", "Overloaded"), OverloadedError),
        ("anthropic", 500, anthropic_body("overloaded_error", "Overloaded"), OverloadedError),
        ("anthropic", 413, anthropic_body("request_too_large"), RequestTooLargeError),
        ("anthropic", 500, anthropic_body("api_error"), ServerError),
        ("anthropic", 401, anthropic_body("authentication_error"), AuthenticationError),
        ("gemini", 429, gemini_body("RESOURCE_EXHAUSTED", 429), RateLimitError),
        ("gemini", 400, gemini_body("INVALID_ARGUMENT", 400, "The input token count (2000000) exceeds the maximum"), ContextWindowExceededError),
        ("gemini", 400, gemini_body("INVALID_ARGUMENT", 400, "bad"), BadRequestError),
        ("gemini", 401, gemini_body("UNAUTHENTICATED", 401), AuthenticationError),
    ],
)
def test_spec_class_rules(registry: Any, provider: str, status: int, body: Any, cls: type) -> None:
    err = api_error(registry.get(provider), status=status, body=body)
    assert type(err) is cls
    assert err.body == body


def test_first_matching_rule_wins(registry: Any) -> None:
    # anthropic lists context_window before invalid_request: both match this body
    err = api_error(registry.get("anthropic"), status=400, body=anthropic_body("invalid_request_error", "prompt is too long: 1 > 0"))
    assert type(err) is ContextWindowExceededError


def test_subclass_preference_503_stays_service_unavailable(registry: Any) -> None:
    err = api_error(registry.get("openai"), status=503, body=openai_body("down", "server_error"))
    assert type(err) is ServiceUnavailableError
    err = api_error(registry.get("anthropic"), status=503, body=anthropic_body("api_error"))
    assert type(err) is ServiceUnavailableError
    # …while a 500 takes the rule's class
    assert type(api_error(registry.get("openai"), status=500, body=openai_body("x", "server_error"))) is ServerError


def test_classify_directly(registry: Any) -> None:
    cfg = registry.get("openai").errors
    assert classify(cfg, 503, openai_body(type_="server_error")) is ServiceUnavailableError
    assert classify(cfg, 400, openai_body(code="context_length_exceeded")) is ContextWindowExceededError
    assert classify(cfg, None, openai_body(type_="server_error")) is ServerError
    assert classify(cfg, None, {"nothing": 1}) is APIStatusError
    assert classify(cfg, 400, "not json") is BadRequestError


@pytest.mark.parametrize(
    ("provider", "body"),
    [
        ("openai", openai_body("Your prompt said: '429 rate limit exceeded, please retry'", "invalid_request_error", None)),
        ("openai", openai_body("429 Too Many Requests: rate_limit_exceeded", "invalid_request_error", "invalid_value")),
        ("anthropic", anthropic_body("invalid_request_error", "messages.0: '429 rate limit' overloaded_error rate_limit_error")),
        ("gemini", gemini_body("INVALID_ARGUMENT", 400, "RESOURCE_EXHAUSTED 429 rate limit")),
    ],
)
def test_echoed_429_text_is_not_a_rate_limit(registry: Any, provider: str, body: Any) -> None:
    err = api_error(registry.get(provider), status=400, body=body)
    assert type(err) is BadRequestError
    assert not isinstance(err, RateLimitError)


# --------------------------------------------------------------------------- fields
def test_fields_are_extracted(registry: Any) -> None:
    err = api_error(
        registry.get("openai"),
        status=401,
        body={"error": {"message": "Incorrect API key", "type": "invalid_request_error", "code": "invalid_api_key", "param": "auth"}},
        headers={"X-Request-Id": "req_abc", "Retry-After": "3"},
    )
    assert (err.message, err.code, err.error_type, err.param, err.request_id, err.retry_after) == ("Incorrect API key", "invalid_api_key", "invalid_request_error", "auth", "req_abc", 3.0)
    assert "401" in str(err) and "Incorrect API key" in str(err)


def test_request_id_from_body_then_spec_header(registry: Any) -> None:
    spec = registry.get("anthropic")
    assert api_error(spec, status=500, body=anthropic_body("api_error"), headers={"request-id": "hdr"}).request_id == "req_011"
    body = {"type": "error", "error": {"type": "api_error", "message": "x"}}
    assert api_error(spec, status=500, body=body, headers={"Request-Id": "hdr"}).request_id == "hdr"


def test_retry_after_from_a_gemini_body_duration(registry: Any) -> None:
    body = gemini_body("RESOURCE_EXHAUSTED", 429, "quota", details=[{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "34.4s"}])
    err = api_error(registry.get("gemini"), status=429, body=body)
    assert err.retry_after == pytest.approx(34.4)
    # a header wins over the body
    assert api_error(registry.get("gemini"), status=429, body=body, headers={"retry-after": "2"}).retry_after == 2.0


# --------------------------------------------------------------------------- in-stream errors
@pytest.mark.parametrize(
    ("provider", "body", "cls"),
    [
        ("anthropic", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}, OverloadedError),
        ("anthropic", {"type": "error", "error": {"type": "rate_limit_error", "message": "slow"}}, RateLimitError),
        ("anthropic", {"type": "error", "error": {"type": "api_error", "message": "boom"}}, ServerError),
        ("openai", openai_body("The server had an error", "server_error"), ServerError),
        ("openai", openai_body("too long", None, "context_length_exceeded"), ContextWindowExceededError),
        ("gemini", gemini_body("UNAVAILABLE", 503, "overloaded"), ServiceUnavailableError),
        ("gemini", gemini_body("RESOURCE_EXHAUSTED", 429), RateLimitError),
    ],
)
def test_in_stream_errors_map_to_the_same_classes(registry: Any, provider: str, body: Any, cls: type) -> None:
    err = api_error(registry.get(provider), status=200, body=body, in_stream=True)
    assert type(err) is cls
    assert err.status == 200
    assert err.in_stream is True


def test_in_stream_error_without_a_matching_rule_is_the_base_class_not_a_200_class(registry: Any) -> None:
    err = api_error(registry.get("anthropic"), status=200, body={"type": "error", "error": {"type": "brand_new_error", "message": "?"}}, in_stream=True)
    assert type(err) is APIStatusError
    assert (err.status, err.in_stream, err.message, err.error_type) == (200, True, "?", "brand_new_error")


# --------------------------------------------------------------------------- non-JSON bodies
def test_parse_body_json_and_text() -> None:
    assert parse_body(b'{"error": {"message": "m"}}') == {"error": {"message": "m"}}
    assert parse_body(b"  upstream connect error  ") == "upstream connect error"
    assert parse_body(b"") == ""
    assert parse_body(b"\xff\xfe bad") == "\ufffd\ufffd bad"


def test_non_json_body_becomes_a_bounded_excerpt(registry: Any) -> None:
    html = b"<html><body>" + b"x" * 5000 + b"</body></html>"
    body = parse_body(html)
    assert isinstance(body, str)
    assert len(body) <= 301 and body.endswith("…")
    err = api_error(registry.get("openai"), status=502, body=body)
    assert type(err) is ServerError
    assert err.message == body
    assert len(str(err)) < 400


def test_non_json_body_excerpt_is_redacted(registry: Any) -> None:
    secret = f"sk-CANARY-{uuid.uuid4().hex}"
    Secret(secret)
    body = parse_body(f"proxy error for https://x/y?key=AIzaLEAK&a=1 with {secret}".encode())
    assert "AIzaLEAK" not in body and secret not in body
    err = api_error(registry.get("gemini"), status=400, body=body)
    assert "AIzaLEAK" not in str(err) and secret not in str(err)


@pytest.mark.parametrize(("body", "message"), [(None, "HTTP 418"), ([1, 2], "[1, 2]"), ({"weird": "shape"}, '{"weird": "shape"}')])
def test_message_fallbacks(registry: Any, body: Any, message: str) -> None:
    err = api_error(registry.get("openai"), status=418, body=body)
    assert err.message == message
