"""OpenTelemetry (docs/observability.md, "OpenTelemetry"; the ``otel`` extra), checked with the
SDK's in-memory exporter and metric reader: one CLIENT span per logical call (retries included)
named ``chat {model}`` with the GenAI semantic-convention attributes
(https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/), ``error.type`` on failure,
message content only on opt-in, and the ``gen_ai.client.token.usage`` / ``gen_ai.client.operation.duration``
histograms (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-metrics/).  No secret in any
span.  Skipped when opentelemetry-sdk is not installed (the ``dev`` extra installs it)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402
from opentelemetry.trace import SpanKind, StatusCode  # noqa: E402

import specwire  # noqa: E402
from specwire.otel import CAPTURE_ENV, DURATION_BUCKETS, TOKEN_BUCKETS  # noqa: E402
from tests.hostile.server import HostileServer, openai_error, openai_ok  # noqa: E402
from tests.router.conftest import KEY_ENV, deployment, fake, make_router, registry, run_async  # noqa: E402, F401
from tests.router.fakes import server_error  # noqa: E402

from .conftest import MODEL, SECRET, assert_no_secret  # noqa: E402


class OTel:
    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    def telemetry(self, **kw: Any) -> specwire.Telemetry:
        return specwire.Telemetry(tracer_provider=self.tracer_provider, meter_provider=self.meter_provider, **kw)

    def metrics(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        data = self.reader.get_metrics_data()
        for rm in data.resource_metrics if data else ():
            for sm in rm.scope_metrics:
                for m in sm.metrics:
                    out[m.name] = m
        return out


@pytest.fixture
def otel() -> OTel:
    return OTel()


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
def test_one_span_per_call_with_the_semconv_attributes(drive: Any, hostile: HostileServer, sleeps: list[float], otel: OTel, stream: bool) -> None:
    d = drive(hostile, telemetry=otel.telemetry())
    hostile.script(openai_error(500), openai_ok(stream))
    out = d.call(stream, MODEL, max_output_tokens=100, temperature=0.5)
    assert out.error is None, out.describe()
    response = out.response or out.partial
    (span,) = otel.spans.get_finished_spans()
    assert span.name == "chat gpt-5.5" and span.kind == SpanKind.CLIENT
    a = dict(span.attributes)
    assert a["gen_ai.operation.name"] == "chat" and a["gen_ai.provider.name"] == "openai"
    assert a["gen_ai.request.model"] == "gpt-5.5" and a["gen_ai.response.model"] == response.model
    assert a["gen_ai.request.max_tokens"] == 100 and a["gen_ai.request.temperature"] == 0.5
    assert a["gen_ai.usage.input_tokens"] == response.usage.input_tokens
    assert a["gen_ai.usage.output_tokens"] == response.usage.output_tokens
    assert tuple(a["gen_ai.response.finish_reasons"]) == ("stop",)
    assert a["server.address"] == "127.0.0.1" and a["server.port"] == hostile.port
    if response.id:
        assert a["gen_ai.response.id"] == response.id
    assert "gen_ai.input.messages" not in a and "gen_ai.output.messages" not in a, "content only on opt-in"
    assert [e.name for e in span.events] == ["specwire.retry"], "the retry is inside the one span"
    assert span.status.status_code != StatusCode.ERROR

    metrics = otel.metrics()
    usage = metrics["gen_ai.client.token.usage"]
    assert usage.unit == "{token}"
    by_type = {p.attributes["gen_ai.token.type"]: p.sum for p in usage.data.data_points}
    assert by_type == {"input": response.usage.input_tokens, "output": response.usage.output_tokens}
    duration = metrics["gen_ai.client.operation.duration"]
    assert duration.unit == "s"
    (point,) = duration.data.data_points
    assert point.count == 1 and point.attributes["gen_ai.request.model"] == "gpt-5.5" and "error.type" not in point.attributes
    assert list(point.explicit_bounds) == DURATION_BUCKETS, "the conventions' advisory boundaries"
    assert list(usage.data.data_points[0].explicit_bounds) == TOKEN_BUCKETS
    assert_no_secret(*(dict(s.attributes) for s in otel.spans.get_finished_spans()), span.to_json())


def test_a_failed_call_has_error_type(drive: Any, hostile: HostileServer, otel: OTel) -> None:
    d = drive(hostile, telemetry=otel.telemetry())
    hostile.script(openai_error(400, type_="invalid_request_error"))
    out = d.complete(MODEL)
    assert isinstance(out.error, specwire.BadRequestError)
    (span,) = otel.spans.get_finished_spans()
    assert span.attributes["error.type"] == "BadRequestError" and span.status.status_code == StatusCode.ERROR
    (point,) = otel.metrics()["gen_ai.client.operation.duration"].data.data_points
    assert point.attributes["error.type"] == "BadRequestError"
    assert "gen_ai.client.token.usage" not in otel.metrics()
    assert_no_secret(span.to_json())


def test_content_is_captured_on_opt_in(drive: Any, hostile: HostileServer, otel: OTel, monkeypatch: pytest.MonkeyPatch) -> None:
    d = drive(hostile, telemetry=otel.telemetry(capture_content=True))
    hostile.script(openai_ok(False))
    assert d.complete(MODEL, "tell me").error is None
    (span,) = otel.spans.get_finished_spans()
    assert '"content": "tell me"' in span.attributes["gen_ai.input.messages"]
    assert '"content": "Hello"' in span.attributes["gen_ai.output.messages"]
    monkeypatch.setenv(CAPTURE_ENV, "true")
    assert otel.telemetry().capture_content is True
    monkeypatch.setenv(CAPTURE_ENV, "false")
    assert otel.telemetry().capture_content is False


@pytest.mark.parametrize("flavor", ["sync", "async"])
def test_a_router_call_is_one_span(fake: Any, make_router: Any, registry: Any, otel: OTel, flavor: str) -> None:
    config = {
        "router": {},
        "deployments": [deployment(fake, "main", "gpt-5.4"), deployment(fake, "spare", "gpt-5.5")],
        "groups": {"chat": {"deployments": ["main"], "fallbacks": ["backup"]}, "backup": {"deployments": ["spare"]}},
    }
    router = make_router(config, env={KEY_ENV: SECRET}, telemetry=otel.telemetry())
    fake.script("main", server_error(500))
    if flavor == "sync":
        router.complete("chat", "hi")
    else:
        run_async(router, router.acomplete("chat", "hi"))
    (span,) = otel.spans.get_finished_spans()
    assert span.attributes["gen_ai.request.model"] == "gpt-5.4", "the span starts with the first attempt"
    assert span.attributes["gen_ai.response.model"] == "gpt-5.5"
    (event,) = span.events
    assert event.attributes["specwire.deployment"] == "spare"
    assert_no_secret(span.to_json())


def test_import_specwire_does_not_import_opentelemetry() -> None:
    code = (
        "import sys, specwire\n"
        "c = specwire.Client(load_entry_points=False)\n"
        "specwire.SpecwireWarning, specwire.Callbacks\n"
        "import specwire.client, specwire.observe, specwire.otel, specwire.router\n"
        "bad = [m for m in sys.modules if m.split('.')[0] == 'opentelemetry']\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
