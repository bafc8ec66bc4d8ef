"""``GET /metrics``: the gateway's Prometheus metrics, in process (Starlette's TestClient) over the
loopback fake provider.  The deployments here serve ``gpt-4o-mini`` (priced in
providers.d/catalogs/openai.yaml: 0.15 USD input, 0.60 USD output per million tokens), so each
call has a known cost."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("prometheus_client")

from prometheus_client.parser import text_string_to_metric_families  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from specwire.gateway import create_app  # noqa: E402

from .conftest import ENV, GATEWAY_KEY, OTHER_KEY, UPSTREAM_KEY, router_config  # noqa: E402
from .fake_upstream import USAGE, FakeUpstream  # noqa: E402

pytestmark = pytest.mark.timeout(60)
AUTH = {"authorization": f"Bearer {GATEWAY_KEY}"}
CHAT = "/v1/chat/completions"
COST = USAGE["prompt_tokens"] * 0.15e-6 + USAGE["completion_tokens"] * 0.60e-6  # USD per call


def _config(upstream: FakeUpstream) -> dict[str, Any]:
    config = router_config(upstream)
    for dep in config["deployments"]:
        dep["model"] = "gpt-4o-mini"
    return config


@pytest.fixture
def tc(upstream: FakeUpstream) -> Iterator[TestClient]:
    with TestClient(create_app(_config(upstream), env=ENV)) as client:  # a new app (and registry) per test
        yield client


def _samples(tc: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    r = tc.get("/metrics", headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    out: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in text_string_to_metric_families(r.text):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def _get(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def _sum(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    """The sum over the samples of ``name`` whose labels include ``labels``."""
    return sum(v for (n, ls), v in samples.items() if n == name and frozenset(labels.items()) <= ls)


def _chat(tc: TestClient, text: str = "Hi", model: str = "chat", **extra: Any) -> Any:
    return tc.post(CHAT, json={"model": model, "messages": [{"role": "user", "content": text}], **extra}, headers=AUTH)


BASE = {"endpoint": CHAT, "model": "chat", "deployment": "up", "key": "team-a"}


def test_plain_call_counted_with_tokens_cost_and_duration(tc: TestClient) -> None:
    assert _chat(tc).status_code == 200
    s = _samples(tc)
    assert _get(s, "specwire_gateway_requests_total", **BASE, status="200") == 1
    assert _get(s, "specwire_gateway_tokens_total", **BASE, direction="input") == USAGE["prompt_tokens"]
    assert _get(s, "specwire_gateway_tokens_total", **BASE, direction="output") == USAGE["completion_tokens"]
    assert math.isclose(_get(s, "specwire_gateway_cost_usd_total", **BASE), COST, rel_tol=1e-6)
    assert _get(s, "specwire_gateway_request_duration_seconds_count", **BASE) == 1
    assert _get(s, "specwire_gateway_request_duration_seconds_sum", **BASE) > 0
    assert _get(s, "specwire_gateway_time_to_first_token_seconds_count", **BASE) == 0  # not a stream
    assert not any(name == "specwire_gateway_errors_total" for name, _ in s)


def test_stream_counted_when_it_ends_with_time_to_first_token(tc: TestClient) -> None:
    assert _chat(tc).status_code == 200
    r = _chat(tc, stream=True, stream_options={"include_usage": True})
    assert r.status_code == 200 and r.text.rstrip().endswith("data: [DONE]")
    s = _samples(tc)
    assert _get(s, "specwire_gateway_requests_total", **BASE, status="200") == 2
    assert _get(s, "specwire_gateway_tokens_total", **BASE, direction="input") == 2 * USAGE["prompt_tokens"]
    assert _get(s, "specwire_gateway_tokens_total", **BASE, direction="output") == 2 * USAGE["completion_tokens"]
    assert math.isclose(_get(s, "specwire_gateway_cost_usd_total", **BASE), 2 * COST, rel_tol=1e-6)
    assert _get(s, "specwire_gateway_request_duration_seconds_count", **BASE) == 2
    assert _get(s, "specwire_gateway_time_to_first_token_seconds_count", **BASE) == 1
    ttft = _get(s, "specwire_gateway_time_to_first_token_seconds_sum", **BASE)
    assert 0 < ttft <= _get(s, "specwire_gateway_request_duration_seconds_sum", **BASE)


def test_upstream_429_counted_as_rate_limit_error(tc: TestClient) -> None:
    assert _chat(tc, "RATE", model="limited").status_code == 429
    s = _samples(tc)
    labels = {"endpoint": CHAT, "model": "limited", "deployment": "none", "key": "team-a"}
    assert _get(s, "specwire_gateway_requests_total", **labels, status="429") == 1
    assert _get(s, "specwire_gateway_errors_total", **labels, error_type="rate_limit") == 1
    assert _get(s, "specwire_gateway_request_duration_seconds_count", **labels) == 1


def test_mid_stream_error_counted(tc: TestClient) -> None:
    r = _chat(tc, "BREAK", stream=True)
    assert r.status_code == 200 and '"error"' in r.text
    s = _samples(tc)
    labels = {"endpoint": CHAT, "model": "chat", "deployment": "up", "key": "team-a"}  # the deployment that failed
    assert _sum(s, "specwire_gateway_requests_total", **labels, status="200") == 1
    assert _sum(s, "specwire_gateway_errors_total", **labels, error_type="upstream") == 1
    assert _sum(s, "specwire_gateway_time_to_first_token_seconds_count", **labels) == 1


def test_stream_error_before_any_reply_names_the_deployment(tc: TestClient) -> None:
    assert _chat(tc, "RATE", model="limited-stream", stream=True).status_code == 429
    s = _samples(tc)
    labels = {"endpoint": CHAT, "model": "limited-stream", "deployment": "up4", "key": "team-a"}
    assert _get(s, "specwire_gateway_requests_total", **labels, status="429") == 1
    assert _get(s, "specwire_gateway_errors_total", **labels, error_type="rate_limit") == 1


def test_unknown_model_and_bad_key_labels_stay_bounded(tc: TestClient) -> None:
    assert _chat(tc, model="no-such-model-xyz").status_code == 404
    assert tc.post(CHAT, json={"model": "chat", "messages": []}, headers={"authorization": "Bearer wrong-key-material"}).status_code == 401
    s = _samples(tc)
    labels = {"endpoint": CHAT, "deployment": "none"}
    assert _get(s, "specwire_gateway_errors_total", **labels, model="unknown", key="team-a", error_type="not_found") == 1
    assert _get(s, "specwire_gateway_errors_total", **labels, model="none", key="none", error_type="authentication") == 1
    text = tc.get("/metrics", headers=AUTH).text
    assert "no-such-model-xyz" not in text


def test_no_key_material_in_the_output(tc: TestClient) -> None:
    assert _chat(tc).status_code == 200
    text = tc.get("/metrics", headers=AUTH).text
    assert "specwire_gateway_requests_total" in text
    for secret in (GATEWAY_KEY, OTHER_KEY, UPSTREAM_KEY):
        assert secret not in text


@pytest.mark.parametrize("headers", [{}, {"authorization": "Bearer wrong"}])
def test_metrics_needs_a_gateway_key(tc: TestClient, headers: dict[str, str]) -> None:
    r = tc.get("/metrics", headers=headers)
    assert r.status_code == 401
    assert "specwire_gateway" not in r.text


def test_metrics_anonymous_gateway(upstream: FakeUpstream) -> None:
    config = _config(upstream)
    del config["gateway"]
    with TestClient(create_app(config, env=ENV, allow_anonymous=True)) as tc:
        assert tc.post(CHAT, json={"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}).status_code == 200
        r = tc.get("/metrics")
        assert r.status_code == 200
        labels = frozenset({"endpoint": CHAT, "model": "gpt-4o", "deployment": "up", "key": "none", "status": "200"}.items())
        values = {(s.name, frozenset(s.labels.items())): s.value for f in text_string_to_metric_families(r.text) for s in f.samples}
        assert values[("specwire_gateway_requests_total", labels)] == 1


def test_two_apps_keep_their_own_registries(upstream: FakeUpstream) -> None:
    with TestClient(create_app(_config(upstream), env=ENV)) as a, TestClient(create_app(_config(upstream), env=ENV)) as b:
        assert _chat(a).status_code == 200
        assert _get(_samples(a), "specwire_gateway_requests_total", **BASE, status="200") == 1
        assert _get(_samples(b), "specwire_gateway_requests_total", **BASE, status="200") == 0
