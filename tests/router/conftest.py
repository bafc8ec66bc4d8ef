"""Fixtures of the router suite: the loopback fake provider, router factories, a real Redis.

``redis_url`` starts ``redis-server`` on 127.0.0.1 (a random free port, no persistence, its
files in a temporary folder) once per module, flushes it before every test that uses it, and
stops it afterwards; when the binary or redis-py is missing the tests that need it are skipped
with a message saying how to install them.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from specwire import Client
from specwire.registry import SpecRegistry
from specwire.router import FakeClock, Router

from .fakes import FakeOpenAI

KEY_ENV = "ROUTER_TEST_KEY"  # a variable no built-in spec declares: not host-bound
ENV = {KEY_ENV: "sk-router-test-key"}


@pytest.fixture(scope="session")
def registry() -> SpecRegistry:
    return SpecRegistry(user_config=False, env={})


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def deployment(fake: FakeOpenAI, name: str, model: str = "gpt-5", **extra: Any) -> dict[str, Any]:
    """A config entry for a deployment served by the fake at ``/<name>/v1``."""
    return {"id": name, "provider": "openai", "model": model, "api_key_env": KEY_ENV, "base_url": fake.base_url(name), **extra}


@pytest.fixture
def make_router(registry: SpecRegistry) -> Iterator[Callable[..., Router]]:
    """``make_router(config, clock=…, seed=…, **kw)``: a router on a fake clock and a seeded RNG,
    closed after the test."""
    import random

    made: list[Router] = []

    def make(config: Any, *, clock: FakeClock | None = None, seed: int = 7, **kw: Any) -> Router:
        client = kw.pop("client", None) or Client(registry=registry, env={})
        router = Router(config, client=client, clock=clock or FakeClock(), rng=random.Random(seed), env=kw.pop("env", ENV), registry=registry, **kw)
        made.append(router)
        router._test_client = client  # type: ignore[attr-defined]
        return router

    yield make
    for router in made:
        loop = getattr(router, "_test_loop", None)
        if loop is not None:  # the async pool belongs to that loop: close it there
            loop.run_until_complete(router._test_client.aclose())  # type: ignore[attr-defined]
            loop.close()
        router.close()
        router._test_client.close()  # type: ignore[attr-defined]


def run_async(router: Router, coro: Any) -> Any:
    """Run ``coro`` on the router's own test event loop (one per router, so its async connection
    pool is reused across calls; closed by ``make_router``)."""
    import asyncio

    loop = getattr(router, "_test_loop", None)
    if loop is None:
        loop = asyncio.new_event_loop()
        router._test_loop = loop  # type: ignore[attr-defined]
    return loop.run_until_complete(coro)


# ---------------------------------------------------------------------------- redis
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install -y redis-server); the Redis backend tests need a real server")
    try:
        import redis
    except ImportError:
        pytest.skip("redis-py is not installed: pip install 'specwire[redis]'")
    folder: Path = tmp_path_factory.mktemp("redis")
    port = _free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder), "--protected-mode", "yes"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        for _ in range(200):
            try:
                if client.ping():
                    break
            except redis.exceptions.ConnectionError:
                time.sleep(0.02)
        else:  # pragma: no cover
            pytest.fail("redis-server did not start")
        yield url
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def redis_url(redis_server: str) -> str:
    import redis

    client = redis.Redis.from_url(redis_server)
    try:
        client.flushall()
    finally:
        client.close()
    return redis_server
