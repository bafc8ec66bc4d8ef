"""A typed user program: the router (same events, plus its own options)."""

from __future__ import annotations

import asyncio

from specwire import Response
from specwire.options import RouterCallOptions
from specwire.router import Router


def route() -> Response:
    with Router("router.yaml") as router:
        response = router.complete("default", "Name three primes", max_output_tokens=100, cache=False, tags=["eu"])
        print(response.text, response.provider_metadata["router"])
        for event in router.stream("fast", "Hi", timeout=30):
            if event.type == "text_delta":
                print(event.delta, end="")
        vectors: list[list[float]] = router.embed("embeddings", ["a", "b"], dimensions=256, input_type="document", tags=["eu"]).vectors
        print(len(vectors))
        snapshot = router.snapshot()
        print(snapshot.routes["default"].latency.p90)
        return response


async def aroute(router: Router) -> str:
    opts: RouterCallOptions = {"max_retries": 1, "settings": {"region": "eu"}}
    response = await router.acomplete("default", "Hi", **opts)
    async for event in router.astream("fast", "Hi"):
        if event.type == "finish":
            return event.response.text + response.text
    return response.text


if __name__ == "__main__":
    print(route().text)
    print(asyncio.run(aroute(Router("router.yaml"))))
