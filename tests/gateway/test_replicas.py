"""Two gateway replicas (``specwire serve`` subprocesses) sharing one real Redis: a key's ``rpm``
and ``budget`` hold across both; when Redis dies both keep answering, each holding the limits in
its own memory (the router's fail-safe state backend: docs in specwire.router.failsafe).

Needs ``redis-server`` (Debian: ``apt-get install -y redis-server``) and redis-py; skipped without.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from specwire.router import Router

from .conftest import ENV, GATEWAY_KEY, free_port, router_config, start_gateway, stop_gateways, wait_ready
from .fake_upstream import FakeUpstream

pytestmark = pytest.mark.timeout(60)
REDIS_ENV = "GATEWAY_TEST_REDIS_URL"
KEYS = {"rpm": "gw-replica-rpm-key", "budget": "gw-replica-budget-key", "down": "gw-replica-down-key"}
RPM = 4
HI = {"model": "chat", "messages": [{"role": "user", "content": "Hi"}]}


@dataclass
class RedisServer:
    proc: subprocess.Popen[bytes]
    url: str

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


def _start_redis(folder: Path) -> RedisServer:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install -y redis-server); the replica tests need a real server")
    redis = pytest.importorskip("redis", reason="redis-py is not installed: pip install 'specwire[redis]'")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = RedisServer(proc, f"redis://127.0.0.1:{port}/0")
    client = redis.Redis.from_url(server.url, socket_timeout=1, socket_connect_timeout=1)
    try:
        for _ in range(250):
            try:
                if client.ping():
                    return server
            except redis.exceptions.ConnectionError:
                time.sleep(0.02)
        server.stop()
        pytest.fail("redis-server did not start")
    finally:
        client.close()


def _per_call_cost(upstream: FakeUpstream) -> int:
    """The micro-USD one call of the fake costs (its usage at the catalog price of gpt-4o)."""
    config = router_config(upstream)
    config.pop("gateway")
    config["deployments"][0]["model"] = "gpt-4o"
    with Router(config, env=ENV) as router:
        cost = router.complete("chat", "Hi").cost
    assert cost is not None and cost.total > 0
    return round(cost.total * 1_000_000)


def _config(upstream: FakeUpstream, budget_usd: float) -> dict[str, Any]:
    config = router_config(upstream)
    config["deployments"][0]["model"] = "gpt-4o"  # a catalog model: its calls have a cost
    config["state"] = {"backend": "redis", "url_env": REDIS_ENV}
    config["gateway"]["keys"] += [
        {"name": "rpm", "key_env": "GW_KEY_RPM", "rpm": RPM},
        {"name": "budget", "key_env": "GW_KEY_BUDGET", "budget": {"usd": budget_usd, "period": "day"}},
        {"name": "down", "key_env": "GW_KEY_DOWN", "rpm": RPM},
    ]
    return config


@dataclass
class Replicas:
    urls: list[str]
    redis: RedisServer
    micro_per_call: int
    budget_micro: int


def _replicas(upstream: FakeUpstream, folder: Path) -> Iterator[Replicas]:
    micro = _per_call_cost(upstream)
    budget_micro = micro * 5 // 2  # two and a half calls: three pass (each while the spend is under the budget)
    redis = _start_redis(folder)
    try:
        path = folder / "router.yaml"
        path.write_text(yaml.safe_dump(_config(upstream, budget_micro / 1_000_000)), encoding="utf-8")
        env = {REDIS_ENV: redis.url, "GW_KEY_RPM": KEYS["rpm"], "GW_KEY_BUDGET": KEYS["budget"], "GW_KEY_DOWN": KEYS["down"]}
        started = [start_gateway(path, "--graceful-timeout", "1", env=env) for _ in range(2)]
        try:
            wait_ready(started, 30)
            yield Replicas([url for _, url in started], redis, micro, budget_micro)
        finally:
            stop_gateways(started)
    finally:
        redis.stop()


@pytest.fixture(scope="module")
def replicas(upstream: FakeUpstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicas]:
    yield from _replicas(upstream, tmp_path_factory.mktemp("replicas"))


@pytest.fixture
def own_replicas(upstream: FakeUpstream, tmp_path: Path) -> Iterator[Replicas]:
    """Replicas with a Redis of their own (the test kills it)."""
    yield from _replicas(upstream, tmp_path)


def _chat(client: httpx.Client, url: str, key: str) -> httpx.Response:
    return client.post(url + "/v1/chat/completions", json=HI, headers={"authorization": f"Bearer {key}"})


def test_rpm_holds_across_two_replicas(replicas: Replicas) -> None:
    a, b = replicas.urls
    with httpx.Client(timeout=10) as client:
        codes = [_chat(client, (a, b)[i % 2], KEYS["rpm"]).status_code for i in range(RPM)]
        assert codes == [200] * RPM  # exactly rpm successes, spread across both replicas
        for url in (a, b):
            r = _chat(client, url, KEYS["rpm"])
            assert r.status_code == 429
            assert r.json()["error"]["code"] == "rate_limit_exceeded"
            assert 1 <= int(r.headers["retry-after"]) <= 60 // RPM
        assert _chat(client, b, GATEWAY_KEY).status_code == 200  # another key is not limited by it


def test_budget_holds_across_two_replicas(replicas: Replicas) -> None:
    a, b = replicas.urls
    expected = math.ceil(replicas.budget_micro / replicas.micro_per_call)
    assert expected == 3
    with httpx.Client(timeout=10) as client:
        ok = 0
        for i in range(expected + 3):
            r = _chat(client, (a, b)[i % 2], KEYS["budget"])
            if r.status_code != 200:
                break
            ok += 1
        assert ok == expected
        for url in (a, b):
            r = _chat(client, url, KEYS["budget"])
            assert r.status_code == 429
            assert r.json()["error"]["type"] == "insufficient_quota"
            assert r.headers["x-should-retry"] == "false"


def test_redis_down_both_replicas_keep_serving_with_per_replica_limits(own_replicas: Replicas) -> None:
    a, b = own_replicas.urls
    with httpx.Client(timeout=10) as client:
        assert _chat(client, a, KEYS["down"]).status_code == 200  # counted in Redis
        own_replicas.redis.stop()
        for url in (a, b):
            assert client.get(url + "/health/live").status_code == 200
            codes = [_chat(client, url, KEYS["down"]).status_code for _ in range(RPM + 1)]
            # each replica now counts in its own memory: rpm there, then 429
            assert codes == [200] * RPM + [429], (url, codes)


def test_a_month_spend_counter_outlives_redis_day_expiry(replicas: Replicas) -> None:
    """A period's spend counter lives as long as its period (plain counters expire after a day)."""
    import redis

    from specwire.router.redis_backend import RedisBackend

    backend = RedisBackend(replicas.redis.url, prefix="test-ttl")
    client = redis.Redis.from_url(replicas.redis.url, socket_timeout=2)
    try:
        assert backend.incr_ttl("spend", 5, 40 * 86400.0, time.time()) == 5
        assert backend.incr_ttl("spend", 2, 40 * 86400.0, time.time()) == 7
        assert client.pttl("test-ttl:spend") > 39 * 86400 * 1000
        assert backend.get_counts(["spend"]) == [7]
    finally:
        client.close()
        backend.close()
