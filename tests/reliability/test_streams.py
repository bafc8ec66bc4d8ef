"""Stream termination, retries around the first event, and in-band errors, against a real loopback
server (docs/RELIABILITY.md section 1 rule 4 and the stream rows of section 4).

What this protects: a stream is retried only while nothing has reached the caller (a reset or an
in-band error before the first event is invisible to the caller; after it, never retried, raised
with the partial response); in-band errors (Anthropic ``event: error``, an OpenAI error chunk, a
Bedrock ``:message-type: exception`` message) map to the same classes as HTTP errors with
``in_stream=True`` and the partial attached; a stream that ends without its terminal signal is an
``IncompleteStreamError``, never a synthetic ``stop``; ``[DONE]`` without a finish reason is
complete; a content-filter finish is a finish reason, raised only on request.

Provider facts (wire shapes): Anthropic ``error`` events and ``overloaded_error``,
https://platform.claude.com/docs/build-with-claude/streaming#error-events ; OpenAI error chunks are
``{"error": {...}}`` data lines (openai-python ``_streaming.py``: ``if sse.data.startswith("[DONE]")``
/ ``data.get("error")``); Bedrock in-stream exceptions, ``ConverseStreamOutput`` in botocore's
``bedrock-runtime/2023-09-30/service-2.json`` (``throttlingException`` …) and
https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html ; Gemini
``SAFETY``, https://ai.google.dev/api/generate-content#FinishReason .
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from specwire import (
    APIConnectionError,
    APIStatusError,
    ContentFilterError,
    IncompleteStreamError,
    OverloadedError,
    RateLimitError,
    ServerError,
    StreamInterruptedError,
)
from specwire.framing.eventstream import encode_message
from tests.hostile.server import (
    HostileServer,
    Reply,
    Reset,
    Stall,
    anthropic_sse,
    json_reply,
    openai_completion,
    openai_ok,
    openai_sse,
    sse,
    stream_reply,
)
from tests.reliability.helpers import MODELS, expect_error

GPT, CLAUDE, GEMINI = MODELS["openai"], MODELS["anthropic"], MODELS["gemini"]
OVERLOADED = sse(("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}))


# ---------------------------------------------------------------------------- no_retry_after_first_event
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_no_retry_after_first_event(drive: Any, hostile: HostileServer, sleeps: list[float], provider: str) -> None:
    """200, three text events, then a TCP reset: ``StreamInterruptedError`` (an
    ``APIConnectionError``) with the three events in ``partial``; one request, no retry
    (anthropic#1919; LiteLLM ``MidStreamFallbackError``)."""
    if provider == "openai":
        pieces = openai_sse(["a", "b", "c"])[:4]
    else:
        pieces = anthropic_sse(["a", "b", "c"])[0]
    hostile.script(stream_reply([*pieces, Reset()]), openai_ok(True))
    d = drive(hostile, provider)
    out = d.stream(MODELS[provider])
    err = expect_error(out, StreamInterruptedError)
    assert isinstance(err, APIConnectionError)
    assert [e.delta for e in out.events if e.type == "text_delta"] == ["a", "b", "c"]
    assert err.partial is not None and err.partial.text == "abc"
    assert out.partial.text == "abc"
    assert out.types[-1] == "error" and out.types.count("error") == 1
    assert hostile.count == 1 and sleeps == []
    assert d.leaks(hostile) == []


# ---------------------------------------------------------------------------- retry_before_first_event
@pytest.mark.parametrize("fault", ["reset-after-headers", "reset-after-metadata", "anthropic-overloaded-first", "truncated-before-content"])
def test_retry_before_first_event(drive: Any, hostile: HostileServer, sleeps: list[float], fault: str) -> None:
    """A failure before the first content event (200 headers then RST; RST after a metadata-only
    event; an Anthropic in-band ``overloaded_error`` as the first event; a body that ends before any
    content) is retried, and the caller sees one clean stream: one ``response_start``, the content,
    one ``finish``, no ``error`` (vercel/ai#10653; LiteLLM ``is_pre_first_chunk``)."""
    provider = "anthropic" if fault.startswith("anthropic") else "openai"
    if fault == "reset-after-headers":
        bad = stream_reply([Reset()])
    elif fault == "reset-after-metadata":
        bad = stream_reply([openai_sse([])[0], Reset()])
    elif fault == "anthropic-overloaded-first":
        head, _ = anthropic_sse([])
        bad = stream_reply([*head, OVERLOADED])
    else:
        bad = stream_reply([openai_sse([])[0]])  # role chunk, then a clean end without [DONE]
    if provider == "openai":
        good = openai_ok(True, ("Hel", "lo"))
    else:
        head, tail = anthropic_sse(["Hel", "lo"])
        good = stream_reply([*head, *tail])
    hostile.script(bad, good)
    d = drive(hostile, provider)
    out = d.stream(MODELS[provider])
    assert out.error is None, out.describe()
    assert out.types.count("response_start") == 1 and out.types[0] == "response_start"
    assert "error" not in out.types
    assert out.types[-1] == "finish" and out.text == "Hello"
    assert hostile.count == 2 and len(sleeps) == 1
    assert d.leaks(hostile) == []


# ---------------------------------------------------------------------------- inband_error_event_maps_class
def test_inband_error_event_maps_class(drive: Any, hostile: HostileServer, sleeps: list[float]) -> None:
    """Anthropic ``event: error`` ``{"error":{"type":"overloaded_error"}}`` after two deltas:
    ``OverloadedError`` with ``in_stream=True``, status 200 kept, the partial (two deltas, usage from
    ``message_start``) attached; not retried (anthropic#1918 / PR #1921)."""
    head, _ = anthropic_sse(["one ", "two"])
    hostile.script(stream_reply([*head, OVERLOADED, Stall()]), openai_ok(True))
    d = drive(hostile, "anthropic")
    out = d.stream(CLAUDE)
    err = expect_error(out, OverloadedError)
    assert err.in_stream is True and err.status == 200
    assert err.error_type == "overloaded_error"
    assert err.partial is not None and err.partial.text == "one two"
    assert err.partial.usage is not None and err.partial.usage.input_tokens == 11
    assert out.types[-1] == "error"
    assert hostile.count == 1 and sleeps == []
    assert d.leaks(hostile) == []
    # the same through complete(): the error carries the partial response too
    hostile.script(stream_reply([*head, OVERLOADED]))
    out = d.stream(CLAUDE, raise_on_error=False)
    assert isinstance(out.error, OverloadedError) and out.events[-1].response.text == "one two"


# ---------------------------------------------------------------------------- openai_stream_error_object
@pytest.mark.parametrize("where", ["after-content", "first-chunk"])
def test_openai_stream_error_object(drive: Any, hostile: HostileServer, sleeps: list[float], where: str) -> None:
    """``data: {"error":{"message":"…","type":"server_error"}}`` inside a 200 stream: a mapped
    ``APIStatusError`` subclass (``ServerError``) with ``in_stream=True``; the response is closed at
    once although the server keeps the socket open (openai ``_streaming.py`` ``data.get("error")``).
    As the first chunk it is retried (a retryable class before the first event)."""
    error_chunk = sse((None, {"error": {"message": "The server had an error while processing your request.", "type": "server_error", "param": None, "code": None}}))
    pieces = openai_sse(["partial"])[:2] if where == "after-content" else openai_sse([])[:1]
    hostile.script(stream_reply([*pieces, error_chunk, Stall()]), stream_reply([*pieces, error_chunk, Stall()]), stream_reply([*pieces, error_chunk, Stall()]))
    d = drive(hostile)
    out = d.stream(GPT)
    err = expect_error(out, ServerError)
    assert isinstance(err, APIStatusError) and err.in_stream is True and err.status == 200
    assert "server had an error" in err.message
    assert out.elapsed < 2.0, "the client must not wait for the server to end the stream"
    if where == "after-content":
        assert err.partial.text == "partial"
        assert hostile.count == 1 and sleeps == []
    else:
        assert hostile.count == 3 and len(sleeps) == 2
    assert d.leaks(hostile) == []


# ---------------------------------------------------------------------------- bedrock_stream_exception
def _bedrock_event(event_type: str, payload: dict[str, Any]) -> bytes:
    return encode_message({":event-type": event_type, ":content-type": "application/json", ":message-type": "event"}, json.dumps(payload).encode())


def test_bedrock_stream_exception(drive: Any, hostile: HostileServer, sleeps: list[float]) -> None:
    """An AWS event-stream message ``:message-type: exception`` / ``:exception-type:
    throttlingException`` after a text delta: ``RateLimitError`` with ``in_stream=True`` and the
    partial text (botocore ``EventStreamError``; ConverseStreamOutput in the bedrock-runtime service
    model).  Served through tests/reliability/specs/bedrock-loopback.yaml (bedrock's rules, bearer
    auth, because the aws-sigv4 hook refuses non-AWS hosts)."""
    body = [
        _bedrock_event("messageStart", {"role": "assistant"}),
        _bedrock_event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Par"}}),
        encode_message(
            {":exception-type": "throttlingException", ":content-type": "application/json", ":message-type": "exception"},
            json.dumps({"message": "Too many tokens, please wait before trying again."}).encode(),
        ),
    ]
    hostile.script(stream_reply(body, content_type="application/vnd.amazon.eventstream"))
    d = drive(hostile, "bedrock-loopback")
    out = d.stream(MODELS["bedrock-loopback"])
    err = expect_error(out, RateLimitError)
    assert err.in_stream is True and err.status == 200
    assert "Too many tokens" in err.message
    assert err.partial.text == "Par"
    assert hostile.requests[0].path.endswith("/converse-stream")
    assert hostile.count == 1 and sleeps == []
    assert d.leaks(hostile) == []


# ---------------------------------------------------------------------------- missing_terminal_event
@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini"])
def test_missing_terminal_event(drive: Any, hostile: HostileServer, sleeps: list[float], provider: str) -> None:
    """A stream that ends cleanly (chunked terminator) without ``[DONE]`` / ``message_stop`` /
    Gemini's closing ``]``: ``IncompleteStreamError`` with the partial text; never a synthetic
    ``stop`` (litellm PR #42140; agent-afk#635)."""
    if provider == "openai":
        pieces = openai_sse(["a", "b"], done=False)
    elif provider == "anthropic":
        head, tail = anthropic_sse(["a", "b"], stop=False)
        pieces = head + tail[:1]  # no message_delta (no stop reason) and no message_stop
    else:
        pieces = [b'[{"candidates":[{"content":{"role":"model","parts":[{"text":"a"}]}}]}', b',\r\n{"candidates":[{"content":{"role":"model","parts":[{"text":"b"}]}}]}']
    hostile.script(stream_reply(pieces, content_type="application/json" if provider == "gemini" else "text/event-stream"))
    d = drive(hostile, provider)
    out = d.stream(MODELS[provider])
    err = expect_error(out, IncompleteStreamError)
    assert err.partial is not None and err.partial.text == "ab"
    assert "finish" not in out.types and out.types[-1] == "error"
    assert out.response is None
    assert hostile.count == 1 and sleeps == []
    assert d.leaks(hostile) == []


# ---------------------------------------------------------------------------- done_without_finish_reason
def test_done_without_finish_reason(drive: Any, hostile: HostileServer) -> None:
    """``[DONE]`` present but no ``finish_reason`` (oh-my-pi#9433; the recorded
    snowflake/stream-no-finish-reason): complete, not truncated: a ``finish`` event, no error."""
    hostile.script(stream_reply(openai_sse(["all ", "there"], finish=None)))
    d = drive(hostile)
    out = d.stream(GPT)
    assert out.error is None, out.describe()
    assert out.types[-1] == "finish" and out.text == "all there"
    assert out.response is not None and out.response.text == "all there"
    assert out.response.finish_reason is None or out.response.finish_reason.unified != "length"
    assert d.leaks(hostile) == []


# ---------------------------------------------------------------------------- content_filter_finish
def _gemini_safety(stream: bool) -> Reply:
    chunk = {"candidates": [{"content": {"role": "model", "parts": [{"text": "I can"}]}, "finishReason": "SAFETY", "index": 0}], "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 2, "totalTokenCount": 6}}
    if stream:
        return stream_reply([b"[" + json.dumps(chunk).encode() + b"]"], content_type="application/json")
    return json_reply(200, chunk)


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
def test_content_filter_finish(drive: Any, hostile: HostileServer, stream: bool) -> None:
    """``finish_reason: content_filter`` (OpenAI) and ``finishReason: SAFETY`` (Gemini) give
    ``finish_reason.unified == "content_filter"`` and no error by default; raising is opt-in (as
    openai's ``ContentFilterFinishReasonError`` in its parse helpers)."""
    d_openai, d_gemini = drive(hostile), drive(hostile, "gemini")
    openai_filtered = stream_reply(openai_sse(["I can"], finish="content_filter")) if stream else json_reply(200, openai_completion("I can", "content_filter"))
    for d, model, reply in ((d_openai, GPT, openai_filtered), (d_gemini, GEMINI, _gemini_safety(stream))):
        hostile.script(reply)
        out = d.call(stream, model)
        assert out.error is None, out.describe()
        assert out.response.finish_reason.unified == "content_filter", out.response.finish_reason
        assert out.response.text == "I can"
    # opt-in raising
    hostile.script(openai_filtered)
    out = d_openai.call(stream, GPT, raise_on_content_filter=True)
    assert isinstance(out.error, ContentFilterError), (
        "ENGINE GAP: there is no opt-in to raise on a content-filter finish (docs/RELIABILITY.md row "
        "content_filter_finish: 'raises only when opted in'); expected raise_on_content_filter=True "
        f"(per call or on Client) to raise ContentFilterError with the response attached; got {out.describe()}"
    )
    assert out.error.partial is not None and out.error.partial.text == "I can"


