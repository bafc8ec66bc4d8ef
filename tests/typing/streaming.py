"""A typed user program: streams, narrowing events on ``event.type`` (the README's idiom)."""

from __future__ import annotations

import specwire
from specwire import Response, StreamEvent


def print_stream() -> Response | None:
    for event in specwire.stream("openai:gpt-5.5", [{"role": "user", "content": "Hi"}]):
        if event.type == "text_delta":
            print(event.delta, end="", flush=True)
        elif event.type == "reasoning_delta":
            print(event.delta, end="")
        elif event.type == "tool_call_end":
            print(event.part.tool_name, event.part.arguments)
        elif event.type == "usage":
            print(event.usage.output_tokens)
        elif event.type == "warning":
            print(event.warning.kind, event.warning.detail)
        elif event.type == "finish":
            print("\n", event.response.usage)
            return event.response
        elif event.type == "error":
            print(event.error, event.response.text)
    return None


def describe(event: StreamEvent) -> str:
    match event.type:
        case "response_start":
            return f"{event.provider}:{event.model}"
        case "text_start" | "reasoning_start" | "tool_call_delta":
            return str(event.index)
        case "tool_call_start":
            return event.tool_name or ""
        case "text_end":
            return event.part.text
        case _:
            return event.type


def with_stream_object() -> str:
    with specwire.Client() as client:
        stream = client.stream("anthropic:claude-sonnet-5-5", "Hi", max_output_tokens=100, raise_on_error=False, stream_mode=None)
        with stream:
            text = "".join(stream.text())
        partial = stream.partial
        if stream.error is not None:
            print(type(stream.error).__name__, partial.text if partial else "")
        final: Response | None = stream.response
        return final.text if final is not None else text


def until_done() -> Response:
    return specwire.stream("gemini:gemini-3.5-flash", "Hi", stream_mode="sse").until_done()


def as_json(event: StreamEvent) -> dict[str, object]:
    return event.model_dump(mode="json")


if __name__ == "__main__":
    print(print_stream(), with_stream_object(), until_done().text)
