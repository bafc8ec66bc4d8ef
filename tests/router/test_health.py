"""Active health checks, timeouts as fallback triggers, and releasing slots when the caller
leaves.

What this protects: the optional probe (``health.probe``) sends a cheap completion
(``max_output_tokens: 1``) to each deployment, honours cooldowns (no probe while a circuit is
open), closes a recovered deployment's circuit and records failures; the periodic prober stops
with the router; a first-event timeout (time to first token) falls back like any timeout; a
stream abandoned by its caller (``break``, ``aclose``) frees its in-flight slot and its half-open
probe slot without recording an outcome.
"""

from __future__ import annotations

import time
from typing import Any

from specwire.retry import Timeouts
from specwire.router import FakeClock

from .conftest import deployment, run_async
from .fakes import Reply, server_error


def config(fake: Any, **health: Any) -> dict[str, Any]:
    return {
        "router": {},
        "deployments": [deployment(fake, "a", "gpt-5.4"), deployment(fake, "b", "gpt-5.5")],
        "groups": {"g": {"deployments": ["a", "b"]}},
        "health": {"consecutive_failures": 2, "cooldown": 10, **health},
    }


def test_probe_checks_every_deployment_cheaply(fake: Any, make_router: Any) -> None:
    router = make_router(config(fake))
    assert router.probe() == {"a": True, "b": True}
    bodies = [body for _, body, _ in fake.requests]
    assert [b["max_completion_tokens"] for b in bodies] == [1, 1], "openai maps max_output_tokens to max_completion_tokens"
    assert bodies[0]["messages"] == [{"role": "user", "content": "ping"}]


def test_probe_honours_cooldowns_and_closes_a_recovered_circuit(fake: Any, make_router: Any) -> None:
    clock = FakeClock()
    router = make_router(config(fake), clock=clock)
    fake.script("a", server_error(), server_error())
    assert router.probe(["a"]) == {"a": False}
    assert router.probe(["a"]) == {"a": False}
    assert router.snapshot().deployments["a"].circuit == "open"
    assert router.probe(["a"]) == {"a": None} and fake.count("a") == 2, "no probe during the cooldown"
    clock.advance(10)
    assert router.probe(["a"]) == {"a": True}, "the half-open probe succeeds"
    assert router.snapshot().deployments["a"].circuit == "closed"


def test_async_probe(fake: Any, make_router: Any) -> None:
    router = make_router(config(fake))
    fake.script("b", server_error())
    assert run_async(router, router.aprobe()) == {"a": True, "b": False}


def test_periodic_probes_run_in_a_thread_until_close(fake: Any, make_router: Any) -> None:
    router = make_router(config(fake, probe={"enabled": True, "interval": 0.05}))
    with router:
        deadline = time.monotonic() + 10
        while fake.count("a") < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    assert fake.count("a") >= 2
    settled = len(fake.requests)
    time.sleep(0.15)
    assert len(fake.requests) == settled, "closing the router stopped the prober"


def test_first_event_timeout_falls_back(fake: Any, make_router: Any) -> None:
    router = make_router(config(fake))
    fake.script("a", Reply(delay=2.0))
    started = time.monotonic()
    response = router.complete("g", "hi", timeout=Timeouts(read=0.3, first_event=0.3))
    assert response.provider_metadata["router"]["deployment"] == "b"
    assert time.monotonic() - started < 1.5
    assert dict(router.snapshot().deployments["a"].errors) == {"ReadTimeout": 1}


def test_a_stream_left_by_its_caller_frees_its_slots(fake: Any, make_router: Any) -> None:
    clock = FakeClock()
    router = make_router(config(fake), clock=clock)
    fake.script("a", server_error(), server_error())
    for _ in range(2):
        router.probe(["a"])
    clock.advance(10)  # a is half-open now: the next call to it holds the one probe slot
    for event in router.stream("a", "hi"):
        if event.type == "text_delta":
            break
    snap = router.snapshot().deployments["a"]
    assert snap.in_flight == 0 and snap.circuit == "half_open"
    assert router.complete("a", "hi").text, "the probe slot was given back: a new call may test the deployment"
    assert router.snapshot().deployments["a"].circuit == "closed"

    async def leave_early() -> None:
        stream = router.astream("b", "hi")
        async for event in stream:
            if event.type == "text_delta":
                break
        await stream.aclose()

    run_async(router, leave_early())
    assert router.snapshot().deployments["b"].in_flight == 0
