"""The size of the upstream connection pools: ``Client(max_connections=...)`` and the gateway's
``gateway.max_upstream_connections`` (docs/gateway.md).  A stream in flight holds its connection,
so with a pool of N the (N+1)-th concurrent call waits for a slot and, past the pool timeout,
fails with :class:`~specwire.PoolExhaustedError`; a pool of N+1 serves it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from specwire import Client, ConfigError, PoolExhaustedError
from specwire.retry import Timeouts
from specwire.gateway.config import DEFAULT_MAX_UPSTREAM_CONNECTIONS, parse_gateway
from specwire.transport import DEFAULT_LIMITS, pool_limits

from .fake_upstream import FakeUpstream

KEY = "sk-pool-test"


def test_pool_limits_default_and_sizes() -> None:
    assert pool_limits(None) is DEFAULT_LIMITS
    for n in (1, 2, 1000):
        limits = pool_limits(n)
        assert (limits.max_connections, limits.max_keepalive_connections) == (n, n)


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "10"])
def test_pool_limits_refuse_what_is_not_a_positive_integer(bad: Any) -> None:
    with pytest.raises(ConfigError, match="max_connections"):
        Client(max_connections=bad, load_entry_points=False)


@pytest.mark.parametrize(("value", "ok"), [(0, False), (1, True), (2, True), (True, False), ("5", False)])
def test_gateway_max_upstream_connections(value: Any, ok: bool) -> None:
    assert parse_gateway({"allow_anonymous": True}).max_upstream_connections == DEFAULT_MAX_UPSTREAM_CONNECTIONS
    section = {"allow_anonymous": True, "max_upstream_connections": value}
    if ok:
        assert parse_gateway(section).max_upstream_connections == value
    else:
        with pytest.raises(ConfigError, match="max_upstream_connections"):
            parse_gateway(section)


@pytest.mark.parametrize("backend", ["httpx", "aiohttp"])
@pytest.mark.parametrize(("size", "second_served"), [(1, False), (2, True)])
def test_a_held_stream_takes_a_slot(backend: str, size: int, second_served: bool) -> None:
    if backend == "aiohttp":
        pytest.importorskip("aiohttp")

    async def run(base_url: str) -> None:
        client = Client(api_keys={"openai": KEY}, base_urls={"openai": base_url}, max_connections=size, async_backend=backend,
                        timeout=Timeouts(connect=2, read=10, pool=0.3), max_retries=0, load_entry_points=False)
        try:
            held = client.astream("openai:gpt-5.5", "PACE")  # a paced stream: holds its connection ~2 s
            async with held:
                events = held.__aiter__()
                while (await events.__anext__()).type != "text_delta":  # the stream is open and holds its connection
                    pass
                if second_served:
                    reply = await asyncio.wait_for(client.acomplete("openai:gpt-5.5", "hi"), 10)
                    assert reply.text
                else:
                    with pytest.raises(PoolExhaustedError):
                        await asyncio.wait_for(client.acomplete("openai:gpt-5.5", "hi"), 10)
        finally:
            await client.aclose()

    with FakeUpstream() as fake:
        asyncio.run(asyncio.wait_for(run(fake.base_url), 30))
