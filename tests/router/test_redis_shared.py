"""The Redis state backend shared by several processes (a real ``redis-server`` on 127.0.0.1,
started by the ``redis_server`` fixture; skipped with a message when it is not installed).

What this protects (issue 5, "Done means"): two processes sharing one deployment's rate limit
never exceed it together (the token bucket is one Lua script on the server); a circuit opened by
one process is seen open by another, which routes around it; a response cached by one process is
a cache hit in another.  The worker processes are spawned once per module (nothing shared but Redis
and the loopback fake provider, whose request log is the ground truth); the cache test's config
turns the cache on for every call.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from typing import Any

import pytest

from specwire import Client
from specwire.router import Router

from .conftest import ENV, deployment
from .fakes import server_error

REDIS_ENV = "ROUTER_TEST_REDIS_URL"


class Workers:
    """Two spawned worker processes (tests/router/_mp_worker.py), started once for the module."""

    def __init__(self, count: int = 2) -> None:
        from ._mp_worker import serve

        ctx = multiprocessing.get_context("spawn")
        self.results = ctx.Queue()
        self.queues = [ctx.Queue() for _ in range(count)]
        self.procs = [ctx.Process(target=serve, args=(q, self.results), daemon=True) for q in self.queues]
        for p in self.procs:
            p.start()
        for _ in self.procs:
            assert self.results.get(timeout=120) == "ready"

    def run(self, config: dict[str, Any], env: dict[str, str], action: str, n: int, processes: int = 1) -> list[dict[str, Any]]:
        start_at = time.time() + 0.2
        for q in self.queues[:processes]:
            q.put((config, env, action, n, start_at))
        return [self.results.get(timeout=60) for _ in range(processes)]

    def close(self) -> None:
        for q in self.queues:
            q.put(None)
        for p in self.procs:
            p.join(timeout=30)
            assert p.exitcode == 0
        for q in [*self.queues, self.results]:
            q.close()
            q.join_thread()


@pytest.fixture(scope="module")
def workers(redis_server: str) -> Iterator[Workers]:
    w = Workers()
    try:
        yield w
    finally:
        w.close()


def redis_config(fake: Any, **extra: Any) -> dict[str, Any]:
    return {"router": {"retry": {"retries": 0}}, "state": {"backend": "redis", "url_env": REDIS_ENV, "prefix": "shared"}, **extra}


def test_two_processes_never_exceed_one_shared_rate_limit(fake: Any, redis_url: str, workers: Workers) -> None:
    config = redis_config(fake, deployments=[deployment(fake, "a", "gpt-5.4", rpm=6)], rate_limit={"mode": "raise"})
    started = time.monotonic()
    outcomes = workers.run(config, {**ENV, REDIS_ENV: redis_url}, "a", n=10, processes=2)
    elapsed = time.monotonic() - started
    served = fake.count("a")
    refill = int(elapsed * 6 / 60)  # 6 per minute trickle back while the test runs
    assert served <= 6 + refill, f"{served} requests reached the provider; the shared limit is 6/min"
    assert sum(o["ok"] for o in outcomes) == served and served >= 6
    assert sum(o["limited"] for o in outcomes) == 20 - served
    assert all(o["errors"] == [] for o in outcomes)


def test_a_circuit_opened_by_one_process_is_open_in_another(fake: Any, redis_url: str, registry: Any, workers: Workers) -> None:
    env = {**ENV, REDIS_ENV: redis_url}
    config = redis_config(fake, deployments=[deployment(fake, "a", "gpt-5.4"), deployment(fake, "b", "gpt-5.4")],
                          groups={"pair": {"deployments": ["a", "b"]}}, health={"consecutive_failures": 2, "cooldown": 120})
    fake.script("a", default=server_error())
    [child] = workers.run(config, env, "a", n=2)
    assert child["errors"] == ["ServerError", "ServerError"] and child["circuits"]["a"] == "open"
    assert fake.count("a") == 2
    client = Client(registry=registry, env={})
    router = Router(config, client=client, env=env, registry=registry)
    try:
        assert router.snapshot().deployments["a"].circuit == "open"
        for _ in range(4):
            assert router.complete("pair", "hi").provider_metadata["router"]["deployment"] == "b"
        assert fake.count("a") == 2, "this process never sent anything to the open deployment"
    finally:
        router.close()
        client.close()


def test_cache_hits_across_processes(fake: Any, redis_url: str, registry: Any, workers: Workers) -> None:
    env = {**ENV, REDIS_ENV: redis_url}
    config = redis_config(fake, deployments=[deployment(fake, "a", "gpt-5.4")], cache={"enabled": True, "backend": "redis", "ttl": 60})
    [child] = workers.run(config, env, "a", n=1)
    assert child["ok"] == 1 and fake.count("a") == 1
    client = Client(registry=registry, env={})
    router = Router(config, client=client, env=env, registry=registry)
    try:
        response = router.complete("a", "hi")
        assert response.provider_metadata["router"]["cache_hit"] is True and response.text == "Hello from the fake"
        events = list(router.stream("a", "hi"))
        assert events[-1].type == "finish" and events[-1].response.provider_metadata["router"]["cache_hit"] is True
        assert fake.count("a") == 1
    finally:
        router.close()
        client.close()


def test_redis_url_comes_from_the_environment(registry: Any, fake: Any) -> None:
    from specwire import ConfigError

    config = redis_config(fake, deployments=[deployment(fake, "a", "gpt-5.4")])
    with pytest.raises(ConfigError, match=REDIS_ENV):
        Router(config, client=Client(registry=registry, env={}), env=ENV, registry=registry)
