"""The response cache shared by :class:`specwire.Client` (``Client(cache=...)``) and the Router:
the key, the stored entry, the replay of a cached stream, and the Client's use of a store.

**Key.**  SHA-256 (hex) of the canonical JSON (``sort_keys``, compact separators, UTF-8) of::

    {"v": 1, "namespace": <cache.namespace>, "provider": <provider id>, "model": <model id>,
     "request": <the unified Request, as JSON, without `metadata`, None values dropped,
                 `provider_options` reduced to this provider's entry>,
     "settings": <the settings of the call: the client's (a router deployment's) merged with the call's>,
     "extra_headers": <the call's extra headers, names lower-cased>}

So the key covers the messages (every part, including images and tool results), ``tools``,
``tool_choice``, ``max_output_tokens``, ``temperature``, ``top_p``, ``top_k``,
``stop_sequences``, ``seed``, ``presence_penalty``, ``frequency_penalty``, ``response_format``,
``reasoning``, ``parallel_tool_calls``, ``user`` (so one end-user's answer is not served to
another), this provider's ``provider_options``, settings (an Azure deployment name, an API
version) and extra headers (beta flags).  Left out: ``metadata`` (tags for the provider's logs,
no effect on the output), the base URL, the API key, timeouts, retries, ``stream`` and
``stream_mode`` (a streamed and a non-streamed call share entries).

**Entry.**  JSON ``{"v": 1, "response": <Response>, "events": [<stream events>] | null}``.  A
streamed call stores its events exactly as the caller saw them, and a cached stream replays that
same sequence; an entry written by ``complete`` has no events, and a stream served from it
re-emits the standard grammar from the final response (``response_start``, each part's
start/one delta/end, ``usage``, ``finish``).  Only finished responses are stored.

**Stores**: the Router's (:mod:`specwire.router.cache`): :class:`~specwire.router.MemoryCache`,
:class:`~specwire.router.SQLiteCache`, :class:`~specwire.router.BackendCache` over a state
backend such as :class:`~specwire.router.RedisBackend`.  A store's error is a miss or a skipped
write (:class:`~specwire.router.FailSafeCache`), never a failed call.

**The Client's cache** (:class:`ClientCache`): ``Client(cache=...)`` takes ``True`` (an
in-process LRU), a mapping shaped like the router config's ``cache:`` section
(``{"backend": "memory" | "sqlite" | "redis", "path": ..., "ttl": 3600, "max_entries": 1024,
"namespace": "", "url_env": "REDIS_URL", "prefix": "specwire:client"}``; Redis's URL, which may
hold a password, is read from the variable ``url_env``), a store (an object with ``get``/``set``/``close``), or a
:class:`~specwire.router.StateBackend` (its cache, e.g. Redis).  Every ``complete``,
``acomplete``, ``stream`` and ``astream`` of the client is then served from the cache when it
can be, unless the call says ``cache=False``; a hit's response carries
``provider_metadata["cache"] == {"hit": True}``, sends nothing and runs no callbacks.  Errors and
``error`` finishes are never stored; a stored content-filter finish is not served to a call that
asked to raise on one.  Entries hold the response and its events only: no API key, header or
base URL (the key is a hash, so settings and headers enter the store only as part of it).
Module pure of I/O except the stores it is given (httpx-free).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator, Mapping
from typing import Any, Protocol

from .errors import ConfigError
from .safejson import loads
from .types import (
    CallWarning,
    Finish,
    ReasoningDelta,
    ReasoningEnd,
    ReasoningPart,
    ReasoningStart,
    Request,
    Response,
    ResponseStart,
    TextDelta,
    TextEnd,
    TextPart,
    TextStart,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallPart,
    ToolCallStart,
    Usage,
    UsageUpdate,
    WarningEvent,
)

__all__ = ["ClientCache", "ResponseCache", "cache_key", "decode_entry", "encode_entry", "events_from_response"]

_EVENT_TYPES: dict[str, type[Any]] = {
    "response_start": ResponseStart, "text_start": TextStart, "text_delta": TextDelta, "text_end": TextEnd,
    "reasoning_start": ReasoningStart, "reasoning_delta": ReasoningDelta, "reasoning_end": ReasoningEnd,
    "tool_call_start": ToolCallStart, "tool_call_delta": ToolCallDelta, "tool_call_end": ToolCallEnd,
    "usage": UsageUpdate, "warning": WarningEvent, "finish": Finish,
}


_PARTS: dict[str, type[Any]] = {"text_end": TextPart, "reasoning_end": ReasoningPart, "tool_call_end": ToolCallPart}
_VALUES: dict[str, type[Any]] = {"usage": Usage, "warning": CallWarning, "response": Response}


def _event(data: dict[str, Any]) -> Any:
    """A stream event from its ``model_dump(mode="json")`` form."""
    kind = data["type"]
    kwargs = {k: v for k, v in data.items() if k != "type"}
    if "part" in kwargs:
        kwargs["part"] = _PARTS[kind].model_validate(kwargs["part"])
    for name, model in _VALUES.items():
        if name in kwargs and kwargs[name] is not None:
            kwargs[name] = model.model_validate(kwargs[name])
    return _EVENT_TYPES[kind](**kwargs)


def cache_key(provider: str, model: str, request: Request, *, settings: Mapping[str, Any] | None = None,
              extra_headers: Mapping[str, str] | None = None, namespace: str = "") -> str:
    """The cache key of a call (see the module docstring)."""
    body = request.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"metadata", "provider_options"})
    own = request.provider_options.get(provider)
    if own:
        body["provider_options"] = own
    material = {
        "v": 1,
        "namespace": namespace,
        "provider": provider,
        "model": model,
        "request": body,
        "settings": dict(settings or {}),
        "extra_headers": {k.lower(): v for k, v in (extra_headers or {}).items()},
    }
    text = json.dumps(material, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def encode_entry(response: Response, events: list[Any] | None) -> bytes:
    data = {
        "v": 1,
        "response": response.model_dump(mode="json"),
        "events": None if events is None else [e.model_dump(mode="json") for e in events],
    }
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def decode_entry(raw: bytes) -> tuple[Response, list[Any] | None] | None:
    """``(response, events or None)``, or ``None`` for an entry this version cannot read (or one
    that is not what this version wrote: a shared cache is read like provider JSON, depth-capped)."""
    try:
        data = loads(raw)
        if data.get("v") != 1:
            return None
        response = Response.model_validate(data["response"])
        events = None
        if data.get("events") is not None:
            events = [_event(e) for e in data["events"]]
        return response, events
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None


def events_from_response(response: Response) -> list[Any]:
    """The standard event grammar for a finished response (a cached ``complete`` replayed as a
    stream): ``response_start``, warnings, each part as start / one delta / end, usage, finish."""
    out: list[Any] = [ResponseStart(provider=response.provider, model=response.model)]
    out += [WarningEvent(warning=w) for w in response.warnings]
    for i, part in enumerate(response.parts):
        if part.type == "text":
            out += [TextStart(index=i), TextDelta(index=i, delta=part.text), TextEnd(index=i, part=part)]
        elif part.type == "reasoning":
            out += [ReasoningStart(index=i)]
            if part.text:
                out.append(ReasoningDelta(index=i, delta=part.text))
            out.append(ReasoningEnd(index=i, part=part))
        elif part.type == "tool_call":
            args = part.arguments_text if part.arguments_text is not None else json.dumps(part.arguments or {}, ensure_ascii=False)
            out += [ToolCallStart(index=i, tool_call_id=part.tool_call_id, tool_name=part.tool_name),
                    ToolCallDelta(index=i, delta=args), ToolCallEnd(index=i, part=part)]
    if response.usage is not None:
        out.append(UsageUpdate(usage=response.usage))
    out.append(Finish(response=response))
    return out


class ResponseCache(Protocol):
    """A byte store with TTLs.  ``blocking`` stores do I/O (the async router offloads them)."""

    blocking: bool

    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes, ttl: float | None) -> None: ...

    def close(self) -> None: ...




# ---------------------------------------------------------------------------- the Client's cache
#: The keys of a ``Client(cache={...})`` mapping (the router config's ``cache:`` section, plus
#: Redis's ``url_env``/``prefix``, which the router reads from its ``state:`` section).
_SETTINGS = ("backend", "path", "ttl", "max_entries", "namespace", "url_env", "prefix")


class ClientCache:
    """A store behind :class:`specwire.Client` (see the module docstring): ``store`` (a
    :class:`~specwire.router.FailSafeCache`), ``ttl`` (seconds, ``None``: no expiry),
    ``namespace`` (part of every key), ``owned`` (the client closes the store).  Build it with
    :meth:`of`."""

    def __init__(self, store: Any, *, ttl: float | None = 3600.0, namespace: str = "", owned: bool = False) -> None:
        self.store, self.ttl, self.namespace, self.owned = store, ttl, namespace, owned

    def __repr__(self) -> str:
        return f"ClientCache({self.store!r}, ttl={self.ttl!r})"

    @classmethod
    def of(cls, value: Any, *, env: Mapping[str, str]) -> ClientCache | None:
        """The cache for ``Client(cache=value)``: ``None``/``False`` (none), ``True``, a mapping,
        a store, a state backend or a :class:`ClientCache`.  Raises :class:`ConfigError` for
        anything else, an unknown mapping key or backend, or a store that cannot be opened."""
        import time

        from .router.cache import BackendCache
        from .router.failsafe import FailSafeCache

        if value is None or value is False:
            return None
        if isinstance(value, ClientCache):
            return value
        if value is True:
            value = {}
        if isinstance(value, Mapping):
            return cls._configured(value, env)  # pyright: ignore[reportUnknownArgumentType] - any user mapping
        if hasattr(value, "cache_get") and hasattr(value, "cache_set"):  # a StateBackend (Redis…)
            return cls(FailSafeCache(BackendCache(value, clock=time.time), what="response cache"))
        if all(callable(getattr(value, name, None)) for name in ("get", "set", "close")):
            return cls(value if isinstance(value, FailSafeCache) else FailSafeCache(value))
        raise ConfigError(f"cache must be True, a mapping, a response store or a state backend, not {type(value).__name__}")

    @classmethod
    def _configured(cls, conf: Mapping[str, Any], env: Mapping[str, str]) -> ClientCache:
        import time

        from .router.cache import BackendCache, MemoryCache, SQLiteCache
        from .router.failsafe import FailSafeCache

        unknown = sorted(set(conf) - set(_SETTINGS))
        if unknown:
            raise ConfigError(f"cache has no key(s) {', '.join(map(str, unknown))}; it takes: {', '.join(_SETTINGS)}")
        backend = conf.get("backend", "memory")
        ttl = conf.get("ttl", 3600.0)
        if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or ttl <= 0):
            raise ConfigError("cache ttl must be a positive number of seconds or None")
        namespace = conf.get("namespace", "")
        if not isinstance(namespace, str):
            raise ConfigError("cache namespace must be a string")
        if backend == "memory":
            store: Any = MemoryCache(max_entries=int(conf.get("max_entries", 1024)), clock=time.time)
        elif backend == "sqlite":
            if not conf.get("path"):
                raise ConfigError("cache backend sqlite needs a path")
            try:
                store = SQLiteCache(conf["path"], clock=time.time)
            except Exception as exc:  # noqa: BLE001 - sqlite3.DatabaseError, OSError…: refused at construction
                raise ConfigError(f"cannot open the SQLite response cache {conf['path']}: {type(exc).__name__}") from None
        elif backend == "redis":
            from .router.redis_backend import RedisBackend

            if not conf.get("url_env"):
                raise ConfigError("cache backend redis needs url_env (the environment variable holding the redis:// URL)")
            state = RedisBackend.from_env(conf["url_env"], env=env, prefix=conf.get("prefix", "specwire:client"))
            store = _OwningBackendCache(BackendCache(state, clock=time.time))
        else:
            raise ConfigError(f"unknown cache backend {backend!r}; use memory, sqlite or redis")
        return cls(FailSafeCache(store, what=f"{backend} response cache"), ttl=ttl, namespace=namespace, owned=True)

    # -------------------------------------------------------------- lookups
    def key(self, provider: str, model: str, request: Request, *, settings: Mapping[str, Any] | None, extra_headers: Mapping[str, str] | None) -> str:
        return cache_key(provider, model, request, settings=settings, extra_headers=extra_headers, namespace=self.namespace)

    def lookup(self, key: str, *, refuse_content_filter: bool = False) -> tuple[Response, list[Any] | None] | None:
        """The entry of ``key`` (a miss on any store error or unreadable entry)."""
        raw = self.store.get(key)
        entry = decode_entry(raw) if raw is not None else None
        if entry is not None and refuse_content_filter and _finish(entry[0]) == "content_filter":
            return None
        return entry

    def save(self, key: str, response: Response, events: list[Any] | None) -> None:
        """Store a finished response (an ``error`` finish is not stored)."""
        if _finish(response) != "error":
            self.store.set(key, encode_entry(response, events), self.ttl)

    def close(self) -> None:
        if self.owned:
            self.store.close()

    # -------------------------------------------------------------- event streams
    def events(self, key: str, events: Iterator[Any], *, stream: bool, refuse_content_filter: bool = False, output_type: Any = None) -> Iterator[Any]:
        """``events`` (a call not started yet), or the cached entry of ``key`` replayed instead;
        a call that finishes is stored (with its events when ``stream``).  ``output_type``: the
        call's pydantic ``response_format`` class (a hit's ``parsed`` is validated into it)."""
        hit = self.lookup(key, refuse_content_filter=refuse_content_filter)
        if hit is not None:
            _close(events)
            yield from replay(*hit, output_type=output_type)
            return
        seen: list[Any] = []
        try:
            for event in events:
                if stream:
                    seen.append(event)
                if isinstance(event, Finish):
                    self.save(key, event.response, seen if stream else None)
                yield event
        finally:
            _close(events)

    async def aevents(self, key: str, events: AsyncIterator[Any], *, stream: bool, refuse_content_filter: bool = False, output_type: Any = None) -> AsyncGenerator[Any, None]:
        """Async :meth:`events` (a blocking store runs in a worker thread)."""
        hit = await self._off(self.lookup, key, refuse_content_filter=refuse_content_filter)
        if hit is not None:
            await _aclose(events)
            for event in replay(*hit, output_type=output_type):
                yield event
            return
        seen: list[Any] = []
        try:
            async for event in events:
                if stream:
                    seen.append(event)
                if isinstance(event, Finish):
                    await self._off(self.save, key, event.response, seen if stream else None)
                yield event
        finally:
            await _aclose(events)

    async def _off(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if getattr(self.store, "blocking", False):
            return await asyncio.to_thread(fn, *args, **kwargs)
        return fn(*args, **kwargs)


class _OwningBackendCache:
    """A :class:`~specwire.router.BackendCache` whose state backend the client created: closing
    the cache closes the backend's connections too."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.blocking = inner.blocking

    def __repr__(self) -> str:
        return repr(self.inner.backend)

    def get(self, key: str) -> bytes | None:
        value: bytes | None = self.inner.get(key)
        return value

    def set(self, key: str, value: bytes, ttl: float | None) -> None:
        self.inner.set(key, value, ttl)

    def close(self) -> None:
        self.inner.backend.close()


def replay(response: Response, events: list[Any] | None, *, output_type: Any = None) -> list[Any]:
    """The events of a cache hit: the stored stream, or the grammar rebuilt from the response,
    ending in a ``finish`` whose response says ``provider_metadata["cache"] == {"hit": True}``
    (and whose stored ``parsed``, JSON once stored, is validated into ``output_type`` when given)."""
    update: dict[str, Any] = {"provider_metadata": {**response.provider_metadata, "cache": {"hit": True}}}
    if output_type is not None and response.parsed is not None:
        update["parsed"] = output_type.model_validate(response.parsed)
    hit = response.model_copy(update=update)
    seq = list(events) if events else events_from_response(response)
    return [*seq[:-1], Finish(response=hit)]


def _finish(response: Response) -> str | None:
    return response.finish_reason.unified if response.finish_reason is not None else None


def _close(events: Any) -> None:
    close = getattr(events, "close", None)
    if close is not None:
        close()


async def _aclose(events: Any) -> None:
    close = getattr(events, "aclose", None)
    if close is not None:
        await close()
