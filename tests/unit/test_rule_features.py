"""Generic rule features added for the provider specs, each exercised on a tiny spec so that the
mechanism is tested apart from any one provider: response-metadata ``append`` (Cohere's streamed
tool plan), ``finish_detail`` (Responses `incomplete` reasons), ``usage.billed_fields`` (Cohere's
billed units price the call), and an in-band error frame whose other rules (usage) still apply."""

from __future__ import annotations

import json
from typing import Any

from specwire.process import ResponseProcessor
from specwire.spec.compile import compile_spec

SPEC = {
    "spec_version": 1,
    "provider": "toy",
    "base_url": "https://toy.example/v1",
    "request": {"path": "/chat", "body": {"model": "{{ model }}"}},
    "stream": {
        "framing": "ndjson",
        "complete_on": ["finish"],
        "events": {
            "plan": {"when": "data.plan", "emit": "response_metadata", "append": {"plan": "data.plan"}},
            "text": {"when": "data.text", "emit": "text_delta", "delta": "data.text"},
            "error": {"when": "data.error", "emit": "error"},
            "usage": {"when": "data.usage", "emit": "usage", "usage": "data.usage"},
            "finish": {"when": "data.status", "emit": "finish", "finish_reason": "data.status", "finish_detail": "data.reason"},
        },
    },
    "response": {"use_stream_events": True},
    "finish_reasons": {"incomplete": "length", "incomplete:content_filter": "content_filter", "done": "stop"},
    "usage": {
        "fields": {"input_tokens": "tokens.in", "output_tokens": "tokens.out"},
        "billed_fields": {"input_tokens": "billed.in", "output_tokens": "billed.out"},
    },
    "errors": {"message": "error.message", "type": "error.type"},
    "models": [{"id": "toy-1", "pricing": {"input": 1.0, "output": 2.0, "source": "https://toy.example/pricing", "as_of": "2026-11-22"}}],
}


def _run(lines: list[dict[str, Any]]) -> Any:
    spec, problems = compile_spec(SPEC, "toy.yaml")
    assert problems == []
    proc = ResponseProcessor(spec, model="toy-1", stream=True)
    body = "".join(json.dumps(x) + "\n" for x in lines).encode()
    return (proc.start() + proc.feed(body) + proc.close())[-1]


def test_append_accumulates_streamed_metadata() -> None:
    last = _run([{"plan": "I will "}, {"plan": "look it up."}, {"text": "hi"}, {"status": "done"}])
    assert last.response.provider_metadata["toy"]["plan"] == "I will look it up."


def test_finish_detail_refines_the_raw_reason() -> None:
    filtered = _run([{"text": "x"}, {"status": "incomplete", "reason": "content_filter"}]).response.finish_reason
    assert (filtered.unified, filtered.raw) == ("content_filter", "incomplete")
    other = _run([{"text": "x"}, {"status": "incomplete", "reason": "max_output_tokens"}]).response.finish_reason
    assert (other.unified, other.raw) == ("length", "incomplete")  # no `incomplete:max_output_tokens` entry


def test_billed_fields_price_the_call_usage_keeps_tokens() -> None:
    response = _run([{"text": "x"}, {"usage": {"tokens": {"in": 900, "out": 25}, "billed": {"in": 20, "out": 10}}}, {"status": "done"}]).response
    assert (response.usage.input_tokens, response.usage.output_tokens) == (900, 25)
    assert abs(response.cost.total - (20 * 1.0 + 10 * 2.0) / 1e6) < 1e-12


def test_error_frame_keeps_its_usage_whatever_the_rule_order() -> None:
    last = _run([{"text": "partial"}, {"error": {"message": "boom", "type": "server_error"}, "usage": {"tokens": {"in": 5, "out": 1}}}])
    assert last.type == "error" and last.error.message == "boom"
    assert last.response.usage.input_tokens == 5 and last.response.text == "partial"
