"""The module-level functions' default client closes cleanly: no ``ResourceWarning`` at exit
(its sync pool is closed by ``atexit``) and none across two ``asyncio.run`` calls (a loop's async
pool is closed when the loop shuts down), on both async backends.  Run in a subprocess with
``-W error::ResourceWarning -X dev`` against a 127.0.0.1 server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile.server import HostileServer, openai_ok

ROOT = Path(__file__).resolve().parents[2]

MODULE_LEVEL = r'''
import asyncio, specwire
print(specwire.complete("openai:gpt-4o", "hi").text)
async def main():
    print((await specwire.acomplete("openai:gpt-4o", "hi")).text)
asyncio.run(main())
asyncio.run(main())
'''

OWN_CLIENT = r'''
import asyncio, specwire
client = specwire.Client(async_backend=BACKEND)
async def main():
    print((await client.acomplete("openai:gpt-4o", "hi")).text)
asyncio.run(main())
asyncio.run(main())
with client:
    print(client.complete("openai:gpt-4o", "hi").text)
'''


def _run(code: str, server: HostileServer) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env.update({"OPENAI_API_KEY": "sk-test-default", "OPENAI_BASE_URL": server.url("/v1"), "PYTHONPATH": str(ROOT)})
    return subprocess.run(
        [sys.executable, "-W", "error::ResourceWarning", "-X", "dev", "-c", code],
        env=env, capture_output=True, text=True, timeout=90, cwd=str(ROOT),
    )


def test_the_module_level_functions_leave_no_socket_open() -> None:
    with HostileServer() as server:
        server.script(then=openai_ok(False))
        done = _run(MODULE_LEVEL, server)
    assert "ResourceWarning" not in done.stderr, done.stderr[-3000:]
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["Hello", "Hello", "Hello"]


@pytest.mark.parametrize("backend", ["httpx", "aiohttp"])
def test_a_clients_async_pools_close_with_their_event_loops(backend: str) -> None:
    if backend == "aiohttp":
        pytest.importorskip("aiohttp")
    with HostileServer() as server:
        server.script(then=openai_ok(False))
        done = _run(OWN_CLIENT.replace("BACKEND", repr(backend)), server)
    assert "ResourceWarning" not in done.stderr, done.stderr[-3000:]
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["Hello", "Hello", "Hello"]
