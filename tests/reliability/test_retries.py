"""The retry loop against a real loopback server (docs/RELIABILITY.md section 1 and the first eleven rows
of its section 4 checklist): which statuses are retried and how often, ``x-should-retry``,
``retry-after-ms``/``retry-after`` (seconds and HTTP-date, junk ignored), the ``max_retry_after``
cap (no sleep, the hint handed to the caller), jittered exponential backoff within its bounds, the
total deadline covering every attempt and sleep, connection errors and connect timeouts retried,
pool exhaustion not retried, and one idempotency key per logical call.

What this protects: a retry loop that retries the wrong things (a 400, a full pool) multiplies load
and cost, one that sleeps on a 2-minute ``retry-after`` stalls the caller, and one without a
total deadline turns a flapping provider into an unbounded hang.  Every row runs sync and async,
through ``Client.complete``/``stream`` and ``acomplete``/``astream``, with the retry sleeps
recorded (not slept) except in the timing rows marked ``real_sleeps``.
"""

from __future__ import annotations

import email.utils
import random
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

import specwire.attempts
from specwire import (
    APITimeoutError,
    BadRequestError,
    ConflictError,
    ConnectTimeout,
    DeadlineExceeded,
    PoolExhaustedError,
    RateLimitError,
    ServerError,
    TransportError,
)
from specwire.retry import RetryPolicy, Timeouts
from tests.hostile.server import HostileServer, Reply, Stall, openai_error, openai_ok, openai_sse, stream_reply
from tests.reliability.helpers import MODELS, Driver, expect_error, make_client, spec_file

GPT = MODELS["openai"]
RETRIED = (408, 429, 500, 502, 503, 504, 529)
NEVER_RETRIED = (400, 401, 403, 404, 413, 422)


def _call(d: Driver, stream: bool, model: str = GPT, **kw: Any) -> Any:
    return d.call(stream, model, **kw)


# ---------------------------------------------------------------------------- retry_status_matrix
@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
def test_retry_status_matrix(drive: Any, hostile: HostileServer, sleeps: list[float], stream: bool) -> None:
    """408/429/500/502/503/504/529 are retried up to ``max_retries`` (2) and then succeed, or fail
    after exactly 3 attempts; 400/401/403/404/413/422 are never retried (openai ``_should_retry``;
    docs/RELIABILITY.md section 1 rule 1)."""
    d = drive(hostile)
    for status in RETRIED:
        start, before = hostile.count, len(sleeps)
        hostile.script(openai_error(status), openai_error(status), openai_ok(stream))
        out = _call(d, stream)
        assert out.error is None, f"{status}: {out.describe()}"
        assert (out.response or out.partial).text == "Hello"
        assert hostile.count - start == 3, f"{status}: expected 3 attempts, got {hostile.count - start}"
        assert len(sleeps) - before == 2
        # three failures exhaust max_retries=2: the third error is raised, no fourth attempt
        start = hostile.count
        hostile.script(openai_error(status), openai_error(status), openai_error(status), openai_ok(stream))
        out = _call(d, stream)
        err = expect_error(out, specwire.APIStatusError)
        assert err.status == status and hostile.count - start == 3, f"{status}: {out.describe()} after {hostile.count - start} attempts"
        hostile.script()  # drop the unused success
    for status in NEVER_RETRIED:
        start, before = hostile.count, len(sleeps)
        hostile.script(openai_error(status, type_="invalid_request_error"), openai_ok(stream))
        out = _call(d, stream)
        err = expect_error(out, specwire.APIStatusError)
        assert err.status == status
        assert hostile.count - start == 1, f"{status} was retried"
        assert len(sleeps) == before
        hostile.script()
    assert d.leaks(hostile) == []


# ---------------------------------------------------------------------------- retry_409_opt_in
def test_retry_409_opt_in(drive: Any, hostile: HostileServer, sleeps: list[float]) -> None:
    """409 is not retried by default (the SDKs do retry it; docs/RELIABILITY.md section 1 makes it
    opt-in), and is retried by a spec that lists it in ``retry.statuses``
    (tests/reliability/specs/openai-409.yaml)."""
    d = drive(hostile)
    hostile.script(openai_error(409, type_="conflict"), openai_ok(False))
    out = d.complete(GPT)
    expect_error(out, ConflictError)
    assert hostile.count == 1 and sleeps == []

    d409 = drive(hostile, "openai-409", base_urls={"openai-409": hostile.url("/v1")})
    hostile.script(openai_error(409, type_="conflict"), openai_error(409, type_="conflict"), openai_ok(False))
    out = d409.complete("openai-409:gpt-hostile")
    assert out.error is None, out.describe()
    assert hostile.count == 1 + 3 and len(sleeps) == 2


# ---------------------------------------------------------------------------- x_should_retry_header
@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
def test_x_should_retry_header(drive: Any, hostile: HostileServer, sleeps: list[float], stream: bool) -> None:
    """``x-should-retry: true`` makes a 400 retried, ``false`` stops a 500 from being retried; both
    stay within ``max_retries`` (Stainless ``_should_retry``)."""
    d = drive(hostile)
    yes = ("x-should-retry", "true")
    hostile.script(openai_error(400, "try again", "invalid_request_error", None, yes), openai_ok(stream))
    out = _call(d, stream)
    assert out.error is None and hostile.count == 2, out.describe()

    start = hostile.count
    hostile.script(*[openai_error(400, "again", "invalid_request_error", None, yes)] * 5)
    out = _call(d, stream)
    expect_error(out, BadRequestError)
    assert hostile.count - start == 3, "x-should-retry: true must not go past max_retries=2"

    start, before = hostile.count, len(sleeps)
    hostile.script(openai_error(500, "do not", "server_error", None, ("x-should-retry", "false")), openai_ok(stream))
    out = _call(d, stream)
    expect_error(out, ServerError)
    assert hostile.count - start == 1 and len(sleeps) == before
    hostile.script()
    assert d.leaks(hostile) == []


# ---------------------------------------------------------------------------- retry_after_parsing
def _http_date(seconds_from_now: float) -> str:
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


JUNK = ["inf", "nan", "-1", "", "Zun, 29 Sep 2026 10:00:00 GMT", "1e999", "0x10", "soon"]


def test_retry_after_parsing(drive: Any, hostile: HostileServer, sleeps: list[float]) -> None:
    """``retry-after-ms: 1500`` → 1.5 s; ``retry-after: 2.5`` → 2.5 s; an HTTP-date → the seconds
    until then; ``retry-after-ms`` wins over ``retry-after``; junk (``inf``, ``nan``, ``-1``, ``""``,
    ``9…9``, a malformed date…) → the normal backoff, ``[0.25, 0.5]`` s on the first retry (openai
    ``test_parse_retry_after_header``)."""
    d = drive(hostile)

    def first_sleep(*headers: tuple[str, str]) -> float:
        before = len(sleeps)
        hostile.script(openai_error(429, "slow down", "rate_limit_error", None, *headers), openai_ok(False))
        out = d.complete(GPT)
        assert out.error is None, out.describe()
        assert len(sleeps) == before + 1
        return sleeps[-1]

    assert first_sleep(("retry-after-ms", "1500")) == pytest.approx(1.5)
    assert first_sleep(("retry-after", "2.5")) == pytest.approx(2.5)
    assert first_sleep(("retry-after-ms", "250"), ("retry-after", "30")) == pytest.approx(0.25)
    assert 28.5 <= first_sleep(("retry-after", _http_date(30))) <= 30.5
    for junk in JUNK:
        delay = first_sleep(("retry-after", junk))
        assert 0.25 <= delay <= 0.5, f"retry-after {junk!r} was not ignored: slept {delay}"
        delay = first_sleep(("retry-after-ms", junk))
        assert 0.25 <= delay <= 0.5, f"retry-after-ms {junk!r} was not ignored: slept {delay}"


# ---------------------------------------------------------------------------- retry_after_over_cap
@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
def test_retry_after_over_cap(drive: Any, hostile: HostileServer, sleeps: list[float], stream: bool) -> None:
    """429 + ``retry-after: 121`` with a 120 s cap: no sleep, one call, ``RateLimitError.retry_after_s
    == 121`` so the caller can schedule the work (openai ``test_does_not_retry_retry_after_above_max``).
    At the cap (120) the hint is honoured."""
    d = drive(hostile, retry=RetryPolicy(max_retry_after=120))
    hostile.script(openai_error(429, "slow down", "rate_limit_error", "rate_limit_exceeded", ("retry-after", "121")), openai_ok(stream))
    out = _call(d, stream)
    err = expect_error(out, RateLimitError)
    assert err.retry_after_s == 121
    assert hostile.count == 1 and sleeps == []
    assert out.elapsed < 1.0
    hostile.script(openai_error(429, "slow down", "rate_limit_error", None, ("retry-after", "120")), openai_ok(stream))
    out = _call(d, stream)
    assert out.error is None and sleeps == [120.0], out.describe()
    assert d.leaks(hostile) == []


HOUR = 3600.0


@pytest.mark.parametrize(
    ("header", "value", "expect"),
    [
        ("retry-after", "119", "sleep"),  # cap - 1
        ("retry-after", "120", "sleep"),  # the cap: honoured
        ("retry-after", "121", "raise"),  # cap + 1
        ("retry-after", str(24 * HOUR + 1), "raise"),  # over 24 h: a real (long) hint, not junk
        ("retry-after-ms", str(int((24 * HOUR + 1) * 1000)), "raise"),
        ("retry-after", "9" * 40, "raise"),  # an absurdly long hint is still a hint to wait
        ("retry-after", "far-future-date", "raise"),  # an HTTP-date ten days ahead
        ("retry-after", "soon", "junk"),  # junk stays junk: the normal backoff
        ("retry-after", "-1", "junk"),
        ("retry-after", "nan", "junk"),
        ("retry-after", "inf", "junk"),
    ],
)
def test_retry_after_cap_boundaries(drive: Any, hostile: HostileServer, sleeps: list[float], header: str, value: str, expect: str) -> None:
    """With ``max_retry_after=120``: a hint at or under the cap is slept; a hint over it (however
    far over: 24 h + 1 s, a date ten days ahead) raises at once with ``retry_after`` set and no
    sleep; junk (not a number or date, negative, NaN, infinite) falls back to the backoff."""
    if value == "far-future-date":
        value = _http_date(10 * 24 * HOUR)
    d = drive(hostile, retry=RetryPolicy(max_retry_after=120))
    hostile.script(openai_error(429, "slow down", "rate_limit_error", None, (header, value)), openai_ok(False))
    out = d.complete(GPT)
    if expect == "raise":
        err = expect_error(out, RateLimitError)
        assert err.retry_after is not None and err.retry_after > 120, err.retry_after
        assert hostile.count == 1 and sleeps == []
    elif expect == "sleep":
        assert out.error is None and sleeps == [float(value)], out.describe()
    else:
        assert out.error is None and len(sleeps) == 1 and 0.25 <= sleeps[0] <= 0.5, (out.describe(), sleeps)


# ---------------------------------------------------------------------------- backoff_jitter_bounds
def test_backoff_jitter_bounds(drive: Any, hostile: HostileServer, sleeps: list[float]) -> None:
    """Eight retries with a seeded RNG: retry n (0-based) sleeps within ``[0.5, 1.0] × min(0.5·2ⁿ,
    8)`` (openai ``_calculate_retry_timeout``, jitter at least as wide as Stainless' [0.75, 1]);
    the same seed gives the same delays."""
    runs = []
    for _ in range(2):
        d = drive(hostile, retry=RetryPolicy(max_retries=8, rng=random.Random(20261122)))
        before, start = len(sleeps), hostile.count
        hostile.always(openai_error(503, "busy", "server_error"))
        out = d.complete(GPT)
        expect_error(out, ServerError)
        assert hostile.count - start == 9
        delays = sleeps[before:]
        assert len(delays) == 8
        for n, delay in enumerate(delays):
            base = min(0.5 * 2**n, 8.0)
            assert 0.5 * base <= delay <= 1.0 * base, f"retry {n}: {delay} not in [{0.5 * base}, {base}]"
        runs.append(delays)
    assert runs[0] == runs[1]


# ---------------------------------------------------------------------------- total_deadline_bounds_retries
@pytest.mark.real_sleeps
@pytest.mark.parametrize("fault", ["503-forever", "stall-forever", "stall-no-retries"])
def test_total_deadline_bounds_retries(drive: Any, hostile: HostileServer, fault: str) -> None:
    """503 for ever with a 3 s total deadline and many retries allowed (or, 1 s, a server that
    never answers, with retries or with ``max_retries=0``): ``DeadlineExceeded`` within the
    deadline + ε, retry sleeps included (no SDK has this; httpx#1450).  When the total deadline is
    what cut the socket read, the error says so: ``DeadlineExceeded``, not the socket's
    ``ReadTimeout``."""
    total = 3.0 if fault == "503-forever" else 1.0
    d = drive(hostile, timeout=Timeouts(connect=2, read=30, total=total), max_retries=0 if fault == "stall-no-retries" else 100)
    if fault == "503-forever":
        hostile.always(openai_error(503, "busy", "server_error"))
    else:
        hostile.always(Reply(None, steps=(Stall(),)))
    out = d.complete(GPT)
    expect_error(out, DeadlineExceeded)
    assert out.elapsed <= total + 0.3, f"the deadline of {total} s took {out.elapsed:.2f} s"
    if fault == "503-forever":
        assert hostile.count >= 3, f"only {hostile.count} attempts: the deadline gave up too early"
    assert d.leaks(hostile) == []


# ---------------------------------------------------------------------------- connect_error_retry
@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
def test_connect_error_retry(drive: Any, monkeypatch: pytest.MonkeyPatch, stream: bool) -> None:
    """Two refused connections (a port bound but not listening answers SYN with RST), then the
    server listens: the call succeeds on the third attempt, nothing leaks (openai
    ``test_retrying_timeout_errors_doesnt_leak``)."""
    with HostileServer(listen=False) as server:
        server.always(openai_ok(stream))
        slept: list[float] = []

        def sleep(seconds: float) -> None:
            slept.append(seconds)
            if len(slept) == 2:
                server.listen()

        async def async_sleep(seconds: float) -> None:
            sleep(seconds)

        monkeypatch.setattr(specwire.attempts, "_sleep", sleep)
        monkeypatch.setattr(specwire.attempts, "_async_sleep", async_sleep)
        d = drive(server)
        out = _call(d, stream)
        assert out.error is None, out.describe()
        assert (out.response or out.partial).text == "Hello"
        assert len(slept) == 2, "expected 2 retries after 2 refused connections"
        assert server.count == 1 and server.connections_opened == 1
        assert d.leaks(server) == []
        d.close()


# ---------------------------------------------------------------------------- connect_timeout_maps
def test_connect_timeout_maps(drive: Any, hole: int, sleeps: list[float]) -> None:
    """A black-hole port (accept queue full: the SYN is dropped) with a 0.2 s connect timeout:
    ``ConnectTimeout`` (an ``APITimeoutError``) after each connect timeout, retried twice."""
    d = drive(None, base_urls={"openai": f"http://127.0.0.1:{hole}/v1"}, timeout=Timeouts(connect=0.2, read=2, pool=1))
    out = d.complete(GPT)
    err = expect_error(out, ConnectTimeout)
    assert isinstance(err, APITimeoutError)
    assert len(sleeps) == 2, "a connect timeout is retried"
    assert 0.5 <= out.elapsed <= 2.0, f"3 connect timeouts of 0.2 s took {out.elapsed:.2f} s"
    assert d.leaks() == []


# ---------------------------------------------------------------------------- pool_exhausted_not_retried
def test_pool_exhausted_not_retried(flavor: str, hostile: HostileServer, sleeps: list[float]) -> None:
    """A pool of one connection, held by an open stream: the second call fails with
    ``PoolExhaustedError`` after the pool timeout (0.3 s) and is not retried (openai#821, #2539: the
    SDKs retry it and hang for minutes)."""
    hold = stream_reply([*openai_sse(["first"], finish=None, done=False), Stall()])
    hostile.script(hold, openai_ok(False))
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    timeouts = Timeouts(connect=2, read=5, pool=0.3)
    if flavor == "sync":
        http = httpx.Client(limits=limits, follow_redirects=False)
        client = make_client(hostile, http_client=http, timeout=timeouts)
        d = Driver(flavor, client)
        try:
            first = client.stream(GPT, "hi")
            events = iter(first)
            while next(events).type != "text_delta":
                pass
            t0 = time.monotonic()
            with pytest.raises(PoolExhaustedError):
                client.complete(GPT, "second")
            elapsed = time.monotonic() - t0
            first.close()
        finally:
            d.close()
            http.close()
    else:
        ahttp = None
        if flavor == "async-aiohttp":  # the engine's own aiohttp pool, with a pool of one
            client = make_client(hostile, async_backend="aiohttp", timeout=timeouts)
            client._transport._aiohttp.limits = limits
        else:
            ahttp = httpx.AsyncClient(limits=limits, follow_redirects=False)
            client = make_client(hostile, async_http_client=ahttp, timeout=timeouts)
        d = Driver(flavor, client)

        async def scenario() -> float:
            first = client.astream(GPT, "hi")
            events = first.__aiter__()
            while (await events.__anext__()).type != "text_delta":
                pass
            t0 = time.monotonic()
            with pytest.raises(PoolExhaustedError):
                await client.acomplete(GPT, "second")
            elapsed = time.monotonic() - t0
            await events.aclose()
            await first.aclose()
            return elapsed

        try:
            elapsed = d.run(scenario())
        finally:
            if ahttp is not None:
                d.run(ahttp.aclose())
            d.close()
    assert 0.25 <= elapsed <= 1.5, f"pool timeout 0.3 s, took {elapsed:.2f} s"
    assert sleeps == [], "PoolExhaustedError must not be retried"
    assert hostile.count == 1, "the second call must never reach the server"
    assert hostile.wait_closed() == 0


# ---------------------------------------------------------------------------- idempotency_key_stable
def test_idempotency_key_stable(drive: Any, hostile: HostileServer, tmp_path: Path, sleeps: list[float]) -> None:
    """A spec with ``retry: {idempotency_header: Idempotency-Key}``; 500, 500, 200: the same UUID on
    all three attempts, and a new one for the next logical call (Stainless ``_idempotency_key``)."""
    spec_file(tmp_path, "openai-idem", "spec_version: 1\nprovider: openai-idem\nextends: openai\nretry: {idempotency_header: Idempotency-Key}\n")
    d = drive(hostile, "openai-idem", folders=[tmp_path])
    for stream in (False, True):
        start = hostile.count
        hostile.script(openai_error(500), openai_error(500), openai_ok(stream))
        out = d.call(stream, "openai-idem:gpt-hostile")
        assert out.error is None, out.describe()
        keys = [r.headers.get("idempotency-key") for r in hostile.requests[start:]]
        assert len(keys) == 3 and keys[0] is not None and len(set(keys)) == 1, keys
        uuid.UUID(keys[0])
    first_call, second_call = hostile.requests[0].headers["idempotency-key"], hostile.requests[3].headers["idempotency-key"]
    assert first_call != second_call, "each logical call gets its own key"
    assert d.leaks(hostile) == []


def test_retries_keep_transport_errors_typed(drive: Any, hostile: HostileServer, sleeps: list[float]) -> None:
    """Not a checklist row: a server that resets every connection before answering gives a
    ``TransportError`` after max_retries + 1 attempts (a connection error is retried)."""
    from tests.hostile.server import Reset

    d = drive(hostile)
    hostile.always(Reply(None, steps=(Reset(),)))
    out = d.complete(GPT)
    expect_error(out, TransportError)
    assert hostile.count == 3 and len(sleeps) == 2
    assert d.leaks(hostile) == []


