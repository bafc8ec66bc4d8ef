"""A typed user program: the async twins (``acomplete``, ``astream``, ``AsyncStream``)."""

from __future__ import annotations

import asyncio

import specwire
from specwire import AsyncStream, Response


async def one_call() -> str:
    response = await specwire.acomplete("openai:gpt-5.5", "Hi", temperature=0.0)
    return response.text


async def stream_text() -> str:
    chunks: list[str] = []
    async with specwire.Client(api_keys={"gemini": "..."}) as client:
        stream: AsyncStream = client.astream("gemini:gemini-3.5-flash", "Hi", max_output_tokens=64)
        async with stream:
            async for event in stream:
                if event.type == "text_delta":
                    chunks.append(event.delta)
                elif event.type == "error":
                    print(event.error.__class__.__name__)
    return "".join(chunks)


async def module_stream() -> Response:
    async for event in specwire.astream("anthropic:claude-sonnet-5-5", "Hi"):
        if event.type == "finish":
            return event.response
    raise RuntimeError("no finish event")


async def text_only() -> str:
    async with specwire.astream("openai:gpt-5.5", "Hi", raise_on_error=True) as stream:
        return "".join([piece async for piece in stream.text()])


async def main() -> None:
    print(await one_call(), await stream_text(), (await module_stream()).text, await text_only())
    done = await specwire.Client().astream("openai:gpt-5.5", "Hi").until_done()
    print(done.finish_reason == "stop")


if __name__ == "__main__":
    asyncio.run(main())
