"""Cancellation under load never leaks a pooled connection (both async backends).

What this protects: with hundreds of concurrent ``astream`` calls on an event loop that is blocked
now and then (a coroutine calling ``time.sleep(0.3)``, as a busy application has), cancelling
some of them used to leave pool connections checked out for ever (sockets in CLOSE-WAIT), until
every later call failed with :class:`PoolExhaustedError`; and ``async with stream:`` + ``break``
logged "aclose(): asynchronous generator is already running".  Four mechanisms, each fixed in
the engine (:mod:`specwire.aio`, :mod:`specwire.transport`):

* a second ``CancelledError`` interrupting httpcore's cleanup of a cancelled read or of the
  response close (an exchange's send and body reads now run in one task of their own, cancelled
  once, and closes run to their end);
* ``__aexit__`` and the event loop's finalizer of the iterator abandoned by ``break`` closing the
  same generator at the same time (they now share one close);
* httpcore's pool keeping a ``CONNECTING`` connection whose request was cancelled while waiting
  for a pool slot (encode/httpcore#1093; the transport reclaims such orphans);
* a cancellation landing in the close httpx starts itself at the end of the body, inside the
  reader's task (the reader's canceller now waits for that close instead of cancelling it;
  tests/unit/test_aio.py reproduces it step by step).

Each test runs a mixed load (some streams cancelled twice at a fixed time, some left by
``break`` inside ``async with``, the rest read to the end) against the loopback server, then
asserts: no connection is checked out of the pool, the server has no socket open beyond the
pool's idle keep-alive connections, the event loop reported no error, and a second wave of calls
all succeed.  The 500-stream version is ``slow``; the default run has a 60-stream one.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest

from specwire import PoolExhaustedError
from specwire.retry import Timeouts
from tests.hostile.server import HostileServer, Send, Sleep, openai_chunk, openai_ok, openai_sse, stream_reply
from specwire.router import Router
from tests.reliability.helpers import KEYS, MODELS, make_client, pool_state

pytest.importorskip("aiohttp")

GPT = MODELS["openai"]
#: The async backends, named like the suite's flavors (so the asyncio-debug leg selects them with "async").
BACKENDS = ("async", "async-aiohttp")


def _body(steps: int) -> list[Any]:
    first, role_or_text, *rest = openai_sse(["x"])
    chunk = b"data: " + json.dumps(openai_chunk("y")).encode() + b"\n\n"
    return [first, role_or_text, *[x for _ in range(steps) for x in (Sleep(0.05), Send(chunk))], *rest]


def _client(server: HostileServer, backend: str, max_connections: int | None) -> Any:
    timeout = Timeouts(connect=5, read=15, pool=30)
    if backend == "async-aiohttp":
        return make_client(server, async_transport=None, async_backend="aiohttp", timeout=timeout)
    limits = httpx.Limits(max_connections=max_connections or 100, max_keepalive_connections=20)
    return make_client(server, async_transport=httpx.AsyncHTTPTransport(limits=limits), timeout=timeout)


async def _load(client: Any, n: int, cancel_at: float, errors: list[dict[str, Any]], streams: Any = None) -> dict[str, int]:
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    stop = asyncio.Event()

    async def busy() -> None:  # an application that blocks its loop now and then
        while not stop.is_set():
            time.sleep(0.3)
            await asyncio.sleep(0.05)

    async def one(i: int) -> str:
        seen = 0
        stream = streams() if streams is not None else client.astream(GPT, "hi")
        async with stream:
            async for _ in stream:
                seen += 1
                if i % 3 == 1 and seen >= 3 + i % 20:
                    break
        return "ok"

    blocker = asyncio.create_task(busy())
    tasks = [asyncio.create_task(one(i)) for i in range(n)]
    await asyncio.sleep(cancel_at)
    victims = tasks[::3]
    for task in victims:
        task.cancel()
    await asyncio.sleep(0.001)
    for task in victims:  # a second cancellation while the first is being handled
        task.cancel()
    results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 120)
    stop.set()
    await blocker
    kinds: dict[str, int] = {}
    for r in results:
        kinds[type(r).__name__] = kinds.get(type(r).__name__, 0) + 1
    return kinds


def _run_load(server: HostileServer, backend: str, n: int, cancel_at: float, steps: int, max_connections: int | None = None, *, router: bool = False) -> None:
    # every stream lasts longer on the server than `cancel_at` (0.05 s a step), so each victim is
    # still mid-flight when it is cancelled however fast the client reads
    base = int(cancel_at / 0.05) + 4
    server.script(*[stream_reply(_body(base + i % steps)) for i in range(n)], then=stream_reply(_body(base)))
    client = _client(server, backend, max_connections)
    loop = asyncio.new_event_loop()
    errors: list[dict[str, Any]] = []
    streams = None
    if router:  # the Router's stream objects (specwire.router.streams) over the same client
        config = {
            "router": {"strategy": "round-robin"},
            "deployments": [{"id": "a", "provider": "openai", "model": "gpt-5.5", "api_key_env": "LOOPS_KEY", "base_url": server.url("/v1")}],
            "groups": {"g": {"deployments": ["a"]}},
        }
        routed = Router(config, client=client, env={"LOOPS_KEY": KEYS["openai"]}, registry=client.registry)

        def streams() -> Any:
            return routed.astream("g", "hi")

    try:
        kinds = loop.run_until_complete(_load(client, n, cancel_at, errors, streams))
        assert set(kinds) <= {"str", "CancelledError"}, kinds
        assert kinds.get("CancelledError", 0) >= 1, f"nothing was cancelled mid-flight: {kinds}"
        # a cancelled stream's release may still be finishing in its own task when gather returns:
        # give the loop a bounded moment (a leak stays checked out for ever)
        state = pool_state(client, loop)
        settle = time.monotonic() + 3
        while state["active"] and time.monotonic() < settle:
            loop.run_until_complete(asyncio.sleep(0.05))
            state = pool_state(client, loop)
        assert state["active"] == 0, f"{state['active']} connection(s) still checked out after the load: {state}"
        end = time.monotonic() + 3
        while server.open_connections > state["idle"] and time.monotonic() < end:
            time.sleep(0.02)
        assert server.open_connections <= state["idle"], f"server has {server.open_connections} open socket(s), the pool keeps {state['idle']} idle"
        messages = [str(c.get("message")) + repr(c.get("exception")) for c in errors]
        assert not messages, f"the event loop reported errors: {messages[:3]}"

        async def wave() -> list[Any]:
            async def call() -> Any:
                return await client.acomplete(GPT, "hi", max_retries=0, timeout=Timeouts(connect=2, read=5, pool=2))

            return await asyncio.gather(*[call() for _ in range(min(n, 50))], return_exceptions=True)

        server.script(then=openai_ok(False))
        outcomes = loop.run_until_complete(wave())
        failed = [o for o in outcomes if isinstance(o, BaseException)]
        assert not [f for f in failed if isinstance(f, PoolExhaustedError)], "the pool ran dry after the load"
    finally:
        loop.run_until_complete(client.aclose())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
    assert server.wait_closed(3) == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_cancel_under_load_no_leak(hostile: HostileServer, backend: str) -> None:
    """60 streams (pool of 20 on httpx, so requests wait for slots), a loop blocked 0.3 s out of
    every 0.35 s, a third of the streams cancelled twice at 1.5 s, a third left by ``break``."""
    _run_load(hostile, backend, n=60, cancel_at=1.5, steps=30, max_connections=20)


@pytest.mark.parametrize("backend", ["async"])  # named like the flavor: the asyncio-debug leg runs it
def test_cancel_under_load_no_leak_router(hostile: HostileServer, backend: str) -> None:
    """The same load through :class:`~specwire.router.Router` streams (their own stream classes)."""
    _run_load(hostile, backend, n=60, cancel_at=1.5, steps=30, max_connections=20, router=True)


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_cancel_under_load_no_leak_500(hostile: HostileServer, backend: str) -> None:
    """The issue's scenario: 500 streams on the default pool (100), cancellations at 4 s."""
    _run_load(hostile, backend, n=500, cancel_at=4.0, steps=60)
