"""The hostile loopback server's own tests: it must misbehave exactly as scripted, record what it
receives, and shut down cleanly, or the reliability suite built on it proves nothing.

What this protects: each fault primitive (status sequences, chunked steps, trickle, stall, reset,
FIN, pings, raw bytes, lazy large bodies, gzip bombs, refusing and black-hole ports) is checked
with plain httpx, independent of specwire; keep-alive connection numbering (the pool-reuse rows
depend on it); request recording; and a clean shutdown (threads joined, sockets closed: pytest runs
with ``-W error``, so a leaked socket fails here).
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
import zlib

import httpx
import pytest

from tests.hostile.server import (
    Close,
    Finish,
    Generate,
    HostileServer,
    Pings,
    Raw,
    Reply,
    Reset,
    Sleep,
    Stall,
    Trickle,
    black_hole,
    gzip_bomb,
    json_reply,
    openai_sse,
    recorded,
    sse,
    stream_reply,
)


def test_script_then_default_and_recording(hostile: HostileServer) -> None:
    hostile.script(Reply(503), json_reply(200, {"ok": True}, ("x-test", "1")))
    with httpx.Client() as client:
        assert client.post(hostile.url("/a?key=v"), json={"q": 1}, headers={"Idempotency-Key": "k1"}).status_code == 503
        ok = client.get(hostile.url("/b"))
        assert ok.json() == {"ok": True} and ok.headers["x-test"] == "1"
        assert client.get(hostile.url("/c")).status_code == 599  # unscripted
    first = hostile.requests[0]
    assert (first.method, first.path, first.query) == ("POST", "/a", "key=v")
    assert first.json() == {"q": 1} and first.headers["idempotency-key"] == "k1"
    assert hostile.count == 3
    assert {r.conn for r in hostile.requests} == {1}, "keep-alive: one connection for three requests"


def test_chunked_steps_arrive_as_separate_chunks(hostile: HostileServer) -> None:
    hostile.script(stream_reply([b"one", Sleep(0.05), b"two", Raw(b"3\r\nabc\r\n"), Finish()]))
    with httpx.Client() as client, client.stream("GET", hostile.url()) as response:
        chunks = list(response.iter_raw())
    assert b"".join(chunks) == b"onetwoabc" and len(chunks) >= 2


def test_trickle_is_slow_and_complete(hostile: HostileServer) -> None:
    hostile.script(stream_reply([Trickle(b"abcdef", 0.03)]))
    t0 = time.monotonic()
    with httpx.Client() as client:
        assert client.get(hostile.url()).content == b"abcdef"
    assert time.monotonic() - t0 >= 0.15


def test_reset_and_fin_mid_body(hostile: HostileServer) -> None:
    hostile.script(stream_reply([b"partial", Reset()]), stream_reply([b"partial", Close()]), Reply(None, steps=(Reset(),)))
    with httpx.Client() as client:
        for _ in range(3):
            with pytest.raises(httpx.TransportError):
                client.get(hostile.url()).read()
    assert hostile.wait_closed() == 0


def test_stall_ends_when_the_client_leaves(hostile: HostileServer) -> None:
    hostile.script(stream_reply([b"x", Stall()]))
    with httpx.Client(timeout=httpx.Timeout(5, read=0.2)) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.get(hostile.url()).read()
    assert hostile.wait_closed() == 0, hostile.events


def test_endless_pings_until_the_client_leaves(hostile: HostileServer) -> None:
    hostile.script(stream_reply([Pings(0.01)]))
    with httpx.Client() as client, client.stream("GET", hostile.url()) as response:
        seen = b""
        for chunk in response.iter_raw():
            seen += chunk
            if seen.count(b": ping") >= 5:
                break
    assert hostile.wait_closed() == 0


def test_generate_is_lazy_and_exact(hostile: HostileServer) -> None:
    hostile.script(Reply(200, steps=(Generate(b"0123456789", 25),), content_length=25))
    with httpx.Client() as client:
        assert client.get(hostile.url()).content == b"0123456789" * 2 + b"01234"


def test_gzip_bomb_is_valid_gzip() -> None:
    bomb = gzip_bomb(4)
    assert gzip.decompress(bomb) == b" " * (4 * 1024 * 1024)
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    assert len(d.decompress(bomb[:2000])) > 1_000_000, "about 1000:1"


def test_refusing_port_then_listen() -> None:
    with HostileServer(listen=False) as server:
        server.always(json_reply(200, {}))
        with httpx.Client() as client:
            with pytest.raises(httpx.ConnectError):
                client.get(server.url())
            server.listen()
            assert client.get(server.url()).status_code == 200


def test_black_hole_times_out_connects() -> None:
    with black_hole() as port, httpx.Client(timeout=httpx.Timeout(5, connect=0.2)) as client:
        t0 = time.monotonic()
        with pytest.raises(httpx.ConnectTimeout):
            client.get(f"http://127.0.0.1:{port}/")
        assert 0.15 <= time.monotonic() - t0 < 1.5


def test_recorded_bodies_are_served_as_recorded(hostile: HostileServer) -> None:
    hostile.script(recorded("anthropic", "stream-gzip-tool-use-empty-input"), recorded("openai", "chat-error-400-unsupported-value"))
    with httpx.Client() as client:
        gz = client.get(hostile.url())
        assert gz.headers["content-encoding"] == "gzip" and b"message_stop" in gz.content
        err = client.get(hostile.url())
        assert err.status_code == 400 and err.json()["error"]["code"] == "unsupported_value"


def test_sse_helpers() -> None:
    assert sse(("ping", {"type": "ping"}), "[DONE]") == b'event: ping\ndata: {"type": "ping"}\n\ndata: [DONE]\n\n'
    assert openai_sse(["a"])[-1] == b"data: [DONE]\n\n"


def test_clean_shutdown_with_a_stalled_connection_open() -> None:
    """Closing the server while a client still holds a stalled response: every server thread ends,
    the listening socket is closed, and the client sees the connection end."""
    server = HostileServer()
    server.always(stream_reply([b"x", Stall()]))
    client = httpx.Client(timeout=5)
    response = client.send(client.build_request("GET", server.url()), stream=True)
    assert server.wait_requests(1)
    server.close()
    with pytest.raises(httpx.TransportError):
        response.read()
    response.close()
    client.close()
    assert not [t for t in threading.enumerate() if t.name.startswith(f"hostile-conn-{server.port}")]
    probe = socket.socket()
    try:
        assert probe.connect_ex(("127.0.0.1", server.port)) != 0
    finally:
        probe.close()


