"""OpenTelemetry spans and metrics for calls, following the GenAI semantic conventions (the ``otel``
extra: ``pip install 'specwire[otel]'``).

Semantic conventions: https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/ (spans) and
https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-metrics/ (metrics).

:class:`Telemetry` is a :class:`~specwire.Callbacks` consumer, so the engine has one hook point:
``Client(telemetry=True)`` (or ``Telemetry(...)``, or ``Router(telemetry=…)``) adds it to the
callbacks.  Nothing here imports ``opentelemetry`` until a :class:`Telemetry` is built: telemetry is
opt-in, and ``import specwire`` never loads OpenTelemetry.

Per logical call (all retries included, as the conventions ask) one span of kind CLIENT named
``"chat {gen_ai.request.model}"`` with ``gen_ai.operation.name`` (``chat``),
``gen_ai.provider.name`` (the spec's provider id), ``gen_ai.request.model``, the request
parameters that were set (``gen_ai.request.max_tokens``, ``temperature``, ``top_p``, ``top_k``,
``stop_sequences``, ``seed``, ``presence_penalty``, ``frequency_penalty``, and ``n`` as
``gen_ai.request.choice.count``), ``server.address`` and
``server.port``; at the end ``gen_ai.response.model``, ``gen_ai.response.id``,
``gen_ai.response.finish_reasons``, ``gen_ai.usage.input_tokens`` and
``gen_ai.usage.output_tokens``, or ``error.type`` and an error status.  Each retry adds a span
event ``specwire.retry``.  Metrics: ``gen_ai.client.token.usage`` (histogram, ``{token}``, with
``gen_ai.token.type`` ``input``/``output``) and ``gen_ai.client.operation.duration`` (histogram,
``s``), with the conventions' advisory bucket boundaries.

Message content (``gen_ai.input.messages`` / ``gen_ai.output.messages``, JSON) is recorded only
when ``capture_content=True`` or the environment variable
``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` is ``true``.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from typing import Any

from .observe import Callbacks, FailureEvent, FinishEvent, RequestEvent, RetryEvent, server_of

__all__ = ["Telemetry"]

#: https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-metrics/ (ExplicitBucketBoundaries)
TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864]
DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]
CAPTURE_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
OPERATION = "chat"

#: generic request field → semconv attribute
_REQUEST_ATTRS = {
    "max_output_tokens": "gen_ai.request.max_tokens",
    "temperature": "gen_ai.request.temperature",
    "top_p": "gen_ai.request.top_p",
    "top_k": "gen_ai.request.top_k",
    "stop_sequences": "gen_ai.request.stop_sequences",
    "seed": "gen_ai.request.seed",
    "presence_penalty": "gen_ai.request.presence_penalty",
    "frequency_penalty": "gen_ai.request.frequency_penalty",
    "n": "gen_ai.request.choice.count",
}


class Telemetry(Callbacks):
    """OpenTelemetry spans and metrics for every call of a :class:`~specwire.Client` or
    :class:`~specwire.router.Router` (see the module docstring).

    ``capture_content``: record the messages (default: the environment variable
    ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true``).  ``tracer_provider`` /
    ``meter_provider``: default the global ones.  Raises :class:`~specwire.ConfigError` when
    ``opentelemetry-api`` is not installed."""

    def __init__(self, *, capture_content: bool | None = None, tracer_provider: Any = None, meter_provider: Any = None) -> None:
        try:
            from opentelemetry import metrics, trace
        except ImportError:
            from .errors import ConfigError

            raise ConfigError("telemetry needs OpenTelemetry: pip install 'specwire[otel]'") from None
        from . import __version__

        if capture_content is None:
            capture_content = os.environ.get(CAPTURE_ENV, "").strip().lower() == "true"
        self.capture_content = capture_content
        self._trace = trace
        self._tracer = trace.get_tracer("specwire", __version__, tracer_provider=tracer_provider)
        meter = metrics.get_meter("specwire", __version__, meter_provider=meter_provider)
        self._tokens = _histogram(meter, "gen_ai.client.token.usage", "{token}", "Number of input and output tokens used", TOKEN_BUCKETS)
        self._duration = _histogram(meter, "gen_ai.client.operation.duration", "s", "GenAI operation duration", DURATION_BUCKETS)
        self._spans: dict[int, tuple[Any, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Telemetry(capture_content={self.capture_content})"

    # -------------------------------------------------------------- callbacks
    def on_request(self, event: RequestEvent) -> None:
        with self._lock:
            if event.call_id in self._spans:
                return  # a retry: the span covers the logical call
        common = _common(event.provider, event.model, event.url)
        attrs = dict(common)
        request = event.request
        if request is not None:
            for name, attr in _REQUEST_ATTRS.items():
                value = getattr(request, name, None)
                if value is not None:
                    attrs[attr] = list(value) if isinstance(value, (list, tuple)) else value
            if self.capture_content:
                attrs["gen_ai.input.messages"] = _input_messages(request)
        span = self._tracer.start_span(f"{OPERATION} {event.model}", kind=self._trace.SpanKind.CLIENT, attributes=attrs)
        with self._lock:
            self._spans[event.call_id] = (span, common)

    def on_retry(self, event: RetryEvent) -> None:
        entry = self._spans.get(event.call_id)
        if entry is not None:
            attrs: dict[str, Any] = {"specwire.attempt": event.attempt, "specwire.retry.delay": event.delay, "error.type": _error_type(event.error)}
            if event.deployment:
                attrs["specwire.deployment"] = event.deployment
            entry[0].add_event("specwire.retry", attributes=attrs)

    def on_finish(self, event: FinishEvent) -> None:
        span, common = self._take(event)
        response = event.response
        attrs: dict[str, Any] = {}
        if getattr(response, "model", None):
            attrs["gen_ai.response.model"] = response.model
        if getattr(response, "id", None):
            attrs["gen_ai.response.id"] = response.id
        reason = getattr(response, "finish_reason", None)
        if reason is not None:
            attrs["gen_ai.response.finish_reasons"] = [getattr(reason, "unified", None) or str(reason)]
        usage = event.usage
        inp = getattr(usage, "input_tokens", None)
        out = getattr(usage, "output_tokens", None)
        if inp is not None:
            attrs["gen_ai.usage.input_tokens"] = inp
        if out is not None:
            attrs["gen_ai.usage.output_tokens"] = out
        if self.capture_content and response is not None:  # pyright: ignore[reportUnnecessaryComparison] - the event may come from user code
            attrs["gen_ai.output.messages"] = _output_messages(response)
        span.set_attributes(attrs)
        span.end()
        metric = {**common, **({"gen_ai.response.model": attrs["gen_ai.response.model"]} if "gen_ai.response.model" in attrs else {})}
        self._duration.record(event.duration, attributes=metric)
        if inp is not None:
            self._tokens.record(inp, attributes={**metric, "gen_ai.token.type": "input"})
        if out is not None:
            self._tokens.record(out, attributes={**metric, "gen_ai.token.type": "output"})

    def on_error(self, event: FailureEvent) -> None:
        span, common = self._take(event)
        metric = dict(common)
        if event.error is not None:
            kind = _error_type(event.error)
            metric["error.type"] = kind
            span.set_attribute("error.type", kind)
            span.set_status(self._trace.Status(self._trace.StatusCode.ERROR, _safe(str(event.error))[:200]))
        span.end()
        self._duration.record(event.duration, attributes=metric)

    # -------------------------------------------------------------- helpers
    def _take(self, event: FinishEvent | FailureEvent) -> tuple[Any, dict[str, Any]]:
        with self._lock:
            entry = self._spans.pop(event.call_id, None)
        if entry is not None:
            return entry
        # no request was sent (a router call that found no deployment): a span for the outcome
        common = _common(event.provider, event.model, None)
        if event.server_address:
            common["server.address"] = event.server_address
            if event.server_port is not None:
                common["server.port"] = event.server_port
        span = self._tracer.start_span(f"{OPERATION} {event.model}", kind=self._trace.SpanKind.CLIENT, attributes=common)
        return span, common


def _histogram(meter: Any, name: str, unit: str, description: str, buckets: Sequence[float]) -> Any:
    try:
        return meter.create_histogram(name, unit=unit, description=description, explicit_bucket_boundaries_advisory=buckets)
    except TypeError:  # an opentelemetry-api without advisory boundaries
        return meter.create_histogram(name, unit=unit, description=description)


def _common(provider: str, model: str, url: str | None) -> dict[str, Any]:
    attrs: dict[str, Any] = {"gen_ai.operation.name": OPERATION, "gen_ai.provider.name": provider, "gen_ai.request.model": model}
    host, port = server_of(url or "")
    if host:
        attrs["server.address"] = host
        if port is not None:
            attrs["server.port"] = port
    return attrs


def _error_type(error: BaseException) -> str:
    """``error.type``: the error's class name (the conventions: a low-cardinality identifier)."""
    return type(error).__name__


def _safe(text: str) -> str:
    from .redact import redact_text

    return redact_text(text)


def _parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    out: list[dict[str, Any]] = []
    for part in content or ():
        text = getattr(part, "text", None)
        if isinstance(text, str):
            out.append({"type": "text", "content": text})
        else:
            out.append({"type": getattr(part, "type", type(part).__name__)})
    return out


def _input_messages(request: Any) -> str:
    """``gen_ai.input.messages``: ``[{"role", "parts": [{"type": "text", "content"}…]}…]`` as JSON
    (parts other than text are named by their type only)."""
    messages = [{"role": getattr(m, "role", "user"), "parts": _parts(getattr(m, "content", ""))} for m in request.messages]
    return json.dumps(messages, ensure_ascii=False)


def _output_messages(response: Any) -> str:
    reason = getattr(response, "finish_reason", None)
    message: dict[str, Any] = {"role": "assistant", "parts": [{"type": "text", "content": response.text}] if response.text else []}
    for call in getattr(response, "tool_calls", None) or ():
        message["parts"].append({"type": "tool_call", "id": getattr(call, "tool_call_id", None), "name": getattr(call, "tool_name", None)})
    if reason is not None:
        message["finish_reason"] = getattr(reason, "unified", None) or str(reason)
    return json.dumps([message], ensure_ascii=False)
