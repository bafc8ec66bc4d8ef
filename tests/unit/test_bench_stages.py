"""tools/bench/stages.py: the per-stage CPU of the benchmark's non-stream call (issue 13) runs
against the current engine (its stages reach the client's internals, so a layout change that
breaks it shows here) and reports what it measured.  The figures themselves are not asserted:
timings belong to the benchmark."""

from __future__ import annotations


from .bench_modules import load as load_bench


stages = load_bench("stages")


def test_measures_every_stage_of_the_call() -> None:
    result = stages.measure(number=3, repeat=1)  # also checks both clients read the same text
    assert [s["stage"].split()[0] for s in result["stages"]] == ["validate", "resolve", "render", "bind", "normalise"]
    assert all(s["us"] > 0 for s in result["stages"])
    assert result["raw_httpx_us"] > 0 and result["specwire_us"] > 0 and result["cost_us"] > 0
    stage_sum = sum(s["us"] for s in result["stages"])
    assert result["rest_us"] == result["specwire_us"] - result["raw_httpx_us"] - stage_sum


def test_the_reply_is_the_benchmark_servers_body() -> None:
    body = stages.reply_body()
    assert body.startswith(b"{") and b'"chat.completion"' in body and b"\r\n" not in body


def test_markdown_states_the_budget_of_the_target() -> None:
    result = {"raw_httpx_us": 80.0, "specwire_us": 190.0, "rest_us": 20.0, "cost_us": 6.0,
              "stages": [{"stage": "validate", "us": 40.0}, {"stage": "normalise", "us": 50.0}]}
    text = "\n".join(stages.markdown(result, socket_raw_us=200.0, target=1.15))
    assert "| validate | 40.0 |" in text and "| normalise | 50.0 |" in text and "(6.0)" in text
    assert "110 µs more" in text
    assert "leaves specwire 30 µs per request over raw httpx's 200 µs" in text and "take 90 µs together" in text
    assert "leaves specwire" not in "\n".join(stages.markdown(result))
    assert stages.markdown(None) == [] and stages.markdown({}) == []
