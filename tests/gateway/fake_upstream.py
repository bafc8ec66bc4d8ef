"""A loopback fake of OpenAI's Chat Completions API, the provider behind the gateway in these tests.

What it answers depends on the last user message (so a gateway in another process can script it):
``TOOL`` → a ``get_weather`` tool call; ``THINK`` → :data:`REASONING` (``reasoning_content``) before
the text; ``LONG`` → the text cut off (``finish_reason: length``); a request with a ``json_schema``
``response_format`` → the text :data:`JSON_TEXT`; ``RATE`` → HTTP 429 with ``retry-after: 7``; ``BREAK`` → (a
stream) some text, then an in-band error chunk; ``SLOW`` → (a stream) a chunk every 0.1 s for 10 s,
setting :attr:`FakeUpstream.dropped` when the client goes away; ``PACE`` → (a stream) :data:`PACED_CHUNKS`
chunks ``"0 "``, ``"1 "``… one every :data:`PACE` seconds, then a complete end; anything else → the text :data:`TEXT`.
``POST .../embeddings`` answers each input with :func:`embedding_of` (OpenAI's shape:
https://platform.openai.com/docs/api-reference/embeddings/create).  Plain requests get a ``chat.completion``, ``stream: true`` ones SSE chunks
ending in a usage chunk and ``data: [DONE]`` (shapes: https://platform.openai.com/docs/api-reference/chat).
Every request's body and headers are recorded (:attr:`FakeUpstream.requests`).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TEXT = "Hello from the upstream"
USAGE = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
TOOL_ARGS = '{"city": "Paris"}'
PACED_CHUNKS, PACE = 20, 0.1  # a PACE stream: this many text chunks, one every PACE seconds, then its end
EMBED_TOKENS = 5  # the prompt tokens the fake reports per embedded text


def embedding_of(text: str, dims: int = 3) -> list[float]:
    """The fake's embedding of ``text``: ``dims`` numbers exact in float32 (so a base64 round trip is exact)."""
    return [float(len(text)) + i * 0.5 for i in range(dims)]
REASONING = "Thinking it over"
JSON_TEXT = '{"city": "Paris", "temperature": 21}'


def _last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
            return str(content)
    return ""


def _chunk(model: str, delta: dict[str, Any] | None, finish: str | None = None, usage: dict[str, Any] | None = None) -> bytes:
    data: dict[str, Any] = {"id": "chatcmpl-up", "object": "chat.completion.chunk", "created": 1, "model": model,
                            "choices": [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]}
    if usage is not None:
        data["usage"] = usage
    return b"data: " + json.dumps(data).encode() + b"\n\n"


class FakeUpstream:
    """Serves on 127.0.0.1 (a free port) in a thread; a context manager."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, Any], dict[str, str]]] = []
        self.dropped = threading.Event()  # a SLOW stream's client went away
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 5

            def log_message(self, *args: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
                with fake._lock:
                    fake.requests.append((body, {k.lower(): v for k, v in self.headers.items()}))
                try:
                    fake._answer(self, body)
                except OSError:
                    self.close_connection = True

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeUpstream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, payload: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        handler.send_response(status)
        handler.send_header("content-type", content_type)
        handler.send_header("content-length", str(len(payload)))
        for k, v in (headers or {}).items():
            handler.send_header(k, v)
        handler.end_headers()
        handler.wfile.write(payload)
        handler.wfile.flush()

    def _answer(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        if handler.path.endswith("/embeddings"):
            self._embeddings(handler, body)
            return
        model, prompt = body.get("model", "gpt-fake"), _last_user_text(body)
        if "RATE" in prompt:
            error = {"error": {"message": "Rate limit reached", "type": "requests", "param": None, "code": "rate_limit_exceeded"}}
            self._send(handler, 429, json.dumps(error).encode(), "application/json", {"retry-after": "7"})
            return
        if body.get("stream") and "SLOW" in prompt:
            self._slow(handler, model)
            return
        if body.get("stream") and "PACE" in prompt:
            self._paced(handler, model)
            return
        tool = "TOOL" in prompt
        text = JSON_TEXT if (body.get("response_format") or {}).get("type") == "json_schema" else TEXT
        think, finish = "THINK" in prompt, "length" if "LONG" in prompt else "stop"
        call = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": TOOL_ARGS}}
        if not body.get("stream"):
            message: dict[str, Any] = {"role": "assistant", "content": None if tool else text}
            if tool:
                message["tool_calls"] = [call]
            if think:
                message["reasoning_content"] = REASONING
            data = {"id": "chatcmpl-up", "object": "chat.completion", "created": 1, "model": model,
                    "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if tool else finish}], "usage": USAGE}
            self._send(handler, 200, json.dumps(data).encode(), "application/json")
            return
        out = _chunk(model, {"role": "assistant", "content": None if tool else ""})
        if think:
            out += _chunk(model, {"reasoning_content": REASONING[:8]}) + _chunk(model, {"reasoning_content": REASONING[8:]})
        if tool:
            out += _chunk(model, {"tool_calls": [{"index": 0, "id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": ""}}]})
            out += _chunk(model, {"tool_calls": [{"index": 0, "function": {"arguments": TOOL_ARGS[:8]}}]})
            out += _chunk(model, {"tool_calls": [{"index": 0, "function": {"arguments": TOOL_ARGS[8:]}}]})
            out += _chunk(model, {}, "tool_calls")
        else:
            half = len(text) // 2
            out += _chunk(model, {"content": text[:half]})
            if "BREAK" in prompt:
                error = {"error": {"message": "The server had an error while processing your request.", "type": "server_error", "param": None, "code": None}}
                self._send(handler, 200, out + b"data: " + json.dumps(error).encode() + b"\n\n", "text/event-stream")
                return
            out += _chunk(model, {"content": text[half:]}) + _chunk(model, {}, finish)
        out += _chunk(model, None, usage=USAGE) + b"data: [DONE]\n\n"
        self._send(handler, 200, out, "text/event-stream")

    def _embeddings(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        texts = [body["input"]] if isinstance(body.get("input"), str) else list(body.get("input") or [])
        dims = int(body.get("dimensions") or 3)
        data = [{"object": "embedding", "index": i, "embedding": embedding_of(t, dims)} for i, t in enumerate(texts)]
        tokens = EMBED_TOKENS * len(texts)
        reply = {"object": "list", "data": data, "model": body.get("model"), "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}
        self._send(handler, 200, json.dumps(reply).encode(), "application/json")

    def _paced(self, handler: BaseHTTPRequestHandler, model: str) -> None:
        handler.send_response(200)
        handler.send_header("content-type", "text/event-stream")
        handler.send_header("connection", "close")
        handler.end_headers()
        handler.close_connection = True
        handler.wfile.write(_chunk(model, {"role": "assistant", "content": ""}))
        for i in range(PACED_CHUNKS):
            handler.wfile.write(_chunk(model, {"content": f"{i} "}))
            handler.wfile.flush()
            time.sleep(PACE)
        handler.wfile.write(_chunk(model, {}, "stop") + _chunk(model, None, usage=USAGE) + b"data: [DONE]\n\n")
        handler.wfile.flush()

    def _slow(self, handler: BaseHTTPRequestHandler, model: str) -> None:
        handler.send_response(200)
        handler.send_header("content-type", "text/event-stream")
        handler.send_header("connection", "close")
        handler.end_headers()
        handler.close_connection = True
        try:
            handler.wfile.write(_chunk(model, {"role": "assistant", "content": ""}))
            for _ in range(100):
                handler.wfile.write(_chunk(model, {"content": "tick "}))
                handler.wfile.flush()
                time.sleep(0.1)
        except OSError:
            self.dropped.set()
