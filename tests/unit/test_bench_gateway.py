"""The pure helpers of the benchmark's gateway rows (tools/bench/gateway.py and gateway_load.py):
the summary's medians and ratios, the report table, the quantiles, and the holding fake provider's
cut of a stream.  Nothing here is timed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from .bench_modules import load as load_bench

gateway = load_bench("gateway")
load = load_bench("gateway_load")


def _run(direct: float, sw: float, ll: float, *, sw_rss: float | None = 80.0) -> dict[str, Any]:
    """One run's driver results: time to first token ``direct``/``sw``/``ll`` ms (p99 twice that)."""
    def ttft(ms: float, cpu: float | None) -> dict[str, Any]:
        return {"n": 10, "ttft_p50_ms": ms, "ttft_p99_ms": 2 * ms, "server_cpu_ms_per_stream": cpu}

    held_sw: dict[str, Any] = {"error": "only 100 of 500 streams were open at once"} if sw_rss is None else \
        {"peak_rss_mb": sw_rss, "rss_idle_mb": 60.0, "max_open": 500, "hwm_mb": sw_rss}
    return {"results": {
        "direct": {"ttft": ttft(direct, None), "rps64": {"req_s": 10000.0, "server_cpu_ms_per_request": None}},
        "specwire": {"ttft": ttft(sw, 4.0), "rps64": {"req_s": 300.0, "server_cpu_ms_per_request": 3.0}, "held": held_sw},
        "litellm": {"ttft": ttft(ll, 20.0), "rps64": {"req_s": 100.0, "server_cpu_ms_per_request": 6.0},
                    "held": {"peak_rss_mb": 500.0, "rss_idle_mb": 380.0, "max_open": 500, "hwm_mb": 520.0}},
        "phase_s": {"warmup": 1.0},
    }, "loadavg_before": 1.0, "loadavg_after": 1.5}


PROXIES = ["specwire", "litellm"]


def test_added_latency_is_the_proxy_minus_direct_and_medians_over_runs() -> None:
    runs = [_run(1.0, 5.0, 21.0), _run(2.0, 4.0, 12.0), _run(1.0, 9.0, 41.0)]
    med = gateway.summarize(runs, PROXIES)["medians"]
    # per run: specwire adds 4, 2, 8 ms; LiteLLM 20, 10, 40 ms
    assert med["specwire"]["added_ttft_p50_ms"] == 4.0
    assert med["litellm"]["added_ttft_p50_ms"] == 20.0
    assert med["specwire"]["added_ttft_p99_ms"] == 8.0  # p99 = 2x: 8, 4, 16
    assert med["direct"]["ttft_p50_ms"] == 1.0
    assert "added_ttft_p50_ms" not in med["direct"]


def test_ratio_is_the_median_of_same_run_ratios() -> None:
    runs = [_run(1.0, 5.0, 21.0), _run(2.0, 4.0, 12.0), _run(1.0, 9.0, 41.0)]
    ratio = gateway.summarize(runs, PROXIES)["ratio"]
    # same-run ratios of added latency: 4/20, 2/10, 8/40 -> all 0.2 (a ratio of medians would be too)
    assert ratio["specwire"]["added_ttft_p50_ms"] == pytest.approx(0.2)
    assert ratio["specwire"]["cpu_ms_per_request"] == pytest.approx(0.5)
    assert ratio["specwire"]["rps64"] == pytest.approx(3.0)
    assert ratio["specwire"]["peak_rss_mb"] == pytest.approx(80.0 / 500.0)
    assert set(ratio) == {"specwire"}  # one specwire row: `specwire serve` itself holds the streams


def test_ratio_uses_per_run_pairs_not_medians() -> None:
    runs = [_run(0.0, 1.0, 1.0), _run(0.0, 10.0, 100.0), _run(0.0, 100.0, 10.0)]
    ratio = gateway.summarize(runs, PROXIES)["ratio"]["specwire"]["added_ttft_p50_ms"]
    assert ratio == pytest.approx(1.0)  # median of 1, 0.1, 10; the ratio of the medians would be 10/10 too, so check another
    runs = [_run(0.0, 1.0, 2.0), _run(0.0, 10.0, 40.0), _run(0.0, 30.0, 3.0)]
    ratio = gateway.summarize(runs, PROXIES)["ratio"]["specwire"]["added_ttft_p50_ms"]
    assert ratio == pytest.approx(0.5)  # median of 0.5, 0.25, 10; the ratio of the medians is 10/3


def test_a_refused_measurement_is_left_out_and_reported() -> None:
    runs = [_run(1.0, 5.0, 21.0, sw_rss=None)]
    summary = gateway.summarize(runs, ["specwire", "litellm"])
    assert "peak_rss_mb" not in summary["medians"]["specwire"]
    assert "peak_rss_mb" not in summary["ratio"]["specwire"]
    assert summary["errors"] == {"specwire:held": "only 100 of 500 streams were open at once"}
    gw = {"config": {"streams": 500, "ttft_streams": 10, "chunks": 20, "held_chunks": 20, "runs": 1, "proxies": ["specwire", "litellm"], "wall_min": 1.0},
          "runs": runs, "summary": summary}
    table = "\n".join(gateway.markdown(gw))
    row = next(line for line in table.splitlines() if line.startswith("| **`specwire serve`** |"))
    assert row.count("refused") == 3  # peak RSS, RSS before, streams open at once
    assert "only 100 of 500 streams" in table


def test_the_table_has_a_row_per_proxy_and_the_ratio_rows() -> None:
    runs = [_run(1.0, 5.0, 21.0)]
    gw = {"config": {"streams": 500, "ttft_streams": 10, "chunks": 20, "held_chunks": 20, "runs": 1, "proxies": PROXIES, "wall_min": 1.0},
          "runs": runs, "summary": gateway.summarize(runs, PROXIES), "command": "python tools/bench/run.py --gateway-only", "finished": "2026-12-07T07:00:00"}
    lines = gateway.markdown(gw)
    rows = [line for line in lines if line.startswith("|")]
    assert len(rows) == 2 + 1 + 2 + 1  # header, separator; direct; two proxies; one ratio row
    sw = next(r for r in rows if r.startswith("| **`specwire serve`** |")).split(" | ")
    assert sw[1:3] == ["4.00", "8.00"]  # added time to first token, median and p99
    assert "0.20×" in next(r for r in rows if r.startswith("| **specwire ÷ LiteLLM** |"))
    assert any("--gateway-only" in line for line in lines)
    assert gateway.markdown(None) == [] and gateway.markdown({}) == []


def test_quantile() -> None:
    assert load.quantile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert load.quantile([1.0, 2.0], 0.5) == 1.5
    assert load.quantile(list(map(float, range(101))), 0.99) == pytest.approx(99.0)
    assert load.quantile([7.0], 0.99) == 7.0
    with pytest.raises(ValueError):
        load.quantile([], 0.5)


def test_a_held_stream_stops_after_its_first_content_chunk() -> None:
    fake = load.fakeserver
    whole = fake.openai_sse(3, 4, 0)
    first, rest = load.split_after_chunks(whole, 2)
    assert first + rest == whole
    assert first.count(b"data: ") == 2 and b'"role":"assistant"' in first and b'"content":" Lor"' in first
    assert rest.endswith(b"0\r\n\r\n") and b"[DONE]" in rest
    with pytest.raises(ValueError):
        load.split_after_chunks(fake.openai_sse(0, 4, 0), 6)


class _Transport:
    def __init__(self) -> None:
        self.written = b""

    def write(self, data: bytes) -> None:
        self.written += data

    def is_closing(self) -> bool:
        return False


def test_the_holding_server_releases_every_held_stream() -> None:
    async def scenario() -> None:
        server = load.HoldServer(2000, 4, 0, hold_timeout=60.0)
        body = b'{"model":"gpt-5.5","stream":true}'
        transports = [_Transport(), _Transport()]
        for t in transports:
            server.current = t
            t.write(server.body_for("/hold/bench/n3-s4-t0/v1/chat/completions", "", body))
        assert all(b"[DONE]" not in t.written for t in transports)
        assert b'"held": 2' in server.body_for("/_held", "", b"")
        assert b'"released": 2' in server.body_for("/_release", "", b"")
        whole = load.fakeserver.openai_sse(3, 4, 0)
        assert all(t.written == whole for t in transports)
        assert server.body_for("/bench/n3-s4-t0/v1/chat/completions", "", body) == whole  # not held
        server.current = transports[0]
        assert b"content-length" in server.body_for("/hold/bench/n3-s4-t0/v1/chat/completions", "", b'{"model":"gpt-5.5"}')  # JSON: not held
        assert server.held == []

    asyncio.run(scenario())


def test_without_litellm_there_is_no_ratio_row() -> None:
    runs = [_run(1.0, 5.0, 21.0)]
    for r in runs:
        del r["results"]["litellm"]
    proxies = ["specwire"]
    summary = gateway.summarize(runs, proxies)
    assert summary["ratio"] == {}
    gw = {"config": {"streams": 500, "ttft_streams": 10, "chunks": 20, "held_chunks": 20, "runs": 1, "proxies": proxies, "wall_min": 1.0},
          "runs": runs, "summary": summary}
    table = "\n".join(gateway.markdown(gw))
    assert "÷ LiteLLM" not in table and "LiteLLM's proxy" not in table
