"""Unit tests for :mod:`specwire.mapping` (frames -> raw events through a spec's event rules).

What this protects: the rule semantics of the module docstring on small specs compiled here,
each in both modes (the dispatch index and the linear scan): JMESPath truthiness of ``when``
(``0`` holds, ``null``/``false``/``""``/``[]``/``{}`` do not), every rule that holds fires in file
order, ``once`` rules fire once per mapper, ``foreach`` fires per item and ``cases`` take the first
that holds, ``set`` keeps non-null values, ``append`` keeps strings, the observer sees every rule
that fires, and a ``usage`` object becomes numbers (summed lists of paths, absurd counts left out).

Why unit tests and not replay tests: the recorded cases go through these paths with the values
real providers send; the edges (a ``0`` that holds, a ``once`` rule, an out-of-range count, a case
without ``emit``) need chosen frames.
"""

from __future__ import annotations

from typing import Any

import pytest

from specwire.mapping import EventMapper, MappingFailure, truthy
from specwire.spec.compile import compile_spec

MODES = pytest.mark.parametrize("scan", [False, True], ids=["index", "scan"])


def mapper(events: dict[str, Any], usage: dict[str, Any] | None = None, *, scan: bool = False, observe: Any = None) -> EventMapper:
    spec, problems = compile_spec({"provider": "m", "stream": {"events": events}, **({"usage": usage} if usage else {})})
    assert problems == []
    return EventMapper(spec.stream.rules, spec.usage, observe, scan=scan)


# --------------------------------------------------------------------------- truthiness
@pytest.mark.parametrize("value", [None, False, "", [], {}])
def test_falsy_values(value: Any) -> None:
    assert truthy(value) is False


@pytest.mark.parametrize("value", [0, 0.0, True, "x", " ", [0], [None], {"a": None}])
def test_truthy_values(value: Any) -> None:
    assert truthy(value) is True


@MODES
@pytest.mark.parametrize(("value", "fires"), [(0, True), ("0", True), (None, False), (False, False), ("", False), ([], False), ({}, False), ([0], True)])
def test_a_when_holds_by_jmespath_truthiness(scan: bool, value: Any, fires: bool) -> None:
    m = mapper({"t": {"when": "data.v", "emit": "text_delta", "delta": "data.v"}, "u": {"when": "data.other", "emit": "ignore"}}, scan=scan)
    assert m.map(None, {"v": value, "other": None}) == ([("text_delta", {"delta": value}, {})] if fires else [])


# --------------------------------------------------------------------------- rules
@MODES
def test_every_rule_that_holds_fires_in_file_order(scan: bool) -> None:
    events = {
        "a": {"when": "data.x", "emit": "text_delta", "delta": "data.x"},
        "b": {"emit": "response_metadata", "set": {"id": "data.id"}},  # no when: always
        "c": {"when": "data.y", "emit": "reasoning_delta", "delta": "data.y"},
    }
    m = mapper(events, scan=scan)
    assert m.map(None, {"x": "1", "y": "2", "id": "r"}) == [("text_delta", {"delta": "1"}, {}), ("response_metadata", {}, {"id": "r"}), ("reasoning_delta", {"delta": "2"}, {})]
    assert m.map(None, {"y": "2"}) == [("response_metadata", {}, {}), ("reasoning_delta", {"delta": "2"}, {})]  # a null `set` value is left out


@MODES
def test_rules_see_the_event_name_the_data_and_the_headers(scan: bool) -> None:
    events = {
        "named": {"event": "delta", "when": "data.t", "emit": "text_delta", "delta": "data.t"},
        "any": {"when": "event == 'stop' && headers.kind == 'last'", "emit": "finish", "finish_reason": "headers.kind"},
    }
    m = mapper(events, scan=scan)
    assert m.map("delta", {"t": "hi"}) == [("text_delta", {"delta": "hi"}, {})]
    assert m.map(None, {"t": "hi"}) == []  # the named rule needs its event
    assert m.map("other", {"t": "hi"}) == []
    assert m.map("stop", {}, {"kind": "last"}) == [("finish", {"finish_reason": "last"}, {})]
    assert m.map("stop", {}) == []


@MODES
def test_a_field_written_like_the_when_gets_the_when_value(scan: bool) -> None:
    m = mapper({"t": {"when": "data.t", "emit": "text_delta", "delta": "data.t", "id": "data.id"}}, scan=scan)
    assert m.map(None, {"t": "x"}) == [("text_delta", {"delta": "x", "id": None}, {})]  # a missing path is None


@MODES
def test_a_rule_without_emit_produces_no_event(scan: bool) -> None:
    m = mapper({"quiet": {"when": "data.x", "set": {"x": "data.x"}}, "t": {"when": "data.x", "emit": "text_delta", "delta": "data.x"}}, scan=scan)
    assert m.map(None, {"x": "a"}) == [("text_delta", {"delta": "a"}, {})]


@MODES
def test_a_once_rule_fires_once_per_mapper(scan: bool) -> None:
    events = {"start": {"when": "data.id", "emit": "response_metadata", "once": True, "set": {"id": "data.id"}}, "t": {"when": "data.t", "emit": "text_delta", "delta": "data.t"}}
    m = mapper(events, scan=scan)
    assert m.map(None, {"id": "a", "t": "1"}) == [("response_metadata", {}, {"id": "a"}), ("text_delta", {"delta": "1"}, {})]
    assert m.map(None, {"id": "b", "t": "2"}) == [("text_delta", {"delta": "2"}, {})]
    fresh = mapper(events, scan=scan)
    assert fresh.map(None, {"id": "c"}) == [("response_metadata", {}, {"id": "c"})]
    # a once rule that did not hold has not fired yet
    m = mapper(events, scan=scan)
    assert m.map(None, {"t": "1"}) == [("text_delta", {"delta": "1"}, {})]
    assert m.map(None, {"id": "late"}) == [("response_metadata", {}, {"id": "late"})]


@MODES
def test_append_keeps_only_strings(scan: bool) -> None:
    m = mapper({"plan": {"when": "data", "emit": "response_metadata", "append": {"plan": "data.plan", "n": "data.n"}}}, scan=scan)
    assert m.map(None, {"plan": "step", "n": 3}) == [("response_metadata", {"append": {"plan": "step"}}, {})]


@MODES
def test_an_evaluation_error_names_the_rule(scan: bool) -> None:
    m = mapper({"bad": {"when": "abs(data.x)", "emit": "text_delta"}}, scan=scan)
    with pytest.raises(MappingFailure) as info:
        m.map(None, {"x": "not a number"})
    assert str(info.value).startswith("rule 'bad': ")


def test_unmatched_is_the_rule_sets() -> None:
    spec, _ = compile_spec({"provider": "m", "stream": {"events": {"t": {"when": "data.t", "emit": "text_delta"}}, "unmatched": "error"}})
    assert EventMapper(spec.stream.rules, spec.usage).unmatched == "error"


# --------------------------------------------------------------------------- foreach and cases
@MODES
def test_foreach_fires_per_item_that_holds(scan: bool) -> None:
    m = mapper({"parts": {"foreach": "data.parts", "when": "text", "emit": "text_delta", "delta": "text"}}, scan=scan)
    assert m.map(None, {"parts": [{"text": "a"}, {"text": ""}, {"text": 0}, {"other": 1}, {"text": "b"}]}) == [
        ("text_delta", {"delta": "a"}, {}),
        ("text_delta", {"delta": 0}, {}),
        ("text_delta", {"delta": "b"}, {}),
    ]
    assert m.map(None, {"parts": {"text": "not a list"}}) == []
    assert m.map(None, {"parts": [{"text": True}, {"text": False}, {"text": []}, {"text": {}}, {"text": None}]}) == [("text_delta", {"delta": True}, {})]


@MODES
def test_foreach_without_when_fires_for_every_item(scan: bool) -> None:
    m = mapper({"parts": {"foreach": "data.parts", "emit": "text_delta", "delta": "text"}}, scan=scan)
    assert m.map(None, {"parts": [{"text": "a"}, {}]}) == [("text_delta", {"delta": "a"}, {}), ("text_delta", {"delta": None}, {})]


@MODES
def test_cases_take_the_first_that_holds_per_item(scan: bool) -> None:
    rule = {
        "foreach": "data.parts",
        "cases": [
            {"when": "type == 'text'", "emit": "text_delta", "delta": "text"},
            {"when": "thought", "emit": "reasoning_delta", "delta": "thought"},
            {"when": "type == 'skip'"},  # holds, emits nothing, and ends the search for this item
            {"emit": "response_metadata", "set": {"type": "type"}},
        ],
    }
    m = mapper({"parts": rule}, scan=scan)
    frame = {"parts": [{"type": "text", "text": "a", "thought": "t"}, {"type": "x", "thought": "t"}, {"type": "skip"}, {"type": "other", "thought": ""}]}
    assert m.map(None, frame) == [
        ("text_delta", {"delta": "a"}, {}),
        ("reasoning_delta", {"delta": "t"}, {}),
        ("response_metadata", {}, {"type": "other"}),
    ]


@MODES
def test_a_once_foreach_rule_fires_for_the_first_frame_with_items_only(scan: bool) -> None:
    events = {"parts": {"foreach": "data.parts", "when": "text", "once": True, "emit": "text_delta", "delta": "text"}}
    m = mapper(events, scan=scan)
    assert m.map(None, {"parts": [{"text": ""}]}) == []  # nothing held: not fired yet
    assert m.map(None, {"parts": "none"}) == []
    assert m.map(None, {"parts": [{"text": "a"}, {"text": "b"}]}) == [("text_delta", {"delta": "a"}, {}), ("text_delta", {"delta": "b"}, {})]
    assert m.map(None, {"parts": [{"text": "c"}]}) == []
    cases = {"parts": {"foreach": "data.parts", "once": True, "cases": [{"when": "text", "emit": "text_delta", "delta": "text"}]}}
    m = mapper(cases, scan=scan)
    assert m.map(None, {"parts": [{"text": ""}]}) == []
    assert m.map(None, {"parts": [{"text": "a"}]}) == [("text_delta", {"delta": "a"}, {})]
    assert m.map(None, {"parts": [{"text": "b"}]}) == []


# --------------------------------------------------------------------------- observer
@MODES
def test_the_observer_sees_every_rule_that_fires_with_its_fields_and_set_values(scan: bool) -> None:
    seen: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    events = {
        "t": {"when": "data.t", "emit": "text_delta", "delta": "data.t", "set": {"id": "data.id", "none": "data.none"}},
        "u": {"when": "data.usage", "emit": "usage", "usage": "data.usage"},
    }
    m = mapper(events, {"fields": {"input_tokens": "in"}}, scan=scan, observe=lambda rule, fields, meta: seen.append((rule.name, fields, meta)))
    out = m.map(None, {"t": "x", "id": "r", "usage": {"in": 3}})
    assert seen == [("t", {"delta": "x"}, {"id": "r"}), ("u", {"usage": {"in": 3}}, {})]  # usage as the provider sent it
    assert out[1][1]["input_tokens"] == 3
    seen[0][1]["delta"] = "changed"  # the observer's copies are its own
    assert out[0] == ("text_delta", {"delta": "x"}, {"id": "r"})


# --------------------------------------------------------------------------- usage
USAGE = {"fields": {"input_tokens": ["prompt", "cached"], "output_tokens": "completion", "total_tokens": "total"}}


@MODES
def test_a_usage_object_becomes_numbers(scan: bool) -> None:
    m = mapper({"u": {"when": "data.usage", "emit": "usage", "usage": "data.usage", "model": "data.model"}}, USAGE, scan=scan)
    obj = {"prompt": 10, "cached": 5, "completion": 2.0}
    assert m.map(None, {"usage": obj, "model": "m1"}) == [
        ("usage", {"input_tokens": 15, "output_tokens": 2, "total_tokens": None, "model": "m1", "raw": obj}, {}),
    ]


def test_usage_numbers_sum_the_numbers_and_leave_out_the_rest() -> None:
    m = mapper({}, USAGE)
    assert m.usage_numbers({"prompt": None, "cached": 4, "completion": True, "total": "7"}) == {"input_tokens": 4, "output_tokens": None, "total_tokens": None}
    assert m.usage_numbers({}) == {"input_tokens": None, "output_tokens": None, "total_tokens": None}
    assert m.usage_numbers({"prompt": 0, "cached": 0}) == {"input_tokens": 0, "output_tokens": None, "total_tokens": None}
    assert m.usage_numbers({"prompt": 1, "cached": 1}, ()) == {}  # another field map


@pytest.mark.parametrize(("value", "kept"), [(2**63 - 1, 2**63 - 1), (-(2**63) + 1, -(2**63) + 1), (2**63, None), (-(2**63), None), (1e300, None), (float("inf"), None)])
def test_a_count_out_of_the_int64_range_is_left_out(value: Any, kept: Any) -> None:
    assert mapper({}, USAGE).usage_numbers({"completion": value})["output_tokens"] == kept


@MODES
def test_billed_fields_come_with_the_usage_event(scan: bool) -> None:
    usage = {"fields": {"input_tokens": "in"}, "billed_fields": {"input_tokens": "billed"}}
    m = mapper({"u": {"when": "data.usage", "emit": "usage", "usage": "data.usage"}}, usage, scan=scan)
    assert m.map(None, {"usage": {"in": 100, "billed": 7}}) == [("usage", {"input_tokens": 100, "raw": {"in": 100, "billed": 7}, "billed": {"input_tokens": 7}}, {})]
    plain = mapper({"u": {"when": "data.usage", "emit": "usage", "usage": "data.usage"}}, {"fields": {"input_tokens": "in"}}, scan=scan)
    assert "billed" not in plain.map(None, {"usage": {"in": 100}})[0][1]


@MODES
def test_a_usage_rule_whose_usage_is_not_an_object_keeps_its_fields(scan: bool) -> None:
    m = mapper({"u": {"when": "data.usage", "emit": "usage", "usage": "data.usage"}}, USAGE, scan=scan)
    assert m.map(None, {"usage": "n/a"}) == [("usage", {"usage": "n/a"}, {})]
