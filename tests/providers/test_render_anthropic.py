"""Request rendering for the Anthropic Messages API (providers.d/anthropic.yaml).

Protects the exact request body, URL and headers that ``Client.build`` produces for Anthropic:
system/developer prompts hoisted into top-level ``system`` text blocks, ``tool_use`` /
``tool_result`` blocks with consecutive user turns merged, images and PDFs, tool definitions and
every ``tool_choice`` form (``disable_parallel_tool_use``), ``output_config.format`` structured
output, ``thinking`` / ``output_config.effort``, the thinking-signature round trip (signatures and
redacted thinking echoed byte for byte, other providers' reasoning left out), parameters the
current API no longer accepts (dropped with a warning), stream additions, the
``anthropic-version`` header, ``provider_options`` merged last, and unknown-model warnings.

Expectations come from https://platform.claude.com/docs/en/api/messages and from the ``anthropic``
2.12.0 SDK (``anthropic/_constants.py``, ``anthropic/types/message_create_params.py`` and the
``*_param.py`` block types), which the spec cites.  Nothing is sent.
"""

from __future__ import annotations

import base64
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
MODEL = "claude-sonnet-5-5"  # in the catalog (anthropic 2.12.0 anthropic/types/model_param.py)
REF = f"anthropic:{MODEL}"
API_VERSION = "2026-10-21"  # anthropic 2.12.0 anthropic/_constants.py ANTHROPIC_API_VERSION



def _build(client: specwire.Client, messages: Any = "hi", **options: Any) -> specwire.RequestPlan:
    return client.build(REF, messages, **options)


# ---------------------------------------------------------------- the shared conversation
OPENAI_DICTS, UNIFIED_DICTS, UNIFIED_MESSAGES = weather_conversation("toolu_")

EXPECTED_MESSAGES: list[dict[str, Any]] = [
    {"role": "user", "content": [{"type": "text", "text": "Weather in Paris and Rome?"}]},
    {
        "role": "assistant",
        "content": [
            {"type": "text", "text": "Checking both."},
            {"type": "tool_use", "id": "toolu_paris", "name": "get_weather", "input": {"city": "Paris"}},
            {"type": "tool_use", "id": "toolu_rome", "name": "get_weather", "input": {"city": "Rome"}},
        ],
    },
    {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "toolu_paris", "content": "18C and sunny"},
            {"type": "tool_result", "tool_use_id": "toolu_rome", "content": "21C"},
            {"type": "text", "text": "Thanks!"},
        ],
    },
]


# ---------------------------------------------------------------- 1. system / developer
def test_system_and_developer_prompts_become_top_level_system_blocks(client: specwire.Client) -> None:
    """The Messages API has no system role: system (and developer) text goes to the top-level
    ``system`` parameter as text blocks, in order, wherever it appeared in the conversation.
    https://platform.claude.com/docs/en/api/messages (system: string | TextBlockParam[]);
    anthropic 2.12.0 types/message_create_params.py."""
    plan = _build(
        client,
        [
            {"role": "system", "content": "You are terse."},
            {"role": "developer", "content": "Answer in French."},
            {"role": "user", "content": "Hello"},
            {"role": "system", "content": "Late rule."},
        ],
    )
    assert plan.body["system"] == [
        {"type": "text", "text": "You are terse."},
        {"type": "text", "text": "Answer in French."},
        {"type": "text", "text": "Late rule."},
    ]
    assert plan.body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "Hello"}]}]
    assert all(m["role"] in ("user", "assistant") for m in plan.body["messages"])


def test_no_system_key_without_a_system_prompt(client: specwire.Client) -> None:
    """``system`` is optional and left out when there is none.  https://platform.claude.com/docs/en/api/messages"""
    assert "system" not in _build(client, "hi").body


def test_system_prompt_takes_only_text(client: specwire.Client) -> None:
    """``system`` is text blocks only (TextBlockParam); an image there is a build error, not a drop.
    https://platform.claude.com/docs/en/api/messages"""
    with pytest.raises(RequestBuildError, match="system"):
        _build(client, [Message(role="system", content=[ImagePart(url="https://example.com/a.png")]), Message(role="user", content="hi")])


# ---------------------------------------------------------------- 2. tool-call conversation
def test_tool_use_then_tool_result_in_a_merged_user_turn(client: specwire.Client) -> None:
    """Tool calls are ``tool_use`` blocks (id, name, input object) in the assistant turn; results are
    ``tool_result`` blocks (tool_use_id, content) in the next *user* turn, and consecutive user
    turns (the results and the follow-up text) are merged into one, results first.
    https://platform.claude.com/docs/en/api/messages (messages; tool_use / tool_result blocks);
    anthropic 2.12.0 types/tool_use_block_param.py, tool_result_block_param.py."""
    plan = _build(client, OPENAI_DICTS, tools=[WEATHER_TOOL])
    assert plan.body["system"] == [{"type": "text", "text": "Be brief."}]
    assert plan.body["messages"] == EXPECTED_MESSAGES


@pytest.mark.parametrize("form", ["openai_dicts", "unified_dicts", "unified_messages"])
def test_conversation_renders_identically_from_every_input_form(client: specwire.Client, form: str) -> None:
    """OpenAI-style dicts, unified dicts and Message objects give the same Messages body.
    https://platform.claude.com/docs/en/api/messages"""
    messages = {"openai_dicts": OPENAI_DICTS, "unified_dicts": UNIFIED_DICTS, "unified_messages": UNIFIED_MESSAGES}[form]
    plan = _build(client, messages, tools=[WEATHER_TOOL])
    assert plan.body["messages"] == EXPECTED_MESSAGES
    assert plan.body["system"] == [{"type": "text", "text": "Be brief."}]


def test_error_result_and_consecutive_user_messages(client: specwire.Client) -> None:
    """A failed tool result carries ``is_error: true`` (absent otherwise), and two user messages in
    a row become one user turn.  https://platform.claude.com/docs/en/api/messages (tool_result
    is_error; consecutive same-role turns are combined); anthropic 2.12.0 tool_result_block_param.py."""
    messages = [
        Message(role="user", content="one"),
        Message(role="user", content="two"),
        Message(role="assistant", content=[ToolCallPart(tool_call_id="toolu_1", tool_name="f", arguments={})]),
        Message(role="tool", content=[ToolResultPart(tool_call_id="toolu_1", content="boom", is_error=True)]),
    ]
    assert _build(client, messages).body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}]},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "boom", "is_error": True}]},
    ]


def test_tool_result_with_an_image_keeps_content_blocks(client: specwire.Client) -> None:
    """Tool result ``content`` may be a list of text and image blocks.
    https://platform.claude.com/docs/en/api/messages (tool_result content)."""
    result = ToolResultPart(tool_call_id="toolu_1", content=[TextPart(text="chart:"), ImagePart(data=PNG_B64, media_type="image/png")])
    plan = _build(client, [Message(role="assistant", content=[ToolCallPart(tool_call_id="toolu_1", tool_name="plot")]), Message(role="tool", content=[result])])
    assert plan.body["messages"][1]["content"] == [
        {
            "type": "tool_result",
            "tool_use_id": "toolu_1",
            "content": [{"type": "text", "text": "chart:"}, {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64}}],
        }
    ]


# ---------------------------------------------------------------- 3. images and documents
def test_images_and_documents(client: specwire.Client) -> None:
    """Images are ``image`` blocks with a ``url`` or ``base64`` source; PDFs are ``document`` blocks
    with a ``base64`` (media_type application/pdf) or ``url`` source; a text/plain document uses a
    ``text`` source.  https://platform.claude.com/docs/en/api/messages ; anthropic 2.12.0
    types/url_image_source_param.py, base64_image_source_param.py, base64_pdf_source_param.py,
    url_pdf_source_param.py, plain_text_source_param.py."""
    text_doc = base64.b64encode("plain notes".encode()).decode()
    plan = _build(
        client,
        [
            Message(
                role="user",
                content=[
                    TextPart(text="Read these."),
                    ImagePart(url="https://example.com/cat.png"),
                    ImagePart(data=PNG_B64, media_type="image/png"),
                    DocumentPart(data=PDF_B64, media_type="application/pdf", filename="report.pdf"),
                    DocumentPart(url="https://example.com/paper.pdf"),
                    DocumentPart(data=text_doc, media_type="text/plain"),
                ],
            )
        ],
    )
    assert plan.body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Read these."},
                {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.png"}},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64}},
                {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": PDF_B64}},
                {"type": "document", "source": {"type": "url", "url": "https://example.com/paper.pdf"}},
                {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "plain notes"}},
            ],
        }
    ]


def test_openai_style_data_urls_become_base64_sources(client: specwire.Client) -> None:
    """OpenAI-style ``image_url`` data URLs and ``file`` parts become base64 sources.
    https://platform.claude.com/docs/en/api/messages"""
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
    assert plan.body["messages"][0]["content"] == [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64}},
        {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": PDF_B64}},
    ]


# ---------------------------------------------------------------- 4. tools and tool_choice
def test_tool_definitions(client: specwire.Client) -> None:
    """Tools are ``{name, description, input_schema, strict}`` (no ``type: function`` wrapper).
    https://platform.claude.com/docs/en/api/messages (tools); anthropic 2.12.0 types/tool_param.py."""
    plan = _build(client, tools=[WEATHER_TOOL, {"name": "now", "strict": True}])
    assert plan.body["tools"] == [
        {"name": "get_weather", "description": "Current weather for a city", "input_schema": WEATHER_TOOL["parameters"]},
        {"name": "now", "input_schema": {"type": "object", "properties": {}}, "strict": True},
    ]
    assert "tool_choice" not in plan.body


@pytest.mark.parametrize(
    ("choice", "wire"),
    [
        ("auto", {"type": "auto"}),
        ("none", {"type": "none"}),
        ("required", {"type": "any"}),
        ("get_weather", {"type": "tool", "name": "get_weather"}),
    ],
    ids=["auto", "none", "required", "named"],
)
def test_tool_choice_forms(client: specwire.Client, choice: str, wire: dict[str, Any]) -> None:
    """tool_choice is ``{"type": "auto"|"any"|"none"}`` or ``{"type": "tool", "name": …}``.
    https://platform.claude.com/docs/en/api/messages (tool_choice); anthropic 2.12.0
    types/tool_choice_*_param.py."""
    plan = _build(client, tools=[WEATHER_TOOL], tool_choice=choice)
    assert plan.body["tool_choice"] == wire
    assert plan.warnings == []


@pytest.mark.parametrize(
    ("choice", "wire"),
    [
        (None, {"type": "auto", "disable_parallel_tool_use": True}),
        ("auto", {"type": "auto", "disable_parallel_tool_use": True}),
        ("required", {"type": "any", "disable_parallel_tool_use": True}),
        ("get_weather", {"type": "tool", "name": "get_weather", "disable_parallel_tool_use": True}),
    ],
    ids=["default-type", "auto", "required", "named"],
)
def test_parallel_tool_calls_false_sets_disable_parallel_tool_use(client: specwire.Client, choice: str | None, wire: dict[str, Any]) -> None:
    """parallel_tool_calls=False is ``tool_choice.disable_parallel_tool_use: true``; with no
    tool_choice given the type defaults to ``auto``.  https://platform.claude.com/docs/en/api/messages
    (tool_choice.disable_parallel_tool_use); anthropic 2.12.0 types/tool_choice_auto_param.py."""
    options: dict[str, Any] = {"tools": [WEATHER_TOOL], "parallel_tool_calls": False}
    if choice is not None:
        options["tool_choice"] = choice
    plan = _build(client, **options)
    assert plan.body["tool_choice"] == wire
    assert "parallel_tool_calls" not in plan.body
    assert plan.warnings == []


def test_parallel_tool_calls_true_is_the_default_and_sends_nothing(client: specwire.Client) -> None:
    """Parallel tool use is on by default: parallel_tool_calls=True adds nothing.
    https://platform.claude.com/docs/en/api/messages (disable_parallel_tool_use defaults to false)."""
    plan = _build(client, tools=[WEATHER_TOOL], parallel_tool_calls=True)
    assert "tool_choice" not in plan.body and "parallel_tool_calls" not in plan.body
    assert plan.warnings == []


def test_tool_choice_none_takes_no_disable_parallel_tool_use(client: specwire.Client) -> None:
    """``{"type": "none"}`` has no ``disable_parallel_tool_use`` field (anthropic 2.12.0
    types/tool_choice_none_param.py has only ``type``; the API rejects the extra key, see
    QuantumNous/new-api#2763 "tool_choice=none + parallel_tool_calls=false = anthropic api error").
    With no tool allowed, parallelism is moot: the key must not be sent.
    https://platform.claude.com/docs/en/api/messages (tool_choice)."""
    plan = _build(client, tools=[WEATHER_TOOL], tool_choice="none", parallel_tool_calls=False)
    assert plan.body["tool_choice"] == {"type": "none"}


# ---------------------------------------------------------------- 5. structured output
def test_response_format_json_schema_is_output_config_format(client: specwire.Client) -> None:
    """Structured output is ``output_config.format: {"type": "json_schema", "schema": …}`` (no name
    or strict field).  https://platform.claude.com/docs/en/api/messages (output_config); anthropic
    2.12.0 types/output_config_param.py, json_output_format_param.py."""
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"], "additionalProperties": False}
    plan = _build(client, response_format={"type": "json_schema", "name": "City", "schema": schema, "strict": True})
    assert plan.body["output_config"] == {"format": {"type": "json_schema", "schema": schema}}
    assert plan.warnings == []
    # The effort lives in the same object: both are kept.
    both = _build(client, response_format={"type": "json_schema", "schema": schema}, reasoning="high")
    assert both.body["output_config"] == {"format": {"type": "json_schema", "schema": schema}, "effort": "high"}


def test_response_format_plain_json_is_unsupported_with_a_warning(client: specwire.Client) -> None:
    """Anthropic has no schema-less JSON mode (JSONOutputFormatParam requires ``schema``): plain
    json is dropped with one warning; text sends nothing.  https://platform.claude.com/docs/en/api/messages"""
    plan = _build(client, response_format="json")
    assert "output_config" not in plan.body
    [warning] = param_warnings(plan, "response_format")
    assert warning.kind == "unsupported-param"
    text = _build(client, response_format="text")
    assert "output_config" not in text.body and text.warnings == []


# ---------------------------------------------------------------- 6. reasoning
BUDGET_MODEL = "claude-haiku-4-5"  # profile budget_thinking: Claude 4.5 takes only the manual budget form


def test_reasoning_budget_on_a_budget_model_enables_thinking(client: specwire.Client) -> None:
    """Claude 4.5 and earlier take only ``thinking: {"type": "enabled", "budget_tokens": n}``
    (https://docs.aws.amazon.com/bedrock/latest/userguide/claude-messages-adaptive-thinking.html :
    "Older models (Claude Sonnet 4.5, Claude Opus 4.5, etc.) do not support adaptive thinking");
    the default ``max_tokens`` is the catalog's max output, above the budget; an explicit
    max_output_tokens is kept.  anthropic 2.12.0 types/thinking_config_enabled_param.py."""
    plan = client.build(f"anthropic:{BUDGET_MODEL}", "hi", reasoning=2048)
    assert plan.body["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert plan.body["max_tokens"] == 64000  # catalog max output of claude-haiku-4-5
    explicit = client.build(f"anthropic:{BUDGET_MODEL}", "hi", reasoning=2048, max_output_tokens=10000)
    assert explicit.body["max_tokens"] == 10000
    assert plan.warnings == [] and explicit.warnings == []


def test_effort_on_a_budget_model_is_sent_as_a_budget_with_a_warning(client: specwire.Client) -> None:
    """A budget-only model gets an effort level as a budget (documented table in the spec)."""
    plan = client.build(f"anthropic:{BUDGET_MODEL}", "hi", reasoning="high")
    assert plan.body["thinking"] == {"type": "enabled", "budget_tokens": 16384}
    assert plan.body["thinking"]["budget_tokens"] < plan.body["max_tokens"]
    [warning] = param_warnings(plan, "reasoning")
    assert warning.kind == "adjusted-param"


def test_budget_on_an_adaptive_model_becomes_an_effort(client: specwire.Client) -> None:
    """Claude Opus 4.7, Fable 5 and the Claude 5 family reject the manual budget form ("Use
    thinking.type: adaptive with output_config.effort", AWS Bedrock adaptive-thinking page), so a
    budget is sent as the nearest effort, with a warning; the default max_tokens is the catalog's."""
    plan = _build(client, reasoning=2048)
    assert plan.body["thinking"] == {"type": "adaptive"}
    assert plan.body["output_config"] == {"effort": "medium"}
    assert [w.kind for w in param_warnings(plan, "reasoning")] == ["adjusted-param"]
    assert _build(client, "hi").body["max_tokens"] == 128000  # catalog max output of claude-sonnet-5-5
    assert client.build("anthropic:claude-not-in-catalog", "hi").body["max_tokens"] == 4096


@pytest.mark.parametrize("effort", ["low", "medium", "high", "xhigh", "max"])
def test_reasoning_effort_is_adaptive_thinking_with_output_config_effort(client: specwire.Client, effort: str) -> None:
    """An effort level is adaptive thinking plus ``output_config.effort`` (low | medium | high |
    xhigh | max).  https://platform.claude.com/docs/en/api/messages (thinking, output_config);
    anthropic 2.12.0 types/thinking_config_adaptive_param.py, output_config_param.py."""
    plan = _build(client, reasoning=effort)
    assert plan.body["thinking"] == {"type": "adaptive"}
    assert plan.body["output_config"] == {"effort": effort}
    assert plan.warnings == []


def test_reasoning_none_and_minimal(client: specwire.Client) -> None:
    """effort none is ``thinking: {"type": "disabled"}``; Anthropic has no 'minimal' effort, so it is
    sent as 'low' with an ``adjusted-param`` warning.  https://platform.claude.com/docs/en/api/messages ;
    anthropic 2.12.0 types/thinking_config_disabled_param.py, output_config_param.py."""
    off = _build(client, reasoning="none")
    assert off.body["thinking"] == {"type": "disabled"} and "output_config" not in off.body
    minimal = _build(client, reasoning="minimal")
    assert minimal.body["output_config"] == {"effort": "low"}
    [warning] = param_warnings(minimal, "reasoning")
    assert warning.kind == "adjusted-param"


@pytest.mark.parametrize(("budget", "max_output_tokens"), [(2048, None), (0, None), (512, None), (2048, 1000)], ids=["valid", "zero", "below-1024", "not-below-max_tokens"])
def test_thinking_budget_sent_is_one_the_api_accepts(client: specwire.Client, budget: int, max_output_tokens: int | None) -> None:
    """``budget_tokens`` "Must be ≥1024 and less than `max_tokens`" (anthropic 2.12.0
    types/thinking_config_enabled_param.py; https://platform.claude.com/docs/en/api/messages
    thinking).  On a model that takes budgets, whatever a budget maps to must satisfy that (or turn
    thinking off), and a changed value must come with a warning naming ``reasoning``."""
    options: dict[str, Any] = {"reasoning": budget}
    if max_output_tokens is not None:
        options["max_output_tokens"] = max_output_tokens
    plan = client.build(f"anthropic:{BUDGET_MODEL}", "hi", **options)
    thinking = plan.body["thinking"]
    if thinking["type"] == "enabled":
        assert 1024 <= thinking["budget_tokens"] < plan.body["max_tokens"], plan.body
    else:
        assert thinking == {"type": "disabled"}
    if thinking != {"type": "enabled", "budget_tokens": budget} and budget != 0:
        assert param_warnings(plan, "reasoning") or param_warnings(plan, "max_output_tokens")


def test_thinking_signature_is_echoed_exactly(client: specwire.Client, registry: Any) -> None:
    """Thinking blocks go back unmodified with their ``signature`` (ThinkingBlockParam: thinking,
    signature, type), before the text of that turn.  The response comes from replaying
    tests/fixtures/anthropic/stream-thinking-signature.  https://platform.claude.com/docs/en/api/messages ;
    https://platform.claude.com/docs/en/build-with-claude/extended-thinking ; anthropic 2.12.0
    types/thinking_block_param.py."""
    response = replay_fixture(registry, "anthropic", "stream-thinking-signature", "stream.sse", stream=True, framing="sse")
    [reasoning] = [p for p in response.parts if p.type == "reasoning"]
    signature = reasoning.provider_metadata["anthropic"]["signature"]
    assert signature.startswith("EvMCCkYICxgCKkCHP2cSuEdcJK")  # the recorded value
    plan = _build(client, [{"role": "user", "content": "How do I cross the street?"}, response.message(), {"role": "user", "content": "And at night?"}], reasoning=2048)
    assistant = plan.body["messages"][1]
    assert assistant["role"] == "assistant"
    assert assistant["content"] == [
        {"type": "thinking", "thinking": response.reasoning, "signature": signature},
        {"type": "text", "text": response.text},
    ]
    assert plan.body["messages"][2] == {"role": "user", "content": [{"type": "text", "text": "And at night?"}]}


def test_thinking_and_tool_use_round_trip_keeps_block_order(client: specwire.Client, registry: Any) -> None:
    """With thinking and tool use, the assistant turn is echoed as received — thinking (with
    signature) first, then text, then tool_use — and the tool_result follows in a user turn.
    The API requires the last assistant turn to start with its thinking block ("a final
    `assistant` message must start with a thinking block", quoted in n8n-io/n8n#22550 and
    OpenRouterTeam/ai-sdk-provider#162).  The response comes from replaying
    tests/fixtures/anthropic/json-thinking-tool-use (wire order: thinking, text, tool_use).
    https://platform.claude.com/docs/en/build-with-claude/extended-thinking (thinking with tool use);
    https://platform.claude.com/docs/en/api/messages"""
    response = replay_fixture(registry, "anthropic", "json-thinking-tool-use", "response.json", stream=False, framing="json")
    [call] = response.tool_calls
    plan = _build(
        client,
        [{"role": "user", "content": "Largest city in my country?"}, response.message(), Message(role="tool", content=[ToolResultPart(tool_call_id=call.tool_call_id, content="France")])],
        tools=[{"name": "get_user_country"}],
        reasoning=2048,
    )
    assistant = plan.body["messages"][1]["content"]
    assert [b["type"] for b in assistant] == ["thinking", "text", "tool_use"]
    assert assistant[0]["signature"].startswith("EqEECkYICxgCKkAo3UA4WwDbB8ih")
    assert assistant[2] == {"type": "tool_use", "id": "toolu_01YGzqpRE16Vricda3Aqcejo", "name": "get_user_country", "input": {}}
    assert plan.body["messages"][2] == {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01YGzqpRE16Vricda3Aqcejo", "content": "France"}]}


def test_redacted_thinking_is_echoed_with_its_data(client: specwire.Client, registry: Any) -> None:
    """Redacted thinking goes back as ``{"type": "redacted_thinking", "data": …}`` unchanged.
    Replays tests/fixtures/anthropic/stream-redacted-thinking.  https://platform.claude.com/docs/en/api/messages ;
    anthropic 2.12.0 types/redacted_thinking_block_param.py."""
    response = replay_fixture(registry, "anthropic", "stream-redacted-thinking", "stream.sse", stream=True, framing="sse")
    redacted = [p for p in response.parts if p.type == "reasoning"]
    assert redacted and all(p.redacted for p in redacted)
    plan = _build(client, [{"role": "user", "content": "hi"}, response.message(), {"role": "user", "content": "next"}])
    blocks = plan.body["messages"][1]["content"]
    assert blocks[: len(redacted)] == [{"type": "redacted_thinking", "data": p.provider_metadata["anthropic"]["redacted_data"]} for p in redacted]


def test_reasoning_from_another_provider_is_not_sent(client: specwire.Client, registry: Any) -> None:
    """Reasoning cannot be replayed without this provider's signature: a Gemini thought (with a
    ``thoughtSignature``) and OpenAI-style ``reasoning_content`` are left out, Gemini's signature on
    its function call is not sent, and the call itself is.  Replays
    tests/fixtures/gemini/sse-function-call-thought-signature.
    https://platform.claude.com/docs/en/build-with-claude/extended-thinking ; https://platform.claude.com/docs/en/api/messages"""
    gemini = replay_fixture(registry, "gemini", "sse-function-call-thought-signature", "stream.sse", stream=True, framing="sse")
    [call] = gemini.tool_calls
    foreign = ReasoningPart(text="gemini thoughts", provider_metadata={"gemini": {"thoughtSignature": "R2VtaW5pU2ln"}})
    plan = _build(
        client,
        [
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "a", "reasoning_content": "openai-compatible thoughts"},
            {"role": "user", "content": "country?"},
            Message(role="assistant", content=[foreign, *gemini.parts]),
            Message(role="tool", content=[ToolResultPart(tool_call_id=call.tool_call_id, content="France")]),
        ],
    )
    wire = plan.content().decode()
    assert "gemini thoughts" not in wire and "openai-compatible thoughts" not in wire
    assert "R2VtaW5pU2ln" not in wire and call.provider_metadata["gemini"]["thoughtSignature"] not in wire
    assert '"thinking"' not in wire and '"signature"' not in wire
    assert plan.body["messages"][1] == {"role": "assistant", "content": [{"type": "text", "text": "a"}]}
    assert plan.body["messages"][3] == {"role": "assistant", "content": [{"type": "tool_use", "id": call.tool_call_id, "name": "get_country", "input": {}}]}
    assert plan.body["messages"][4]["content"] == [{"type": "tool_result", "tool_use_id": call.tool_call_id, "content": "France"}]


# ---------------------------------------------------------------- 7. unsupported parameters
@pytest.mark.parametrize(("param", "value"), [("temperature", 0.5), ("top_p", 0.9), ("top_k", 40), ("seed", 7), ("presence_penalty", 0.5), ("frequency_penalty", 0.5)])
def test_parameters_the_api_no_longer_takes_are_dropped_with_one_warning(client: specwire.Client, param: str, value: Any) -> None:
    """anthropic 2.12.0 types/message_create_params.py has no temperature, top_p, top_k, seed or
    penalties (docs/ARCHITECTURE.md "Provider facts move"): each is dropped with exactly one
    ``unsupported-param`` warning naming it.  https://platform.claude.com/docs/en/api/messages"""
    baseline = _build(client, "hi")
    plan = _build(client, "hi", **{param: value})
    assert plan.body == baseline.body
    [warning] = plan.warnings
    assert (warning.kind, warning.param) == ("unsupported-param", param)


def test_stop_sequences_user_and_metadata(client: specwire.Client) -> None:
    """``stop_sequences`` is sent as given (no documented item limit, so no truncation); ``user`` is
    ``metadata.user_id``; arbitrary metadata is not accepted (MetadataParam has only user_id).
    https://platform.claude.com/docs/en/api/messages (stop_sequences, metadata); anthropic 2.12.0
    types/metadata_param.py."""
    stops = ["a", "b", "c", "d", "e", "f", "g"]
    plan = _build(client, stop_sequences=stops, user="user-hash", metadata={"run": "42"})
    assert plan.body["stop_sequences"] == stops
    assert plan.body["metadata"] == {"user_id": "user-hash"}
    [warning] = plan.warnings
    assert (warning.kind, warning.param) == ("unsupported-param", "metadata")
    assert _build(client, max_output_tokens=123).body["max_tokens"] == 123


# ---------------------------------------------------------------- 8. stream, URL, headers, provider_options
def test_non_stream_request(client: specwire.Client) -> None:
    """POST {base}/messages with ``anthropic-version`` and a required ``max_tokens``.
    https://platform.claude.com/docs/en/api/messages ; anthropic 2.12.0 _constants.py
    (ANTHROPIC_API_VERSION = "2026-10-21")."""
    plan = _build(client, "hi")
    assert (plan.method, plan.url) == ("POST", "https://api.anthropic.com/v1/messages")
    assert plan.headers == {"content-type": "application/json", "accept": "application/json", "anthropic-version": API_VERSION}
    assert plan.body == {"model": MODEL, "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}], "max_tokens": 128000}


def test_stream_request(client: specwire.Client) -> None:
    """Streaming adds ``stream: true`` and accepts SSE; the URL is the same.
    https://platform.claude.com/docs/en/api/messages (stream);
    https://platform.claude.com/docs/en/build-with-claude/streaming"""
    plan = client.build(REF, "hi", stream=True)
    assert plan.url == "https://api.anthropic.com/v1/messages"
    assert plan.body["stream"] is True
    assert plan.headers["accept"] == "text/event-stream"
    assert plan.headers["anthropic-version"] == API_VERSION
    assert "stream_options" not in plan.body
    assert "authorization" not in plan.headers and "x-api-key" not in plan.headers  # auth is added later


def test_provider_options_are_merged_last_and_untouched(client: specwire.Client) -> None:
    """``provider_options["anthropic"]`` is deep-merged last: it wins over generic mappings, merges
    into nested objects, is not validated, and other providers' options are ignored.
    https://platform.claude.com/docs/en/api/messages (service_tier, thinking.display, output_config)."""
    schema = {"type": "object"}
    plan = client.build(
        f"anthropic:{BUDGET_MODEL}",
        "hi",
        reasoning=2048,
        max_output_tokens=9000,
        response_format={"type": "json_schema", "schema": schema},
        provider_options={
            "anthropic": {"service_tier": "standard_only", "thinking": {"display": "omitted"}, "output_config": {"effort": "low"}, "max_tokens": 5000},
            "openai": {"service_tier": "flex"},
        },
    )
    assert plan.body["service_tier"] == "standard_only"
    assert plan.body["thinking"] == {"type": "enabled", "budget_tokens": 2048, "display": "omitted"}
    # the schema in Anthropic's structured-output form (objects closed)
    closed = {**schema, "additionalProperties": False, "properties": schema.get("properties", {})}
    assert plan.body["output_config"] == {"format": {"type": "json_schema", "schema": closed}, "effort": "low"}
    assert plan.body["max_tokens"] == 5000
    assert plan.warnings == []


# ---------------------------------------------------------------- 9. model ids
def test_unknown_model_is_sent_as_given_with_a_did_you_mean(client: specwire.Client) -> None:
    """A model id missing from the catalog is still sent, with an ``unknown-model`` warning and a
    did-you-mean (docs/ARCHITECTURE.md "Provider facts move").  https://platform.claude.com/docs/en/api/messages (model)."""
    plan = client.build("anthropic:claude-sonnet-5-6", "hi")
    assert plan.body["model"] == "claude-sonnet-5-6"
    [warning] = plan.warnings
    assert warning.kind == "unknown-model"
    assert "did you mean 'claude-sonnet-5-5'" in warning.detail


def test_catalog_model_has_no_warning(client: specwire.Client) -> None:
    """A current catalog model renders without warnings.  https://platform.claude.com/docs/en/api/messages"""
    assert _build(client, "hi").warnings == []
