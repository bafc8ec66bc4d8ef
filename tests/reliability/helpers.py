"""Shared machinery of the reliability suite: one :class:`Driver` per flavor (sync, async over httpx,
async over aiohttp) so that every checklist row runs the same scenario through
``Client.complete``/``stream`` and through ``acomplete``/``astream`` on both async backends; canary
keys; and the connection-leak check.

The leak check (``no_leak_on_every_error`` and most rows): after a call, (1) httpcore's pool has no
request in flight (``pool._requests`` is empty: the list httpcore keeps until a response is
closed; openai's ``_get_open_connections`` test helper reads the same list), (2) every pooled
connection is idle or closed (none is stuck mid-response), and (3) on the server side, the number
of connections still open is at most the number of idle connections the pool keeps for reuse (a
response the client abandoned without closing would keep a server connection busy).  (1)-(2) look
at httpx internals (``Client._transport`` → ``httpx.Client._transport._pool``); (3) is independent
of them, so a change in httpx internals cannot make the check pass vacuously: :func:`pool_of`
fails loudly when the attributes move.
"""

from __future__ import annotations

import asyncio
import ssl
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from specwire import Client, SpecwireError
from specwire.registry import SpecRegistry
from specwire.retry import RetryPolicy, Timeouts

from tests.hostile.server import HostileServer

#: How a row runs: the sync API, the async API over httpx's pool, the async API over aiohttp's pool
#: (``Client(async_backend="aiohttp")``).  The same fault must give the same outcome in all three.
FLAVORS = ("sync", "async", "async-aiohttp")

#: Every key used by this suite carries CANARY, so a leak of any of them is one substring search.
#: The random tail catches a leak that dropped the prefix.
_TAIL = uuid.uuid4().hex[:16]
KEYS = {
    "openai": f"sk-CANARY-openai-{_TAIL}",
    "anthropic": f"sk-ant-CANARY-{_TAIL}",
    "gemini": f"AIzaCANARYgemini{_TAIL}",
    "gemini-query": f"AIzaCANARYquery{_TAIL}",
    "azure-openai": f"CANARYazure{_TAIL}",
    "azure-openai-entra": f"eyCANARYentra.{_TAIL}",
    "vertex-anthropic": f"ya29.CANARYvertex{_TAIL}",
    "bedrock": f"ABSKCANARYbedrock{_TAIL}",
    "bedrock-loopback": f"ABSKCANARYloop{_TAIL}",
    "openai-idem": f"sk-CANARY-idem-{_TAIL}",
    "openai-409": f"sk-CANARY-409-{_TAIL}",
}
AWS_ACCESS_KEY_ID = f"AKIACANARY{_TAIL[:10].upper()}"
AWS_SECRET_ACCESS_KEY = f"CANARYsecret/{_TAIL}/wJalrXUtnFEMI"
AWS_SESSION_TOKEN = f"CANARYsession{_TAIL}"
CANARY_MARK = "CANARY"
CANARY_TAILS = (_TAIL, AWS_SECRET_ACCESS_KEY[-12:])

#: Base paths each provider's spec appends its request path to.
BASE_PATHS = {
    "openai": "/v1", "anthropic": "/v1", "gemini": "/v1beta", "gemini-query": "/v1beta",
    "azure-openai": "", "azure-openai-entra": "", "vertex-anthropic": "/v1", "bedrock-loopback": "",
}
MODELS = {
    "openai": "openai:gpt-5.5", "anthropic": "anthropic:claude-sonnet-5-5", "gemini": "gemini:gemini-3.5-flash",
    "gemini-query": "gemini-query:gemini-3.5-flash", "azure-openai": "azure-openai:gpt-5.5",
    "azure-openai-entra": "azure-openai-entra:gpt-5.5", "vertex-anthropic": "vertex-anthropic:claude-sonnet-5-5",
    "bedrock-loopback": "bedrock-loopback:anthropic.claude-hostile",
}
SETTINGS = {"vertex-anthropic": {"project": "hostile-project"}}

#: Safety nets so that a broken engine fails a test instead of hanging it.
SAFE = Timeouts(connect=2.0, read=5.0, pool=2.0)

HERE = Path(__file__).resolve().parent
SPECS = HERE / "specs"


_SHARED: dict[tuple[str, ...], SpecRegistry] = {}


def registry(*folders: Path | str) -> SpecRegistry:
    """A registry of the built-in specs plus ``folders`` (no user config, no environment).  The
    registry of the suite's own static folder is shared by every test (compiled specs are
    immutable and cached), so spec compilation is not timed by the deadline rows."""
    key = tuple(str(f) for f in folders)
    if key == (str(SPECS),):
        if key not in _SHARED:
            _SHARED[key] = SpecRegistry(list(key), user_config=False, env={})
        return _SHARED[key]
    return SpecRegistry(list(key), user_config=False, env={})


def make_client(
    server: HostileServer | None = None,
    provider: str = "openai",
    *,
    folders: Iterable[Path | str] = (),
    key: bool = True,
    timeout: Timeouts | float | None = SAFE,
    **kwargs: Any,
) -> Client:
    """A :class:`Client` aimed at ``server`` for ``provider`` with that provider's canary key."""
    base_urls = dict(kwargs.pop("base_urls", {}))
    if server is not None:
        base_urls.setdefault(provider, server.url(BASE_PATHS.get(provider, "")))
    api_keys = dict(kwargs.pop("api_keys", {}))
    if key:
        api_keys.setdefault(provider, KEYS[provider])
    settings = dict(kwargs.pop("settings", {}))
    if provider in SETTINGS:
        settings.setdefault(provider, SETTINGS[provider])
    if "transport" not in kwargs and "http_client" not in kwargs:
        kwargs["transport"] = httpx.HTTPTransport(verify=_tls())
    if "async_transport" not in kwargs and "async_http_client" not in kwargs and kwargs.get("async_backend") != "aiohttp":
        kwargs["async_transport"] = httpx.AsyncHTTPTransport(verify=_tls())
    return Client(
        registry=kwargs.pop("registry", None) or registry(SPECS, *folders),
        base_urls=base_urls,
        api_keys=api_keys,
        settings=settings,
        timeout=timeout,
        load_entry_points=False,
        **kwargs,
    )


_TLS: list[ssl.SSLContext] = []


def _tls() -> ssl.SSLContext:
    """One default TLS context for every test client.  httpx builds a new one (loading the CA
    bundle, ~0.1 s) for each client it creates; the suite creates hundreds of clients and never
    uses TLS (loopback only), so each client gets httpx's real ``HTTPTransport`` (its real pool)
    built with this shared context instead.  Nothing else about the transport changes."""
    if not _TLS:
        _TLS.append(ssl.create_default_context())
    return _TLS[0]


def policy(**kwargs: Any) -> RetryPolicy:
    return RetryPolicy(**kwargs)


# ---------------------------------------------------------------------------- outcomes
@dataclass
class Outcome:
    """What a call produced: events (streams), the final response, the error raised (if any), the
    partial response and the wall time."""

    events: list[Any] = field(default_factory=list)
    error: BaseException | None = None
    response: Any = None
    partial: Any = None
    elapsed: float = 0.0
    stream: Any = None

    @property
    def types(self) -> list[str]:
        return [e.type for e in self.events]

    @property
    def text(self) -> str:
        return "".join(e.delta for e in self.events if e.type == "text_delta")

    def content_events(self) -> list[Any]:
        return [e for e in self.events if e.type in ("text_delta", "reasoning_delta", "tool_call_delta")]

    def describe(self) -> str:
        return f"error={self.error!r} types={self.types} elapsed={self.elapsed:.3f}s"


class Driver:
    """Runs calls in one flavor.  The async flavor owns one event loop for the whole test, so the
    async connection pool (one per loop) persists between calls, as in a real program."""

    def __init__(self, flavor: str, client: Client) -> None:
        assert flavor in FLAVORS
        self.flavor = flavor
        self.client = client
        self.loop = asyncio.new_event_loop() if flavor != "sync" else None
        self.closed = False

    @property
    def is_async(self) -> bool:
        return self.flavor != "sync"

    def run(self, coro: Any) -> Any:
        assert self.loop is not None
        return self.loop.run_until_complete(coro)

    # ------------------------------------------------------------------ calls
    def complete(self, model_ref: str, messages: Any = "hi", *, catch: tuple[type[BaseException], ...] = (SpecwireError,), **options: Any) -> Outcome:
        out = Outcome()
        t0 = time.monotonic()
        try:
            if self.is_async:
                out.response = self.run(self.client.acomplete(model_ref, messages, **options))
            else:
                out.response = self.client.complete(model_ref, messages, **options)
        except catch as exc:
            out.error = exc
            out.partial = getattr(exc, "partial", None)
        out.elapsed = time.monotonic() - t0
        return out

    def stream(
        self,
        model_ref: str,
        messages: Any = "hi",
        *,
        stop_after: int | None = None,
        raise_on_error: bool = True,
        catch: tuple[type[BaseException], ...] = (SpecwireError,),
        **options: Any,
    ) -> Outcome:
        """Consume a stream; ``stop_after``: leave the loop (``break``) after that many content
        events.  The stream is used the documented way: a ``with`` block."""
        out = Outcome()
        t0 = time.monotonic()
        if self.is_async:

            async def consume() -> None:
                stream = self.client.astream(model_ref, messages, raise_on_error=raise_on_error, **options)
                out.stream = stream
                async with stream:
                    async for event in stream:
                        out.events.append(event)
                        if stop_after is not None and len(out.content_events()) >= stop_after:
                            break

            try:
                self.run(consume())
            except catch as exc:
                out.error = exc
        else:
            try:
                stream = self.client.stream(model_ref, messages, raise_on_error=raise_on_error, **options)
                out.stream = stream
                with stream:
                    for event in stream:
                        out.events.append(event)
                        if stop_after is not None and len(out.content_events()) >= stop_after:
                            break
            except catch as exc:
                out.error = exc
        out.elapsed = time.monotonic() - t0
        if out.stream is not None:
            out.partial = out.stream.partial
            out.response = out.stream.response
        if out.error is None and not raise_on_error and out.stream is not None and out.stream.error is not None:
            out.error = out.stream.error
        return out

    def call(self, stream: bool, model_ref: str, messages: Any = "hi", **options: Any) -> Outcome:
        return self.stream(model_ref, messages, **options) if stream else self.complete(model_ref, messages, **options)

    # ------------------------------------------------------------------ the pool
    def pool(self) -> Any:
        return pool_of(self.client, self.loop)

    def leaks(self, server: HostileServer | None = None, *, wait: float = 1.0) -> list[str]:
        """Why the call leaked a connection (empty: it did not); see the module docstring."""
        problems: list[str] = []
        connector = aiohttp_connector(self.client, self.loop)
        pool = self.pool() if connector is None else None
        idle = 0
        if connector is not None:
            state = pool_state(self.client, self.loop)
            idle = state["idle"]
            if state["active"]:
                problems.append(f"{state['active']} aiohttp connection(s) still acquired")
        if pool is not None:
            if pool._requests:
                problems.append(f"{len(pool._requests)} request(s) still in flight in the pool")
            for conn in pool.connections:
                if conn.is_idle():
                    idle += 1
                elif not conn.is_closed():
                    problems.append(f"pooled connection neither idle nor closed: {conn!r}")
        if server is not None:
            end = time.monotonic() + wait
            while server.open_connections > idle and time.monotonic() < end:
                time.sleep(0.01)
            if server.open_connections > idle:
                problems.append(f"server still has {server.open_connections} open connection(s) but the pool keeps {idle} idle: {server.events}")
        return problems

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.loop is not None:
            try:
                self.run(self.client.aclose())
                self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            finally:
                self.loop.close()
        else:
            self.client.close()


def pool_of(client: Client, loop: asyncio.AbstractEventLoop | None) -> Any:
    """httpcore's connection pool behind ``client`` for the sync side (``loop=None``) or for the
    async pool of ``loop``; ``None`` when that pool was never created."""
    transport = client._transport
    if loop is None:
        http = transport._client
    else:
        http = transport._given_async or transport._async.get(loop)
    if http is None:
        return None
    pool = http._transport._pool
    assert hasattr(pool, "_requests") and hasattr(pool, "connections"), "httpcore's pool internals moved: update tests/reliability/helpers.py pool_of()"
    return pool


def pool_state(client: Client, loop: asyncio.AbstractEventLoop | None) -> dict[str, Any]:
    """``{"active": connections checked out (in use, connecting, or stuck), "idle": kept for reuse,
    "requests": requests in flight}`` of the pool behind ``client`` (sync side for ``loop=None``,
    else the async pool of ``loop``), for httpcore's pool and for aiohttp's connector alike."""
    connector = aiohttp_connector(client, loop)
    if connector is not None:
        idle = sum(len(conns) for conns in connector._conns.values())
        return {"active": len(connector._acquired), "idle": idle, "requests": len(connector._acquired)}
    pool = pool_of(client, loop)
    if pool is None:
        return {"active": 0, "idle": 0, "requests": 0}
    active = [c for c in pool.connections if not c.is_idle() and not c.is_closed()]
    idle = [c for c in pool.connections if c.is_idle()]
    return {"active": len(active), "idle": len(idle), "requests": len(pool._requests), "states": sorted({c.info() for c in active})}  # type: ignore[dict-item]


def aiohttp_connector(client: Client, loop: asyncio.AbstractEventLoop | None) -> Any:
    """aiohttp's ``TCPConnector`` behind the async pool of ``loop`` (``None``: not the aiohttp
    backend, or no session yet)."""
    pools = getattr(client._transport, "_aiohttp", None)
    if loop is None or pools is None:
        return None
    session = pools.session_of(loop)
    if session is None:
        return None
    connector = session.connector
    assert hasattr(connector, "_acquired") and hasattr(connector, "_conns"), "aiohttp's connector internals moved: update tests/reliability/helpers.py"
    return connector


def content_types(outcome: Outcome) -> list[str]:
    return [t for t in outcome.types if t not in ("response_start", "warning", "usage", "response_metadata")]


def expect_error(outcome: Outcome, cls: type[BaseException]) -> Any:
    assert isinstance(outcome.error, cls), f"expected {cls.__name__}, got {outcome.describe()}"
    return outcome.error


def spec_file(folder: Path, name: str, text: str) -> Path:
    """Write a spec ``name.yaml`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


Scenario = Callable[[Driver], Outcome]
