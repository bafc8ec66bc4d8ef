"""Request rendering for the Google Gemini API (providers.d/gemini.yaml).

Protects the exact request body, URL and headers that ``Client.build`` produces for Gemini:
system/developer prompts in ``systemInstruction.parts``, ``functionCall`` parts in ``model``
turns and ``functionResponse`` parts (name resolved from the earlier call, ``{"output": …}`` or
``{"error": …}``) merged into one ``user`` turn, ``fileData`` / ``inlineData`` media, function
declarations and every ``toolConfig.functionCallingConfig`` mode, JSON output through
``generationConfig``, ``thinkingConfig`` levels and budgets, the ``thoughtSignature`` round trip
(echoed exactly; other providers' reasoning left out), clamped / truncated / unsupported
parameters, the ``:generateContent`` vs ``:streamGenerateContent`` (``alt=sse``) URLs,
``provider_options`` merged last, and unknown-model warnings.

Expectations come from https://ai.google.dev/api/generate-content and from the ``google-genai``
3.4.0 SDK (``google/genai/models.py`` request converters such as ``_GenerateContentConfig_to_mldev``,
and ``google/genai/types.py``), which the spec cites.  Nothing is sent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import specwire
from specwire import (
    DocumentPart,
    ImagePart,
    Message,
    ReasoningPart,
    RequestBuildError,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from tests.providers.render_common import PDF_B64, PNG_B64, WEATHER_TOOL, param_warnings, replay_fixture, weather_conversation

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
MODEL = "gemini-3.8-flash"  # in the catalog
REF = f"gemini:{MODEL}"
BASE = "https://generativelanguage.googleapis.com/v1beta"  # google-genai 3.4.0 _api_client.py (v1beta)



def _build(client: specwire.Client, messages: Any = "hi", **options: Any) -> specwire.RequestPlan:
    return client.build(REF, messages, **options)


# ---------------------------------------------------------------- the shared conversation
OPENAI_DICTS, UNIFIED_DICTS, UNIFIED_MESSAGES = weather_conversation("fc_")

EXPECTED_CONTENTS: list[dict[str, Any]] = [
    {"role": "user", "parts": [{"text": "Weather in Paris and Rome?"}]},
    {
        "role": "model",
        "parts": [
            {"text": "Checking both."},
            {"functionCall": {"id": "fc_paris", "name": "get_weather", "args": {"city": "Paris"}}},
            {"functionCall": {"id": "fc_rome", "name": "get_weather", "args": {"city": "Rome"}}},
        ],
    },
    {
        "role": "user",
        "parts": [
            # The result messages carry no name: it is resolved from the earlier functionCall.
            {"functionResponse": {"id": "fc_paris", "name": "get_weather", "response": {"output": "18C and sunny"}}},
            {"functionResponse": {"id": "fc_rome", "name": "get_weather", "response": {"output": "21C"}}},
            {"text": "Thanks!"},
        ],
    },
]


# ---------------------------------------------------------------- 1. system / developer
def test_system_and_developer_prompts_go_to_system_instruction(client: specwire.Client) -> None:
    """System (and developer) text is ``systemInstruction: {"parts": [{"text": …}]}``, never a
    content turn.  https://ai.google.dev/api/generate-content (systemInstruction); google-genai 3.4.0
    models.py _GenerateContentConfig_to_mldev (system_instruction → systemInstruction)."""
    plan = _build(
        client,
        [
            {"role": "system", "content": "You are terse."},
            {"role": "developer", "content": "Answer in French."},
            {"role": "user", "content": "Hello"},
        ],
    )
    assert plan.body["systemInstruction"] == {"parts": [{"text": "You are terse."}, {"text": "Answer in French."}]}
    assert plan.body["contents"] == [{"role": "user", "parts": [{"text": "Hello"}]}]


def test_no_system_instruction_without_a_system_prompt(client: specwire.Client) -> None:
    """``systemInstruction`` is optional.  https://ai.google.dev/api/generate-content"""
    plan = _build(client, "hi")
    assert plan.body == {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}


# ---------------------------------------------------------------- 2. function calling
def test_function_call_and_merged_function_responses(client: specwire.Client) -> None:
    """The assistant turn is role ``model`` with ``functionCall`` parts; results are
    ``functionResponse`` parts (name of the called function, ``response: {"output": …}``) in one
    ``user`` turn — parallel results and the follow-up text merged.
    https://ai.google.dev/api/generate-content (Content, Part);
    https://ai.google.dev/api/caching#FunctionResponse ("output" / "error" keys);
    https://ai.google.dev/gemini-api/docs/function-calling"""
    plan = _build(client, OPENAI_DICTS, tools=[WEATHER_TOOL])
    assert plan.body["contents"] == EXPECTED_CONTENTS
    assert plan.body["systemInstruction"] == {"parts": [{"text": "Be brief."}]}


@pytest.mark.parametrize("form", ["openai_dicts", "unified_dicts", "unified_messages"])
def test_conversation_renders_identically_from_every_input_form(client: specwire.Client, form: str) -> None:
    """OpenAI-style dicts, unified dicts and Message objects give the same contents.
    https://ai.google.dev/api/generate-content"""
    messages = {"openai_dicts": OPENAI_DICTS, "unified_dicts": UNIFIED_DICTS, "unified_messages": UNIFIED_MESSAGES}[form]
    assert _build(client, messages, tools=[WEATHER_TOOL]).body["contents"] == EXPECTED_CONTENTS


def test_error_result_uses_the_error_key(client: specwire.Client) -> None:
    """A failed tool result is ``response: {"error": …}``; several results in one turn stay in one
    user turn.  https://ai.google.dev/api/caching#FunctionResponse ; google-genai 3.4.0 types.py
    FunctionResponse.response ("Use "output" key to specify function output and "error" key to
    specify error details")."""
    messages = [
        Message(role="user", content="q"),
        Message(role="assistant", content=[ToolCallPart(tool_call_id="a", tool_name="f", arguments={"x": 1}), ToolCallPart(tool_call_id="b", tool_name="g", arguments={})]),
        Message(role="tool", content=[ToolResultPart(tool_call_id="a", content="A"), ToolResultPart(tool_call_id="b", content="boom", is_error=True)]),
    ]
    assert _build(client, messages).body["contents"][2] == {
        "role": "user",
        "parts": [
            {"functionResponse": {"id": "a", "name": "f", "response": {"output": "A"}}},
            {"functionResponse": {"id": "b", "name": "g", "response": {"error": "boom"}}},
        ],
    }


def test_explicit_tool_name_on_a_result_is_used(client: specwire.Client) -> None:
    """A result that names its tool needs no earlier call.  https://ai.google.dev/api/caching#FunctionResponse"""
    plan = _build(client, [{"role": "user", "content": "q"}, {"role": "tool", "tool_call_id": "x", "name": "lookup", "content": "v"}])
    assert plan.body["contents"] == [
        {"role": "user", "parts": [{"text": "q"}, {"functionResponse": {"id": "x", "name": "lookup", "response": {"output": "v"}}}]}
    ]


def test_function_response_without_a_resolvable_name_is_an_error(client: specwire.Client) -> None:
    """``FunctionResponse.name`` is required (https://ai.google.dev/api/caching#FunctionResponse:
    "Required. The name of the function to call"); a result whose call is not in the conversation
    and that names no tool must fail locally, not be sent with ``"name": null``."""
    with pytest.raises(RequestBuildError):
        _build(client, [{"role": "user", "content": "q"}, {"role": "tool", "tool_call_id": "unknown", "content": "v"}])


# ---------------------------------------------------------------- 3. images and documents
def test_images_and_documents(client: specwire.Client) -> None:
    """URLs are ``fileData: {fileUri, mimeType}``; base64 data is ``inlineData: {mimeType, data}``
    (a PDF is ``application/pdf`` inline data).  https://ai.google.dev/api/generate-content (Part:
    inlineData / fileData); https://ai.google.dev/api/caching#Blob , #FileData."""
    plan = _build(
        client,
        [
            Message(
                role="user",
                content=[
                    TextPart(text="Read these."),
                    ImagePart(url="https://example.com/cat.png", media_type="image/png"),
                    ImagePart(data=PNG_B64, media_type="image/png"),
                    DocumentPart(data=PDF_B64, media_type="application/pdf", filename="report.pdf"),
                    DocumentPart(url="https://example.com/paper.pdf"),
                ],
            )
        ],
    )
    assert plan.body["contents"] == [
        {
            "role": "user",
            "parts": [
                {"text": "Read these."},
                {"fileData": {"fileUri": "https://example.com/cat.png", "mimeType": "image/png"}},
                {"inlineData": {"mimeType": "image/png", "data": PNG_B64}},
                {"inlineData": {"mimeType": "application/pdf", "data": PDF_B64}},
                {"fileData": {"fileUri": "https://example.com/paper.pdf", "mimeType": "application/pdf"}},
            ],
        }
    ]


def test_openai_style_data_urls_become_inline_data(client: specwire.Client) -> None:
    """OpenAI-style ``image_url`` data URLs and ``file`` parts become ``inlineData``.
    https://ai.google.dev/api/generate-content"""
    plan = _build(
        client,
        [
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}},
                    {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{PDF_B64}", "filename": "r.pdf"}},
                ],
            }
        ],
    )
    assert plan.body["contents"][0]["parts"] == [
        {"inlineData": {"mimeType": "image/png", "data": PNG_B64}},
        {"inlineData": {"mimeType": "application/pdf", "data": PDF_B64}},
    ]


# ---------------------------------------------------------------- 4. tools and tool_choice
def test_function_declarations(client: specwire.Client) -> None:
    """Tools are one ``{"functionDeclarations": [{name, description, parametersJsonSchema}]}``
    entry.  https://ai.google.dev/api/caching#Tool , #FunctionDeclaration ; google-genai 3.4.0
    types.py FunctionDeclaration.parameters_json_schema."""
    plan = _build(client, tools=[WEATHER_TOOL, {"name": "now"}])
    assert plan.body["tools"] == [
        {
            "functionDeclarations": [
                {"name": "get_weather", "description": "Current weather for a city", "parametersJsonSchema": WEATHER_TOOL["parameters"]},
                {"name": "now", "parametersJsonSchema": {"type": "object", "properties": {}}},
            ]
        }
    ]
    assert "toolConfig" not in plan.body


@pytest.mark.parametrize(
    ("choice", "config"),
    [
        ("auto", {"mode": "AUTO"}),
        ("none", {"mode": "NONE"}),
        ("required", {"mode": "ANY"}),
        ("get_weather", {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}),
    ],
    ids=["auto", "none", "required", "named"],
)
def test_tool_choice_forms(client: specwire.Client, choice: str, config: dict[str, Any]) -> None:
    """tool_choice is ``toolConfig.functionCallingConfig`` with mode AUTO | NONE | ANY, and ANY plus
    ``allowedFunctionNames`` for one named function.  https://ai.google.dev/api/caching#ToolConfig ,
    #FunctionCallingConfig ; google-genai 3.4.0 models.py _FunctionCallingConfig_to_mldev."""
    plan = _build(client, tools=[WEATHER_TOOL], tool_choice=choice)
    assert plan.body["toolConfig"] == {"functionCallingConfig": config}
    assert plan.warnings == []


@pytest.mark.parametrize("value", [False, True])
def test_parallel_tool_calls_is_unsupported_with_one_warning(client: specwire.Client, value: bool) -> None:
    """The Gemini API has no switch for parallel function calls (no such field in
    https://ai.google.dev/api/generate-content GenerationConfig/ToolConfig): dropped with one warning."""
    baseline = _build(client, tools=[WEATHER_TOOL], tool_choice="auto")
    plan = _build(client, tools=[WEATHER_TOOL], tool_choice="auto", parallel_tool_calls=value)
    assert plan.body == baseline.body
    [warning] = plan.warnings
    assert (warning.kind, warning.param) == ("unsupported-param", "parallel_tool_calls")


# ---------------------------------------------------------------- 5. JSON output
def test_response_format_json_schema(client: specwire.Client) -> None:
    """Structured output is ``generationConfig.responseMimeType: application/json`` plus
    ``responseJsonSchema`` (JSON Schema, not the OpenAPI ``responseSchema``).
    https://ai.google.dev/api/generate-content#generationconfig ; google-genai 3.4.0 models.py
    _GenerateContentConfig_to_mldev (response_json_schema → responseJsonSchema)."""
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    plan = _build(client, response_format={"type": "json_schema", "name": "City", "schema": schema, "strict": True})
    assert plan.body["generationConfig"] == {"responseMimeType": "application/json", "responseJsonSchema": schema}
    assert plan.warnings == []


@pytest.mark.parametrize(("value", "config"), [("json", {"responseMimeType": "application/json"}), ("text", None)])
def test_response_format_json_and_text(client: specwire.Client, value: str, config: Any) -> None:
    """Plain JSON is ``responseMimeType: application/json`` alone; text sends nothing.
    https://ai.google.dev/api/generate-content#generationconfig"""
    plan = _build(client, response_format=value)
    assert plan.body.get("generationConfig") == config
    assert plan.warnings == []


# ---------------------------------------------------------------- 6. thinking
@pytest.mark.parametrize(("effort", "level"), [("minimal", "MINIMAL"), ("low", "LOW"), ("medium", "MEDIUM"), ("high", "HIGH"), ("xhigh", "XHIGH")])
def test_reasoning_effort_is_thinking_level(client: specwire.Client, effort: str, level: str) -> None:
    """An effort is ``generationConfig.thinkingConfig.thinkingLevel`` (MINIMAL | LOW | MEDIUM | HIGH |
    XHIGH) with ``includeThoughts``.  https://ai.google.dev/api/generate-content#ThinkingConfig ;
    https://ai.google.dev/gemini-api/docs/thinking ; google-genai 3.4.0 types.py ThinkingLevel."""
    plan = _build(client, reasoning=effort)
    assert plan.body["generationConfig"] == {"thinkingConfig": {"thinkingLevel": level, "includeThoughts": True}}
    assert plan.warnings == []


def test_reasoning_none_and_max(client: specwire.Client) -> None:
    """effort none is ``thinkingBudget: 0`` (0 is DISABLED); there is no level above XHIGH, so 'max'
    is sent as XHIGH with an ``adjusted-param`` warning.  https://ai.google.dev/gemini-api/docs/thinking ;
    google-genai 3.4.0 types.py ThinkingConfig.thinking_budget, ThinkingLevel."""
    assert _build(client, reasoning="none").body["generationConfig"] == {"thinkingConfig": {"thinkingBudget": 0}}
    plan = _build(client, reasoning="max")
    assert plan.body["generationConfig"]["thinkingConfig"]["thinkingLevel"] == "XHIGH"
    [warning] = param_warnings(plan, "reasoning")
    assert warning.kind == "adjusted-param"


@pytest.mark.parametrize(("budget", "include"), [(2048, True), (0, False)])
def test_reasoning_budget_is_thinking_budget(client: specwire.Client, budget: int, include: bool) -> None:
    """A token budget is ``thinkingBudget`` (0 turns thinking off, so no thoughts are requested).
    https://ai.google.dev/gemini-api/docs/thinking ; google-genai 3.4.0 types.py ThinkingConfig."""
    plan = _build(client, reasoning=budget)
    assert plan.body["generationConfig"] == {"thinkingConfig": {"thinkingBudget": budget, "includeThoughts": include}}


def test_thought_signature_round_trip(client: specwire.Client, registry: Any) -> None:
    """A function call's ``thoughtSignature`` goes back exactly, on the same part; the call had no
    id on the wire, so neither it nor its response gets one, and the response name comes from the
    call.  Replays tests/fixtures/gemini/sse-function-call-thought-signature.
    https://ai.google.dev/gemini-api/docs/thought-signatures ; https://ai.google.dev/api/generate-content (Part.thoughtSignature)."""
    response = replay_fixture(registry, "gemini", "sse-function-call-thought-signature", "stream.sse", stream=True, framing="sse")
    [call] = response.tool_calls
    signature = call.provider_metadata["gemini"]["thoughtSignature"]
    assert signature.startswith("EpwICpkIAXLI2nxlU6gsWZaZHRYkX1or")  # the recorded value
    plan = _build(
        client,
        [{"role": "user", "content": "Which country am I in?"}, response.message(), Message(role="tool", content=[ToolResultPart(tool_call_id=call.tool_call_id, content="France")])],
        tools=[{"name": "get_country"}],
    )
    assert plan.body["contents"][1:] == [
        {"role": "model", "parts": [{"functionCall": {"name": "get_country", "args": {}}, "thoughtSignature": signature}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "get_country", "response": {"output": "France"}}}]},
    ]


def test_thought_parts_with_a_signature_are_echoed(client: specwire.Client) -> None:
    """A Gemini thought (text with ``thought: true``) and a text part carrying a signature keep it.
    https://ai.google.dev/gemini-api/docs/thought-signatures ; https://ai.google.dev/api/generate-content (Part.thought)."""
    messages = [
        Message(role="user", content="q"),
        Message(
            role="assistant",
            content=[
                ReasoningPart(text="thinking...", provider_metadata={"gemini": {"thoughtSignature": "U2lnMQ=="}}),
                TextPart(text="answer", provider_metadata={"gemini": {"thoughtSignature": "U2lnMg=="}}),
            ],
        ),
        Message(role="user", content="more"),
    ]
    assert _build(client, messages).body["contents"][1] == {
        "role": "model",
        "parts": [{"text": "thinking...", "thought": True, "thoughtSignature": "U2lnMQ=="}, {"text": "answer", "thoughtSignature": "U2lnMg=="}],
    }


def test_reasoning_from_another_provider_is_not_sent(client: specwire.Client, registry: Any) -> None:
    """Anthropic thinking (with its signature) and OpenAI-style ``reasoning_content`` are left out;
    the Anthropic tool call is sent as a plain ``functionCall`` without a signature.  Replays
    tests/fixtures/anthropic/stream-thinking-signature and anthropic/json-thinking-tool-use.
    https://ai.google.dev/gemini-api/docs/thought-signatures ; https://ai.google.dev/api/generate-content"""
    thinking = replay_fixture(registry, "anthropic", "stream-thinking-signature", "stream.sse", stream=True, framing="sse")
    tool_turn = replay_fixture(registry, "anthropic", "json-thinking-tool-use", "response.json", stream=False, framing="json")
    [call] = tool_turn.tool_calls
    plan = _build(
        client,
        [
            {"role": "user", "content": "How do I cross the street?"},
            thinking.message(),
            {"role": "user", "content": "ok"},
            {"role": "assistant", "content": "sure", "reasoning_content": "openai-compatible thoughts"},
            {"role": "user", "content": "Largest city in my country?"},
            tool_turn.message(),
            Message(role="tool", content=[ToolResultPart(tool_call_id=call.tool_call_id, content="France")]),
        ],
    )
    wire = plan.content().decode()
    assert thinking.reasoning not in wire and tool_turn.reasoning not in wire
    assert "openai-compatible thoughts" not in wire
    assert '"thought"' not in wire and '"thoughtSignature"' not in wire and '"signature"' not in wire
    assert plan.body["contents"][1] == {"role": "model", "parts": [{"text": thinking.text}]}
    assert plan.body["contents"][3] == {"role": "model", "parts": [{"text": "sure"}]}
    assert plan.body["contents"][5] == {
        "role": "model",
        "parts": [{"text": tool_turn.text}, {"functionCall": {"id": call.tool_call_id, "name": "get_user_country", "args": {}}}],
    }
    assert plan.body["contents"][6]["parts"] == [{"functionResponse": {"id": call.tool_call_id, "name": "get_user_country", "response": {"output": "France"}}}]


# ---------------------------------------------------------------- 7. clamps, truncation, unsupported
def test_temperature_is_clamped_with_a_warning(client: specwire.Client) -> None:
    """temperature ranges over [0.0, 2.0] (https://ai.google.dev/api/generate-content#generationconfig):
    3.5 is sent as 2 with a ``clamped-param`` warning."""
    plan = _build(client, temperature=3.5, top_p=1.5)
    assert plan.body["generationConfig"] == {"temperature": 2, "topP": 1}
    assert [w.kind for w in param_warnings(plan, "temperature")] == ["clamped-param"]
    assert [w.kind for w in param_warnings(plan, "top_p")] == ["clamped-param"]


def test_sampling_options_map_into_generation_config(client: specwire.Client) -> None:
    """max_output_tokens, top_k, seed and the penalties are ``generationConfig`` fields.
    https://ai.google.dev/api/generate-content#generationconfig ; google-genai 3.4.0 models.py
    _GenerateContentConfig_to_mldev (maxOutputTokens, topK, seed, presencePenalty, frequencyPenalty)."""
    plan = _build(client, max_output_tokens=256, top_k=40, seed=7, presence_penalty=0.5, frequency_penalty=-0.5, temperature=0.2)
    assert plan.body["generationConfig"] == {
        "maxOutputTokens": 256,
        "temperature": 0.2,
        "topK": 40,
        "seed": 7,
        "presencePenalty": 0.5,
        "frequencyPenalty": -0.5,
    }
    assert plan.warnings == []


def test_stop_sequences_are_truncated_to_five(client: specwire.Client) -> None:
    """``stopSequences`` takes up to 5 sequences (https://ai.google.dev/api/generate-content#generationconfig):
    extras are cut with a ``truncated-param`` warning."""
    plan = _build(client, stop_sequences=["a", "b", "c", "d", "e", "f", "g"])
    assert plan.body["generationConfig"] == {"stopSequences": ["a", "b", "c", "d", "e"]}
    [warning] = param_warnings(plan, "stop_sequences")
    assert warning.kind == "truncated-param"


def test_user_is_unsupported_with_one_warning(client: specwire.Client) -> None:
    """The generateContent request has no end-user field (google-genai 3.4.0
    _GenerateContentConfig_to_mldev maps none): ``user`` is dropped with one warning.
    (``metadata`` is left to test_param_coverage: google-genai 3.4.0 forwards ``labels`` on the
    Gemini API path, so whether it is unsupported is in doubt.)  https://ai.google.dev/api/generate-content"""
    plan = _build(client, user="user-hash")
    assert plan.body == {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    [warning] = plan.warnings
    assert (warning.kind, warning.param) == ("unsupported-param", "user")


# ---------------------------------------------------------------- 8. URLs, stream, headers, provider_options
def test_non_stream_url_and_headers(client: specwire.Client) -> None:
    """POST {base}/models/{model}:generateContent; the model is in the path, not the body.
    https://ai.google.dev/api/generate-content#method:-models.generatecontent ; google-genai 3.4.0
    models.py ("{model}:generateContent")."""
    plan = _build(client, "hi")
    assert (plan.method, plan.url) == ("POST", f"{BASE}/models/{MODEL}:generateContent")
    assert plan.headers == {"content-type": "application/json", "accept": "application/json"}
    assert "model" not in plan.body
    assert "x-goog-api-key" not in plan.headers  # added by the auth hook, never in the plan


def test_stream_urls(client: specwire.Client) -> None:
    """Streaming is ``:streamGenerateContent`` (a JSON array by default); ``stream_mode="sse"`` adds
    ``alt=sse`` and accepts SSE.  The body is the same as without streaming.
    https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent ; google-genai
    3.4.0 models.py ("{model}:streamGenerateContent?alt=sse")."""
    plain = _build(client, "hi", temperature=0.3)
    array = client.build(REF, "hi", stream=True, temperature=0.3)
    sse = client.build(REF, "hi", stream=True, stream_mode="sse", temperature=0.3)
    assert array.url == f"{BASE}/models/{MODEL}:streamGenerateContent"
    assert array.headers["accept"] == "application/json"
    assert sse.url == f"{BASE}/models/{MODEL}:streamGenerateContent?alt=sse"
    assert sse.headers["accept"] == "text/event-stream"
    assert plain.body == array.body == sse.body
    assert "stream" not in sse.body


def test_unknown_stream_mode_is_an_error(client: specwire.Client) -> None:
    """Only the modes the spec declares exist.  https://ai.google.dev/api/generate-content"""
    with pytest.raises(RequestBuildError, match="stream mode"):
        client.build(REF, "hi", stream=True, stream_mode="websocket")


def test_provider_options_are_merged_last_and_untouched(client: specwire.Client) -> None:
    """``provider_options["gemini"]`` is deep-merged last: it merges into ``generationConfig`` next
    to mapped options, wins on conflicts, is not validated, and other providers' options are
    ignored.  https://ai.google.dev/api/generate-content (safetySettings, generationConfig)."""
    safety = [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}]
    plan = _build(
        client,
        "hi",
        temperature=0.3,
        reasoning="low",
        provider_options={
            "gemini": {"safetySettings": safety, "generationConfig": {"responseModalities": ["TEXT"], "temperature": 7, "thinkingConfig": {"includeThoughts": False}}},
            "openai": {"service_tier": "flex"},
        },
    )
    assert plan.body["safetySettings"] == safety
    assert plan.body["generationConfig"] == {
        "temperature": 7,
        "thinkingConfig": {"thinkingLevel": "LOW", "includeThoughts": False},
        "responseModalities": ["TEXT"],
    }
    assert "service_tier" not in plan.body
    assert plan.warnings == []


# ---------------------------------------------------------------- 9. model ids
def test_unknown_model_is_sent_as_given_with_a_did_you_mean(client: specwire.Client) -> None:
    """A model id missing from the catalog is still used (in the URL), with an ``unknown-model``
    warning and a did-you-mean (docs/ARCHITECTURE.md "Provider facts move").
    https://ai.google.dev/api/generate-content (model path parameter)."""
    plan = client.build("gemini:gemini-3.8-flash-001", "hi")
    assert plan.url == f"{BASE}/models/gemini-3.8-flash-001:generateContent"
    [warning] = plan.warnings
    assert warning.kind == "unknown-model"
    assert "did you mean 'gemini-3.8-flash'" in warning.detail


def test_catalog_model_has_no_warning(client: specwire.Client) -> None:
    """A current catalog model renders without warnings.  https://ai.google.dev/api/generate-content"""
    assert _build(client, "hi").warnings == []
