"""Shared helpers of the operation tests: a JSON server on 127.0.0.1 (for the aiohttp async
backend, which respx cannot mock) and a clean tokenizer state per test."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


class JsonServer:
    """Answers each request with the next ``(status, body)`` of :attr:`replies` (the last one
    repeats) and records ``(method, path, json body, headers)`` in :attr:`seen`."""

    def __init__(self) -> None:
        self.replies: list[tuple[int, Any]] = [(200, {})]
        self.seen: list[tuple[str, str, Any, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                server.seen.append((self.command, self.path, json.loads(raw) if raw else None, {k.lower(): v for k, v in self.headers.items()}))
                status, body = server.replies.pop(0) if len(server.replies) > 1 else server.replies[0]
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _reply

            def log_message(self, *args: Any) -> None:
                return None

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def json_server() -> Iterator[JsonServer]:
    server = JsonServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(autouse=True)
def _fresh_encodings(monkeypatch: pytest.MonkeyPatch) -> None:
    """No encoding loaded, and none remembered as failed, at the start of each test."""
    import specwire.tokens

    monkeypatch.setattr(specwire.tokens, "_encodings", {})
    monkeypatch.setattr(specwire.tokens, "_failed", {})
