"""The request path of specwire.transport kept lean without losing behaviour: specwire's own httpx
clients keep no cookies (one caller's ``Set-Cookie`` never rides along on another call), and parsed
request URLs are reused, on the sync and the async API."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

import specwire

_REPLY = {
    "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-5.5",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}


def _handler(seen: list[httpx.Request]) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=_REPLY, headers={"set-cookie": "session=abc123; Path=/"})

    return handler


def test_sync_client_keeps_no_cookies() -> None:
    seen: list[httpx.Request] = []
    with specwire.Client(api_keys={"openai": "k"}, transport=httpx.MockTransport(_handler(seen)), max_retries=0, load_entry_points=False) as client:
        for _ in range(3):
            assert client.complete("openai:gpt-5.5", "hi").text == "hi"
        assert len(client._transport._urls) == 1  # pyright: ignore[reportPrivateUsage] - parsed once, reused
    assert len(seen) == 3
    assert all("cookie" not in r.headers for r in seen)


def test_async_client_keeps_no_cookies() -> None:
    seen: list[httpx.Request] = []

    async def scenario() -> None:
        async with specwire.Client(api_keys={"openai": "k"}, async_transport=httpx.MockTransport(_handler(seen)), max_retries=0,
                                   load_entry_points=False) as client:
            for _ in range(3):
                assert (await client.acomplete("openai:gpt-5.5", "hi")).text == "hi"

    asyncio.run(scenario())
    assert len(seen) == 3
    assert all("cookie" not in r.headers for r in seen)
    assert all(str(r.url) == str(seen[0].url) for r in seen)
