"""The response cache: the key, the stored entry, and three stores.

**Key.**  SHA-256 (hex) of the canonical JSON (``sort_keys``, compact separators, UTF-8) of::

    {"v": 1, "namespace": <cache.namespace>, "provider": <provider id>, "model": <model id>,
     "request": <the unified Request, as JSON, without `metadata`, None values dropped,
                 `provider_options` reduced to this provider's entry>,
     "settings": <the deployment's settings merged with the call's>,
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

**Stores** (all take a TTL in seconds, ``None``: no expiry): :class:`MemoryCache` (an LRU in
this process, the default), :class:`SQLiteCache` (a file, stdlib ``sqlite3`` in WAL mode, safe
for several processes on one host), :class:`BackendCache` (the state backend's cache, e.g. Redis,
for many hosts).  The router wraps its store in a
:class:`~specwire.router.failsafe.FailSafeCache`: a store error is a miss or a skipped write.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Callable, Generator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from ..safejson import loads
from ..types import (
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
from .failsafe import OP_TIMEOUT, op_budget
from .state import InMemoryBackend, StateBackend

__all__ = ["BackendCache", "MemoryCache", "ResponseCache", "SQLiteCache", "cache_key", "decode_entry", "encode_entry", "events_from_response"]

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


class BackendCache:
    """The cache of a :class:`StateBackend` (Redis: shared by every process and host)."""

    def __init__(self, backend: StateBackend, *, clock: Callable[[], float]) -> None:
        self.backend = backend
        self.blocking = backend.blocking
        self._now = clock

    def get(self, key: str) -> bytes | None:
        return self.backend.cache_get(f"cache:{key}", self._now())

    def set(self, key: str, value: bytes, ttl: float | None) -> None:
        self.backend.cache_set(f"cache:{key}", value, ttl, self._now())

    def close(self) -> None:
        """The backend is closed by its owner."""


class MemoryCache(BackendCache):
    """An in-process LRU of at most ``max_entries`` entries (the default store)."""

    def __init__(self, *, max_entries: int = 1024, clock: Callable[[], float]) -> None:
        super().__init__(InMemoryBackend(max_cache_entries=max_entries), clock=clock)


class SQLiteCache:
    """Entries in an SQLite file (``path``), shared by the processes of one host.  WAL mode, one
    connection per cache guarded by a lock; expired rows are removed when read and on
    :meth:`purge`.

    Every operation waits at most its budget (:func:`~specwire.router.failsafe.op_budget`: what
    is left of the router call, capped; else ``busy_timeout`` seconds) for the file's lock and
    this object's lock, then raises (``sqlite3.OperationalError`` or ``TimeoutError``); the
    router turns that into a miss.  A file that is not an SQLite database (or cannot be set up)
    raises ``sqlite3.DatabaseError`` here; the router then runs with its cache disabled."""

    blocking = True

    def __init__(self, path: str | Path, *, clock: Callable[[], float], busy_timeout: float = OP_TIMEOUT) -> None:
        self.path = str(path)
        self._now = clock
        self._lock = threading.Lock()
        self.busy_timeout = busy_timeout
        self._busy_ms = -1
        self._db = sqlite3.connect(self.path, timeout=busy_timeout, check_same_thread=False, isolation_level=None)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, value BLOB NOT NULL, expires REAL)")
        except BaseException:
            self._db.close()
            raise

    def __repr__(self) -> str:
        return f"SQLiteCache({self.path!r})"

    @contextmanager
    def _locked(self) -> Generator[sqlite3.Connection, None, None]:
        """The connection, with the busy timeout set to this operation's budget."""
        budget = op_budget(self.busy_timeout) or self.busy_timeout
        if not self._lock.acquire(timeout=budget):
            raise TimeoutError(f"the SQLite cache was busy for {budget:g} s")
        try:
            ms = max(int(budget * 1000), 1)
            if ms != self._busy_ms:
                self._db.execute(f"PRAGMA busy_timeout = {ms}")
                self._busy_ms = ms
            yield self._db
        finally:
            self._lock.release()

    def get(self, key: str) -> bytes | None:
        now = self._now()
        with self._locked() as db:
            row = db.execute("SELECT value, expires FROM responses WHERE key = ?", (key,)).fetchone()
            if row is None:
                return None
            if row[1] is not None and now >= row[1]:
                db.execute("DELETE FROM responses WHERE key = ? AND expires <= ?", (key, now))
                return None
            return bytes(row[0])

    def set(self, key: str, value: bytes, ttl: float | None) -> None:
        expires = None if ttl is None else self._now() + ttl
        with self._locked() as db:
            db.execute("INSERT OR REPLACE INTO responses (key, value, expires) VALUES (?, ?, ?)", (key, value, expires))

    def purge(self) -> int:
        """Delete expired rows; returns how many."""
        with self._locked() as db:
            return db.execute("DELETE FROM responses WHERE expires IS NOT NULL AND expires <= ?", (self._now(),)).rowcount

    def close(self) -> None:
        with self._lock:
            self._db.close()
