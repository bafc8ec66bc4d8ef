"""A connection error names the host and port it could not reach, on both transports (httpx's
pool and aiohttp's), sync and async; never the key, the URL's user info, path or query."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

import specwire
from specwire import APITimeoutError, TransportError

from tests.hostile.server import HostileServer

KEY = "sk-CANARY-connect-5f1e"


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port that refuses connections (bound, not listening)."""
    with HostileServer(listen=False) as server:
        yield server.port


@pytest.mark.parametrize("flavor", ["sync", "async", "async-aiohttp"])
def test_a_refused_connection_names_host_and_port(flavor: str, closed_port: int) -> None:
    if flavor == "async-aiohttp":
        pytest.importorskip("aiohttp")
    client = specwire.Client(
        api_keys={"openai": KEY}, base_urls={"openai": f"http://127.0.0.1:{closed_port}/v1"},
        async_backend="aiohttp" if flavor == "async-aiohttp" else "httpx", max_retries=0, load_entry_points=False,
    )

    async def acall() -> None:
        try:
            await client.acomplete("openai:gpt-4o", "hi")
        finally:
            await client.aclose()

    with pytest.raises(TransportError) as info:
        if flavor == "sync":
            with client:
                client.complete("openai:gpt-4o", "hi")
        else:
            asyncio.run(acall())
    error = info.value
    text = str(error)
    assert f"could not connect to 127.0.0.1:{closed_port}" in text, text
    assert not isinstance(error, APITimeoutError), "a refused connection is not a timeout, on either backend"
    assert KEY not in text and "/chat/completions" not in text and "/v1" not in text, text


def test_the_endpoint_never_carries_user_info_path_or_query() -> None:
    from specwire.transport import _endpoint

    assert _endpoint("https://user:pa55@api.example.com/v1/x?key=AIzaSecret") == "api.example.com:443"
    assert _endpoint("http://api.example.com/v1") == "api.example.com:80"
    assert _endpoint("https://[::1]:8443/v1?x=1") == "[::1]:8443"
    assert _endpoint("not a url") is None
    assert _endpoint(None) is None


def test_the_message_of_each_failure_before_the_response_names_the_endpoint() -> None:
    import httpx

    from specwire.transport import _map

    url = "https://user:pw@api.example.com/v1/chat?key=AIzaSecret"
    assert str(_map(httpx.ConnectError("boom"), started=False, url=url)) == "could not connect to api.example.com:443: boom"
    assert str(_map(httpx.ConnectTimeout("slow"), started=False, url=url)) == "connect timeout to api.example.com:443: slow"
    assert "api.example.com:443" in str(_map(httpx.RemoteProtocolError("gone"), started=False, url=url))
    for error in (httpx.ConnectError("x"), httpx.ConnectTimeout("x")):
        text = str(_map(error, started=False, url=url))
        assert "pw" not in text and "AIzaSecret" not in text and "/v1" not in text
