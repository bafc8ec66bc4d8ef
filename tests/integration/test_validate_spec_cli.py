"""``validate-spec`` end to end: the console script and ``specwire.cli.validate.main`` on the broken
spec corpus (tests/fixtures/broken_specs), compared with the expectations recorded as data in its
EXPECTED.txt; exit statuses; the ``--format json|github`` shapes; ``--strict``; and no network.

What this protects: the linter is the user's first contact with a spec mistake, and CI pipelines
parse its output.  The unit tests (tests/unit/test_checks.py) pin each rule on a snippet; this
module pins what a user actually sees for realistic broken files, through the installed console
script, and that linting never opens a socket or imports code named in a spec.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from specwire.cli.validate import main, validate_paths

ROOT = Path(__file__).resolve().parents[2]
BROKEN = ROOT / "tests" / "fixtures" / "broken_specs"
PROVIDERS = sorted((ROOT / "providers.d").glob("*.yaml"))
BIN = Path(sys.executable).parent
VALIDATE = BIN / "validate-spec"

_PREFIX = re.compile(r"^(?P<prefix>\S+:\d+:\d+: (?:error|warning) \[[a-z0-9-]+\])(?P<rest>.*)$")
_GITHUB = re.compile(r"^::(error|warning) file=[^,]+,line=\d+,col=\d+,title=[a-z0-9-]+::\S.*$")


# ---------------------------------------------------------------------------- EXPECTED.txt
def load_expected() -> dict[str, list[tuple[str, str | None]]]:
    """``{spec file: [(prefix, text-or-None), ...]}`` from EXPECTED.txt (format in its header)."""
    sections: dict[str, list[tuple[str, str | None]]] = {}
    current: list[tuple[str, str | None]] | None = None
    for raw in (BROKEN / "EXPECTED.txt").read_text(encoding="utf-8").splitlines():
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        assert current is not None, f"EXPECTED.txt: a line before the first [section]: {line!r}"
        prefix, sep, text = line.partition(" ~ ")
        assert _PREFIX.match(prefix), f"EXPECTED.txt: not a `file:line:col: level [rule]` prefix: {prefix!r}"
        current.append((prefix, text if sep else None))
    return sections


EXPECTED = load_expected()
TOP_LEVEL = [name for name in EXPECTED if "/" not in name]


def compare(output: str, expected: list[tuple[str, str | None]]) -> None:
    """Exactly the expected lines (as a multiset of prefixes), each containing its text."""
    lines = [line for line in output.splitlines() if line.strip()]
    parsed = []
    for line in lines:
        m = _PREFIX.match(line)
        assert m, f"not a validate-spec line: {line!r}"
        parsed.append((m["prefix"], m["rest"]))
    want = Counter(prefix for prefix, _ in expected)
    got = Counter(prefix for prefix, _ in parsed)
    assert got == want, "validate-spec output differs from EXPECTED.txt\n  missing: {}\n  unexpected: {}\n--- output ---\n{}".format(
        sorted((want - got).elements()), sorted((got - want).elements()), output
    )
    for prefix, text in expected:
        if text is not None:
            assert any(p == prefix and text in rest for p, rest in parsed), f"{prefix}: expected {text!r} in the message\n--- output ---\n{output}"


# ---------------------------------------------------------------------------- helpers
def guarded_env(tmp_path: Path) -> dict[str, str]:
    """An environment for a child process in which any network use fails and is logged: proxies
    point at a closed loopback port, and a ``sitecustomize`` refuses every DNS lookup and connect
    (logging it to ``net.log``)."""
    guard = tmp_path / "guard"
    guard.mkdir(exist_ok=True)
    log = tmp_path / "net.log"
    (guard / "sitecustomize.py").write_text(
        "import socket\n"
        f"_LOG = {str(log)!r}\n"
        "def _deny(*args, **kwargs):\n"
        "    with open(_LOG, 'a') as f:\n"
        "        f.write(repr(args[1:] if args and isinstance(args[0], socket.socket) else args) + '\\n')\n"
        "    raise OSError('network disabled by the test')\n"
        "def _connect(self, *args):\n"
        "    if self.family in (socket.AF_INET, socket.AF_INET6):\n"
        "        return _deny(self, *args)\n"
        "    return _real_connect(self, *args)\n"
        "_real_connect = socket.socket.connect\n"
        "socket.socket.connect = _connect\n"
        "socket.socket.connect_ex = _connect\n"
        "socket.getaddrinfo = _deny\n"
        "socket.create_connection = _deny\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and k != "SPECWIRE_PROVIDERS_PATH"}
    env.update(
        PYTHONPATH=str(guard),
        HTTPS_PROXY="http://127.0.0.1:9",
        HTTP_PROXY="http://127.0.0.1:9",
        ALL_PROXY="http://127.0.0.1:9",
        https_proxy="http://127.0.0.1:9",
        http_proxy="http://127.0.0.1:9",
        NO_PROXY="",
        XDG_CONFIG_HOME=str(tmp_path / "xdg"),
    )
    return env


def run(args: list[str], tmp_path: Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(VALIDATE), *args], cwd=cwd, env=guarded_env(tmp_path), capture_output=True, text=True, timeout=60)
    log = tmp_path / "net.log"
    assert not log.exists(), f"validate-spec tried to use the network: {log.read_text()}"
    assert "Traceback" not in result.stderr, result.stderr
    return result


def run_main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    out = capsys.readouterr().out
    return code, out


# ---------------------------------------------------------------------------- the corpus
def test_expected_covers_every_broken_spec() -> None:
    files = {str(p.relative_to(BROKEN)) for p in BROKEN.rglob("*.yaml")}
    assert files == set(EXPECTED), f"EXPECTED.txt sections and files differ: {sorted(files ^ set(EXPECTED))}"
    assert all(EXPECTED[name] for name in EXPECTED), "every broken spec must produce at least one issue"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_main_on_each_broken_spec(name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(BROKEN)
    code, out = run_main([name], capsys)
    compare(out, EXPECTED[name])
    assert code == 1


def test_console_script_on_the_broken_folder(tmp_path: Path) -> None:
    """One run over the folder (a folder argument means every YAML file directly in it): the
    output is every top-level section of EXPECTED.txt."""
    result = run(["."], tmp_path, cwd=BROKEN)
    compare(result.stdout, [line for name in sorted(TOP_LEVEL) for line in EXPECTED[name]])
    assert result.returncode == 1


def test_console_script_on_the_shadowing_spec_github_format(tmp_path: Path) -> None:
    """The spec that shadows a built-in sits in its own folder (on one search path with the other
    broken specs it would shadow their `extends: openai`); run it with `--format github`."""
    (name,) = [n for n in EXPECTED if "/" in n]
    result = run(["--format", "github", name], tmp_path, cwd=BROKEN)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines and all(_GITHUB.match(line) for line in lines), result.stdout
    as_text = []
    for line in lines:
        m = re.match(r"^::(\w+) file=([^,]+),line=(\d+),col=(\d+),title=([a-z0-9-]+)::", line)
        assert m
        as_text.append(f"{m[2]}:{m[3]}:{m[4]}: {m[1]} [{m[5]}]")
    assert Counter(as_text) == Counter(prefix for prefix, _ in EXPECTED[name])


# ---------------------------------------------------------------------------- clean specs
def test_console_script_builtins_are_clean(tmp_path: Path) -> None:
    result = run([str(p.relative_to(ROOT)) for p in PROVIDERS], tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_main_builtins_are_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main([str(p) for p in PROVIDERS], capsys) == (0, "")


def test_main_on_a_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main([str(ROOT / "providers.d")], capsys) == (0, "")


def test_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out = run_main([str(tmp_path / "nope.yaml")], capsys)
    assert code == 1
    assert out.startswith(f"{tmp_path / 'nope.yaml'}:1:1: error [file]")


# ---------------------------------------------------------------------------- formats
def test_format_json(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(BROKEN)
    code, out = run_main(["--format", "json", "several-problems.yaml"], capsys)
    assert code == 1
    items = json.loads(out)
    assert isinstance(items, list) and len(items) == len(EXPECTED["several-problems.yaml"])
    for item in items:
        assert set(item) == {"file", "line", "col", "level", "rule", "path", "message"}
        assert isinstance(item["line"], int) and isinstance(item["col"], int) and item["line"] >= 1 and item["col"] >= 1
        assert item["level"] in ("error", "warning")
        assert all(isinstance(item[k], str) for k in ("file", "rule", "path", "message"))
    as_text = Counter(f"{i['file']}:{i['line']}:{i['col']}: {i['level']} [{i['rule']}]" for i in items)
    assert as_text == Counter(prefix for prefix, _ in EXPECTED["several-problems.yaml"])
    assert {i["path"] for i in items} >= {"auth.scheme", "stream.framing"}


def test_format_json_clean_is_an_empty_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_main(["--format", "json", *map(str, PROVIDERS)], capsys)
    assert (code, json.loads(out)) == (0, [])


def test_format_github(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(BROKEN)
    code, out = run_main(["--format", "github", "several-problems.yaml", "yaml-anchor.yaml"], capsys)
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == len(EXPECTED["several-problems.yaml"]) + len(EXPECTED["yaml-anchor.yaml"])
    for line in lines:
        assert _GITHUB.match(line), line
    assert "::error file=several-problems.yaml,line=9,col=12,title=unknown-framing::" in out


# ---------------------------------------------------------------------------- --strict
def _override_spec(tmp_path: Path) -> Path:
    folder = tmp_path / "specs"
    folder.mkdir()
    path = folder / "openai.yaml"
    path.write_text("spec_version: 1\nprovider: openai\noverride: true\nextends: openai\nbase_url: https://openai-proxy.example.com/v1\n", encoding="utf-8")
    return path


def test_strict_clean_is_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(["--strict", *map(str, PROVIDERS)], capsys) == (0, "")


def test_strict_errors_are_one(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(BROKEN)
    assert run_main(["--strict", "unknown-framing.yaml"], capsys)[0] == 1


def test_override_of_a_builtin_is_a_warning(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """docs/RELIABILITY.md T4e: replacing a built-in needs `override: true` *plus a warning*; the linter
    must show that warning (exit 0), and `--strict` must fail on it with exit 2."""
    path = _override_spec(tmp_path)
    code, out = run_main([str(path)], capsys)
    assert code == 0
    assert f"{path}:1:1: warning [builtin-override]" in out, out
    code, out = run_main(["--strict", str(path)], capsys)
    assert code == 2, out
    assert "warning [builtin-override]" in out


# ---------------------------------------------------------------------------- --explain
def test_explain_prints_the_merged_spec(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = _override_spec(tmp_path)
    code, out = run_main(["--explain", str(path)], capsys)
    merged = json.loads(out[out.index("{"):])
    assert merged["base_url"] == "https://openai-proxy.example.com/v1"
    assert merged["stream"]["framing"] == "sse"  # inherited from the built-in openai spec


# ---------------------------------------------------------------------------- safety
# The in-process tests above run under conftest's socket guard (a connect raises); the console
# script runs with proxies on a closed port and a sitecustomize that refuses every lookup and
# connect (guarded_env), and `run` fails the test if anything was attempted.
def test_the_network_guard_works(tmp_path: Path) -> None:
    """The guard of the subprocess tests can fail: a child that connects is caught and logged."""
    code = "import socket\ntry:\n    socket.create_connection(('example.com', 443), timeout=1)\nexcept OSError:\n    pass\n"
    subprocess.run([sys.executable, "-c", code], env=guarded_env(tmp_path), timeout=60, check=True)
    assert (tmp_path / "net.log").exists()


def test_lint_does_not_import_httpx_or_hooks(tmp_path: Path) -> None:
    """Linting runs no hook code: hooks are looked up by name only (specwire.hooks docstring), so
    neither httpx nor any hook module is imported, and a module named in the spec is never imported."""
    (tmp_path / "specwire_cli_canary.py").write_text(f"open({str(tmp_path / 'imported')!r}, 'w').close()\n", encoding="utf-8")
    spec = tmp_path / "acme.yaml"
    spec.write_text('spec_version: 1\nprovider: acme\nextends: openai\nauth: {scheme: "specwire_cli_canary:auth"}\nstream: {framing: "specwire_cli_canary:Framing"}\n', encoding="utf-8")
    code = (
        "import sys\n"
        "from specwire.cli.validate import main\n"
        f"rc = main([{str(spec)!r}])\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('httpx', 'httpcore', 'specwire_cli_canary') or m.startswith(('specwire.auth', 'specwire.framing')))\n"
        "print('RC', rc, 'LOADED', loaded)\n"
    )
    env = guarded_env(tmp_path)
    env["PYTHONPATH"] += os.pathsep + str(tmp_path)
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert "Traceback" not in result.stderr, result.stderr
    assert "RC 1 LOADED []" in result.stdout, result.stdout
    assert "[unknown-auth-scheme]" in result.stdout and "[unknown-framing]" in result.stdout
    assert not (tmp_path / "imported").exists()
    assert not (tmp_path / "net.log").exists()


# ---------------------------------------------------------------------------- one folder, many files
FULL = (  # a minimal complete spec, 7 lines
    "spec_version: 1\n"
    "provider: {id}\n"
    "base_url: https://api.acme.example/v1\n"
    "auth: {{scheme: bearer}}\n"
    "request: {{path: /chat, body: {{model: '{{{{ model }}}}', messages: '{{{{ messages }}}}'}}}}\n"
    "response: {{events: {{text: {{when: text, emit: text, text: text}}}}}}\n"
    "stream: {{framing: sse, events: {{text: {{when: data.delta, emit: text_delta, delta: data.delta}}}}}}\n"
)
CHILD = "spec_version: 1\nprovider: {id}\nextends: {parent}\n"  # `extends` on line 3, column 10


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "specs"
    folder.mkdir()
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder


def _found(issues: list[object]) -> list[tuple[str, int, int, str]]:
    return sorted((Path(i.file).name, i.line, i.col, i.rule) for i in issues)  # type: ignore[attr-defined]


@pytest.mark.parametrize("broken", ["schema", "yaml-syntax"])
def test_a_broken_parent_is_reported_once_and_each_child_gets_one_note(tmp_path: Path, broken: str) -> None:
    """A refused spec that three siblings extend: its problem is printed once, and each sibling gets
    one short `extends-failed` note naming the file that failed (not the same error four times)."""
    base = FULL.format(id="base") + ("colour: blue\n" if broken == "schema" else "headers: {a: [1, 2}\n")
    folder = _folder(tmp_path, {"base": base, **{f"c{n}": CHILD.format(id=f"c{n}", parent="base") for n in (1, 2, 3)}})
    issues = validate_paths([str(folder)], builtin_samples=False)
    root = [i for i in issues if Path(i.file).name == "base.yaml"]  # type: ignore[attr-defined]
    assert [(i.line, i.rule) for i in root] == [(8, broken)]  # type: ignore[attr-defined]
    notes = [i for i in issues if i not in root]
    assert _found(notes) == [(f"c{n}.yaml", 3, 10, "extends-failed") for n in (1, 2, 3)]
    for note in notes:
        assert str(folder / "base.yaml") in note.message  # type: ignore[attr-defined]
        assert root[0].message not in note.message  # type: ignore[attr-defined]
    # one child alone: the note, and the root cause (once) so that the run says what is wrong
    alone = validate_paths([str(folder / "c1.yaml")], builtin_samples=False)
    assert _found(alone) == sorted([("base.yaml", 8, root[0].col, broken), ("c1.yaml", 3, 10, "extends-failed")])  # type: ignore[attr-defined]


def test_a_chain_of_children_names_the_root_file(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {
        "base": FULL.format(id="base") + "colour: blue\n",
        "mid": CHILD.format(id="mid", parent="base"),
        "leaf": CHILD.format(id="leaf", parent="mid"),
    })
    issues = validate_paths([str(folder)], builtin_samples=False)
    assert _found(issues) == [("base.yaml", 8, 1, "schema"), ("leaf.yaml", 3, 10, "extends-failed"), ("mid.yaml", 3, 10, "extends-failed")]
    (leaf,) = [i for i in issues if Path(i.file).name == "leaf.yaml"]  # type: ignore[attr-defined]
    assert str(folder / "base.yaml") in leaf.message  # type: ignore[attr-defined]


def test_the_loader_reports_a_broken_parent_once_too(tmp_path: Path) -> None:
    """Through the registry (what ``Client(spec_paths=...)`` loads): the parent's error carries its
    problem; each child's error is the one short note, naming the parent's file, with the child's
    file and line, and without a copy of the parent's problem."""
    from specwire import SpecError
    from specwire.registry import SpecRegistry

    folder = _folder(tmp_path, {"base": FULL.format(id="base") + "colour: blue\n", **{f"c{n}": CHILD.format(id=f"c{n}", parent="base") for n in (1, 2)}})
    registry = SpecRegistry([str(folder)], env={}, user_config=False)
    with pytest.raises(SpecError) as root:
        registry.get("base")
    assert (root.value.rule, Path(root.value.file or "").name, root.value.line) == ("schema", "base.yaml", 8)
    for child in ("c1", "c2"):
        with pytest.raises(SpecError) as info:
            registry.get(child)
        error = info.value
        assert (error.rule, Path(error.file or "").name, error.line) == ("extends-failed", f"{child}.yaml", 3)
        assert str(folder / "base.yaml") in str(error)
        assert root.value.issues[0].message not in str(error)
        assert [Path(i.file).name for i in error.issues] == [f"{child}.yaml"]


def test_a_yaml_error_in_one_file_hides_nothing_in_the_others(tmp_path: Path) -> None:
    """One run reports every file's findings: a YAML syntax error stops its own file only; a sibling
    that extends it still gets its own keys checked against the schema."""
    folder = _folder(tmp_path, {
        "aaa": FULL.format(id="aaa") + "headers: {a: [1, 2}\n",
        "bbb": FULL.format(id="bbb") + "colour: blue\n",
        "ccc": CHILD.format(id="ccc", parent="aaa") + "colour: red\n",
    })
    found = [(name, line, rule) for name, line, _col, rule in _found(validate_paths([str(folder)], builtin_samples=False))]
    assert found == [("aaa.yaml", 8, "yaml-syntax"), ("bbb.yaml", 8, "schema"), ("ccc.yaml", 3, "extends-failed"), ("ccc.yaml", 4, "schema")]


def test_every_layer_of_one_file_is_reported_in_one_run(tmp_path: Path) -> None:
    """YAML traps (a duplicate key), file rules (the provider name) and the schema, in one run."""
    text = FULL.format(id="wrong-name") + "display_name: A\ndisplay_name: B\ncolour: blue\n"
    folder = _folder(tmp_path, {"acme": text})
    found = _found(validate_paths([str(folder)], builtin_samples=False))
    assert found == [("acme.yaml", 2, 11, "provider-name"), ("acme.yaml", 9, 1, "duplicate-key"), ("acme.yaml", 10, 1, "schema")]


# ---------------------------------------------------------------------------- credential binding
def test_a_builtin_key_variable_sent_elsewhere_is_a_warning(tmp_path: Path) -> None:
    """A spec reading a built-in provider's key variable (OPENAI_API_KEY is bound to api.openai.com,
    specwire.binding) while its base_url points at another host lints with a warning at the
    base_url (a call would be refused), instead of passing and failing only at call time."""
    folder = _folder(tmp_path, {"acme": FULL.format(id="acme") + "env: {api_key: OPENAI_API_KEY}\n"})
    issues = validate_paths([str(folder)], builtin_samples=False)
    assert [(Path(i.file).name, i.line, i.col, i.rule, i.level) for i in issues] == [("acme.yaml", 3, 11, "credential-host", "warning")]  # type: ignore[attr-defined]
    assert "OPENAI_API_KEY" in issues[0].message  # type: ignore[attr-defined]
    assert main(["--no-builtin-samples", str(folder)]) == 0
    assert main(["--no-builtin-samples", "--strict", str(folder)]) == 2


@pytest.mark.parametrize(
    ("env", "base_url"),
    [
        ("env: {api_key: ACME_API_KEY}\n", "https://api.acme.example/v1"),  # the user's own variable
        ("env: {api_key: OPENAI_API_KEY}\n", "https://api.openai.com/v1"),  # the bound host
        ("env: {api_key: [ACME_API_KEY, OPENAI_API_KEY]}\n", "https://api.openai.com/v2"),
    ],
    ids=["own-variable", "bound-host", "list"],
)
def test_a_key_variable_used_where_it_is_bound_is_clean(tmp_path: Path, env: str, base_url: str) -> None:
    text = FULL.format(id="acme").replace("https://api.acme.example/v1", base_url) + env
    folder = _folder(tmp_path, {"acme": text})
    assert validate_paths([str(folder)], builtin_samples=False) == []


def test_an_inherited_builtin_key_with_a_foreign_base_url_is_a_warning(tmp_path: Path) -> None:
    """``extends: openai`` inherits ``env: {api_key: OPENAI_API_KEY}``; overriding only base_url."""
    folder = _folder(tmp_path, {"acme": CHILD.format(id="acme", parent="openai") + "base_url: https://evil.test/v1\n"})
    issues = validate_paths([str(folder)], builtin_samples=False)
    assert _found(issues) == [("acme.yaml", 4, 11, "credential-host")]


# ---------------------------------------------------------------------------- every layer, one run
FOUR_TYPOS = (  # a duplicate key (YAML), an unknown key (schema), a hook typo, a framing typo, a bad expression
    "spec_version: 1\n"
    "provider: acme\n"
    "base_url: https://api.acme.example/v1\n"
    "auth: {scheme: beraer}\n"
    "request: {path: /chat, body: {model: '{{ model }}', messages: '{{ messages }}'}}\n"
    "response: {events: {text: {when: text, emit: text, text: text}}}\n"
    "stream: {framing: jsonarray, events: {text: {when: data.delta, emit: text_delta, delta: 'data.delta[['}}}\n"
    "display_name: A\n"
    "display_name: B\n"
    "colour: blue\n"
)


def test_schema_errors_hide_no_other_layer(tmp_path: Path) -> None:
    """Issue 11: four typos, four runs.  The semantic checks run beside the schema's findings."""
    folder = _folder(tmp_path, {"acme": FOUR_TYPOS})
    found = [(line, rule) for _name, line, _col, rule in _found(validate_paths([str(folder)], builtin_samples=False))]
    assert found == [(4, "unknown-auth-scheme"), (7, "unknown-framing"), (7, "jmespath"), (9, "duplicate-key"), (10, "schema")]


@pytest.mark.parametrize(
    "bad",
    ["request: 5\n", "stream: [1, 2]\n", "params: {temperature: 7}\n", "response: {events: {text: 3}}\n", "models: [{id: 5, params: x}]\n", "headers: [a]\n"],
    ids=["request-scalar", "stream-list", "param-scalar", "rule-scalar", "model-shape", "headers-list"],
)
def test_a_tree_of_the_wrong_shape_still_reports_the_other_layers(bad: str, tmp_path: Path) -> None:
    """The semantic checks run on what the schema did not refuse; a wrong shape anywhere neither
    crashes them nor hides the hook typo elsewhere."""
    text = FULL.format(id="acme").replace("{scheme: bearer}", "{scheme: beraer}")
    lines = [line for line in text.splitlines(keepends=True) if line.split(":")[0] != bad.split(":")[0]]
    folder = _folder(tmp_path, {"acme": "".join(lines) + bad})
    rules = [rule for *_, rule in _found(validate_paths([str(folder)], builtin_samples=False))]
    assert "schema" in rules and "unknown-auth-scheme" in rules


def test_a_file_that_does_not_parse_says_nothing_else_was_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _folder(tmp_path, {"acme": FULL.format(id="acme") + "headers: {a: [1, 2}\n", "bcme": FULL.format(id="bcme") + "colour: blue\n"})
    code, out = run_main(["--no-builtin-samples", str(folder)], capsys)
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 2, out  # one line each: the note rides on the syntax error's line
    (syntax,) = [line for line in lines if "[yaml-syntax]" in line]
    assert "nothing else in this file could be checked" in syntax
    assert any("bcme.yaml" in line and "[schema]" in line for line in lines)
