"""Unit tests for :mod:`specwire.dispatch` (event rules dispatched through an index, not scanned).

What this protects: the index is an optimisation and nothing else.  For any frame, the rules it
lets the mapper evaluate must give exactly the raw events the linear scan gives (every rule that
holds fires, in file order; for ``foreach`` cases, the first that holds), or a spec would behave
differently from what its YAML says.  Three layers:

1. the condition finder (:func:`conditions`) on each kind of expression: equality with a string,
   ``||`` of equalities, ``contains`` on a literal list, truthy paths and ``!= `null```, ``&&``,
   and the expressions it must not classify (negations, comparisons with non-strings, pipes);
2. the index builder on small rule lists: a value discriminator, a key discriminator, a rule with
   no discriminator (always a candidate), file order kept, values not in the table;
3. equivalence with the linear scan: every built-in spec's rule sets (stream, stream modes and
   response) against every frame recorded in tests/fixtures, and against generated frames built
   from the paths and strings the specs' own rules test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specwire import hooks
from specwire.dispatch import Index, build_index, conditions
from specwire.jpath import compile_jpath
from specwire.mapping import EventMapper, MappingFailure
from specwire.safejson import loads
from specwire.spec.compile import RuleSet
from tests.conftest import corpus_cases


def cond(source: str) -> set[Any]:
    return conditions(compile_jpath(source).parsed)


def eqs(source: str) -> dict[Any, frozenset[str]]:
    return {path: values for kind, path, values in cond(source) if kind == "eq"}


def has(source: str) -> dict[Any, frozenset[str]]:
    return {path: values for kind, path, values in cond(source) if kind == "has"}


# --------------------------------------------------------------------------- conditions
def test_string_equality_is_a_value_condition() -> None:
    assert eqs("data.delta.type == 'text_delta'") == {("data", "delta", "type"): frozenset({"text_delta"})}
    assert eqs("'text_delta' == data.delta.type") == {("data", "delta", "type"): frozenset({"text_delta"})}
    # the path's objects must be there too
    assert has("data.delta.type == 'x'") == {(): frozenset({"data"}), ("data",): frozenset({"delta"}), ("data", "delta"): frozenset({"type"})}


def test_or_of_equalities_on_one_path_merges_and_contains_lists_the_values() -> None:
    assert eqs("data.type == 'a' || data.type == 'b'") == {("data", "type"): frozenset({"a", "b"})}
    assert eqs('contains(`["a", "b"]`, data.item.type)') == {("data", "item", "type"): frozenset({"a", "b"})}
    # two different paths: only what both sides share (the object holding them) is known
    assert eqs("data.a == 'x' || data.b == 'y'") == {}
    assert has("data.a == 'x' || data.b == 'y'")[("data",)] == frozenset({"a", "b"})


def test_and_needs_both_sides() -> None:
    found = eqs("data.type == 'done' && data.item.type == 'reasoning'")
    assert found == {("data", "type"): frozenset({"done"}), ("data", "item", "type"): frozenset({"reasoning"})}


def test_truthy_paths_and_not_null_are_key_conditions() -> None:
    assert has("data.choices[0].delta.content")[("data", "choices", 0, "delta")] == frozenset({"content"})
    assert has("data.choices[0].delta.reasoning_content || data.choices[0].delta.reasoning")[("data", "choices", 0, "delta")] == frozenset({"reasoning_content", "reasoning"})
    assert has("functionCall != `null`") == {(): frozenset({"functionCall"})}
    assert has("data.candidates[1:]") == {(): frozenset({"data"})}  # a slice needs its list's holder


@pytest.mark.parametrize("source", [
    "!contains(`[\"a\"]`, data.type)",  # a negation says nothing
    "data.type != 'a'",
    "data.n == `1`",  # numbers and booleans compare the JMESPath way; not indexed
    "data.flag == `true`",
    "data.a | b",
    "type(data.a) == 'string'",
    "`true`",
    "data.a == data.b",
])
def test_expressions_left_unclassified(source: str) -> None:
    assert eqs(source) == {}


# --------------------------------------------------------------------------- the builder
def build(sources: list[str | None]) -> Index[str]:
    names = [f"r{i}" for i in range(len(sources))]
    return build_index(names, [cond(s) if s is not None else set() for s in sources])


def test_value_index_keeps_file_order_and_unclassified_rules() -> None:
    index = build(["data.type == 'a'", None, "data.type == 'b' || data.type == 'a'", "data.other", "data.type == 'c'"])
    assert (index.kind, index.path) == ("value", ("data", "type"))
    assert index.select({"data": {"type": "a", "other": 1}}) == ("r0", "r1", "r2", "r3")
    assert index.select({"data": {"type": "b", "other": 1}}) == ("r1", "r2", "r3")
    assert index.select({"data": {"type": "zzz", "other": 1}}) == ("r1", "r3")  # a value no rule names
    assert index.select({"data": {"type": 1, "other": 1}}) == ("r1", "r3")  # not a string
    assert index.rules == ("r0", "r1", "r2", "r3", "r4")
    # each bucket is indexed again: here on the keys of `data` (r3 needs `data.other`)
    assert index.select({"data": {"type": "a"}}) == ("r0", "r1", "r2")
    assert index.select({"data": None}) == ("r1", "r3")  # one rule left to tell apart: scanned


def test_key_index_selects_by_the_non_null_keys_present() -> None:
    index = build(["data.d.text", "data.d.reasoning || data.d.thinking", "data.d.tool_calls", "data.usage"])
    assert (index.kind, index.path) == ("keys", ("data", "d"))
    assert index.keys == ("reasoning", "text", "thinking", "tool_calls")
    assert index.select({"data": {"d": {"text": "x"}, "usage": 1}}) == ("r0", "r3")
    assert index.select({"data": {"d": {"thinking": "x", "text": None}, "usage": 1}}) == ("r1", "r3")
    assert index.select({"data": {"d": {"text": "x", "tool_calls": []}, "usage": 1}}) == ("r0", "r2", "r3")  # [] is not null: a candidate
    assert index.select({"data": {"d": "text", "usage": 1}}) == ("r3",)
    assert index.select({"data": {"d": {"text": "x"}, "usage": None}}) == ("r0",)  # then on the keys of `data`
    assert index.select({}) == ("r3",)  # a single rule left: evaluated


def test_event_names_are_the_first_key() -> None:
    """``event:`` filters come first: each event name gets its own index over its rules and the
    rules without a filter, the generic index serves frames with no or another name."""
    from specwire.spec.compile import _Compiler

    events = {
        "start": {"event": "block_start", "when": "data.block.type == 'text'", "emit": "text_delta"},
        "tool": {"event": "block_start", "when": "data.block.type == 'tool_use'", "emit": "tool_call_start"},
        "delta": {"event": "block_delta", "when": "data.delta.type == 'text_delta'", "emit": "text_delta"},
        "anywhere": {"when": "data.error", "emit": "error"},
    }
    rules = _Compiler().ruleset(events, "ignore", ("stream", "events"))
    assert isinstance(rules, RuleSet)
    assert [r.name for r in rules.index_for("block_start").select({"data": {"block": {"type": "tool_use"}, "error": {}}})] == ["tool", "anywhere"]
    assert [r.name for r in rules.index_for("block_start").select({"data": {"block": {"type": "tool_use"}}})] == ["tool"]
    assert [r.name for r in rules.index_for("block_delta").rules] == ["delta", "anywhere"]
    assert [r.name for r in rules.index_for(None).rules] == ["anywhere"]
    assert [r.name for r in rules.index_for("other").rules] == ["anywhere"]
    assert rules.index_for("block_start").kind == "value"


def test_nested_discriminators_chat_chunk() -> None:
    """A chat chunk's rules: the keys of ``data``, then of ``choices[0]``, then of its ``delta``."""
    index = build(["data.error", "data.choices[0].delta.content", "data.choices[0].delta.tool_calls", "data.choices[0].finish_reason", "data.usage", None])
    chunk = {"data": {"id": "x", "choices": [{"delta": {"content": "hi"}, "finish_reason": None}], "usage": None}}
    assert index.select(chunk) == ("r1", "r5")
    last = {"data": {"id": "x", "choices": [], "usage": {"total_tokens": 3}}}
    assert index.select(last) == ("r4", "r5")


def test_a_single_rule_or_unclassifiable_rules_are_scanned() -> None:
    assert build(["data.type == 'a'"]).kind == "scan"
    index = build(["!data.a", "length(data.b) > `1`"])
    assert index.kind == "scan" and index.select({"data": {}}) == ("r0", "r1")


def test_foreach_cases_are_indexed_and_first_match_kept() -> None:
    from specwire.spec.compile import _Compiler

    rule = _Compiler().rule("parts", {"foreach": "data.parts", "cases": [
        {"when": "thought", "emit": "reasoning_delta", "delta": "text"},
        {"when": "functionCall", "emit": "tool_call", "tool_name": "functionCall.name"},
        {"when": "text != `null`", "emit": "text_delta", "delta": "text"},
        {"emit": "provider_part", "data": "@"},
    ]}, ("stream", "events", "parts"))
    assert rule.case_index is not None and rule.case_index.kind == "keys"
    assert [c.name for c in rule.case_index.select({"text": "hi"})] == ["parts[2]", "parts[3]"]
    assert [c.name for c in rule.case_index.select({"text": "hi", "thought": True})] == ["parts[0]", "parts[2]", "parts[3]"]


# --------------------------------------------------------------------------- equivalence
def _rulesets(spec: Any) -> list[tuple[str, RuleSet]]:
    out = [("stream", spec.stream.rules), ("response", spec.response)]
    out += [(f"mode {name}", cfg.rules) for name, cfg in spec.stream_modes.items()]
    return out


def _src(expr: Any) -> str | None:
    return expr.source if expr is not None else None


def _signature(rules: RuleSet) -> Any:
    """What selection depends on (specs that extend another share most rule sets: each distinct
    one is checked once)."""
    return tuple((r.name, r.event, r.once, r.emit, _src(r.when), _src(r.foreach), tuple((c.emit, _src(c.when)) for c in r.cases)) for r in rules.rules)


def _distinct_rulesets(registry: Any) -> list[tuple[str, Any, RuleSet]]:
    seen: set[Any] = set()
    out = []
    for name in registry.providers():
        spec = registry.get(name)
        for label, rules in _rulesets(spec):
            key = _signature(rules)
            if key not in seen:
                seen.add(key)
                out.append((f"{name} {label}", spec.usage, rules))
    return out


def _map_all(rules: RuleSet, usage: Any, frames: list[tuple[str | None, Any, Any]], scan: bool) -> list[Any]:
    mapper = EventMapper(rules, usage, scan=scan)
    out: list[Any] = []
    for event, data, headers in frames:
        try:
            out.append(mapper.map(event, data, headers))
        except MappingFailure as exc:
            out.append(("failure", str(exc)))
    return out


def _corpus_frames() -> list[tuple[str, list[tuple[str | None, Any, Any]]]]:
    out = []
    for case_dir, data in corpus_cases():
        rp = data["replay"]
        body = (Path(case_dir) / rp["body"]).read_bytes()
        framing = hooks.framing_factory((rp.get("framing") or "sse") if rp["stream"] else "json")()
        try:
            frames = framing.decode(body) + framing.flush()
        except Exception:  # noqa: BLE001 - a recorded body cut off mid-frame: its complete frames still count
            continue
        parsed = []
        for frame in frames:
            try:
                parsed.append((frame.event, loads(frame.text), frame.headers))
            except ValueError:
                continue  # [DONE] and other sentinels
        out.append((data["id"], parsed))
    return out


CORPUS = _corpus_frames()


def test_corpus_has_frames() -> None:
    assert sum(len(f) for _, f in CORPUS) > 1000


def test_index_equals_linear_scan_on_every_recorded_frame_for_every_builtin_spec(registry: Any) -> None:
    """Every built-in spec × every recorded frame (each fixture's frames in order, so ``once``
    rules see the same history): the indexed mapper's raw events equal the scan's."""
    checked = 0
    for label, usage, rules in _distinct_rulesets(registry):
        for case_id, frames in CORPUS:
            indexed = _map_all(rules, usage, frames, scan=False)
            scanned = _map_all(rules, usage, frames, scan=True)
            assert indexed == scanned, f"{label} on {case_id}"
            checked += len(frames)
    assert checked > 10000


# generated frames: the specs' own discriminating paths, filled with the strings their rules test
def _vocabulary(registry: Any) -> tuple[list[tuple[Any, ...]], list[str]]:
    paths: set[tuple[Any, ...]] = set()
    strings: set[str] = set()
    for name in registry.providers():
        for _, rules in _rulesets(registry.get(name)):
            for rule in rules.rules:
                for r in (rule, *rule.cases):
                    for expr in (r.when, r.foreach):
                        if expr is None:
                            continue
                        for kind, path, values in conditions(expr.parsed):
                            if kind == "eq":
                                paths.add(path)
                                strings |= values
                            else:
                                paths |= {(*path, k) for k in values}
    return sorted(paths, key=str), sorted(strings)


def _frame_strategy(paths: list[tuple[Any, ...]], strings: list[str]) -> Any:
    leaf = st.one_of(st.none(), st.booleans(), st.integers(0, 2), st.sampled_from(strings), st.just(""), st.just([]), st.just({}),
                     st.lists(st.dictionaries(st.sampled_from(["type", "text", "thought", "functionCall", "name"]), st.one_of(st.sampled_from(strings), st.booleans(), st.none()), max_size=3), max_size=2))

    def put(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
        cur: Any = doc
        for i, step in enumerate(path):
            last = i == len(path) - 1
            if isinstance(step, str):
                if not isinstance(cur, dict):
                    return
                if last:
                    cur[step] = value
                    return
                nxt = path[i + 1]
                if not isinstance(cur.get(step), (dict, list)):
                    cur[step] = [{} for _ in range(nxt + 1 if nxt >= 0 else -nxt)] if isinstance(nxt, int) else {}
                cur = cur[step]
            else:
                if not isinstance(cur, list) or not -len(cur) <= step < len(cur):
                    return
                if last:
                    cur[step] = value
                    return
                if not isinstance(cur[step], (dict, list)):
                    cur[step] = {}
                cur = cur[step]

    @st.composite
    def frame(draw: st.DrawFn) -> dict[str, Any]:
        doc: dict[str, Any] = {}
        for path in draw(st.lists(st.sampled_from(paths), max_size=6)):
            put(doc, path, draw(leaf))
        return doc

    return frame()


def test_index_equals_linear_scan_on_generated_frames(registry: Any) -> None:
    paths, strings = _vocabulary(registry)
    frames_st = st.lists(st.tuples(st.one_of(st.none(), st.sampled_from(["message_start", "content_block_start", "content_block_delta", "messageStart", "contentBlockDelta", "metadata"])), _frame_strategy(paths, strings)), min_size=1, max_size=4)
    rulesets = _distinct_rulesets(registry)

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(frames=frames_st)
    def check(frames: list[tuple[str | None, dict[str, Any]]]) -> None:
        batch = [(event, doc.get("data"), doc.get("headers")) for event, doc in frames]
        for label, usage, rules in rulesets:
            assert _map_all(rules, usage, batch, scan=False) == _map_all(rules, usage, batch, scan=True), label

    check()


def test_buckets_are_built_on_demand_within_a_budget() -> None:
    """Buckets appear when a frame needs them, and a tree never holds more than the node budget
    of indexes with a discriminator, whatever mix of keys hostile frames carry."""
    from itertools import product

    from specwire import dispatch

    keys = [f"k{i}" for i in range(8)]
    sources: list[str | None] = [f"data.{k}" for k in keys] + [f"data.x.{k}" for k in keys] + [f"data.y.{k} == 'v'" for k in keys]
    index = build(sources)
    assert index._buckets == {}  # nothing built before the first frame
    for bits in product([0, 1], repeat=8):
        frame = {k: 1 for k, b in zip(keys, bits) if b}
        got = index.select({"data": {**frame, "x": frame, "y": {k: "v" for k in frame}}})
        matching = {f"r{i}" for i in range(24) if bits[i % 8]}
        assert matching <= set(got)  # candidates: every rule that holds, maybe others
        assert list(got) == sorted(got, key=lambda name: int(name[1:]))  # in file order

    def nodes(ix: Index[str], seen: set[int]) -> None:
        if id(ix) not in seen:
            seen.add(id(ix))
            for b in ix._buckets.values():
                nodes(b, seen)

    seen: set[int] = set()
    nodes(index, seen)
    assert index._buckets and len(seen) <= dispatch._MAX_NODES * 257
