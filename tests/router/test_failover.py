"""Failure scenarios of the router on a loopback fake provider (tests/router/fakes.py).

What this protects (issue 5, "Done means"): a deployment answering 429 with ``retry-after`` is
skipped until its cooldown ends and then tried again; a dead deployment opens its circuit and is
probed half-open later; a context-window error falls back to the larger-context group; a
content-filter error follows its own chain (not the generic one); a stream that fails before its
first content event falls back and the caller sees one clean stream, while one that fails after
it does not fall back; one retry budget and one total deadline across retries and fallbacks;
credentials stay bound to their hosts.  Every scenario runs through the real transport (httpx on a
127.0.0.1 socket), sync and, where the path differs, async.  Error bodies follow
https://platform.openai.com/docs/guides/error-codes (``context_length_exceeded``,
``content_filter``, ``rate_limit_exceeded``) as the openai spec classifies them.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from specwire import Client, ConfigError, ContentFilterError, DeadlineExceeded, ServerError
from specwire.router import FakeClock, LocalRateLimitError

from .conftest import deployment, run_async
from .fakes import Reply, content_filter_error, context_window_error, rate_limited, server_error

FLAVORS = ("sync", "async")


def complete(router: Any, flavor: str, model: str, prompt: str = "hi", **kw: Any) -> Any:
    if flavor == "sync":
        return router.complete(model, prompt, **kw)

    return run_async(router, router.acomplete(model, prompt, **kw))


def stream_events(router: Any, flavor: str, model: str, prompt: str = "hi", **kw: Any) -> list[Any]:
    if flavor == "sync":
        with router.stream(model, prompt, raise_on_error=False, **kw) as s:
            return list(s)

    async def run() -> list[Any]:
        async with router.astream(model, prompt, raise_on_error=False, **kw) as s:
            return [e async for e in s]

    return run_async(router, run())


def pair(fake: Any, **group: Any) -> dict[str, Any]:
    return {
        "router": {"strategy": "round-robin"},
        "deployments": [deployment(fake, "a", "gpt-5.4"), deployment(fake, "b", "gpt-5.5")],
        "groups": {"g": {"deployments": ["a", "b"], **group}},
    }


@pytest.mark.parametrize("flavor", FLAVORS)
def test_429_with_retry_after_is_skipped_until_its_cooldown_ends(fake: Any, make_router: Any, flavor: str) -> None:
    clock = FakeClock()
    router = make_router(pair(fake), clock=clock)
    fake.script("a", rate_limited(retry_after=20))
    first = complete(router, flavor, "g")
    assert first.provider_metadata["router"]["deployment"] == "b"
    assert fake.names() == ["a", "b"]
    assert router.snapshot().deployments["a"].circuit == "open"
    for _ in range(4):  # during the cooldown every call goes to b, whatever the strategy says
        assert complete(router, flavor, "g").provider_metadata["router"]["deployment"] == "b"
    assert fake.count("a") == 1
    clock.advance(19.0)
    complete(router, flavor, "g")
    assert fake.count("a") == 1, "still cooling down one second before retry-after ends"
    clock.advance(1.5)
    served = {complete(router, flavor, "g").provider_metadata["router"]["deployment"] for _ in range(2)}
    assert "a" in served and fake.count("a") == 2, "after the cooldown a is tried again (half-open)"
    assert router.snapshot().deployments["a"].circuit == "closed"
    assert clock.sleeps == [], "with another deployment available the router never waits"


@pytest.mark.parametrize("flavor", FLAVORS)
def test_dead_deployment_opens_its_circuit_and_is_probed_half_open_later(fake: Any, make_router: Any, flavor: str) -> None:
    clock = FakeClock()
    config = pair(fake)
    config["health"] = {"consecutive_failures": 2, "cooldown": 10}
    router = make_router(config, clock=clock)
    fake.script("a", Reply("drop"), Reply("drop"), Reply("drop"), Reply("drop"))
    for _ in range(6):
        assert complete(router, flavor, "g").text == "Hello from the fake"
    assert fake.count("a") == 2, "the circuit opened after 2 consecutive failures"
    snap = router.snapshot().deployments["a"]
    assert snap.circuit == "open" and dict(snap.errors) == {"TransportError": 2}
    clock.advance(10.5)
    complete(router, flavor, "g")
    complete(router, flavor, "g")
    assert fake.count("a") == 3, "one half-open probe after the cooldown"
    assert router.snapshot().deployments["a"].circuit == "open", "the probe failed (still dead): open again"
    clock.advance(10.5)
    for _ in range(4):
        complete(router, flavor, "g")
    assert fake.count("a") == 3, "the second cooldown is twice as long (20 s)"
    clock.advance(10.0)
    fake.script("a")  # alive again
    for _ in range(4):
        complete(router, flavor, "g")
    assert fake.count("a") >= 2 + 1 + 1 and router.snapshot().deployments["a"].circuit == "closed"


@pytest.mark.parametrize("flavor", FLAVORS)
def test_context_window_error_falls_back_to_the_larger_model(fake: Any, make_router: Any, flavor: str) -> None:
    config = {
        "router": {},
        "deployments": [deployment(fake, "small", "gpt-5"), deployment(fake, "large", "gpt-5.5"), deployment(fake, "other", "gpt-5.4")],
        "groups": {
            "chat": {"deployments": ["small"], "fallbacks": ["spare"], "context_window_fallbacks": ["long"]},
            "long": {"deployments": ["large"]},
            "spare": {"deployments": ["other"]},
        },
    }
    router = make_router(config)
    fake.script("small", context_window_error(), context_window_error())
    response = complete(router, flavor, "chat", "x" * 1000)
    assert response.provider_metadata["router"] == {"route": "chat", "deployment": "large", "attempts": 2, "fallbacks": 1, "cache_hit": False}
    assert response.model == "gpt-5.5"
    assert fake.names() == ["small", "large"], "the generic chain (spare) is not used for a context-window error"
    assert router.snapshot().deployments["small"].circuit == "closed", "a too-long prompt says nothing about the deployment's health"
    events = stream_events(router, flavor, "chat", "x" * 1000)
    assert [e.type for e in events].count("response_start") == 1 and events[-1].type == "finish"
    assert events[0].model == "gpt-5.5"


@pytest.mark.parametrize("flavor", FLAVORS)
def test_content_filter_error_follows_its_own_chain(fake: Any, make_router: Any, flavor: str) -> None:
    config = {
        "router": {},
        "deployments": [deployment(fake, "main", "gpt-5.4"), deployment(fake, "safe", "gpt-5.5"), deployment(fake, "other", "gpt-6-luna")],
        "groups": {
            "chat": {"deployments": ["main"], "fallbacks": ["spare"], "content_filter_fallbacks": ["moderated"]},
            "plain": {"deployments": ["main"], "fallbacks": ["spare"]},
            "moderated": {"deployments": ["safe"]},
            "spare": {"deployments": ["other"]},
        },
    }
    router = make_router(config)
    fake.script("main", content_filter_error(), content_filter_error())
    response = complete(router, flavor, "chat")
    assert response.provider_metadata["router"]["deployment"] == "safe"
    assert fake.names() == ["main", "safe"]
    with pytest.raises(ContentFilterError):
        complete(router, flavor, "plain")  # no content-filter chain: the generic one does not apply
    assert fake.count("other") == 0


@pytest.mark.parametrize("flavor", FLAVORS)
def test_stream_failing_before_its_first_event_falls_back_cleanly(fake: Any, make_router: Any, flavor: str) -> None:
    router = make_router(pair(fake))
    fake.script("a", Reply("error_before"))
    events = stream_events(router, flavor, "g")
    types = [e.type for e in events]
    assert fake.names() == ["a", "b"]
    assert types.count("response_start") == 1 and "error" not in types and types[-1] == "finish"
    assert events[0].model == "gpt-5.5", "the held-back response_start of the failed attempt is dropped"
    assert "".join(e.delta for e in events if e.type == "text_delta") == "Hello from the fake"
    assert events[-1].response.provider_metadata["router"]["deployment"] == "b"


@pytest.mark.parametrize("flavor", FLAVORS)
def test_stream_failing_after_its_first_event_does_not_fall_back(fake: Any, make_router: Any, flavor: str) -> None:
    router = make_router(pair(fake))
    fake.script("a", Reply("error_after", text="partial answer"))
    events = stream_events(router, flavor, "g")
    types = [e.type for e in events]
    assert fake.names() == ["a"], "no fallback once content reached the caller"
    assert types[-1] == "error" and "text_delta" in types
    assert isinstance(events[-1].error, ServerError) and events[-1].error.in_stream
    assert events[-1].response.text == "partial answer"
    assert events[-1].response.provider_metadata["router"]["deployment"] == "a"  # the deployment that failed
    with pytest.raises(ServerError):  # raise_on_error=True raises after the error event
        fake.script("a", Reply("error_after"))
        fake.script("b", Reply("error_after"))
        list(router.stream("g", "hi"))


@pytest.mark.parametrize("flavor", FLAVORS)
def test_stream_failing_before_any_event_names_its_last_deployment(fake: Any, make_router: Any, flavor: str) -> None:
    config = pair(fake)
    config["router"]["retry"] = {"retries": 1}  # two attempts: a, then b
    router = make_router(config)
    fake.script("a", Reply("error_before"))
    fake.script("b", Reply("error_before"))
    events = stream_events(router, flavor, "g")
    assert [e.type for e in events if e.type in ("finish", "error")] == ["error"]
    assert fake.names() == ["a", "b"]
    assert events[-1].response.provider_metadata["router"]["deployment"] == "b"


def test_stream_partial_and_one_terminal_event(fake: Any, make_router: Any) -> None:
    router = make_router(pair(fake))
    fake.script("a", Reply("error_after", text="so far"))
    s = router.stream("g", "hi", raise_on_error=False)
    events = list(s)
    assert sum(e.type in ("finish", "error") for e in events) == 1
    assert s.partial is not None and s.partial.text == "so far"
    assert s.error is not None and s.response is None


@pytest.mark.parametrize("flavor", FLAVORS)
def test_one_retry_budget_across_retries_and_fallbacks(fake: Any, make_router: Any, flavor: str) -> None:
    config = {
        "router": {"retry": {"retries": 2}},
        "deployments": [deployment(fake, n, "gpt-5.4") for n in ("a", "b", "c", "d")],
        "groups": {"g": {"deployments": ["a", "b"], "fallbacks": ["h"]}, "h": {"deployments": ["c", "d"]}},
    }
    router = make_router(config)
    for name in "abcd":
        fake.script(name, default=server_error())
    with pytest.raises(ServerError):
        complete(router, flavor, "g")
    assert len(fake.requests) == 3, "retries: 2 means three attempts in all, fallbacks included"
    route = router.snapshot().routes["g"]
    assert route.attempts == 3 and route.failures == 1 and route.errors == {"ServerError": 1}


@pytest.mark.parametrize("flavor", FLAVORS)
def test_single_deployment_retries_with_backoff(fake: Any, make_router: Any, flavor: str) -> None:
    clock = FakeClock()
    config = {"router": {"retry": {"retries": 2}}, "deployments": [deployment(fake, "a", "gpt-5.4")]}
    router = make_router(config, clock=clock)
    fake.script("a", server_error(503))
    assert complete(router, flavor, "a").text == "Hello from the fake"
    assert fake.count("a") == 2
    assert len(clock.sleeps) == 1 and 0.25 <= clock.sleeps[0] <= 0.5, "the library's backoff: 0.5 s x jitter [0.5, 1]"


@pytest.mark.parametrize("flavor", FLAVORS)
def test_retry_after_is_waited_for_when_nothing_else_can_serve(fake: Any, make_router: Any, flavor: str) -> None:
    clock = FakeClock()
    router = make_router({"router": {}, "deployments": [deployment(fake, "a", "gpt-5.4")]}, clock=clock)
    fake.script("a", rate_limited(retry_after=4))
    assert complete(router, flavor, "a").text
    assert clock.sleeps == [4.0] and fake.count("a") == 2


@pytest.mark.parametrize("flavor", FLAVORS)
def test_total_deadline_covers_retries_and_waits(fake: Any, make_router: Any, flavor: str) -> None:
    from specwire.retry import Timeouts

    clock = FakeClock()
    router = make_router({"router": {"timeout": {"total": 3}}, "deployments": [deployment(fake, "a", "gpt-5.4")]}, clock=clock)
    fake.script("a", rate_limited(retry_after=5))
    with pytest.raises(DeadlineExceeded, match="would pass before the next retry"):
        complete(router, flavor, "a")
    assert clock.sleeps == [] and fake.count("a") == 1
    clock.advance(6)
    fake.script("a", server_error(), server_error(), server_error())
    with pytest.raises(DeadlineExceeded):
        complete(router, flavor, "a", timeout=Timeouts(total=0.4))  # backoff 0.25-0.5 s, then less than nothing left
    assert sum(clock.sleeps) < 0.4


@pytest.mark.parametrize("flavor", FLAVORS)
def test_errors_outside_fallback_on_end_the_call(fake: Any, make_router: Any, flavor: str) -> None:
    router = make_router(pair(fake))
    fake.script("a", Reply("status", status=401, body={"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "code": "invalid_api_key"}}))
    from specwire import AuthenticationError

    with pytest.raises(AuthenticationError):
        complete(router, flavor, "g")
    assert fake.names() == ["a"]


def test_fallback_on_can_add_error_classes(fake: Any, make_router: Any) -> None:
    config = pair(fake)
    config["router"]["fallback_on"] = ["RateLimitError", "ServerError", "AuthenticationError"]
    router = make_router(config)
    fake.script("a", Reply("status", status=401, body={"error": {"message": "bad key", "code": "invalid_api_key"}}))
    assert router.complete("g", "hi").provider_metadata["router"]["deployment"] == "b"


@pytest.mark.parametrize("flavor", FLAVORS)
def test_local_rate_limit_waits_or_raises(fake: Any, make_router: Any, flavor: str) -> None:
    clock = FakeClock()
    config = {"router": {}, "deployments": [deployment(fake, "a", "gpt-5.4", rpm=2)], "rate_limit": {"mode": "wait", "max_wait": 60}}
    router = make_router(config, clock=clock)
    for _ in range(3):
        complete(router, flavor, "a")
    assert clock.sleeps == [pytest.approx(30.0)], "rpm 2: one request every 30 s once the burst is spent"
    config["rate_limit"] = {"mode": "raise"}
    router = make_router(config, clock=FakeClock())
    complete(router, flavor, "a")
    complete(router, flavor, "a")
    with pytest.raises(LocalRateLimitError) as info:
        complete(router, flavor, "a")
    assert info.value.retry_after == pytest.approx(30.0) and info.value.status is None
    assert fake.count("a") == 5


def test_local_rate_limit_in_raise_mode_falls_back(fake: Any, make_router: Any) -> None:
    config = pair(fake)
    config["deployments"][0]["rpm"] = 1
    config["groups"] = {"g": {"deployments": ["a"], "fallbacks": ["b"]}}
    config["rate_limit"] = {"mode": "raise"}
    router = make_router(config)
    assert router.complete("g", "hi").provider_metadata["router"]["deployment"] == "a"
    assert router.complete("g", "hi").provider_metadata["router"]["deployment"] == "b"


def test_token_bucket_is_corrected_with_reported_usage(fake: Any, make_router: Any) -> None:
    config = {"router": {}, "deployments": [deployment(fake, "a", "gpt-5.4", tpm=10_000)], "rate_limit": {"default_output_tokens": 500}}
    router = make_router(config)
    fake.script("a", Reply(usage=(40, 7)))
    router.complete("a", "x" * 400)  # estimate: 100 prompt + 500 output
    assert router.bucket_levels("a")["tpm"] == pytest.approx(10_000 - 47)


def test_credentials_stay_bound_to_their_hosts(registry: Any, make_router: Any) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.host)
        return httpx.Response(200, json={"choices": [{"message": {"content": "ok"}, "finish_reason": "stop"}]})

    config = {"router": {}, "deployments": [{"id": "x", "provider": "openai", "model": "gpt-5.4", "api_key_env": "OPENAI_API_KEY", "base_url": "https://evil.example/v1"}]}
    client = Client(registry=registry, env={}, transport=httpx.MockTransport(handler))
    router = make_router(config, client=client, env={"OPENAI_API_KEY": "sk-CANARY-router"})
    with pytest.raises(ConfigError, match="refusing to send OPENAI_API_KEY to evil.example") as info:
        router.complete("x", "hi")
    assert seen == [] and "CANARY" not in str(info.value)
    config["router"]["trusted_hosts"] = ["evil.example"]
    trusted = make_router(config, client=Client(registry=registry, env={}, transport=httpx.MockTransport(handler)), env={"OPENAI_API_KEY": "sk-CANARY-router"})
    assert trusted.complete("x", "hi").text == "ok" and seen == ["evil.example"]


def test_missing_key_variable_is_a_config_error(fake: Any, make_router: Any) -> None:
    router = make_router(pair(fake), env={})
    with pytest.raises(ConfigError, match="set ROUTER_TEST_KEY"):
        router.complete("g", "hi")
    assert fake.requests == []


def test_accounting_snapshot(fake: Any, make_router: Any) -> None:
    router = make_router(pair(fake, fallbacks=[]))
    fake.script("a", server_error())
    fake.script("b", Reply(usage=(1000, 100)))
    for _ in range(3):
        router.complete("g", "hi")
    snap = router.snapshot()
    a, b, route = snap.deployments["a"], snap.deployments["b"], snap.routes["g"]
    assert (a.requests, a.failures, dict(a.errors)) == (2, 1, {"ServerError": 1})  # round-robin came back to a
    assert b.successes + a.successes == 3
    assert route.requests == 3 and route.successes == 3 and route.attempts == 4 and route.fallbacks == 0
    assert route.input_tokens == 1000 + 2 * 10 and route.output_tokens == 100 + 2 * 5
    # gpt-5.5 is 5 / 30 USD per million tokens, gpt-5.4 2.5 / 15 (providers.d/openai.yaml)
    assert b.cost_usd > 0 and route.cost_usd == pytest.approx(a.cost_usd + b.cost_usd)
    assert route.latency.count == 3 and route.latency.p50 is not None and route.latency.p99 is not None
    assert a.error_rate is not None and a.in_flight == 0 and b.in_flight == 0
