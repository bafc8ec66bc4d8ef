"""``GET /health/ready``: started, the router's state backend answers, a deployment is reachable
(in process, Starlette's TestClient, over loopback fakes; a closed port stands for a host that is down)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("starlette")

from starlette.testclient import TestClient  # noqa: E402

from specwire.gateway import create_app  # noqa: E402
from specwire.router.plan import circuit_key  # noqa: E402

from .conftest import ENV, router_config  # noqa: E402
from .fake_upstream import FakeUpstream  # noqa: E402

pytestmark = pytest.mark.timeout(60)


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _config(base_url: str) -> dict[str, Any]:
    dep = {"provider": "openai", "model": "gpt-fake", "api_key_env": "GATEWAY_TEST_UPSTREAM_KEY", "base_url": base_url}
    return {"router": {"retry": {"retries": 0}}, "deployments": [{"id": "a", **dep}, {"id": "b", **dep}],
            "groups": {"chat": {"deployments": ["a", "b"]}}, "gateway": {"allow_anonymous": True}}


@pytest.fixture
def own_upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream() as fake:
        yield fake


def _ready(tc: TestClient) -> tuple[int, dict[str, Any]]:
    r = tc.get("/health/ready")
    return r.status_code, r.json()


def test_ready_when_all_pass(upstream: FakeUpstream) -> None:
    with TestClient(create_app(router_config(upstream), env=ENV)) as tc:
        status, body = _ready(tc)
    assert status == 200, body
    assert body == {"status": "ready", "checks": {"started": "ok", "state_backend": "ok", "deployments": "ok"}, "failed": []}


def test_not_ready_before_start(upstream: FakeUpstream) -> None:
    tc = TestClient(create_app(router_config(upstream), env=ENV))  # no `with`: the lifespan has not run
    status, body = _ready(tc)
    assert status == 503 and body["failed"] == ["started"]
    tc.app.state.gateway.router.close()


def test_deployment_down_then_up(own_upstream: FakeUpstream) -> None:
    down = f"http://127.0.0.1:{_closed_port()}/v1"
    with TestClient(create_app(_config(down), env=ENV)) as tc:
        status, body = _ready(tc)
        assert status == 503 and body["failed"] == ["deployments"], body
        assert "127.0.0.1" not in str(body)  # no host named on an unauthenticated endpoint
    with TestClient(create_app(_config(own_upstream.base_url), env=ENV)) as tc:
        assert _ready(tc)[0] == 200
        tc.app.state.gateway.readiness.ttl = 0  # probe again at once
        own_upstream.close()
        status, body = _ready(tc)
        assert status == 503 and body["failed"] == ["deployments"], body


def test_reachability_is_cached(own_upstream: FakeUpstream) -> None:
    with TestClient(create_app(_config(own_upstream.base_url), env=ENV)) as tc:
        assert _ready(tc)[0] == 200
        own_upstream.close()
        assert _ready(tc)[0] == 200  # within the ttl (5 s) the last outcome stands
        tc.app.state.gateway.readiness.ttl = 0
        assert _ready(tc)[0] == 503


def test_every_circuit_open_is_not_ready(upstream: FakeUpstream) -> None:
    with TestClient(create_app(_config(upstream.base_url), env=ENV)) as tc:
        router = tc.app.state.gateway.router
        for dep in ("a", "b"):
            router.backend.circuit_record(circuit_key(dep), False, router.clock.now(), router.circuit_params, 60.0)
        status, body = _ready(tc)
        assert status == 503 and body["failed"] == ["deployments"], body
        assert "open circuit" in body["checks"]["deployments"]


def test_redis_down_is_not_ready(upstream: FakeUpstream) -> None:
    pytest.importorskip("redis")
    config = {**_config(upstream.base_url), "state": {"backend": "redis", "url": f"redis://127.0.0.1:{_closed_port()}/0"}}
    with TestClient(create_app(config, env=ENV)) as tc:
        status, body = _ready(tc)  # answers at once: the connection is refused (or times out in 0.5 s)
    assert status == 503 and body["failed"] == ["state_backend"], body
