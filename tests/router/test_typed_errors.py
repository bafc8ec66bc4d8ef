"""The router's side of "every exception that leaves the public API is a SpecwireError".

What this protects: hostile call values (a lone surrogate, a tool schema that contains itself or
nests 5 000 deep, a non-string or CR/LF ``extra_headers`` value, ``settings`` or ``timeout`` of
the wrong type) used to escape the router untyped (``UnicodeEncodeError``, ``ValueError``,
``RecursionError``, ``TypeError``) and skipped the fallback machinery; they are now a
:class:`~specwire.RequestBuildError` raised by the router call itself, before any deployment is
tried (the same for every deployment: falling back cannot help).  A ``RequestBuildError`` that
depends on the deployment (its provider's spec cannot send an audio part) falls back to the next
deployment, without counting against the first one's health.  A ``raise_on_error=False`` stream
never raises and ends with exactly one terminal event.
"""

from __future__ import annotations

from typing import Any

import pytest

from specwire import BadRequestError, RequestBuildError, SpecwireError

from tests.hostile.server import HostileServer, Reply, hostile  # noqa: F401  (fixture)

from .conftest import KEY_ENV, deployment, run_async

FLAVORS = ("sync", "async")


def _circular() -> dict[str, Any]:
    d: dict[str, Any] = {"type": "object"}
    d["properties"] = {"me": d}
    return d


def _deep(n: int) -> dict[str, Any]:
    root: dict[str, Any] = {}
    cur = root
    for _ in range(n):
        cur["a"] = {}
        cur = cur["a"]
    return root


def pair(fake: Any) -> dict[str, Any]:
    return {
        "router": {"strategy": "round-robin"},
        "deployments": [deployment(fake, "a", "gpt-5.4"), deployment(fake, "b", "gpt-5.5")],
        "groups": {"g": {"deployments": ["a", "b"]}},
    }


def call(router: Any, flavor: str, stream: bool, messages: Any = "hi", **kw: Any) -> tuple[Any, list[Any], BaseException | None]:
    """``(response, events, error)`` of one router call (a stream with ``raise_on_error=False``)."""
    events: list[Any] = []
    try:
        if not stream:
            if flavor == "sync":
                return router.complete("g", messages, **kw), events, None
            return run_async(router, router.acomplete("g", messages, **kw)), events, None
        if flavor == "sync":
            with router.stream("g", messages, raise_on_error=False, **kw) as s:
                events.extend(s)
        else:

            async def run() -> None:
                async with router.astream("g", messages, raise_on_error=False, **kw) as s:
                    async for e in s:
                        events.append(e)

            run_async(router, run())
    except Exception as exc:  # noqa: BLE001 - the class is what the tests check
        return None, events, exc
    return None, events, events[-1].error if events and events[-1].type == "error" else None


HOSTILE: list[tuple[str, Any, dict[str, Any], str]] = [
    ("surrogate-content", "\ud800", {}, "messages"),
    ("surrogate-tool-name", "hi", {"tools": [{"name": "t\udfff"}]}, "tools[0].name"),
    ("circular-schema", "hi", {"tools": [{"name": "t", "parameters": _circular()}]}, "tools[0].parameters"),
    ("deep-schema", "hi", {"tools": [{"name": "t", "parameters": _deep(5000)}]}, "tools[0].parameters"),
    ("header-int", "hi", {"extra_headers": {"x-trace": 1}}, "x-trace"),
    ("header-crlf", "hi", {"extra_headers": {"x-trace": "a\r\nInjected: 1"}}, "x-trace"),
    ("header-not-a-dict", "hi", {"extra_headers": ["x"]}, "extra_headers"),
    ("settings-not-a-dict", "hi", {"settings": True}, "settings"),
    ("timeout-junk", "hi", {"timeout": "soon"}, "timeout"),
    ("max-retries-junk", "hi", {"max_retries": "x"}, "max_retries"),
]


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
@pytest.mark.parametrize("flavor", FLAVORS)
@pytest.mark.parametrize(("case", "messages", "options", "field"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_call_values_are_a_request_build_error_before_any_attempt(
    fake: Any, make_router: Any, flavor: str, stream: bool, case: str, messages: Any, options: dict[str, Any], field: str,
) -> None:
    router = make_router(pair(fake))
    _, events, err = call(router, flavor, stream, messages, **options)
    assert isinstance(err, RequestBuildError), f"{type(err).__name__}: {err}"
    assert field in str(err)
    assert events == [] and fake.names() == [], "refused before any deployment was tried"
    snap = router.snapshot()
    assert all(d.circuit == "closed" for d in snap.deployments.values())


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_deployment_dependent_request_build_error_falls_back(fake: Any, make_router: Any, flavor: str, stream: bool) -> None:
    """Deployment ``a`` is an Anthropic spec, which has no rule for audio input parts; ``b`` (OpenAI)
    sends them.  The call falls back to ``b``; ``a``'s circuit stays closed (a request it cannot
    express says nothing about its health) and nothing was sent to ``a``."""
    config = pair(fake)
    config["deployments"][0] = {"id": "a", "provider": "anthropic", "model": "claude-sonnet-5-5", "api_key_env": KEY_ENV, "base_url": fake.base_url("a")}
    router = make_router(config)
    audio = [{"role": "user", "content": [{"type": "audio", "data": "UklGRg==", "media_type": "audio/wav"}]}]
    response, events, err = call(router, flavor, stream, audio)
    assert err is None, f"{type(err).__name__}: {err}"
    final = response if response is not None else events[-1].response
    assert final.provider_metadata["router"]["deployment"] == "b"
    assert fake.names() == ["b"]
    assert router.snapshot().deployments["a"].circuit == "closed"


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_request_no_deployment_can_build_is_a_request_build_error(fake: Any, make_router: Any, flavor: str) -> None:
    config = pair(fake)
    router = make_router(config)
    bogus = [{"role": "user", "content": [{"type": "document", "data": "%%%", "media_type": "text/plain"}]}]
    _, _, err = call(router, flavor, False, bogus)
    assert isinstance(err, RequestBuildError), f"{type(err).__name__}: {err}"
    assert fake.names() == []


@pytest.mark.parametrize("flavor", FLAVORS)
def test_deep_error_body_through_the_router_is_typed_and_stream_ends_once(hostile: HostileServer, make_router: Any, flavor: str) -> None:
    """A 400 whose body nests 100 000 deep (on the loopback hostile server): a ``BadRequestError``
    (a bad request: no fallback), and a stream that ends in exactly one ``error`` event."""
    dep = {"id": "a", "provider": "openai", "model": "gpt-5.5", "api_key_env": KEY_ENV, "base_url": hostile.url("/v1")}
    router = make_router({"router": {"strategy": "round-robin"}, "deployments": [dep, {**dep, "id": "b"}], "groups": {"g": {"deployments": ["a", "b"]}}})
    hostile.always(Reply(400, (("content-type", "application/json"),), b'{"error":' * 100_000))
    _, _, err = call(router, flavor, False)
    assert isinstance(err, BadRequestError), f"{type(err).__name__}: {err}"
    assert hostile.count == 1
    _, events, err = call(router, flavor, True)
    types = [e.type for e in events]
    assert [t for t in types if t in ("finish", "error")] == ["error"] and types[-1] == "error"
    assert isinstance(err, SpecwireError)
