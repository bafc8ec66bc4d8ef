"""The hostile-spec corpus (this folder) against ``validate-spec`` and against ``specwire.Client``.

What this protects: docs/RELIABILITY.md threats T1-T5, T9 and T10 for spec files written by someone
else: SSTI payloads, ``{% include %}``/``{% import %}``, environment access, YAML python tags,
``!include``, alias bombs, oversized and deeply nested files, deep JMESPath, a hook named by a
Python path, a spec aiming a built-in credential at a foreign host, a spec shadowing a built-in
provider, ``../`` in ``extends``.  For each file:

* ``validate-spec FILE`` prints exactly the lines EXPECTED.txt lists (file, line, column, rule,
  message fragment) and exits 1 (0 for the files that are valid specs);
* ``validate-spec --format json`` gives each issue a JSON pointer-like ``path``;
* with only that file on the search path, a call through ``specwire.Client`` (sync and async) is
  refused with the class EXPECTED.txt names (``SpecError`` naming the file and a line, by default),
  no request reaches the loopback server the call was aimed at, the canary file
  ``/tmp/specwire-hostile-canary`` that the payloads try to create does not appear, and the Python
  module named as a hook is never imported.

Symlinks out of a spec folder, symlinks to ``/etc/passwd`` and ``..`` paths are built in a temporary
folder by tests/reliability/test_spec_security.py (``providers_d_traversal``), because a repository
should not ship a symlink to ``/etc``.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from specwire import Client, ConfigError, SpecError, SpecwireError
from specwire.cli.validate import main as validate_main
from specwire.registry import SpecRegistry
from tests.hostile.server import HostileServer, openai_ok
from tests.reliability.helpers import _tls as shared_tls

HERE = Path(__file__).resolve().parent
CANARY_FILE = Path("/tmp/specwire-hostile-canary")
CANARY_MODULE = "tests.hostile_specs.canary_hook"
KEY = "sk-CANARY-hostile-specs-0000"

_PREFIX = re.compile(r"^(?P<file>\S+?):(?P<line>\d+|\*):(?P<col>\d+|\*): (?P<level>error|warning) \[(?P<rule>[a-z0-9-]+)\]$")
_OUT = re.compile(r"^(?P<file>\S+?):(?P<line>\d+):(?P<col>\d+): (?P<level>error|warning) \[(?P<rule>[a-z0-9-]+)\] (?P<rest>.*)$")


@dataclass
class Section:
    name: str
    lines: list[tuple[str, str | None, int]] = field(default_factory=list)  # (prefix, text, count)
    call: str = "SpecError"
    generated: bool = False


def load_expected() -> dict[str, Section]:
    sections: dict[str, Section] = {}
    current: Section | None = None
    for raw in (HERE / "EXPECTED.txt").read_text(encoding="utf-8").splitlines():
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            name, _, rest = line[1:].partition("]")
            current = sections.setdefault(name, Section(name, generated="(generated)" in rest))
            continue
        assert current is not None, f"EXPECTED.txt: a line before the first section: {line!r}"
        if line.startswith("! call "):
            current.call = line.removeprefix("! call ").strip()
            continue
        count = 1
        m = re.search(r" x(\d+)$", line)
        if m:
            count, line = int(m.group(1)), line[: m.start()]
        prefix, sep, text = line.partition(" ~ ")
        assert _PREFIX.match(prefix), f"EXPECTED.txt: not a `file:line:col: level [rule]` prefix: {prefix!r}"
        current.lines.append((prefix, text if sep else None, count))
    return sections


EXPECTED = load_expected()
NAMES = sorted(EXPECTED)


def _matches(pattern: str, got: re.Match[str]) -> bool:
    p = _PREFIX.match(pattern)
    assert p is not None
    return all(p[k] in ("*", got[k]) for k in ("line", "col")) and all(p[k] == got[k] for k in ("file", "level", "rule"))


def compare(output: str, section: Section) -> None:
    """Exactly the expected lines (with counts and wildcards), each containing its text."""
    lines = [line for line in output.splitlines() if line.strip()]
    parsed = []
    for line in lines:
        m = _OUT.match(line)
        assert m, f"not a validate-spec line: {line!r}"
        parsed.append(m)
    problems = []
    for prefix, text, count in section.lines:
        hits = [m for m in parsed if _matches(prefix, m) and (text is None or text in m["rest"])]
        if len(hits) != count:
            problems.append(f"expected {count} line(s) like {prefix!r}{' ~ ' + repr(text) if text else ''}, got {len(hits)}")
        for hit in hits[:count]:
            parsed.remove(hit)
    if parsed:
        problems.append(f"unexpected lines: {[m.group(0) for m in parsed]}")
    assert not problems, f"validate-spec output for {section.name} differs from EXPECTED.txt:\n  " + "\n  ".join(problems) + f"\n--- output ---\n{output}"


def generate(folder: Path) -> None:
    """The generated members of the corpus."""
    big = "spec_version: 1\nprovider: oversized\nextends: openai\n" + "# padding padding padding padding padding padding padding\n" * 5500
    assert len(big.encode()) > 300 * 1024
    (folder / "oversized.yaml").write_text(big, encoding="utf-8")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of this folder's specs (and the generated ones) in a temporary folder."""
    folder = tmp_path_factory.mktemp("hostile_specs")
    for path in HERE.rglob("*.yaml"):
        target = folder / path.relative_to(HERE)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    generate(folder)
    return folder


@pytest.fixture(autouse=True)
def _no_canary() -> None:
    CANARY_FILE.unlink(missing_ok=True)
    sys.modules.pop(CANARY_MODULE, None)
    yield
    assert not CANARY_FILE.exists(), f"a hostile spec executed code: {CANARY_FILE} was created"
    assert CANARY_MODULE not in sys.modules, "a hostile spec imported the module it named as a hook"


# ---------------------------------------------------------------------------- the corpus itself
def test_expected_covers_every_hostile_spec() -> None:
    files = {str(p.relative_to(HERE)) for p in HERE.rglob("*.yaml")}
    generated = {name for name, s in EXPECTED.items() if s.generated}
    assert files | generated == set(EXPECTED), f"EXPECTED.txt and the corpus differ: {sorted((files | generated) ^ set(EXPECTED))}"
    assert not files & generated


# ---------------------------------------------------------------------------- validate-spec
@pytest.mark.parametrize("name", NAMES)
def test_validate_spec_on_each_hostile_spec(name: str, corpus: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """``validate-spec FILE``: exactly the EXPECTED.txt lines, exit 1 (0 for a valid spec)."""
    monkeypatch.chdir(corpus)
    code = validate_main([name])
    out = capsys.readouterr().out
    compare(out, EXPECTED[name])
    assert code == (1 if any(" error [" in prefix for prefix, _, _ in EXPECTED[name].lines) else 0), out


def test_validate_spec_json_paths(corpus: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """``--format json``: every issue has a file, a 1-based line and column, and the key path of the
    offending node (the JSON pointer of the validate_spec_cli row, written dotted)."""
    monkeypatch.chdir(corpus)
    names = [n for n in NAMES if "/" not in n and any(" error [" in prefix for prefix, _, _ in EXPECTED[n].lines)]
    assert validate_main(["--format", "json", *names]) == 1
    items = json.loads(capsys.readouterr().out)
    assert {Path(i["file"]).name for i in items} <= set(names)
    for item in items:
        assert item["line"] >= 1 and item["col"] >= 1 and item["level"] == "error"
    by_rule = {i["rule"]: i["path"] for i in items}
    assert by_rule["template"].startswith("request.body")
    assert by_rule["jmespath"] == "stream.events.text.delta"
    assert by_rule["unknown-auth-scheme"] == "auth.scheme"


def test_validate_spec_console_script_on_the_folder(corpus: Path, tmp_path: Path) -> None:
    """One run of the installed console script over the whole folder (every top-level file at
    once), with the network made unusable for the child process: the union of the top-level
    sections, exit 1, nothing on stderr, no network use, nothing executed."""
    guard = tmp_path / "guard"
    guard.mkdir()
    log = tmp_path / "net.log"
    (guard / "sitecustomize.py").write_text(
        "import socket\n"
        f"_LOG = {str(log)!r}\n"
        "def _deny(*a, **k):\n"
        "    open(_LOG, 'a').write(repr(a) + '\\n')\n"
        "    raise OSError('network disabled by the test')\n"
        "_real = socket.socket.connect\n"
        "def _connect(self, *a):\n"
        "    if self.family in (socket.AF_INET, socket.AF_INET6):\n"
        "        return _deny(*a)\n"
        "    return _real(self, *a)\n"
        "socket.socket.connect = _connect\n"
        "socket.getaddrinfo = _deny\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and k != "SPECWIRE_PROVIDERS_PATH"}
    env.update(PYTHONPATH=str(guard), XDG_CONFIG_HOME=str(tmp_path / "xdg"), HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9")
    exe = Path(sys.executable).parent / "validate-spec"
    result = subprocess.run([str(exe), "."], cwd=corpus, env=env, capture_output=True, text=True, timeout=120)
    assert not log.exists(), f"validate-spec used the network: {log.read_text()}"
    assert result.returncode == 1 and result.stderr == "", result.stderr
    merged = Section("<folder>")
    for name in NAMES:
        if "/" not in name:
            merged.lines += EXPECTED[name].lines
    compare(result.stdout, merged)


# ---------------------------------------------------------------------------- through the client
@pytest.mark.parametrize("flavor", ["sync", "async"])
@pytest.mark.parametrize("name", NAMES)
def test_client_refuses_each_hostile_spec(name: str, flavor: str, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With only this file on the search path, a call is refused as EXPECTED.txt says (by default a
    ``SpecError`` naming the file and a line); no request is sent, nothing is executed or imported."""
    section = EXPECTED[name]
    provider = Path(name).stem
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with HostileServer() as server:
        server.always(openai_ok(False))
        registry = _registry_of(corpus, name)
        kwargs = {}
        if section.call != "ConfigError":  # an explicit key and URL: the call would reach the server
            kwargs = {"api_keys": {provider: KEY}, "base_urls": {provider: server.url("/v1")}}
        client = Client(registry=registry, load_entry_points=False, transport=httpx.HTTPTransport(verify=shared_tls()), async_transport=httpx.AsyncHTTPTransport(verify=shared_tls()), **kwargs)
        try:
            if flavor == "sync":
                client.complete(f"{provider}:gpt-5.5", "hi")
            else:

                async def call() -> None:
                    try:
                        await client.acomplete(f"{provider}:gpt-5.5", "hi")
                    finally:
                        await client.aclose()

                asyncio.run(call())
        except SpecwireError as exc:
            error: SpecwireError | None = exc
        else:
            error = None
        finally:
            client.close()
        assert server.count == 0, f"{name}: a request was sent"
    expected_cls = {"SpecError": SpecError, "ConfigError": ConfigError}[section.call]
    assert isinstance(error, expected_cls), f"{name}: expected {section.call}, got {type(error).__name__}: {error}"
    if isinstance(error, SpecError):
        assert error.file is not None and Path(error.file).name == Path(name).name, f"{name}: the error names {error.file!r}"
        assert error.line is not None and error.line >= 1
    assert KEY not in str(error) and KEY not in repr(error)


_REGISTRIES: dict[str, SpecRegistry] = {}


def _registry_of(corpus: Path, name: str) -> SpecRegistry:
    """A registry with only this corpus file on the search path (one per file, shared by the two
    flavors; a registry caches nothing for a spec that failed to load)."""
    if name not in _REGISTRIES:
        folder = corpus / "alone" / name.replace("/", "-")
        folder.mkdir(parents=True)
        shutil.copy(corpus / name, folder / Path(name).name)
        _REGISTRIES[name] = SpecRegistry([str(folder)], user_config=False)
    return _REGISTRIES[name]


def test_alias_bomb_is_refused_quickly(corpus: Path) -> None:
    """The 9-level alias bomb is refused quickly (docs/RELIABILITY.md row yaml_billion_laughs): it takes a
    few milliseconds; the bound leaves room for a busy machine, expansion would take minutes."""
    import time

    from specwire.spec.loader import load_file

    t0 = time.perf_counter()
    loaded = load_file(corpus / "yaml-billion-laughs.yaml")
    elapsed = time.perf_counter() - t0
    assert loaded.data is None and {i.rule for i in loaded.issues} == {"yaml-anchor", "yaml-alias"}
    assert elapsed < 2.0, f"{elapsed * 1000:.0f} ms"


