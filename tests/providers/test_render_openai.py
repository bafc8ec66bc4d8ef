"""Request rendering for OpenAI Chat Completions (providers.d/openai.yaml).

Protects the exact request body, URL and headers that ``Client.build`` produces for OpenAI: where
system/developer messages go, how an assistant tool call and its results travel (``tool_calls``
with JSON-text arguments, ``role: tool`` messages right after), images and PDFs, tool definitions
and every ``tool_choice`` form, ``response_format``, ``reasoning_effort`` (and that reasoning
from any provider is never sent back), clamped / unsupported / truncated parameters and their
warnings, stream additions, ``provider_options`` merged last, and unknown-model warnings.

Expectations come from https://platform.openai.com/docs/api-reference/chat/create and from the
``openai`` 3.54.0 SDK types (``openai/types/chat/completion_create_params.py`` and the
``chat_completion_*_param.py`` files), which the spec cites.  Nothing is sent: ``build`` only
renders a RequestPlan.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import specwire
from specwire import (
    DocumentPart,
    ImagePart,
    Message,
    RequestBuildError,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from tests.providers.render_common import PDF_B64, PNG_B64, WEATHER_TOOL, param_warnings, replay_fixture, weather_conversation

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
MODEL = "gpt-5.5"  # in the catalog (openai 3.54.0 openai/types/shared/chat_model.py)
REF = f"openai:{MODEL}"



def _build(client: specwire.Client, messages: Any = "hi", **options: Any) -> specwire.RequestPlan:
    return client.build(REF, messages, **options)


# ---------------------------------------------------------------- the shared conversation
# One conversation with a system prompt, an assistant turn calling two tools, both results and a
# follow-up, written three ways: OpenAI-style dicts, unified dicts and unified Message objects.
OPENAI_DICTS, UNIFIED_DICTS, UNIFIED_MESSAGES = weather_conversation("call_")

EXPECTED_MESSAGES: list[dict[str, Any]] = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Weather in Paris and Rome?"},
    {
        "role": "assistant",
        "content": "Checking both.",
        "tool_calls": [
            {"id": "call_paris", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}},
            {"id": "call_rome", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Rome"}'}},
        ],
    },
    {"role": "tool", "tool_call_id": "call_paris", "content": "18C and sunny"},
    {"role": "tool", "tool_call_id": "call_rome", "content": "21C"},
    {"role": "user", "content": "Thanks!"},
]


# ---------------------------------------------------------------- 1. system / developer
def test_system_and_developer_messages_stay_in_the_messages_list(client: specwire.Client) -> None:
    """System and developer prompts are messages with their own role, in order.

    https://platform.openai.com/docs/api-reference/chat/create (messages: system / developer
    message; openai 3.54.0 chat_completion_developer_message_param.py: role "developer")."""
    plan = _build(
        client,
        [
            {"role": "system", "content": "You are terse."},
            {"role": "developer", "content": "Answer in French."},
            {"role": "user", "content": "Hello"},
        ],
    )
    assert plan.body["messages"] == [
        {"role": "system", "content": "You are terse."},
        {"role": "developer", "content": "Answer in French."},
        {"role": "user", "content": "Hello"},
    ]
    assert "system" not in plan.body
    assert plan.warnings == []


# ---------------------------------------------------------------- 2. tool-call conversation
def test_tool_call_round_trip_uses_tool_calls_and_tool_messages(client: specwire.Client) -> None:
    """The assistant turn carries ``tool_calls`` (type function, arguments as JSON *text*), and each
    result is a ``role: tool`` message with its ``tool_call_id``, right after that turn.

    https://platform.openai.com/docs/api-reference/chat/create (assistant message tool_calls;
    tool message); openai 3.54.0 chat_completion_message_function_tool_call_param.py."""
    plan = _build(client, OPENAI_DICTS, tools=[WEATHER_TOOL])
    assert plan.body["messages"] == EXPECTED_MESSAGES
    call = plan.body["messages"][2]["tool_calls"][0]
    assert isinstance(call["function"]["arguments"], str)
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris"}


@pytest.mark.parametrize("form", ["openai_dicts", "unified_dicts", "unified_messages"])
def test_conversation_renders_identically_from_every_input_form(client: specwire.Client, form: str) -> None:
    """OpenAI-style dicts, unified dicts and Message objects are the same conversation on the wire.
    https://platform.openai.com/docs/api-reference/chat/create"""
    messages = {"openai_dicts": OPENAI_DICTS, "unified_dicts": UNIFIED_DICTS, "unified_messages": UNIFIED_MESSAGES}[form]
    assert _build(client, messages, tools=[WEATHER_TOOL]).body["messages"] == EXPECTED_MESSAGES


def test_results_in_one_turn_become_separate_tool_messages_before_the_text(client: specwire.Client) -> None:
    """Several results in one unified turn become one ``role: tool`` message each, placed before
    any text of that turn; the assistant turn with only tool calls has ``content: null``.
    https://platform.openai.com/docs/api-reference/chat/create (tool message: tool_call_id, content)."""
    messages = [
        Message(role="user", content="q"),
        Message(role="assistant", content=[ToolCallPart(tool_call_id="a", tool_name="f", arguments={"x": 1}), ToolCallPart(tool_call_id="b", tool_name="g", arguments={})]),
        Message(role="user", content=[ToolResultPart(tool_call_id="a", content="A"), ToolResultPart(tool_call_id="b", content="B"), TextPart(text="and now?")]),
    ]
    assert _build(client, messages).body["messages"] == [
        {"role": "user", "content": "q"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "a", "type": "function", "function": {"name": "f", "arguments": '{"x":1}'}},
                {"id": "b", "type": "function", "function": {"name": "g", "arguments": "{}"}},
            ],
        },
        {"role": "tool", "tool_call_id": "a", "content": "A"},
        {"role": "tool", "tool_call_id": "b", "content": "B"},
        {"role": "user", "content": "and now?"},
    ]


# ---------------------------------------------------------------- 3. images and documents
def test_images_by_url_and_base64_and_a_pdf(client: specwire.Client) -> None:
    """Images are ``image_url`` parts (an http URL or a base64 data URL); a PDF is a ``file`` part
    with ``file_data`` as a data URL and a ``filename``.  A message with non-text parts keeps a
    list of parts.  https://platform.openai.com/docs/api-reference/chat/create (user message
    content parts); openai 3.54.0 chat_completion_content_part_param.py (File.file.file_data)."""
    plan = _build(
        client,
        [
            Message(
                role="user",
                content=[
                    TextPart(text="What is in these?"),
                    ImagePart(url="https://example.com/cat.png"),
                    ImagePart(data=PNG_B64, media_type="image/png"),
                    DocumentPart(data=PDF_B64, media_type="application/pdf", filename="report.pdf"),
                ],
            )
        ],
    )
    assert plan.body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is in these?"},
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}},
                {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{PDF_B64}", "filename": "report.pdf"}},
            ],
        }
    ]


def test_openai_style_content_parts_render_back_unchanged(client: specwire.Client) -> None:
    """OpenAI-style ``image_url`` / ``file`` input parts round-trip to the same wire parts.
    https://platform.openai.com/docs/api-reference/chat/create"""
    content = [
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}},
        {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{PDF_B64}", "filename": "report.pdf"}},
    ]
    assert _build(client, [{"role": "user", "content": content}]).body["messages"] == [{"role": "user", "content": content}]


def test_document_by_url_is_an_error_not_a_silent_drop(client: specwire.Client) -> None:
    """Chat Completions file parts take ``file_data`` or ``file_id``, never a URL (openai 3.54.0
    chat_completion_content_part_param.py FileFile), so a PDF URL cannot be sent.
    https://platform.openai.com/docs/api-reference/chat/create"""
    with pytest.raises(RequestBuildError, match="document"):
        _build(client, [Message(role="user", content=[DocumentPart(url="https://example.com/a.pdf")])])


# ---------------------------------------------------------------- 4. tools and tool_choice
def test_tool_definitions(client: specwire.Client) -> None:
    """Tools are ``{"type": "function", "function": {name, description, parameters, strict}}``.
    https://platform.openai.com/docs/api-reference/chat/create (tools); openai 3.54.0
    completion_create_params.py / shared_params/function_definition.py."""
    plan = _build(client, tools=[WEATHER_TOOL, {"name": "now", "parameters": {"type": "object", "properties": {}}, "strict": True}])
    assert plan.body["tools"] == [
        {"type": "function", "function": {"name": "get_weather", "description": "Current weather for a city", "parameters": WEATHER_TOOL["parameters"]}},
        {"type": "function", "function": {"name": "now", "parameters": {"type": "object", "properties": {}}, "strict": True}},
    ]
    assert "tool_choice" not in plan.body and "parallel_tool_calls" not in plan.body


@pytest.mark.parametrize(
    ("choice", "wire"),
    [
        ("auto", "auto"),
        ("none", "none"),
        ("required", "required"),
        ("get_weather", {"type": "function", "function": {"name": "get_weather"}}),
        ({"type": "function", "function": {"name": "get_weather"}}, {"type": "function", "function": {"name": "get_weather"}}),
    ],
    ids=["auto", "none", "required", "named", "named-openai-style"],
)
def test_tool_choice_forms(client: specwire.Client, choice: Any, wire: Any) -> None:
    """``tool_choice`` is "none" | "auto" | "required" or a named function object.
    https://platform.openai.com/docs/api-reference/chat/create (tool_choice)."""
    plan = _build(client, tools=[WEATHER_TOOL], tool_choice=choice)
    assert plan.body["tool_choice"] == wire
    assert plan.warnings == []


@pytest.mark.parametrize("value", [False, True])
def test_parallel_tool_calls(client: specwire.Client, value: bool) -> None:
    """``parallel_tool_calls`` is a top-level boolean, independent of ``tool_choice``.
    https://platform.openai.com/docs/api-reference/chat/create (parallel_tool_calls)."""
    plan = _build(client, tools=[WEATHER_TOOL], tool_choice="required", parallel_tool_calls=value)
    assert plan.body["parallel_tool_calls"] is value
    assert plan.body["tool_choice"] == "required"


def test_parallel_tool_calls_without_tools_is_not_sent(client: specwire.Client) -> None:
    """The API rejects ``parallel_tool_calls`` when no ``tools`` are given ("Invalid value for
    'parallel_tool_calls': 'parallel_tool_calls' is only allowed when 'tools' are specified.",
    quoted in Upsonic/Upsonic#323 and camel-ai/camel#3706), so without tools it must be dropped
    with a warning.  https://platform.openai.com/docs/api-reference/chat/create"""
    plan = _build(client, parallel_tool_calls=False)
    assert "parallel_tool_calls" not in plan.body
    assert len(param_warnings(plan, "parallel_tool_calls")) == 1


# ---------------------------------------------------------------- 5. response_format
def test_response_format_json_schema(client: specwire.Client) -> None:
    """``response_format: {"type": "json_schema", "json_schema": {name, schema, strict}}``.
    https://platform.openai.com/docs/api-reference/chat/create (response_format); openai 3.54.0
    shared_params/response_format_json_schema.py."""
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"], "additionalProperties": False}
    plan = _build(client, response_format={"type": "json_schema", "name": "City", "schema": schema, "strict": True})
    assert plan.body["response_format"] == {"type": "json_schema", "json_schema": {"name": "City", "schema": schema, "strict": True}}
    # OpenAI-style input gives the same wire value; strict left unset is not sent.
    same = _build(client, response_format={"type": "json_schema", "json_schema": {"name": "City", "schema": schema, "strict": True}})
    assert same.body["response_format"] == plan.body["response_format"]
    loose = _build(client, response_format={"type": "json_schema", "schema": schema})
    assert loose.body["response_format"] == {"type": "json_schema", "json_schema": {"name": "response", "schema": schema}}


@pytest.mark.parametrize(("value", "wire"), [("json", {"type": "json_object"}), ({"type": "json_object"}, {"type": "json_object"}), ("text", None)])
def test_response_format_json_and_text(client: specwire.Client, value: Any, wire: Any) -> None:
    """Plain JSON mode is ``{"type": "json_object"}``; text (the default) sends nothing.
    https://platform.openai.com/docs/api-reference/chat/create (response_format)."""
    plan = _build(client, response_format=value)
    assert plan.body.get("response_format") == wire
    assert plan.warnings == []


# ---------------------------------------------------------------- 6. reasoning
@pytest.mark.parametrize("effort", ["none", "minimal", "low", "medium", "high", "xhigh", "max"])
def test_reasoning_effort_levels(client: specwire.Client, effort: str) -> None:
    """``reasoning_effort`` takes none | minimal | low | medium | high | xhigh | max (openai 3.54.0
    shared/reasoning_effort.py).  https://platform.openai.com/docs/api-reference/chat/create"""
    plan = _build(client, reasoning=effort)
    assert plan.body["reasoning_effort"] == effort
    assert plan.warnings == []


def test_reasoning_budget_is_unsupported_with_a_warning(client: specwire.Client) -> None:
    """Chat Completions has no thinking-token budget, only ``reasoning_effort``: a budget is
    dropped with exactly one warning.  https://platform.openai.com/docs/api-reference/chat/create"""
    plan = _build(client, reasoning=2048)
    assert "reasoning_effort" not in plan.body
    [warning] = param_warnings(plan, "reasoning")
    assert warning.kind == "unsupported-param"
    both = _build(client, reasoning={"effort": "low", "budget_tokens": 2048})
    assert both.body["reasoning_effort"] == "low"


def test_reasoning_from_any_provider_is_never_sent(client: specwire.Client, registry: Any) -> None:
    """Chat Completions takes no reasoning input: Anthropic thinking (with its signature), Gemini
    thought signatures and OpenAI-style ``reasoning_content`` are all left out, while the tool
    calls of those turns are sent.  Responses come from replaying recorded fixtures
    (anthropic/json-thinking-tool-use, gemini/sse-function-call-thought-signature).
    https://platform.openai.com/docs/api-reference/chat/create (assistant message fields)."""
    anthropic = replay_fixture(registry, "anthropic", "json-thinking-tool-use", "response.json", stream=False, framing="json")
    gemini = replay_fixture(registry, "gemini", "sse-function-call-thought-signature", "stream.sse", stream=True, framing="sse")
    a_call, g_call = anthropic.tool_calls[0], gemini.tool_calls[0]
    messages = [
        {"role": "user", "content": "Largest city in my country?"},
        {"role": "assistant", "content": "Hm.", "reasoning_content": "private chain of thought"},
        {"role": "user", "content": "Go on."},
        anthropic.message(),
        Message(role="tool", content=[ToolResultPart(tool_call_id=a_call.tool_call_id, content="France")]),
        gemini.message(),
        Message(role="tool", content=[ToolResultPart(tool_call_id=g_call.tool_call_id, content="France")]),
    ]
    plan = _build(client, messages)
    wire = plan.content().decode()
    signature = anthropic.parts[[p.type for p in anthropic.parts].index("reasoning")].provider_metadata["anthropic"]["signature"]
    assert signature not in wire
    assert g_call.provider_metadata["gemini"]["thoughtSignature"] not in wire
    assert "private chain of thought" not in wire and anthropic.reasoning not in wire
    for key in ("reasoning", "reasoning_content", "thinking", "signature", "thoughtSignature"):
        assert f'"{key}"' not in wire
    assert plan.body["messages"][1] == {"role": "assistant", "content": "Hm."}
    assert plan.body["messages"][3] == {
        "role": "assistant",
        "content": anthropic.text,
        "tool_calls": [{"id": a_call.tool_call_id, "type": "function", "function": {"name": "get_user_country", "arguments": "{}"}}],
    }
    assert plan.body["messages"][4] == {"role": "tool", "tool_call_id": a_call.tool_call_id, "content": "France"}
    assert plan.body["messages"][5]["tool_calls"][0]["function"] == {"name": "get_country", "arguments": "{}"}
    assert plan.body["messages"][6] == {"role": "tool", "tool_call_id": g_call.tool_call_id, "content": "France"}


# ---------------------------------------------------------------- 7. clamps, unsupported, truncation
def test_temperature_is_clamped_with_a_warning(client: specwire.Client) -> None:
    """temperature is "between 0 and 2" (https://platform.openai.com/docs/api-reference/chat/create;
    openai 3.54.0 completion_create_params.py): 3.5 is sent as 2 with a ``clamped-param`` warning."""
    plan = _build(client, temperature=3.5)
    assert plan.body["temperature"] == 2
    [warning] = param_warnings(plan, "temperature")
    assert warning.kind == "clamped-param"
    assert "3.5" in warning.detail and "2" in warning.detail
    inside = _build(client, temperature=0.7)
    assert inside.body["temperature"] == 0.7 and inside.warnings == []


@pytest.mark.parametrize(("param", "value", "field", "sent"), [("top_p", 1.5, "top_p", 1), ("presence_penalty", -3.0, "presence_penalty", -2), ("frequency_penalty", 2.5, "frequency_penalty", 2)])
def test_other_ranges_are_clamped(client: specwire.Client, param: str, value: float, field: str, sent: float) -> None:
    """top_p is a probability mass (0..1); presence/frequency penalties are "between -2.0 and 2.0".
    https://platform.openai.com/docs/api-reference/chat/create"""
    plan = _build(client, **{param: value})
    assert plan.body[field] == sent
    assert [w.kind for w in param_warnings(plan, param)] == ["clamped-param"]


def test_top_k_is_unsupported_with_one_warning(client: specwire.Client) -> None:
    """Chat Completions has no top_k (not in openai 3.54.0 completion_create_params.py).
    https://platform.openai.com/docs/api-reference/chat/create"""
    plan = _build(client, top_k=40)
    assert "top_k" not in plan.body
    [warning] = plan.warnings
    assert (warning.kind, warning.param) == ("unsupported-param", "top_k")


def test_stop_sequences_are_truncated_to_four(client: specwire.Client) -> None:
    """``stop`` takes "Up to 4 sequences" (https://platform.openai.com/docs/api-reference/chat/create;
    openai 3.54.0 completion_create_params.py): extra ones are cut with a warning."""
    plan = _build(client, stop_sequences=["a", "b", "c", "d", "e", "f"])
    assert plan.body["stop"] == ["a", "b", "c", "d"]
    [warning] = param_warnings(plan, "stop_sequences")
    assert warning.kind == "truncated-param"
    assert _build(client, stop_sequences="END").body["stop"] == ["END"]


def test_renamed_generic_options(client: specwire.Client) -> None:
    """max_output_tokens → ``max_completion_tokens`` (``max_tokens`` is deprecated), user →
    ``safety_identifier`` (``user`` "is being replaced"), plus seed and metadata as they are.
    https://platform.openai.com/docs/api-reference/chat/create ; openai 3.54.0 completion_create_params.py."""
    plan = _build(client, max_output_tokens=321, user="user-hash", seed=7, metadata={"run": "42"})
    assert plan.body["max_completion_tokens"] == 321
    assert "max_tokens" not in plan.body and "user" not in plan.body
    assert plan.body["safety_identifier"] == "user-hash"
    assert plan.body["seed"] == 7
    assert plan.body["metadata"] == {"run": "42"}
    assert plan.warnings == []


# ---------------------------------------------------------------- 8. stream, URL, headers, provider_options
def test_non_stream_request(client: specwire.Client) -> None:
    """POST {base}/chat/completions with a JSON body and no ``stream`` key.
    https://platform.openai.com/docs/api-reference/chat/create"""
    plan = _build(client, "hi")
    assert (plan.method, plan.url) == ("POST", "https://api.openai.com/v1/chat/completions")
    assert plan.headers == {"content-type": "application/json", "accept": "application/json"}
    assert plan.body == {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}


def test_stream_request_adds_stream_and_usage(client: specwire.Client) -> None:
    """Streaming sets ``stream: true`` and ``stream_options.include_usage`` (usage arrives in a last
    chunk) and accepts SSE.  https://platform.openai.com/docs/api-reference/chat/create (stream,
    stream_options); openai 3.54.0 chat_completion_stream_options_param.py."""
    plan = client.build(REF, "hi", stream=True)
    assert plan.url == "https://api.openai.com/v1/chat/completions"
    assert plan.body == {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "stream": True, "stream_options": {"include_usage": True}}
    assert plan.headers["accept"] == "text/event-stream"
    assert plan.headers["content-type"] == "application/json"


def test_no_secret_or_foreign_header_in_the_plan(client: specwire.Client) -> None:
    """The plan is built before auth: no Authorization header, and no other provider's headers.
    https://platform.openai.com/docs/api-reference/authentication"""
    headers = {k.lower() for k in client.build(REF, "hi", stream=True).headers}
    assert "authorization" not in headers and "anthropic-version" not in headers


def test_provider_options_are_merged_last_and_untouched(client: specwire.Client) -> None:
    """``provider_options["openai"]`` is deep-merged into the body last: it wins over generic
    options, is not clamped or warned about, and other providers' options are ignored.
    https://platform.openai.com/docs/api-reference/chat/create (service_tier, stream_options, …)."""
    plan = client.build(
        REF,
        "hi",
        stream=True,
        temperature=0.5,
        provider_options={
            "openai": {"temperature": 9, "service_tier": "flex", "stream_options": {"include_obfuscation": False}},
            "anthropic": {"thinking": {"type": "disabled"}},
        },
    )
    assert plan.body["temperature"] == 9
    assert plan.body["service_tier"] == "flex"
    assert plan.body["stream_options"] == {"include_usage": True, "include_obfuscation": False}
    assert "thinking" not in plan.body
    assert plan.warnings == []


# ---------------------------------------------------------------- 9. model ids
def test_unknown_model_is_sent_as_given_with_a_did_you_mean(client: specwire.Client) -> None:
    """A model id missing from the catalog is still sent, with an ``unknown-model`` warning that
    suggests the close catalog id (docs/ARCHITECTURE.md "Provider facts move").
    https://platform.openai.com/docs/api-reference/chat/create (model)."""
    plan = client.build("openai:gpt-5.55", "hi")
    assert plan.body["model"] == "gpt-5.55"
    [warning] = plan.warnings
    assert warning.kind == "unknown-model"
    assert "did you mean 'gpt-5.5'" in warning.detail


def test_catalog_model_has_no_warning(client: specwire.Client) -> None:
    """A current catalog model renders without warnings; a deprecated one says so.
    https://platform.openai.com/docs/api-reference/chat/create"""
    assert _build(client, "hi").warnings == []
    [warning] = client.build("openai:gpt-4.1", "hi").warnings
    assert warning.kind == "deprecated-model"
