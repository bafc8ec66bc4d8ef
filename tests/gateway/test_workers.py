"""``specwire serve --workers 2``: every worker's requests reach ``/metrics`` (prometheus_client's
multiprocess mode), whichever worker answers the scrape; the metrics directory is removed on exit."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import httpx
import pytest

pytest.importorskip("prometheus_client")

from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from .conftest import GATEWAY_KEY, router_config, spawn_gateway  # noqa: E402
from .fake_upstream import USAGE, FakeUpstream  # noqa: E402

pytestmark = [pytest.mark.timeout(120), pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")]
AUTH = {"authorization": f"Bearer {GATEWAY_KEY}"}
CALLS = 8


def _total(text: str, name: str, **labels: str) -> float:
    return sum(s.value for f in text_string_to_metric_families(text) for s in f.samples
               if s.name == name and set(labels.items()) <= set(s.labels.items()))


def test_metrics_sum_over_workers(upstream: FakeUpstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))  # where the gateway makes its metrics directory
    with spawn_gateway(router_config(upstream), tmp_path, "--workers", "2", "--drain-timeout", "2") as (proc, url):
        for i in range(CALLS):
            with httpx.Client(timeout=15) as client:  # a new connection each: either worker may answer
                r = client.post(url + "/v1/chat/completions", headers=AUTH, json={"model": "chat", "messages": [{"role": "user", "content": f"Hi {i}"}]})
                assert r.status_code == 200, r.text
        with httpx.Client(timeout=15) as client:
            r = client.post(url + "/v1/chat/completions", headers=AUTH, json={"model": "nope", "messages": [{"role": "user", "content": "Hi"}]})
            assert r.status_code == 404
        for _ in range(4):  # every scrape, whichever worker serves it, has the same totals
            with httpx.Client(timeout=15) as client:
                text = client.get(url + "/metrics", headers=AUTH).text
            assert _total(text, "specwire_gateway_requests_total", endpoint="/v1/chat/completions", status="200") == CALLS
            assert _total(text, "specwire_gateway_requests_total", endpoint="/v1/chat/completions", status="404") == 1
            assert _total(text, "specwire_gateway_tokens_total", direction="input") == CALLS * USAGE["prompt_tokens"]
            assert _total(text, "specwire_gateway_request_duration_seconds_count", endpoint="/v1/chat/completions") == CALLS + 1
        metrics_dirs = list(temp.glob("specwire-gateway-metrics-*"))
        assert len(metrics_dirs) == 1 and list(metrics_dirs[0].glob("*.db")), "the workers write their values there"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    assert not any(p.exists() for p in metrics_dirs)

