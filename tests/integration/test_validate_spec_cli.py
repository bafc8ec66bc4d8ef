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

from specwire.cli.validate import main

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
    """RELIABILITY.md T4e: replacing a built-in needs `override: true` *plus a warning*; the linter
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
