"""The only HTTP I/O: send a :class:`RequestPlan` with httpx (or, for the async API with
``async_backend="aiohttp"``, with aiohttp: :mod:`specwire.transport_aiohttp`) and hand back body
bytes.  The engine sees one interface whatever the backend: :meth:`Transport.open`/:meth:`aopen`,
the body through :meth:`~Transport.iter_bytes`/:meth:`~Transport.aiter_bytes`, :meth:`~Transport.drain`,
:meth:`~Transport.read_capped`, :meth:`~Transport.headers`, and a response's ``status_code``,
``headers`` and ``aclose()``.

* One ``httpx.Client`` per :class:`Transport`, and one ``httpx.AsyncClient`` per running event loop
  (an AsyncClient's connections belong to the loop that opened them), so connections are pooled;
  a loop's pool is closed when the loop shuts down (``asyncio.run`` returning).
* Redirects are never followed (docs/RELIABILITY.md T6): a 3xx is returned like any other status and
  becomes a :class:`~specwire.RedirectError`, so a credential never reaches another origin.
* httpx exceptions are translated at this boundary (httpcore's ``map_exceptions`` pattern) into
  the :class:`~specwire.TransportError` family, raised outside the ``except`` block so that no
  httpx request (with its credential headers, or a URL carrying a key) rides along in
  ``__cause__`` or ``__context__``; messages are redacted.
* Bodies are read through ``iter_bytes`` (content-decoded: gzip and friends), and error bodies only
  up to :data:`MAX_ERROR_BODY_BYTES`.
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import threading
import time
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any

import httpx

from .aio import ReadAhead, finish
from .errors import (
    ConfigError,
    ConnectTimeout,
    PoolExhaustedError,
    ReadTimeout,
    StreamInterruptedError,
    TransportError,
)
from .lazy import defer
from .redact import install_log_redaction, redact_text
from .retry import Timeouts
from .transport_aiohttp import AiohttpPool, AiohttpResponse, endpoint as _endpoint
from .transport_aiohttp import aiter_bytes as _aiohttp_aiter_bytes

if TYPE_CHECKING:
    from .netguard import guard_pool, guarding
    from .request import RequestPlan
else:  # httpcore (netguard's connect-time check) loads with the first pool (specwire.lazy)
    defer(globals(), "specwire.netguard", "guard_pool", "guarding")

__all__ = ["ASYNC_BACKENDS", "DEFAULT_TIMEOUT", "HTTPResponse", "DRAIN_BYTES", "DRAIN_SECONDS", "MAX_ERROR_BODY_BYTES", "Transport", "make_timeout", "recorded_body_transport"]

#: 600 s to read (long generations), 10 s to connect, 10 s to get a pooled connection.
DEFAULT_TIMEOUT = httpx.Timeout(600.0, connect=10.0, pool=10.0)
MAX_ERROR_BODY_BYTES = 1024 * 1024
#: After a stream's done signal, the rest of the body (usually just the chunked terminator) is
#: read for at most this long and this many bytes, so a cleanly ended response returns its
#: connection to the pool while a server that keeps the socket open after ``[DONE]`` cannot hold
#: the call (openai-python#3440).  Past either budget the response is closed and its connection
#: discarded.
DRAIN_SECONDS = 0.25
DRAIN_BYTES = 64 * 1024
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)
#: How many parsed request URLs a :class:`Transport` keeps (then it starts over).
_MAX_URLS = 256

install_log_redaction()  # httpx logs URLs (``?key=``) at INFO, httpcore response headers at DEBUG


def _map(exc: Exception, *, started: bool, url: str | None = None) -> TransportError:
    """An httpx exception → ours (``started``: the body had begun to arrive).  Before the
    response, the message names the endpoint (``could not connect to api.openai.com:443: …``)
    from ``url``, without its user info, path or query."""
    text = redact_text(str(exc) or type(exc).__name__)
    endpoint = _endpoint(url)
    to = f" to {endpoint}" if endpoint else ""
    if isinstance(exc, httpx.PoolTimeout):
        return PoolExhaustedError(f"no free connection in the pool{' for ' + endpoint if endpoint else ''}: {text}")
    if isinstance(exc, httpx.ConnectTimeout) and not started:
        return ConnectTimeout(f"connect timeout{to}: {text}")
    if isinstance(exc, httpx.TimeoutException):
        return ReadTimeout(f"read timeout: {text}")
    if started:
        return StreamInterruptedError(f"the connection broke during the response: {text}")
    if isinstance(exc, httpx.ConnectError):
        return TransportError(f"could not connect{to}: {text}")
    return TransportError(f"connection failed{to}: {text}")


class _NoCookies(httpx.Cookies):
    """A cookie store that keeps nothing.  A library client serves many callers, keys and
    providers, so one response's ``Set-Cookie`` must not ride along on the next request; it also
    spares each response httpx's cookie parsing (about 15 µs)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class _SyncClient(httpx.Client):
    """The sync pool specwire builds itself: httpx's client without a cookie store."""

    @property
    def cookies(self) -> httpx.Cookies:
        return _NO_COOKIES

    @cookies.setter
    def cookies(self, cookies: Any) -> None:  # httpx sets its (empty) store in __init__
        return None


class _AsyncClient(httpx.AsyncClient):
    """The async pool specwire builds itself: httpx's client without a cookie store."""

    @property
    def cookies(self) -> httpx.Cookies:
        return _NO_COOKIES

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        return None


_NO_COOKIES = _NoCookies()


#: ``httpx``: httpcore's pool.  ``aiohttp``: aiohttp's own pool, sent through an
#: ``aiohttp.ClientSession`` directly (:mod:`specwire.transport_aiohttp`, ``pip install
#: 'specwire[aiohttp]'``); tools/bench/RESULTS.md compares the two.  One pool per event loop
#: either way; redirects are never followed.
ASYNC_BACKENDS = ("httpx", "aiohttp")

#: A response of :meth:`Transport.open`/:meth:`Transport.aopen`, body unread: ``status_code``,
#: ``headers`` (case-insensitive ``.get``), ``aclose()``; read it through the Transport's methods.
HTTPResponse = httpx.Response | AiohttpResponse


async def _closing(client: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            await client.aclose()


def _close_at_loop_end(client: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    """Close ``client`` when the running event loop shuts down.

    An AsyncClient's connections belong to the loop that opened them, and a loop that closes
    with them open leaves unclosed sockets and transports behind (``ResourceWarning``; two
    ``asyncio.run`` calls of ``specwire.acomplete`` showed it).  The loop's shutdown
    (``asyncio.run`` and ``asyncio.Runner`` call ``loop.shutdown_asyncgens()`` before closing it)
    closes every async generator that started on it, so the client is tied to one: started
    here, inside the loop (the loop's first-iteration hook registers it), and closed by the loop's
    shutdown, or by :meth:`Transport.aclose`, which closes the client at once.  A loop closed
    without that shutdown leaves the client as before."""
    closer = _closing(client)
    step = closer.__anext__()  # the running loop's firstiter hook registers the generator
    try:
        step.send(None)  # runs to the ``yield`` at once: no await before it
    except StopIteration:
        pass
    return closer


class _CloseToEnd(httpx.AsyncByteStream):
    """A response body whose close, once begun, runs to its end whatever cancels its caller.

    httpx closes a response itself when its body ends (``Response.aiter_raw`` awaits
    ``aclose()`` after the last chunk), inside the reader task of :meth:`Transport.aiter_bytes`.
    A cancellation of that reader (its consumer stopped) landing during that close would stop it
    half-way: httpx and httpcore have already marked the response closed, so the later
    ``response.aclose()`` does nothing, and the connection stays checked out of the pool
    (``ACTIVE`` with its request still counted) for ever.  Here that close marks the reader as
    closing (:attr:`specwire.aio.ReadAhead.closing`), so its only canceller,
    :meth:`~specwire.aio.ReadAhead.stop`, waits for it instead of cancelling it.  A close from
    anywhere else first stops the body's reader (``reader``), so a read and a close never run at
    once, and runs in its own task (:func:`specwire.aio.finish`)."""

    def __init__(self, inner: httpx.AsyncByteStream) -> None:
        self._inner = inner
        self.reader: ReadAhead | None = None

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._inner.__aiter__()

    async def aclose(self) -> None:
        reader = self.reader
        if reader is not None and asyncio.current_task() is reader.task:
            # the end of the body, in the reader: its only canceller (ReadAhead.stop) waits for
            # the close instead of cancelling it, so it needs no task of its own
            reader.closing = True
            await self._inner.aclose()
            return
        if reader is not None:
            await reader.stop()
        await finish(self._inner.aclose())


async def _abandon(reader: ReadAhead | None, client: httpx.AsyncClient) -> None:
    """After the caller of :meth:`Transport.aopen` was cancelled: the exchange's task is cancelled
    once and its cleanup finishes, a response nobody will read is closed, and the pool's orphans
    are reclaimed."""
    if reader is not None:
        await reader.stop()
        if isinstance(reader.opened, httpx.Response):
            await reader.opened.aclose()
    await _reclaim_orphans(client)


async def _reclaim_orphans(client: httpx.AsyncClient) -> None:
    """Drop the connections a cancelled request left behind in httpcore's pool.

    httpcore 1.0.x bug (https://github.com/encode/httpcore/issues/1093, fix proposed in
    https://github.com/encode/httpcore/pull/1099): a request cancelled (or timed out waiting for
    the pool) after the pool created a connection for it, but before it started connecting, leaves
    that connection ``CONNECTING`` for ever: never used, never reaped, holding one of the
    ``max_connections`` slots (or ``NEW`` with an open socket, when the cancellation came right
    after the connect).  On a busy event loop many cancellations land in that window and
    the pool runs dry (every later call fails with :class:`PoolExhaustedError`).  This removes
    such orphans (not connected, not failed, assigned to no queued or running request), as the
    proposed fix does, and hands the freed slots to waiting requests.  It reads httpcore
    internals and does nothing when they are not there (another transport, a fixed httpcore)."""
    pool: Any = getattr(getattr(client, "_transport", None), "_pool", None)
    connections, requests = getattr(pool, "_connections", None), getattr(pool, "_requests", None)
    assign = getattr(pool, "_assign_requests_to_connections", None)
    if not isinstance(connections, list) or not isinstance(requests, list) or assign is None:
        return
    with pool._optional_thread_lock:
        busy = {id(getattr(request, "connection", None)) for request in requests}
        orphans = [c for c in connections if id(c) not in busy and _unused(c)]
        if not orphans:
            return
        for orphan in orphans:
            connections.remove(orphan)
        closing = [*orphans, *assign()]
    await finish(pool._close_connections(closing))


def _unused(connection: Any) -> bool:
    """A pooled connection no request ever started on: still connecting (never failed), or
    connected with its HTTP/1.1 state still ``NEW`` (the cancellation came between the connect and
    the request)."""
    inner = getattr(connection, "_connection", ...)
    if inner is None:
        return getattr(connection, "_connect_failed", True) is False
    return getattr(getattr(inner, "_state", None), "name", None) == "NEW"


def _limit_reads(response: httpx.Response, budget: Callable[[], float | None]) -> Callable[[], None] | None:
    """Make each read of ``response``'s network stream take at most ``budget()`` seconds; returns
    the undo (call it before the connection goes back to the pool), or ``None`` when the response
    has no httpcore network stream."""
    stream: Any = response.extensions.get("network_stream")
    original = getattr(stream, "read", None)
    if original is None:
        return None

    def read(max_bytes: int, timeout: float | None = None) -> bytes:
        limit = budget()
        if limit is not None:  # never 0: a zero socket timeout means non-blocking, not "expired"
            timeout = max(limit, _MIN_READ) if timeout is None else max(min(timeout, limit), _MIN_READ)
        return original(max_bytes, timeout)  # type: ignore[no-any-return]

    stream.read = read

    def restore() -> None:
        with contextlib.suppress(AttributeError):
            del stream.read

    return restore


#: The shortest socket read timeout :func:`_limit_reads` sets (seconds).
_MIN_READ = 0.001


def _shutdown(sock: Any) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(2)  # SHUT_RDWR: a blocked recv returns at once


def _body(response: httpx.Response, reader: ReadAhead) -> AsyncIterator[bytes]:
    """The decoded body of ``response``, read by ``reader``, its close made uncancellable."""
    if isinstance(response.stream, httpx.AsyncByteStream) and not isinstance(response.stream, _CloseToEnd):
        response.stream = _CloseToEnd(response.stream)
    if isinstance(response.stream, _CloseToEnd):
        response.stream.reader = reader
    return response.aiter_bytes()


#: How many chunks of a body :meth:`Transport.aiter_bytes` hands out one by one before it joins
#: what has arrived into one piece (the first content event usually comes within the first four).
_SINGLE_CHUNKS = 8


async def _opened(response: httpx.Response) -> httpx.Response:
    return response


async def _httpx_aiter_bytes(response: httpx.Response, timeout: Callable[[], float | None] | None) -> AsyncGenerator[bytes, None]:
    stream = response.stream
    reader = stream.reader if isinstance(stream, _CloseToEnd) else None  # the exchange's task (Transport.aopen) reads ahead
    if reader is None:  # one task reads the whole body (see Transport.aiter_bytes)
        reader = ReadAhead(opening=_opened(response), body=_body)
    elif reader.consumed:
        raise httpx.StreamConsumed()
    reader.consumed = True
    single = _SINGLE_CHUNKS
    try:
        while True:
            if single:  # the first few chunks one by one: the first event is not held up by the rest of a burst
                chunk = reader.take()
                single -= chunk is not None
            else:
                chunk = reader.take_all()  # what has arrived, as one piece
            if chunk is not None:
                yield chunk
                continue
            if reader.done:
                break
            limit = timeout() if timeout is not None else None
            if limit is None:
                await reader.ready()
            else:
                async with asyncio.timeout(max(limit, 0.0)):
                    await reader.ready()
    finally:
        await reader.stop()  # cancelled once, its cleanup finished, whatever ended this loop
    error, reader.error = reader.error, None
    if error is None:
        return
    if isinstance(error, httpx.HTTPError):
        mapped: BaseException = _map(error, started=True)
    elif isinstance(error, asyncio.CancelledError):  # the reader was cancelled by someone else (the loop shutting down)
        mapped = StreamInterruptedError("the response body's reader was cancelled")
    else:
        mapped = error
    del error
    raise mapped


def pool_limits(max_connections: int | None) -> httpx.Limits:
    """The limits of a pool of ``max_connections`` (``None``: :data:`DEFAULT_LIMITS`); raises
    :class:`ConfigError` for a value that is not a positive integer."""
    if max_connections is None:
        return DEFAULT_LIMITS
    if not isinstance(max_connections, int) or isinstance(max_connections, bool) or max_connections <= 0:  # pyright: ignore[reportUnnecessaryIsInstance] - runtime check of user input
        raise ConfigError(f"max_connections must be a positive integer, got {max_connections!r}")
    return httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)


def make_timeout(connect: float | None, read: float | None, pool: float | None) -> httpx.Timeout:
    """An ``httpx.Timeout`` (write follows read)."""
    return httpx.Timeout(connect=connect, read=read, write=read, pool=pool)


class Transport:
    """Sends plans; owns the connection pools.  ``client``/``async_client`` may be supplied (they
    must not follow redirects, which is httpx's default).  ``async_backend="aiohttp"``: the async
    API sends through aiohttp's pool (:class:`~specwire.transport_aiohttp.AiohttpPool`), unless
    ``async_client`` or ``async_transport`` is given (that httpx client or transport is used).
    ``max_connections``: the size of each pool it creates (connections open at once per pool, idle
    ones kept alive as many; default :data:`DEFAULT_LIMITS`: 100, 20 kept alive); a request that
    finds the pool full waits up to the pool timeout.  Raises :class:`ConfigError` for an unknown
    backend or a ``max_connections`` that is not a positive integer."""

    def __init__(
        self,
        *,
        timeout: httpx.Timeout | float | None = None,
        max_connections: int | None = None,
        client: httpx.Client | None = None,
        async_client: httpx.AsyncClient | None = None,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
        async_backend: str = "httpx",
    ) -> None:
        if async_backend not in ASYNC_BACKENDS:
            raise ConfigError(f"unknown async_backend {async_backend!r}; choose one of {', '.join(ASYNC_BACKENDS)}")
        self._limits = pool_limits(max_connections)
        self._timeout = timeout if isinstance(timeout, httpx.Timeout) else (httpx.Timeout(timeout, connect=min(timeout, 10.0)) if timeout else DEFAULT_TIMEOUT)
        self._client = client
        self._owns_client = client is None
        self._given_async = async_client
        self._transport = transport
        self._async_transport = async_transport
        self._async_backend = async_backend
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = weakref.WeakKeyDictionary()
        self._closers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncGenerator[None, None]] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        self._urls: dict[str, httpx.URL] = {}  # parsed request URLs (httpx.URL is immutable)
        #: the native aiohttp pools (``async_backend="aiohttp"``, unless an httpx client or
        #: transport was given for the async API: that one is used then)
        self._aiohttp = AiohttpPool(self._limits, self._timeout) if async_backend == "aiohttp" and async_client is None and async_transport is None else None
        for given in (client, async_client):  # a caller's clients get the connect-time check too
            guard_pool(getattr(given, "_transport", None))

    def __repr__(self) -> str:
        return "Transport()"

    # ------------------------------------------------------------------ clients
    def _sync_client(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = _SyncClient(timeout=self._timeout, follow_redirects=False, limits=self._limits, transport=self._transport)
                # the connect-time destination check (specwire.netguard) on the direct transport;
                # the client builds that one itself so environment proxies keep working
                guard_pool(self._client._transport)  # pyright: ignore[reportPrivateUsage] - httpx exposes its direct transport only there
            return self._client

    def _async_client(self) -> httpx.AsyncClient:
        if self._given_async is not None:
            return self._given_async
        loop = asyncio.get_running_loop()
        with self._lock:
            client = self._async.get(loop)
            if client is None or client.is_closed:
                client = _AsyncClient(timeout=self._timeout, follow_redirects=False, limits=self._limits, transport=self._async_transport)
                guard_pool(client._transport)  # pyright: ignore[reportPrivateUsage] - httpx exposes its direct transport only there
                self._async[loop] = client
                self._closers[loop] = _close_at_loop_end(client)
            return client

    def close(self) -> None:
        """Close the sync pool (and forget async pools of loops that are gone)."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None and self._owns_client:
            client.close()

    async def aclose(self) -> None:
        """Close the async pool of the running loop (and the sync pool)."""
        with contextlib.suppress(RuntimeError):
            loop = asyncio.get_running_loop()
            if self._aiohttp is not None:
                await self._aiohttp.aclose()
            client = self._async.pop(loop, None)
            closer = self._closers.pop(loop, None)
            if closer is not None:
                await closer.aclose()  # closes the client
            elif client is not None:
                await client.aclose()
        self.close()

    # ------------------------------------------------------------------ requests
    def _request(self, client: httpx.Client | httpx.AsyncClient, plan: RequestPlan, timeout: Timeouts | None) -> httpx.Request:
        url = self._urls.get(plan.url)
        if url is None:  # parsed once per URL: the same few come back call after call
            if len(self._urls) >= _MAX_URLS:
                self._urls.clear()
            url = self._urls[plan.url] = httpx.URL(plan.url)
        if timeout is None:
            return client.build_request(plan.method, url, headers=plan.headers, content=plan.content())
        t = httpx.Timeout(connect=timeout.connect, read=timeout.read, write=timeout.read, pool=timeout.pool)
        return client.build_request(plan.method, url, headers=plan.headers, content=plan.content(), timeout=t)

    # Mapped errors are raised *after* the ``except`` block, so neither ``__cause__`` nor
    # ``__context__`` keeps the httpx exception, whose request carries the credential headers.

    def open(self, plan: RequestPlan, auth: httpx.Auth, timeout: Timeouts | None = None) -> HTTPResponse:
        """Send and return the response with its body unread (close it!).  ``timeout``: this
        request's connect/read/pool timeouts (default: the client's)."""
        client = self._sync_client()
        try:
            with guarding(plan.guard, plan.url):
                return client.send(self._request(client, plan, timeout), auth=auth, stream=True, follow_redirects=False)
        except httpx.HTTPError as exc:
            mapped = _map(exc, started=False, url=plan.url)
        raise mapped

    async def aopen(self, plan: RequestPlan, auth: httpx.Auth, timeout: Timeouts | None = None) -> HTTPResponse:
        """:meth:`open` for the async API, on the loop's pool (httpx's, or aiohttp's)."""
        if self._aiohttp is not None:
            return await self._aiohttp.aopen(plan, auth, timeout)
        client = self._async_client()
        reader: ReadAhead | None = None
        try:
            with guarding(plan.guard, plan.url):  # the exchange's task inherits the guard
                sending = client.send(self._request(client, plan, timeout), auth=auth, stream=True, follow_redirects=False)
                reader = ReadAhead(opening=sending, body=_body)
                response: httpx.Response = await reader.head  # type: ignore[misc]
            return response  # its body is read ahead by the same task
        except httpx.HTTPError as exc:
            mapped = _map(exc, started=False, url=plan.url)
        except asyncio.CancelledError:
            await finish(_abandon(reader, client))  # to its end, however often we are cancelled meanwhile
            raise
        if isinstance(mapped, PoolExhaustedError):
            await _reclaim_orphans(client)
        raise mapped

    @staticmethod
    def iter_bytes(response: HTTPResponse, timeout: Callable[[], float | None] | None = None) -> Generator[bytes, None, None]:
        """The decoded body, exceptions translated.  ``timeout()`` gives the seconds the next
        socket read may take (first-event / idle / total deadlines, as for :meth:`aiter_bytes`);
        when it runs out, :class:`~specwire.ReadTimeout` is raised.

        httpcore fixes a response's read timeout when its body starts, so the budget is applied
        per read through httpcore's ``network_stream`` response extension (each read of that
        stream sets the socket timeout it is given): while this generator runs, the stream's
        ``read`` gets the smaller of httpcore's timeout and ``timeout()``.  Without that extension
        (other transports) only the request's read timeout applies."""
        if not isinstance(response, httpx.Response):
            raise TypeError("the sync API reads httpx responses only")
        restore = _limit_reads(response, timeout) if timeout is not None else None
        chunks = response.iter_bytes()
        try:
            while True:
                try:
                    chunk = next(chunks)
                except StopIteration:
                    return
                except httpx.HTTPError as exc:
                    mapped = _map(exc, started=True)
                else:
                    yield chunk
                    continue
                raise mapped
        finally:
            if restore is not None:
                restore()

    @staticmethod
    def aiter_bytes(response: HTTPResponse, timeout: Callable[[], float | None] | None = None) -> AsyncGenerator[bytes, None]:
        """The decoded body, exceptions translated.  ``timeout()`` gives the seconds the next read
        may take (first-event / idle / total deadlines); when it runs out, the read is cancelled
        and ``asyncio.TimeoutError`` propagates (the caller maps it).  The body is read by one
        task (:class:`specwire.aio.ReadAhead`) a bounded distance ahead of this generator; when
        the generator ends for any reason (cancelled, however often; closed; timed out) that task
        is cancelled once and httpcore's cleanup of its read finishes before the generator goes
        on, and the close httpx starts at the end of the body runs to its end
        (:class:`_CloseToEnd`), so no connection stays checked out of the pool.  A body can be
        read once (``httpx.StreamConsumed`` the second time).  An aiohttp response is read by
        :func:`specwire.transport_aiohttp.aiter_bytes`."""
        if isinstance(response, AiohttpResponse):
            return _aiohttp_aiter_bytes(response, timeout)
        return _httpx_aiter_bytes(response, timeout)

    @staticmethod
    def release(response: HTTPResponse) -> Awaitable[Any]:
        """``response.aclose()``, or a finished future when the response is closed already (httpx
        closes it at the end of its body), so that :func:`specwire.aio.finish` around it needs no
        task then."""
        if isinstance(response, httpx.Response) and response.is_closed:
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            done.set_result(None)
            return done
        return response.aclose()

    @staticmethod
    def drain(response: HTTPResponse, chunks: Iterator[bytes], seconds: float = DRAIN_SECONDS, max_bytes: int = DRAIN_BYTES) -> None:
        """Read what is left of a body whose content is complete, within the drain budgets.

        A sync read cannot be given a new timeout once the body is being read, so the budget is
        kept with the socket of httpcore's ``network_stream`` response extension: data already
        on the socket is read; otherwise the next read (which returns at once when httpcore
        already holds the rest) is watched by a timer that shuts the socket down when the budget
        runs out, so the response fails and its connection is discarded.  Without that extension
        (other transports) nothing is drained."""
        stream = response.extensions.get("network_stream") if isinstance(response, httpx.Response) else None
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is None:
            return
        end = time.monotonic() + seconds
        seen = 0
        try:
            while True:
                left = end - time.monotonic()
                if left <= 0 or seen > max_bytes:
                    return
                if select.select([sock], [], [], 0)[0]:
                    chunk = next(chunks, None)
                else:
                    watchdog = threading.Timer(left, _shutdown, (sock,))
                    watchdog.daemon = True
                    watchdog.start()
                    try:
                        chunk = next(chunks, None)
                    finally:
                        watchdog.cancel()
                if chunk is None:
                    return
                seen += len(chunk)
        except (TransportError, OSError, ValueError):
            return

    @staticmethod
    async def adrain(chunks: AsyncIterator[bytes], seconds: float = DRAIN_SECONDS, max_bytes: int = DRAIN_BYTES) -> None:
        """:meth:`drain`, with the time budget enforced on each read too."""
        seen = 0
        try:
            async with asyncio.timeout(seconds):
                async for chunk in chunks:
                    seen += len(chunk)
                    if seen > max_bytes:
                        return
        except (TimeoutError, TransportError):
            return

    @staticmethod
    def read_capped(response: HTTPResponse, limit: int = MAX_ERROR_BODY_BYTES) -> bytes:
        """At most ``limit`` bytes of the body (error bodies)."""
        if not isinstance(response, httpx.Response):
            raise TypeError("the sync API reads httpx responses only")
        out = bytearray()
        try:
            for chunk in response.iter_bytes():
                out += chunk
                if len(out) >= limit:
                    break
        except httpx.HTTPError:
            pass  # a broken error body still leaves the status to report
        return bytes(out[:limit])

    @classmethod
    async def aread_capped(cls, response: HTTPResponse, limit: int = MAX_ERROR_BODY_BYTES) -> bytes:
        out = bytearray()
        chunks = cls.aiter_bytes(response)
        try:
            async for chunk in chunks:
                out += chunk
                if len(out) >= limit:
                    break
        except TransportError:
            pass
        finally:
            await chunks.aclose()
        return bytes(out[:limit])

    @staticmethod
    def headers(response: HTTPResponse) -> dict[str, Any]:
        """The response headers: lower-case names, a repeated header's values joined with ``", "``."""
        if isinstance(response, AiohttpResponse):
            return response.header_dict()
        return dict(response.headers)

    @staticmethod
    def signed(plan: RequestPlan, auth: httpx.Auth) -> tuple[str, str, dict[str, str]]:
        """``(method, url, headers)`` of ``plan`` after ``auth`` ran, without sending it (for
        ``specwire render``; the caller redacts)."""
        request = httpx.Request(plan.method, plan.url, headers=plan.headers, content=plan.content())
        flow = auth.sync_auth_flow(request)
        signed = next(flow)
        flow.close()
        headers = {k: v for k, v in signed.headers.items() if k.lower() != "content-length"}
        return signed.method, str(signed.url), headers


def recorded_body_transport(body: bytes, *, status: int = 200, content_type: str = "application/json") -> httpx.MockTransport:
    """An httpx transport that answers every request with a recorded body, so the whole pipeline
    runs offline (``specwire chat --replay``).  A gzip body is served with ``content-encoding:
    gzip``, so the real decoding path runs too."""
    headers = {"content-type": content_type}
    if body[:2] == b"\x1f\x8b":
        headers["content-encoding"] = "gzip"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers=headers, content=body)

    return httpx.MockTransport(handler)
