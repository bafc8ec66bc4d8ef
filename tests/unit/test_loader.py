"""Unit tests for :mod:`specwire.spec.loader` (YAML text -> spec tree + source map + issues).

What this protects: the loader is the first line of defence against hostile or sloppy spec files
(docs/RELIABILITY.md T2): it must never construct Python objects from tags, never expand alias bombs,
reject merge keys, duplicate keys, oversize files and deep nesting, and flag the YAML 1.1 traps
(unquoted dates, ``yes``/``on`` booleans, octal-looking integers) with a rule name and a 1-based
``line:col`` that ``validate-spec`` prints.

Why unit tests and not replay tests: recorded traffic only exercises the shipped, well-formed
specs; none of them contains an anchor, a ``!!python`` tag or a duplicate key, so the hostile
inputs and the exact positions reported for them can only be checked by feeding crafted YAML
text to the loader directly.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import yaml

from specwire.spec.loader import MAX_DEPTH, MAX_FILE_BYTES, load_file, load_text


@pytest.fixture(autouse=True, params=["libyaml", "pure-python"])
def composer(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run every test through both composers: libyaml's (when PyYAML has it) and the pure-Python
    fallback, which must report the same problems at the same places."""
    if request.param == "libyaml":
        if getattr(yaml, "CSafeLoader", None) is None:
            pytest.skip("PyYAML was built without libyaml")
    else:
        monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    return str(request.param)


def rules(loaded) -> list[str]:
    return [i.rule for i in loaded.issues]


def at(loaded, rule: str) -> list[tuple[int, int]]:
    return [(i.line, i.col) for i in loaded.issues if i.rule == rule]


# --------------------------------------------------------------------------- clean input, source map
def test_clean_yaml_has_no_issues_and_plain_data() -> None:
    text = "provider: demo\nheaders:\n  anthropic-version: \"2023-06-01\"\nlist:\n  - 1\n  - {a: true}\n"
    loaded = load_text(text, "demo.yaml")
    assert loaded.issues == []
    assert loaded.data == {"provider": "demo", "headers": {"anthropic-version": "2023-06-01"}, "list": [1, {"a": True}]}
    assert loaded.file == "demo.yaml"


def test_source_map_gives_one_based_line_and_col_of_each_node() -> None:
    text = (
        "provider: demo\n"          # line 1
        "stream:\n"                 # line 2
        "  framing: sse\n"          # line 3
        "  events:\n"               # line 4
        "    - {when: a, emit: b}\n"  # line 5
        "    - when: c\n"           # line 6
        "      emit: d\n"           # line 7
    )
    loaded = load_text(text, "demo.yaml")
    assert loaded.issues == []
    src = loaded.source
    assert src.locate(("provider",)) == ("demo.yaml", 1, 11)
    assert src.locate(("stream", "framing")) == ("demo.yaml", 3, 12)
    assert src.locate(("stream", "events", 0)) == ("demo.yaml", 5, 7)
    assert src.locate(("stream", "events", 0, "emit")) == ("demo.yaml", 5, 23)
    assert src.locate(("stream", "events", 1, "emit")) == ("demo.yaml", 7, 13)
    # a path that does not exist resolves to its deepest known ancestor
    assert src.locate(("stream", "events", 1, "emit", "nope")) == ("demo.yaml", 7, 13)


# --------------------------------------------------------------------------- duplicate keys
def test_duplicate_key_is_an_issue_at_the_second_occurrence() -> None:
    text = "a: 1\nb:\n  c: 2\n  d: 0\n  c: 3\n"
    loaded = load_text(text)
    assert rules(loaded) == ["duplicate-key"]
    assert at(loaded, "duplicate-key") == [(5, 3)]
    assert "'c'" in loaded.issues[0].message


def test_duplicate_top_level_key_in_flow_mapping() -> None:
    loaded = load_text("x: {k: 1, k: 2}\n")
    assert at(loaded, "duplicate-key") == [(1, 11)]


# --------------------------------------------------------------------------- YAML 1.1 traps
@pytest.mark.parametrize(
    ("text", "rule", "pos", "value"),
    [
        ("version: 2023-06-01\n", "yaml-date", (1, 10), "2023-06-01"),  # kept as a string, flagged
        ("when: 2023-06-01 10:00:00\n", "yaml-date", (1, 7), "2023-06-01 10:00:00"),
        ("flag: yes\n", "yaml-truthy", (1, 7), True),
        ("flag: no\n", "yaml-truthy", (1, 7), False),
        ("flag: on\n", "yaml-truthy", (1, 7), True),
        ("flag: Off\n", "yaml-truthy", (1, 7), False),
        ("n: 010\n", "yaml-octal", (1, 4), 8),
        ("n: -012\n", "yaml-octal", (1, 4), -10),
    ],
)
def test_yaml_11_traps_are_flagged_with_rule_and_position(text: str, rule: str, pos: tuple[int, int], value: object) -> None:
    loaded = load_text(text)
    assert rules(loaded) == [rule]
    assert at(loaded, rule) == [pos]
    assert list(loaded.data.values()) == [value]


def test_unquoted_date_is_kept_as_the_original_string_not_a_date() -> None:
    loaded = load_text("headers:\n  anthropic-version: 2023-06-01\n")
    value = loaded.data["headers"]["anthropic-version"]
    assert value == "2023-06-01" and type(value) is str
    assert at(loaded, "yaml-date") == [(2, 22)]


@pytest.mark.parametrize(
    "text",
    [
        'v: "2023-06-01"\n',
        "v: '2023-06-01'\n",
        "v: true\n",
        "v: False\n",
        "v: 'yes'\n",
        'v: "010"\n',
        "v: 10\n",
        "v: 0\n",
        "v: 0x1F\n",
        "v: 1.5\n",
    ],
)
def test_quoted_or_unambiguous_scalars_are_not_flagged(text: str) -> None:
    assert load_text(text).issues == []


def test_truthy_keys_are_flagged_as_non_string_keys() -> None:
    loaded = load_text("on: push\n1: a\n")
    assert {i.rule for i in loaded.issues} >= {"yaml-key"}
    # keys stay strings in the tree so that later checks can still name them
    assert set(loaded.data) == {"on", "1"}


# --------------------------------------------------------------------------- anchors, aliases, merge keys
def test_anchor_and_alias_are_refused_and_never_resolved() -> None:
    text = "base: &b {x: 1}\nother: *b\n"
    loaded = load_text(text)
    assert set(rules(loaded)) == {"yaml-anchor", "yaml-alias"}
    assert at(loaded, "yaml-anchor") == [(1, 7)]
    assert at(loaded, "yaml-alias") == [(2, 8)]
    # the alias was never resolved: either loading stopped, or the alias is a placeholder
    assert loaded.data is None or loaded.data["other"] is None


def _alias_bomb(levels: int = 9) -> str:
    names = [chr(ord("a") + i) for i in range(levels + 1)]
    lines = [f'{names[0]}: &{names[0]} ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, cur in zip(names, names[1:]):
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_alias_bomb_returns_quickly_without_expansion() -> None:
    bomb = _alias_bomb(9)  # 9**10 strings if expanded
    start = time.perf_counter()
    loaded = load_text(bomb)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, f"alias bomb took {elapsed:.2f}s"
    assert "yaml-alias" in rules(loaded) and "yaml-anchor" in rules(loaded)
    # nothing was expanded: loading stopped, or every alias became a placeholder
    assert loaded.data is None or loaded.data["j"] == [None] * 9
    assert len(repr(loaded.data)) < 5000


def test_merge_key_is_refused() -> None:
    loaded = load_text("d:\n  <<: {x: 1}\n  y: 2\n")
    assert rules(loaded) == ["yaml-merge"]
    assert at(loaded, "yaml-merge") == [(2, 3)]
    assert loaded.data == {"d": {"y": 2}}  # the merged-in key did not appear


def test_merge_key_through_an_alias_is_refused_on_every_count() -> None:
    loaded = load_text("base: &b {x: 1}\nd:\n  <<: *b\n  y: 2\n")
    assert {"yaml-anchor", "yaml-alias"} <= set(rules(loaded))
    assert set(rules(loaded)) <= {"yaml-anchor", "yaml-alias", "yaml-merge"}
    assert loaded.data is None or "x" not in loaded.data["d"]


# --------------------------------------------------------------------------- tags: nothing is executed
@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.system",
        "!!python/object/new:os.system",
        "!!python/object/apply:subprocess.check_output",
    ],
)
def test_python_tags_are_refused_and_nothing_executes(tag: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    canary = tmp_path / "pwned"
    calls: list[object] = []
    monkeypatch.setattr(os, "system", lambda *a, **k: calls.append(a) or 0)
    text = f'x: {tag} ["touch {canary}"]\ny: 1\n'
    loaded = load_text(text)
    assert rules(loaded) == ["yaml-tag"]
    assert at(loaded, "yaml-tag") == [(1, 4)]
    assert loaded.data == {"x": None, "y": 1}
    assert calls == []
    assert not canary.exists()


@pytest.mark.parametrize("text", ["a: !!python/name:os.system ''\n", "a: !custom x\n", "a: !!binary aGVsbG8=\n", "a: !!set {x, y}\n"])
def test_non_core_tags_are_refused(text: str) -> None:
    loaded = load_text(text)
    assert rules(loaded) == ["yaml-tag"]
    assert loaded.data == {"a": None}


# --------------------------------------------------------------------------- caps
def test_text_over_the_size_cap_is_refused_without_parsing() -> None:
    loaded = load_text("a: " + "x" * MAX_FILE_BYTES + "\n")
    assert rules(loaded) == ["file-size"]
    assert loaded.data is None


def test_text_at_the_size_cap_is_parsed() -> None:
    body = "a: "
    loaded = load_text(body + "x" * (MAX_FILE_BYTES - len(body)))
    assert loaded.issues == []


def test_size_cap_counts_utf8_bytes_not_characters() -> None:
    # 3 bytes per character: under the cap in characters, over it in bytes
    loaded = load_text("a: " + "€" * (MAX_FILE_BYTES // 3 + 10))
    assert rules(loaded) == ["file-size"]


def test_load_file_size_cap_checked_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: " + b"x" * MAX_FILE_BYTES)
    loaded = load_file(big)
    assert rules(loaded) == ["file-size"]
    assert str(MAX_FILE_BYTES) in loaded.issues[0].message
    assert loaded.file == str(big)


def test_load_file_reads_and_locates(tmp_path: Path) -> None:
    f = tmp_path / "demo.yaml"
    f.write_text("provider: demo\nv: 2023-06-01\n", encoding="utf-8")
    loaded = load_file(f)
    assert loaded.data == {"provider": "demo", "v": "2023-06-01"}
    assert [(i.file, i.line, i.col, i.rule) for i in loaded.issues] == [(str(f), 2, 4, "yaml-date")]


def test_load_file_non_utf8_and_missing_file_are_issues(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"a: \xff\xfe\n")
    assert rules(load_file(bad)) == ["encoding"]
    assert rules(load_file(tmp_path / "missing.yaml")) == ["file"]


def _nested_flow(depth: int) -> str:
    return "a: " + "[" * depth + "]" * depth + "\n"


def test_nesting_at_the_cap_is_accepted() -> None:
    # the root mapping is depth 0 and `a`'s value depth 1, so MAX_DEPTH - 1 brackets reach MAX_DEPTH
    assert load_text(_nested_flow(MAX_DEPTH)).issues == []


def test_nesting_beyond_the_cap_is_an_issue_with_a_position() -> None:
    loaded = load_text(_nested_flow(MAX_DEPTH + 5))
    assert rules(loaded) == ["yaml-depth"]
    line, col = at(loaded, "yaml-depth")[0]
    assert line == 1 and col > 1


def test_block_nesting_beyond_the_cap_is_an_issue() -> None:
    text = "a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, MAX_DEPTH + 5))
    loaded = load_text(text)
    assert "yaml-depth" in rules(loaded)


def test_pathologically_deep_nesting_is_an_issue_not_a_recursion_error() -> None:
    loaded = load_text(_nested_flow(1000))
    assert rules(loaded) == ["yaml-depth"]


@pytest.mark.parametrize("text", [_nested_flow(1500), "a: " + "{b: " * 1500 + "}" * 1500 + "\n", "- " * 1500 + "x\n"], ids=["flow-seq", "flow-map", "block-seq"])
def test_nesting_past_the_parsers_own_limit_is_yaml_depth(text: str) -> None:
    """Deeper than libyaml's own nesting limit (1000 levels in the libyaml of PyYAML 6.0.4, none in
    older ones): whichever of the parser, the composer or the depth cap stops it first, the finding
    is `yaml-depth` at a position, never a syntax error or a crash."""
    loaded = load_text(text, "deep.yaml")
    assert rules(loaded) == ["yaml-depth"]
    assert loaded.data is None
    issue = loaded.issues[0]
    assert issue.file == "deep.yaml" and issue.line == 1 and issue.col > 1


def _fail_at(monkeypatch: pytest.MonkeyPatch, composer: str, text: str, index: int, problem: str) -> None:
    """Make the YAML parser in use fail at ``text[index]`` with ``problem`` (any wording), as
    libyaml does when it stops deep nesting itself."""
    line = text.count("\n", 0, index)
    column = index - (text.rfind("\n", 0, index) + 1)
    error = yaml.scanner.ScannerError("while scanning", None, problem, yaml.Mark("<s>", index, line, column, None, None))

    def fail(*args: object, **kwargs: object) -> object:
        raise error

    if composer == "libyaml":
        monkeypatch.setattr(yaml, "parse", fail)
    else:
        from specwire.spec import loader

        monkeypatch.setattr(loader._Loader, "get_single_node", fail)


@pytest.mark.parametrize("problem", ["exceeded maximum nesting depth", "something new in a later libyaml"])
def test_a_parser_error_deep_in_the_nesting_is_yaml_depth_whatever_its_wording(composer: str, monkeypatch: pytest.MonkeyPatch, problem: str) -> None:
    """The rule comes from the nesting depth at the error's position, counted by the loader, not
    from the parser's message."""
    text = _nested_flow(MAX_DEPTH + 20)
    _fail_at(monkeypatch, composer, text, 3 + MAX_DEPTH + 10, problem)
    loaded = load_text(text)
    assert rules(loaded) == ["yaml-depth"]
    assert at(loaded, "yaml-depth")[0][0] == 1


def test_a_parser_error_in_shallow_yaml_stays_a_syntax_error_whatever_its_wording(composer: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The parser's depth wording alone does not make a `yaml-depth` finding: at the error's
    position the nesting is shallow.  Nor does deep nesting after the error's position."""
    text = "a: [1, 2]\nb: 3\nc: " + "[" * (MAX_DEPTH + 20) + "]" * (MAX_DEPTH + 20) + "\n"
    _fail_at(monkeypatch, composer, text, 12, "exceeded maximum nesting depth")
    loaded = load_text(text)
    assert rules(loaded) == ["yaml-syntax"]
    assert at(loaded, "yaml-syntax") == [(2, 3)]


# --------------------------------------------------------------------------- syntax errors, odd documents
def test_syntax_error_is_located() -> None:
    loaded = load_text("a: [1, 2\nb: 3\n", "x.yaml")
    assert rules(loaded) == ["yaml-syntax"]
    issue = loaded.issues[0]
    assert (issue.file, issue.line, issue.col) == ("x.yaml", 2, 2)
    assert issue.format().startswith("x.yaml:2:2: error [yaml-syntax]")
    assert loaded.data is None


def test_bad_indentation_is_located_on_its_line() -> None:
    loaded = load_text("a:\n  b: 1\n c: 2\n")
    assert rules(loaded) == ["yaml-syntax"]
    assert loaded.issues[0].line == 3


def test_multiple_documents_are_a_syntax_issue() -> None:
    loaded = load_text("a: 1\n---\nb: 2\n")
    assert rules(loaded) == ["yaml-syntax"]
    assert loaded.issues[0].line == 2


def test_empty_text_is_an_issue() -> None:
    loaded = load_text("")
    assert rules(loaded) == ["empty"]
    assert loaded.data is None


def test_complex_key_is_refused() -> None:
    loaded = load_text("? [a]\n: 1\n")
    assert rules(loaded) == ["yaml-key"]
    assert loaded.data == {}
