"""Error classification by the spec's ``errors`` predicates, against a loopback server
(docs/RELIABILITY.md section 4 rows ``context_window_classified`` and ``echoed_429_not_ratelimit``).

What this protects: callers branch on the class (shrink the prompt on
``ContextWindowExceededError``, back off on ``RateLimitError``), so the class must come from the
provider's structured fields (status, error code/type) and never from free text, which may echo
the user's own prompt (LiteLLM #11455: a 400 whose message quoted "429 rate limit" was retried as a
rate limit).  Neither class of 400 is retried.

Provider facts (error shapes): OpenAI ``context_length_exceeded``,
https://platform.openai.com/docs/guides/error-codes ; Anthropic ``invalid_request_error`` "prompt is
too long", https://platform.claude.com/docs/en/api/errors ; Gemini ``INVALID_ARGUMENT`` "The input
token count …", https://ai.google.dev/gemini-api/docs/troubleshooting ; Bedrock ``ValidationException``
"Input is too long for requested model", https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html .
"""

from __future__ import annotations

from typing import Any

import pytest

from specwire import BadRequestError, ContextWindowExceededError, RateLimitError
from tests.hostile.server import HostileServer, json_reply, openai_ok
from tests.reliability.helpers import MODELS, expect_error

CONTEXT_WINDOW = {
    "openai": {"error": {"message": "This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens.", "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}},
    "anthropic": {"type": "error", "error": {"type": "invalid_request_error", "message": "prompt is too long: 210000 tokens > 200000 maximum"}},
    "gemini": {"error": {"code": 400, "message": "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).", "status": "INVALID_ARGUMENT"}},
    "bedrock-loopback": {"message": "Input is too long for requested model."},
}


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
@pytest.mark.parametrize("provider", list(CONTEXT_WINDOW))
def test_context_window_classified(drive: Any, hostile: HostileServer, sleeps: list[float], provider: str, stream: bool) -> None:
    """400 ``{"error":{"code":"context_length_exceeded"}}`` (and each provider's equivalent) →
    ``ContextWindowExceededError`` (a ``BadRequestError``) through the spec's predicate; not retried
    (LiteLLM ``is_error_str_context_window_exceeded``)."""
    hostile.script(json_reply(400, CONTEXT_WINDOW[provider]), openai_ok(stream))
    d = drive(hostile, provider)
    out = d.call(stream, MODELS[provider])
    err = expect_error(out, ContextWindowExceededError)
    assert isinstance(err, BadRequestError) and err.status == 400 and err.provider == provider
    assert hostile.count == 1 and sleeps == []
    assert d.leaks(hostile) == []


ECHOES = {
    "openai": {"error": {"message": "Invalid 'messages[0].content': '429 rate limit exceeded, rate_limit_exceeded, Too Many Requests' is not allowed here.", "type": "invalid_request_error", "param": "messages[0].content", "code": "invalid_value"}},
    "anthropic": {"type": "error", "error": {"type": "invalid_request_error", "message": "messages.0.content: '429 rate_limit_error overloaded_error prompt is too long' is invalid"}},
    "gemini": {"error": {"code": 400, "message": "Invalid value at 'contents[0]' (RESOURCE_EXHAUSTED 429 rate limit)", "status": "INVALID_ARGUMENT"}},
}


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
@pytest.mark.parametrize("provider", list(ECHOES))
def test_echoed_429_not_ratelimit(drive: Any, hostile: HostileServer, sleeps: list[float], provider: str, stream: bool) -> None:
    """A 400 whose message echoes the user's text "429 rate limit" (and, for Anthropic, the names of
    other error types): ``BadRequestError``, neither ``RateLimitError`` nor
    ``ContextWindowExceededError``, and not retried (LiteLLM #11455 gate)."""
    hostile.script(json_reply(400, ECHOES[provider]), openai_ok(stream))
    d = drive(hostile, provider)
    out = d.call(stream, MODELS[provider], "429 rate limit exceeded")
    err = expect_error(out, BadRequestError)
    assert type(err) is BadRequestError, f"classified as {type(err).__name__} from echoed text"
    assert not isinstance(err, RateLimitError) and err.retry_after is None
    assert hostile.count == 1 and sleeps == []
    assert d.leaks(hostile) == []
