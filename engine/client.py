"""The library API: :class:`Client` and its calls (docs/ARCHITECTURE.md section 7).

A call is: resolve the model ref → read its inputs once (:class:`~specwire.call_inputs.CallInputs`)
→ build the :class:`RequestPlan` (pure) → attach auth → a :class:`~specwire.call.Run` (the
sans-IO step of the call: deadlines, hold-back, drain, retry) driven by the I/O loops of
:mod:`specwire.attempts` (send with :mod:`specwire.transport`, feed the body) → events.
``complete`` drives the same event stream as ``stream`` and returns its final response, so there
is one path for both.

Streams: iterating a :class:`Stream` sends the request and yields stream events, ending in exactly
one terminal event, ``finish`` (carrying the :class:`Response`) or ``error`` (carrying the error
and the partial response).  With ``raise_on_error=True`` (the default) the error is also raised
after the ``error`` event, so a plain ``for`` loop never swallows a failure; pass
``raise_on_error=False`` to handle errors as events only.  ``close()``/``aclose()`` or leaving the
``with``/``async with`` block releases the connection at once; a ``break`` out of a sync loop does
too, while an async generator abandoned by ``break`` is only finalized by the event loop later, so
prefer ``async with client.astream(...) as stream``.  A missing API key or an invalid option is a
usage error raised by the ``stream()`` call itself, before any event.

API keys are looked up in this order: the ``api_key=`` argument, ``Client(api_keys={provider:
key})``, then the environment variables the spec names (``env.api_key``).  A missing key raises
:class:`ConfigError` naming the variable.
"""

from __future__ import annotations

import atexit
import functools
import os
import threading
import uuid
from collections.abc import AsyncGenerator, Callable, Iterator, Mapping, Sequence
from contextlib import aclosing
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal, cast, overload

from . import hooks, observe
from .auth.credentials import Credentials
from .binding import ConnectGuard, check_credential_destination
from .call_inputs import Resolver
from .errors import ConfigError, RequestBuildError
from .lazy import defer
from .redact import Secret
from .registry import SpecRegistry, default_registry
from .retry import RetryPolicy, Timeouts
from .streams import AsyncStream, Stream
from .transport import Transport

if TYPE_CHECKING:  # httpx stays inside transport.py and auth/ (docs/ARCHITECTURE.md section 2)
    from pathlib import Path
    from typing import Unpack

    import httpx

    from .attempts import aobserved, final, final_event, observed
    from .call import Call, Run
    from .call_inputs import CallInputs
    from .catalogs import follow_deprecated
    from .request import RequestPlan, base_url_problem, build_request, check_call_options, credential_problem, request_url
    from .spec.compile import CompiledSpec
    from .types import CallWarning, Request, Response, Tool
    from .client_ops import Host
    from .op_types import EmbeddingResponse, ListedModel, TokenCount
    from .options import CallOptions, CallOptionsWithoutFormat, EmbedOptions, Messages, ModelT, OperationOptions
    from .response_cache import ClientCache
    from .validate import request_from
else:  # the call pipeline (pydantic, the spec compiler, Jinja) loads on the first call (specwire.lazy)
    defer(globals(), "specwire.attempts", "aobserved", "final", "final_event", "observed")
    defer(globals(), "specwire.call", "Call", "Run")
    defer(globals(), "specwire.catalogs", "follow_deprecated")
    defer(globals(), "specwire.request", "base_url_problem", "build_request", "check_call_options", "credential_problem", "request_url")
    defer(globals(), "specwire.validate", "request_from")

__all__ = ["AsyncStream", "Client", "Stream"]


class Client:
    """Settings, spec search path and connection pools for many calls.

    ``spec_paths``: extra spec folders (highest priority).  ``api_keys``/``base_urls``/``settings``:
    per-provider values, ``{"openai": "sk-…"}``, ``{"openai": "https://…"}``,
    ``{"azure-openai": {"deployment": "…"}}``.  ``timeout``: seconds (the read timeout) or a
    :class:`Timeouts` (connect, read, first_event, idle, total, pool); default 600 s read, 10 s
    connect.  ``max_retries`` / ``retry``: the :class:`RetryPolicy` (default 2 retries).  Both can
    be given per call too (``timeout=``, ``max_retries=``).  ``http_client``/``async_http_client``:
    your own httpx clients (they must not follow redirects).  ``transport``/``async_transport``:
    httpx transports, e.g. ``httpx.MockTransport`` in tests.  ``load_entry_points``: load
    third-party hooks from the ``specwire.hooks`` entry-point group.  ``env``: the environment
    to read keys and settings from (default ``os.environ`` at call time).  ``trusted_hosts``:
    extra hosts (fnmatch patterns) that keys from the environment may be sent to; keys are bound
    to their providers' hosts otherwise (:mod:`specwire.binding`).  ``raise_on_content_filter``:
    raise :class:`ContentFilterError` when a response finishes with ``content_filter`` (default:
    return it).  ``max_connections``: the size of each connection pool the client creates (open
    connections at once; default 100, of which 20 are kept alive when idle): raise it for many
    concurrent streams, e.g. a gateway; a call that finds the pool full waits up to the pool
    timeout.  ``async_backend``: ``"httpx"`` (default) or ``"aiohttp"`` (the ``aiohttp`` extra)
    for the connection pool of the async API; raises :class:`ConfigError` for an unknown name.
    ``callbacks``: :class:`~specwire.Callbacks` consumers run on every call (a call adds its own
    with ``callbacks=[…]``); ``telemetry``: ``True`` or a :class:`~specwire.otel.Telemetry` for
    OpenTelemetry spans and metrics (the ``otel`` extra); see docs/observability.md.
    ``strict_capabilities``: raise :class:`CapabilityError` (before any I/O) for a call that sends
    what the model's catalog entry says it cannot take (an image, a reasoning effort, tools, a JSON
    schema) instead of a warning; per call too (``strict_capabilities=``).
    ``specs``: specs built in code, each a mapping shaped as a spec file or a path to one
    ``.yaml`` file, registered above the search path (:meth:`SpecRegistry.register`; validated
    as files are, :class:`SpecError` when one has errors); without ``registry=`` the client gets a
    registry of its own, so the process-wide one is left as it is.
    ``cache``: a response cache for every call (a call opts out with ``cache=False``): ``True``
    (in memory), a mapping like the router config's ``cache:`` section (``{"backend": "sqlite",
    "path": "…", "ttl": 3600}``; ``"redis"`` with ``url_env``), a store such as
    :class:`~specwire.router.SQLiteCache`, or a state backend such as
    :class:`~specwire.router.RedisBackend`; same key and entries as the Router's
    (:mod:`specwire.response_cache`).  Raises :class:`ConfigError` for a bad value.
    ``follow_deprecated``: send a deprecated catalog model's ``replacement`` instead of it, with a
    ``deprecated-model`` warning naming both (default: send it as given, with that warning).
    """

    def __init__(
        self,
        spec_paths: Sequence[str | Path] | None = None,
        *,
        api_keys: Mapping[str, str] | None = None,
        base_urls: Mapping[str, str] | None = None,
        settings: Mapping[str, Mapping[str, Any]] | None = None,
        timeout: Timeouts | float | None = None,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
        load_entry_points: bool = True,
        env: Mapping[str, str] | None = None,
        registry: SpecRegistry | None = None,
        specs: Sequence[str | Path | Mapping[str, Any]] | None = None,
        cache: Any = None,
        trusted_hosts: list[str] | None = None,
        raise_on_content_filter: bool = False,
        async_backend: str = "httpx",
        max_connections: int | None = None,
        callbacks: Sequence[Any] | None = None,
        telemetry: Any = None,
        strict_capabilities: bool = False,
        follow_deprecated: bool = False,
    ) -> None:
        self._hooks = observe.Hooks.of([*(callbacks or ()), *observe.telemetry_consumers(telemetry)])
        if load_entry_points:
            hooks.load_entry_points()
        self._env = env
        self.registry = registry or (SpecRegistry(spec_paths, env=dict(env) if env is not None else None) if spec_paths or env is not None or specs else default_registry())
        for spec in specs or ():
            self.registry.register(spec)
        self._cache: ClientCache | None = None
        if cache is not None and cache is not False:
            from .response_cache import ClientCache

            self._cache = ClientCache.of(cache, env=env if env is not None else os.environ)
        for provider, url in (base_urls or {}).items():
            if (problem := base_url_problem(url) if isinstance(url, str) else "must be a string"):  # pyright: ignore[reportUnnecessaryIsInstance] - runtime check of user input
                raise ConfigError(f"base_urls[{provider!r}] {problem}")
        self._resolver = Resolver(
            self.registry, {k: Secret(v) for k, v in (api_keys or {}).items()}, dict(base_urls or {}),
            {k: dict(v) for k, v in (settings or {}).items()}, tuple(trusted_hosts or ()), env,
        )
        self._raise_on_content_filter = raise_on_content_filter
        if not isinstance(strict_capabilities, bool):  # pyright: ignore[reportUnnecessaryIsInstance] - runtime check of user input
            raise ConfigError("strict_capabilities must be a bool")
        self._strict_capabilities = strict_capabilities
        self._follow_deprecated = bool(follow_deprecated)  # send a deprecated model's replacement (engine/catalogs.py)
        self._timeouts = Timeouts.of(timeout)
        self._retry = retry or RetryPolicy()
        if max_retries is not None:
            self._retry = replace(self._retry, max_retries=max_retries)
        self._sleep: Callable[[float], Any] | None = None  # tests may replace the retry sleep
        t = self._timeouts
        self._transport = Transport(
            timeout=httpx_timeout(t.connect, t.read, t.pool),
            client=http_client, async_client=async_http_client, transport=transport, async_transport=async_transport,
            async_backend=async_backend, max_connections=max_connections,
        )

    def __repr__(self) -> str:
        return f"Client(providers={len(self.registry.providers())})"

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        """Close the connection pool (and the response cache the client opened)."""
        self._transport.close()
        if self._cache is not None:
            self._cache.close()

    async def aclose(self) -> None:
        """Close the connection pools (the async one of the running loop, and the sync one)."""
        await self._transport.aclose()
        if self._cache is not None:
            self._cache.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ calls
    @overload
    def complete(self, model_ref: str, messages: Messages, *, response_format: type[ModelT], **options: Unpack[CallOptionsWithoutFormat]) -> Response[ModelT]: ...
    @overload
    def complete(self, model_ref: str, messages: Messages, **options: Unpack[CallOptions]) -> Response: ...
    def complete(self, model_ref: str, messages: Messages, **options: Unpack[CallOptions]) -> Response:
        """Send one request and return the final :class:`Response`.

        ``messages``: a string, :class:`Message` objects or OpenAI-style dicts.  ``options``: the
        generic options of :class:`Request` (``max_output_tokens``, ``temperature``, ``tools``,
        ``tool_choice``, ``response_format``, ``reasoning``, ``provider_options``…) plus
        ``api_key``, ``base_url``, ``settings``, ``extra_headers``, ``timeout`` (seconds or
        :class:`Timeouts`), ``max_retries``, ``raise_on_content_filter`` (default: the
        client's) and ``callbacks`` (this call's own :class:`~specwire.Callbacks`, besides the
        client's).  Raises the error classes of :mod:`specwire.errors`; an error after the body
        began carries ``partial``.  A content-filter finish is a normal response
        (``finish_reason.unified == "content_filter"``) unless ``raise_on_content_filter`` is set:
        then :class:`~specwire.ContentFilterError` is raised with the response as ``partial``.
        Given a pydantic model class as ``response_format``, the result is typed
        ``Response[ThatClass]``: ``parsed`` is an instance of it (or ``None``).
        """
        run, key = self._run(model_ref, messages, stream=False, options=_opts(options))
        return final(self._events(run, key))

    @overload
    async def acomplete(self, model_ref: str, messages: Messages, *, response_format: type[ModelT], **options: Unpack[CallOptionsWithoutFormat]) -> Response[ModelT]: ...
    @overload
    async def acomplete(self, model_ref: str, messages: Messages, **options: Unpack[CallOptions]) -> Response: ...
    async def acomplete(self, model_ref: str, messages: Messages, **options: Unpack[CallOptions]) -> Response:
        """Async :meth:`complete`."""
        run, key = self._run(model_ref, messages, stream=False, options=_opts(options))
        async with aclosing(self._aevents(run, key)) as events:
            last = None
            async for last in events:
                pass
        return final_event(last)

    def stream(self, model_ref: str, messages: Messages, *, stream_mode: str | None = None, raise_on_error: bool = True, **options: Unpack[CallOptions]) -> Stream:
        """A :class:`Stream` of events (the request is sent when iteration starts).
        ``stream_mode`` picks one of the spec's ``stream.modes`` (Gemini: ``"sse"``)."""
        run, key = self._run(model_ref, messages, stream=True, options=_opts(options), stream_mode=stream_mode)
        return Stream(self._events(run, key), raise_on_error=raise_on_error, run=run)

    def astream(self, model_ref: str, messages: Messages, *, stream_mode: str | None = None, raise_on_error: bool = True, **options: Unpack[CallOptions]) -> AsyncStream:
        """Async :meth:`stream`: an :class:`AsyncStream` (``async for``)."""
        run, key = self._run(model_ref, messages, stream=True, options=_opts(options), stream_mode=stream_mode)
        return AsyncStream(self._aevents(run, key), raise_on_error=raise_on_error, run=run)

    # ------------------------------------------------------------------ operations besides chat
    def embed(self, model_ref: str, inputs: str | Sequence[str], **options: Unpack[EmbedOptions]) -> EmbeddingResponse:
        """Embed ``inputs`` (one string or a list) with ``model_ref``'s ``embed`` operation.

        ``dimensions`` (the vector length, where the model can shorten it), ``input_type``
        (``"query"``, ``"document"``, ``"classification"``, ``"clustering"``: what the text is for,
        where the provider asks), ``truncate`` and ``user`` are sent where the spec ``accepts``
        them and dropped with a warning elsewhere; ``api_key``, ``base_url``, ``settings``,
        ``extra_headers``, ``timeout`` and ``max_retries`` as for :meth:`complete`.  A list longer
        than the provider's batch limit is sent in several requests, in order.  Returns an
        :class:`~specwire.EmbeddingResponse` (``vectors[i]`` for ``inputs[i]``, usage, cost in USD).
        Raises :class:`~specwire.UnsupportedOperationError` for a provider without embeddings, and
        the error classes of :mod:`specwire.errors`."""
        from .client_ops import embed_sync

        return embed_sync(self._host(), self._embed_plan(model_ref, inputs, dict(options)))

    async def aembed(self, model_ref: str, inputs: str | Sequence[str], **options: Unpack[EmbedOptions]) -> EmbeddingResponse:
        """Async :meth:`embed`."""
        from .client_ops import embed_async

        return await embed_async(self._host(), self._embed_plan(model_ref, inputs, dict(options)))

    def _embed_plan(self, model_ref: str, inputs: str | Sequence[str], options: dict[str, Any]) -> Any:
        from .client_ops import embed_plan

        check_call_options(options)
        params = {k: options.pop(k) for k in ("dimensions", "input_type", "truncate", "user") if k in options}
        timeout, max_retries = options.pop("timeout", None), options.pop("max_retries", None)
        _refuse_unknown(options, "embed", ("dimensions", "input_type", "truncate", "user", *_CALL_OPTIONS[:4], "timeout", "max_retries"))
        return embed_plan(self._host(), model_ref, inputs, params=params, options=options, timeout=timeout, max_retries=max_retries)

    def list_models(self, provider: str, *, include_catalog: bool = True, **options: Unpack[OperationOptions]) -> list[ListedModel]:
        """The models ``provider``'s own ``/models`` endpoint lists, merged with its catalog: each a
        :class:`~specwire.ListedModel` (``listed``: the provider returned it; ``in_catalog``: the
        catalog has it, with prices and limits).  ``include_catalog``: also the catalog entries
        the provider did not list (``listed=False``).  Pages are followed (at most 50).  Raises
        :class:`~specwire.ModelNotFoundError` for an unknown provider,
        :class:`~specwire.UnsupportedOperationError` when its spec declares no ``list_models``."""
        from .client_ops import list_models_sync

        opts: dict[str, Any] = dict(options)
        check_call_options(opts)
        timeout, max_retries = opts.pop("timeout", None), opts.pop("max_retries", None)
        _refuse_unknown(opts, "list_models", (*_CALL_OPTIONS[:4], "timeout", "max_retries"))
        return list_models_sync(self._host(), provider, include_catalog=include_catalog, options=opts, timeout=timeout, max_retries=max_retries)

    async def alist_models(self, provider: str, *, include_catalog: bool = True, **options: Unpack[OperationOptions]) -> list[ListedModel]:
        """Async :meth:`list_models`."""
        from .client_ops import list_models_async

        opts: dict[str, Any] = dict(options)
        check_call_options(opts)
        timeout, max_retries = opts.pop("timeout", None), opts.pop("max_retries", None)
        _refuse_unknown(opts, "list_models", (*_CALL_OPTIONS[:4], "timeout", "max_retries"))
        return await list_models_async(self._host(), provider, include_catalog=include_catalog, options=opts, timeout=timeout, max_retries=max_retries)

    def count_tokens(self, model_ref: str, messages: Messages, *, tools: Sequence[Tool | Mapping[str, Any]] | None = None,
                     method: Literal["auto", "provider", "tokenizer", "estimate"] = "auto", **options: Unpack[OperationOptions]) -> TokenCount:
        """How many input tokens ``messages`` (and ``tools``) would use with ``model_ref``: a
        :class:`~specwire.TokenCount` whose ``method`` says how it was counted (:mod:`specwire.tokens`).
        ``method="auto"``: the provider's count endpoint when its spec declares one (a request,
        sent like :meth:`complete`'s), else the spec's tokenizer (tiktoken, the ``tokenizers``
        extra), else an estimate (characters ÷ 4, with a ``token-estimate`` warning).
        ``"provider"`` raises :class:`~specwire.UnsupportedOperationError` when the spec has no
        count endpoint; ``"tokenizer"`` raises :class:`~specwire.ConfigError` naming the extra when
        tiktoken or the encoding is missing (and ``UnsupportedOperationError`` when the spec
        declares none for the model)."""
        from .client_ops import count_tokens_sync

        return count_tokens_sync(self._host(), self._count_plan(model_ref, messages, tools, method, dict(options)))

    async def acount_tokens(self, model_ref: str, messages: Messages, *, tools: Sequence[Tool | Mapping[str, Any]] | None = None,
                            method: Literal["auto", "provider", "tokenizer", "estimate"] = "auto", **options: Unpack[OperationOptions]) -> TokenCount:
        """Async :meth:`count_tokens`."""
        from .client_ops import count_tokens_async

        return await count_tokens_async(self._host(), self._count_plan(model_ref, messages, tools, method, dict(options)))

    def _count_plan(self, model_ref: str, messages: Any, tools: Any, method: str, opts: dict[str, Any]) -> Any:
        from .client_ops import count_plan

        check_call_options(opts)
        timeout, max_retries = opts.pop("timeout", None), opts.pop("max_retries", None)
        _refuse_unknown(opts, "count_tokens", (*_CALL_OPTIONS[:4], "timeout", "max_retries"))
        return count_plan(self._host(), model_ref, messages, tools=tools, method=method, options=opts, timeout=timeout, max_retries=max_retries)

    def _host(self) -> Host:
        from .client_ops import Host

        return Host(self.registry, self._transport, self._retry, self._timeouts, self._sleep, self._resolver, authorize)

    def build(self, model_ref: str, messages: Messages, *, stream: bool = False, stream_mode: str | None = None, **options: Unpack[CallOptions]) -> RequestPlan:
        """The exact :class:`RequestPlan` a call would send, before auth (nothing is sent)."""
        check_call_options(options)
        _opts(options).pop("cache", None)
        spec, model, warnings = self._resolve(model_ref)
        request, call_opts = _split_options(messages, _opts(options))
        return self._plan(self._resolver.inputs(spec, model, warnings, call_opts), request, call_opts, stream=stream, stream_mode=stream_mode)

    def url(self, model_ref: str, *, stream: bool = False, stream_mode: str | None = None, base_url: str | None = None,
            settings: Mapping[str, Any] | None = None) -> str:
        """The URL a chat call of ``model_ref`` goes to with these options (``base_url`` and
        ``settings`` as for :meth:`complete`; ``stream``/``stream_mode`` as for :meth:`stream`),
        rendered from the spec's base URL, path and query without building the request: no
        message, no key, nothing sent.  The Router checks a deployment's key binding against it.
        Raises :class:`~specwire.ModelNotFoundError` for an unknown model ref,
        :class:`~specwire.ConfigError` for a missing required setting,
        :class:`~specwire.UnsupportedOperationError` for a provider without chat and
        :class:`~specwire.RequestBuildError` for a bad option or URL."""
        opts = {"base_url": base_url, "settings": settings}
        check_call_options(opts)
        spec, model, _ = self._resolve(model_ref)
        resolved = self._resolver.resolve_settings(spec, settings or {})
        return request_url(spec, model=model, settings=resolved, base_url=self._resolver.base_url(spec, opts), stream=stream, stream_mode=stream_mode)

    # ------------------------------------------------------------------ preparation
    def _events(self, run: Run, key: str | None) -> Iterator[Any]:
        """The call's events: sent, or served from the response cache under ``key``."""
        events = observed(run, self._transport)
        if key is None or self._cache is None:
            return events
        return self._cache.events(key, events, stream=run.call.stream, refuse_content_filter=run.call.raise_on_content_filter, output_type=_output_type(run))

    def _aevents(self, run: Run, key: str | None) -> AsyncGenerator[Any, None]:
        events = aobserved(run, self._transport)
        if key is None or self._cache is None:
            return events
        return self._cache.aevents(key, events, stream=run.call.stream, refuse_content_filter=run.call.raise_on_content_filter, output_type=_output_type(run))

    def _run(self, model_ref: str, messages: Any, *, stream: bool, options: dict[str, Any], stream_mode: str | None = None) -> tuple[Run, str | None]:
        """The call's :class:`Run` and its response-cache key (``None``: not cached)."""
        check_call_options(options)
        use_cache = options.pop("cache", None)
        if use_cache is not None and not isinstance(use_cache, bool):
            raise RequestBuildError(f"invalid call options: cache must be a bool, got {type(use_cache).__name__}")
        if use_cache and self._cache is None:
            raise ConfigError("cache=True needs a client with a response cache: Client(cache=...)")
        extra_headers = options.get("extra_headers")
        timeout = options.pop("timeout", None)
        max_retries = options.pop("max_retries", None)
        raise_cf = options.pop("raise_on_content_filter", None)
        callbacks = options.pop("callbacks", None)
        call = self._prepare(model_ref, messages, stream=stream, options=options, stream_mode=stream_mode)
        if raise_cf if raise_cf is not None else self._raise_on_content_filter:
            call = replace(call, raise_on_content_filter=True)
        policy = self._retry if max_retries is None else replace(self._retry, max_retries=max_retries)
        run = Run(call, policy, Timeouts.of(timeout) if timeout is not None else self._timeouts, self._sleep)
        if call.plan.warnings:
            observe.warn_call(call.plan.warnings, call.spec.provider, call.model)
        hooks = self._hooks if not callbacks else self._hooks.plus(callbacks) if self._hooks else observe.Hooks.of(callbacks)
        run.obs = observe.observer(hooks, provider=call.spec.provider, model=call.model, method=call.plan.method, url=call.plan.url,
                                   stream=stream, request=call.request)
        key = None
        if self._cache is not None and use_cache is not False and call.request is not None:
            key = self._cache.key(call.spec.provider, call.model, call.request, settings=call.settings, extra_headers=extra_headers)
        return run, key

    def _prepare(self, model_ref: str, messages: Any, *, stream: bool, options: dict[str, Any], stream_mode: str | None = None) -> Call:
        spec, model, warnings = self._resolve(model_ref)
        request, call_opts = _split_options(messages, options)
        inputs = self._resolver.inputs(spec, model, warnings, call_opts)
        plan = self._plan(inputs, request, call_opts, stream=stream, stream_mode=stream_mode)
        plan, auth = authorize(inputs, plan)
        return Call(spec, model, plan, auth, stream, stream_mode, settings=inputs.settings, request=request)

    def _resolve(self, model_ref: str) -> tuple[CompiledSpec, str, list[CallWarning]]:
        """The spec, the model (a deprecated one's replacement with ``follow_deprecated``) and the
        resolution's warnings."""
        spec, model, warnings = self.registry.resolve(model_ref)
        if self._follow_deprecated:
            model, warnings = follow_deprecated(spec, model, warnings)
        return spec, model, warnings

    def _plan(self, inputs: CallInputs, request: Request, opts: dict[str, Any], *, stream: bool, stream_mode: str | None) -> RequestPlan:
        strict = opts.get("strict_capabilities")
        return build_request(
            inputs.spec, request, model=inputs.model, stream=stream, stream_mode=stream_mode, settings=inputs.settings,
            base_url=inputs.base_url, extra_headers=opts.get("extra_headers"), warnings=list(inputs.warnings),
            strict_capabilities=self._strict_capabilities if strict is None else strict,
        )

    # ------------------------------------------------------------------ for `specwire render` (engine/cli/output.py)
    def _resolve_settings(self, spec: CompiledSpec, call: Mapping[str, Any]) -> dict[str, Any]:
        return self._resolver.resolve_settings(spec, call)

    def _auth(self, spec: CompiledSpec, api_key: str | None, settings: dict[str, Any] | None = None) -> Any:
        factory, credentials = self._auth_inputs(spec, api_key, settings)
        return factory(dict(spec.auth), credentials)

    def _auth_inputs(self, spec: CompiledSpec, api_key: str | None, settings: dict[str, Any] | None = None) -> tuple[Any, Credentials]:
        """The auth factory and the :class:`Credentials` it gets; raises ConfigError for a missing key."""
        inputs = self._resolver.inputs(spec, "", (), {"api_key": api_key}, settings=settings or {})
        return auth_inputs(inputs)


def auth_inputs(inputs: CallInputs) -> tuple[Any, Credentials]:
    """The auth factory and the :class:`Credentials` it gets (``specwire render`` asks the
    factory whether it can run offline before calling it).  Raises :class:`ConfigError` for a
    missing key or a key no HTTP header can carry."""
    spec, source = inputs.spec, inputs.key_source
    if inputs.api_key is not None and (problem := credential_problem(inputs.api_key.reveal())):
        raise ConfigError(f"the API key for {spec.provider!r} ({source}) {problem}")  # a retry cannot fix it
    factory = hooks.auth_factory(spec.auth.get("scheme", "none"))
    if inputs.api_key is None and spec.auth.get("optional"):
        factory, source = hooks.auth_factory("none"), None  # e.g. a local server run without a key
    elif inputs.api_key is None and getattr(factory, "requires_api_key", False):
        names = " or ".join(spec.env_api_key)
        hint = f"set {names} or pass api_key=…" if names else "pass api_key=…"
        raise ConfigError(f"missing API key for provider {spec.provider!r}: {hint}")
    return factory, Credentials(api_key=inputs.api_key, source=source, settings=inputs.settings, env=inputs.env, trusted_hosts=inputs.trusted_hosts)


def authorize(inputs: CallInputs, plan: RequestPlan) -> tuple[RequestPlan, httpx.Auth]:
    """``plan`` with its connect-time guard and idempotency key, and the auth that signs it.
    Raises :class:`ConfigError` when the key may not go to the plan's host."""
    factory, credentials = auth_inputs(inputs)
    spec = inputs.spec
    auth = factory(dict(spec.auth), credentials)
    # a hook that will not send the key it was given (OAuth, SigV4) checks its own destinations
    source = credentials.source if getattr(auth, "sends_key", True) else None
    reason = _destination_problem(plan.url, source, inputs.bound_hosts, inputs.trusted_hosts)
    if reason is not None:
        raise ConfigError(f"{spec.provider}: {reason}")
    guard = _guard(inputs.guard_hosts) if getattr(auth, "sends_credentials", True) else None  # checked again on the connected address
    headers = plan.headers
    if spec.idempotency_header:  # one key per logical call, the same on every retry
        headers = {**headers, spec.idempotency_header.lower(): str(uuid.uuid4())}
    if guard is not None or headers is not plan.headers:
        plan = plan.derive(guard=guard or plan.guard, headers=headers)
    return plan, auth


# Both are pure functions of their (hashable) arguments, and the same few arguments come back call
# after call: parsing the hosts once each is enough.
@functools.lru_cache(maxsize=512)
def _destination_problem(url: str, source: str | None, bound: tuple[str, ...] | None, trusted: tuple[str, ...]) -> str | None:
    return check_credential_destination(url, source=source, bound_hosts=bound, trusted_hosts=trusted)


@functools.lru_cache(maxsize=256)
def _guard(hosts: tuple[str, ...]) -> ConnectGuard:
    return ConnectGuard.of(hosts)


_CALL_OPTIONS = ("api_key", "base_url", "settings", "extra_headers", "strict_capabilities")
#: Every keyword a call takes besides the :class:`Request` fields (offered as did-you-mean too).
_OTHER_OPTIONS = (*_CALL_OPTIONS, "timeout", "max_retries", "raise_on_content_filter", "stream_mode", "raise_on_error", "cache")


def _output_type(run: Run) -> Any:
    """The call's pydantic ``response_format`` class, or ``None``."""
    output = run.call.plan.output
    return output.output_type if output is not None else None


def _refuse_unknown(options: Mapping[str, Any], what: str, known: Sequence[str]) -> None:
    """Raise :class:`RequestBuildError` (with a did-you-mean) for a keyword ``what`` does not take."""
    from .errors import RequestBuildError
    from .suggest import closest

    for name in options:
        if name not in known:
            hint = closest(name, list(known))
            raise RequestBuildError(f"{what} got an unknown option {name!r}" + (f"; did you mean {hint!r}?" if hint else ""))


def _opts(options: CallOptions) -> dict[str, Any]:
    """The options as the plain dict the machinery pops from (``**options`` is a fresh dict)."""
    return cast("dict[str, Any]", options)


def httpx_timeout(connect: float | None, read: float | None, pool: float | None) -> Any:
    from .transport import make_timeout

    return make_timeout(connect, read, pool)


def _split_options(messages: Any, options: dict[str, Any]) -> tuple[Request, dict[str, Any]]:
    call = {k: options.pop(k) for k in _CALL_OPTIONS if k in options}
    return request_from(messages, options, other_options=_OTHER_OPTIONS), call


# ---------------------------------------------------------------------------- module-level client
_default_client: Client | None = None
_default_lock = threading.Lock()


def default_client() -> Client:
    """The process-wide :class:`Client` behind ``specwire.complete`` and friends.  Its sync pool
    is closed at interpreter exit; the async pool of an event loop when that loop shuts down
    (``asyncio.run`` returning), so no socket is left open either way."""
    global _default_client
    with _default_lock:
        if _default_client is None:
            _default_client = Client()
            atexit.register(_close_default)
        return _default_client


def _close_default() -> None:
    global _default_client
    with _default_lock:
        client, _default_client = _default_client, None
    if client is not None:
        client.close()
