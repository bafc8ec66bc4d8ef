"""Router observability (docs/observability.md): with ``Router(callbacks=…)`` one router call
gives each attempt's ``on_request``/``on_response_headers`` (renumbered as the router's attempts,
under the router call's ``call_id``), ``on_retry`` with ``fallback=True`` and the next deployment
when it falls back, and exactly one ``on_finish`` or ``on_error``; the fallback is logged at
WARNING on ``specwire.router``.  Sync and async, over httpx and aiohttp, complete and stream, on
the loopback fake of tests/router; the deployment's key appears in no record or event."""

from __future__ import annotations

import logging
from typing import Any

import pytest

import specwire
from specwire import Client
from tests.router.conftest import KEY_ENV, deployment, fake, make_router, registry, run_async  # noqa: F401  (fixtures)
from tests.router.fakes import server_error

from .conftest import SECRET, AsyncRecorder, Capture, Recorder, assert_no_secret

FLAVORS = ("sync", "async", "async-aiohttp")


def _config(fake: Any) -> dict[str, Any]:
    return {
        "router": {},
        "deployments": [deployment(fake, "main", "gpt-5.4"), deployment(fake, "spare", "gpt-5.5")],
        "groups": {"chat": {"deployments": ["main"], "fallbacks": ["backup"]}, "backup": {"deployments": ["spare"]}},
    }


def _router(make_router: Any, registry: Any, fake: Any, flavor: str, **kw: Any) -> Any:
    backend = "aiohttp" if flavor == "async-aiohttp" else "httpx"
    client = Client(registry=registry, env={}, async_backend=backend, load_entry_points=False)
    return make_router(_config(fake), client=client, env={KEY_ENV: SECRET}, **kw)


def _call(router: Any, flavor: str, stream: bool) -> Any:
    if flavor == "sync":
        if stream:
            with router.stream("chat", "hi", raise_on_error=False) as s:
                return [e for e in s][-1]
        return router.complete("chat", "hi")

    async def run() -> Any:
        if stream:
            async with router.astream("chat", "hi", raise_on_error=False) as s:
                return [e async for e in s][-1]
        return await router.acomplete("chat", "hi")

    return run_async(router, run())


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_fallback_is_one_router_call_with_a_retry_event(fake: Any, make_router: Any, registry: Any, records: Capture, flavor: str, stream: bool) -> None:
    rec = Recorder() if flavor == "sync" else AsyncRecorder()
    router = _router(make_router, registry, fake, flavor, callbacks=[rec])
    fake.script("main", server_error(500))
    result = _call(router, flavor, stream)
    response = result.response if stream else result
    assert response.provider_metadata["router"]["deployment"] == "spare"
    assert rec.names() == ["request", "headers", "retry", "request", "headers", "finish"]
    req1, req2 = rec.of("request")
    assert (req1.attempt, req1.model, req2.attempt, req2.model) == (1, "gpt-5.4", 2, "gpt-5.5")
    (retry,) = rec.of("retry")
    assert retry.fallback is True and retry.deployment == "spare" and retry.status == 500
    assert isinstance(retry.error, specwire.ServerError)
    (finish,) = rec.of("finish")
    assert finish.attempts == 2 and finish.model == "gpt-5.5" and finish.response.provider_metadata["router"]["deployment"] == "spare"
    assert len({e.call_id for _, e in rec.calls}) == 1, "one router call, one call id"
    (fallback,) = records.of("fallback", "specwire.router")
    assert fallback.levelno == logging.WARNING and fallback.specwire_deployment == "spare"  # type: ignore[attr-defined]
    assert [r.specwire_status for r in records.of("response", "specwire.client")] == [500, 200]  # type: ignore[attr-defined]
    assert_no_secret(*records.records, *(e for _, e in rec.calls))


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_router_call_that_fails_ends_with_one_on_error(fake: Any, make_router: Any, registry: Any, flavor: str) -> None:
    rec = Recorder()
    router = _router(make_router, registry, fake, flavor, callbacks=[rec])
    fake.script("main", *[server_error(500)] * 6)
    fake.script("spare", *[server_error(500)] * 6)
    with pytest.raises(specwire.ServerError):
        _call(router, flavor, stream=False)
    assert rec.names().count("error") == 1 and "finish" not in rec.names()
    assert rec.names()[-1] == "error"
    assert isinstance(rec.of("error")[0].error, specwire.ServerError)


def test_per_call_callbacks_on_a_router_call(fake: Any, make_router: Any, registry: Any) -> None:
    router_rec, call_rec = Recorder(), Recorder()
    router = _router(make_router, registry, fake, "sync", callbacks=[router_rec])
    router.complete("chat", "hi", callbacks=[call_rec])
    assert router_rec.names() == call_rec.names() == ["request", "headers", "finish"]
    router.complete("chat", "hi")
    assert len(router_rec.of("finish")) == 2 and len(call_rec.of("finish")) == 1
    bare = _router(make_router, registry, fake, "sync")
    only = Recorder()
    bare.complete("chat", "hi", callbacks=[only])
    assert only.names() == ["request", "headers", "finish"]


def test_sync_callbacks_run_in_sync_router_calls_beside_async_ones(fake: Any, make_router: Any, registry: Any) -> None:
    plain, awaiting = Recorder(), AsyncRecorder()
    router = _router(make_router, registry, fake, "sync", callbacks=[awaiting, plain])
    fake.script("main", server_error(500))
    router.complete("chat", "hi")
    assert plain.names() == ["request", "headers", "retry", "request", "headers", "finish"]
    assert awaiting.names() == [], "a sync call cannot await them"
