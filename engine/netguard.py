"""The connect-time destination check (docs/RELIABILITY.md T4, DNS rebinding).

:mod:`specwire.binding` refuses a credential for a URL whose host *is* an internal address.  A host
*name* can still resolve to one (``rebind.example`` → ``169.254.169.254``), and its answer can
change between a check and the connection.  So the check is made where the connection is opened,
on the address actually connected to:

* the request's :class:`~specwire.binding.ConnectGuard` (``None`` for a request that carries no
  credential) is put in a context variable by the transport for the time of ``send``
  (:func:`guarding`); connections are opened inside ``send``, in the same thread or task;
* httpx: a wrapper around httpcore's network backend (:class:`GuardedBackend`,
  :class:`AsyncGuardedBackend`) resolves the host once per *new* connection, checks every address,
  refuses with :class:`~specwire.ConfigError` before any socket connects, and connects to the
  checked addresses (not to the name, which would be resolved again);
* aiohttp (:mod:`specwire.transport_aiohttp`): a resolver (:func:`guarded_resolver`) checks what
  it returns; the aiohttp connector is built without its DNS cache so the check runs in the
  request's own task.  (aiohttp does not resolve a host that is an IP address:
  :mod:`specwire.binding` checks those before the request is built.)

Without a guard the backends connect as usual and only note a host name whose connection went to
an internal address (:data:`MAX_NOTED` names at most, the oldest forgotten first).  A pooled
connection is reused without a new resolution, so before a credentialed request is sent,
:func:`guarding` refuses a noted host that its guard does not trust: an uncredentialed request
cannot leave an internal connection in the pool for a credentialed one.  (Two such requests
racing on the very first connection to a host are not covered.)  Proxied requests
(``HTTPS_PROXY``) resolve at the proxy and are not checked here.  httpx itself is not imported
(the transport owns it).
"""

from __future__ import annotations

import contextlib
import contextvars
import ipaddress
import socket
import threading
from collections.abc import Generator
from typing import Any
from urllib.parse import urlsplit

import httpcore

from .binding import ConnectGuard, is_internal_address, normalize_host
from .errors import ConfigError

__all__ = ["AsyncGuardedBackend", "GuardedBackend", "check_ip_host", "guard_pool", "guarded_resolver", "guarding"]

_GUARD: contextvars.ContextVar[ConnectGuard | None] = contextvars.ContextVar("specwire_connect_guard", default=None)


#: How many host names :func:`_note` remembers.
MAX_NOTED = 1024
_NOTED: dict[str, None] = {}
_NOTED_LOCK = threading.Lock()


def _note(host: str, address: Any) -> None:
    """Remember ``host`` when a connection opened without a guard went to an internal address."""
    if isinstance(address, (tuple, list)) and address and is_internal_address(str(address[0])):
        with _NOTED_LOCK:
            _NOTED[normalize_host(host)] = None
            while len(_NOTED) > MAX_NOTED:
                _NOTED.pop(next(iter(_NOTED)), None)


@contextlib.contextmanager
def guarding(guard: ConnectGuard | None, url: str = "") -> Generator[None, None, None]:
    """Connections opened inside the block (this thread or task) are checked with ``guard``;
    raises :class:`ConfigError` at once when the host of ``url`` was seen connected to an
    internal address and ``guard`` does not trust it (a pooled connection would be reused)."""
    if guard is not None and _NOTED:
        host = normalize_host(urlsplit(url).hostname or "")
        if host in _NOTED and host not in guard.trusted:
            raise ConfigError(f"refusing to send a credential to {host}: a connection to it went to a link-local, metadata or private address (docs/RELIABILITY.md T4); trust it explicitly with Client(trusted_hosts=[{host!r}])")
    token = _GUARD.set(guard)
    try:
        yield
    finally:
        _GUARD.reset(token)


def _check(guard: ConnectGuard, host: str, addresses: list[str]) -> None:
    """Raise :class:`ConfigError` when one of ``addresses`` (what ``host`` resolved to) may not
    receive the credential."""
    for address in addresses:
        reason = guard.check(host, address)
        if reason is not None:
            raise ConfigError(reason)


def _checked(guard: ConnectGuard, host: str, infos: list[Any]) -> list[str]:
    """The checked addresses of ``getaddrinfo`` results, in order, without repeats."""
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise httpcore.ConnectError(f"{host} resolved to no address")
    _check(guard, host, addresses)
    return addresses


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's sync backend with the check of the current guard on each new TCP connection."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self.inner = inner

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None, socket_options: Any = None) -> httpcore.NetworkStream:
        guard = _GUARD.get()
        if guard is None:
            stream = self.inner.connect_tcp(host, port, timeout, local_address, socket_options)
            _note(host, stream.get_extra_info("server_addr"))
            return stream
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from None
        error: Exception | None = None
        for address in _checked(guard, host, infos):
            try:
                return self.inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:  # the next address, as socket.create_connection does
                error = exc
        assert error is not None
        raise error

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Any = None) -> httpcore.NetworkStream:
        return self.inner.connect_unix_socket(path, timeout, socket_options)

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class AsyncGuardedBackend(httpcore.AsyncNetworkBackend):
    """:class:`GuardedBackend` for httpcore's async pool (asyncio or trio, through anyio)."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self.inner = inner

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None, socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        guard = _GUARD.get()
        if guard is None:
            stream = await self.inner.connect_tcp(host, port, timeout, local_address, socket_options)
            _note(host, stream.get_extra_info("server_addr"))
            return stream
        import anyio

        try:
            with anyio.fail_after(timeout):
                infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from None
        error: Exception | None = None
        # IPv4 first: connecting to addresses one by one gives up anyio's happy eyeballs for a
        # name, so a host whose IPv6 route is broken must not cost a connect timeout first
        for address in sorted(_checked(guard, host, list(infos)), key=lambda a: ":" in a):
            try:
                return await self.inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        return await self.inner.connect_unix_socket(path, timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def guard_pool(transport: Any) -> bool:
    """Wrap the network backend of an httpx ``HTTPTransport``/``AsyncHTTPTransport``'s connection
    pool (``transport._pool._network_backend``: httpcore 1.x keeps it there and hands it to each
    new connection); idempotent.  ``False`` when ``transport`` has no such pool (a mock, a custom
    transport): nothing is checked at connect time then."""
    pool: Any = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if backend is None:
        return False
    if isinstance(backend, (GuardedBackend, AsyncGuardedBackend)):
        return True
    if isinstance(pool, httpcore.AsyncConnectionPool):
        pool._network_backend = AsyncGuardedBackend(backend)  # pyright: ignore[reportPrivateUsage] - httpcore pool internals, on purpose (docstring)
    elif isinstance(pool, httpcore.ConnectionPool):
        pool._network_backend = GuardedBackend(backend)  # pyright: ignore[reportPrivateUsage] - httpcore pool internals, on purpose (docstring)
    else:
        return False
    return True


def check_ip_host(guard: ConnectGuard | None, host: str) -> None:
    """Check ``host`` against ``guard`` when it is an IP address (aiohttp connects to one without
    asking its resolver); raises :class:`ConfigError` when the credential may not go there."""
    if guard is None or not host:
        return
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return
    _check(guard, host, [host.strip("[]")])


def guarded_resolver() -> Any:
    """An aiohttp resolver (``aiohttp.abc.AbstractResolver``) that checks every address it returns
    against the current guard, wrapping aiohttp's default resolver.  Build the connector with
    ``use_dns_cache=False``, so each new connection resolves in the task of its request."""
    from aiohttp.abc import AbstractResolver
    from aiohttp.resolver import DefaultResolver

    class GuardedResolver(AbstractResolver):
        def __init__(self) -> None:
            self.inner = DefaultResolver()

        async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[Any]:
            results = await self.inner.resolve(host, port, family)
            guard = _GUARD.get()
            if guard is not None:
                _check(guard, host, [str(r["host"]) for r in results])
            else:
                for r in results:
                    _note(host, (r["host"],))
            return results

        async def close(self) -> None:
            await self.inner.close()

    return GuardedResolver()
