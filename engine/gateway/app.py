"""The gateway's ASGI app (Starlette): :func:`create_app`.

Endpoints: ``GET /health/live`` (200 while the process serves), ``GET /health/ready`` (200 once
the app has started, its router's state backend answers and a deployment is reachable:
:mod:`specwire.gateway.health`), and every endpoint that a spec's ``serve:`` section declares
(:mod:`specwire.gateway.wire`; providers.d/openai.yaml declares OpenAI's ``POST
/v1/chat/completions``, plain and streamed, over ``Router.acomplete``/``astream``, and ``GET
/v1/models``, the names a key may call: the router's groups and aliases, and ``POST
/v1/embeddings`` over ``Router.aembed``; providers.d/openai-responses.yaml declares ``POST
/v1/responses``, the Responses API, on the same chat handler), and ``GET /metrics``
(Prometheus text format, :mod:`specwire.gateway.metrics`; it needs a gateway key like ``/v1``).

Every ``/v1`` call needs a gateway key (``Authorization: Bearer <key>`` or ``x-api-key``;
:mod:`specwire.gateway.config`); a key may be limited to some models.  The request id is the
caller's ``x-request-id`` when it is a short token (else a new one): it is sent back as
``x-request-id``, named in the log line of the request, and sent upstream as ``x-request-id``.
A body larger than ``max_body_bytes`` is refused with 413 before it is read whole.  A key's
``rpm``/``tpm``/``budget`` are checked before every ``POST`` and settled when it ends
(:mod:`specwire.gateway.limits`).  Errors are
in the endpoint's API's shape (its spec's ``serve.error``) with their status and ``retry-after``
(:mod:`specwire.gateway.errors`).  A stream's headers go out only once the upstream
call produced its first content (an error before that is a plain HTTP error, so a 429 reaches the
client as a 429); a client that disconnects mid-stream cancels the upstream call.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ..errors import ConfigError
from .config import GatewayConfig, GatewayKey, parse_gateway, split_config
from .errors import GatewayError, classify
from .health import Readiness
from .limits import KeyLimits
from .metrics import NONE, GatewayMetrics, RequestRecord
from .wire import Endpoint, EventWriter, WireAPI, serve_sections

__all__ = ["create_app"]

log = logging.getLogger("specwire.gateway")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_HELD = frozenset({"response_start", "warning", "usage"})  # events that come before any content
Handler = Callable[[Request, "Call"], Awaitable[Response]]


class Call:
    """One request's context: its ``request_id``, the gateway ``key`` it came with, and its
    metrics ``record`` (:class:`~specwire.gateway.metrics.RequestRecord`)."""

    __slots__ = ("key", "record", "request_id")

    def __init__(self, request_id: str, key: GatewayKey | None, record: RequestRecord) -> None:
        self.request_id, self.key, self.record = request_id, key, record


class Gateway:
    """The app's state: the router, the gateway settings, readiness."""

    def __init__(self, router: Any, config: GatewayConfig, *, owns_router: bool) -> None:
        self.router, self.config, self.owns_router = router, config, owns_router
        self.ready = False
        self.readiness = Readiness(router, lambda: self.ready)
        names = set(self.model_names()) | {d.id for d in router.config.deployments}
        self.metrics = GatewayMetrics(names)
        self.limits = KeyLimits(router.backend, router.clock)  # per-key rpm/tpm/budget, in the router's shared state

    # ------------------------------------------------------------------ per request
    def request_id(self, request: Request) -> str:
        given = request.headers.get("x-request-id")
        return given if given and _REQUEST_ID.match(given) else uuid.uuid4().hex

    def authenticate(self, request: Request) -> GatewayKey | None:
        if self.config.allow_anonymous and not self.config.keys:
            return None
        auth = request.headers.get("authorization") or ""
        scheme, _, token = auth.partition(" ")
        presented = token.strip() if scheme.lower() == "bearer" else request.headers.get("x-api-key")
        key = self.config.authenticate(presented)
        if key is None:
            raise GatewayError(401, "authentication", "invalid or missing gateway key", code="invalid_api_key")
        return key

    async def body(self, request: Request) -> Any:
        cap = self.config.max_body_bytes
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > cap:
            raise GatewayError(413, "request_too_large", f"the request body is larger than {cap} bytes")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > cap:
                raise GatewayError(413, "request_too_large", f"the request body is larger than {cap} bytes")
            chunks.append(chunk)
        from ..safejson import loads

        try:
            return loads(b"".join(chunks))
        except ValueError:
            raise GatewayError(400, "invalid_request", "the request body is not valid JSON") from None

    def group_of(self, model: str) -> str | None:
        return str(self.router.resolve(model).group.name)

    def check_model(self, key: GatewayKey | None, model: str) -> None:
        if key is None:
            return
        group = self.group_of(model)  # an unknown name raises ModelNotFoundError: 404
        if not key.allows(model, group):
            raise GatewayError(403, "permission", f"this key may not use the model {model!r}", code="model_not_allowed", param="model")

    def model_names(self) -> list[str]:
        config = self.router.config
        names = list(config.groups) + [a for a in config.aliases if a not in config.groups]
        return names or [d.id for d in config.deployments]


def _endpoint(gateway: Gateway, api: WireAPI, handler: Handler, *, path: str | None = None) -> Callable[[Request], Awaitable[Response]]:
    """The Starlette endpoint of ``handler``: request id, authentication, errors in ``api``'s
    shape, the log line, and (with ``path``, the endpoint label) the request's metrics."""

    async def endpoint(request: Request) -> Response:
        started = time.monotonic()
        rid = gateway.request_id(request)
        key: GatewayKey | None = None
        limited: GatewayKey | None = None  # a key with limits, admitted: settled when the request ends
        record = RequestRecord(path or request.url.path, started)
        try:
            key = gateway.authenticate(request)
            record.key = key.name if key else NONE
            if path is not None and request.method == "POST":  # a model call: the key's limits
                limited = await gateway.limits.aadmit(key)
            response = await handler(request, Call(rid, key, record))
        except Exception as exc:  # noqa: BLE001 - every error is answered in the API's shape
            error = classify(exc)
            record.error_type = error.kind
            if error.status >= 500 and not isinstance(exc, GatewayError):
                log.error("request %s: %s: %s", rid, type(exc).__name__, exc)
            try:
                body = api.error_body(error)
            except GatewayError:  # the spec's error template failed: a plain body still says what happened
                body = {"error": {"message": error.message}}
            response = JSONResponse(body, status_code=error.status, headers=error.headers())
        response.headers["x-request-id"] = rid
        if path is not None:
            record.status = response.status_code

            async def done() -> None:
                gateway.metrics.record(record, time.monotonic())
                await gateway.limits.asettle(limited, record.input_tokens + record.output_tokens, record.cost)

            if isinstance(response, EventStream):  # recorded when the stream ends
                response.on_done = done
            else:
                await done()
        log.info("request %s key=%s %s %s -> %d (%.0f ms)", rid, key.name if key else "-", request.method, request.url.path,
                 response.status_code, (time.monotonic() - started) * 1000)
        return response

    return endpoint


# ---------------------------------------------------------------------------- handlers
async def _models(gateway: Gateway, endpoint: Endpoint, request: Request, call: Call) -> Response:
    names = [n for n in gateway.model_names() if call.key is None or call.key.allows(n, gateway.group_of(n))]
    return JSONResponse(endpoint.models_body(names))


async def _chat(gateway: Gateway, endpoint: Endpoint, request: Request, call: Call) -> Response:
    chat = endpoint.parse(await gateway.body(request))
    record = call.record
    record.model = gateway.metrics.model_label(chat.model)
    gateway.check_model(call.key, chat.model)
    reply_id = endpoint.reply_id_for(call.request_id)
    options = {**chat.options, "extra_headers": {"x-request-id": call.request_id}}
    if not chat.stream:
        response = await gateway.router.acomplete(chat.model, chat.messages, **options)
        record.add_response(response)
        return JSONResponse(endpoint.response_body(response, model=chat.model, reply_id=reply_id, request=chat.request))
    stream = gateway.router.astream(chat.model, chat.messages, raise_on_error=False, **options)
    events = stream.__aiter__()
    first: list[Any] = []
    try:
        async for event in events:
            first.append(event)
            if event.type not in _HELD:
                break
    except BaseException:
        await stream.aclose()
        raise
    if first and first[-1].type == "error":  # nothing reached the caller yet: a plain HTTP error
        await stream.aclose()
        record.add_response(first[-1].response)  # the deployment that failed
        raise first[-1].error
    if first and first[-1].type not in ("finish", "error"):
        record.first_token = time.monotonic()
    writer = EventWriter(endpoint, model=chat.model, reply_id=reply_id, include_usage=chat.include_usage, request=chat.request)

    def note(event: Any) -> Any:
        if event.type in ("finish", "error"):
            record.add_response(event.response)
            if event.type == "error":
                record.error_type = classify(event.error).kind
        return event

    async def chunks() -> AsyncGenerator[bytes, None]:
        ended = False
        try:
            for event in first:  # the writer sends its start events with the first content (after any early usage)
                ended = ended or event.type in ("finish", "error")
                yield writer.event(note(event))
            async for event in events:
                ended = ended or event.type in ("finish", "error")
                yield writer.event(note(event))
        finally:
            if not ended and record.error_type is None:
                record.error_type = "cancelled"

    return EventStream(chunks(), stream.aclose)


async def _embeddings(gateway: Gateway, endpoint: Endpoint, request: Request, call: Call) -> Response:
    embed = endpoint.parse_embeddings(await gateway.body(request))
    call.record.model = gateway.metrics.model_label(embed.model)
    gateway.check_model(call.key, embed.model)
    options = {**embed.options, "extra_headers": {"x-request-id": call.request_id}}
    response = await gateway.router.aembed(embed.model, embed.inputs, **options)
    call.record.add_response(response)
    return JSONResponse(endpoint.embeddings_body(response, model=embed.model, encoding=embed.encoding))


async def _count_tokens(gateway: Gateway, endpoint: Endpoint, request: Request, call: Call) -> Response:
    from .count import count_input_tokens

    chat = endpoint.parse(await gateway.body(request))
    call.record.model = gateway.metrics.model_label(chat.model)
    gateway.check_model(call.key, chat.model)
    return JSONResponse(endpoint.count_body(count_input_tokens(gateway.router, chat.model, chat.messages, chat.options)))


_HANDLERS: dict[str, Callable[[Gateway, Endpoint, Request, Call], Awaitable[Response]]] = {
    "chat": _chat, "models": _models, "embeddings": _embeddings, "count_tokens": _count_tokens}
_METHODS = {"chat": "POST", "models": "GET", "embeddings": "POST", "count_tokens": "POST"}


class EventStream(Response):
    """A ``text/event-stream`` response that cancels the upstream call (``on_close``) when the
    client disconnects or the stream ends."""

    media_type = "text/event-stream"

    def __init__(self, chunks: AsyncGenerator[bytes, None], on_close: Callable[[], Awaitable[None]]) -> None:
        super().__init__(content=None, headers={"cache-control": "no-cache", "x-accel-buffering": "no"})
        self.raw_headers[:] = [(k, v) for k, v in self.raw_headers if k != b"content-length"]  # streamed: chunked
        self.chunks, self.on_close = chunks, on_close
        self.on_done: Callable[[], Awaitable[None]] | None = None  # awaited once the stream has ended (metrics, limits)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})

        async def disconnected(cancel: anyio.CancelScope) -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            cancel.cancel()

        try:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(disconnected, tasks.cancel_scope)
                async for chunk in self.chunks:
                    if chunk:
                        await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                tasks.cancel_scope.cancel()
        finally:
            with anyio.CancelScope(shield=True):
                await self.chunks.aclose()
                await self.on_close()
                if self.on_done is not None:
                    await self.on_done()


# ---------------------------------------------------------------------------- the app
def create_app(
    router_or_config: Any,
    *,
    keys: list[str | Mapping[str, Any] | GatewayKey] | None = None,
    max_body_bytes: int | None = None,
    allow_anonymous: bool | None = None,
    env: Mapping[str, str] | None = None,
    **router_options: Any,
) -> Starlette:
    """The gateway as an ASGI app (see the module docstring).

    ``router_or_config``: a :class:`~specwire.router.Router` (used as it is, not closed by the
    app), or a router config (file path or dict) whose optional ``gateway:`` section gives the
    keys and limits (:mod:`specwire.gateway.config`); the app builds that router (with
    ``router_options``, e.g. ``client=``; without one, a :class:`~specwire.Client` whose pools
    hold ``gateway.max_upstream_connections`` connections) and closes it on shutdown.  ``keys``: plain key strings,
    config entries or :class:`GatewayKey` objects, added to the section's.  ``max_body_bytes``
    and ``allow_anonymous`` override the section's.  Raises :class:`~specwire.errors.ConfigError`
    (no keys and not ``allow_anonymous``; a bad ``gateway:`` section) or the router's
    :class:`~specwire.errors.SpecError`."""
    from ..router import Router

    client = None  # the upstream client the app makes (its pool sized by max_upstream_connections)
    if isinstance(router_or_config, Router):
        router, section, owns = router_or_config, None, False
    else:
        source = str(router_or_config) if isinstance(router_or_config, Path) else router_or_config
        rest, section = split_config(source)
        pool = parse_gateway(section, env=env).max_upstream_connections
        if "client" not in router_options:
            from ..client import Client

            client = router_options["client"] = Client(env=env, registry=router_options.get("registry"), max_connections=pool)
        try:
            router, owns = Router(rest, env=env, **router_options), True
        except BaseException:
            if client is not None:
                client.close()
            raise
    try:
        base = parse_gateway(section, env=env)
        extra = tuple(GatewayKey.of(k, index=len(base.keys) + i, env=env) for i, k in enumerate(keys or ()))
        config = GatewayConfig(keys=base.keys + extra, max_body_bytes=max_body_bytes or base.max_body_bytes,
                               allow_anonymous=base.allow_anonymous if allow_anonymous is None else allow_anonymous,
                               max_upstream_connections=base.max_upstream_connections)
        if not config.keys and not config.allow_anonymous:
            raise ConfigError("the gateway has no keys: list them in the config's gateway.keys (or pass allow_anonymous=True to serve without)")
        endpoints = _endpoints(router.registry)
    except BaseException:
        if owns:
            router.close()
        if client is not None:
            client.close()
        raise
    gateway = Gateway(router, config, owns_router=owns)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncGenerator[None, None]:
        gateway.ready = True
        try:
            yield
        finally:
            gateway.ready = False
            if gateway.owns_router:
                await router.aclose()
            if client is not None:
                await client.aclose()

    async def live(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def ready(request: Request) -> Response:
        status, body = await gateway.readiness.check()
        return JSONResponse(body, status_code=status)

    async def metrics(request: Request, call: Call) -> Response:
        body, content_type = gateway.metrics.exposition()
        return Response(body, headers={"content-type": content_type})

    def bind(endpoint: Endpoint) -> Handler:
        fn = _HANDLERS[endpoint.operation]

        async def handler(request: Request, call: Call) -> Response:
            return await fn(gateway, endpoint, request, call)

        return handler

    routes = [Route("/health/live", live, methods=["GET"]), Route("/health/ready", ready, methods=["GET"])]
    routes += [Route(ep.path, _endpoint(gateway, ep.api, bind(ep), path=ep.path), methods=[_METHODS[ep.operation]]) for ep in endpoints]
    plain = next((ep.api for ep in endpoints if ep.operation == "models"), endpoints[0].api)  # /metrics errors: the API that lists models
    routes.append(Route("/metrics", _endpoint(gateway, plain, metrics), methods=["GET"]))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.gateway = gateway
    return app


def _endpoints(registry: Any) -> list[Endpoint]:
    """The endpoints of every ``serve:`` section on the registry's search path (one path each)."""
    endpoints: list[Endpoint] = []
    seen: dict[tuple[str, str], str] = {}
    for provider, section in serve_sections(registry):
        for endpoint in WireAPI(section, name=provider).endpoints:
            where = (endpoint.path, endpoint.operation)
            if where in seen:
                raise ConfigError(f"the specs {seen[where]!r} and {provider!r} both serve {endpoint.path}")
            seen[where] = provider
            endpoints.append(endpoint)
    if not endpoints:
        raise ConfigError("no spec on the search path has a serve: section: the gateway has no API to speak")
    return endpoints
