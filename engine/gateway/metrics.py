"""The gateway's Prometheus metrics (``GET /metrics``): :class:`GatewayMetrics`.

Each app has its own :class:`prometheus_client.CollectorRegistry` (never the process-wide default
one), so two apps in one process keep apart.  The metrics (names after the OpenTelemetry GenAI
conventions, in Prometheus form: https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-metrics/
and https://prometheus.io/docs/practices/naming/):

* ``specwire_gateway_requests_total{endpoint,model,deployment,key,status}``: requests answered;
* ``specwire_gateway_errors_total{endpoint,model,deployment,key,error_type}``: requests that ended
  in an error (before or during a stream), ``error_type`` the gateway's error kind
  (:class:`~specwire.gateway.errors.GatewayError`), or ``cancelled`` for a stream the client left;
* ``specwire_gateway_tokens_total{endpoint,model,deployment,key,direction}``: tokens,
  ``direction`` ``input`` or ``output``, as the provider reported them;
* ``specwire_gateway_cost_usd_total{endpoint,model,deployment,key}``: cost in USD (from the
  model catalogs; a call of unknown price adds nothing);
* ``specwire_gateway_request_duration_seconds{endpoint,model,deployment,key}`` (histogram): from
  the request's arrival to its last byte (a stream's end);
* ``specwire_gateway_time_to_first_token_seconds{endpoint,model,deployment,key}`` (histogram,
  streams only): from the request's arrival to the first content event.

Labels stay bounded: ``key`` is the gateway key's *name* (never the key; ``none`` without one),
``model`` the requested name only when the router config names it (a group, an alias or a
deployment id; else ``unknown``), ``deployment`` the deployment id the router reported in
``provider_metadata["router"]["deployment"]``: the one that served the call, or for a failed
stream (midway or before its first content) the one of its last attempt (``none`` when no
deployment was tried, and for a failed non-streamed call).
Needs the ``prometheus_client`` package (the ``gateway`` extra), imported when an app is built.

Several worker processes (``specwire serve --workers N``): prometheus_client's multiprocess mode
(https://prometheus.github.io/client_python/multiprocess/).  When :data:`MULTIPROC_ENV` names a
directory (``specwire serve`` makes a temporary one before the workers start and removes it on
exit), each process writes its values to files there and :meth:`GatewayMetrics.exposition`
answers with the sums over every process's files, whichever worker serves ``/metrics``; the
apps of one process then share those totals.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from typing import Any

__all__ = ["MULTIPROC_ENV", "NONE", "GatewayMetrics", "RequestRecord"]

#: The environment variable naming prometheus_client's multiprocess directory.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

#: The label value of a label that does not apply (no key, no deployment, no model).
NONE = "none"
_BASE = ("endpoint", "model", "deployment", "key")
_DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0)
_TTFT_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0)


class RequestRecord:
    """What one request adds to the metrics, filled in as it is served: the ``endpoint`` path,
    ``model``/``deployment``/``key`` labels, the ``status``, the ``error_type`` (or ``None``), the
    monotonic times ``started`` and ``first_token`` (seconds), ``input_tokens``,
    ``output_tokens`` and ``cost`` (USD)."""

    __slots__ = ("cost", "deployment", "endpoint", "error_type", "first_token", "input_tokens", "key", "model",
                 "output_tokens", "started", "status")

    def __init__(self, endpoint: str, started: float) -> None:
        self.endpoint, self.started = endpoint, started
        self.model = self.deployment = self.key = NONE
        self.status = 0
        self.error_type: str | None = None
        self.first_token: float | None = None
        self.input_tokens = self.output_tokens = 0
        self.cost = 0.0

    def add_response(self, response: Any) -> None:
        """Take the deployment, usage and cost of a :class:`~specwire.types.Response` (a routed
        reply, or a stream's final or partial one)."""
        meta = (getattr(response, "provider_metadata", None) or {}).get("router") or {}
        if meta.get("deployment"):
            self.deployment = str(meta["deployment"])
        usage = getattr(response, "usage", None)
        if usage is not None:
            self.input_tokens += usage.input_tokens or 0
            self.output_tokens += usage.output_tokens or 0
        cost = getattr(response, "cost", None)
        if cost is not None:
            self.cost += float(cost.total)


class GatewayMetrics:
    """The metrics of one gateway app (see the module docstring), in their own registry.
    ``model_names``: the names the ``model`` label may take (others become ``unknown``)."""

    def __init__(self, model_names: Collection[str]) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.model_names = frozenset(model_names)
        path = os.environ.get(MULTIPROC_ENV)
        #: The multiprocess directory the values are written to, or ``None`` (in this process only).
        self.multiprocess_dir = path if path and os.path.isdir(path) else None
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("specwire_gateway_requests", "Requests answered by the gateway.", [*_BASE, "status"], registry=r)
        self.errors = Counter("specwire_gateway_errors", "Requests that ended in an error, by the gateway's error kind.",
                              [*_BASE, "error_type"], registry=r)
        self.tokens = Counter("specwire_gateway_tokens", "Tokens the providers reported, by direction (input, output).",
                              [*_BASE, "direction"], registry=r)
        self.cost = Counter("specwire_gateway_cost_usd", "Cost of the calls in USD (model catalog prices).", list(_BASE), registry=r)
        self.duration = Histogram("specwire_gateway_request_duration_seconds", "Time from a request's arrival to its last byte.",
                                  list(_BASE), buckets=_DURATION_BUCKETS, registry=r)
        self.ttft = Histogram("specwire_gateway_time_to_first_token_seconds", "Time from a streamed request's arrival to its first content.",
                              list(_BASE), buckets=_TTFT_BUCKETS, registry=r)

    def model_label(self, model: str) -> str:
        """``model`` when the router config names it, else ``unknown`` (bounded label values)."""
        return model if model in self.model_names else "unknown"

    def record(self, rec: RequestRecord, now: float) -> None:
        """Add one finished request (``now``: the monotonic time it ended, seconds)."""
        base = (rec.endpoint, rec.model, rec.deployment, rec.key)
        self.requests.labels(*base, str(rec.status)).inc()
        if rec.error_type is not None:
            self.errors.labels(*base, rec.error_type).inc()
        if rec.input_tokens:
            self.tokens.labels(*base, "input").inc(rec.input_tokens)
        if rec.output_tokens:
            self.tokens.labels(*base, "output").inc(rec.output_tokens)
        if rec.cost:
            self.cost.labels(*base).inc(rec.cost)
        self.duration.labels(*base).observe(max(0.0, now - rec.started))
        if rec.first_token is not None:
            self.ttft.labels(*base).observe(max(0.0, rec.first_token - rec.started))

    def exposition(self) -> tuple[bytes, str]:
        """The metrics in Prometheus' text format (in multiprocess mode: summed over the
        processes), and its content type."""
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

        if self.multiprocess_dir is None:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        from prometheus_client.multiprocess import MultiProcessCollector

        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]  # prometheus_client leaves it unannotated
        return generate_latest(registry), CONTENT_TYPE_LATEST
