"""Unit tests for :mod:`specwire.assemble` (raw events -> stream-event grammar + final Response).

What this protects: the guarantees docs/ARCHITECTURE.md section 3 puts on the engine rather than on specs:
``*_start``/``*_delta``/``*_end`` in order for every part and exactly one terminal event; parts
keyed by ``part_id`` or continued implicitly; tool-call id/name taken from the first fragment that
carries them (an empty string in a continuation never overwrites); part ids starting at 1;
arguments streamed as text and parsed only at ``tool_call_end`` (invalid JSON kept as
``arguments_text`` with ``arguments=None`` and a warning); synthesized ids marked ``synthetic_id``;
usage overlays; finish-reason mapping including ``with_tool_calls``; empty deltas open nothing
unless they carry metadata.

Why unit tests and not replay tests: the recorded streams exercise the provider quirks they
happened to contain. The assembler receives *raw events*, so the odd orders and shapes other
OpenAI-compatible servers produce (id-less continuations, empty-string names, index 1 first,
metadata on empty deltas, invalid arguments) and a grammar property over arbitrary event sequences
are only reachable by feeding hand-made raw events to the Assembler directly.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specwire.assemble import Assembler
from specwire.errors import IncompleteStreamError
from specwire.types import ReasoningPart, TextPart, ToolCallPart


def make(registry: Any, provider: str = "anthropic", model: str = "claude-sonnet-5-5") -> Assembler:
    spec = registry.get(provider)
    return Assembler(
        provider=spec.provider,
        model=model,
        metadata_key=spec.metadata_key,
        finish_reasons=spec.finish_reasons,
        usage_config=spec.usage,
        model_info=spec.model_info(model),
    )


def feed(asm: Assembler, events: list[tuple[str, dict[str, Any]] | tuple[str, dict[str, Any], dict[str, Any]]]) -> list[Any]:
    out: list[Any] = []
    for ev in events:
        kind, fields = ev[0], ev[1]
        meta = ev[2] if len(ev) > 2 else {}  # type: ignore[misc]
        out += asm.apply(kind, fields, meta)
    return out


def types(events: list[Any]) -> list[str]:
    return [e.type for e in events]


def check_grammar(events: list[Any]) -> None:
    """Every part index: exactly one start (tool calls: tool_call_start), deltas, one end, in that
    order, of one kind; nothing after the terminal event, which appears exactly once, last."""
    terminals = [i for i, e in enumerate(events) if e.type in ("finish", "error")]
    assert len(terminals) == 1 and terminals[0] == len(events) - 1, types(events)
    state: dict[int, tuple[str, str]] = {}
    for e in events:
        if not hasattr(e, "index"):
            continue
        kind, _, phase = e.type.rpartition("_")
        if phase == "start":
            assert e.index not in state, f"second start for {e.index}"
            state[e.index] = (kind, "open")
        else:
            assert e.index in state, f"{e.type} before start for {e.index}"
            k, st_ = state[e.index]
            assert k == kind, f"{e.type} on a {k} part"
            assert st_ == "open", f"{e.type} after end for {e.index}"
            if phase == "end":
                state[e.index] = (kind, "closed")
    assert all(s == "closed" for _, s in state.values()), state
    final = events[-1].response
    assert sorted(state) == list(range(len(final.parts)))


# --------------------------------------------------------------------------- grammar basics
def test_text_part_start_delta_end_and_terminal(registry: Any) -> None:
    asm = make(registry)
    out = feed(asm, [("text_delta", {"part_id": 0, "delta": "Hel"}), ("text_delta", {"part_id": 0, "delta": "lo"}), ("part_end", {"part_id": 0})])
    out += asm.finish()
    assert types(out) == ["text_start", "text_delta", "text_delta", "text_end", "finish"]
    assert out[3].part == TextPart(text="Hello")
    assert out[-1].response.text == "Hello"
    check_grammar(out)


def test_open_parts_are_closed_before_the_terminal_event(registry: Any) -> None:
    asm = make(registry)
    out = feed(asm, [("reasoning_delta", {"part_id": 0, "delta": "think"}), ("text_delta", {"part_id": 1, "delta": "hi"})])
    out += asm.finish()
    assert types(out) == ["reasoning_start", "reasoning_delta", "text_start", "text_delta", "reasoning_end", "text_end", "finish"]
    check_grammar(out)


def test_fail_is_the_single_terminal_event_with_partial_response(registry: Any) -> None:
    asm = make(registry)
    out = feed(asm, [("text_delta", {"part_id": 0, "delta": "par"}), ("finish", {"finish_reason": "end_turn"})])
    err = IncompleteStreamError("cut")
    out += asm.fail(err)
    assert types(out) == ["text_start", "text_delta", "text_end", "error"]
    assert out[-1].error is err
    assert err.partial is out[-1].response
    assert err.partial.text == "par"
    assert err.partial.finish_reason.unified == "error"
    check_grammar(out)


def test_part_end_for_unknown_or_closed_part_emits_nothing(registry: Any) -> None:
    asm = make(registry)
    out = feed(asm, [("part_end", {"part_id": 7}), ("text_delta", {"part_id": 0, "delta": "x"}), ("part_end", {"part_id": 0}), ("part_end", {"part_id": 0})])
    assert types(out) == ["text_start", "text_delta", "text_end"]


def test_unknown_and_ignore_kinds_emit_nothing(registry: Any) -> None:
    asm = make(registry)
    assert feed(asm, [("ignore", {}), ("no-such-kind", {"delta": "x"})]) == []
    assert asm.finish()[-1].response.parts == []


# --------------------------------------------------------------------------- implicit vs keyed parts
def test_implicit_parts_continue_same_kind_and_close_on_kind_change(registry: Any) -> None:
    asm = make(registry, "gemini", "gemini-x")
    out = feed(
        asm,
        [
            ("text_delta", {"delta": "a"}),
            ("text_delta", {"delta": "b"}),
            ("reasoning_delta", {"delta": "r"}),
            ("text_delta", {"delta": "c"}),
        ],
    )
    out += asm.finish()
    assert types(out)[:8] == ["text_start", "text_delta", "text_delta", "text_end", "reasoning_start", "reasoning_delta", "reasoning_end", "text_start"]
    parts = out[-1].response.parts
    assert [type(p) for p in parts] == [TextPart, ReasoningPart, TextPart]
    assert [p.text for p in parts] == ["ab", "r", "c"]
    check_grammar(out)


def test_keyed_parts_interleave_without_closing_each_other(registry: Any) -> None:
    asm = make(registry, "openai", "gpt-x")
    out = feed(
        asm,
        [
            ("tool_call_delta", {"part_id": 0, "tool_call_id": "call_a", "tool_name": "f", "delta": '{"x"'}),
            ("tool_call_delta", {"part_id": 1, "tool_call_id": "call_b", "tool_name": "g", "delta": "{}"}),
            ("tool_call_delta", {"part_id": 0, "delta": ":1}"}),
        ],
    )
    assert "tool_call_end" not in types(out)
    out += asm.finish()
    calls = out[-1].response.tool_calls
    assert [(c.tool_call_id, c.tool_name, c.arguments) for c in calls] == [("call_a", "f", {"x": 1}), ("call_b", "g", {})]
    check_grammar(out)


def test_complete_text_event_makes_its_own_part(registry: Any) -> None:
    asm = make(registry)
    out = feed(asm, [("text", {"text": "one"}), ("text", {"text": "two"})])
    assert types(out) == ["text_start", "text_delta", "text_end"] * 2
    assert [p.text for p in asm.finish()[-1].response.parts] == ["one", "two"]


def test_same_part_id_after_end_opens_a_new_part(registry: Any) -> None:
    asm = make(registry)
    out = feed(asm, [("text_delta", {"part_id": 0, "delta": "a"}), ("part_end", {"part_id": 0}), ("text_delta", {"part_id": 0, "delta": "b"})])
    out += asm.finish()
    assert [p.text for p in out[-1].response.parts] == ["a", "b"]
    check_grammar(out)


# --------------------------------------------------------------------------- tool calls
def test_tool_call_id_and_name_not_overwritten_by_empty_strings(registry: Any) -> None:
    asm = make(registry, "openai", "gpt-x")
    out = feed(
        asm,
        [
            ("tool_call_delta", {"part_id": 0, "tool_call_id": "call_1", "tool_name": "get_weather", "delta": ""}),
            ("tool_call_delta", {"part_id": 0, "tool_call_id": "", "tool_name": "", "delta": '{"city":'}),
            ("tool_call_delta", {"part_id": 0, "tool_call_id": None, "tool_name": None, "delta": '"Paris"}'}),
        ],
    )
    out += asm.finish()
    assert types(out).count("tool_call_start") == 1
    (call,) = out[-1].response.tool_calls
    assert (call.tool_call_id, call.tool_name) == ("call_1", "get_weather")
    assert call.arguments == {"city": "Paris"}
    assert call.provider_metadata == {}


def test_id_and_name_arriving_late_are_taken(registry: Any) -> None:
    asm = make(registry, "openai", "gpt-x")
    feed(asm, [("tool_call_delta", {"part_id": 0, "tool_call_id": "", "tool_name": "", "delta": "{"}), ("tool_call_delta", {"part_id": 0, "tool_call_id": "call_9", "tool_name": "f", "delta": "}"})])
    (call,) = asm.finish()[-1].response.tool_calls
    assert (call.tool_call_id, call.tool_name, call.arguments) == ("call_9", "f", {})


def test_part_ids_starting_at_1_give_response_indexes_from_0(registry: Any) -> None:
    asm = make(registry, "openai", "gpt-x")
    out = feed(
        asm,
        [
            ("tool_call_delta", {"part_id": 1, "tool_call_id": "call_a", "tool_name": "f", "delta": '{"a":'}),
            ("tool_call_delta", {"part_id": 1, "delta": "1}"}),
            ("tool_call_delta", {"part_id": 2, "tool_call_id": "call_b", "tool_name": "g", "delta": "{}"}),
        ],
    )
    out += asm.finish()
    starts = [e for e in out if e.type == "tool_call_start"]
    assert [(s.index, s.tool_call_id) for s in starts] == [(0, "call_a"), (1, "call_b")]
    assert [c.arguments for c in out[-1].response.tool_calls] == [{"a": 1}, {}]
    check_grammar(out)


def test_arguments_parsed_only_at_the_end(registry: Any) -> None:
    asm = make(registry)
    fragments = ['{"q', '": "a', ' b"', ', "n": [1', ', 2]}']
    out = feed(asm, [("tool_call_start", {"part_id": 3, "tool_call_id": "toolu_1", "tool_name": "search", "arguments": {}})])
    for frag in fragments:
        out += feed(asm, [("tool_call_delta", {"part_id": 3, "delta": frag})])
    deltas = [e.delta for e in out if e.type == "tool_call_delta"]
    assert deltas == fragments  # the text streams as is, never re-serialized per fragment
    assert "tool_call_end" not in types(out)
    out += feed(asm, [("part_end", {"part_id": 3})])
    end = out[-1]
    assert end.type == "tool_call_end"
    assert end.part.arguments == {"q": "a b", "n": [1, 2]}
    assert end.part.arguments_text == "".join(fragments)


def test_arguments_sent_whole_in_the_last_fragment(registry: Any) -> None:
    asm = make(registry, "openai", "gpt-x")
    out = feed(
        asm,
        [
            ("tool_call_delta", {"part_id": 0, "tool_call_id": "call_1", "tool_name": "f", "delta": ""}),
            ("tool_call_delta", {"part_id": 0, "delta": ""}),
            ("tool_call_delta", {"part_id": 0, "delta": '{"k": "v"}'}),
        ],
    )
    out += asm.finish()
    assert [e.delta for e in out if e.type == "tool_call_delta"] == ['{"k": "v"}']
    assert out[-1].response.tool_calls[0].arguments == {"k": "v"}


@pytest.mark.parametrize("text", ['{"a": 1', "not json", "[1, 2]", '"s"', "null"])
def test_invalid_or_non_object_arguments(registry: Any, text: str) -> None:
    asm = make(registry, "openai", "gpt-x")
    out = feed(asm, [("tool_call_delta", {"part_id": 0, "tool_call_id": "call_1", "tool_name": "f", "delta": text})])
    out += asm.finish()
    (call,) = out[-1].response.tool_calls
    assert call.arguments is None
    assert call.arguments_text == text
    warnings = [e.warning for e in out if e.type == "warning"]
    assert [w.kind for w in warnings] == ["invalid-tool-arguments"]
    assert "'f'" in warnings[0].detail
    assert out[-1].response.warnings == warnings
    # the warning comes right after the tool_call_end it is about
    i = types(out).index("tool_call_end")
    assert out[i + 1].type == "warning"


def test_object_arguments_from_a_complete_tool_call(registry: Any) -> None:
    asm = make(registry)
    out = feed(asm, [("tool_call", {"tool_call_id": "toolu_1", "tool_name": "f", "arguments": {"a": [1, "é"]}})])
    assert types(out) == ["tool_call_start", "tool_call_delta", "tool_call_end"]
    assert out[1].delta == '{"a":[1,"é"]}'
    assert out[2].part.arguments == {"a": [1, "é"]}
    assert out[2].part.arguments_text is None


def test_json_text_arguments_from_a_complete_tool_call(registry: Any) -> None:
    asm = make(registry, "openai", "gpt-x")
    out = feed(asm, [("tool_call", {"tool_call_id": "call_1", "tool_name": "f", "arguments": '{"a": 1}'})])
    assert out[-1].part.arguments == {"a": 1}
    assert out[-1].part.arguments_text == '{"a": 1}'


@pytest.mark.parametrize("args", [None, "", {}])
def test_no_arguments_means_an_empty_object(registry: Any, args: Any) -> None:
    asm = make(registry)
    out = feed(asm, [("tool_call", {"tool_call_id": "t", "tool_name": "now", "arguments": args})])
    assert out[-1].part.arguments == {}
    assert not [e for e in out if e.type == "warning"]


def test_synthesized_tool_call_id_is_marked(registry: Any) -> None:
    asm = make(registry, "gemini", "gemini-x")
    out = feed(asm, [("tool_call", {"tool_name": "f", "arguments": {"a": 1}}), ("tool_call", {"tool_name": "g", "arguments": {}})])
    calls = [e.part for e in out if e.type == "tool_call_end"]
    assert all(c.tool_call_id and c.tool_call_id.startswith("call_") for c in calls)
    assert calls[0].tool_call_id != calls[1].tool_call_id
    assert all(c.provider_metadata == {"gemini": {"synthetic_id": True}} for c in calls)
    # the final response carries the same ids as the end events
    assert [c.tool_call_id for c in asm.finish()[-1].response.tool_calls] == [c.tool_call_id for c in calls]


def test_provider_executed_tool_call(registry: Any) -> None:
    asm = make(registry)
    feed(asm, [("tool_call", {"tool_call_id": "srvtoolu_1", "tool_name": "web_search", "arguments": {"q": "x"}, "provider_executed": True})])
    (call,) = asm.finish()[-1].response.tool_calls
    assert call.provider_executed is True


# --------------------------------------------------------------------------- empty deltas, metadata
def test_empty_deltas_open_nothing(registry: Any) -> None:
    asm = make(registry)
    out = feed(asm, [("text_delta", {"part_id": 0, "delta": ""}), ("reasoning_delta", {"part_id": 1, "delta": None}), ("text_delta", {"delta": ""}), ("text", {"text": ""})])
    assert out == []
    assert asm.finish()[-1].response.parts == []


def test_metadata_on_an_empty_delta_opens_a_part(registry: Any) -> None:
    asm = make(registry)
    out = feed(asm, [("reasoning_delta", {"part_id": 0, "delta": ""}, {"signature": "sig-1"})])
    assert types(out) == ["reasoning_start"]
    out += asm.finish()
    (part,) = out[-1].response.parts
    assert isinstance(part, ReasoningPart)
    assert part.text == ""
    assert part.provider_metadata == {"anthropic": {"signature": "sig-1"}}


def test_provider_metadata_event_attaches_to_its_part(registry: Any) -> None:
    asm = make(registry)
    feed(
        asm,
        [
            ("reasoning_delta", {"part_id": 0, "delta": "hmm"}),
            ("text_delta", {"part_id": 1, "delta": "hi"}),
            ("provider_metadata", {"part_id": 0}, {"signature": "abc"}),
            ("part_end", {"part_id": 0}),
            ("part_end", {"part_id": 1}),
        ],
    )
    parts = asm.finish()[-1].response.parts
    assert parts[0].provider_metadata == {"anthropic": {"signature": "abc"}}
    assert parts[1].provider_metadata == {}


def test_metadata_after_the_part_ended_is_kept(registry: Any) -> None:
    asm = make(registry)
    feed(asm, [("reasoning_delta", {"part_id": 0, "delta": "x"}), ("part_end", {"part_id": 0}), ("provider_metadata", {"part_id": 0}, {"signature": "late"})])
    assert asm.finish()[-1].response.parts[0].provider_metadata == {"anthropic": {"signature": "late"}}


def test_redacted_reasoning(registry: Any) -> None:
    asm = make(registry)
    out = feed(asm, [("reasoning", {"part_id": 0, "redacted": True}, {"redacted_data": "opaque"})])
    assert types(out) == ["reasoning_start", "reasoning_end"]
    part = out[-1].part
    assert part.redacted is True and part.text == ""
    assert part.provider_metadata == {"anthropic": {"redacted_data": "opaque"}}


def test_response_metadata_first_non_empty_wins(registry: Any) -> None:
    asm = make(registry)
    feed(asm, [("response_metadata", {"id": "", "model": None}), ("response_metadata", {"id": "msg_1", "model": "claude-x"}), ("response_metadata", {"id": "msg_2", "model": "other"})])
    resp = asm.finish()[-1].response
    assert (resp.id, resp.model, resp.provider) == ("msg_1", "claude-x", "anthropic")


# --------------------------------------------------------------------------- usage
def test_usage_overlay_later_non_null_numbers_win_and_raw_merges(registry: Any) -> None:
    asm = make(registry)  # anthropic: input excludes cache reads/writes
    out = feed(
        asm,
        [
            ("usage", {"input_tokens": 10, "output_tokens": 1, "cache_read_tokens": 100, "cache_write_tokens": 5, "raw": {"input_tokens": 10, "output_tokens": 1}}),
            ("usage", {"input_tokens": None, "output_tokens": 50, "raw": {"output_tokens": 50}}),
        ],
    )
    assert types(out) == ["usage", "usage"]
    usage = asm.finish()[-1].response.usage
    assert usage.input_tokens == 115
    assert usage.output_tokens == 50
    assert usage.cache_read_tokens == 100 and usage.cache_write_tokens == 5
    assert usage.total_tokens == 165
    assert usage.reasoning_tokens is None
    assert usage.raw == {"input_tokens": 10, "output_tokens": 50}


def test_unchanged_usage_emits_no_event(registry: Any) -> None:
    asm = make(registry)
    assert types(feed(asm, [("usage", {"output_tokens": 3})])) == ["usage"]
    assert feed(asm, [("usage", {"output_tokens": 3}), ("usage", {"output_tokens": None}), ("usage", {"output_tokens": True})]) == []


def test_an_empty_usage_snapshot_keeps_the_last_one_and_emits_no_event(registry: Any) -> None:
    """Snapshot usage (Gemini): a report with no numbers and no raw object once emitted a ``usage``
    event whose ``usage`` was ``None`` (a null the stream-event schema refuses) and dropped the
    counts reported before it (found by mypy: ``Usage | None`` passed to ``UsageUpdate``)."""
    asm = make(registry, "gemini", "gemini-2.5-flash")
    assert registry.get("gemini").usage.snapshot
    out = feed(asm, [("usage", {"output_tokens": 3}), ("usage", {"output_tokens": None}), ("usage", {})])
    assert types(out) == ["usage"]
    assert all(e.usage is not None for e in out)
    assert asm.finish()[-1].response.usage.output_tokens == 3
    assert types(feed(asm, [("usage", {"output_tokens": 7})])) == ["usage"]  # a real snapshot still replaces it


def test_no_usage_means_none_and_no_cost(registry: Any) -> None:
    resp = make(registry).finish()[-1].response
    assert resp.usage is None
    assert resp.cost is None and resp.cost_reason


def test_usage_is_priced_from_the_catalog(registry: Any) -> None:
    asm = make(registry, model="claude-sonnet-5-5")  # input 2.0, output 10.0 per million
    feed(asm, [("usage", {"input_tokens": 1_000_000, "output_tokens": 100_000})])
    resp = asm.finish()[-1].response
    assert resp.cost is not None
    assert resp.cost.total == pytest.approx(2.0 + 1.0)


# --------------------------------------------------------------------------- finish reasons
@pytest.mark.parametrize(
    ("provider", "raw", "unified"),
    [
        ("anthropic", "end_turn", "stop"),
        ("anthropic", "max_tokens", "length"),
        ("anthropic", "tool_use", "tool_calls"),
        ("anthropic", "refusal", "content_filter"),
        ("anthropic", "something_new", "other"),
        ("openai", "function_call", "tool_calls"),
        ("gemini", "SAFETY", "content_filter"),
        ("gemini", "STOP", "stop"),
    ],
)
def test_finish_reason_mapping(registry: Any, provider: str, raw: str, unified: str) -> None:
    asm = make(registry, provider, "m")
    feed(asm, [("text_delta", {"delta": "x"}), ("finish", {"finish_reason": raw})])
    fr = asm.finish()[-1].response.finish_reason
    assert (fr.unified, fr.raw) == (unified, raw)


def test_finish_reason_with_tool_calls(registry: Any) -> None:
    asm = make(registry, "gemini", "m")
    feed(asm, [("tool_call", {"tool_name": "f", "arguments": {}}), ("finish", {"finish_reason": "STOP"})])
    assert asm.finish()[-1].response.finish_reason.unified == "tool_calls"


def test_provider_executed_calls_do_not_make_with_tool_calls(registry: Any) -> None:
    asm = make(registry, "gemini", "m")
    feed(asm, [("tool_call", {"tool_name": "code", "arguments": {}, "provider_executed": True}), ("finish", {"finish_reason": "STOP"})])
    assert asm.finish()[-1].response.finish_reason.unified == "stop"


def test_no_finish_reason_is_other_with_raw_none(registry: Any) -> None:
    asm = make(registry)
    feed(asm, [("text_delta", {"delta": "x"})])
    fr = asm.finish()[-1].response.finish_reason
    assert (fr.unified, fr.raw) == ("other", None)


# --------------------------------------------------------------------------- grammar property
PART_IDS = st.sampled_from([None, 0, 1, 2])
DELTAS = st.sampled_from(["", "a", '{"x":', "1}", "{}", None])
raw_event = st.one_of(
    st.tuples(st.sampled_from(["text_delta", "reasoning_delta"]), st.fixed_dictionaries({"part_id": PART_IDS, "delta": DELTAS}), st.sampled_from([{}, {}, {"signature": "s"}])),
    st.tuples(st.sampled_from(["text", "reasoning"]), st.fixed_dictionaries({"part_id": PART_IDS, "text": DELTAS}), st.just({})),
    st.tuples(
        st.sampled_from(["tool_call_start", "tool_call_delta", "tool_call"]),
        st.fixed_dictionaries(
            {
                "part_id": PART_IDS,
                "tool_call_id": st.sampled_from([None, "", "id1", "id2"]),
                "tool_name": st.sampled_from([None, "", "f"]),
                "delta": DELTAS,
                "arguments": st.sampled_from([None, {}, {"a": 1}, '{"b":2}']),
            }
        ),
        st.just({}),
    ),
    st.tuples(st.just("part_end"), st.fixed_dictionaries({"part_id": PART_IDS}), st.just({})),
    st.tuples(st.just("provider_metadata"), st.fixed_dictionaries({"part_id": PART_IDS}), st.sampled_from([{}, {"signature": "z"}])),
    st.tuples(st.just("usage"), st.fixed_dictionaries({"output_tokens": st.sampled_from([None, 1, 2])}), st.just({})),
    st.tuples(st.just("finish"), st.fixed_dictionaries({"finish_reason": st.sampled_from(["end_turn", "tool_use", None])}), st.just({})),
    st.tuples(st.just("response_metadata"), st.fixed_dictionaries({"id": st.sampled_from(["m1", ""])}), st.just({})),
)


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(events=st.lists(raw_event, max_size=25), fail=st.booleans())
def test_any_raw_event_sequence_yields_a_valid_event_grammar(registry: Any, events: list[Any], fail: bool) -> None:
    asm = make(registry)
    out = feed(asm, events)
    out += asm.fail(IncompleteStreamError("x")) if fail else asm.finish()
    check_grammar(out)
    response = out[-1].response
    # every end event carried the part the final response holds at that index (metadata that
    # arrives after the end may still be added to the final part, by design)
    for e in out:
        if e.type.endswith("_end"):
            assert response.parts[e.index].model_dump(exclude={"provider_metadata"}) == e.part.model_dump(exclude={"provider_metadata"})
    # deltas concatenate to the final text of each part
    for i, part in enumerate(response.parts):
        text = "".join(e.delta for e in out if getattr(e, "index", None) == i and e.type.endswith("_delta"))
        if isinstance(part, ToolCallPart):
            assert text == (part.arguments_text or text)
        else:
            assert text == part.text


# --------------------------------------------------------------------------- edges the mutation run found (tools/mutation)
def test_a_complete_event_or_a_keyed_fragment_never_continues_the_open_implicit_part(registry: Any) -> None:
    asm = make(registry, "gemini", "gemini-x")
    out = feed(asm, [("text_delta", {"delta": "a"}), ("text", {"text": "b"}), ("text_delta", {"delta": "c"}), ("text_delta", {"part_id": 5, "delta": "d"}), ("text_delta", {"delta": "e"})])
    out += asm.finish()
    assert [p.text for p in out[-1].response.parts] == ["a", "b", "ce", "d"]
    check_grammar(out)


def test_a_separate_fragment_is_a_part_of_its_own(registry: Any) -> None:
    asm = make(registry, "gemini", "gemini-x")
    out = feed(asm, [
        ("text_delta", {"delta": "a"}),
        ("text_delta", {"delta": "b", "separate": "sig"}, {"thought_signature": "sig"}),
        ("text_delta", {"delta": "c"}),
        ("reasoning_delta", {"delta": "r", "separate": True}),
        ("reasoning_delta", {"delta": "s"}),
    ])
    out += asm.finish()
    parts = out[-1].response.parts
    assert [(type(p).__name__, p.text) for p in parts] == [("TextPart", "a"), ("TextPart", "b"), ("TextPart", "c"), ("ReasoningPart", "r"), ("ReasoningPart", "s")]
    assert parts[1].provider_metadata == {"gemini": {"thought_signature": "sig"}} and parts[2].provider_metadata == {}
    check_grammar(out)
    keyed = make(registry, "gemini", "gemini-x")
    out = feed(keyed, [("text_delta", {"part_id": 1, "delta": "a", "separate": True}), ("text_delta", {"part_id": 1, "delta": "b"})])
    assert types(out) == ["text_start", "text_delta", "text_delta"]  # separate means nothing to a keyed part


def test_complete_events_of_each_kind(registry: Any) -> None:
    asm = make(registry)
    out = feed(asm, [("reasoning_delta", {"delta": "r1"}), ("reasoning", {"text": "r2"}), ("text", {"text": "t"}), ("text_delta", {"delta": 5})])
    out += asm.finish()
    assert types(out) == ["reasoning_start", "reasoning_delta", "reasoning_end", "reasoning_start", "reasoning_delta", "reasoning_end", "text_start", "text_delta", "text_end", "text_start", "text_delta", "text_end", "finish"]
    assert [p.text for p in out[-1].response.parts] == ["r1", "r2", "t", "5"]  # a non-string delta as text
    assert out[-1].response.reasoning == "r1r2"


def test_response_metadata_append_accumulates(registry: Any) -> None:
    asm = make(registry)
    feed(asm, [("response_metadata", {"append": {"plan": "I will "}}, {"tier": "pro"}), ("response_metadata", {"append": {"plan": "look."}})])
    assert asm.finish()[-1].response.provider_metadata == {"anthropic": {"tier": "pro", "plan": "I will look."}}


def test_a_streamed_response_has_no_raw_body_and_flags_start_false(registry: Any) -> None:
    asm = make(registry)
    assert not asm.done and not asm.finish_seen
    feed(asm, [("text_delta", {"delta": "x"}), ("finish", {"finish_reason": "end_turn"}), ("done", {})])
    assert asm.done and asm.finish_seen
    assert asm.finish()[-1].response.raw is None


def test_fragments_addressed_to_an_open_provider_part_are_absorbed(registry: Any) -> None:
    asm = make(registry)
    out = feed(asm, [
        ("provider_part", {"part_id": 3, "provider_type": "server_tool_use", "data": {"type": "server_tool_use", "id": "srv_1", "input": None}, "streamed_into": "input"}),
        ("tool_call_delta", {"part_id": 3, "delta": '{"q": '}),
        ("text_delta", {"part_id": 3, "delta": '"x"'}),
        ("tool_call_delta", {"part_id": 3, "arguments": "}"}),
        ("tool_call", {"part_id": 3, "arguments": {"ignored": True}}),  # not a text fragment: absorbed, nothing kept
        ("tool_call", {"part_id": 3}),
        ("part_end", {"part_id": 3}),
        ("tool_call_delta", {"part_id": 3, "delta": "{}"}),  # the provider part is closed: a client call of its own
    ])
    assert types(out) == ["tool_call_start", "tool_call_delta"]
    parts = asm.finish()[-1].response.parts
    assert parts[0].data == {"type": "server_tool_use", "id": "srv_1", "input": {"q": "x"}}
    assert parts[0].provider_type == "server_tool_use"
    assert len(parts) == 2 and parts[1].arguments == {}


def test_a_tool_call_start_always_opens_a_new_call(registry: Any) -> None:
    asm = make(registry, "openai", "gpt-x")
    feed(asm, [
        ("tool_call_start", {"part_id": 0, "tool_call_id": "a", "tool_name": "f"}),
        ("tool_call_start", {"part_id": 0, "tool_call_id": "b", "tool_name": "g"}),
        ("tool_call_start", {"tool_call_id": "c", "tool_name": "h"}),
        ("tool_call_start", {"tool_call_id": "d", "tool_name": "k"}),
    ])
    assert [(c.tool_call_id, c.tool_name) for c in asm.finish()[-1].response.tool_calls] == [("a", "f"), ("b", "g"), ("c", "h"), ("d", "k")]


def priced(**pricing: Any) -> Any:
    from specwire.spec.compile import compile_spec

    spec, problems = compile_spec({"provider": "demo", "models": [{"id": "m", "pricing": {"input": 1.0, "output": 1.0, **pricing}}]})
    assert problems == []
    return spec


def test_the_cost_sees_the_call_settings_and_the_request_start_time(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import datetime, timezone

    import specwire.assemble as assemble

    class Start(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return datetime(2026, 12, 8, 3, 7, tzinfo=timezone.utc)  # a Tuesday, 03:07 UTC

    monkeypatch.setattr(assemble, "datetime", Start)
    spec = priced(multipliers=[
        {"when": "settings.location == 'eu'", "factor": 2.0},
        {"when": "time.weekday == `1` && time.minute_of_day == `187`", "factor": 3.0},
    ])
    asm = Assembler(provider="demo", model="m", metadata_key="demo", finish_reasons={}, usage_config=spec.usage, model_info=spec.model_info("m"), settings={"location": "eu"})
    feed(asm, [("usage", {"input_tokens": 1_000_000, "output_tokens": 0})])
    assert asm.finish()[-1].response.cost.factor == 6.0


def test_a_provider_part_without_fragments_keeps_its_data_and_text_that_is_not_json_is_kept_as_text(registry: Any) -> None:
    asm = make(registry)
    feed(asm, [
        ("provider_part", {"part_id": 1, "data": {"type": "web_search_tool_result", "content": [1]}, "streamed_into": "content"}),
        ("part_end", {"part_id": 1}),
        ("provider_part", {"part_id": 2, "data": {"kind": "x"}, "streamed_into": "body"}),
        ("text_delta", {"part_id": 2, "delta": "not json"}),
        ("part_end", {"part_id": 2}),
        ("provider_part", {"data": {"other": 1}, "tool_call_id": "t1"}),
    ])
    parts = asm.finish()[-1].response.parts
    assert [(p.provider_type, p.data, p.tool_call_id) for p in parts] == [
        ("web_search_tool_result", {"type": "web_search_tool_result", "content": [1]}, None),  # the type from the data
        ("", {"kind": "x", "body": "not json"}, None),
        ("", {"other": 1}, "t1"),
    ]


def test_a_later_provider_part_event_merges_its_non_null_data_and_an_unknown_block_warns(registry: Any) -> None:
    asm = make(registry)
    out = feed(asm, [
        ("provider_part", {"part_id": 1, "provider_type": "mystery", "data": {"a": 1, "b": 2}, "warning": "unknown block type 'mystery'"}),
        ("provider_part", {"part_id": 1, "provider_type": "later", "tool_call_id": "t9", "data": {"b": None, "c": 3}}),
        ("provider_part", {"part_id": 1, "tool_call_id": "t10"}),
    ])
    assert types(out) == ["warning"] and out[0].warning.kind == "unknown-content" and out[0].warning.detail == "unknown block type 'mystery'"
    (part,) = asm.finish()[-1].response.parts
    assert (part.provider_type, part.data, part.tool_call_id) == ("mystery", {"a": 1, "b": 2, "c": 3}, "t9")


def test_closing_a_keyed_part_keeps_the_open_implicit_part(registry: Any) -> None:
    asm = make(registry, "gemini", "gemini-x")
    feed(asm, [("text_delta", {"delta": "a"}), ("reasoning_delta", {"part_id": 1, "delta": "r"}), ("part_end", {"part_id": 1}), ("text_delta", {"delta": "b"})])
    assert [p.text for p in asm.finish()[-1].response.parts] == ["ab", "r"]


def test_the_response_so_far_includes_open_parts(registry: Any) -> None:
    asm = make(registry)
    feed(asm, [("text_delta", {"part_id": 0, "delta": "a"}), ("part_end", {"part_id": 0}), ("text_delta", {"part_id": 1, "delta": "b"})])
    assert [p.text for p in asm.response().parts] == ["a", "b"]


def test_a_non_object_arguments_value_and_a_nameless_call(registry: Any) -> None:
    asm = make(registry, "openai", "gpt-x")
    feed(asm, [("tool_call", {"tool_call_id": "a", "arguments": [1, 2]})])
    (call,) = asm.finish()[-1].response.tool_calls
    assert (call.arguments, call.tool_name) == (None, "")


def test_finish_detail_and_unknown_reasons(registry: Any) -> None:
    spec = registry.get("anthropic")
    reasons = {"incomplete": ("length", "length"), "incomplete:content_filter": ("content_filter", "content_filter")}

    def finish(events: list[Any]) -> Any:
        asm = Assembler(provider="x", model="m", metadata_key="x", finish_reasons=reasons, usage_config=spec.usage, model_info=None)
        feed(asm, events)
        return asm.finish()[-1].response.finish_reason

    assert finish([("finish", {"finish_reason": "incomplete", "finish_detail": "content_filter"})]).unified == "content_filter"
    assert finish([("finish", {"finish_reason": "incomplete", "finish_detail": "other"})]).unified == "length"
    assert finish([("finish", {"finish_reason": "incomplete"})]).unified == "length"
    weird = finish([("tool_call", {"tool_call_id": "a", "tool_name": "f", "arguments": {}}), ("finish", {"finish_reason": "weird"})])
    assert (weird.unified, weird.raw) == ("other", "weird")


def test_billed_usage_prices_the_call_and_keep_raw_is_the_response_raw() -> None:
    spec = priced()
    asm = Assembler(provider="demo", model="m", metadata_key="demo", finish_reasons={}, usage_config=spec.usage, model_info=spec.model_info("m"))
    feed(asm, [
        ("usage", {"input_tokens": 900_000, "output_tokens": 100_000, "billed": {"input_tokens": 1_000_000, "output_tokens": None}}),
        ("usage", {"billed": {"output_tokens": 500_000}}),
    ])
    asm.keep_raw({"body": 1})
    response = asm.finish()[-1].response
    assert (response.usage.input_tokens, response.usage.output_tokens) == (900_000, 100_000)
    assert response.cost.total == 1.5
    assert response.raw == {"body": 1}


def test_an_empty_warning_is_no_warning_and_metadata_without_a_part_goes_to_the_last_part(registry: Any) -> None:
    asm = make(registry)
    out = feed(asm, [("provider_part", {"data": {"type": "x"}, "warning": ""}), ("text_delta", {"part_id": 0, "delta": "a"}), ("part_end", {"part_id": 0}), ("provider_metadata", {}, {"citations": [1]})])
    assert "warning" not in types(out)
    assert asm.finish()[-1].response.parts[-1].provider_metadata == {"anthropic": {"citations": [1]}}


def test_a_usage_snapshot_replaces_the_previous_one() -> None:
    from specwire.spec.compile import UsageConfig

    snapshot = UsageConfig(fields=(), input_includes_cache=True, output_includes_reasoning=True, snapshot=True)
    asm = Assembler(provider="x", model="m", metadata_key="x", finish_reasons={}, usage_config=snapshot, model_info=None)
    feed(asm, [("usage", {"input_tokens": 10, "output_tokens": 5, "cache_read_tokens": 3}), ("usage", {"input_tokens": 12, "output_tokens": 6})])
    usage = asm.finish()[-1].response.usage
    assert (usage.input_tokens, usage.output_tokens, usage.cache_read_tokens) == (12, 6, None)


def test_the_invalid_arguments_warning_names_the_tool(registry: Any) -> None:
    asm = make(registry, "openai", "gpt-x")
    out = feed(asm, [("tool_call", {"tool_call_id": "a", "tool_name": "lookup", "arguments": "{not json"})])
    assert [w.warning.detail for w in out if w.type == "warning"] == ["tool call 'lookup': arguments are not a JSON object; kept as text in arguments_text"]
