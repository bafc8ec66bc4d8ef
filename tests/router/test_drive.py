"""The attempt loop (specwire.router.drive): one sans-IO loop, a sync and an async driver.

What this protects: the loop (``steps``) does no I/O itself (it yields effects; a driver performs
them); every operation (complete, stream, embed) in both flavours runs through it, so a failed
attempt falls back and an attempt left by its caller (an exception that is not a library error,
a cancellation) frees its in-flight slot without recording an outcome, whatever the operation.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from specwire.router import FakeClock
from specwire.router.drive import Do, Send, UnaryCall, steps

from .conftest import deployment, run_async
from .fakes import Reply, server_error


def config(fake: Any) -> dict[str, Any]:
    return {
        "router": {},
        "deployments": [deployment(fake, "a", "gpt-5.4"), deployment(fake, "b", "gpt-5.5")],
        "groups": {"g": {"deployments": ["a"], "fallbacks": ["h"]}, "h": {"deployments": ["b"]}},
        "health": {"consecutive_failures": 5, "cooldown": 10},
    }


class Interrupted(BaseException):
    """Not a library error: what a driver must let through after freeing the attempt's slot."""


class Interrupting:
    """The router's client, except that ``stream`` / ``complete`` raise :class:`Interrupted`."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def stream(self, *args: Any, **kwargs: Any) -> Any:
        raise Interrupted

    def complete(self, *args: Any, **kwargs: Any) -> Any:
        raise Interrupted


def in_flight(router: Any) -> dict[str, int]:
    return {name: d.in_flight for name, d in router.snapshot().deployments.items()}


def test_the_loop_yields_effects_and_does_no_io(fake: Any, make_router: Any) -> None:
    router = make_router(config(fake))
    plan, _ = router._plan("g", "hi", {}, stream=False, stream_mode=None)
    loop = steps(UnaryCall(router, plan, router.client.complete, plan.request.messages), None)
    first = next(loop)
    assert isinstance(first, Do) and first.fn == plan.next, "the plan's decision is an effect (off the event loop when async)"
    attempt = first.fn(*first.args)
    send = loop.send(attempt)
    assert isinstance(send, Send) and send.att is attempt and send.options["max_retries"] == 0
    assert fake.requests == [], "nothing was sent by the loop itself"
    assert in_flight(router)[attempt.dep.id] == 1
    loop.close()
    assert fake.requests == []


@pytest.mark.parametrize("operation", ["complete", "stream"])
def test_an_attempt_interrupted_by_a_non_library_error_frees_its_slot(fake: Any, make_router: Any, registry: Any, operation: str) -> None:
    from specwire import Client

    router = make_router(config(fake), client=Interrupting(Client(registry=registry, env={})))
    with pytest.raises(Interrupted):
        if operation == "complete":
            router.complete("g", "hi")
        else:
            list(router.stream("g", "hi"))
    assert set(in_flight(router).values()) == {0}
    snap = router.snapshot()
    assert all(d.requests == 0 for d in snap.deployments.values()), "an abandoned attempt records no outcome"


def test_a_cancelled_async_call_frees_its_slot(fake: Any, make_router: Any) -> None:
    router = make_router(config(fake), clock=FakeClock())
    fake.script("a", Reply(delay=5.0))

    async def cancel_in_flight() -> None:
        task = asyncio.ensure_future(router.acomplete("g", "hi"))
        for _ in range(500):
            await asyncio.sleep(0.01)
            if any(in_flight(router).values()):
                break
        assert any(in_flight(router).values()), "the attempt is in flight"
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run_async(router, cancel_in_flight())
    assert set(in_flight(router).values()) == {0}


@pytest.mark.parametrize("flavor", ["sync", "async"])
def test_every_operation_falls_back_through_the_one_loop(fake: Any, make_router: Any, flavor: str) -> None:
    router = make_router(config(fake))
    served = []
    for operation in ("complete", "stream"):
        fake.script("a", server_error())
        if flavor == "sync":
            response = router.complete("g", "hi") if operation == "complete" else list(router.stream("g", "hi"))[-1].response
        else:
            async def call() -> Any:
                if operation == "complete":
                    return await router.acomplete("g", "hi")
                return [e async for e in router.astream("g", "hi")][-1].response

            response = run_async(router, call())
        meta = response.provider_metadata["router"]
        served.append((meta["attempts"], meta["fallbacks"], response.text))
    assert served == [(2, 1, "Hello from the fake")] * 2
