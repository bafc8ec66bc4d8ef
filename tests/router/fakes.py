"""A loopback fake of OpenAI's Chat Completions API for the router tests (one server, many
deployments).

Each deployment is a path prefix: ``http://127.0.0.1:<port>/<name>/v1`` serves
``POST /<name>/v1/chat/completions``.  A deployment answers from its script (a list of
:class:`Reply`, consumed in order) and then repeats its ``default`` (``ok`` unless set).  The wire
shapes are those of https://platform.openai.com/docs/api-reference/chat (a JSON completion, or SSE
chunks ending in ``data: [DONE]`` with a usage chunk, as recorded in tests/fixtures/openai), and
in-band stream errors are ``data: {"error": {...}}`` chunks (the OpenAI SDK's ``_streaming.py``
handles the same shape).

Reply kinds: ``ok`` (text, usage; ``delay`` seconds of silence first), ``status`` (an HTTP error
with a JSON body and headers),
``drop`` (the connection closes without a response: a transport failure), ``error_before``
(a 200 stream whose first chunk carries no content, then an in-band error), ``error_after``
(content, then an in-band error).  Every request is recorded (:attr:`FakeOpenAI.requests`).
"""

from __future__ import annotations

import json
import socket
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["FakeOpenAI", "Reply", "context_window_error", "content_filter_error", "rate_limited", "server_error"]


@dataclass
class Reply:
    kind: str = "ok"
    text: str = "Hello from the fake"
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    usage: tuple[int, int] = (10, 5)
    delay: float = 0.0


def rate_limited(retry_after: float | None = None) -> Reply:
    headers = {"retry-after": f"{retry_after:g}"} if retry_after is not None else {}
    return Reply("status", status=429, body={"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}}, headers=headers)


def server_error(status: int = 500) -> Reply:
    return Reply("status", status=status, body={"error": {"message": "The server had an error", "type": "server_error", "code": None}})


def context_window_error() -> Reply:
    return Reply("status", status=400, body={"error": {"message": "This model's maximum context length is 400000 tokens.", "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}})


def content_filter_error() -> Reply:
    return Reply("status", status=400, body={"error": {"message": "The response was filtered due to the prompt triggering content management policy.", "type": "invalid_request_error", "param": "prompt", "code": "content_filter"}})


def _chunk(model: str, delta: dict[str, Any] | None = None, finish: str | None = None, usage: dict[str, Any] | None = None) -> bytes:
    data: dict[str, Any] = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1, "model": model,
                            "choices": [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]}
    if usage is not None:
        data["usage"] = usage
    return b"data: " + json.dumps(data).encode() + b"\n\n"


class FakeOpenAI:
    """See the module docstring.  Use as a context manager (stops and joins on exit)."""

    def __init__(self) -> None:
        self.scripts: dict[str, list[Reply]] = defaultdict(list)
        self.defaults: dict[str, Reply] = {}
        self.requests: list[tuple[str, dict[str, Any], dict[str, str]]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 5

            def log_message(self, *args: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                # headers and body go out in two writes: without this, delayed ACKs cost 40 ms a call
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                name = self.path.strip("/").split("/", 1)[0]
                with fake._lock:
                    fake.requests.append((name, body, {k.lower(): v for k, v in self.headers.items()}))
                    script = fake.scripts[name]
                    reply = script.pop(0) if script else fake.defaults.get(name, Reply())
                if reply.delay:
                    fake._stop.wait(reply.delay)
                try:
                    fake._answer(self, reply, body)
                except OSError:  # the client went away (a timeout): nothing to answer
                    self.close_connection = True

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()

    def base_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}/v1"

    def script(self, name: str, *replies: Reply, default: Reply | None = None) -> None:
        with self._lock:
            self.scripts[name] = list(replies)
            if default is not None:
                self.defaults[name] = default

    def count(self, name: str) -> int:
        with self._lock:
            return sum(1 for n, _, _ in self.requests if n == name)

    def names(self) -> list[str]:
        with self._lock:
            return [n for n, _, _ in self.requests]

    def close(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join()

    def __enter__(self) -> FakeOpenAI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ answers
    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, payload: bytes, content_type: str, headers: dict[str, str]) -> None:
        handler.send_response(status)
        handler.send_header("content-type", content_type)
        handler.send_header("content-length", str(len(payload)))
        for k, v in headers.items():
            handler.send_header(k, v)
        handler.end_headers()
        handler.wfile.write(payload)
        handler.wfile.flush()

    def _answer(self, handler: BaseHTTPRequestHandler, reply: Reply, body: dict[str, Any]) -> None:
        model = body.get("model", "gpt-fake")
        prompt, completion = reply.usage
        usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
        if reply.kind == "drop":
            handler.close_connection = True
            return
        if reply.kind == "status":
            self._send(handler, reply.status, json.dumps(reply.body).encode(), "application/json", reply.headers)
            return
        error = json.dumps(reply.body or {"error": {"message": "The server had an error while processing your request.", "type": "server_error"}}).encode()
        if not body.get("stream"):
            data = {"id": "chatcmpl-fake", "object": "chat.completion", "created": 1, "model": model,
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.text}, "finish_reason": "stop"}], "usage": usage}
            self._send(handler, 200, json.dumps(data).encode(), "application/json", reply.headers)
            return
        out = _chunk(model, {"role": "assistant", "content": ""})
        if reply.kind == "error_before":
            out += b"data: " + error + b"\n\n"
        elif reply.kind == "error_after":
            out += _chunk(model, {"content": reply.text}) + b"data: " + error + b"\n\n"
        else:
            half = len(reply.text) // 2
            out += _chunk(model, {"content": reply.text[:half]}) + _chunk(model, {"content": reply.text[half:]})
            out += _chunk(model, {}, "stop") + _chunk(model, None, usage=usage) + b"data: [DONE]\n\n"
        self._send(handler, 200, out, "text/event-stream", reply.headers)
