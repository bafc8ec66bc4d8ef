"""Payload-diff probe: no generic option is ever silently ignored by a built-in provider.

For every built-in provider and every generic option in ``specwire.types.GENERIC_PARAMS`` (with
one or more representative, in-range values), render a baseline request and the same request
with only that option set, diff the two bodies, and require exactly one of:

* **mapped** — the body changed (only outside the conversation: messages, tools, system prompt
  and model are untouched) and no warning names the option; or
* **unsupported** — the body is identical and exactly one ``unsupported-param`` warning names it.

"Nothing changed and nothing said" (a silent drop) fails, and so does "sent *and* warned as
unsupported".  The idea is pydantic-ai's ``test_model_settings_support``.  Each case is named
``<provider>-<option>-<value>`` so a failure says what broke.  Provider docs:
https://platform.openai.com/docs/api-reference/chat/create ,
https://platform.claude.com/docs/en/api/messages , https://ai.google.dev/api/generate-content .
"""

from __future__ import annotations

from typing import Any

import pytest

import specwire
from specwire.types import GENERIC_PARAMS

#: A catalog model per built-in provider (so no unknown-model warning muddies the diff).
MODELS = {"openai": "gpt-5.5", "anthropic": "claude-sonnet-5-5", "gemini": "gemini-3.8-flash", "groq": "openai/gpt-oss-120b", "together": "openai/gpt-oss-120b", "openrouter": "openrouter/auto", "deepseek": "deepseek-flash", "perplexity": "sonar", "cerebras": "gpt-oss-120b", "xai": "grok-4.3", "mistral": "mistral-medium-3-5", "fireworks": "accounts/fireworks/models/gpt-oss-120b", "alibaba": "qwen3.7-max", "siliconflow": "deepseek-ai/DeepSeek-V4-Flash", "huggingface": "openai/gpt-oss-120b", "zai": "glm-5.2", "ollama": "gpt-oss:20b", "vllm": "openai/gpt-oss-20b", "llamacpp": "ggml-org/gpt-oss-20b-GGUF", "lmstudio": "openai/gpt-oss-20b",
          "openai-responses": "gpt-5.5", "azure-openai": "gpt-5.5", "azure-openai-entra": "gpt-5.5", "azure-openai-responses": "gpt-5.5",
          "cohere": "command-a-03-2025", "vertex": "gemini-4-hydrogen", "vertex-anthropic": "claude-sonnet-5-5",
          "bedrock": "global.anthropic.claude-sonnet-5", "bedrock-anthropic": "global.anthropic.claude-opus-4-8",
          "bedrock-llama": "us.meta.llama3-3-70b-instruct-v1:0", "bedrock-titan": "amazon.titan-text-express-v1"}

#: Settings a provider needs before it can render at all (a resource, a project).
SETTINGS = {
    "azure-openai": {"resource": "probe"}, "azure-openai-entra": {"resource": "probe"}, "azure-openai-responses": {"resource": "probe"},
    "vertex": {"project": "probe"}, "vertex-anthropic": {"project": "probe"},
}

PROBE_TOOL = {"name": "probe_tool", "description": "A tool so tool options have something to act on", "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}
SCHEMA = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}

#: Non-default, in-range values for every generic option.  Values equal to a provider default
#: (response_format "text", parallel_tool_calls True) are deliberately absent: sending nothing
#: for them is correct, so they cannot tell a mapping from a silent drop.
SAMPLES: dict[str, list[tuple[str, Any]]] = {
    "max_output_tokens": [("777", 777)],
    "temperature": [("0.5", 0.5)],
    "top_p": [("0.5", 0.5)],
    "top_k": [("7", 7)],
    "stop_sequences": [("END", ["END"])],
    "seed": [("42", 42)],
    "presence_penalty": [("0.5", 0.5)],
    "frequency_penalty": [("0.5", 0.5)],
    "response_format": [("json", "json"), ("json_schema", {"type": "json_schema", "name": "Answer", "schema": SCHEMA})],
    "reasoning": [("effort-high", "high"), ("budget-2048", 2048)],
    "tool_choice": [("auto", "auto"), ("none", "none"), ("required", "required"), ("named", "probe_tool")],
    "parallel_tool_calls": [("false", False)],
    "user": [("id", "user-1234")],
    "metadata": [("dict", {"run": "probe"})],
    "logprobs": [("true", True)],
    "top_logprobs": [("3", 3)],
    "n": [("2", 2)],
    "service_tier": [("flex", "flex")],
    "prediction": [("text", "The predicted reply")],
    "code_execution": [("true", True)],
}

#: Options that turn on a provider-side tool: they add it to the body's tool list (Gemini
#: ``codeExecution``, the Responses API's ``code_interpreter``) and leave the rest of the
#: conversation alone.
TOOL_OPTIONS = {"code_execution"}

#: Options a streamed call refuses for some providers (``n`` > 1: the stream events carry one
#: completion), left out of the all-at-once streaming comparison; tests/providers/test_call_options.py covers them.
NOT_STREAMED = {"n"}

#: Body keys that carry the conversation; an option must never change them.
CONVERSATION_KEYS = {"model", "messages", "contents", "tools", "system", "systemInstruction"}

CASES = [
    pytest.param(provider, option, value, id=f"{provider}-{option}-{label}")
    for provider in MODELS
    for option in GENERIC_PARAMS
    for label, value in SAMPLES.get(option, [("missing-sample", None)])
]


@pytest.fixture(scope="module")
def client(registry: Any) -> specwire.Client:
    return specwire.Client(load_entry_points=False, registry=registry)


#: (provider, option, sample label) whose value is the provider's documented default, so sending
#: nothing is the correct wire request: Cohere's tool_choice has no "auto", it is what omitting
#: it means (https://docs.cohere.com/reference/chat : tool_choice REQUIRED | NONE).
PROVIDER_DEFAULTS = {("cohere", "tool_choice", "auto")}


def _render(client: specwire.Client, provider: str, **options: Any) -> specwire.RequestPlan:
    if provider in SETTINGS:
        options["settings"] = SETTINGS[provider]
    # bodies without tool definitions (Llama/Titan InvokeModel) are probed without tools
    tools = [PROBE_TOOL] if client.registry.get(provider).request.tool is not None else []
    return client.build(f"{provider}:{MODELS[provider]}", [{"role": "user", "content": "probe"}], tools=tools, **options)


def _diff(a: Any, b: Any, path: str = "") -> list[str]:
    """Dotted paths where ``a`` and ``b`` differ (added, removed or changed)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for key in sorted(set(a) | set(b), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in a or key not in b:
                out.append(sub)
            else:
                out += _diff(a[key], b[key], sub)
        return out
    return [] if a == b else [path or "<root>"]


def test_every_generic_option_has_a_probe_value() -> None:
    """Adding a generic option to GENERIC_PARAMS must come with a probe value here."""
    assert set(SAMPLES) == set(GENERIC_PARAMS)
    assert all(SAMPLES[name] for name in GENERIC_PARAMS)


def test_every_built_in_provider_is_probed(registry: Any) -> None:
    """A new built-in spec must be added to MODELS (with a catalog model) to be probed (a spec
    without chat has no chat parameters to probe)."""
    assert {p for p in registry.providers() if registry.get(p).chat} == set(MODELS)
    for provider, model in MODELS.items():
        assert registry.get(provider).model_info(model) is not None, f"{provider}:{model} is not in the catalog"


def _problems(where: str, option: str, baseline: specwire.RequestPlan, plan: specwire.RequestPlan) -> list[str]:
    """What is wrong with ``plan`` (the baseline plus only ``option``); empty when it is fine."""
    changed = _diff(baseline.body, plan.body)
    named = [w for w in plan.warnings if w.param == option]
    others = [w for w in plan.warnings if w.param != option and w not in baseline.warnings]
    problems = []
    if others:
        problems.append(f"{where}: caused warnings about other options: {others}")
    touched = sorted({p.split(".", 1)[0] for p in changed} & (CONVERSATION_KEYS - ({"tools"} if option in TOOL_OPTIONS else set())))
    if touched:
        problems.append(f"{where}: changed the conversation: {touched}")
    # sent *and* warned is fine only when the warning says how the value was adapted (clamped,
    # truncated, adjusted), never "unsupported"
    if changed and any(w.kind == "unsupported-param" for w in named):
        problems.append(f"{where}: was sent ({changed}) but also warned as unsupported: {named}")
    if not changed:
        if not named:
            problems.append(f"{where}: the body did not change and no warning names it (silently dropped)")
        elif len(named) != 1 or named[0].kind != "unsupported-param" or not named[0].detail.strip():
            problems.append(f"{where}: expected exactly one unsupported-param warning, got {named}")
    return problems


@pytest.mark.parametrize(("provider", "option", "value"), CASES)
def test_option_is_mapped_or_warned_never_silently_dropped(client: specwire.Client, provider: str, option: str, value: Any) -> None:
    """One option against the baseline: mapped (body changed; a warning naming it only when the
    value was adapted) XOR unsupported (body identical, exactly one ``unsupported-param`` warning
    naming it)."""
    assert option in SAMPLES, f"no probe value for {option!r}"
    baseline = _render(client, provider)
    assert baseline.warnings == [], f"{provider}: the baseline itself warns: {baseline.warnings}"
    plan = _render(client, provider, **{option: value})
    problems = _problems(f"{provider}.{option}={value!r}", option, baseline, plan)
    if any((provider, option, label) in PROVIDER_DEFAULTS for label, v in SAMPLES[option] if v == value):
        assert plan.body == baseline.body and not plan.warnings
        return
    assert problems == []


def test_the_probe_catches_a_silent_drop(tmp_path: Any) -> None:
    """The probe can fail: a spec that extends openai but maps temperature to nothing is flagged,
    while one that simply does not map top_p (the engine then warns) passes."""
    (tmp_path / "mutant.yaml").write_text(
        "spec_version: 1\nprovider: mutant\ndisplay_name: Probe mutant\nextends: openai\n"
        "params:\n  temperature: {set: {}}\n  top_p: null\n",
        encoding="utf-8",
    )
    mutant = specwire.Client(load_entry_points=False, registry=specwire.SpecRegistry([str(tmp_path)], user_config=False, env={}))
    ref, messages = f"mutant:{MODELS['openai']}", [{"role": "user", "content": "probe"}]
    baseline = mutant.build(ref, messages)
    dropped = _problems("mutant.temperature", "temperature", baseline, mutant.build(ref, messages, temperature=0.5))
    assert dropped and "silently dropped" in dropped[0]
    assert _problems("mutant.top_p", "top_p", baseline, mutant.build(ref, messages, top_p=0.5)) == []


@pytest.mark.parametrize("provider", list(MODELS))
def test_options_behave_the_same_when_streaming(client: specwire.Client, provider: str) -> None:
    """Stream additions never swallow or change a generic option: with every option set at once,
    the streamed body equals the plain body plus only the stream additions, with the same warnings."""
    options = {name: SAMPLES[name][0][1] for name in GENERIC_PARAMS if name not in NOT_STREAMED}
    plain = _render(client, provider, **options)
    streamed = _render(client, provider, stream=True, **options)
    added = {p.split(".", 1)[0] for p in _diff(plain.body, streamed.body)}
    assert added <= {"stream", "stream_options"}, f"{provider}: streaming changed {sorted(added)}"
    assert plain.warnings == streamed.warnings
