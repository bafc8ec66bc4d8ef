"""``validate-spec`` runs every event rule against recorded samples (docs/RELIABILITY.md T3).

What this protects: a mistyped JMESPath path (``delta.contnet``) resolves to null without any error
and silently drops every text delta; the schema and compile checks cannot see it, only data can.
``validate-spec`` replays the real recordings shipped in ``specwire.samples`` (and those of
``--samples DIR``) through each clean spec and fails when a rule's required field is null on every
frame the rule matched (``mapping-null``), or when a sample does not replay (``sample-replay``).

Pinned here: the typo is caught at the field's line and column, in text and JSON output; a correct
override passes; ``--samples`` folders (the tests/fixtures layout) are used, and broken ones
reported; an inherited rule is reported only at the file that defines it; no built-in spec has a
finding against the shipped samples *or* against the whole fixture corpus (no false positives),
while the check is not vacuous (every family replays samples and checks rules); and the shipped
samples are byte-for-byte copies of real recordings in tests/fixtures.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from specwire.cli.validate import main, validate_paths
from specwire.mapping import EventMapper
from specwire.registry import SpecRegistry
from specwire.spec.samples import builtin_samples, fits, replay, required_groups

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
SAMPLES = ROOT / "samples"
PROVIDERS = sorted((ROOT / "providers.d").glob("*.yaml"))
TEXT_CASE = FIXTURES / "openai" / "chat-stream-text-usage-final-chunk"

TYPO = """spec_version: 1
provider: openai-typo
extends: openai
stream:
  events:
    text:
      when: "data.choices[0].delta.content"
      emit: text_delta
      delta: data.choices[0].delta.contnet
"""
CORRECT = TYPO.replace("delta.contnet", "delta.content")


def spec(folder: Path, text: str, name: str = "openai-typo") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text.replace("provider: openai-typo", f"provider: {name}"), encoding="utf-8")
    return path


def run_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict[str, Any]]]:
    code = main(["--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)


def sample_case(folder: Path, provider: str, body: bytes, **replay: Any) -> Path:
    """A case folder holding a recorded body (copied from tests/fixtures) and a minimal case.yaml."""
    folder.mkdir(parents=True)
    (folder / "stream.sse").write_bytes(body)
    case = {"replay": {"provider": provider, "body": "stream.sse", "stream": True, "framing": "sse", **replay}, "request_summary": {"model": "gpt-4o-mini"}}
    (folder / "case.yaml").write_text(yaml.safe_dump(case), encoding="utf-8")
    return folder


# ---------------------------------------------------------------------------- the typo
def test_typo_is_caught_at_the_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = spec(tmp_path, TYPO)
    code, items = run_json([str(path)], capsys)
    assert code == 1
    assert items == [
        {
            "file": str(path),
            "line": 9,
            "col": 14,
            "level": "error",
            "rule": "mapping-null",
            "path": "stream.events.text.delta",
            "message": "delta resolved to null on every one of the 8 frames its rule matched in sample openai/chat-stream-text-usage-final-chunk (a mistyped path?)",
        }
    ]
    assert main([str(path)]) == 1
    assert capsys.readouterr().out.startswith(f"{path}:9:14: error [mapping-null] stream.events.text.delta: delta resolved to null")


def test_correct_override_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(spec(tmp_path, CORRECT))]) == 0
    assert capsys.readouterr().out == ""


def test_inherited_rule_is_its_own_files_business(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A child that does not redefine the mistyped rule is clean; the parent file carries the error."""
    parent = spec(tmp_path, TYPO)
    child = spec(tmp_path, "spec_version: 1\nprovider: child\nextends: openai-typo\nbase_url: https://child.example/v1\nenv: {api_key: CHILD_API_KEY}\n", "child")
    assert run_json([str(child)], capsys) == (0, [])
    code, items = run_json([str(parent), str(child)], capsys)
    assert code == 1 and [(i["file"], i["rule"]) for i in items] == [(str(parent), "mapping-null")]


def test_set_only_rules_and_sometimes_null_fields_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No false positives: a field that is null on some matched frames only (here `delta` on the
    last chunk, whose delta is empty) is fine, and so is a rule whose only output besides the part
    is metadata (`set`, optional by nature)."""
    text = TYPO.replace('"data.choices[0].delta.content"', '"data.choices[0]"').replace("delta.contnet", "delta.content") + (
        "    opener:\n"
        "      when: \"data.choices[0].delta.role\"\n"
        "      emit: text_delta\n"
        "      set: {phase: 'data.choices[0].delta.phase'}\n"
    )
    assert run_json([str(spec(tmp_path, text))], capsys) == (0, [])


def test_user_file_reusing_a_builtin_id_gets_no_builtin_samples(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`openai.yaml` with `override: true` for another wire API (it extends a small spec of its
    own) is not replayed the built-in's recordings; one that extends the built-in is."""
    base = spec(tmp_path, "spec_version: 1\nprovider: base\nbase_url: https://base.example/v1\nauth: {scheme: bearer}\n"
                "request: {path: /chat, body: {model: '{{ model }}'}}\nresponse: {events: {text: {when: text, emit: text, text: text}}}\n"
                "stream: {framing: sse, events: {text: {when: data.delta, emit: text_delta, delta: data.delta}}}\n", "base")
    other = spec(tmp_path, "spec_version: 1\nprovider: openai\noverride: true\nextends: base\n", "openai")
    code, items = run_json([str(other)], capsys)
    assert code == 0 and {i["rule"] for i in items} == {"builtin-override"}, items
    proxy = spec(tmp_path / "proxy", TYPO.replace("extends: openai", "override: true\nextends: openai"), "openai")
    code, items = run_json([str(proxy)], capsys)
    assert code == 1 and {i["rule"] for i in items} == {"builtin-override", "mapping-null"}, items
    assert base.exists()


# ---------------------------------------------------------------------------- --samples
def test_samples_folder_is_replayed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A user's own provider with its own recording: `--samples DIR` (DIR/<provider>/<case>/)."""
    path = spec(tmp_path / "specs", TYPO, "acme")
    samples = tmp_path / "recorded"
    case = sample_case(samples / "acme" / "text", "acme", (TEXT_CASE / "stream.sse").read_bytes())
    code, items = run_json(["--no-builtin-samples", "--samples", str(samples), str(path)], capsys)
    assert code == 1
    assert [(i["rule"], i["line"], i["col"]) for i in items] == [("mapping-null", 9, 14)]
    assert f"in sample {case}" in items[0]["message"]
    assert run_json(["--no-builtin-samples", str(path)], capsys) == (0, [])  # no sample, no finding


def test_fixtures_layout_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """tests/fixtures/openai as it is: every openai chat case is replayed; the Responses cases fit
    openai-responses, not this spec (a `sample-unused` warning each), and the error-status cases
    are skipped."""
    path = spec(tmp_path, TYPO)
    code, items = run_json(["--no-builtin-samples", "--samples", str(FIXTURES / "openai"), str(path)], capsys)
    errors = [i for i in items if i["level"] == "error"]
    assert code == 1 and [i["rule"] for i in errors] == ["mapping-null"]
    named = errors[0]["message"].split(" in samples ")[1]
    assert str(FIXTURES / "openai" / "chat-stream-text-usage-final-chunk") in named
    assert "responses-" not in named
    unused = sorted(Path(i["file"]).name for i in items if i["rule"] == "sample-unused")
    assert unused == ["responses-stream-error-event-insufficient-quota", "responses-stream-function-call", "responses-stream-reasoning-summary", "responses-stream-text"]


def test_sample_that_does_not_parse(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A recorded body cut inside its first event's JSON does not replay: `sample-replay`, at the
    spec's `stream:` key."""
    path = spec(tmp_path / "specs", CORRECT)
    body = (TEXT_CASE / "stream.sse").read_bytes()
    first = body.index(b"data: {")
    broken = body[: first + 20] + b"\n\n" + body[first:]
    case = sample_case(tmp_path / "recorded" / "cut", "openai", broken)
    code, items = run_json(["--no-builtin-samples", "--samples", str(case), str(path)], capsys)
    assert code == 1
    assert [(i["rule"], i["file"], i["line"], i["col"], i["path"]) for i in items] == [("sample-replay", str(path), 4, 1, "stream")]
    assert f"sample {case} does not replay through this spec: FramingError" in items[0]["message"]


def test_broken_sample_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = spec(tmp_path / "specs", CORRECT)
    bad = tmp_path / "recorded" / "no-replay"
    bad.mkdir(parents=True)
    (bad / "case.yaml").write_text("id: x\n", encoding="utf-8")
    escape = sample_case(tmp_path / "recorded" / "escape", "openai", b"")
    (escape / "case.yaml").write_text(yaml.safe_dump({"replay": {"provider": "openai", "body": "../../x.sse", "stream": True, "framing": "sse"}}), encoding="utf-8")
    missing = tmp_path / "nowhere"
    empty = tmp_path / "empty"
    empty.mkdir()
    code, items = run_json(["--samples", str(tmp_path / "recorded"), "--samples", str(missing), "--samples", str(empty), str(path)], capsys)
    assert code == 1
    got = {(Path(i["file"]), i["rule"], i["level"]) for i in items}
    assert got == {
        (bad / "case.yaml", "sample-replay", "error"),
        (escape / "case.yaml", "sample-replay", "error"),
        (missing, "sample-replay", "error"),
        (empty, "sample-replay", "error"),
    }
    messages = " | ".join(i["message"] for i in items)
    assert "no `replay` block" in messages and "inside the case folder" in messages and "no such sample folder" in messages


def test_sample_fitting_no_spec_is_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = spec(tmp_path / "specs", CORRECT)
    case = sample_case(tmp_path / "recorded" / "other", "someone-else", (TEXT_CASE / "stream.sse").read_bytes())
    code, items = run_json(["--samples", str(case), str(path)], capsys)
    assert code == 0 and [(i["file"], i["rule"], i["level"]) for i in items] == [(str(case), "sample-unused", "warning")]
    assert main(["--strict", "--samples", str(case), str(path)]) == 2


# ---------------------------------------------------------------------------- no false positives
def test_builtins_are_clean_against_the_whole_fixture_corpus() -> None:
    """Every built-in spec against every recorded fixture that fits it (not just the shipped few)."""
    issues = validate_paths([str(p) for p in PROVIDERS], [str(FIXTURES)])
    assert issues == [], "\n".join(i.format() for i in issues)  # type: ignore[attr-defined]


def _replay_watching(spec: Any, samples: list[Any]) -> tuple[list[str | None], set[int]]:
    """``(each sample's replay failure, the serials of the rules with required fields that fired)``."""
    checked: set[int] = set()

    def observe(rule: Any, fields: dict[str, Any], meta: dict[str, Any]) -> None:
        if required_groups(rule):
            checked.add(rule.serial)

    return [replay(spec, s, observe) for s in samples], checked


def test_the_check_is_not_vacuous() -> None:
    """Every built-in spec of a family with shipped samples replays at least one of them cleanly
    and checks the required fields of several rules (so "clean" above means something)."""
    registry = SpecRegistry(user_config=False, env={})
    shipped, problems = builtin_samples()
    assert problems == []
    families = {s.provider for s in shipped}
    for path in PROVIDERS:
        result = registry.lint_file(path)
        assert result.spec is not None, path
        assert result.builtin_chain == result.chain
        if not families & set(result.chain):
            continue
        fitting = [s for s in shipped if fits(s, result.spec, result.chain)]
        assert fitting, path.name
        failures, checked = _replay_watching(result.spec, fitting)
        assert failures == [None] * len(fitting), path.name
        assert len(checked) >= 3, (path.name, len(checked))


# ---------------------------------------------------------------------------- the shipped samples
def _shipped() -> list[Path]:
    return sorted(p for p in SAMPLES.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def test_shipped_samples_cover_the_builtin_families() -> None:
    providers = {yaml.safe_load((p / "case.yaml").read_text(encoding="utf-8"))["replay"]["provider"] for p in _shipped()}
    assert {"openai", "openai-responses", "anthropic", "gemini", "cohere", "bedrock"} <= providers
    assert sorted(s.name for s in builtin_samples()[0]) == sorted(yaml.safe_load((p / "case.yaml").read_text(encoding="utf-8"))["id"] for p in _shipped())


@pytest.mark.parametrize("folder", _shipped(), ids=lambda p: p.name)
def test_shipped_sample_is_a_recorded_fixture(folder: Path) -> None:
    """Only real recordings: the case.yaml and its body file, byte for byte those of
    tests/fixtures/<id>/, small, and listed in samples/README.md."""
    data = yaml.safe_load((folder / "case.yaml").read_text(encoding="utf-8"))
    origin = FIXTURES / data["id"]
    assert origin.name == folder.name
    assert {p.name for p in folder.iterdir()} == {"case.yaml", data["replay"]["body"]}
    for f in folder.iterdir():
        assert f.read_bytes() == (origin / f.name).read_bytes(), f"{f} differs from {origin / f.name}"
    assert (folder / data["replay"]["body"]).stat().st_size <= 32 * 1024  # the wheel carries them
    assert not data["replay"].get("status"), "an error-status case exercises no event rule"
    assert f"| `{data['id']}` | {data['replay']['provider']} | `{folder.name}/` |" in (SAMPLES / "README.md").read_text(encoding="utf-8")


def test_shipped_samples_work_as_a_samples_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The shipped folder works as a `--samples DIR` too (same loader, paths as names)."""
    copy = tmp_path / "copy"
    shutil.copytree(SAMPLES, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert run_json(["--no-builtin-samples", "--samples", str(copy), *map(str, PROVIDERS)], capsys) == (0, [])


# ---------------------------------------------------------------------------- the mapper hook
def test_observer_sees_fields_before_usage_numbers() -> None:
    spec_ = SpecRegistry(user_config=False, env={}).get("openai")
    seen: list[tuple[str | None, dict[str, Any]]] = []
    mapper = EventMapper(spec_.stream.rules, spec_.usage, observe=lambda rule, fields, meta: seen.append((rule.emit, fields)))
    usage = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
    raw = mapper.map(None, {"choices": [{"index": 0, "delta": {"content": "hi"}}], "usage": usage})
    assert ("text_delta", "hi") in [(e, f.get("delta")) for e, f in seen]
    assert any(e == "usage" and f.get("usage") == usage for e, f in seen)
    assert any(kind == "usage" and "usage" not in fields for kind, fields, _ in raw)
