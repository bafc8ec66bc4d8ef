"""The router's response cache: three stores.

The key (:func:`cache_key`), the stored entry and the replay of a cached stream are shared with
:class:`specwire.Client`'s cache and defined in :mod:`specwire.response_cache` (re-exported
here).  For the router, a key's ``settings`` are the deployment's settings merged with the call's.

**Stores** (all take a TTL in seconds, ``None``: no expiry): :class:`MemoryCache` (an LRU in
this process, the default), :class:`SQLiteCache` (a file, stdlib ``sqlite3`` in WAL mode, safe
for several processes on one host), :class:`BackendCache` (the state backend's cache, e.g. Redis,
for many hosts).  The router wraps its store in a
:class:`~specwire.router.failsafe.FailSafeCache`: a store error is a miss or a skipped write.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Generator
from contextlib import contextmanager
from pathlib import Path

from ..response_cache import ResponseCache, cache_key, decode_entry, encode_entry, events_from_response
from .failsafe import OP_TIMEOUT, op_budget
from .state import InMemoryBackend, StateBackend

__all__ = ["BackendCache", "MemoryCache", "ResponseCache", "SQLiteCache", "cache_key", "decode_entry", "encode_entry", "events_from_response"]


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
