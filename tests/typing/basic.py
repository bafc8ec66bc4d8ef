"""A typed user program: one-shot calls, tools and the response, as in the README.

Type-checked (never run) by test_typecheck.py under mypy --strict and pyright strict: every name
used here must be exported and precisely typed.
"""

from __future__ import annotations

from typing import Any

import specwire
from specwire import Client, Message, Response, Tool
from specwire.retry import RetryPolicy, Timeouts


def one_call() -> str:
    response = specwire.complete("anthropic:claude-sonnet-5-5", "Name three prime numbers", max_output_tokens=200)
    usage = response.usage
    if usage is not None and usage.input_tokens is not None:
        print(usage.input_tokens + 1, usage.raw)
    if response.cost is not None:
        print(f"{response.cost.total:.6f} USD")
    if response.finish_reason == "length":  # a FinishReason equals its unified string
        print("cut off", response.finish_reason.raw if response.finish_reason else None)
    return response.text


def tool_loop() -> Response:
    tools: list[Tool | dict[str, Any]] = [
        {"name": "get_weather", "description": "Weather for a city", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}},
        Tool(name="get_time", description="The time in a city"),
    ]
    messages: list[Message | dict[str, Any]] = [{"role": "user", "content": "Weather in Paris?"}]
    response = specwire.complete("anthropic:claude-sonnet-5-5", messages, tools=tools, reasoning="medium", tool_choice="auto")
    messages.append(response.message())
    for call in response.tool_calls:
        arguments: dict[str, Any] = call.arguments or {}
        messages.append({"role": "tool", "tool_call_id": call.tool_call_id, "content": f"18°C, sunny in {arguments.get('city')}"})
    final = specwire.complete("anthropic:claude-sonnet-5-5", messages, tools=tools)
    if final.finish_reason is not None and final.finish_reason.unified == "tool_calls":
        print("more tool calls", [c.tool_name for c in final.tool_calls])
    return final


def every_option(client: Client) -> Response:
    opts: specwire.CallOptions = {"temperature": 0.2, "top_p": 0.9, "seed": 7}
    client.complete("openai:gpt-5.5", "hi", **opts)  # a typed dict of options
    return client.complete(
        "openai:gpt-5.5",
        [Message(role="system", content="Be brief."), Message(role="user", content="hi")],
        max_output_tokens=256,
        top_k=40,
        stop_sequences=["\n\n"],
        presence_penalty=0.1,
        frequency_penalty=0.1,
        response_format={"type": "json_schema", "schema": {"type": "object"}},
        parallel_tool_calls=False,
        user="user-1",
        metadata={"run": "1"},
        provider_options={"openai": {"store": False}},
        api_key="sk-test",
        base_url="https://api.openai.com/v1",
        settings={"organization": "org"},
        extra_headers={"x-trace": "1"},
        timeout=Timeouts(total=30),
        max_retries=0,
        raise_on_content_filter=True,
        temperature=None,  # None: not given
    )


def logprobs_and_choices(client: Client) -> list[str]:
    response = client.complete("openai:gpt-5.5", "hi", logprobs=True, top_logprobs=2, n=2, service_tier="flex", prediction="hello", code_execution=False)
    tokens = [f"{t.token}:{t.logprob:.3f}:{len(t.top_logprobs)}" for t in response.logprobs or []]
    for choice in response.choices:
        finish = choice.finish_reason.unified if choice.finish_reason is not None else None
        tokens.append(f"{choice.index} {choice.text} {finish} {len(choice.logprobs or [])}")
    cached = {"anthropic": {"cache_control": {"type": "ephemeral"}}}
    client.complete("anthropic:claude-sonnet-5-5", [Message(role="user", content=[specwire.TextPart(text="doc", provider_metadata=cached)])], tools=[Tool(name="t", provider_metadata=cached)])
    return tokens


def errors() -> None:
    try:
        one_call()
    except specwire.RateLimitError as exc:
        print(exc.retry_after, exc.status)
    except specwire.APIStatusError as exc:
        print(exc.provider, exc.status, exc.partial)
    except specwire.SpecwireError as exc:
        print(exc)


def reliability() -> Response:
    client = Client(retry=RetryPolicy(max_retries=2), timeout=Timeouts(connect=10, read=600, first_event=60, idle=120, total=900))
    with client:
        return client.complete("openai:gpt-5.5", "hi", timeout=30, max_retries=0)


if __name__ == "__main__":
    errors()
    print(one_call(), tool_loop().text, reliability().text)
