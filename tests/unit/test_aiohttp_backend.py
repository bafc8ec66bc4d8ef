"""``Client(async_backend="aiohttp")``: the async API over aiohttp's pool (the ``aiohttp`` extra,
engine/transport_aiohttp.py), against a loopback server speaking real recorded traffic.  The same results, error
classes and connection reuse as the default httpx backend."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from specwire import (
    Client,
    ConfigError,
    RedirectError,
    ServerError,
    StreamInterruptedError,
)
from specwire.retry import Timeouts
from tests.hostile.server import (
    HostileServer,
    Reply,
    Reset,
    Sleep,
    hostile,  # noqa: F401  (fixture)
    openai_error,
    openai_sse,
    recorded,
    stream_reply,
)

pytest.importorskip("aiohttp")

GPT = "openai:gpt-4o-mini"


def _client(server: HostileServer, **kwargs: Any) -> Client:
    return Client(
        api_keys={"openai": "sk-test-aiohttp"},
        base_urls={"openai": server.url("/v1")},
        load_entry_points=False,
        async_backend="aiohttp",
        **kwargs,
    )


async def _both(client: Client) -> tuple[Any, list[Any]]:
    try:
        response = await client.acomplete(GPT, "hi")
        events = [e async for e in client.astream(GPT, "hi")]
    finally:
        await client.aclose()
    return response, events


@pytest.mark.parametrize("case", ["chat-stream-text-usage-final-chunk"])
def test_recorded_stream_same_as_httpx(hostile: HostileServer, case: str) -> None:
    """A recorded OpenAI stream gives the same events over both backends, and the second call reuses
    the first call's connection."""
    hostile.always(recorded("openai", case))
    results = {}
    for backend in ("httpx", "aiohttp"):
        client = Client(api_keys={"openai": "sk-test"}, base_urls={"openai": hostile.url("/v1")}, load_entry_points=False, async_backend=backend)

        async def run(client: Client = client) -> list[Any]:
            try:
                first = [e.model_dump() async for e in client.astream(GPT, "hi")]
                second = [e.model_dump() async for e in client.astream(GPT, "hi")]
                assert first == second
                return first
            finally:
                await client.aclose()

        start = len(hostile.requests)
        results[backend] = asyncio.run(run())
        conns = [r.conn for r in hostile.requests[start:]]
        assert conns[0] == conns[1], f"{backend}: the second call did not reuse the connection"
    assert results["httpx"] == results["aiohttp"]
    assert results["aiohttp"][-1]["type"] == "finish"


def test_complete_and_stream(hostile: HostileServer) -> None:
    hostile.script(
        Reply(200, (("content-type", "application/json"),), b'{"id":"c1","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}'),
        stream_reply(openai_sse(["Hel", "lo"])),
    )
    response, events = asyncio.run(_both(_client(hostile)))
    assert response.text == "Hello" and response.usage.input_tokens == 3
    assert "".join(e.delta for e in events if e.type == "text_delta") == "Hello"
    assert events[-1].type == "finish"


def test_status_error_and_retry(hostile: HostileServer) -> None:
    """503 twice then 503: retried by the one retry loop, then ``ServerError`` with the status."""
    hostile.always(openai_error(503, "busy", "server_error"))
    client = _client(hostile, max_retries=1)

    async def run() -> BaseException:
        try:
            await client.acomplete(GPT, "hi")
        except ServerError as exc:
            return exc
        finally:
            await client.aclose()
        raise AssertionError("no error")

    error = asyncio.run(run())
    assert error.status == 503 and hostile.count == 2


def test_reset_mid_stream_is_stream_interrupted(hostile: HostileServer) -> None:
    """A connection reset after content arrived: ``StreamInterruptedError`` with the partial text
    (specwire knows the body had started)."""
    pieces = openai_sse(["partial"], finish=None, done=False, usage=False)
    # the pause lets the client read the content first: aiohttp drops data it buffered but did not
    # hand out yet once the connection is reset, so an instant RST may arrive "before" the content
    hostile.always(stream_reply([*pieces, Sleep(0.2), Reset()]))
    client = _client(hostile)

    async def run() -> list[Any]:
        try:
            return [e async for e in client.astream(GPT, "hi", raise_on_error=False)]
        finally:
            await client.aclose()

    events = asyncio.run(run())
    assert events[-1].type == "error" and isinstance(events[-1].error, StreamInterruptedError), events[-1]
    assert events[-1].response.text == "partial"


def test_redirect_not_followed(hostile: HostileServer) -> None:
    hostile.always(Reply(302, (("location", "https://example.invalid/steal"), ("content-length", "0")), b""))
    client = _client(hostile, max_retries=0)

    async def run() -> BaseException:
        try:
            await client.acomplete(GPT, "hi")
        except RedirectError as exc:
            return exc
        finally:
            await client.aclose()
        raise AssertionError("no error")

    assert asyncio.run(run()).status == 302 and hostile.count == 1


def test_total_deadline(hostile: HostileServer) -> None:
    from specwire import DeadlineExceeded
    from tests.hostile.server import Stall

    hostile.always(Reply(None, steps=(Stall(),)))
    client = _client(hostile, timeout=Timeouts(connect=2, read=30, total=0.3))

    async def run() -> BaseException:
        try:
            await client.acomplete(GPT, "hi")
        except DeadlineExceeded as exc:
            return exc
        finally:
            await client.aclose()
        raise AssertionError("no error")

    assert isinstance(asyncio.run(run()), DeadlineExceeded)


def test_unknown_backend() -> None:
    with pytest.raises(ConfigError, match="async_backend"):
        Client(async_backend="curl", load_entry_points=False)
