"""Fixtures of the gateway suite: the loopback fake provider, a router config fronting it, and a
gateway (``specwire serve``) in a uvicorn subprocess on a free port, always killed afterwards.

Keys: ``GATEWAY_KEY`` may use the ``chat`` and ``limited*`` groups (and ``gpt-*`` names); ``OTHER_KEY`` (given in
the config by its SHA-256 only) may use the ``other`` group.  The provider key
(``UPSTREAM_KEY``) lives only in the gateway's environment.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

from .fake_upstream import FakeUpstream  # noqa: E402

GATEWAY_KEY = "gw-test-key-team-a"
OTHER_KEY = "gw-test-key-other"
UPSTREAM_KEY = "sk-upstream-secret-for-tests"
KEY_ENV, UPSTREAM_ENV = "GATEWAY_TEST_KEY", "GATEWAY_TEST_UPSTREAM_KEY"
MAX_BODY = 64 * 1024


@pytest.fixture(scope="session")
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream() as fake:
        yield fake


def router_config(upstream: FakeUpstream) -> dict[str, Any]:
    """A router config whose two deployments are the fake, with a ``gateway:`` section."""
    dep = {"provider": "openai", "model": "gpt-fake", "api_key_env": UPSTREAM_ENV, "base_url": upstream.base_url}
    return {
        "router": {"retry": {"retries": 0}, "unknown_models": "error", "timeout": {"total": 10}},
        # a 429 opens a deployment's circuit for its retry-after: each rate-limit test has its own
        "deployments": [{"id": "up", **dep}, {"id": "up2", **dep}, {"id": "up3", **dep}, {"id": "up4", **dep}],
        "groups": {"chat": {"deployments": ["up"]}, "other": {"deployments": ["up2"]},
                   "limited": {"deployments": ["up3"]}, "limited-stream": {"deployments": ["up4"]}},
        "aliases": {"gpt-4o": "chat"},
        "gateway": {
            "max_body_bytes": MAX_BODY,
            "keys": [
                {"name": "team-a", "key_env": KEY_ENV, "models": ["chat", "gpt-*", "limited*"]},
                {"name": "other", "sha256": hashlib.sha256(OTHER_KEY.encode()).hexdigest(), "groups": ["other"]},
            ],
        },
    }


ENV = {KEY_ENV: GATEWAY_KEY, UPSTREAM_ENV: UPSTREAM_KEY}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


Started = tuple[subprocess.Popen[bytes], str]


def start_gateway(path: Path, *args: str, env: dict[str, str] | None = None) -> Started:
    """``specwire serve path`` in a subprocess on a free port, with ``args`` added and ``env``
    over :data:`ENV`: ``(process, "http://127.0.0.1:<port>")``, not waited for (:func:`wait_ready`)."""
    port = free_port()
    code = "import sys; from specwire.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen([sys.executable, "-c", code, "serve", str(path), "--port", str(port), "--log-level", "warning", *args],
                            env={**os.environ, **ENV, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}"


def wait_ready(started: list[Started], seconds: float) -> None:
    """Until every gateway's ``/health/ready`` answers 200; a gateway that exits or is not ready
    within ``seconds`` fails the test (with its output) after all are stopped."""
    deadline = time.monotonic() + seconds
    for proc, url in started:
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                stop_gateways(started)
                pytest.fail(f"a gateway exited with {proc.returncode}:\n{out}")
            try:
                if httpx.get(url + "/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                stop_gateways(started)
                pytest.fail(f"a gateway did not become ready in {seconds:g} s")
            time.sleep(0.05)


def stop_gateways(started: list[Started]) -> None:
    """Terminate each gateway (killed if it takes over 5 s) and close its output."""
    for proc, _ in started:
        if proc.poll() is None:
            proc.terminate()
    for proc, _ in started:
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stdout:
            proc.stdout.close()


@contextmanager
def spawn_gateway(config: dict[str, Any], directory: Path, *args: str) -> Iterator[Started]:
    """``specwire serve`` of ``config`` (written to ``directory``) in a subprocess on a free port,
    with ``args`` added: ``(process, "http://127.0.0.1:<port>")`` once ``/health/ready`` answers 200;
    terminated (killed if need be) afterwards."""
    path = directory / "router.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    started = [start_gateway(path, *args)]
    try:
        wait_ready(started, 20)
        yield started[0]
    finally:
        stop_gateways(started)


@pytest.fixture(scope="module")
def gateway_url(upstream: FakeUpstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``http://127.0.0.1:<port>``: ``specwire serve`` in a subprocess, ready (``/health/ready``)."""
    with spawn_gateway(router_config(upstream), tmp_path_factory.mktemp("gateway"), "--drain-timeout", "2") as (_, url):
        yield url
