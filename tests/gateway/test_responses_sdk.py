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

from .conftest import GATEWAY_KEY, UPSTREAM_KEY  # noqa: E402
from .fake_upstream import TEXT, TOOL_ARGS, FakeUpstream  # noqa: E402

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
