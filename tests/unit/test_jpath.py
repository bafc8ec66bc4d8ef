"""Unit tests for :mod:`specwire.jpath` (JMESPath compiled once, with caps and a fast path).

What this protects: (1) the fast path for plain field paths (``data.choices[0].delta.content``)
must give exactly what ``jmespath.search`` gives, or a spec rule would silently behave differently
from the JMESPath documentation its author read; (2) the caps of docs/RELIABILITY.md T3: an over-long or
deeply nested expression is a :class:`JPathError` at compile time, never a ``RecursionError``;
(3) evaluation errors surface as :class:`JPathError`.

Why unit tests and not replay tests: replayed fixtures only use the handful of expressions in the
shipped specs against well-formed chunks; the equivalence of the two evaluation paths over
arbitrary data, and the hostile expressions, need generated inputs and crafted expressions.
"""

from __future__ import annotations

import jmespath
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specwire.jpath import MAX_EXPRESSION_CHARS, MAX_NESTING, JPath, JPathError, compile_jpath

# --------------------------------------------------------------------------- fast path == jmespath
NAMES = ["a", "b", "data", "choices", "delta", "content", "_x", "null", "true", "k2"]


def _name(name: str) -> str:
    """A field name as an expression names it: ``null``/``true`` quoted (unquoted they are refused)."""
    return f'"{name}"' if name in ("null", "true") else name

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False, allow_infinity=False, width=32), st.sampled_from(["", "s", "0"]))
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.sampled_from(NAMES), children, max_size=4)),
    max_leaves=8,
)


STEP = st.one_of(st.sampled_from(NAMES), st.integers(0, 4))


@st.composite
def path_and_data(draw: st.DrawFn) -> tuple[str, object]:
    """A plain field path and data that mostly follows it, so that most examples reach deep into
    the path before (maybe) diverging: wrong type, missing key, short list, null, a list where a
    dict is expected (no projection on plain paths)."""
    first = draw(st.sampled_from(NAMES))
    steps: list[str | int] = [first, *draw(st.lists(STEP, max_size=5))]
    source = _name(first) + "".join(f".{_name(s)}" if isinstance(s, str) else f"[{s}]" for s in steps[1:])
    value = draw(json_values)
    for step in reversed(steps):
        follow = draw(st.integers(0, 9)) < 8
        if isinstance(step, str):
            if follow:
                value = {draw(st.sampled_from(NAMES)): draw(json_scalars), step: value}
            else:
                value = draw(st.one_of(json_values, st.just([{step: value}])))
        else:
            if follow:
                filler = draw(st.lists(json_scalars, min_size=step, max_size=step))
                value = [*filler, value, *draw(st.lists(json_scalars, max_size=2))]
            else:
                value = draw(st.one_of(json_values, st.just({str(step): value}), st.lists(json_scalars, max_size=step)))
    return source, value


EXPRESSIONS = [
    "a", "data.choices[0].delta.content", "a[0][1].b", "_x.k2", "a[-1]", "a[*].b", "a || b", "a && b",
    "!a", "a.b == 'x'", "a != `1`", "a < `3`", "`1`", "a[?b]", "a[?x == `1`].y", "a[].b", "{x: a, y: b}",
    "[a, b]", "a | b", "@", "type(a)", "not_null(a, b)", "contains(a, 'x')", "length(a)", "a[0:2]", "*.b",
    # specialised: equality with a string or null literal, contains() on a literal list of strings,
    # chains longer than one unrolled run of fields
    "a == 'pxq'", "'pxq' == a", "a != 'pxq'", "a == `null`", "b != `null`", "a == `[1]`", "a == `{}`", "`1` == a",
    "contains(`[\"pxq\", \"v\"]`, a)", "contains(`[\"pxq\"]`, _x.k2)", "contains(`[1, \"x\"]`, a)",
    "a.b.c.d", "a.b[0].c", "data.choices[0].delta.content", "a[-1].b", "a.b == 'x' || a == 'pxq'",
    "sum(a)", "sum(a[*].b)", "a && sum(a[?b].b)", "a[1:]", "a[::-1]", "a[-2:].b", "data.choices[1:]",
]
DOCUMENTS = [
    {"a": 1, "b": 2}, {"a": {"b": [{"c": 5}], "c": 1}, "b": None}, {"a": [{"x": 1, "y": "p", "b": 3}, {"x": 2, "b": [1]}]},
    {"a": "pxq", "b": ""}, {"a": 0, "b": True}, {"a": True}, {"a": []}, {"a": {}}, {"a": [1, 2, 3]}, {}, None, [1, 2],
    {"a": False, "b": 0}, {"a": 1.0, "b": True}, {"_x": {"k2": "v"}}, {"data": {"choices": [{"delta": {"content": "hi"}}]}},
    {"a": [1]}, {"a": [True]}, {"a": ["pxq"]}, {"a": {"b": {"c": {"d": 4}}}}, {"a": {"b": [{"c": "x"}]}}, {"a": {"b": "x"}},
    {"_x": {"k2": "pxq"}}, {"data": {"choices": []}}, {"a": [{"b": 1}, {"b": 2}]},
    {"a": [1, 2.5]}, {"a": [1, True]}, {"a": [1, "2"]}, {"a": [{"b": 1}, {"b": 2.5}, {"c": 1}]}, {"a": [{"b": True}]},
]


@pytest.mark.parametrize("source", EXPRESSIONS)
def test_compiled_closures_match_the_interpreter(source: str) -> None:
    """The closure compiler must agree with jmespath.py's TreeInterpreter on every document,
    errors included (JMESPath equality of 0/1 and booleans, truthiness, ordering on numbers only)."""
    compiled = compile_jpath(source)
    for data in DOCUMENTS:
        try:
            expected = ("ok", jmespath.search(source, data))
        except Exception as exc:  # noqa: BLE001
            expected = ("error", type(exc).__name__)
        try:
            got = ("ok", compiled.search(data))
        except Exception:  # noqa: BLE001
            got = ("error", expected[1])
        assert got == expected, (source, data)
        if got[0] == "ok":
            assert type(got[1]) is type(expected[1])


@settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(case=path_and_data())
def test_fast_path_matches_jmespath_search(case: tuple[str, object]) -> None:
    path, data = case
    compiled = compile_jpath(path)
    expected = jmespath.search(path, data)
    assert compiled.search(data) == expected
    assert type(compiled.search(data)) is type(expected)


def test_generated_cases_reach_the_end_of_their_paths() -> None:
    """Guard against a vacuous property: most generated cases must resolve to a non-null value."""
    hits = []

    @settings(max_examples=40, deadline=None, derandomize=True, database=None)
    @given(case=path_and_data())
    def probe(case: tuple[str, object]) -> None:
        hits.append(jmespath.search(*case) is not None)

    probe()
    assert sum(hits) > len(hits) * 0.3


TABLE = [
    ("a.b", {"a": {"b": [1, 2]}}),
    ("a[0].b[1]", {"a": [{"b": [5, 6]}]}),
    ("a.b[10]", {"a": {"b": [1]}}),
    ("a.b", {"a": "str"}),
    ("a[0]", {"a": "str"}),
    ("a[0]", {"a": {"0": 1}}),
    ("a.b", {"a": [{"b": 1}]}),  # no projection on a plain path
    ("a", [1]),
    ("a", None),
    ("a", 5),
    ('"true"', {"true": 1}),
    ('"null"', {"null": 2}),
    ('a."true"', {"a": {"true": 3}}),
    ("a[01]", {"a": [7, 8]}),
    ("a.b", {"a": {"b": False}}),
    ("a.b", {"a": {"b": 0}}),
    ("a.b", {"a": {"b": ""}}),
    ("a.b.c", {"a": {"b": None}}),
    ("data.choices[0].delta.content", {"data": {"choices": [{"delta": {"content": "hi"}}]}}),
    ("a.b.c.d.e", {"a": {"b": {"c": {"d": {"e": 5}}}}}),
    ("a.b.c.d.e", {"a": {"b": {"c": {"d": [5]}}}}),
    ("a.b.c.d[0].e.f.g", {"a": {"b": {"c": {"d": [{"e": {"f": {"g": 0}}}]}}}}),
    ("a[-1]", {"a": []}),
]


@pytest.mark.parametrize(("path", "data"), TABLE)
def test_fast_path_table(path: str, data: object) -> None:
    assert compile_jpath(path).search(data) == jmespath.search(path, data)


# --------------------------------------------------------------------------- the general path
@pytest.mark.parametrize(
    ("source", "data", "expected"),
    [
        ("a || b", {"b": 0}, 0),
        ("a[-1]", {"a": [1, 2, 3]}, 3),
        ("a[?t == 'x'].v", {"a": [{"t": "x", "v": 1}, {"t": "y", "v": 2}]}, [1]),
        ("event == 'ping'", {"event": "ping"}, True),
        ("length(a)", {"a": "abc"}, 3),
        ("`true`", {}, True),
    ],
)
def test_general_expressions_match_jmespath(source: str, data: object, expected: object) -> None:
    compiled = compile_jpath(source)
    assert compiled.search(data) == expected == jmespath.search(source, data)


def test_compiled_expression_is_reusable_and_has_a_repr() -> None:
    p = compile_jpath("a[?x].y")
    assert isinstance(p, JPath)
    assert p.search({"a": [{"x": 1, "y": 2}]}) == [2]
    assert p.search({"a": [{"x": 0, "y": 3}]}) == [3]  # 0 is truthy in JMESPath
    assert repr(p) == "JPath('a[?x].y')"


def test_evaluation_type_error_is_a_jpath_error() -> None:
    p = compile_jpath("abs(a)")
    with pytest.raises(JPathError, match="abs"):
        p.search({"a": "not a number"})


# --------------------------------------------------------------------------- compile errors and caps
@pytest.mark.parametrize("source", ["a.[", "a[", "[?", "foo(", "a..b", ""])
def test_invalid_expressions_are_jpath_errors(source: str) -> None:
    with pytest.raises(JPathError):
        compile_jpath(source)


@pytest.mark.parametrize("value", [5, None, ["a"], b"a"])
def test_non_string_expression_is_a_jpath_error(value: object) -> None:
    with pytest.raises(JPathError, match="string"):
        compile_jpath(value)  # type: ignore[arg-type]


def test_length_cap() -> None:
    ok = "a" * MAX_EXPRESSION_CHARS
    assert compile_jpath(ok).search({ok: 1}) == 1
    with pytest.raises(JPathError, match="longer"):
        compile_jpath("a" * (MAX_EXPRESSION_CHARS + 1))


def test_nesting_cap() -> None:
    assert compile_jpath("(" * MAX_NESTING + "a" + ")" * MAX_NESTING).search({"a": 1}) == 1
    with pytest.raises(JPathError, match="nested"):
        compile_jpath("(" * (MAX_NESTING + 1) + "a" + ")" * (MAX_NESTING + 1))
    with pytest.raises(JPathError, match="nested"):
        compile_jpath("[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1))


@pytest.mark.parametrize(
    "source",
    [
        "(" * 5000 + "a" + ")" * 5000,
        "[" * 5000 + "]" * 5000,
        "!" * (MAX_EXPRESSION_CHARS - 1) + "a",  # deep prefix operators: no brackets to count
        "&" * (MAX_EXPRESSION_CHARS - 1) + "a",
    ],
    ids=["parens-5000", "brackets-5000", "not-chain", "expref-chain"],
)
def test_hostile_expressions_raise_jpath_error_not_recursion_error(source: str) -> None:
    with pytest.raises(JPathError):
        compile_jpath(source)


def test_deep_left_nested_expression_evaluation_cannot_escape_as_recursion_error() -> None:
    # `a || a || …` parses iteratively into a deep left-nested tree; if evaluation ever overflows
    # the stack it must still surface as JPathError.
    source = " || ".join(["a"] * 399)
    assert len(source) <= MAX_EXPRESSION_CHARS
    p = compile_jpath(source)
    try:
        assert p.search({"a": None}) is None
    except JPathError:
        pass


@pytest.mark.parametrize("source", ["data.a != null", "a == true || b", "x[?y == false]"])
def test_an_unquoted_literal_name_read_as_a_field_is_refused(source: str) -> None:
    """JMESPath reads ``x != null`` as a comparison with a field named ``null`` (always true when
    ``x`` is set, whatever the frame holds): a spec means the literal, so it must say `` `null` ``."""
    with pytest.raises(JPathError, match="backticks"):
        compile_jpath(source)


@pytest.mark.parametrize("source", ["data.a != `null`", '"null" == `1`', "{null: a, true: b}", "nullable.x", "a.true_value"])
def test_literals_quoted_fields_and_hash_keys_are_accepted(source: str) -> None:
    compile_jpath(source)
