"""The catalog of error paths of this suite, for every provider family the loopback server can play.

``no_leak_on_every_error`` runs each fault and checks that no connection leaked;
``canary_secret_scan`` runs each fault once per auth scheme and scans everything the caller can see
for the planted keys.  A fault is a script for the :class:`~tests.hostile.server.HostileServer`
(or a dead address) plus the call options that make it fail fast, and the error classes the call
may end in: always specwire's own.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from specwire import (
    APIStatusError,
    ConnectTimeout,
    DeadlineExceeded,
    FramingError,
    IncompleteStreamError,
    ReadTimeout,
    RedirectError,
    SpecwireError,
    StreamInterruptedError,
    TransportError,
)
from specwire.framing.eventstream import encode_message
from specwire.retry import RetryPolicy, Timeouts
from tests.hostile.server import (
    Close,
    Generate,
    Pings,
    Reply,
    Reset,
    Send,
    Stall,
    anthropic_sse,
    gzip_bomb,
    json_reply,
    openai_sse,
    sse,
    stream_reply,
)

MiB = 1024 * 1024
FAST = Timeouts(connect=0.3, read=2.0, pool=1.0)

# ---------------------------------------------------------------------------- provider families
FAMILY = {
    "openai": "openai", "azure-openai": "openai", "azure-openai-entra": "openai",
    "anthropic": "anthropic", "vertex-anthropic": "anthropic",
    "gemini": "gemini", "gemini-query": "gemini",
    "bedrock-loopback": "bedrock",
}


def _bedrock_event(event_type: str, payload: dict[str, Any]) -> bytes:
    return encode_message({":event-type": event_type, ":content-type": "application/json", ":message-type": "event"}, json.dumps(payload).encode())


def _gemini_element(text: str, finish: str | None = None) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": text}]}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    return {"candidates": [candidate], "modelVersion": "gemini-3.5-flash"}


def stream_parts(provider: str, texts: tuple[str, ...] = ("Hel", "lo")) -> tuple[list[bytes], list[bytes], str]:
    """A successful stream of ``provider``'s family as (head: up to and including the content
    events, tail: the terminal events, content type)."""
    family = FAMILY[provider]
    if family == "openai":
        pieces = openai_sse(texts)
        return pieces[: 1 + len(texts)], pieces[1 + len(texts) :], "text/event-stream"
    if family == "anthropic":
        head, tail = anthropic_sse(texts)
        return head, tail, "text/event-stream"
    if family == "gemini":
        elements = [json.dumps(_gemini_element(t)).encode() for t in texts]
        last = json.dumps(_gemini_element("", "STOP")).encode()
        head = [b"[" + elements[0]] + [b",\r\n" + e for e in elements[1:]]
        return head, [b",\r\n" + last + b"]"], "application/json"
    head = [_bedrock_event("messageStart", {"role": "assistant"})] + [_bedrock_event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": t}}) for t in texts]
    tail = [_bedrock_event("contentBlockStop", {"contentBlockIndex": 0}), _bedrock_event("messageStop", {"stopReason": "end_turn"}), _bedrock_event("metadata", {"usage": {"inputTokens": 3, "outputTokens": 2, "totalTokens": 5}, "metrics": {"latencyMs": 1}})]
    return head, tail, "application/vnd.amazon.eventstream"


def error_body(provider: str, status: int, message: str) -> dict[str, Any]:
    family = FAMILY[provider]
    if family == "openai":
        return {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": "invalid_api_key" if status == 401 else None}}
    if family == "anthropic":
        return {"type": "error", "error": {"type": "authentication_error" if status == 401 else "invalid_request_error", "message": message}}
    if family == "gemini":
        return {"error": {"code": status, "message": message, "status": "INVALID_ARGUMENT"}}
    return {"message": message}


def inband_error(provider: str, message: str) -> bytes:
    family = FAMILY[provider]
    if family == "openai":
        return sse((None, {"error": {"message": message, "type": "server_error", "param": None, "code": None}}))
    if family == "anthropic":
        return sse(("error", {"type": "error", "error": {"type": "overloaded_error", "message": message}}))
    if family == "gemini":
        return b",\r\n" + json.dumps({"error": {"code": 500, "message": message, "status": "INTERNAL"}}).encode()
    return encode_message({":exception-type": "throttlingException", ":content-type": "application/json", ":message-type": "exception"}, json.dumps({"message": message}).encode())


def malformed(provider: str, junk: str) -> bytes:
    family = FAMILY[provider]
    if family in ("openai", "anthropic"):
        return ("event: content_block_delta\n" if family == "anthropic" else "").encode() + b"data: {\"a\":" + junk.encode() + b"\n\n"
    if family == "gemini":
        return b",\r\n{\"candidates\": [}" + junk.encode() + b"]"
    return b"\x00\x00\x00\x20\x00\x00\x00\x00BADCRC00" + junk.encode()[:20]


# ---------------------------------------------------------------------------- faults
@dataclass(frozen=True)
class Ctx:
    """What a fault script may need: the provider, its key (a server may echo it) and the sink's
    URL (another origin, for redirects)."""

    provider: str
    key: str
    sink_url: str


@dataclass(frozen=True)
class Fault:
    name: str
    stream: bool
    script: Callable[[Ctx], list[Reply]]
    expect: tuple[type[BaseException], ...] = (SpecwireError,)
    options: dict[str, Any] = field(default_factory=dict)
    target: str = "server"  # "server" | "refused" (a port that refuses) | "hole" (connect timeout)
    client: dict[str, Any] = field(default_factory=dict)


def _status(status: int, *headers: tuple[str, str], echo: bool = True) -> Callable[[Ctx], list[Reply]]:
    def script(ctx: Ctx) -> list[Reply]:
        message = f"Incorrect API key provided: {ctx.key}. Request had URL ?key={ctx.key}" if echo else "failed"
        return [json_reply(status, error_body(ctx.provider, status, message), *headers)] * 3

    return script


def _stream(make: Callable[[Ctx, list[bytes], list[bytes]], list[Any]]) -> Callable[[Ctx], list[Reply]]:
    def script(ctx: Ctx) -> list[Reply]:
        head, tail, ctype = stream_parts(ctx.provider)
        return [stream_reply(make(ctx, head, tail), content_type=ctype)] * 3

    return script


def _redirect(ctx: Ctx) -> list[Reply]:
    return [Reply(302, (("location", f"{ctx.sink_url}/steal?key={ctx.key}&api_key={ctx.key}"), ("content-type", "application/json")), b"{}")]


def _gzip_garbage(ctx: Ctx) -> list[Reply]:
    return [Reply(200, (("content-type", "application/json"), ("content-encoding", "gzip")), b"\x1f\x8b\x08\x00not-gzip-at-all" + ctx.key.encode())] * 3


def _length_mismatch(ctx: Ctx) -> list[Reply]:
    return [Reply(200, (("content-type", "application/json"),), steps=(Send(b'{"partial": "'), Close()), content_length=1000)] * 3


NO_RETRY = {"max_retries": 0}
#: Keep-alive traffic per family: an SSE comment, whitespace between JSON-array elements; AWS
#: event streams have none (the server just stays silent).
_PING = {"openai": b": ping\n\n", "anthropic": b": ping\n\n", "gemini": b" ", "bedrock": b""}

FAULTS: list[Fault] = [
    Fault("http-400-echoing-the-key", False, _status(400), (APIStatusError,)),
    Fault("http-401-echoing-the-key-stream", True, _status(401), (APIStatusError,)),
    Fault("http-429-retry-after-over-cap", False, _status(429, ("retry-after", "500")), (APIStatusError,), client={"retry": RetryPolicy(max_retry_after=60)}),
    Fault("http-503-retries-exhausted", True, _status(503, ("retry-after-ms", "1")), (APIStatusError,)),
    Fault("http-302-to-another-origin", False, _redirect, (RedirectError,)),
    Fault("http-302-to-another-origin-stream", True, _redirect, (RedirectError,)),
    Fault("reset-before-response", False, lambda ctx: [Reply(None, steps=(Reset(),))] * 3, (TransportError,)),
    Fault("reset-after-headers-stream", True, _stream(lambda ctx, head, tail: [Reset()]), (TransportError,)),
    Fault("reset-mid-stream", True, _stream(lambda ctx, head, tail: [*head, Reset()]), (StreamInterruptedError,)),
    Fault("fin-mid-stream", True, _stream(lambda ctx, head, tail: [*head, Close()]), (StreamInterruptedError, IncompleteStreamError)),
    Fault("first-event-timeout", True, _stream(lambda ctx, head, tail: [Stall()]), (ReadTimeout,), {**NO_RETRY, "timeout": Timeouts(connect=1, read=5, first_event=0.15)}),
    Fault("idle-timeout-with-pings", True, _stream(lambda ctx, head, tail: [*head, Pings(0.03, data=_PING[FAMILY[ctx.provider]])]), (ReadTimeout,), {**NO_RETRY, "timeout": Timeouts(connect=1, read=5, idle=0.15)}),
    Fault("read-timeout-no-headers", False, lambda ctx: [Reply(None, steps=(Stall(),))], (ReadTimeout,), {**NO_RETRY, "timeout": Timeouts(connect=1, read=0.15)}),
    Fault("total-deadline", False, lambda ctx: [Reply(None, steps=(Stall(),))] * 5, (DeadlineExceeded,), {"timeout": Timeouts(connect=1, read=5, total=0.25)}),
    Fault("malformed-frame-echoing-the-key", True, _stream(lambda ctx, head, tail: [*head, malformed(ctx.provider, ctx.key), Stall()]), (FramingError, IncompleteStreamError)),
    Fault("inband-error-echoing-the-key", True, _stream(lambda ctx, head, tail: [*head, inband_error(ctx.provider, f"bad key {ctx.key}"), Stall()]), (APIStatusError,)),
    Fault("missing-terminal-event", True, _stream(lambda ctx, head, tail: list(head)), (IncompleteStreamError,)),
    Fault("gzip-garbage", False, _gzip_garbage, (TransportError, FramingError)),
    Fault("content-length-mismatch", False, _length_mismatch, (TransportError, FramingError)),
    Fault("non-json-body", False, lambda ctx: [Reply(200, (("content-type", "application/json"),), b"<html>" + ctx.key.encode() + b"</html>")], (FramingError,)),
    Fault("json-depth-bomb", False, lambda ctx: [Reply(200, (("content-type", "application/json"),), b"[" * 100_000)], (FramingError,)),
    Fault("gzip-bomb", False, lambda ctx: [Reply(200, (("content-type", "application/json"), ("content-encoding", "gzip")), gzip_bomb(128))], (FramingError,)),
    Fault("oversized-body", False, lambda ctx: [Reply(200, (("content-type", "application/json"),), steps=(Generate(b" " * MiB, 80 * MiB),), content_length=80 * MiB)], (FramingError,)),
    Fault("connection-refused", False, lambda ctx: [], (TransportError,), target="refused"),
    Fault("connection-refused-stream", True, lambda ctx: [], (TransportError,), target="refused"),
    Fault("connect-timeout", False, lambda ctx: [], (ConnectTimeout,), {"max_retries": 1, "timeout": Timeouts(connect=0.1, read=1)}, target="hole"),
]


def fault_ids() -> list[str]:
    return [f.name for f in FAULTS]


def fault_driver(fault: Fault, drive: Callable[..., Any], providers: tuple[str, ...], *, server: Any, refused_port: int, hole_port: int) -> Any:
    """One driver (one client, one pool) for ``fault``, with every provider of ``providers`` aimed
    at the fault's target and given its canary key."""
    from tests.reliability.helpers import BASE_PATHS, KEYS

    if fault.target == "server":
        root = server.url()
    elif fault.target == "refused":
        root = f"http://127.0.0.1:{refused_port}"
    else:
        root = f"http://127.0.0.1:{hole_port}"
    options = dict(fault.options)
    timeout = options.pop("timeout", FAST)
    return drive(
        None,
        providers[0],
        base_urls={p: root + BASE_PATHS.get(p, "") for p in providers},
        api_keys={p: KEYS[p] for p in providers},
        timeout=timeout,
        **fault.client,
    )


def run_fault(fault: Fault, provider: str, driver: Any, *, server: Any, sink_url: str) -> Any:
    """Run ``fault`` for ``provider`` with ``driver`` (from :func:`fault_driver`): the outcome.
    Any exception is caught (an untyped one is the caller's to flag)."""
    from tests.reliability.helpers import KEYS, MODELS

    if fault.target == "server":
        server.script(*fault.script(Ctx(provider, KEYS[provider], sink_url)))
    options = {k: v for k, v in fault.options.items() if k != "timeout"}
    return driver.call(fault.stream, MODELS[provider], catch=(Exception,), **options)
