"""The unmodified ``openai`` SDK's Responses API (``client.responses``) against ``specwire serve``
(a uvicorn subprocess) fronting a loopback fake provider (tests/gateway/fake_upstream.py, which
speaks Chat Completions): providers.d/openai-responses.yaml's ``serve:`` section at work.

Shapes: https://platform.openai.com/docs/api-reference/responses/object and
https://platform.openai.com/docs/api-reference/responses-streaming (openai 3.63.0:
openai/types/responses/response.py, response_stream_event.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

openai = pytest.importorskip("openai")

from .conftest import GATEWAY_KEY, OTHER_KEY, UPSTREAM_KEY  # noqa: E402
from .fake_upstream import JSON_TEXT, REASONING, TEXT, TOOL_ARGS, FakeUpstream  # noqa: E402

pytestmark = pytest.mark.timeout(60)

TOOLS: Any = [{"type": "function", "name": "get_weather", "description": "The weather in a city", "strict": False,
               "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]


@pytest.fixture
def client(gateway_url: str) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=gateway_url + "/v1", api_key=GATEWAY_KEY, max_retries=0, timeout=15) as c:
        yield c


def test_plain_text(client: openai.OpenAI, upstream: FakeUpstream) -> None:
    raw = client.responses.with_raw_response.create(model="chat", input="Hi", extra_headers={"x-request-id": "req-r1"})
    response = raw.parse()
    assert response.object == "response" and response.status == "completed"
    assert response.id == "resp_req-r1" and response.model == "chat"
    assert response.output_text == TEXT
    [item] = response.output
    assert item.type == "message" and item.role == "assistant" and item.content[0].type == "output_text"
    assert response.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens, response.usage.total_tokens) == (11, 7, 18)
    assert response.usage.input_tokens_details.cached_tokens == 0 and response.usage.output_tokens_details.reasoning_tokens == 0
    body, headers = upstream.requests[-1]
    assert headers["authorization"] == f"Bearer {UPSTREAM_KEY}" and headers["x-request-id"] == "req-r1"
    assert body["messages"] == [{"role": "user", "content": "Hi"}]


def _events(client: openai.OpenAI, **kwargs: Any) -> list[Any]:
    return list(client.responses.create(stream=True, **kwargs))


def test_stream_text_event_grammar(client: openai.OpenAI) -> None:
    events = _events(client, model="chat", input="Hi")
    types = [e.type for e in events]
    assert types[:5] == ["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added", "response.output_text.delta"]
    assert types[-4:] == ["response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"]
    assert set(types[4:-4]) == {"response.output_text.delta"}
    assert [e.sequence_number for e in events] == list(range(len(events)))  # monotonically increasing from 0
    created, completed = events[0].response, events[-1].response
    assert created.status == "in_progress" and created.output == [] and created.id == completed.id
    added = events[2]
    assert added.output_index == 0 and added.item.type == "message"
    deltas = [e for e in events if e.type == "response.output_text.delta"]
    assert "".join(e.delta for e in deltas) == TEXT and {e.item_id for e in deltas} == {added.item.id}
    assert events[-4].text == TEXT and events[-3].part.text == TEXT
    assert events[-2].item.id == added.item.id and events[-2].item.status == "completed"
    assert completed.status == "completed" and completed.output_text == TEXT and completed.output[0].id == added.item.id
    assert completed.usage is not None and (completed.usage.input_tokens, completed.usage.output_tokens, completed.usage.total_tokens) == (11, 7, 18)
    assert completed.usage.input_tokens_details.cached_tokens == 0 and completed.usage.output_tokens_details.reasoning_tokens == 0


def test_stream_helper(client: openai.OpenAI) -> None:
    """``client.responses.stream``: the SDK's own accumulator checks the items' identities and indexes."""
    text = ""
    with client.responses.stream(model="chat", input="Hi") as stream:
        for event in stream:
            if event.type == "response.output_text.delta":
                text += event.delta
                assert event.snapshot == text
        final = stream.get_final_response()
    assert text == TEXT and final.output_text == TEXT and final.status == "completed"


def test_stream_raw_sse_lines(gateway_url: str) -> None:
    """Every SSE event is named after its data's type; there is no ``data: [DONE]``."""
    body = {"model": "chat", "input": "Hi", "stream": True}
    with httpx.Client(timeout=15) as http:
        r = http.post(gateway_url + "/v1/responses", json=body, headers={"authorization": f"Bearer {GATEWAY_KEY}"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    blocks = [b for b in r.text.split("\n\n") if b.strip()]
    for block in blocks:
        event, data = block.split("\n", 1)
        assert event.startswith("event: ") and data.startswith("data: ")
        assert json.loads(data[6:])["type"] == event[7:]
    assert "[DONE]" not in r.text


def test_instructions_and_options_reach_upstream(client: openai.OpenAI, upstream: FakeUpstream) -> None:
    response = client.responses.create(model="gpt-4o", instructions="Be brief", input="Hi", max_output_tokens=50, temperature=0.2, top_p=0.9,
                                       metadata={"team": "a"}, safety_identifier="user-1", store=False, reasoning={"effort": "low"})
    body, _ = upstream.requests[-1]
    assert body["messages"] == [{"role": "system", "content": "Be brief"}, {"role": "user", "content": "Hi"}] or body["messages"][0]["role"] in ("system", "developer")
    assert body.get("max_completion_tokens", body.get("max_tokens")) == 50
    assert (body["temperature"], body["top_p"], body["reasoning_effort"]) == (0.2, 0.9, "low")
    assert body["safety_identifier"] == "user-1" and body["metadata"] == {"team": "a"}  # the unified user: the chat spec sends it as safety_identifier
    # the reply echoes the request's settings
    assert response.instructions == "Be brief" and response.max_output_tokens == 50 and response.temperature == 0.2
    assert response.metadata == {"team": "a"} and response.store is False


def test_message_items_and_content_parts(client: openai.OpenAI, upstream: FakeUpstream) -> None:
    client.responses.create(model="chat", input=[
        {"role": "developer", "content": "Answer in French"},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "What is this?"},
                                                        {"type": "input_image", "image_url": "https://example.com/a.png", "detail": "auto"}]},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "A cat.", "annotations": []}]},
        {"role": "user", "content": "Sure?"},
    ])
    body, _ = upstream.requests[-1]
    roles = [m["role"] for m in body["messages"]]
    assert roles[1:] == ["user", "assistant", "user"] and roles[0] in ("system", "developer")
    content = body["messages"][1]["content"]
    assert content[0] == {"type": "text", "text": "What is this?"}
    assert content[1]["type"] == "image_url" and content[1]["image_url"]["url"] == "https://example.com/a.png"
    assert body["messages"][2]["content"] in ("A cat.", [{"type": "text", "text": "A cat."}])


def test_function_call_round_trip(client: openai.OpenAI, upstream: FakeUpstream) -> None:
    response = client.responses.create(model="chat", input="TOOL please", tools=TOOLS, tool_choice="auto")
    [call] = response.output
    assert call.type == "function_call" and call.name == "get_weather" and call.call_id == "call_1"
    assert json.loads(call.arguments) == json.loads(TOOL_ARGS) and response.status == "completed"
    body, _ = upstream.requests[-1]
    assert body["tools"][0]["type"] == "function" and body["tools"][0]["function"]["name"] == "get_weather"
    assert body["tools"][0]["function"]["parameters"]["required"] == ["city"] and body["tool_choice"] == "auto"
    # the next turn: the call and its output as input items
    second = client.responses.create(model="chat", tools=TOOLS, tool_choice={"type": "function", "name": "get_weather"}, input=[
        {"role": "user", "content": "TOOL please"},
        {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments, "id": call.id},
        {"type": "function_call_output", "call_id": call.call_id, "output": "sunny"},
    ])
    body, _ = upstream.requests[-1]
    assistant, tool = body["messages"][1], body["messages"][2]
    assert assistant["role"] == "assistant" and assistant["tool_calls"][0]["id"] == "call_1"
    assert assistant["tool_calls"][0]["function"]["name"] == "get_weather"
    assert json.loads(assistant["tool_calls"][0]["function"]["arguments"]) == json.loads(TOOL_ARGS)
    assert tool["role"] == "tool" and tool["tool_call_id"] == "call_1" and tool["content"] in ("sunny", [{"type": "text", "text": "sunny"}])
    assert body["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert second.output[0].type == "function_call"


def test_function_call_stream(client: openai.OpenAI) -> None:
    with client.responses.stream(model="chat", input="TOOL please", tools=TOOLS) as stream:
        events = list(stream)
        final = stream.get_final_response()
    types = [e.type for e in events]
    assert types[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert types[-3:] == ["response.function_call_arguments.done", "response.output_item.done", "response.completed"]
    assert set(types[3:-3]) == {"response.function_call_arguments.delta"}
    added, done = events[2], events[-2]
    assert added.item.type == "function_call" and added.item.call_id == "call_1" and added.item.name == "get_weather"
    assert "".join(e.delta for e in events if e.type == "response.function_call_arguments.delta") == events[-3].arguments
    assert json.loads(events[-3].arguments) == json.loads(TOOL_ARGS)
    assert done.item.id == added.item.id and done.item.status == "completed"
    [call] = final.output
    assert call.type == "function_call" and call.id == added.item.id and json.loads(call.arguments) == json.loads(TOOL_ARGS)


def test_reasoning_then_text_stream(client: openai.OpenAI) -> None:
    with client.responses.stream(model="chat", input="THINK first") as stream:
        events = list(stream)
        final = stream.get_final_response()
    types = [e.type for e in events]
    assert types[2:4] == ["response.output_item.added", "response.reasoning_summary_part.added"]
    assert "".join(e.delta for e in events if e.type == "response.reasoning_summary_text.delta") == REASONING
    assert "response.reasoning_summary_text.done" in types and "response.reasoning_summary_part.done" in types
    assert [e.output_index for e in events if e.type == "response.output_item.added"] == [0, 1]
    assert [item.type for item in final.output] == ["reasoning", "message"]
    assert final.output[0].summary[0].text == REASONING and final.output_text == TEXT


def test_reasoning_plain(client: openai.OpenAI) -> None:
    response = client.responses.create(model="chat", input="THINK first")
    assert [item.type for item in response.output] == ["reasoning", "message"]
    assert response.output[0].summary[0].text == REASONING and response.output_text == TEXT


def test_incomplete_when_cut_off(client: openai.OpenAI) -> None:
    response = client.responses.create(model="chat", input="LONG answer", max_output_tokens=5)
    assert response.status == "incomplete" and response.incomplete_details is not None
    assert response.incomplete_details.reason == "max_output_tokens"
    events = _events(client, model="chat", input="LONG answer", max_output_tokens=5)
    assert events[-1].type == "response.incomplete" and events[-1].response.status == "incomplete"


def test_structured_output(client: openai.OpenAI, upstream: FakeUpstream) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}, "temperature": {"type": "integer"}},
              "required": ["city", "temperature"], "additionalProperties": False}
    response = client.responses.create(model="chat", input="Weather in Paris?",
                                       text={"format": {"type": "json_schema", "name": "weather", "schema": schema, "strict": True}})
    assert json.loads(response.output_text) == json.loads(JSON_TEXT)
    body, _ = upstream.requests[-1]
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["name"] == "weather" and body["response_format"]["json_schema"]["schema"]["required"] == ["city", "temperature"]


def test_structured_output_parse(client: openai.OpenAI) -> None:
    """``client.responses.parse`` with a pydantic model: the SDK validates the output text into it."""
    pydantic = pytest.importorskip("pydantic")

    class Weather(pydantic.BaseModel):  # type: ignore[name-defined,misc]
        city: str
        temperature: int

    parsed = client.responses.parse(model="chat", input="Weather in Paris?", text_format=Weather)
    assert parsed.output_parsed is not None and (parsed.output_parsed.city, parsed.output_parsed.temperature) == ("Paris", 21)


def test_error_after_content_reaches_the_sdk(client: openai.OpenAI) -> None:
    events = _events(client, model="chat", input="BREAK")
    types = [e.type for e in events]
    assert types[-2:] == ["error", "response.failed"]
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == TEXT[: len(TEXT) // 2]
    failed = events[-1].response
    assert failed.status == "failed" and failed.error is not None and failed.error.message
    assert events[-2].message == failed.error.message
    assert [e.sequence_number for e in events] == list(range(len(events)))


# ---------------------------------------------------------------------------- errors
def test_previous_response_id_is_refused(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model="chat", input="Hi", previous_response_id="resp_earlier")
    assert info.value.status_code == 400
    assert isinstance(info.value.body, dict) and info.value.body.get("param") == "previous_response_id"


@pytest.mark.parametrize("kwargs, param", [
    ({"input": "Hi", "tools": [{"type": "web_search"}]}, "tools"),
    ({"input": "Hi", "tool_choice": {"type": "web_search"}}, "tool_choice"),
    ({"input": [{"role": "user", "content": [{"type": "input_image", "file_id": "file-1"}]}]}, "input[0].content[0]"),
    ({"input": [{"type": "item_reference", "id": "msg_1"}]}, "input[0]"),
    ({"input": "Hi", "top_logprobs": 3}, "top_logprobs"),
    ({"input": []}, "input"),
])
def test_bad_requests(client: openai.OpenAI, kwargs: dict[str, Any], param: str) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model="chat", **kwargs)
    assert isinstance(info.value.body, dict) and info.value.body.get("param") == param
    assert info.value.body.get("type") == "invalid_request_error"


def test_wrong_key(gateway_url: str) -> None:
    with openai.OpenAI(base_url=gateway_url + "/v1", api_key="not-a-key", max_retries=0, timeout=15) as bad:
        with pytest.raises(openai.AuthenticationError) as info:
            bad.responses.create(model="chat", input="Hi")
    assert info.value.status_code == 401 and UPSTREAM_KEY not in info.value.response.text


def test_model_not_allowed_and_unknown(client: openai.OpenAI, gateway_url: str) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.responses.create(model="no-such-model", input="Hi")
    assert info.value.status_code == 404
    with openai.OpenAI(base_url=gateway_url + "/v1", api_key=OTHER_KEY, max_retries=0, timeout=15) as other:
        with pytest.raises(openai.PermissionDeniedError):
            other.responses.create(model="chat", input="Hi")


def test_upstream_rate_limit(client: openai.OpenAI) -> None:
    with pytest.raises(openai.RateLimitError) as info:
        client.responses.create(model="limited", input="RATE")
    assert info.value.status_code == 429 and info.value.response.headers["retry-after"] == "7"


def test_upstream_rate_limit_stream(client: openai.OpenAI) -> None:
    """The first content is held back, so an early 429 is an HTTP 429, not an event."""
    with pytest.raises(openai.RateLimitError) as info:
        _events(client, model="limited-stream", input="RATE")
    assert info.value.status_code == 429


def test_async_client_plain_and_stream(gateway_url: str) -> None:
    """``AsyncOpenAI``: the same reply and the same event grammar."""
    import asyncio

    async def run() -> tuple[Any, list[Any], Any]:
        async with openai.AsyncOpenAI(base_url=gateway_url + "/v1", api_key=GATEWAY_KEY, max_retries=0, timeout=15) as client:
            plain = await client.responses.create(model="chat", input="Hi")
            async with client.responses.stream(model="chat", input="Hi") as stream:
                events = [event async for event in stream]
                final = await stream.get_final_response()
            return plain, events, final

    plain, events, final = asyncio.run(run())
    assert plain.output_text == TEXT and final.output_text == TEXT
    assert events[0].type == "response.created" and events[-1].type == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
