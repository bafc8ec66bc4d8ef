"""The async API over aiohttp's own connection pool (``Client(async_backend="aiohttp")``, the
``aiohttp`` extra): requests go out through an ``aiohttp.ClientSession`` directly, with no httpx
request or response on the wire.

* One session per running event loop (an aiohttp session belongs to the loop that made it),
  closed when that loop shuts down (``asyncio.run`` returning) or by :meth:`AiohttpPool.aclose`.
* Redirects are never followed (``allow_redirects=False``): a 3xx is returned like any status.
* The connect-time destination check (:mod:`specwire.netguard`): the session's connector resolves
  through :func:`~specwire.netguard.guarded_resolver`, without a DNS cache, so every new
  connection is resolved and checked in the task of its request (inside
  :func:`~specwire.netguard.guarding`).
* Auth: the call's ``httpx.Auth`` flow runs on an ``httpx.Request`` that is never sent: its
  method, URL and headers (after the flow) are what aiohttp sends, so every auth scheme (API keys,
  bearer tokens, SigV4, refreshed OAuth tokens with their resend on 401) works unchanged.
* Timeouts: ``connect`` is aiohttp's ``sock_connect``, ``read`` its ``sock_read`` (each socket
  read, and the wait for the response head), ``pool`` its ``connect`` (the wait for a free
  connection plus the connect).  The call's first-event, idle and total deadlines are applied per
  read by the engine (:meth:`specwire.transport.Transport.aiter_bytes`).
* aiohttp exceptions are translated here into the :class:`~specwire.TransportError` family, as
  :func:`specwire.transport._map` does for httpx, and raised outside the ``except`` block (an
  aiohttp error may carry the request's headers).

aiohttp is imported on first use only, so ``import specwire`` does not load it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from .errors import ConfigError, ConnectTimeout, PoolExhaustedError, ReadTimeout, SpecwireError, StreamInterruptedError, TransportError
from .lazy import defer
from .redact import redact_text
from .retry import Timeouts

if TYPE_CHECKING:
    import aiohttp

    from .netguard import check_ip_host, guarded_resolver, guarding
    from .request import RequestPlan
else:  # httpcore (netguard's connect-time check) loads with the first pool (specwire.lazy)
    defer(globals(), "specwire.netguard", "check_ip_host", "guarded_resolver", "guarding")

__all__ = ["AiohttpPool", "AiohttpResponse", "aiter_bytes", "endpoint", "map_aiohttp"]


def _aiohttp() -> Any:
    try:
        import aiohttp
    except ImportError:
        raise ConfigError("async_backend='aiohttp' needs the aiohttp extra: pip install 'specwire[aiohttp]'") from None
    return aiohttp


class AiohttpResponse:
    """A response of the aiohttp path, body unread: ``status_code`` (int), ``headers`` (aiohttp's
    case-insensitive multi-mapping, ``.get(name)``), ``raw`` (the ``aiohttp.ClientResponse``).
    Read the body with :meth:`specwire.transport.Transport.aiter_bytes`; close it with
    :meth:`aclose` (a body read to its end returns the connection to the pool, any other is
    closed with its connection)."""

    __slots__ = ("headers", "prefetched", "raw", "status_code")

    def __init__(self, raw: aiohttp.ClientResponse) -> None:
        self.raw = raw
        #: the start of the body, already read (for an auth flow that reads it), handed out first
        self.prefetched = b""
        self.status_code: int = raw.status
        self.headers: Any = raw.headers

    def __repr__(self) -> str:
        return f"<AiohttpResponse [{self.status_code}]>"

    def header_dict(self) -> dict[str, str]:
        """The headers as httpx's ``dict(response.headers)`` gives them: lower-case names, the
        values of a repeated header joined with ``", "``."""
        out: dict[str, str] = {}
        for name, value in self.raw.headers.items():
            key = name.lower()
            out[key] = f"{out[key]}, {value}" if key in out else value
        return out

    def close(self) -> None:
        raw = self.raw
        if raw.content.is_eof():
            raw.release()  # already back in the pool when the whole body was parsed
        else:
            raw.close()  # mid-body: the connection cannot be reused

    def aclose(self) -> asyncio.Future[None]:
        """Close, at once (a cancellation cannot cut it short); returns a finished future, so
        that :func:`specwire.aio.finish`, which the call loop wraps every close in, needs no
        task for it.  Call it inside the running event loop."""
        self.close()
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


@functools.cache
def _ssl_context() -> Any:
    """The TLS context of every aiohttp session: httpx's default (certifi's CA bundle, or
    ``SSL_CERT_FILE``/``SSL_CERT_DIR``), like the httpx backend's; built once (~0.1 s)."""
    return httpx.create_ssl_context()


def endpoint(url: str | None) -> str | None:
    """``host:port`` of ``url`` (the scheme's default port when none is written), never its
    user info, path or query; ``None`` when it has no host."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host:
        return None
    port = port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    host = f"[{host}]" if ":" in host else host
    return redact_text(f"{host}:{port}" if port else host)


def map_aiohttp(exc: BaseException, *, started: bool, url: str | None = None, connector: Any = None) -> TransportError:
    """An aiohttp exception → ours, as :func:`specwire.transport._map` maps httpx's (``started``:
    the body had begun to arrive; ``connector``: the session's, to tell a full pool from a slow
    connect, since aiohttp reports both as ``ConnectionTimeoutError``)."""
    aiohttp = _aiohttp()
    text = redact_text(str(exc) or type(exc).__name__)
    where = endpoint(url)
    to = f" to {where}" if where else ""
    if isinstance(exc, aiohttp.ConnectionTimeoutError) and not started:
        limit = getattr(connector, "limit", 0)
        if limit and len(getattr(connector, "_acquired", ())) >= limit:
            return PoolExhaustedError(f"no free connection in the pool{' for ' + where if where else ''}: {text}")
        return ConnectTimeout(f"connect timeout{to}: {text}")
    if isinstance(exc, (aiohttp.ServerTimeoutError, asyncio.TimeoutError)):
        return ReadTimeout(f"read timeout: {text}")
    if started:
        return StreamInterruptedError(f"the connection broke during the response: {text}")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return TransportError(f"could not connect{to}: {text}")
    return TransportError(f"connection failed{to}: {text}")


def _client_timeout(timeout: Timeouts | httpx.Timeout) -> Any:
    aiohttp = _aiohttp()
    return aiohttp.ClientTimeout(total=None, connect=timeout.pool, sock_connect=timeout.connect, sock_read=timeout.read)


async def _closing(session: Any) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            await session.close()


def _close_at_loop_end(session: Any) -> AsyncGenerator[None, None]:
    """An async generator, started now inside the running loop, whose close (at the loop's
    ``shutdown_asyncgens``, or by :meth:`AiohttpPool.aclose`) closes ``session``; see
    :func:`specwire.transport._close_at_loop_end`."""
    closer = _closing(session)
    step = closer.__anext__()
    with contextlib.suppress(StopIteration):
        step.send(None)
    return closer


class AiohttpPool:
    """The aiohttp sessions of one :class:`~specwire.transport.Transport`, one per event loop.
    ``limits``: an ``httpx.Limits`` (``max_connections`` → the connector's ``limit``,
    ``keepalive_expiry`` → its ``keepalive_timeout``), read when a loop's session is made;
    ``timeout``: the default connect/read/pool timeouts of a request sent without its own."""

    def __init__(self, limits: httpx.Limits, timeout: httpx.Timeout) -> None:
        _aiohttp()  # fail at construction, not at the first request, without the extra
        self.limits = limits
        self._default_timeout = _client_timeout(timeout)
        self._sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()
        self._closers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncGenerator[None, None]] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        #: parsed URLs (httpx's for the auth flow, yarl's for aiohttp) and aiohttp timeouts by
        #: their text: a client sends to a handful of URLs, and parsing one costs more than the
        #: rest of the request's own work here; emptied when :data:`_MEMO_SIZE` is reached
        self._urls: dict[str, httpx.URL] = {}
        self._yarls: dict[str, Any] = {}
        self._timeouts: dict[tuple[float | None, float | None, float | None], Any] = {}

    def session_of(self, loop: asyncio.AbstractEventLoop) -> Any:
        """The ``aiohttp.ClientSession`` of ``loop``, or ``None`` when it has none (yet)."""
        return self._sessions.get(loop)

    def _session(self) -> Any:
        loop = asyncio.get_running_loop()
        session = self._sessions.get(loop)
        if session is not None and not session.closed:
            return session
        with self._lock:
            session = self._sessions.get(loop)
            if session is None or session.closed:
                session = self._new_session()
                self._sessions[loop] = session
                self._closers[loop] = _close_at_loop_end(session)
            return session

    def _new_session(self) -> Any:
        aiohttp = _aiohttp()
        limits = self.limits
        connector = aiohttp.TCPConnector(
            limit=limits.max_connections or 0,
            keepalive_timeout=limits.keepalive_expiry if limits.keepalive_expiry is not None else 15.0,
            ssl=_ssl_context(),
            resolver=guarded_resolver(),
            use_dns_cache=False,  # each new connection resolves (and is checked) in its request's task
        )
        return aiohttp.ClientSession(connector=connector, timeout=self._default_timeout, auto_decompress=True, trust_env=False)

    async def aclose(self) -> None:
        """Close the session of the running loop."""
        loop = asyncio.get_running_loop()
        session = self._sessions.pop(loop, None)
        closer = self._closers.pop(loop, None)
        if closer is not None:
            await closer.aclose()
        elif session is not None:
            await session.close()

    def _timeout_of(self, timeout: Timeouts) -> Any:
        key = (timeout.connect, timeout.read, timeout.pool)
        found = self._timeouts.get(key)
        if found is None:
            found = _memo(self._timeouts, key, lambda _: _client_timeout(timeout))
        return found

    async def aopen(self, plan: RequestPlan, auth: httpx.Auth, timeout: Timeouts | None = None) -> AiohttpResponse:
        """Send ``plan`` signed by ``auth``; the response with its body unread (close it!).
        Raises :class:`~specwire.TransportError` (and subclasses) when no response came,
        :class:`~specwire.ConfigError` when the destination check refuses the address."""
        session = self._session()
        client_timeout = self._default_timeout if timeout is None else self._timeout_of(timeout)
        request = httpx.Request(plan.method, _memo(self._urls, plan.url, httpx.URL), headers=plan.headers, content=plan.content())
        flow = auth.async_auth_flow(request)
        try:
            request = await flow.__anext__()
            while True:
                response = await self._send(session, plan, request, client_timeout)
                try:
                    following = await flow.asend(await _for_auth(auth, response, request))
                except StopAsyncIteration:
                    return response
                except BaseException:
                    response.close()
                    raise
                response.close()  # the flow sends again (an OAuth token refreshed after a 401)
                request = following
        finally:
            await flow.aclose()

    async def _send(self, session: Any, plan: RequestPlan, request: httpx.Request, timeout: Any) -> AiohttpResponse:
        aiohttp = _aiohttp()
        url = str(request.url)
        check_ip_host(plan.guard, request.url.host)
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw if k.lower() != b"content-length"]
        try:
            with guarding(plan.guard, url):
                raw = await session.request(
                    request.method, _memo(self._yarls, url, _yarl), headers=headers, data=request.content or None,
                    allow_redirects=False, timeout=timeout,
                )
            return AiohttpResponse(raw)
        except SpecwireError:
            raise
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError, ValueError) as exc:
            mapped = map_aiohttp(exc, started=False, url=plan.url, connector=session.connector)
        raise mapped


#: How many parsed URLs (and timeouts) an :class:`AiohttpPool` keeps.
_MEMO_SIZE = 256


def _memo(memo: dict[Any, Any], key: Any, make: Callable[[Any], Any]) -> Any:
    found = memo.get(key)
    if found is None:
        if len(memo) >= _MEMO_SIZE:
            memo.clear()
        found = memo[key] = make(key)
    return found


def _yarl(url: str) -> Any:
    import yarl

    return yarl.URL(url, encoded=True)  # httpx's text is already percent-encoded: sent as is


class _NoBody(httpx.AsyncByteStream):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        return
        yield b""  # pragma: no cover - makes this an async generator


_NO_BODY = _NoBody()


async def _for_auth(auth: httpx.Auth, response: AiohttpResponse, request: httpx.Request) -> httpx.Response:
    """What the auth flow is shown of ``response``: its status and headers, and its body only for
    a flow that asks for it (``requires_response_body``; read up to the error-body cap).  Without
    a body httpx builds the response without a read of it (a quarter of this path's own time)."""
    if not getattr(auth, "requires_response_body", False):
        return httpx.Response(response.status_code, headers=response.raw.raw_headers, request=request, stream=_NO_BODY)
    from .transport import MAX_ERROR_BODY_BYTES

    read = bytearray()
    async for chunk in aiter_bytes(response):
        read += chunk
        if len(read) >= MAX_ERROR_BODY_BYTES:
            break
    response.prefetched = bytes(read)  # still the caller's to read when the flow is done
    return httpx.Response(response.status_code, headers=response.raw.raw_headers, request=request, content=response.prefetched[:MAX_ERROR_BODY_BYTES])


def _buffered(content: Any) -> bytes:
    """What aiohttp's body reader received but did not hand out yet, taken out of it.  aiohttp
    raises a connection error as soon as it is recorded, before those bytes; httpcore hands them
    out first, so this keeps the two backends' outcomes of the same fault the same."""
    buffer = getattr(content, "_buffer", None)
    if not buffer:
        return b""
    rest = b"".join(buffer)
    buffer.clear()
    return rest


async def aiter_bytes(response: AiohttpResponse, timeout: Callable[[], float | None] | None = None) -> AsyncGenerator[bytes, None]:
    """The decoded body of ``response``, exceptions translated; ``timeout()`` gives the seconds
    the next read may take (``asyncio.TimeoutError`` when it runs out; the caller maps it).  A
    read is awaited directly: aiohttp's reader has no cleanup to protect from a cancellation,
    and the close (:meth:`AiohttpResponse.aclose`) is synchronous."""
    aiohttp = _aiohttp()
    content = response.raw.content
    if response.prefetched:
        first, response.prefetched = response.prefetched, b""
        yield first
    while True:
        limit = timeout() if timeout is not None else None
        try:
            if limit is None:
                chunk = await content.readany()
            else:
                async with asyncio.timeout(max(limit, 0.0)):
                    chunk = await content.readany()
        except aiohttp.ClientError as exc:  # ServerTimeoutError included (also a TimeoutError)
            mapped = map_aiohttp(exc, started=True)
        else:
            if not chunk:
                return
            yield chunk
            continue
        rest = _buffered(content)
        if rest:
            yield rest
        raise mapped
