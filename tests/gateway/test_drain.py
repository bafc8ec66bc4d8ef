"""Graceful shutdown: a SIGTERM to ``specwire serve`` mid-stream lets the stream finish (through
``data: [DONE]``) before the process exits with status 0; ``--drain-timeout`` bounds the wait."""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from .conftest import GATEWAY_KEY, router_config, spawn_gateway
from .fake_upstream import PACE, PACED_CHUNKS, FakeUpstream

pytestmark = [pytest.mark.timeout(90), pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")]
AUTH = {"authorization": f"Bearer {GATEWAY_KEY}"}
BODY = {"model": "chat", "messages": [{"role": "user", "content": "PACE"}], "stream": True}


def _stream(url: str, lines: list[str], first: threading.Event) -> None:
    with httpx.stream("POST", url + "/v1/chat/completions", json=BODY, headers=AUTH, timeout=30) as r:
        for line in r.iter_lines():
            if line.startswith("data: "):
                lines.append(line[6:])
                if '"0 "' in line:
                    first.set()


def test_sigterm_drains_a_stream(upstream: FakeUpstream, tmp_path: Path) -> None:
    with spawn_gateway(router_config(upstream), tmp_path, "--drain-timeout", "30") as (proc, url):
        lines: list[str] = []
        first = threading.Event()
        client = threading.Thread(target=_stream, args=(url, lines, first), daemon=True)
        client.start()
        assert first.wait(15), "the stream did not start"
        proc.send_signal(signal.SIGTERM)
        time.sleep(PACE * 2)
        with pytest.raises(httpx.TransportError):  # no new connections once draining
            httpx.get(url + "/health/live", timeout=2)
        client.join(timeout=30)
        assert not client.is_alive()
        assert proc.wait(timeout=30) == 0
    assert lines[-1] == "[DONE]"
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in map(json.loads, lines[:-1]) if c.get("choices"))
    assert text == "".join(f"{i} " for i in range(PACED_CHUNKS))
    assert [c["choices"][0]["finish_reason"] for c in map(json.loads, lines[:-1]) if c.get("choices") and c["choices"][0]["finish_reason"]] == ["stop"]


def test_drain_timeout_cuts_a_long_stream(upstream: FakeUpstream, tmp_path: Path) -> None:
    with spawn_gateway(router_config(upstream), tmp_path, "--drain-timeout", "0.3") as (proc, url):
        lines: list[str] = []
        first = threading.Event()
        client = threading.Thread(target=_stream_quietly, args=(url, lines, first), daemon=True)
        client.start()
        assert first.wait(15), "the stream did not start"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        client.join(timeout=30)
    assert "[DONE]" not in lines  # cut before its end


def _stream_quietly(url: str, lines: list[str], first: threading.Event) -> None:
    try:
        _stream(url, lines, first)
    except httpx.HTTPError:
        pass
