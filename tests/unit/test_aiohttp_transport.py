"""The native aiohttp path of :class:`specwire.transport.Transport` (``async_backend="aiohttp"``,
engine/transport_aiohttp.py), at the transport's own interface, against a loopback server.

What this protects: requests go out through an ``aiohttp.ClientSession`` (no httpx transport in
between) with the auth flow's headers; redirects are returned, never followed; the connect-time
destination check runs for host names and IP literals; connect/read/pool timeouts and the
connection errors map to the same :class:`~specwire.TransportError` classes as on httpx, with no
aiohttp exception chained; a body closed early discards its connection, one read to its end is
reused; cancellation (while waiting for the response head, or mid-body) leaves no connection
checked out; each event loop's session is closed when the loop shuts down.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Generator
from typing import Any

import httpx
import pytest

from specwire import ConfigError, ConnectTimeout, PoolExhaustedError, ReadTimeout, StreamInterruptedError, TransportError
from specwire.auth.basic import BearerAuth, NoAuth
from specwire.binding import ConnectGuard
from specwire.redact import Secret
from specwire.request import RequestPlan
from specwire.retry import Timeouts
from specwire.transport import Transport
from tests.hostile.server import (
    HostileServer,
    Reply,
    Reset,
    Send,
    Sleep,
    Stall,
    hole,  # noqa: F401  (fixture)
    hostile,  # noqa: F401  (fixture)
    json_reply,
    refused,  # noqa: F401  (fixture)
    sink,  # noqa: F401  (fixture)
    stream_reply,
)

aiohttp = pytest.importorskip("aiohttp")
from specwire.transport_aiohttp import AiohttpResponse, map_aiohttp  # noqa: E402

QUICK = Timeouts(connect=2, read=5, pool=2)


def _plan(server: HostileServer | str, path: str = "/v1/x", *, guard: ConnectGuard | None = None, method: str = "POST") -> RequestPlan:
    url = server.url(path) if isinstance(server, HostileServer) else server
    return RequestPlan(method, url, {"content-type": "application/json"}, {"q": 1} if method == "POST" else None, guard=guard)


def _run(transport: Transport, body: Any) -> Any:
    async def main() -> Any:
        try:
            return await body()
        finally:
            await transport.aclose()

    return asyncio.run(main())


def _connector(transport: Transport) -> Any:
    pools = transport._aiohttp
    assert pools is not None
    return pools.session_of(asyncio.get_running_loop()).connector


async def _read(transport: Transport, response: Any) -> bytes:
    out = b""
    async for chunk in transport.aiter_bytes(response):
        out += chunk
    return out


def test_sends_through_aiohttp_with_the_auth_headers(hostile: HostileServer) -> None:
    hostile.always(json_reply(200, {"ok": True}, ("x-Multi", "a"), ("X-multi", "b")))
    transport = Transport(async_backend="aiohttp")

    async def body() -> Any:
        response = await transport.aopen(_plan(hostile), BearerAuth(Secret("sk-aiohttp-test")), QUICK)
        assert isinstance(response, AiohttpResponse)
        assert transport._async == {}, "no httpx client on the aiohttp path"
        try:
            return response.status_code, response.headers.get("CONTENT-TYPE"), Transport.headers(response), await _read(transport, response)
        finally:
            await response.aclose()

    status, content_type, headers, data = _run(transport, body)
    assert status == 200 and content_type == "application/json" and data == b'{"ok": true}'
    assert headers["x-multi"] == "a, b" and "X-Multi" not in headers
    received = hostile.requests[0]
    assert received.headers["authorization"] == "Bearer sk-aiohttp-test"
    assert received.body == b'{"q":1}' and received.method == "POST" and received.path == "/v1/x"


def test_query_is_sent_as_encoded(hostile: HostileServer) -> None:
    """The URL after the auth flow goes out byte for byte (a signature covers it)."""
    hostile.always(json_reply(200, {}))
    transport = Transport(async_backend="aiohttp")

    async def body() -> None:
        response = await transport.aopen(_plan(hostile, "/v1/a%2Fb:gen?alt=sse&k=a%20b", method="GET"), NoAuth(), QUICK)
        await response.aclose()

    _run(transport, body)
    assert hostile.requests[0].target == "/v1/a%2Fb:gen?alt=sse&k=a%20b"


class _RefreshOn401(httpx.Auth):
    """A two-step flow, like the Google OAuth hook: a 401 gets a new token and one resend."""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["authorization"] = "Bearer stale"
        response = yield request
        if response.status_code == 401:
            request.headers["authorization"] = "Bearer fresh"
            yield request


def test_a_multi_step_auth_flow_resends(hostile: HostileServer) -> None:
    hostile.script(json_reply(401, {"error": "expired"}), json_reply(200, {"ok": 1}))
    transport = Transport(async_backend="aiohttp")

    async def body() -> int:
        response = await transport.aopen(_plan(hostile), _RefreshOn401(), QUICK)
        await response.aclose()
        assert _connector(transport)._acquired == set()
        return response.status_code

    assert _run(transport, body) == 200
    assert [r.headers["authorization"] for r in hostile.requests] == ["Bearer stale", "Bearer fresh"]


class _ReadsBody(httpx.Auth):
    """A flow that reads the response body (``requires_response_body``): it resends once when the
    body names a nonce, and records every body it saw."""

    requires_response_body = True

    def __init__(self) -> None:
        self.seen: list[bytes] = []

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        response = yield request
        self.seen.append(response.content)
        if b"nonce" in response.content:
            request.headers["x-nonce"] = "n1"
            response = yield request
            self.seen.append(response.content)


def test_an_auth_flow_that_reads_the_body_leaves_it_to_the_caller(hostile: HostileServer) -> None:
    hostile.script(json_reply(401, {"nonce": 1}), stream_reply([b"data: 1\n\n", b"data: 2\n\n"]))
    transport = Transport(async_backend="aiohttp")
    auth = _ReadsBody()

    async def body() -> bytes:
        response = await transport.aopen(_plan(hostile), auth, QUICK)
        try:
            return await _read(transport, response)
        finally:
            await response.aclose()

    assert _run(transport, body) == b"data: 1\n\ndata: 2\n\n"
    assert auth.seen == [b'{"nonce": 1}', b"data: 1\n\ndata: 2\n\n"]
    assert hostile.requests[1].headers["x-nonce"] == "n1"


def test_redirect_is_returned_not_followed(hostile: HostileServer, sink: HostileServer) -> None:
    hostile.always(Reply(307, (("location", sink.url("/steal")), ("content-length", "0")), b""))
    transport = Transport(async_backend="aiohttp")

    async def body() -> tuple[int, str]:
        response = await transport.aopen(_plan(hostile), BearerAuth(Secret("sk-redirect-test")), QUICK)
        await response.aclose()
        return response.status_code, response.headers.get("location")

    assert _run(transport, body) == (307, sink.url("/steal"))
    assert hostile.count == 1 and sink.count == 0


def test_guard_refuses_a_name_resolving_to_a_private_address(monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding on the aiohttp path: the guarded resolver refuses before any connect."""
    real = socket.getaddrinfo
    connects: list[Any] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        return real("10.0.0.7" if host == "rebind.example" else host, port, *args, **kwargs)

    def connect(sock: socket.socket, address: Any) -> Any:
        connects.append(address)
        raise ConnectionRefusedError(111, "no network in tests")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    transport = Transport(async_backend="aiohttp")

    async def body() -> BaseException:
        with pytest.raises(ConfigError) as info:
            await transport.aopen(_plan("http://rebind.example:8080/v1/x", guard=ConnectGuard()), BearerAuth(Secret("sk-rebind-test")), QUICK)
        return info.value

    error = _run(transport, body)
    assert "10.0.0.7" in str(error) and connects == []


def test_guard_checks_an_ip_literal_host() -> None:
    """aiohttp does not ask its resolver about an IP address: the transport checks it itself."""
    transport = Transport(async_backend="aiohttp")

    async def body() -> None:
        with pytest.raises(ConfigError):
            await transport.aopen(_plan("http://10.0.0.7:9/v1/x", guard=ConnectGuard()), BearerAuth(Secret("sk-literal-test")), QUICK)

    _run(transport, body)


def test_connect_errors_map_like_httpx(refused: int, hole: int) -> None:
    transport = Transport(async_backend="aiohttp")

    async def body() -> list[BaseException]:
        errors = []
        for url, timeouts in ((f"http://127.0.0.1:{refused}/v1/x?key=sk-in-url", QUICK), (f"http://127.0.0.1:{hole}/v1/x", Timeouts(connect=0.2, read=5, pool=5))):
            try:
                await transport.aopen(_plan(url), NoAuth(), timeouts)
            except TransportError as exc:
                errors.append(exc)
        return errors

    refused_error, timeout_error = _run(transport, body)
    assert type(refused_error) is TransportError and f"127.0.0.1:{refused}" in str(refused_error)
    assert "sk-in-url" not in str(refused_error)
    assert isinstance(timeout_error, ConnectTimeout)
    for error in (refused_error, timeout_error):
        assert error.__cause__ is None and error.__context__ is None, "no aiohttp exception may ride along"


def test_read_timeout_before_the_head_and_mid_body(hostile: HostileServer) -> None:
    hostile.script(Reply(None, steps=(Stall(),)), stream_reply([b"data: 1\n\n", Stall()]))
    transport = Transport(async_backend="aiohttp")
    quick_read = Timeouts(connect=2, read=0.3, pool=2)

    async def body() -> list[BaseException]:
        errors = []
        try:
            await transport.aopen(_plan(hostile), NoAuth(), quick_read)
        except TransportError as exc:
            errors.append(exc)
        response = await transport.aopen(_plan(hostile), NoAuth(), quick_read)
        try:
            await _read(transport, response)
        except TransportError as exc:
            errors.append(exc)
        finally:
            await response.aclose()
        assert _connector(transport)._acquired == set()
        return errors

    before, mid = _run(transport, body)
    assert isinstance(before, ReadTimeout) and isinstance(mid, ReadTimeout)


def test_pool_exhausted(hostile: HostileServer) -> None:
    hostile.script(stream_reply([b"data: 1\n\n", Stall()]), json_reply(200, {}))
    transport = Transport(async_backend="aiohttp")
    assert transport._aiohttp is not None
    transport._aiohttp.limits = httpx.Limits(max_connections=1)

    async def body() -> None:
        held = await transport.aopen(_plan(hostile), NoAuth(), QUICK)
        try:
            with pytest.raises(PoolExhaustedError):
                await transport.aopen(_plan(hostile), NoAuth(), Timeouts(connect=2, read=5, pool=0.2))
        finally:
            await held.aclose()

    _run(transport, body)
    assert hostile.count == 1


def test_reset_mid_body_keeps_what_arrived(hostile: HostileServer) -> None:
    hostile.always(stream_reply([b"data: first\n\n", Sleep(0.1), Reset()]))
    transport = Transport(async_backend="aiohttp")

    async def body() -> tuple[bytes, BaseException | None]:
        response = await transport.aopen(_plan(hostile), NoAuth(), QUICK)
        got, error = b"", None
        try:
            async for chunk in transport.aiter_bytes(response):
                got += chunk
        except TransportError as exc:
            error = exc
        finally:
            await response.aclose()
        return got, error

    got, error = _run(transport, body)
    assert got == b"data: first\n\n" and isinstance(error, StreamInterruptedError)
    assert error.__context__ is None


def test_early_close_discards_the_connection_full_read_reuses_it(hostile: HostileServer) -> None:
    hostile.always(stream_reply([b"data: 1\n\n", Sleep(0.05), b"data: 2\n\n"]))
    transport = Transport(async_backend="aiohttp")

    async def body() -> None:
        response = await transport.aopen(_plan(hostile), NoAuth(), QUICK)
        chunks = transport.aiter_bytes(response)
        assert await chunks.__anext__() == b"data: 1\n\n"
        await chunks.aclose()
        await response.aclose()
        connector = _connector(transport)
        assert connector._acquired == set() and sum(len(c) for c in connector._conns.values()) == 0
        for _ in range(2):
            response = await transport.aopen(_plan(hostile), NoAuth(), QUICK)
            assert await _read(transport, response) == b"data: 1\n\ndata: 2\n\n"
            await response.aclose()
        assert connector._acquired == set() and sum(len(c) for c in connector._conns.values()) == 1

    _run(transport, body)
    conns = [r.conn for r in hostile.requests]
    assert conns[0] != conns[1] and conns[1] == conns[2]
    assert hostile.wait_closed() == 0


def test_error_body_read_capped(hostile: HostileServer) -> None:
    hostile.always(Reply(500, (("content-type", "text/plain"),), steps=(Send(b"x" * 5000), Send(b"y" * 5000))))
    transport = Transport(async_backend="aiohttp")

    async def body() -> bytes:
        response = await transport.aopen(_plan(hostile), NoAuth(), QUICK)
        try:
            return await Transport.aread_capped(response, limit=6000)
        finally:
            await response.aclose()

    assert _run(transport, body) == b"x" * 5000 + b"y" * 1000


@pytest.mark.parametrize("where", ["head", "body"])
def test_cancellation_leaves_no_connection_checked_out(hostile: HostileServer, where: str) -> None:
    hostile.always(Reply(None, steps=(Stall(),)) if where == "head" else stream_reply([b"data: 1\n\n", Stall()]))
    transport = Transport(async_backend="aiohttp")

    async def call() -> None:
        response = await transport.aopen(_plan(hostile), NoAuth(), QUICK)
        try:
            await _read(transport, response)
        finally:
            await response.aclose()

    async def body() -> None:
        task = asyncio.ensure_future(call())
        assert await asyncio.to_thread(hostile.wait_requests, 1)
        await asyncio.sleep(0.05)
        task.cancel()
        task.cancel()  # a second cancellation while the first is handled
        with pytest.raises(asyncio.CancelledError):
            await task
        assert _connector(transport)._acquired == set()

    _run(transport, body)
    assert hostile.wait_closed() == 0


def test_one_session_per_loop_closed_when_the_loop_ends(hostile: HostileServer) -> None:
    hostile.always(json_reply(200, {}))
    transport = Transport(async_backend="aiohttp")
    sessions = []

    async def call() -> None:
        response = await transport.aopen(_plan(hostile), NoAuth(), QUICK)
        await _read(transport, response)
        await response.aclose()
        assert transport._aiohttp is not None
        sessions.append(transport._aiohttp.session_of(asyncio.get_running_loop()))

    asyncio.run(call())
    asyncio.run(call())
    assert sessions[0] is not sessions[1] and all(s.closed for s in sessions)


def test_given_httpx_transport_wins_over_the_backend() -> None:
    """``async_transport=`` (an httpx mock in tests) is used as given, whatever the backend."""
    transport = Transport(async_backend="aiohttp", async_transport=httpx.MockTransport(lambda r: httpx.Response(204)))
    assert transport._aiohttp is None

    async def body() -> int:
        response = await transport.aopen(_plan("http://api.example/v1/x"), NoAuth(), QUICK)
        await response.aclose()
        return response.status_code

    assert _run(transport, body) == 204


@pytest.mark.parametrize(
    ("exc", "started", "full", "expected"),
    [
        (lambda: aiohttp.ConnectionTimeoutError("t"), False, False, ConnectTimeout),
        (lambda: aiohttp.ConnectionTimeoutError("t"), False, True, PoolExhaustedError),
        (lambda: aiohttp.SocketTimeoutError("t"), False, False, ReadTimeout),
        (lambda: aiohttp.SocketTimeoutError("t"), True, False, ReadTimeout),
        (lambda: aiohttp.ServerDisconnectedError(), True, False, StreamInterruptedError),
        (lambda: aiohttp.ClientPayloadError("cut"), True, False, StreamInterruptedError),
        (lambda: aiohttp.ServerDisconnectedError(), False, False, TransportError),
    ],
)
def test_map_aiohttp(exc: Any, started: bool, full: bool, expected: type[BaseException]) -> None:
    class Connector:
        limit = 1
        _acquired = {object()} if full else set()

    mapped = map_aiohttp(exc(), started=started, url="https://api.example.com/v1?key=sk-x", connector=Connector())
    assert type(mapped) is expected
    assert "sk-x" not in str(mapped)


def test_import_specwire_does_not_load_aiohttp() -> None:
    import subprocess
    import sys

    lean = subprocess.run([sys.executable, "-c", "import sys, specwire; print('aiohttp' in sys.modules)"], capture_output=True, text=True, timeout=60, check=True)
    assert lean.stdout.strip() == "False"
