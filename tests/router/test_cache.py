"""The response cache: what the key covers, opt-in per call / route / group, TTL, the three
stores, and streams replayed from the cache as the same event sequence.

What this protects: engine/router/cache.py's documented key (every parameter that changes the
output changes the key; ``metadata`` and other providers' options do not), that nothing is cached
unless asked for, that a cached stream replays exactly the events the caller saw the first time,
and that a cache hit makes no request and costs nothing in the accounting.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from specwire import Request
from specwire.router import FakeClock, SQLiteCache, cache_key

from .conftest import deployment, run_async

BASE = {"messages": [{"role": "user", "content": "Name a prime"}]}
TOOL = {"name": "lookup", "description": "Look up", "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}


def key(request: dict[str, Any] | None = None, provider: str = "openai", model: str = "gpt-5.4", **kw: Any) -> str:
    return cache_key(provider, model, Request(**{**BASE, **(request or {})}), **kw)


@pytest.mark.parametrize(
    "change",
    [
        {"messages": [{"role": "user", "content": "Name a prime!"}]},
        {"messages": [{"role": "system", "content": "Be brief"}, {"role": "user", "content": "Name a prime"}]},
        {"tools": [TOOL]},
        {"tool_choice": "required"},
        {"max_output_tokens": 10},
        {"temperature": 0.2},
        {"top_p": 0.9},
        {"top_k": 5},
        {"stop_sequences": ["\n"]},
        {"seed": 1},
        {"presence_penalty": 0.1},
        {"frequency_penalty": 0.1},
        {"response_format": "json"},
        {"reasoning": "high"},
        {"parallel_tool_calls": False},
        {"user": "user-42"},
        {"provider_options": {"openai": {"service_tier": "flex"}}},
    ],
)
def test_every_output_parameter_changes_the_key(change: dict[str, Any]) -> None:
    assert key(change) != key()


def test_what_does_not_change_the_key() -> None:
    assert key({"metadata": {"trace": "1"}}) == key()
    assert key({"provider_options": {"anthropic": {"x": 1}}}) == key(), "another provider's options do not reach this body"
    assert len(key()) == 64 and key() == key()


def test_provider_model_settings_headers_and_namespace_are_in_the_key() -> None:
    variants = {
        key(provider="azure-openai"), key(model="gpt-5.5"), key(settings={"deployment": "x"}),
        key(extra_headers={"OpenAI-Beta": "x"}), key(namespace="tenant-a"), key(),
    }
    assert len(variants) == 6
    assert key(extra_headers={"OpenAI-Beta": "x"}) == key(extra_headers={"openai-beta": "x"})


def test_tool_schema_key_order_does_not_matter() -> None:
    t1 = {"name": "f", "parameters": {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "number"}}}}
    t2 = {"name": "f", "parameters": {"properties": {"b": {"type": "number"}, "a": {"type": "string"}}, "type": "object"}}
    assert key({"tools": [t1]}) == key({"tools": [t2]})


def config(fake: Any, **cache: Any) -> dict[str, Any]:
    return {"router": {}, "deployments": [deployment(fake, "a", "gpt-5.4")], "groups": {"g": {"deployments": ["a"]}, "cached": {"deployments": ["a"], "cache": True}}, "cache": cache}


def test_cache_is_opt_in_per_call_and_per_group(fake: Any, make_router: Any) -> None:
    router = make_router(config(fake))
    router.complete("g", "hi")
    router.complete("g", "hi")
    assert fake.count("a") == 2, "off by default"
    first = router.complete("g", "hi", cache=True)
    second = router.complete("g", "hi", cache=True)
    assert fake.count("a") == 3
    assert first.provider_metadata["router"]["cache_hit"] is False and second.provider_metadata["router"]["cache_hit"] is True
    assert second.text == first.text and second.usage == first.usage
    router.complete("cached", "hi")  # the group opted in: same key as above (same deployment)
    assert fake.count("a") == 3
    router.complete("cached", "hi", cache=False)
    assert fake.count("a") == 4, "the call can opt out"
    route = router.snapshot().routes["g"]
    assert route.cache_hits == 1 and route.requests == 4
    assert router.snapshot().deployments["a"].requests == 4, "hits make no attempt"


def test_ttl(fake: Any, make_router: Any) -> None:
    clock = FakeClock()
    router = make_router(config(fake, enabled=True, ttl=10), clock=clock)
    router.complete("g", "hi")
    clock.advance(9.9)
    router.complete("g", "hi")
    assert fake.count("a") == 1
    clock.advance(0.2)
    router.complete("g", "hi")
    assert fake.count("a") == 2


def _strip(events: list[Any]) -> list[Any]:
    """Events without the router's annotation of the final response."""
    out = []
    for e in events:
        if e.type == "finish":
            meta = {k: v for k, v in e.response.provider_metadata.items() if k != "router"}
            e = dataclasses.replace(e, response=e.response.model_copy(update={"provider_metadata": meta}))
        out.append(e)
    return out


def test_a_cached_stream_replays_the_same_event_sequence(fake: Any, make_router: Any) -> None:
    router = make_router(config(fake, enabled=True))
    first = list(router.stream("g", "hi"))
    again = list(router.stream("g", "hi"))
    assert fake.count("a") == 1
    assert _strip(again) == _strip(first)
    assert [e.type for e in first].count("text_delta") == 2
    assert again[-1].response.provider_metadata["router"]["cache_hit"] is True
    assert router.complete("g", "hi").text == "Hello from the fake", "complete is served from the stream's entry"
    assert fake.count("a") == 1


def test_a_cached_complete_replays_as_the_standard_grammar(fake: Any, make_router: Any) -> None:
    router = make_router(config(fake, enabled=True))
    response = router.complete("g", "hi")
    s = router.stream("g", "hi")
    types = [e.type for e in s]
    assert types == ["response_start", "text_start", "text_delta", "text_end", "usage", "finish"]
    assert s.response is not None and s.response.text == response.text and s.partial is not None
    assert fake.count("a") == 1


def test_errors_are_not_cached(fake: Any, make_router: Any) -> None:
    from .fakes import server_error

    router = make_router({**config(fake, enabled=True), "router": {"retry": {"retries": 0}}})
    fake.script("a", server_error())
    with pytest.raises(Exception):
        router.complete("g", "hi")
    router.complete("g", "hi")
    router.complete("g", "hi")
    assert fake.count("a") == 2


def test_async_calls_use_the_cache(fake: Any, make_router: Any) -> None:
    router = make_router(config(fake, enabled=True))

    async def run() -> list[Any]:
        r1 = await router.acomplete("g", "hi")
        events = [e async for e in router.astream("g", "hi")]
        return [r1, events]

    r1, events = run_async(router, run())
    assert fake.count("a") == 1 and events[-1].response.text == r1.text


def test_sqlite_cache_is_shared_and_expires(tmp_path: Path, fake: Any, make_router: Any) -> None:
    clock = FakeClock()
    path = tmp_path / "cache.sqlite3"
    one = make_router(config(fake, enabled=True, backend="sqlite", path=str(path), ttl=60), clock=clock)
    two = make_router(config(fake, enabled=True, backend="sqlite", path=str(path), ttl=60), clock=clock)
    one.complete("g", "hi")
    assert two.complete("g", "hi").provider_metadata["router"]["cache_hit"] is True
    assert fake.count("a") == 1
    clock.advance(61)
    assert two.complete("g", "hi").provider_metadata["router"]["cache_hit"] is False
    store = SQLiteCache(path, clock=lambda: clock.now() + 1000)
    try:
        assert store.purge() == 1 and store.get("nothing") is None
    finally:
        store.close()


@pytest.mark.parametrize("raw", [
    b"[" * 100_000 + b"]" * 100_000,  # nested past any decoder's stack
    b'{"v": 1, "response": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    b"\xff\xfe not utf-8",
    b'{"v": 1}',
    b"[1, 2]",
    b"null",
])
def test_a_hostile_shared_cache_entry_is_a_miss(raw: bytes) -> None:
    """A shared cache (Redis) may hold what another process, or an attacker with access to it,
    wrote: an entry this version cannot read is a miss, never an exception."""
    from specwire.router.cache import decode_entry

    assert decode_entry(raw) is None
