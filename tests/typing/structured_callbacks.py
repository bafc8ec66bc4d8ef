"""A typed user program: structured output (a pydantic class as ``response_format``), the
``strict_capabilities`` option and a :class:`specwire.Callbacks` subclass (docs/structured-output.md,
docs/observability.md).

Type-checked (never run) by test_typecheck.py under mypy --strict and pyright strict.
``Response.parsed`` is typed ``Any`` (a call is not generic over the model class), so a program
narrows it with ``isinstance`` before use, as here.
"""

from __future__ import annotations

from pydantic import BaseModel

import specwire
from specwire import Callbacks, Client, FailureEvent, FinishEvent, RequestEvent, Response, RetryEvent


class Weather(BaseModel):
    city: str
    celsius: float


def weather() -> Weather | None:
    response = specwire.complete("openai:gpt-5.5", "Weather in Paris, as JSON", response_format=Weather, strict_capabilities=True)
    parsed = response.parsed
    if isinstance(parsed, Weather):
        print(parsed.city, parsed.celsius + 1.0)
        return parsed
    return None


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
