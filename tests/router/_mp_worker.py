"""A worker process for tests/router/test_redis_shared.py: spawned once per test module (so it
shares nothing with the test process but the Redis server and the loopback fake provider), it
runs commands from its queue and answers on the results queue."""

from __future__ import annotations

import time
from typing import Any


def serve(commands: Any, results: Any) -> None:
    from specwire import Client, SpecwireError
    from specwire.registry import SpecRegistry
    from specwire.router import LocalRateLimitError, Router

    registry = SpecRegistry(user_config=False, env={})
    registry.get("openai")  # compile once, before the first command
    client = Client(registry=registry, env={})
    results.put("ready")
    try:
        while True:
            command = commands.get()
            if command is None:
                return
            config, env, action, n, start_at = command
            router = Router(config, client=client, env=env, registry=registry)
            outcome: dict[str, Any] = {"ok": 0, "limited": 0, "errors": [], "deployments": []}
            try:
                time.sleep(max(start_at - time.time(), 0.0))  # both workers start together
                for _ in range(n):
                    try:
                        response = router.complete(action, "hi")
                        outcome["ok"] += 1
                        outcome["deployments"].append(response.provider_metadata["router"]["deployment"])
                    except LocalRateLimitError:
                        outcome["limited"] += 1
                    except SpecwireError as exc:
                        outcome["errors"].append(type(exc).__name__)
                outcome["circuits"] = {k: v.circuit for k, v in router.snapshot().deployments.items()}
            finally:
                router.close()
            results.put(outcome)
    finally:
        client.close()
