"""A real HTTP/1.1 server on 127.0.0.1 that misbehaves on cue, for the reliability suites.

What this protects: docs/RELIABILITY.md section 4 asks for every fault to be played by a real socket on
loopback (slow trickle, stall after headers, reset mid-stream, endless pings, oversized lines and
bodies, gzip bombs, truncated frames, invalid UTF-8, redirects to another origin, a black-hole port)
so that the engine's real transport, pool and timeouts run, not a mock of them.

Design: a raw-socket server (no http.server), so that it can send anything at any moment.

* :class:`HostileServer` binds a random free port on 127.0.0.1 and serves each connection in its own
  thread, with keep-alive (several requests per connection, so pool reuse is observable).  It can be
  created *bound but not listening* (``listen=False``): a connect then fails with ECONNREFUSED until
  :meth:`HostileServer.listen` is called, which is how ``ConnectError`` × n then 200 is played.
* Each request takes the next :class:`Reply` of the script (:meth:`HostileServer.script`); when the
  script is used up the ``then`` reply repeats (default: a 599 "unscripted request" answer, so an
  unexpected extra attempt shows up as a failure).
* A :class:`Reply` is a status line and headers (or none at all: ``status=None``) followed by a body:
  either ``body`` (sent with ``content-length``) or ``steps`` (sent with chunked transfer coding,
  one chunk per :class:`Send`, unless ``content_length`` is declared): :class:`Send`, :class:`Sleep`,
  :class:`Trickle` (one byte per interval), :class:`Pings` (a keep-alive comment every interval,
  for a while or for ever), :class:`Stall` (silence until the client leaves or the server stops),
  :class:`Reset` (``SO_LINGER`` 0 then close: a TCP RST), :class:`Close` (FIN without finishing the
  body), :class:`Raw` (bytes outside the chunk framing) and :class:`Generate` (a large body produced
  lazily).  After the last step the terminating chunk ``0\\r\\n\\r\\n`` is sent, unless the reply
  ended with a reset, a close or a stall.
* Every request is recorded (:class:`Received`: method, target, headers, body, connection number,
  time), so tests assert "no request sent", "three attempts", "same idempotency key" or "the second
  call reused the first connection".  :attr:`HostileServer.open_connections` counts the server-side
  sockets still open (a robust leak check that does not depend on httpx internals).

Shutdown is clean: every socket the server opened is closed by the thread that owns it, every
thread is joined, waits are interruptible (``stop`` is checked every 20 ms), and a client that goes
away mid-reply ends that reply quietly (nothing is raised in a server thread, so pytest's
unhandled-thread-exception check stays quiet).

:func:`black_hole` gives a port whose accept queue is full: a connect to it hangs until the client's
connect timeout (no network needed: a listening socket with backlog 0 that never accepts, its one
queue slot taken first).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import select
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "Close",
    "Finish",
    "Generate",
    "HostileServer",
    "Pings",
    "Raw",
    "Received",
    "Reply",
    "Reset",
    "Send",
    "Sleep",
    "Stall",
    "Trickle",
    "anthropic_sse",
    "black_hole",
    "gzip_bomb",
    "json_reply",
    "openai_chunk",
    "openai_sse",
    "recorded",
    "sse",
    "stream_reply",
    "with_fields",
    "gzip_bytes",
    "openai_completion",
    "openai_error",
    "openai_ok",
]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
_TICK = 0.02


class _ClientGone(Exception):
    """The client closed or reset the connection."""


class _Stopping(Exception):
    """The server is shutting down."""


# ---------------------------------------------------------------------------- script steps
@dataclass(frozen=True)
class Send:
    """Bytes of the body (one chunk in chunked mode)."""

    data: bytes


@dataclass(frozen=True)
class Raw:
    """Bytes written as they are, outside the chunk framing (a broken chunk, a raw terminator)."""

    data: bytes


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Trickle:
    """``data`` one byte at a time, ``every`` seconds apart (a slowloris body)."""

    data: bytes
    every: float


@dataclass(frozen=True)
class Pings:
    """``data`` every ``every`` seconds, ``count`` times (``None``: until the client leaves or the
    server stops)."""

    every: float
    count: int | None = None
    data: bytes = b": ping\n\n"


@dataclass(frozen=True)
class Stall:
    """Silence: for ``seconds``, or (``None``) until the client leaves or the server stops.  Ends
    the reply without the terminating chunk."""

    seconds: float | None = None


@dataclass(frozen=True)
class Reset:
    """A TCP RST: ``SO_LINGER`` (on, 0 s), then close."""


@dataclass(frozen=True)
class Close:
    """Close the connection (FIN) without finishing the body."""


@dataclass(frozen=True)
class Finish:
    """Send the terminating chunk now (the default after the last step)."""


@dataclass(frozen=True)
class Generate:
    """``total`` bytes made of ``block`` repeated, produced lazily (a huge body)."""

    block: bytes
    total: int


Step = Send | Raw | Sleep | Trickle | Pings | Stall | Reset | Close | Finish | Generate


@dataclass(frozen=True)
class Reply:
    """One scripted answer; see the module docstring.  ``status=None`` sends no status line at all
    (the steps then run right after the request was read: ``Reply(None, steps=(Reset(),))`` is a
    connection reset before any response)."""

    status: int | None = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    steps: tuple[Step, ...] = ()
    content_length: int | None = None
    close: bool = False

    def with_headers(self, *pairs: tuple[str, str]) -> Reply:
        return Reply(self.status, self.headers + tuple(pairs), self.body, self.steps, self.content_length, self.close)


@dataclass
class Received:
    """One request as the server read it."""

    index: int
    conn: int
    method: str
    target: str
    headers: dict[str, str]
    raw_headers: list[tuple[str, str]]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]


_REASONS = {
    200: "OK", 301: "Moved Permanently", 302: "Found", 307: "Temporary Redirect", 308: "Permanent Redirect",
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 408: "Request Timeout",
    409: "Conflict", 413: "Content Too Large", 422: "Unprocessable Content", 429: "Too Many Requests",
    500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
    529: "Overloaded", 599: "Unscripted",
}

UNSCRIPTED = Reply(599, (("content-type", "application/json"),), b'{"error":{"message":"unscripted request","type":"test_error"}}')


# ---------------------------------------------------------------------------- the server
class HostileServer:
    """See the module docstring.  Use as a context manager (or call :meth:`close`)."""

    def __init__(self, *, listen: bool = True) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._script: list[Reply] = []
        self._then: Reply = UNSCRIPTED
        self.requests: list[Received] = []
        self.connections_opened = 0
        self._open: set[int] = set()
        self.events: list[str] = []  # what happened, for debugging failed tests ("conn 1: client gone")
        self._threads: list[threading.Thread] = []
        self._acceptor: threading.Thread | None = None
        self._request_seen = threading.Condition(self._lock)
        if listen:
            self.listen()

    # ------------------------------------------------------------------ control
    def listen(self) -> None:
        """Start accepting (a server created with ``listen=False`` refuses connections until now)."""
        if self._acceptor is not None:
            return
        self._sock.listen(64)
        self._sock.settimeout(_TICK)
        self._acceptor = threading.Thread(target=self._accept_loop, name=f"hostile-accept-{self.port}", daemon=True)
        self._acceptor.start()

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, *replies: Reply, then: Reply | None = None) -> HostileServer:
        """Answer the next requests with ``replies`` in order, then with ``then`` for ever."""
        with self._lock:
            self._script = list(replies)
            self._then = then if then is not None else UNSCRIPTED
        return self

    def always(self, reply: Reply) -> HostileServer:
        return self.script(then=reply)

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    @property
    def open_connections(self) -> int:
        """Server-side connections not yet closed (by either side)."""
        with self._lock:
            return len(self._open)

    def wait_closed(self, timeout: float = 2.0) -> int:
        """Wait until every connection is closed (or ``timeout``); the number still open."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.open_connections == 0:
                return 0
            time.sleep(_TICK / 2)
        return self.open_connections

    def wait_requests(self, n: int, timeout: float = 5.0) -> bool:
        with self._request_seen:
            return self._request_seen.wait_for(lambda: len(self.requests) >= n, timeout)

    def close(self) -> None:
        self._stop.set()
        if self._acceptor is not None:
            self._acceptor.join(5)
        for thread in list(self._threads):
            thread.join(5)
        self._sock.close()
        alive = [t.name for t in self._threads if t.is_alive()]
        assert not alive, f"hostile server threads did not stop: {alive}"

    def __enter__(self) -> HostileServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"HostileServer(port={self.port}, requests={self.count})"

    # ------------------------------------------------------------------ internals
    def _next_reply(self) -> Reply:
        with self._lock:
            return self._script.pop(0) if self._script else self._then

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            with self._lock:
                self.connections_opened += 1
                number = self.connections_opened
                self._open.add(number)
            thread = threading.Thread(target=self._serve, args=(conn, number), name=f"hostile-conn-{self.port}-{number}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket, number: int) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        conn = _Conn(sock, self._stop)
        how = "closed"
        try:
            while True:
                request = conn.read_request()
                if request is None:
                    how = "client closed"
                    break
                method, target, raw_headers, body = request
                with self._request_seen:
                    received = Received(len(self.requests), number, method, target, {k.lower(): v for k, v in raw_headers}, raw_headers, body, time.monotonic())
                    self.requests.append(received)
                    self._request_seen.notify_all()
                reply = self._next_reply()
                keep = conn.play(reply)
                if not keep:
                    how = "closed by the script"
                    break
        except _ClientGone:
            how = "client gone"
        except _Stopping:
            how = "server stopping"
        except OSError as exc:  # pragma: no cover - anything else the OS says ends the connection
            how = f"os error {exc!r}"
        finally:
            conn.close()
            with self._lock:
                self._open.discard(number)
                self.events.append(f"conn {number}: {how}")


class _Conn:
    """One server-side connection (owned by its thread)."""

    def __init__(self, sock: socket.socket, stop: threading.Event) -> None:
        self.sock = sock
        self.stop = stop
        self.buf = b""
        self.closed = False

    # ------------------------------------------------------------------ reading
    def _recv(self) -> bytes:
        while True:
            if self.stop.is_set():
                raise _Stopping
            readable, _, _ = select.select([self.sock], [], [], _TICK)
            if readable:
                try:
                    data = self.sock.recv(65536)
                except (ConnectionResetError, BrokenPipeError):
                    raise _ClientGone from None
                except BlockingIOError:
                    continue
                return data

    def read_request(self) -> tuple[str, str, list[tuple[str, str]], bytes] | None:
        while b"\r\n\r\n" not in self.buf:
            data = self._recv()
            if not data:
                return None
            self.buf += data
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
        length = int(next((v for k, v in headers if k.lower() == "content-length"), "0"))
        while len(self.buf) < length:
            data = self._recv()
            if not data:
                return None
            self.buf += data
        body, self.buf = self.buf[:length], self.buf[length:]
        return method, target, headers, body

    # ------------------------------------------------------------------ writing
    def _gone(self) -> bool:
        """The client closed its side (EOF or RST pending), checked without blocking."""
        try:
            readable, _, _ = select.select([self.sock], [], [], 0)
            if not readable:
                return False
            data = self.sock.recv(65536, socket.MSG_PEEK)
        except (ConnectionResetError, BrokenPipeError):
            return True
        except BlockingIOError:
            return False
        return data == b""

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            if self.stop.is_set():
                raise _Stopping
            _, writable, _ = select.select([], [self.sock], [], _TICK)
            if not writable:
                if self._gone():
                    raise _ClientGone
                continue
            try:
                sent = self.sock.send(view)
            except (BrokenPipeError, ConnectionResetError):
                raise _ClientGone from None
            except BlockingIOError:
                continue
            view = view[sent:]

    def wait(self, seconds: float | None) -> None:
        """Sleep ``seconds`` (``None``: for ever), ending early when the client goes away or the
        server stops."""
        end = None if seconds is None else time.monotonic() + seconds
        while True:
            if self.stop.is_set():
                raise _Stopping
            left = _TICK if end is None else min(_TICK, end - time.monotonic())
            if left <= 0:
                return
            readable, _, _ = select.select([self.sock], [], [], left)
            if readable:
                if self._gone():
                    raise _ClientGone
                time.sleep(left)  # the client sent more (pipelining): not our business now

    def reset(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.sock.close()

    # ------------------------------------------------------------------ replies
    def play(self, reply: Reply) -> bool:
        """Send one reply; ``True`` if the connection stays open for the next request."""
        chunked = reply.body is None and reply.content_length is None and reply.status is not None
        if reply.status is not None:
            reason = _REASONS.get(reply.status, "Status")
            lines = [f"HTTP/1.1 {reply.status} {reason}"]
            names = {k.lower() for k, _ in reply.headers}
            lines += [f"{k}: {v}" for k, v in reply.headers]
            if reply.body is not None:
                if "content-length" not in names:
                    lines.append(f"content-length: {len(reply.body)}")
            elif reply.content_length is not None:
                lines.append(f"content-length: {reply.content_length}")
            else:
                lines.append("transfer-encoding: chunked")
            if reply.close:
                lines.append("connection: close")
            self.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
            if reply.body is not None:
                self.write(reply.body)
        for step in reply.steps:
            if isinstance(step, Send):
                self._send(step.data, chunked)
            elif isinstance(step, Raw):
                self.write(step.data)
            elif isinstance(step, Sleep):
                self.wait(step.seconds)
            elif isinstance(step, Trickle):
                for i in range(len(step.data)):
                    self._send(step.data[i : i + 1], chunked)
                    self.wait(step.every)
            elif isinstance(step, Pings):
                n = 0
                while step.count is None or n < step.count:
                    self._send(step.data, chunked)
                    n += 1
                    self.wait(step.every)
            elif isinstance(step, Generate):
                left = step.total
                while left > 0:
                    piece = step.block[:left]
                    self._send(piece, chunked)
                    left -= len(piece)
            elif isinstance(step, Finish):
                if chunked:
                    self.write(b"0\r\n\r\n")
                    chunked = False  # nothing more may follow
            elif isinstance(step, Stall):
                self.wait(step.seconds)
                if step.seconds is None:
                    return False
            elif isinstance(step, Reset):
                self.reset()
                return False
            elif isinstance(step, Close):
                self.close()
                return False
        if reply.status is None:
            return False
        if chunked:
            self.write(b"0\r\n\r\n")
        return not reply.close

    def _send(self, data: bytes, chunked: bool) -> None:
        if not data:
            return
        self.write(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)


# ---------------------------------------------------------------------------- the black hole
@contextlib.contextmanager
def black_hole() -> Iterator[int]:
    """A loopback port whose accept queue is full: a new connect hangs (its SYN is dropped) until
    the client gives up.  A listening socket with backlog 0 that never accepts holds one completed
    connection; we make it, then a second one that stays pending, and keep both open."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers: list[socket.socket] = []
    try:
        for _ in range(16):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            fillers.append(s)
            with contextlib.suppress(BlockingIOError):
                s.connect(("127.0.0.1", port))
            _, writable, _ = select.select([], [s], [], 0.05)
            if not writable or s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                break  # this one is stuck: the queue is full
        else:  # pragma: no cover - a kernel that never fills the queue
            pytest.skip("could not fill the accept queue of a loopback listener on this kernel")
        yield port
    finally:
        for s in fillers:
            s.close()
        listener.close()


# ---------------------------------------------------------------------------- bodies
def sse(*events: tuple[str | None, Any] | str | bytes) -> bytes:
    """SSE bytes: ``(event, data)`` pairs (data dict → JSON), bare strings as ``data:`` lines, bytes
    as they are."""
    out = b""
    for item in events:
        if isinstance(item, bytes):
            out += item
        elif isinstance(item, str):
            out += b"data: " + item.encode() + b"\n\n"
        else:
            name, data = item
            text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
            out += (f"event: {name}\n" if name else "").encode() + b"data: " + text.encode() + b"\n\n"
    return out


def openai_chunk(content: str | None = None, finish: str | None = None, *, usage: dict[str, int] | None = None, role: bool = False) -> dict[str, Any]:
    delta: dict[str, Any] = {"role": "assistant"} if role else {}
    if content is not None:
        delta["content"] = content
    chunk: dict[str, Any] = {
        "id": "chatcmpl-hostile", "object": "chat.completion.chunk", "created": 1, "model": "gpt-hostile",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}] if usage is None else [],
    }
    if usage is not None:
        chunk["usage"] = usage
    return chunk


def openai_sse(texts: Iterable[str], *, finish: str | None = "stop", done: bool = True, usage: bool = True) -> list[bytes]:
    """An OpenAI Chat Completions stream, one SSE event per element (so the caller can put faults
    between them)."""
    out = [sse(("", openai_chunk("", role=True)))]
    out += [sse((None, openai_chunk(t))) for t in texts]
    if finish is not None:
        out.append(sse((None, openai_chunk(None, finish))))
    if usage:
        out.append(sse((None, openai_chunk(usage={"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}))))
    if done:
        out.append(b"data: [DONE]\n\n")
    return out


def anthropic_sse(texts: Iterable[str], *, stop: bool = True) -> tuple[list[bytes], list[bytes]]:
    """An Anthropic Messages stream split as (head + one event per text delta, tail)."""
    head = [
        sse(("message_start", {"type": "message_start", "message": {"id": "msg_hostile", "type": "message", "role": "assistant", "model": "claude-hostile", "content": [], "stop_reason": None, "usage": {"input_tokens": 11, "output_tokens": 1}}})),
        sse(("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})),
    ]
    deltas = [sse(("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": t}})) for t in texts]
    tail = [
        sse(("content_block_stop", {"type": "content_block_stop", "index": 0})),
        sse(("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None}, "usage": {"output_tokens": 9}})),
    ]
    if stop:
        tail.append(sse(("message_stop", {"type": "message_stop"})))
    return head + deltas, tail


def stream_reply(pieces: Iterable[bytes | Step], *, content_type: str = "text/event-stream", headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    """A 200 chunked reply: bytes become :class:`Send` steps, steps stay as they are."""
    steps = tuple(Send(p) if isinstance(p, bytes) else p for p in pieces)
    return Reply(200, (("content-type", content_type),) + headers, steps=steps)


def json_reply(status: int, payload: Any, *headers: tuple[str, str]) -> Reply:
    return Reply(status, (("content-type", "application/json"),) + tuple(headers), json.dumps(payload).encode())


_CONTENT_TYPES = {".sse": "text/event-stream", ".jsonarray": "application/json", ".json": "application/json", ".bin": "application/vnd.amazon.eventstream"}


def recorded(provider: str, case: str, *, status: int | None = None) -> Reply:
    """A reply serving a recorded body from tests/fixtures/<provider>/<case>/ as recorded: the
    body file its ``case.yaml`` names for replay, or ``body.gz`` with ``content-encoding: gzip``
    when the case has one."""
    import yaml

    folder = FIXTURES / provider / case
    data = yaml.safe_load((folder / "case.yaml").read_text(encoding="utf-8"))
    body_file = folder / data["replay"]["body"]
    ctype = _CONTENT_TYPES.get(body_file.suffix, "application/json")
    headers: list[tuple[str, str]] = [("content-type", ctype)]
    if (folder / "body.gz").exists():
        body = (folder / "body.gz").read_bytes()
        headers.append(("content-encoding", "gzip"))
    else:
        body = body_file.read_bytes()
    return Reply(status or data["replay"].get("status", 200), tuple(headers), body)


_BOMBS: dict[int, bytes] = {}


def gzip_bomb(decompressed_mib: int = 256) -> bytes:
    """A valid gzip member that inflates to ``decompressed_mib`` MiB of spaces (about 1000:1).
    Built in milliseconds: after a full flush deflate restarts from an empty window, so the
    compressed form of each 1 MiB block is the same bytes, repeated; the trailer's CRC-32 and size
    are computed for the whole."""
    if decompressed_mib not in _BOMBS:
        block = b" " * (1024 * 1024)
        comp = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)  # raw deflate; we write the gzip framing
        segment = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
        last = comp.compress(block) + comp.flush(zlib.Z_FINISH)
        crc = 0
        for _ in range(decompressed_mib):
            crc = zlib.crc32(block, crc)
        header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
        trailer = struct.pack("<II", crc & 0xFFFFFFFF, (decompressed_mib * len(block)) & 0xFFFFFFFF)
        _BOMBS[decompressed_mib] = header + segment * (decompressed_mib - 1) + last + trailer
    return _BOMBS[decompressed_mib]


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data)


# ---------------------------------------------------------------------------- pytest fixtures
@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    """A :class:`HostileServer` for one test."""
    with HostileServer() as server:
        yield server


@pytest.fixture
def sink() -> Iterator[HostileServer]:
    """A second server, on another port (another origin), that records whatever reaches it."""
    with HostileServer() as server:
        server.always(Reply(200, (("content-type", "application/json"),), b"{}"))
        yield server


@pytest.fixture
def hole() -> Iterator[int]:
    """A black-hole port (see :func:`black_hole`)."""
    with black_hole() as port:
        yield port


def with_fields(reply: Reply, **changes: Any) -> Reply:
    """A copy of ``reply`` with some fields changed."""
    values = {f: getattr(reply, f) for f in ("status", "headers", "body", "steps", "content_length", "close")}
    values.update(changes)
    return Reply(**values)



def openai_completion(text: str = "hello", finish: str = "stop") -> dict[str, Any]:
    """A non-streaming OpenAI Chat Completions body."""
    return {
        "id": "chatcmpl-hostile", "object": "chat.completion", "created": 1, "model": "gpt-hostile",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
    }


def openai_error(status: int, message: str = "boom", type_: str = "server_error", code: str | None = None, *headers: tuple[str, str]) -> Reply:
    """An OpenAI-style error reply."""
    return json_reply(status, {"error": {"message": message, "type": type_, "param": None, "code": code}}, *headers)


def openai_ok(stream: bool, texts: tuple[str, ...] = ("Hel", "lo"), *headers: tuple[str, str]) -> Reply:
    """A successful OpenAI reply, streamed or not, whose text is ``"".join(texts)``."""
    if stream:
        return stream_reply(openai_sse(texts), headers=tuple(headers))
    return json_reply(200, openai_completion("".join(texts)), *headers)


@pytest.fixture
def refused() -> Iterator[int]:
    """A loopback port that refuses connections (bound, not listening: the kernel answers RST)."""
    with HostileServer(listen=False) as server:
        yield server.port
