"""``Client(cache=...)``: the Router's response cache on the plain Client (engine/response_cache.py).

What this protects: a repeated call is served from the cache without a request, on both async
transports (httpx and aiohttp) and the sync API; a stream is stored with its events and replayed
as it was, and a ``complete`` entry serves a stream with the standard grammar (as the Router
does); ``cache=False`` on a call skips the cache; errors are never stored; a hit is marked
``provider_metadata["cache"]``; the SQLite store persists across clients (and works from the
async API, off the event loop); Redis works through the router's state backend; stored entries
hold no API key; the key is the Router's :func:`cache_key`; bad configurations are
:class:`ConfigError`.  Served by a loopback server speaking OpenAI's Chat Completions
(https://platform.openai.com/docs/api-reference/chat/create); never the network.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from specwire import Client, ConfigError, RequestBuildError, Response
from specwire.errors import BadRequestError
from specwire.router import InMemoryBackend, MemoryCache, cache_key
from tests.hostile.server import HostileServer, hostile, openai_error, openai_ok  # noqa: F401  (fixture)
from tests.router.conftest import redis_server, redis_url  # noqa: F401  (fixtures: a real redis-server on 127.0.0.1)

GPT = "openai:gpt-4o-mini"
KEY = "sk-test-cache-secret-0123456789"

MODES = [("sync", "httpx"), ("async", "httpx"), ("async", "aiohttp")]


def _client(server: HostileServer, backend: str = "httpx", **kwargs: Any) -> Client:
    kwargs.setdefault("cache", True)
    return Client(api_keys={"openai": KEY}, base_urls={"openai": server.url("/v1")}, load_entry_points=False,
                  async_backend=backend, max_retries=0, env={}, **kwargs)


class Caller:
    """The same calls through the sync or the async API of one client (one event loop)."""

    def __init__(self, client: Client, mode: str) -> None:
        self.client, self.mode = client, mode
        self.loop = asyncio.new_event_loop() if mode == "async" else None

    def _run(self, make: Callable[[], Awaitable[Any]]) -> Any:
        assert self.loop is not None
        return self.loop.run_until_complete(make())

    def complete(self, prompt: str = "hi", **kw: Any) -> Response:
        if self.loop is None:
            return self.client.complete(GPT, prompt, **kw)
        return self._run(lambda: self.client.acomplete(GPT, prompt, **kw))  # type: ignore[no-any-return]

    def stream(self, prompt: str = "hi", **kw: Any) -> list[Any]:
        if self.loop is None:
            return list(self.client.stream(GPT, prompt, **kw))

        async def collect() -> list[Any]:
            return [e async for e in self.client.astream(GPT, prompt, **kw)]

        return self._run(collect)  # type: ignore[no-any-return]

    def close(self) -> None:
        if self.loop is not None:
            self.loop.run_until_complete(self.client.aclose())
            self.loop.close()
        self.client.close()


def _hit(response: Response) -> bool:
    return response.provider_metadata.get("cache") == {"hit": True}


@pytest.mark.parametrize(("mode", "backend"), MODES)
def test_a_repeated_call_is_served_from_the_cache(hostile: HostileServer, mode: str, backend: str) -> None:
    if backend == "aiohttp":
        pytest.importorskip("aiohttp")
    hostile.script(openai_ok(False), openai_ok(False), openai_ok(False))
    call = Caller(_client(hostile, backend), mode)
    try:
        first = call.complete()
        second = call.complete()
        assert hostile.count == 1
        assert (first.text, _hit(first)) == ("Hello", False)
        assert (second.text, _hit(second)) == ("Hello", True)
        assert second.usage == first.usage
        events = call.stream()  # a complete entry serves a stream: the standard grammar
        assert hostile.count == 1
        assert [e.type for e in events if e.type != "warning"] == ["response_start", "text_start", "text_delta", "text_end", "usage", "finish"]
        assert events[-1].response.text == "Hello" and _hit(events[-1].response)
        fresh = call.complete(cache=False)  # the per-call opt-out
        assert hostile.count == 2 and not _hit(fresh)
        call.complete("another prompt")
        assert hostile.count == 3, "a different request is a miss"
    finally:
        call.close()


@pytest.mark.parametrize(("mode", "backend"), MODES)
def test_a_stream_is_stored_with_its_events_and_replayed(hostile: HostileServer, mode: str, backend: str) -> None:
    if backend == "aiohttp":
        pytest.importorskip("aiohttp")
    hostile.script(openai_ok(True, ("Hel", "lo", " there")))
    call = Caller(_client(hostile, backend), mode)
    try:
        live = call.stream()
        replayed = call.stream()
        assert hostile.count == 1
        strip = lambda events: [(e.type, getattr(e, "delta", None)) for e in events]  # noqa: E731
        assert strip(replayed) == strip(live)
        assert [e.delta for e in replayed if e.type == "text_delta"] == ["Hel", "lo", " there"]
        assert _hit(replayed[-1].response) and not _hit(live[-1].response)
        assert call.complete().text == "Hello there" and hostile.count == 1
    finally:
        call.close()


@pytest.mark.parametrize(("mode", "backend"), MODES)
def test_errors_are_never_stored(hostile: HostileServer, mode: str, backend: str) -> None:
    if backend == "aiohttp":
        pytest.importorskip("aiohttp")
    hostile.script(openai_error(400, "bad", "invalid_request_error"), openai_ok(False), openai_ok(False))
    call = Caller(_client(hostile, backend), mode)
    try:
        with pytest.raises(BadRequestError):
            call.complete()
        assert not _hit(call.complete())
        assert hostile.count == 2, "the failed call was not cached"
        assert _hit(call.complete()) and hostile.count == 2
    finally:
        call.close()


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_sqlite_store_persists_and_holds_no_secret(hostile: HostileServer, tmp_path: Path, mode: str) -> None:
    path = tmp_path / "cache.sqlite3"
    hostile.script(openai_ok(False))
    first = Caller(_client(hostile, cache={"backend": "sqlite", "path": str(path), "ttl": 600}), mode)
    try:
        first.complete(extra_headers={"x-trace": "t1"})
    finally:
        first.close()
    second = Caller(_client(hostile, cache={"backend": "sqlite", "path": str(path)}), mode)
    try:
        assert _hit(second.complete(extra_headers={"x-trace": "t1"}))
        assert hostile.count == 1, "a new client on the same file is served from it"
    finally:
        second.close()
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT key, value FROM responses").fetchall()
    assert len(rows) == 1
    key, value = rows[0]
    assert len(key) == 64 and all(c in "0123456789abcdef" for c in key)
    blob = bytes(value)
    for secret in (KEY.encode(), b"Bearer", b"authorization", hostile.url("/v1").encode()):
        assert secret not in blob


def test_the_key_is_the_routers(hostile: HostileServer) -> None:
    """A store shared with a Router sees the same key for the same call: the Client's key is
    :func:`cache_key` of the provider, model, request and settings (``namespace`` included)."""
    store = MemoryCache(clock=lambda: 0.0)
    hostile.script(openai_ok(False))
    client = _client(hostile, cache=store)
    try:
        client.complete(GPT, "hi", temperature=0.5)
    finally:
        client.close()
    from specwire.types import Request

    request = Request(messages="hi", temperature=0.5)  # type: ignore[arg-type]
    assert store.get(cache_key("openai", "gpt-4o-mini", request, settings={})) is not None


def test_a_state_backend_holds_the_cache(hostile: HostileServer) -> None:
    backend = InMemoryBackend()  # the interface RedisBackend implements (see the Redis test below)
    hostile.script(openai_ok(False))
    for _ in range(2):
        client = _client(hostile, cache=backend)
        try:
            client.complete(GPT, "hi")
        finally:
            client.close()
    assert hostile.count == 1


def test_redis(hostile: HostileServer, redis_url: str) -> None:
    hostile.script(openai_ok(False), openai_ok(False))
    env = {"CACHE_REDIS_URL": redis_url}
    clients = [Client(api_keys={"openai": KEY}, base_urls={"openai": hostile.url("/v1")}, load_entry_points=False, max_retries=0,
                      env=env, cache={"backend": "redis", "url_env": "CACHE_REDIS_URL", "namespace": "t"}) for _ in range(2)]
    try:
        assert not _hit(clients[0].complete(GPT, "hi"))
        assert _hit(clients[1].complete(GPT, "hi")), "another client (process, host) sees the entry"
        assert hostile.count == 1
    finally:
        for c in clients:
            c.close()


@pytest.mark.parametrize(
    ("cache", "match"),
    [
        ({"backend": "nope"}, "unknown cache backend"),
        ({"backend": "sqlite"}, "needs a path"),
        ({"backend": "redis"}, "url_env"),
        ({"ttl": -1}, "ttl"),
        ({"tll": 5}, "no key"),
        (42, "cache must be"),
    ],
)
def test_bad_configuration(cache: Any, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        Client(cache=cache, load_entry_points=False, env={})


def test_a_corrupt_sqlite_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "not-a-db.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ConfigError):
        Client(cache={"backend": "sqlite", "path": str(path)}, load_entry_points=False, env={})


def test_call_option_errors(hostile: HostileServer) -> None:
    plain = Client(api_keys={"openai": KEY}, base_urls={"openai": hostile.url("/v1")}, load_entry_points=False, env={})
    with pytest.raises(ConfigError, match="Client\\(cache="):
        plain.complete(GPT, "hi", cache=True)
    with pytest.raises(RequestBuildError, match="cache"):
        plain.complete(GPT, "hi", cache="yes")  # type: ignore[typeddict-item]
    assert hostile.count == 0
    assert plain.build(GPT, "hi", cache=False).url.endswith("/chat/completions")


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_hit_keeps_the_pydantic_response_format(hostile: HostileServer, mode: str) -> None:
    """``parsed`` is stored as JSON; a hit validates it back into the call's model class."""
    from pydantic import BaseModel

    from tests.hostile.server import json_reply, openai_completion

    class City(BaseModel):
        name: str
        population: int

    hostile.script(json_reply(200, openai_completion('{"name": "Oslo", "population": 709000}')))
    call = Caller(_client(hostile), mode)
    try:
        first = call.complete(response_format=City)
        second = call.complete(response_format=City)
        assert hostile.count == 1 and _hit(second)
        assert isinstance(second.parsed, City) and second.parsed == first.parsed
    finally:
        call.close()
