"""A typed user program: structured output (a pydantic class as ``response_format``), the
``strict_capabilities`` option and a :class:`specwire.Callbacks` subclass (docs/structured-output.md,
docs/observability.md).

Type-checked (never run) by test_typecheck.py under mypy --strict and pyright strict.  A call
given a model class as ``response_format`` returns ``Response[ThatClass]``: ``parsed`` is
``ThatClass | None`` with no cast; other calls return a bare ``Response`` (``parsed: Any``).
"""

from __future__ import annotations

from pydantic import BaseModel

import specwire
from specwire import Callbacks, Client, FailureEvent, FinishEvent, RequestEvent, Response, RetryEvent
from specwire.router import Router


class Weather(BaseModel):
    city: str
    celsius: float


def weather() -> Weather | None:
    response: Response[Weather] = specwire.complete("openai:gpt-5.5", "Weather in Paris, as JSON", response_format=Weather, strict_capabilities=True)
    parsed = response.parsed
    if parsed is not None:
        print(parsed.city, parsed.celsius + 1.0)
    return parsed


async def weather_async(client: Client, router: Router) -> float:
    first = await client.acomplete("openai:gpt-5.5", "Weather in Paris", response_format=Weather, temperature=0.0, callbacks=[Meter()])
    second = router.complete("default", "Weather in Rome", response_format=Weather, cache=False)
    third = await specwire.acomplete("openai:gpt-5.5", "Weather in Oslo", response_format=Weather)
    return sum(r.parsed.celsius for r in (first, second, third) if r.parsed is not None)


def untyped_formats(client: Client) -> None:
    as_json = client.complete("openai:gpt-5.5", "hi", response_format="json")
    print(as_json.parsed)  # Any: no model class was given
    schema = {"type": "json_schema", "schema": {"type": "object"}}
    print(client.complete("openai:gpt-5.5", "hi", response_format=schema).text)


def structured_errors(client: Client) -> None:
    try:
        client.complete("anthropic:claude-sonnet-5-5", "Weather in Paris", response_format=Weather, strict_capabilities=False)
    except specwire.StructuredOutputError as exc:
        partial: Response | None = exc.partial
        print(exc.raw, partial.text if partial is not None else "")
    except specwire.CapabilityError as exc:
        print(exc)


class Meter(Callbacks):
    """Counts tokens and failures across calls."""

    def __init__(self) -> None:
        self.tokens = 0
        self.failures: list[str] = []

    def on_request(self, event: RequestEvent) -> None:
        print(event.provider, event.model, event.attempt, event.url, dict(event.headers))

    def on_retry(self, event: RetryEvent) -> None:
        print(f"retry in {event.delay:.1f} s: {event.reason}", event.status)

    def on_finish(self, event: FinishEvent) -> None:
        if event.usage is not None and event.usage.output_tokens is not None:
            self.tokens += event.usage.output_tokens
        if event.cost is not None:
            print(f"{event.cost.total:.6f} USD in {event.duration:.3f} s")
        print(event.response.text)

    async def on_error(self, event: FailureEvent) -> None:
        print(type(event.error).__name__, event.partial.text if event.partial is not None else None)


def observed() -> int:
    meter = Meter()
    with Client(callbacks=[meter], strict_capabilities=True) as client:
        client.complete("openai:gpt-5.5", "hi", callbacks=[Meter()], strict_capabilities=False)
        opts: specwire.CallOptions = {"callbacks": [meter], "response_format": Weather, "strict_capabilities": None}
        client.complete("openai:gpt-5.5", "hi", **opts)
    return meter.tokens


async def observed_async(client: Client) -> Response:
    return await client.acomplete("openai:gpt-5.5", "hi", callbacks=(Meter(),), response_format=Weather)


if __name__ == "__main__":
    print(weather(), observed())
