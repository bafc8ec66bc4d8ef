"""Cache and state backends fail safe, inside the call's deadline.

What this protects: a response cache is an optimisation and shared state (circuits, rate limits,
counters) has a per-process fallback, so neither may fail a router call or hold it past its
deadline.  Against a real ``redis-server`` on 127.0.0.1 that each test starts on a free port and
kills, freezes (SIGSTOP) and restarts, and against SQLite cache files that are locked by another
connection, corrupt (garbage bytes) or read-only: every call (sync and async, complete and
stream) still succeeds from the healthy upstream, in bounded time, and the failure is counted in
``router.snapshot()`` and logged (rate-limited) on ``specwire.router``; when Redis comes back the
router goes back to it.  Time bounds are generous (a busy machine's noise), never tight.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from specwire.router import SystemClock

from .conftest import ENV, _free_port, deployment, run_async

REDIS_ENV = "ROUTER_FAILSAFE_REDIS_URL"
SLACK = 2.5  # seconds of scheduling noise allowed on top of a bound


class RedisProc:
    """One ``redis-server`` owned by a test: ``kill``, ``freeze``/``thaw`` and ``start`` again on the
    same port.  Always reaped in the fixture's teardown."""

    def __init__(self, binary: str, folder: Path) -> None:
        self.binary, self.folder, self.port = binary, folder, _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        import redis

        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder), "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        try:
            for _ in range(250):
                try:
                    if client.ping():
                        return
                except redis.exceptions.ConnectionError:
                    time.sleep(0.02)
            pytest.fail("redis-server did not start")
        finally:
            client.close()

    def keys(self) -> list[bytes]:
        import redis

        client = redis.Redis.from_url(self.url, socket_timeout=2)
        try:
            return list(client.keys("*"))
        finally:
            client.close()

    def freeze(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)

    def kill(self) -> None:
        if self.proc is not None:
            self.thaw()
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def redis_proc(tmp_path: Path) -> Iterator[RedisProc]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install -y redis-server)")
    pytest.importorskip("redis", reason="redis-py is not installed: pip install 'specwire[redis]'")
    server = RedisProc(binary, tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


def redis_router(make_router: Any, fake: Any, server: RedisProc, **extra: Any) -> Any:
    config = {
        "router": {"retry": {"retries": 0}, "timeout": {"total": 3}},
        "state": {"backend": "redis", "url_env": REDIS_ENV, "prefix": "fs"},
        "cache": {"enabled": True, "backend": "redis"},
        "deployments": [deployment(fake, "a", "gpt-5.4", rpm=1000)],
        **extra,
    }
    return make_router(config, clock=SystemClock(), env={**ENV, REDIS_ENV: server.url})


def four_calls(router: Any, n: int) -> list[float]:
    """complete, stream, acomplete, astream, each with a distinct prompt (no cache hit): their
    durations in seconds."""
    out = []

    def timed(fn: Any) -> None:
        t0 = time.monotonic()
        fn()
        out.append(time.monotonic() - t0)

    timed(lambda: router.complete("gpt-5.4", f"c{n}"))
    timed(lambda: router.stream("gpt-5.4", f"s{n}").until_done())

    async def astream() -> Any:
        async with router.astream("gpt-5.4", f"as{n}") as s:  # type: ignore[attr-defined]
            return await s.until_done()

    timed(lambda: run_async(router, router.acomplete("gpt-5.4", f"ac{n}")))
    timed(lambda: run_async(router, astream()))
    return out


def test_redis_killed_mid_run_calls_succeed_then_redis_is_used_again(make_router: Any, fake: Any, redis_proc: RedisProc, caplog: pytest.LogCaptureFixture) -> None:
    router = redis_router(make_router, fake, redis_proc)
    four_calls(router, 0)
    assert any(k.startswith(b"fs:") for k in redis_proc.keys())
    redis_proc.kill()
    with caplog.at_level(logging.WARNING, logger="specwire.router"):
        for n in range(1, 4):
            durations = four_calls(router, n)
            assert max(durations) < 3 + SLACK
    assert fake.count("a") == 16
    snap = router.snapshot()
    assert snap.state.degraded and snap.state.errors >= 1
    warnings = [r for r in caplog.records if r.name.startswith("specwire.router") and r.levelno >= logging.WARNING]
    assert 1 <= len(warnings) <= 4  # logged once per backend, not once per call
    redis_proc.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the backend is re-tried after its backoff
        router.complete("gpt-5.4", "after")
        if not router.snapshot().state.degraded:
            break
        time.sleep(0.2)
    assert not router.snapshot().state.degraded
    router.complete("gpt-5.4", "back again")
    assert any(k.startswith(b"fs:") for k in redis_proc.keys())


def test_redis_frozen_costs_a_bounded_time_per_call(make_router: Any, fake: Any, redis_proc: RedisProc) -> None:
    router = redis_router(make_router, fake, redis_proc)
    four_calls(router, 0)
    redis_proc.freeze()
    try:
        for n in range(1, 3):
            durations = four_calls(router, n)
            assert max(durations) < 3 + SLACK
        assert router.snapshot().state.errors >= 1
    finally:
        redis_proc.thaw()
    assert fake.count("a") == 12


def test_a_dead_redis_is_not_redialled_on_every_call(make_router: Any, fake: Any, redis_proc: RedisProc) -> None:
    router = redis_router(make_router, fake, redis_proc)
    router.complete("gpt-5.4", "warm")
    redis_proc.kill()
    for n in range(20):
        router.complete("gpt-5.4", f"x{n}")
    # 20 calls make well over 100 backend operations; the backend's own breaker lets few through
    assert 1 <= router.snapshot().state.errors <= 10


def test_redis_down_at_construction_router_still_works(make_router: Any, fake: Any, redis_proc: RedisProc) -> None:
    redis_proc.kill()
    router = redis_router(make_router, fake, redis_proc)
    assert router.complete("gpt-5.4", "hi").text
    assert router.snapshot().state.degraded


# ---------------------------------------------------------------------------- sqlite
def sqlite_router(make_router: Any, fake: Any, path: Path, total: float = 8) -> Any:
    config = {
        "router": {"retry": {"retries": 0}, "timeout": {"total": total}},
        "cache": {"enabled": True, "backend": "sqlite", "path": str(path)},
        "deployments": [deployment(fake, "a", "gpt-5.4")],
    }
    return make_router(config, clock=SystemClock())


def test_locked_sqlite_cache_is_a_bounded_miss(make_router: Any, fake: Any, tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    router = sqlite_router(make_router, fake, path)
    router.complete("gpt-5.4", "cached")
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")  # WAL mode: readers go on, writers wait for the lock
        holder.execute("INSERT INTO responses VALUES ('k', x'00', NULL)")
        t0 = time.monotonic()
        assert router.complete("gpt-5.4", "cached").text
        assert router.stream("gpt-5.4", "other").until_done().text
        assert run_async(router, router.acomplete("gpt-5.4", "third")).text
        time.sleep(1.2)  # past the cache's breaker: the next write waits for the lock again
        assert router.complete("gpt-5.4", "fourth").text
        assert time.monotonic() - t0 < 1.2 + 4 * 1 + SLACK  # was 30 s per write
        assert fake.count("a") in (4, 5)  # "cached" may still be read
        assert router.snapshot().cache.errors >= 2
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    time.sleep(4.5)  # the breaker's backoff (1 s, then 2 s) ends; the lock is gone
    router.complete("gpt-5.4", "fresh")
    assert router.complete("gpt-5.4", "fresh").provider_metadata["router"]["cache_hit"] is True


def test_corrupt_sqlite_cache_file_router_constructs_cache_disabled(make_router: Any, fake: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "cache.sqlite3"
    path.write_bytes(os.urandom(8192))
    with caplog.at_level(logging.WARNING, logger="specwire.router"):
        router = sqlite_router(make_router, fake, path)
    assert any(r.name.startswith("specwire.router") for r in caplog.records)
    assert router.complete("gpt-5.4", "hi").text
    assert router.stream("gpt-5.4", "hi").until_done().text
    assert run_async(router, router.acomplete("gpt-5.4", "hi")).text
    assert fake.count("a") == 3
    snap = router.snapshot()
    assert snap.cache.degraded
    assert path.read_bytes()[:16] != b"SQLite format 3\x00"  # the file is left as it was


def test_sqlite_cache_file_corrupted_while_running_is_a_miss(make_router: Any, fake: Any, tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    router = sqlite_router(make_router, fake, path)
    router.complete("gpt-5.4", "one")
    router.cache.inner._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with open(path, "r+b") as f:
        f.write(os.urandom(4096))
    for n in range(3):
        assert router.complete("gpt-5.4", f"after {n}").text
    assert fake.count("a") == 4


def _read_only(path: Path) -> None:
    """Make ``path`` read-only for the test process (root ignores permission bits: an immutable
    flag is used then, or the test is skipped)."""
    os.chmod(path, 0o444)
    os.chmod(path.parent, 0o555)
    if os.geteuid() == 0:
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
            os.chmod(path.parent, 0o755)
            pytest.skip("running as root on a filesystem without immutable files: cannot make a read-only file")


def _writable(path: Path) -> None:
    if os.geteuid() == 0 and shutil.which("chattr"):
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)
    os.chmod(path.parent, 0o755)
    os.chmod(path, 0o644)


@pytest.mark.parametrize("fresh", [True, False], ids=["fresh-file", "wal-file"])
def test_read_only_sqlite_cache_fails_open(make_router: Any, fake: Any, tmp_path: Path, fresh: bool) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "cache.sqlite3"
    if fresh:
        sqlite3.connect(path).close()  # an empty database in rollback-journal mode
    else:
        first = sqlite_router(make_router, fake, path)
        first.complete("gpt-5.4", "x")
        first.close()
    _read_only(path)
    try:
        router = sqlite_router(make_router, fake, path)
        assert router.complete("gpt-5.4", "hi").text
        assert run_async(router, router.acomplete("gpt-5.4", "hi again")).text
        assert router.stream("gpt-5.4", "stream").until_done().text
        router.close()
    finally:
        _writable(path)


def test_cache_failures_are_logged_rate_limited(make_router: Any, fake: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "cache.sqlite3"
    router = sqlite_router(make_router, fake, path)

    class Broken:
        blocking = True

        def get(self, key: str) -> bytes | None:
            raise sqlite3.OperationalError("disk I/O error")

        def set(self, key: str, value: bytes, ttl: float | None) -> None:
            raise sqlite3.OperationalError("disk I/O error")

        def close(self) -> None:
            pass

    router2 = make_router(router.config, clock=SystemClock(), cache=Broken())
    with caplog.at_level(logging.DEBUG, logger="specwire.router"):
        for n in range(10):
            assert router2.complete("gpt-5.4", f"q{n}").text
    warns = [r for r in caplog.records if r.name.startswith("specwire.router") and r.levelno >= logging.WARNING]
    assert 1 <= len(warns) <= 2
    health = router2.snapshot().cache
    assert health.degraded and health.errors >= 1 and health.errors + health.skipped == 20  # 10 lookups, 10 writes
    assert health.last_error == "OperationalError"



# ---------------------------------------------------------------------------- units
def test_a_frozen_redis_operation_is_bounded_by_what_is_left_of_the_call(redis_proc: RedisProc) -> None:
    from specwire.router import FailSafeBackend, RedisBackend

    fs = FailSafeBackend(RedisBackend(redis_proc.url, prefix="u", op_timeout=5.0), op_timeout=5.0)
    try:
        assert fs.incr("k") == 1
        redis_proc.freeze()
        t0 = time.monotonic()
        assert fs.for_deadline(lambda: 0.3).incr("k") == 1  # answered by the per-process fallback
        elapsed = time.monotonic() - t0
        assert 0.2 < elapsed < 0.3 + SLACK  # the call's 0.3 s, not the 5 s cap
        assert fs.breaker.degraded and fs.breaker.errors == 1
        t0 = time.monotonic()
        for _ in range(50):  # the breaker is open: nothing waits on the frozen server
            fs.for_deadline(lambda: 10.0).get_counts(["k"])
        assert time.monotonic() - t0 < 0.3 + SLACK
    finally:
        redis_proc.thaw()
        fs.close()


def test_the_op_budget_never_exceeds_the_cap_nor_drops_to_zero() -> None:
    from specwire.router.failsafe import MIN_BUDGET, budget_for

    assert budget_for(None, 0.5) == 0.5
    assert budget_for(10.0, 0.5) == 0.5
    assert budget_for(0.2, 0.5) == 0.2
    assert budget_for(-3.0, 0.5) == MIN_BUDGET  # past the deadline: the bookkeeping still gets a moment


class Flaky:
    """A state backend that fails while ``down`` (the in-memory one otherwise)."""

    blocking = True

    def __init__(self) -> None:
        from specwire.router import InMemoryBackend

        self.inner, self.down, self.calls = InMemoryBackend(), False, 0

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.inner, name)

        def call(*args: Any) -> Any:
            self.calls += 1
            if self.down:
                raise ConnectionError("down")
            return target(*args)

        return call


def test_breaker_backs_off_probes_once_and_recovers() -> None:
    from specwire.router import FailSafeBackend

    flaky = Flaky()
    fs = FailSafeBackend(flaky, backoff=0.3, max_backoff=5.0)  # type: ignore[arg-type]
    assert fs.incr("rr") == 1
    flaky.down = True
    assert fs.incr("rr") == 1  # the per-process count
    calls = flaky.calls
    for _ in range(100):
        fs.incr("rr")
    assert flaky.calls == calls  # not re-dialled while the breaker is open
    time.sleep(0.4)
    fs.incr("rr")
    fs.incr("rr")
    assert flaky.calls == calls + 1  # one probe, which failed: open again (for 0.6 s)
    flaky.down = False
    time.sleep(0.7)
    assert fs.incr("rr") == 2  # back on the shared counter (1 before the outage)
    assert not fs.breaker.degraded


def test_in_flight_slots_taken_while_degraded_are_given_back_locally() -> None:
    from specwire.router import FailSafeBackend

    flaky = Flaky()
    fs = FailSafeBackend(flaky, backoff=0.05)  # type: ignore[arg-type]
    fs.incr("inflight:a")  # shared: 1
    flaky.down = True
    fs.incr("inflight:a")  # local: 1
    fs.incr("inflight:a", -1)  # the shared slot's release, while down: local stays >= 0
    fs.incr("inflight:a", -1)
    assert fs.local.get_counts(["inflight:a"]) == [0]
    fs.incr("inflight:a")  # local: 1
    flaky.down = False
    time.sleep(0.1)
    fs.incr("inflight:a", -1)  # released where it was taken, though the backend is back
    assert fs.local.get_counts(["inflight:a"]) == [0]
    assert flaky.inner.get_counts(["inflight:a"]) == [1]
