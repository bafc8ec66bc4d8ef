"""Cohere Chat v2 (providers.d/cohere.yaml): the request body, parameter policy, stream and
non-stream parsing beyond the corpus' ``expected`` blocks, errors, and the HTTP exchange.

What this protects:

* the request contract of ``POST https://api.cohere.com/v2/chat`` (cohere 7.3.1 on PyPI:
  ``cohere/v2/raw_client.py``, ``cohere/types/chat_message_v2.py``, ``tool_v2.py``,
  ``tool_call_v2.py``, ``tool_content.py``, ``thinking.py``, ``response_format_v2.py``;
  https://docs.cohere.com/reference/chat): system messages in the list, the developer role sent
  as system, assistant turns with ``tool_calls`` and the text before them as ``tool_plan``, tool
  results as ``role: tool`` messages with ``document`` content, Cohere's own thinking echoed as a
  ``thinking`` item, images in user messages only, ``Authorization: Bearer`` with CO_API_KEY (or
  COHERE_API_KEY);
* parameters: ``max_tokens``, ``p``/``k`` and the penalties clamped to the ranges of the SDK's
  docstrings, ``stop_sequences`` (at most 5), ``tool_choice`` REQUIRED/NONE, ``response_format``
  json_object (+ json_schema), ``thinking`` {type, token_budget};
* the stream (https://docs.cohere.com/reference/chat-stream): thinking and text content blocks by
  index, tool calls in their own index space, the tool plan kept out of text and reasoning,
  ``message-end`` with finish reason and usage (tokens, billed_units, cached_tokens), complete
  only with ``message-end``;
* a non-streaming body keeps ``tool_plan`` in the response metadata; errors map by status
  (498 invalid token → AuthenticationError).

The five recorded Cohere cases are replayed against their ``expected`` blocks by
tests/providers/test_replay_corpus.py.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import respx
import specwire
from specwire import (
    ImagePart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from specwire.process import ResponseProcessor

from tests.conftest import FIXTURES
from tests.providers.param_probe import probe_problems
from tests.providers.render_common import (
    PNG_B64,
    WEATHER_TOOL,
    param_warnings,
    weather_conversation,
)

PROVIDER = "cohere"
MODEL = "command-a-03-2025"
REF = f"{PROVIDER}:{MODEL}"
URL = "https://api.cohere.com/v2/chat"
KEY = "co-test-key-9d8c7b6a"


def _build(client: specwire.Client, messages: Any = "hi", **options: Any) -> specwire.RequestPlan:
    return client.build(REF, messages, **options)


def _replay(registry: Any, case: str, body: str, *, stream: bool) -> list[Any]:
    proc = ResponseProcessor(registry.get(PROVIDER), model=MODEL, stream=stream, framing="sse" if stream else None)
    return proc.start() + proc.feed((FIXTURES / "cohere" / case / body).read_bytes()) + proc.close()


def _run(registry: Any, body: bytes, *, stream: bool = True) -> list[Any]:
    proc = ResponseProcessor(registry.get(PROVIDER), model=MODEL, stream=stream)
    return proc.start() + proc.feed(body) + proc.close()


def _sse(*chunks: dict[str, Any]) -> bytes:
    return "".join(f"event: {c['type']}\ndata: {json.dumps(c)}\n\n" for c in chunks).encode()


# ---------------------------------------------------------------- request
@pytest.mark.parametrize("form", [0, 1, 2], ids=["openai-dicts", "unified-dicts", "messages"])
def test_tool_conversation(client: specwire.Client, form: int) -> None:
    """System stays a message; the assistant's text before its calls is the ``tool_plan``, the calls
    are ``tool_calls`` with JSON-text arguments; each result is a ``role: tool`` message whose
    content is a document block (chat_message_v2.py ToolChatMessageV2, tool_content.py
    DocumentToolContent, document.py: data is an object)."""
    plan = _build(client, weather_conversation("call_")[form], tools=[WEATHER_TOOL])
    assert plan.url == URL and plan.method == "POST"
    assert plan.body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {"role": "assistant", "tool_plan": "Checking both.", "tool_calls": [
            {"id": "call_paris", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}},
            {"id": "call_rome", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Rome"}'}},
        ]},
        {"role": "tool", "tool_call_id": "call_paris", "content": [{"type": "document", "document": {"data": {"output": "18C and sunny"}}}]},
        {"role": "tool", "tool_call_id": "call_rome", "content": [{"type": "document", "document": {"data": {"output": "21C"}}}]},
        {"role": "user", "content": "Thanks!"},
    ]
    assert plan.body["tools"] == [{"type": "function", "function": {"name": "get_weather", "description": "Current weather for a city", "parameters": WEATHER_TOOL["parameters"]}}]


def test_error_results_developer_role_and_plain_assistant_text(client: specwire.Client) -> None:
    """A failed tool result is a document with ``error``; the developer role is sent as system
    (Cohere has user/assistant/system/tool); an assistant turn without calls has text content."""
    plan = _build(client, [
        {"role": "developer", "content": "Be exact."},
        {"role": "user", "content": "q"},
        Message(role="assistant", content=[ToolCallPart(tool_call_id="t1", tool_name="f", arguments={"a": 1})]),
        Message(role="tool", content=[ToolResultPart(tool_call_id="t1", content="no such city", is_error=True)]),
        {"role": "assistant", "content": "Sorry."},
    ])
    msgs = plan.body["messages"]
    assert msgs[0] == {"role": "system", "content": "Be exact."}
    assert msgs[2] == {"role": "assistant", "tool_calls": [{"id": "t1", "type": "function", "function": {"name": "f", "arguments": '{"a":1}'}}]}
    assert msgs[3]["content"] == [{"type": "document", "document": {"data": {"error": "no such city"}}}]
    assert msgs[4] == {"role": "assistant", "content": [{"type": "text", "text": "Sorry."}]}


def test_thinking_is_echoed_only_when_it_is_coheres(client: specwire.Client, registry: Any) -> None:
    """Cohere's thinking (marked when parsed) goes back as a ``thinking`` item of the assistant
    turn (assistant_message_v2content_one_item.py); another provider's reasoning is left out."""
    response = _replay(registry, "v2-stream-thinking", "stream.reframed.sse", stream=True)[-1].response
    plan = _build(client, [{"role": "user", "content": "2+2?"}, response.message(), {"role": "user", "content": "and 3+3?"}])
    assistant = plan.body["messages"][1]
    assert assistant == {"role": "assistant", "content": [{"type": "thinking", "thinking": response.reasoning}, {"type": "text", "text": "The answer to 2 + 2 is 4."}]}
    foreign = _build(client, [Message(role="user", content="q"), Message(role="assistant", content=[ReasoningPart(text="x", provider_metadata={"anthropic": {"signature": "s"}}), TextPart(text="a")])])
    assert foreign.body["messages"][1] == {"role": "assistant", "content": [{"type": "text", "text": "a"}]}


def test_images_only_in_user_messages_and_no_file_parts(client: specwire.Client) -> None:
    """content.py: user content takes text and image_url items; files are not message content."""
    plan = _build(client, [Message(role="user", content=[TextPart(text="what is it?"), ImagePart(data=PNG_B64, media_type="image/png")])])
    assert plan.body["messages"][0]["content"] == [{"type": "text", "text": "what is it?"}, {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}}]
    with pytest.raises(specwire.RequestBuildError, match="images in user messages only"):
        _build(client, [Message(role="user", content="a"), Message(role="assistant", content=[ImagePart(url="https://x.test/a.png")])])
    with pytest.raises(specwire.RequestBuildError, match="file parts"):
        _build(client, [Message(role="user", content=[{"type": "document", "url": "https://x.test/a.pdf"}])])


def test_sampling_parameters_and_their_ranges(client: specwire.Client) -> None:
    """cohere/v2/raw_client.py docstrings: p in [0.01, 0.99], k in [0, 500], penalties in [0, 1],
    up to 5 stop sequences; clamps and truncations warn."""
    plan = _build(client, max_output_tokens=300, temperature=0.7, top_p=1.0, top_k=900, presence_penalty=1.5, frequency_penalty=0.2, seed=7, stop_sequences=list("abcdef"))
    b = plan.body
    assert (b["max_tokens"], b["temperature"], b["p"], b["k"], b["presence_penalty"], b["frequency_penalty"], b["seed"]) == (300, 0.7, 0.99, 500, 1.0, 0.2, 7)
    assert b["stop_sequences"] == list("abcde")
    kinds = {w.param: w.kind for w in plan.warnings}
    assert kinds == {"top_p": "clamped-param", "top_k": "clamped-param", "presence_penalty": "clamped-param", "stop_sequences": "truncated-param"}


@pytest.mark.parametrize(("choice", "wire", "warned"), [("auto", None, False), ("required", "REQUIRED", False), ("none", "NONE", False), ("get_weather", "REQUIRED", True)])
def test_tool_choice(client: specwire.Client, choice: str, wire: str | None, warned: bool) -> None:
    """v2chat_request_tool_choice.py: REQUIRED or NONE; unset is auto; a named tool cannot be
    forced, so it is REQUIRED with a warning."""
    plan = _build(client, tools=[WEATHER_TOOL], tool_choice=choice)
    assert plan.body.get("tool_choice") == wire
    assert bool(param_warnings(plan, "tool_choice")) is warned


def test_response_format_and_thinking(client: specwire.Client) -> None:
    """response_format_v2.py: json_object with an optional json_schema; thinking.py:
    {type: enabled, token_budget} or disabled; an effort becomes a budget with a warning."""
    schema = {"type": "object", "properties": {"x": {"type": "integer"}}}
    assert _build(client, response_format="json").body["response_format"] == {"type": "json_object"}
    assert _build(client, response_format={"type": "json_schema", "schema": schema}).body["response_format"] == {"type": "json_object", "json_schema": schema}
    assert _build(client, reasoning=5000).body["thinking"] == {"type": "enabled", "token_budget": 5000}
    assert _build(client, reasoning="none").body["thinking"] == {"type": "disabled"}
    plan = _build(client, reasoning="low")
    assert plan.body["thinking"] == {"type": "enabled", "token_budget": 2048}
    # the effort became a budget (adjusted), and command-a-03-2025's catalog entry says reasoning: false
    assert [w.kind for w in param_warnings(plan, "reasoning")] == ["adjusted-param", "unsupported-capability"]


def test_every_generic_option_is_mapped_or_warned(client: specwire.Client) -> None:
    """The payload-diff probe of tests/providers/test_param_coverage.py.  tool_choice auto is
    Cohere's default and has no wire value, so sending nothing for it is correct."""
    assert probe_problems(client, REF, silent_ok={("tool_choice", "auto"): "unset tool_choice is auto"}) == []


# ---------------------------------------------------------------- parsing beyond `expected`
def test_tool_calls_stream_keeps_the_plan_out_of_text_and_reasoning(registry: Any) -> None:
    """Two tool calls with argument fragments (indexes 0 and 1, apart from content indexes), no
    text or reasoning; TOOL_CALL → tool_calls; usage tokens with cached tokens, billed units in raw."""
    events = _replay(registry, "v2-stream-tool-plan-tool-call", "stream.reframed.sse", stream=True)
    response = events[-1].response
    assert [c.tool_call_id for c in response.tool_calls] == ["weather_e8p4pn45zt0t", "cityAttractions_pyxssbwnq9fq"]
    assert response.text == "" and response.reasoning is None
    assert response.finish_reason.unified == "tool_calls"
    assert response.usage.input_tokens == 1549 and response.usage.cache_read_tokens == 1504
    assert response.usage.raw["billed_units"] == {"input_tokens": 119, "output_tokens": 44}
    # cost is priced from billed_units (what Cohere bills), not from the processed tokens
    assert response.cost is not None and response.cost.total == pytest.approx((119 * 2.5 + 44 * 10.0) / 1e6)
    assert "weather" in response.provider_metadata[PROVIDER]["tool_plan"]  # accumulated from tool-plan-delta events
    ends = [e for e in events if e.type == "tool_call_end"]
    assert [e.part.arguments for e in ends] == [{"location": "San Francisco"}, {"city": "San Francisco"}]


def test_non_stream_keeps_the_tool_plan_in_metadata(registry: Any) -> None:
    """A v2 chat response (v2chat_response.py, the shape of https://docs.cohere.com/reference/chat)
    with a tool plan and a tool call: the plan is in the response's provider metadata."""
    body = {"id": "r-1", "finish_reason": "TOOL_CALL",
            "message": {"role": "assistant", "tool_plan": "I will check the weather.",
                        "tool_calls": [{"id": "get_weather_x1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}}]},
            "usage": {"billed_units": {"input_tokens": 20, "output_tokens": 10}, "tokens": {"input_tokens": 900, "output_tokens": 25}}}
    response = _run(registry, json.dumps(body).encode(), stream=False)[-1].response
    assert response.provider_metadata[PROVIDER]["tool_plan"] == "I will check the weather."
    assert response.tool_calls[0].arguments == {"city": "Oslo"} and response.text == ""
    assert response.usage.input_tokens == 900 and response.usage.cache_read_tokens is None
    assert response.cost is not None and response.cost.total == pytest.approx((20 * 2.5 + 10 * 10.0) / 1e6)  # billed_units


def test_stream_needs_message_end(registry: Any) -> None:
    """Without ``message-end`` the stream is incomplete (no synthetic finish)."""
    events = _run(registry, _sse(
        {"id": "m1", "type": "message-start", "delta": {"message": {"role": "assistant", "content": []}}},
        {"type": "content-start", "index": 0, "delta": {"message": {"content": {"type": "text", "text": ""}}}},
        {"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": "Hel"}}}},
    ))
    assert isinstance(events[-1].error, specwire.IncompleteStreamError) and events[-1].response.text == "Hel"


def test_max_tokens_finish(registry: Any) -> None:
    """chat_finish_reason.py: MAX_TOKENS → length."""
    events = _run(registry, _sse(
        {"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": "abc"}}}},
        {"type": "message-end", "delta": {"finish_reason": "MAX_TOKENS", "usage": {"tokens": {"input_tokens": 3, "output_tokens": 1}}}},
    ))
    assert events[-1].response.finish_reason.unified == "length" and events[-1].response.text == "abc"


# ---------------------------------------------------------------- HTTP through the client (respx)
def test_stream_over_http_with_co_api_key() -> None:
    """POST https://api.cohere.com/v2/chat with ``Authorization: Bearer`` (core/client_wrapper.py)
    and the CO_API_KEY variable (client.py; COHERE_API_KEY is the fallback)."""
    body = (FIXTURES / "cohere/v2-stream-text/stream.reframed.sse").read_bytes()
    with respx.mock(assert_all_called=True) as router:
        route = router.post(URL).mock(return_value=httpx.Response(200, content=body, headers={"content-type": "text/event-stream"}))
        for env in ({"CO_API_KEY": KEY}, {"COHERE_API_KEY": KEY}):
            with specwire.Client(load_entry_points=False, env=env, max_retries=0) as client:
                response = client.stream(REF, "Capital of France?").until_done()
            assert response.text == "The capital of France is Paris."
    for call in route.calls:
        assert call.request.headers["authorization"] == f"Bearer {KEY}"
        sent = json.loads(call.request.content)
        assert sent["stream"] is True and sent["model"] == MODEL and sent["messages"] == [{"role": "user", "content": "Capital of France?"}]


def test_non_stream_and_errors_over_http() -> None:
    """A recorded JSON body over HTTP; an error body {"message": ...} with status 498 (invalid
    token in the SDK) is an AuthenticationError, 429 a RateLimitError
    (https://docs.cohere.com/reference/errors)."""
    body = (FIXTURES / "cohere/v2-json-thinking/response.json").read_bytes()

    async def main() -> specwire.Response:
        async with specwire.Client(load_entry_points=False, env={"CO_API_KEY": KEY}, max_retries=0) as client:
            return await client.acomplete("cohere:command-a-reasoning-08-2025", "Cross a river?")

    with respx.mock(assert_all_called=True) as router:
        router.post(URL).mock(side_effect=[
            httpx.Response(200, content=body, headers={"content-type": "application/json"}),
            httpx.Response(498, json={"id": "e1", "message": "invalid api token"}),
            httpx.Response(429, json={"id": "e2", "message": "You are using a Trial key, which is limited"}),
        ])
        response = asyncio.run(main())
        with specwire.Client(load_entry_points=False, env={"CO_API_KEY": KEY}, max_retries=0) as client:
            with pytest.raises(specwire.AuthenticationError) as auth_error:
                client.complete(REF, "hi")
            with pytest.raises(specwire.RateLimitError):
                client.complete(REF, "hi")
    assert response.reasoning.startswith("Okay, the user is asking how to cross a river")
    assert response.finish_reason.unified == "stop" and response.cost is not None and response.cost.total == 0.0
    assert auth_error.value.message == "invalid api token" and auth_error.value.request_id == "e1"
    assert KEY not in repr(auth_error.value)
