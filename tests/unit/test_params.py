"""Unit tests for :mod:`specwire.params` (generic call options -> wire fields + warnings), through
the real shipped specs plus small specs compiled here.

What this protects: docs/ARCHITECTURE.md section 9.5's rule that every clamp, truncation, drop or unsupported option
becomes a structured :class:`CallWarning` (never silent, never a guess), that required options get
their spec default or fail with :class:`RequestBuildError`, that ``set_default`` never overwrites,
and that the first case whose ``when`` holds is the one applied.

Why unit tests and not replay tests: replay tests start from a recorded *response*; the request
side of a recording carries one fixed set of options. Out-of-range values, too many stop
sequences, options a provider dropped and options no spec maps are request-side inputs that only
these direct calls can produce.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from specwire.errors import RequestBuildError
from specwire.params import apply_params
from specwire.request import build_request
from specwire.spec.compile import compile_spec
from specwire.types import GENERIC_PARAMS, Request, Tool


def params(spec: Any, model: str = "m", **values: Any) -> tuple[list[tuple[str, str, Any]], list[Any]]:
    return apply_params(spec, values, model=model, model_info=spec.model_info(model), stream=False, settings={})


def via_request(spec: Any, model: str = "m", **options: Any) -> tuple[list[tuple[str, str, Any]], list[Any]]:
    """Go through the unified Request model, as a caller does."""
    values = Request(messages="hi", **options).generic_params()
    return apply_params(spec, values, model=model, model_info=spec.model_info(model), stream=False, settings={})


MINI_REQUEST = {"body": {"model": "{{ model }}", "messages": "{{ messages }}"}, "parts": {"text": {"value": {"type": "text", "text": "{{ part.text }}"}}}}


def mini(params_section: dict[str, Any], **extra: Any) -> Any:
    spec, problems = compile_spec({"provider": "mini", "params": params_section, **extra})
    assert problems == []
    return spec


def kinds(warnings: list[Any]) -> list[tuple[str, str | None]]:
    return [(w.kind, w.param) for w in warnings]


# --------------------------------------------------------------------------- clamp
def test_clamp_high_and_low_with_the_numbers_in_the_warning(registry: Any) -> None:
    ops, warnings = via_request(registry.get("openai"), temperature=3.5, top_p=-0.5)
    assert ops == [("set", "temperature", 2.0), ("set", "top_p", 0.0)]
    assert kinds(warnings) == [("clamped-param", "temperature"), ("clamped-param", "top_p")]
    assert "3.5" in warnings[0].detail and "[0, 2]" in warnings[0].detail and "sent 2" in warnings[0].detail
    assert "-0.5" in warnings[1].detail and "[0, 1]" in warnings[1].detail and "sent 0" in warnings[1].detail


@pytest.mark.parametrize("value", [0.0, 1.0, 2.0, 0.7])
def test_values_in_range_are_sent_unchanged_without_warning(registry: Any, value: float) -> None:
    ops, warnings = via_request(registry.get("openai"), temperature=value)
    assert ops == [("set", "temperature", value)]
    assert warnings == []


def test_clamp_of_an_integer_value(registry: Any) -> None:
    ops, warnings = params(registry.get("openai"), temperature=5)
    assert ops == [("set", "temperature", 2)]
    assert "5" in warnings[0].detail


def test_infinity_is_refused_like_nan(registry: Any) -> None:
    """A non-finite number is a caller error, not something to clamp into range."""
    with pytest.raises(RequestBuildError, match="finite"):
        params(registry.get("openai"), presence_penalty=float("-inf"))


def test_nan_is_never_sent(registry: Any) -> None:
    # NaN compares false with both bounds, so a naive min/max clamp passes it through, and
    # json.dumps then writes the invalid JSON token `NaN` into the request body.
    try:
        ops, _ = params(registry.get("openai"), temperature=float("nan"))
    except RequestBuildError:
        return
    assert not any(isinstance(v, float) and math.isnan(v) for _, _, v in ops), ops


# --------------------------------------------------------------------------- max_items
def test_max_items_truncates_with_a_warning(registry: Any) -> None:
    ops, warnings = via_request(registry.get("openai"), stop_sequences=["a", "b", "c", "d", "e", "f"])
    assert ops == [("set", "stop", ["a", "b", "c", "d"])]
    assert kinds(warnings) == [("truncated-param", "stop_sequences")]
    assert "4" in warnings[0].detail and "6" in warnings[0].detail


def test_max_items_at_the_limit_is_untouched(registry: Any) -> None:
    ops, warnings = via_request(registry.get("gemini"), stop_sequences=["a", "b", "c", "d", "e"])
    assert ops == [("set", "generationConfig.stopSequences", ["a", "b", "c", "d", "e"])]
    assert warnings == []


# --------------------------------------------------------------------------- unsupported / unmapped
@pytest.mark.parametrize("option", [{"temperature": 0.5}, {"top_p": 0.5}, {"top_k": 5}, {"seed": 1}, {"presence_penalty": 0.1}, {"metadata": {"a": "b"}}])
def test_unsupported_options_are_dropped_with_a_warning(registry: Any, option: dict[str, Any]) -> None:
    spec = registry.get("anthropic")
    ops, warnings = via_request(spec, "claude-sonnet-5-5", **option)
    (name,) = option
    assert [op for op in ops if op[1] != "max_tokens"] == []
    assert kinds(warnings) == [("unsupported-param", name)]
    assert warnings[0].detail


def test_unsupported_case_selected_by_when(registry: Any) -> None:
    ops, warnings = via_request(registry.get("openai"), reasoning=1024)  # a budget, not an effort
    assert ops == []
    assert kinds(warnings) == [("unsupported-param", "reasoning")]
    ops, warnings = via_request(registry.get("openai"), reasoning="high")
    assert ops == [("set", "reasoning_effort", "high")]
    assert warnings == []


def test_unmapped_option_is_dropped_with_a_warning() -> None:
    spec = mini({"temperature": {"to": "temperature"}})
    ops, warnings = params(spec, temperature=0.2, seed=7, top_k=3)
    assert ops == [("set", "temperature", 0.2)]
    assert kinds(warnings) == [("unsupported-param", "top_k"), ("unsupported-param", "seed")]
    assert "mini" in warnings[0].detail


def test_option_with_no_matching_case_is_dropped_with_a_warning() -> None:
    spec = mini({"seed": [{"when": "value > 10", "to": "seed"}]})
    ops, warnings = params(spec, seed=3)
    assert ops == []
    assert kinds(warnings) == [("unsupported-param", "seed")]


def test_no_option_is_ever_silently_dropped(registry: Any) -> None:
    """Property over every shipped spec and every generic option: an option the caller set ends
    up as a wire operation or as a warning naming it."""
    values = {
        "max_output_tokens": 100,
        "temperature": 0.5,
        "top_p": 0.5,
        "top_k": 5,
        "stop_sequences": ["x"],
        "seed": 1,
        "presence_penalty": 0.1,
        "frequency_penalty": 0.1,
        "response_format": {"type": "json", "name": "response", "schema": None, "strict": None},
        "reasoning": {"effort": "high", "budget_tokens": None},
        "tool_choice": {"type": "auto", "name": None},
        "parallel_tool_calls": True,
        "user": "u1",
        "metadata": {"k": "v"},
        "logprobs": True,
        "top_logprobs": 3,
        "n": 2,
        "service_tier": "flex",
        "prediction": "predicted text",
        "code_execution": True,
    }
    assert set(values) == set(GENERIC_PARAMS)
    for provider in registry.providers():
        spec = registry.get(provider)
        for name, value in values.items():
            ops, warnings = params(spec, **{name: value})
            assert ops or any(w.param == name for w in warnings) or _explicitly_nothing(spec, name), (provider, name)


def _explicitly_nothing(spec: Any, name: str) -> bool:
    # a case with `set: {}` (e.g. response_format text) deliberately sends nothing
    cases = spec.params.get(name) or ()
    return any(not c.sets and not c.set_defaults and not c.appends and c.unsupported is None and c.error is None for c in cases)


# --------------------------------------------------------------------------- default / required
def test_anthropic_max_tokens_default_for_a_catalog_model(registry: Any) -> None:
    # max_tokens is required by the Messages API; the spec supplies a default when the caller
    # gives none (the model's catalog maximum, as the Vercel AI SDK does)
    spec = registry.get("anthropic")
    info = spec.model_info("claude-sonnet-5-5")
    assert info is not None and info.max_output_tokens
    ops, warnings = via_request(spec, "claude-sonnet-5-5")
    assert ops == [("set", "max_tokens", info.max_output_tokens)]
    assert warnings == []


def test_anthropic_max_tokens_default_for_a_model_not_in_the_catalog(registry: Any) -> None:
    ops, warnings = via_request(registry.get("anthropic"), "claude-unreleased-9")
    assert ops == [("set", "max_tokens", 4096)]
    assert warnings == []


def test_anthropic_max_tokens_default_stays_above_a_thinking_budget(registry: Any) -> None:
    # Anthropic counts thinking tokens in max_tokens, and the budget must be below it
    ops, _ = via_request(registry.get("anthropic"), "claude-unreleased-9", reasoning=8000)
    (max_tokens,) = [v for mode, path, v in ops if path == "max_tokens"]
    assert max_tokens > 8000


def test_caller_value_beats_the_default(registry: Any) -> None:
    ops, _ = via_request(registry.get("anthropic"), "claude-sonnet-5-5", max_output_tokens=10)
    assert ops == [("set", "max_tokens", 10)]


def test_required_without_default_raises_request_build_error() -> None:
    spec = mini({"max_output_tokens": {"to": "max_tokens", "required": True}})
    with pytest.raises(RequestBuildError, match="max_output_tokens"):
        params(spec)
    assert params(spec, max_output_tokens=5)[0] == [("set", "max_tokens", 5)]


def test_required_raises_through_build_request() -> None:
    spec = mini({"max_output_tokens": {"to": "max_tokens", "required": True}}, request=MINI_REQUEST)
    with pytest.raises(RequestBuildError, match="requires 'max_output_tokens'"):
        build_request(spec, Request(messages="hi"), model="m")


def test_default_that_renders_omit_sends_nothing() -> None:
    spec = mini({"seed": {"to": "seed", "default": "{{ omit }}"}})
    assert params(spec) == ([], [])


def test_default_template_failure_is_a_request_build_error() -> None:
    spec = mini({"seed": {"to": "seed", "default": "{{ no_such_name }}"}})
    with pytest.raises(RequestBuildError, match="seed"):
        params(spec)


def test_when_template_failure_is_a_request_build_error() -> None:
    spec = mini({"seed": [{"when": "valeu > 1", "to": "seed"}]})
    with pytest.raises(RequestBuildError, match="seed"):
        params(spec, seed=3)


# --------------------------------------------------------------------------- set_default
def test_set_default_applies_only_when_absent_in_the_body(registry: Any) -> None:
    spec = registry.get("anthropic")
    tools = [Tool(name="get_weather")]
    alone = build_request(spec, Request(messages="hi", tools=tools, parallel_tool_calls=False), model="claude-sonnet-5-5").body
    assert alone["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    with_choice = build_request(spec, Request(messages="hi", tools=tools, parallel_tool_calls=False, tool_choice="required"), model="claude-sonnet-5-5").body
    assert with_choice["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    named = build_request(spec, Request(messages="hi", tools=tools, parallel_tool_calls=False, tool_choice="get_weather"), model="claude-sonnet-5-5").body
    assert named["tool_choice"] == {"type": "tool", "name": "get_weather", "disable_parallel_tool_use": True}


def test_set_default_does_not_overwrite_an_earlier_set_in_a_small_spec() -> None:
    spec = mini(
        {
            "temperature": {"set": {"gen.t": "{{ value }}"}},
            "top_p": {"set_default": {"gen.t": 99, "gen.p": "{{ value }}"}},
        },
        request=MINI_REQUEST,
    )
    body = build_request(spec, Request(messages="hi", temperature=0.5, top_p=0.9), model="m").body
    assert body["gen"] == {"t": 0.5, "p": 0.9}
    body = build_request(spec, Request(messages="hi", top_p=0.9), model="m").body
    assert body["gen"] == {"t": 99, "p": 0.9}


# --------------------------------------------------------------------------- case selection
@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("get_weather", {"type": "tool", "name": "get_weather"}),
        ("required", {"type": "any"}),
        ("auto", {"type": "auto"}),
        ("none", {"type": "none"}),
    ],
)
def test_case_selection_by_when_first_match_wins(registry: Any, choice: str, expected: dict[str, Any]) -> None:
    ops, warnings = via_request(registry.get("anthropic"), "claude-sonnet-5-5", tool_choice=choice)
    assert ("set", "tool_choice", expected) in ops
    assert warnings == []


def test_first_matching_case_wins_even_if_later_ones_match() -> None:
    spec = mini({"seed": [{"when": "value > 10", "to": "big"}, {"when": "value > 0", "to": "positive"}, {"to": "other"}]})
    assert params(spec, seed=50)[0] == [("set", "big", 50)]
    assert params(spec, seed=5)[0] == [("set", "positive", 5)]
    assert params(spec, seed=-5)[0] == [("set", "other", -5)]


def test_warn_case_notes_the_adjustment(registry: Any) -> None:
    ops, warnings = via_request(registry.get("anthropic"), "claude-sonnet-5-5", reasoning="minimal")
    assert ("set", "output_config.effort", "low") in ops
    assert kinds(warnings) == [("adjusted-param", "reasoning")]
    assert "minimal" in warnings[0].detail


def test_value_template_can_transform(registry: Any) -> None:
    ops, _ = via_request(registry.get("gemini"), reasoning="low")
    assert ops == [("set", "generationConfig.thinkingConfig", {"thinkingLevel": "LOW", "includeThoughts": True})]


def test_catalog_entry_params_override_the_spec() -> None:
    spec = mini(
        {"temperature": {"to": "temperature"}},
        models=[{"id": "fixed-temp", "params": {"temperature": {"unsupported": "this model has a fixed temperature"}}}, {"id": "plain"}],
    )
    ops, warnings = params(spec, "fixed-temp", temperature=0.3)
    assert ops == [] and kinds(warnings) == [("unsupported-param", "temperature")]
    assert warnings[0].detail == "this model has a fixed temperature"
    assert params(spec, "plain", temperature=0.3) == ([("set", "temperature", 0.3)], [])


def test_warnings_come_in_generic_option_order(registry: Any) -> None:
    _, warnings = via_request(registry.get("anthropic"), "claude-sonnet-5-5", metadata={"a": "b"}, seed=1, temperature=0.1, top_k=2)
    order = [w.param for w in warnings]
    assert order == [p for p in GENERIC_PARAMS if p in order]


# --------------------------------------------------------------------------- append / error / int clamp
def test_append_adds_to_a_list_another_option_wrote() -> None:
    spec = mini({
        "reasoning": {"set": {"include": ["reasoning.encrypted_content"]}},
        "logprobs": {"append": {"include": ["message.output_text.logprobs"]}},
        "top_logprobs": {"to": "top_logprobs", "append": {"include": ["message.output_text.logprobs"]}},
    }, request=MINI_REQUEST)
    plan = build_request(spec, Request(messages="hi", reasoning="high", logprobs=True, top_logprobs=2), model="m")
    assert plan.body["include"] == ["reasoning.encrypted_content", "message.output_text.logprobs"]  # no repeat
    alone = build_request(spec, Request(messages="hi", logprobs=True), model="m")
    assert alone.body["include"] == ["message.output_text.logprobs"]  # created when absent


def test_an_error_case_refuses_the_call() -> None:
    spec = mini({"n": [{"when": "stream and value > 1", "error": "no n with streaming"}, {"to": "n"}]})
    with pytest.raises(RequestBuildError, match="mini: no n with streaming"):
        apply_params(spec, {"n": 2}, model="m", model_info=None, stream=True, settings={})
    ops, _ = apply_params(spec, {"n": 2}, model="m", model_info=None, stream=False, settings={})
    assert ops == [("set", "n", 2)]


def test_a_clamped_int_option_stays_an_int() -> None:
    ops, warnings = params(mini({"top_logprobs": {"to": "top_logprobs", "clamp": [0, 20]}}), top_logprobs=99)
    assert ops == [("set", "top_logprobs", 20)] and isinstance(ops[0][2], int)
    assert kinds(warnings) == [("clamped-param", "top_logprobs")]
    ops, _ = params(mini({"temperature": {"to": "temperature", "clamp": [0, 1.5]}}), temperature=5)
    assert ops == [("set", "temperature", 1.5)]  # a bound that is not whole stays a float


# --------------------------------------------------------------------------- edges the mutation run found (tools/mutation)
def test_templates_see_the_model_the_settings_and_the_stream_flag() -> None:
    spec = mini({"user": {"to": "user", "value": "{{ model }}/{{ settings.region }}/{{ stream }}/{{ value }}"}})
    ops, _ = apply_params(spec, {"user": "u"}, model="m-1", model_info=None, stream=True, settings={"region": "eu"})
    assert ops == [("set", "user", "m-1/eu/True/u")]


def test_a_default_renders_with_value_none_and_a_none_default_sends_nothing() -> None:
    spec = mini({"seed": {"to": "seed", "default": "{{ 5 if value is none else 6 }}"}, "user": {"to": "user", "default": "{{ none }}"}})
    assert params(spec) == ([("set", "seed", 5)], [])


def test_an_option_dropped_for_any_reason_does_not_stop_the_later_ones() -> None:
    spec = mini({
        "max_output_tokens": {"to": "max_tokens", "default": "{{ omit }}"},  # the default renders nothing
        "temperature": [{"when": "value > 5", "to": "temperature"}],  # no case accepts 0.5
        "top_p": {"unsupported": "no top_p here"},
        "seed": {"to": "seed"},
    })
    ops, warnings = params(spec, temperature=0.5, top_p=0.1, seed=7)
    assert ops == [("set", "seed", 7)]
    assert kinds(warnings) == [("unsupported-param", "temperature"), ("unsupported-param", "top_p")]


def test_the_text_of_each_warning_and_error() -> None:
    spec = mini({"temperature": [{"when": "value > 5", "to": "temperature"}], "top_p": {"to": "top_p", "clamp": [0, 1]}, "stop_sequences": {"to": "stop", "max_items": 2}})
    _, warnings = params(spec, temperature=0.5, top_p=1.5, stop_sequences=["a", "b", "c"], seed=1)
    assert [w.detail for w in warnings] == [
        "no case of the mini spec accepts this 'temperature'; it was not sent",
        "1.5 is outside the provider's range [0, 1]; sent 1",
        "the provider takes at most 2 items; sent the first 2 of 3",
        "the mini spec does not map 'seed'; it was not sent",
    ]
    with pytest.raises(RequestBuildError) as info:
        params(mini({"seed": {"to": "seed", "required": True}}))
    assert str(info.value) == "mini requires 'seed'; pass seed=…"
    with pytest.raises(RequestBuildError) as info:
        params(mini({"seed": {"error": "no seed here"}}), seed=1)
    assert str(info.value) == "mini: no seed here"
    with pytest.raises(RequestBuildError) as info:
        params(mini({"temperature": {"to": "temperature"}}), temperature=float("inf"))
    assert str(info.value) == "temperature must be a finite number, got inf"


@pytest.mark.parametrize(
    ("section", "values", "prefix"),
    [
        ({"seed": {"to": "seed", "default": "{{ no_such_name }}"}}, {}, "params.seed.default: "),
        ({"seed": [{"when": "no_such_name > 1", "to": "seed"}]}, {"seed": 1}, "params.seed: "),
        ({"seed": {"to": "seed", "value": "{{ no_such_name }}"}}, {"seed": 1}, "params.seed: "),
    ],
)
def test_a_template_failure_names_the_option_and_the_template(section: dict[str, Any], values: dict[str, Any], prefix: str) -> None:
    with pytest.raises(RequestBuildError) as info:
        params(mini(section), **values)
    assert str(info.value).startswith(prefix)


SCHEMA = {"type": "object", "properties": {"a": {"type": "string", "default": "x"}}}


def test_strict_schema_rewrites_the_schema_the_case_renders() -> None:
    spec = mini({"response_format": [
        {"when": "value.strict", "strict_schema": "closed-required", "to": "format", "value": "{{ value }}"},
        {"to": "format", "value": "{{ value }}"},
    ]})
    strict = {"type": "json_schema", "name": "r", "strict": True, "schema": SCHEMA}
    ops, _ = params(spec, response_format=strict)
    assert ops == [("set", "format", {**strict, "schema": {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False, "required": ["a"]}})]
    loose = {**strict, "strict": False}
    assert params(spec, response_format=loose) == ([("set", "format", loose)], [])  # no strict_schema: as given
    assert SCHEMA["properties"]["a"]["default"] == "x"  # the caller's schema is not modified
    no_schema = {"type": "json_schema", "name": "r", "strict": True}
    assert params(spec, response_format=no_schema) == ([("set", "format", no_schema)], [])


def test_output_tool_names_the_forced_tool_whose_input_is_the_reply() -> None:
    spec = mini({"response_format": {"output_tool": "{{ value.name }}", "to": "tool_choice", "value": "{{ value.name }}"}})
    assert params(spec, response_format={"type": "json_schema", "name": "answer", "schema": SCHEMA}) == ([("output_tool", "", "answer"), ("set", "tool_choice", "answer")], [])
    assert params(spec, response_format={"type": "json_schema", "name": "", "schema": SCHEMA}) == ([("set", "tool_choice", "")], [])  # no name: no tool
