"""The OpenAI Responses API spec (providers.d/openai-responses.yaml): request bodies, stream and
non-stream parsing beyond the corpus' ``expected`` blocks, in-band errors, multi-turn echo of
encrypted reasoning, and the parameter policy.

What this protects:

* the request contract of ``POST /v1/responses`` (openai 3.54.0 ``openai/types/responses/
  response_create_params.py`` and the ``response_input_*_param.py`` item types;
  https://platform.openai.com/docs/api-reference/responses/create): system/developer prompts in
  ``instructions``; user content as ``input_text`` / ``input_image`` / ``input_file`` items;
  every assistant part an ``input`` item of its own, in order (``output_text`` messages,
  ``function_call`` items, ``reasoning`` items with their id and ``encrypted_content``); tool
  results as ``function_call_output`` items; function tools with ``strict`` opt-in;
  ``tool_choice``; ``text.format`` for JSON; ``reasoning`` with ``store: false`` and
  ``include: ["reasoning.encrypted_content"]``;
* the stream (https://platform.openai.com/docs/api-reference/responses-streaming): parts keyed by
  item id, the reasoning item's ``encrypted_content`` and id in the part's provider metadata, the
  function call's item id too; the ``error`` event mapped to the error classes with the response
  marked ``failed``; ``response.incomplete`` and ``response.failed`` ends; a stream without
  ``response.completed`` is incomplete;
* the non-streaming ``Response`` object (https://platform.openai.com/docs/api-reference/responses/object):
  ``output`` items through the response rules;
* the HTTP exchange (URL, bearer key, SSE accept header) through the public client with respx.

The recorded fixtures (tests/fixtures/openai/responses-*, deepseek/responses-*,
openrouter/responses-*) are also replayed by tests/providers/test_replay_corpus.py against their
``expected`` blocks; this module checks what those blocks do not cover.
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
    DocumentPart,
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
    PDF_B64,
    PNG_B64,
    WEATHER_TOOL,
    param_warnings,
    weather_conversation,
)

PROVIDER = "openai-responses"
MODEL = "gpt-5.5"
REF = f"{PROVIDER}:{MODEL}"
URL = "https://api.openai.com/v1/responses"
KEY = "sk-test-responses-0a1b2c3d"


def _build(client: specwire.Client, messages: Any = "hi", **options: Any) -> specwire.RequestPlan:
    return client.build(REF, messages, **options)


def _replay(registry: Any, fixture: str, body: str = "stream.sse", *, stream: bool = True) -> list[Any]:
    spec = registry.get(PROVIDER)
    proc = ResponseProcessor(spec, model="recorded", stream=stream, framing="sse" if stream else None)
    return proc.start() + proc.feed((FIXTURES / fixture / body).read_bytes()) + proc.close()


def _sse(*events: dict[str, Any], done: bool = False) -> bytes:
    out = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)
    return (out + ("data: [DONE]\n\n" if done else "")).encode()


def _run(registry: Any, body: bytes, *, stream: bool = True) -> list[Any]:
    proc = ResponseProcessor(registry.get(PROVIDER), model=MODEL, stream=stream)
    return proc.start() + proc.feed(body) + proc.close()


# ---------------------------------------------------------------- request: conversation items
def test_system_goes_to_instructions_and_user_text_is_input_text(client: specwire.Client) -> None:
    """System and developer prompts become ``instructions`` (joined); user text is an
    ``input_text`` item of a ``message`` item.  response_create_params.py (instructions, input);
    response_input_text_param.py."""
    plan = _build(client, [
        {"role": "system", "content": "Be terse."},
        {"role": "developer", "content": "Answer in French."},
        {"role": "user", "content": "Hello"},
    ])
    assert plan.method == "POST" and plan.url == URL
    assert plan.body["instructions"] == "Be terse.\n\nAnswer in French."
    assert plan.body["input"] == [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hello"}]}]
    assert plan.body["model"] == MODEL
    assert "tools" not in plan.body and "store" not in plan.body


EXPECTED_INPUT = [
    {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Weather in Paris and Rome?"}]},
    {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Checking both.", "annotations": []}]},
    {"type": "function_call", "call_id": "call_paris", "name": "get_weather", "arguments": '{"city":"Paris"}'},
    {"type": "function_call", "call_id": "call_rome", "name": "get_weather", "arguments": '{"city":"Rome"}'},
    {"type": "function_call_output", "call_id": "call_paris", "output": "18C and sunny"},
    {"type": "function_call_output", "call_id": "call_rome", "output": "21C"},
    {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Thanks!"}]},
]


@pytest.mark.parametrize("form", [0, 1, 2], ids=["openai-dicts", "unified-dicts", "messages"])
def test_tool_conversation_becomes_items_in_order(client: specwire.Client, form: int) -> None:
    """An assistant turn is a run of items: its text as an ``output_text`` message, then each tool
    call as a ``function_call`` item (arguments as JSON text); each tool result is a
    ``function_call_output`` item.  No item ids are sent, so nothing has to be stored server-side.
    response_input_item_param.py (FunctionCallOutput), response_function_tool_call_param.py,
    response_output_text_param.py (annotations is required)."""
    conversation = weather_conversation("call_")[form]
    plan = _build(client, conversation, tools=[WEATHER_TOOL])
    assert plan.body["instructions"] == "Be brief."
    assert plan.body["input"] == EXPECTED_INPUT


def test_assistant_parts_keep_their_order(client: specwire.Client) -> None:
    """Text after a tool call stays after it (request.py: an ``as_message`` part is emitted in the
    order of the parts)."""
    plan = _build(client, [
        Message(role="user", content="go"),
        Message(role="assistant", content=[
            TextPart(text="first"),
            ToolCallPart(tool_call_id="c1", tool_name="f", arguments={}),
            TextPart(text="second"),
        ]),
    ])
    kinds = [(i["type"], i.get("role")) for i in plan.body["input"]]
    assert kinds == [("message", "user"), ("message", "assistant"), ("function_call", None), ("message", "assistant")]
    assert plan.body["input"][1]["content"][0]["text"] == "first"
    assert plan.body["input"][3]["content"][0]["text"] == "second"
    assert plan.body["input"][2]["arguments"] == "{}"


def test_images_files_and_tool_result_images(client: specwire.Client) -> None:
    """``input_image`` with a URL or a data URL (detail is required), ``input_file`` with
    ``file_data`` or ``file_url``, and a tool result with an image as an output item list.
    response_input_image_param.py, response_input_file_param.py,
    response_function_call_output_item_param.py."""
    plan = _build(client, [
        Message(role="user", content=[
            TextPart(text="look"),
            ImagePart(url="https://example.com/cat.png"),
            ImagePart(data=PNG_B64, media_type="image/png"),
            DocumentPart(data=PDF_B64, media_type="application/pdf", filename="a.pdf"),
            DocumentPart(url="https://example.com/b.pdf"),
        ]),
        Message(role="assistant", content=[ToolCallPart(tool_call_id="c1", tool_name="shot", arguments={})]),
        Message(role="tool", content=[ToolResultPart(tool_call_id="c1", content=[TextPart(text="here"), ImagePart(data=PNG_B64, media_type="image/png")])]),
    ])
    user = plan.body["input"][0]["content"]
    assert user[1] == {"type": "input_image", "image_url": "https://example.com/cat.png", "detail": "auto"}
    assert user[2] == {"type": "input_image", "image_url": f"data:image/png;base64,{PNG_B64}", "detail": "auto"}
    assert user[3] == {"type": "input_file", "filename": "a.pdf", "file_data": f"data:application/pdf;base64,{PDF_B64}"}
    assert user[4] == {"type": "input_file", "file_url": "https://example.com/b.pdf"}
    output = plan.body["input"][2]
    assert output["type"] == "function_call_output" and output["call_id"] == "c1"
    assert output["output"] == [{"type": "input_text", "text": "here"}, {"type": "input_image", "image_url": f"data:image/png;base64,{PNG_B64}", "detail": "auto"}]


def test_images_in_assistant_turns_are_refused(client: specwire.Client) -> None:
    """An assistant message can only carry output text; an image there is an error, never
    silently dropped."""
    with pytest.raises(specwire.RequestBuildError, match="no images in assistant messages"):
        _build(client, [Message(role="user", content="a"), Message(role="assistant", content=[ImagePart(url="https://x.test/a.png")])])


def test_tools_are_function_tools_with_strict_opt_in(client: specwire.Client) -> None:
    """function_tool_param.py: ``strict`` is required; omitted strictness is sent as false (the
    API would treat a missing value as true and reject ordinary schemas)."""
    plan = _build(client, tools=[WEATHER_TOOL, {**WEATHER_TOOL, "name": "strict_one", "strict": True}])
    assert plan.body["tools"] == [
        {"type": "function", "name": "get_weather", "description": "Current weather for a city", "parameters": WEATHER_TOOL["parameters"], "strict": False},
        {"type": "function", "name": "strict_one", "description": "Current weather for a city", "parameters": WEATHER_TOOL["parameters"], "strict": True},
    ]


@pytest.mark.parametrize(("choice", "wire"), [
    ("auto", "auto"), ("none", "none"), ("required", "required"),
    ("get_weather", {"type": "function", "name": "get_weather"}),
])
def test_tool_choice(client: specwire.Client, choice: str, wire: Any) -> None:
    """response_create_params.py tool_choice; tool_choice_function_param.py for a named tool."""
    assert _build(client, tools=[WEATHER_TOOL], tool_choice=choice).body["tool_choice"] == wire


def test_response_format_goes_to_text_format(client: specwire.Client) -> None:
    """``text.format``: json_object, or json_schema with name / schema / strict at the top level of
    the format (response_format_text_json_schema_config_param.py)."""
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    assert _build(client, response_format="json").body["text"] == {"format": {"type": "json_object"}}
    body = _build(client, response_format={"type": "json_schema", "name": "Answer", "schema": schema, "strict": True}).body
    # strict: the schema in OpenAI's strict-mode form (objects closed, every property required)
    strict_form = {**schema, "additionalProperties": False, "required": ["a"]}
    assert body["text"] == {"format": {"type": "json_schema", "name": "Answer", "schema": strict_form, "strict": True}}
    assert "text" not in _build(client, response_format="text").body


def test_reasoning_turns_on_stateless_encrypted_reasoning(client: specwire.Client) -> None:
    """An effort goes to ``reasoning.effort`` with a summary, plus ``store: false`` and
    ``include: ["reasoning.encrypted_content"]`` so the reasoning can be replayed without server
    state (response_create_params.py: include, store; shared_params/reasoning.py)."""
    body = _build(client, reasoning="high").body
    assert body["reasoning"] == {"effort": "high", "summary": "auto"}
    assert body["include"] == ["reasoning.encrypted_content"] and body["store"] is False
    none = _build(client, reasoning="none").body
    assert none["reasoning"] == {"effort": "none"} and "store" not in none and "include" not in none


def test_reasoning_budget_becomes_the_nearest_effort_with_a_warning(client: specwire.Client) -> None:
    """The Responses API takes effort levels only (shared/reasoning_effort.py)."""
    plan = _build(client, reasoning=3000)
    assert plan.body["reasoning"] == {"effort": "medium", "summary": "auto"}
    assert [w.kind for w in param_warnings(plan, "reasoning")] == ["adjusted-param"]


@pytest.mark.parametrize("option", ["top_k", "stop_sequences", "seed", "presence_penalty", "frequency_penalty"])
def test_parameters_the_responses_api_lacks_are_dropped_with_a_warning(client: specwire.Client, option: str) -> None:
    """response_create_params.py has no top_k, stop, seed or penalties."""
    value = ["END"] if option == "stop_sequences" else 1
    plan = _build(client, **{option: value})
    assert option not in plan.body and "stop" not in plan.body and "k" not in plan.body
    assert [w.kind for w in param_warnings(plan, option)] == ["unsupported-param"]


def test_mapped_parameters(client: specwire.Client) -> None:
    """max_output_tokens, sampling (clamped to the documented ranges), safety_identifier for
    ``user`` (it replaces ``user``), metadata, parallel_tool_calls."""
    plan = _build(client, tools=[WEATHER_TOOL], max_output_tokens=99, temperature=3.0, top_p=0.5, user="u-1", metadata={"k": "v"}, parallel_tool_calls=False)
    b = plan.body
    assert (b["max_output_tokens"], b["temperature"], b["top_p"], b["safety_identifier"], b["metadata"], b["parallel_tool_calls"]) == (99, 2.0, 0.5, "u-1", {"k": "v"}, False)
    assert [w.kind for w in param_warnings(plan, "temperature")] == ["clamped-param"]


def test_stream_body_and_provider_options(client: specwire.Client) -> None:
    """A stream adds ``stream: true`` only (no stream_options); provider_options merge last, so
    ``store`` can be overridden."""
    plan = _build(client, stream=True, reasoning="low", provider_options={PROVIDER: {"store": True, "service_tier": "flex"}})
    assert plan.body["stream"] is True and "stream_options" not in plan.body
    assert plan.body["store"] is True and plan.body["service_tier"] == "flex"
    assert plan.headers["accept"] == "text/event-stream"


def test_every_generic_option_is_mapped_or_warned(client: specwire.Client) -> None:
    """The payload-diff probe of tests/providers/test_param_coverage.py, run on this spec."""
    assert probe_problems(client, REF) == []


# ---------------------------------------------------------------- stream: beyond `expected`
def test_reasoning_item_keeps_id_and_encrypted_content(registry: Any) -> None:
    """The reasoning part carries the item id and the ``encrypted_content`` of
    ``response.output_item.done`` (response_reasoning_item_param.py: use the completed item's
    encrypted_content), and its four summary parts are one part, their text joined."""
    events = _replay(registry, "openai/responses-stream-reasoning-summary")
    response = events[-1].response
    reasoning = [p for p in response.parts if p.type == "reasoning"]
    assert len(reasoning) == 1
    meta = reasoning[0].provider_metadata[PROVIDER]
    assert meta["item_id"] == "rs_68c42d1d0878819d8266007cd3d1402c08fbf9b1584184ff"
    assert meta["encrypted_content"].startswith("gAAAAABoxC0m_QWp")   # the .done version, not .added
    assert [p.type for p in response.parts] == ["reasoning", "text"]
    assert response.usage.reasoning_tokens == 1408 and response.usage.output_tokens == 1680


def test_encrypted_reasoning_is_echoed_on_the_next_turn(registry: Any, client: specwire.Client) -> None:
    """Stateless multi-turn: the recorded reasoning item goes back as a ``reasoning`` input item
    with its id, encrypted_content and summary, before the assistant's text."""
    response = _replay(registry, "openai/responses-stream-reasoning-summary")[-1].response
    plan = _build(client, [{"role": "user", "content": "How do I cross the street?"}, response.message(), {"role": "user", "content": "And a river?"}], reasoning="high")
    items = plan.body["input"]
    assert [i["type"] for i in items] == ["message", "reasoning", "message", "message"]
    reasoning = items[1]
    meta = response.parts[0].provider_metadata[PROVIDER]
    assert reasoning == {"type": "reasoning", "id": meta["item_id"], "encrypted_content": meta["encrypted_content"], "summary": [{"type": "summary_text", "text": response.reasoning}]}
    assert items[2]["content"][0]["text"] == response.text


def test_reasoning_that_cannot_be_replayed_is_left_out(client: specwire.Client) -> None:
    """Reasoning without encrypted content (another provider's, or OpenRouter's raw text) is not
    sent: an id the server did not keep would be rejected under ``store: false``."""
    plan = _build(client, [
        Message(role="user", content="q"),
        Message(role="assistant", content=[ReasoningPart(text="thoughts", provider_metadata={"anthropic": {"signature": "sig"}}), TextPart(text="a")]),
        Message(role="assistant", content=[ReasoningPart(text="raw", provider_metadata={PROVIDER: {"item_id": "rs_tmp_1"}}), TextPart(text="b")]),
    ])
    assert [i["type"] for i in plan.body["input"]] == ["message", "message", "message"]


def test_function_call_keeps_its_item_id(registry: Any) -> None:
    """The call id is ``call_id``; the item id (``fc_…``, which keys the argument deltas) is kept in
    the part's metadata."""
    response = _replay(registry, "openai/responses-stream-function-call")[-1].response
    call = response.tool_calls[0]
    assert call.tool_call_id == "call_kL0PCQV7M2WMoVX8V8OtYSAL"
    assert call.provider_metadata[PROVIDER]["item_id"] == "fc_67e554a1de488191af0831d35cbe082e0794405d35281ae2"
    assert response.finish_reason.unified == "tool_calls" and response.finish_reason.raw == "completed"
    assert response.id == "resp_67e554a155508191900ee113293c4c830794405d35281ae2" and response.model == "gpt-4o-2024-08-06"


def test_in_band_error_event_is_a_rate_limit_error(registry: Any) -> None:
    """``{"type": "error", "error": {"code": "insufficient_quota"}}`` inside a 200 stream ends it
    with :class:`RateLimitError` (in_stream, status 200); the partial response is ``failed``.
    https://platform.openai.com/docs/guides/error-codes (insufficient_quota: 429 class)."""
    events = _replay(registry, "openai/responses-stream-error-event-insufficient-quota", "stream.reframed.sse")
    assert events[-1].type == "error"
    error = events[-1].error
    assert isinstance(error, specwire.RateLimitError)
    assert error.in_stream and error.status == 200 and error.code == "insufficient_quota" and error.error_type == "insufficient_quota"
    assert error.message.startswith("You exceeded your current quota")
    assert events[-1].response.finish_reason.raw == "failed" and events[-1].response.finish_reason.unified == "error"


def test_sdk_shaped_error_event_is_mapped_too(registry: Any) -> None:
    """The openai SDK's ResponseErrorEvent has code/message/param at the top level
    (openai/types/responses/response_error_event.py)."""
    events = _run(registry, _sse({"type": "error", "code": "rate_limit_exceeded", "message": "Slow down", "param": None, "sequence_number": 1}))
    assert isinstance(events[-1].error, specwire.RateLimitError) and events[-1].error.message == "Slow down"


def test_response_failed_without_error_event(registry: Any) -> None:
    """``response.failed`` alone ends the stream with the error of ``response.error``
    (response_error.py: code server_error)."""
    events = _run(registry, _sse(
        {"type": "response.created", "response": {"id": "resp_1", "model": MODEL, "status": "in_progress"}},
        {"type": "response.failed", "response": {"id": "resp_1", "status": "failed", "error": {"code": "server_error", "message": "boom"}, "usage": None}},
    ))
    assert isinstance(events[-1].error, specwire.ServerError) and events[-1].error.message == "boom"
    assert events[-1].response.finish_reason.raw == "failed"


def test_incomplete_response_finishes_with_length_and_its_reason(registry: Any) -> None:
    """``response.incomplete`` is a normal end; status ``incomplete`` maps to length and
    ``incomplete_details.reason`` is kept in the response metadata (response.py IncompleteDetails)."""
    events = _run(registry, _sse(
        {"type": "response.created", "response": {"id": "resp_2", "model": MODEL}},
        {"type": "response.output_item.added", "output_index": 0, "item": {"type": "message", "id": "msg_1", "role": "assistant", "content": []}},
        {"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0, "content_index": 0, "delta": "Once upon"},
        {"type": "response.incomplete", "response": {"id": "resp_2", "status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"},
                                                     "usage": {"input_tokens": 5, "output_tokens": 16, "total_tokens": 21}}},
    ))
    response = events[-1].response
    assert events[-1].type == "finish" and response.text == "Once upon"
    assert response.finish_reason.raw == "incomplete" and response.finish_reason.unified == "length"
    assert response.provider_metadata[PROVIDER]["incomplete_reason"] == "max_output_tokens"
    assert response.usage.total_tokens == 21


def test_stream_without_completed_is_incomplete(registry: Any) -> None:
    """No ``[DONE]`` in the Responses API: without ``response.completed`` (or incomplete/failed)
    the stream did not finish, whatever came before (docs/RELIABILITY.md missing_terminal_event)."""
    events = _run(registry, _sse(
        {"type": "response.created", "response": {"id": "resp_3", "model": MODEL}},
        {"type": "response.output_item.added", "output_index": 0, "item": {"type": "message", "id": "msg_1", "role": "assistant", "content": []}},
        {"type": "response.output_text.delta", "item_id": "msg_1", "delta": "Hel"},
    ))
    assert isinstance(events[-1].error, specwire.IncompleteStreamError)
    assert events[-1].response.text == "Hel"


def test_refusal_and_phase(registry: Any) -> None:
    """A refusal streams as text (``response.refusal.delta``), and a message item's ``phase`` is
    kept so it can be sent back (easy_input_message_param.py: resend phase)."""
    events = _run(registry, _sse(
        {"type": "response.output_item.added", "output_index": 0, "item": {"type": "message", "id": "msg_9", "role": "assistant", "content": [], "phase": "final_answer"}},
        {"type": "response.refusal.delta", "item_id": "msg_9", "delta": "I can't help with that."},
        {"type": "response.output_item.done", "output_index": 0, "item": {"type": "message", "id": "msg_9"}},
        {"type": "response.completed", "response": {"id": "r", "status": "completed"}},
    ))
    part = events[-1].response.parts[0]
    assert part.text == "I can't help with that." and part.provider_metadata[PROVIDER]["phase"] == "final_answer"


def test_phase_is_sent_back(client: specwire.Client) -> None:
    plan = _build(client, [Message(role="user", content="q"), Message(role="assistant", content=[TextPart(text="a", provider_metadata={PROVIDER: {"phase": "commentary"}})])])
    assert plan.body["input"][1]["phase"] == "commentary"


# ---------------------------------------------------------------- non-streaming Response object
NON_STREAM_BODY = {
    # the shape of https://platform.openai.com/docs/api-reference/responses/object
    # (openai/types/responses/response.py, response_output_item.py)
    "id": "resp_abc", "object": "response", "created_at": 1763000000, "status": "completed", "model": "gpt-5.5-2026-04-23",
    "error": None, "incomplete_details": None,
    "output": [
        {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "Think."}], "encrypted_content": "enc-1"},
        {"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
         "content": [{"type": "output_text", "text": "Calling.", "annotations": []}]},
        {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "get_weather", "arguments": "{\"city\":\"Oslo\"}", "status": "completed"},
    ],
    "usage": {"input_tokens": 40, "input_tokens_details": {"cached_tokens": 8}, "output_tokens": 30,
              "output_tokens_details": {"reasoning_tokens": 12}, "total_tokens": 70},
}


def test_non_streaming_output_items(registry: Any) -> None:
    """Reasoning (summary text, id, encrypted content), message text and a function call, in order;
    usage with cached and reasoning tokens; status completed with a tool call → tool_calls."""
    events = _run(registry, json.dumps(NON_STREAM_BODY).encode(), stream=False)
    response = events[-1].response
    assert [p.type for p in response.parts] == ["reasoning", "text", "tool_call"]
    assert response.reasoning == "Think." and response.text == "Calling."
    assert response.parts[0].provider_metadata[PROVIDER] == {"item_id": "rs_1", "encrypted_content": "enc-1"}
    assert response.tool_calls[0].arguments == {"city": "Oslo"} and response.tool_calls[0].tool_call_id == "call_1"
    assert response.finish_reason.unified == "tool_calls" and response.finish_reason.raw == "completed"
    u = response.usage
    assert (u.input_tokens, u.output_tokens, u.cache_read_tokens, u.reasoning_tokens, u.total_tokens) == (40, 30, 8, 12, 70)
    assert response.cost is not None  # gpt-5.5 is priced (input, cache read, output)


# ---------------------------------------------------------------- HTTP through the client (respx)
def _client() -> specwire.Client:
    return specwire.Client(load_entry_points=False, env={"OPENAI_API_KEY": KEY}, max_retries=0)


def test_stream_over_http_sends_the_bearer_key_and_parses() -> None:
    """POST https://api.openai.com/v1/responses with ``Authorization: Bearer``; the recorded text
    stream gives the corpus text."""
    body = (FIXTURES / "openai/responses-stream-text/stream.sse").read_bytes()
    with respx.mock(assert_all_called=True) as router:
        route = router.post(URL).mock(return_value=httpx.Response(200, content=body, headers={"content-type": "text/event-stream"}))
        with _client() as client:
            events = list(client.stream(REF, "What is the capital of France?"))
    request = route.calls[0].request
    assert request.headers["authorization"] == f"Bearer {KEY}"
    sent = json.loads(request.content)
    assert sent["stream"] is True and sent["input"][0]["content"][0]["text"] == "What is the capital of France?"
    assert events[-1].type == "finish" and events[-1].response.text == "The capital of France is Paris."


def test_non_stream_over_http_and_http_errors() -> None:
    """A non-streaming call parses the Response object; a 400 body (recorded) maps to
    BadRequestError with code and param (https://platform.openai.com/docs/guides/error-codes)."""
    error_body = (FIXTURES / "openai/responses-error-400-invalid-param/response.json").read_bytes()
    with respx.mock(assert_all_called=True) as router:
        router.post(URL).mock(side_effect=[
            httpx.Response(200, json=NON_STREAM_BODY),
            httpx.Response(400, content=error_body, headers={"content-type": "application/json"}),
        ])
        with _client() as client:
            response = client.complete(REF, "Weather in Oslo?", tools=[WEATHER_TOOL])
            with pytest.raises(specwire.BadRequestError) as info:
                client.complete(REF, "hi", temperature=0.5)
    assert response.tool_calls[0].tool_name == "get_weather"
    assert info.value.code == "decimal_below_min_value" and info.value.param == "temperature"
    assert KEY not in repr(info.value) and KEY not in str(info.value)


def test_async_stream_over_http() -> None:
    """The async twin gives the same final response (asyncio.run, no plugin)."""
    body = (FIXTURES / "openai/responses-stream-function-call/stream.sse").read_bytes()

    async def main() -> specwire.Response:
        async with specwire.Client(load_entry_points=False, env={"OPENAI_API_KEY": KEY}, max_retries=0) as client:
            stream = client.astream(REF, "Capital of France?", tools=[{"name": "get_capital", "parameters": {"type": "object"}}])
            return await stream.until_done()

    with respx.mock(assert_all_called=True) as router:
        router.post(URL).mock(return_value=httpx.Response(200, content=body, headers={"content-type": "text/event-stream"}))
        response = asyncio.run(main())
    assert response.tool_calls[0].arguments == {"country": "France"}


def test_catalog_repeats_the_chat_completions_catalog() -> None:
    """One price list for both OpenAI APIs: the Responses catalog is a copy of openai.yaml's (a
    catalog is not inherited), so a price change there must be made here too."""
    import yaml

    from tests.conftest import PROVIDERS_DIR

    chat = [m for m in yaml.safe_load((PROVIDERS_DIR / "openai.yaml").read_text(encoding="utf-8"))["models"] if "embedding" not in m["id"]]  # no embeddings in Responses
    responses = yaml.safe_load((PROVIDERS_DIR / "openai-responses.yaml").read_text(encoding="utf-8"))["models"]
    assert responses == chat
