"""Untrusted spec files (docs/RELIABILITY.md T1-T3, T5, T9, T10 and the spec rows of its section 4
checklist), through ``specwire.Client`` sync and async and through ``validate-spec``.

What this protects: a provider spec from a third party is data, never code.  Template injection
(SSTI), includes, environment access, YAML python tags, alias bombs, deep JMESPath, hooks named by
Python paths, symlinks and ``..`` in spec folders, and a file shadowing a built-in provider must all
be refused with a ``SpecError`` naming the file and line, before any request is sent and without
executing anything (the payloads try to create /tmp/specwire-hostile-canary or import a module that
would).  User content interpolated into a request body must never change its structure.  The spec
files live in tests/hostile_specs (with their own validate-spec expectations); the rows here drive
them through the public client.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from specwire import ModelNotFoundError, SpecError
from specwire.cli.validate import main as validate_main
from specwire.jpath import JPathError, compile_jpath
from specwire.registry import SpecRegistry
from tests.hostile.server import HostileServer, openai_ok, recorded
from tests.reliability.helpers import KEYS, make_client, spec_file

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ROOT / "tests" / "hostile_specs"
CANARY_FILE = Path("/tmp/specwire-hostile-canary")
CANARY_MODULE = "tests.hostile_specs.canary_hook"
FIXTURE_SSE = ROOT / "tests" / "fixtures" / "openai" / "chat-stream-text-usage-final-chunk"


@pytest.fixture(autouse=True)
def _nothing_executed() -> Any:
    CANARY_FILE.unlink(missing_ok=True)
    sys.modules.pop(CANARY_MODULE, None)
    yield
    assert not CANARY_FILE.exists(), f"a spec executed code: {CANARY_FILE} exists"
    assert CANARY_MODULE not in sys.modules, "a spec imported the module it named"


def refused(drive: Any, server: HostileServer, tmp_path: Path, name: str, *, text: str | None = None, stream: bool = False) -> BaseException | None:
    """Put one hostile spec (a corpus file, or ``text``) alone in a folder, aim a call at ``server``
    with an explicit key, and return the error the call raised (``None`` if it went through)."""
    folder = tmp_path / f"specs-{name.replace('/', '-')}"
    folder.mkdir(exist_ok=True)
    provider = Path(name).stem
    if text is None:
        shutil.copy(HOSTILE / name, folder / Path(name).name)
    else:
        (folder / f"{provider}.yaml").write_text(text, encoding="utf-8")
    server.always(openai_ok(stream))
    d = drive(None, provider, folders=[folder], key=False, api_keys={provider: KEYS["openai"]}, base_urls={provider: server.url("/v1")})
    out = d.call(stream, f"{provider}:gpt-5.5", catch=(Exception,))
    d.close()
    return out.error


def assert_spec_error(error: BaseException | None, name: str) -> SpecError:
    assert isinstance(error, SpecError), f"{name}: expected SpecError, got {type(error).__name__}: {error}"
    assert error.file is not None and Path(error.file).name == Path(name).name and error.line, f"{name}: {error.file}:{error.line}"
    return error


# ---------------------------------------------------------------------------- ssti_payloads_blocked
SSTI = ["ssti-class-mro.yaml", "ssti-cycler-globals.yaml", "ssti-lipsum-globals.yaml", "ssti-self-context.yaml", "ssti-attr-filter.yaml", "ssti-attr-escaped.yaml", "ssti-format-string.yaml", "ssti-mutate-context.yaml"]


@pytest.mark.parametrize("name", SSTI)
def test_ssti_payloads_blocked(drive: Any, hostile: HostileServer, tmp_path: Path, name: str) -> None:
    """SSTI payloads in a spec template (dunder attribute chains, ``cycler``/``lipsum`` globals,
    ``|attr`` with plain and ``\\x5f``-escaped names, ``str.format``, the template's own context,
    mutating a context list): a ``SpecError`` naming the file and line, no request sent, and the
    canary file the payloads try to create never appears (litellm#2949; sglang PR #23660;
    GHSA-cpwx-vrp4-4pq7)."""
    error = refused(drive, hostile, tmp_path, name)
    assert hostile.count == 0, "a request was sent"
    assert_spec_error(error, name)


# ---------------------------------------------------------------------------- template_no_include_env
@pytest.mark.parametrize("name", ["template-include.yaml", "template-import.yaml", "template-env.yaml", "template-config.yaml"])
def test_template_no_include_env(drive: Any, hostile: HostileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """``{% include '/etc/passwd' %}``, ``{% from … import %}``, ``{{ env }}``, ``{{ config }}``,
    ``{{ os }}``: a ``SpecError`` at load.  And the context a valid template sees holds no
    environment and no secret: a spec that sends every context variable it may read gets none of
    the planted environment values or the API key into the request (CVE-2026-35029)."""
    error = refused(drive, hostile, tmp_path, name)
    assert hostile.count == 0
    assert_spec_error(error, name)

    secret_env = "CANARY-env-value-9f1e"
    monkeypatch.setenv("SPECWIRE_TEST_SECRET", secret_env)
    monkeypatch.setenv("OPENAI_API_KEY", KEYS["openai"])
    dump = (
        "spec_version: 1\nprovider: dump-context\nextends: openai\nrequest:\n  body:\n"
        "    model: \"{{ model }}\"\n    messages: \"{{ messages }}\"\n"
        "    everything: \"{{ [settings, params, model_info, stream, system_text, system_parts, tools] | tojson }}\"\n"
        "    text: \"{{ settings }} {{ params }} {{ model_info }} {{ stream }}\"\n"
    )
    assert refused(drive, hostile, tmp_path, "dump-context.yaml", text=dump) is None
    sent = hostile.requests[-1]
    assert secret_env not in sent.body.decode() and KEYS["openai"] not in sent.body.decode()
    assert "SPECWIRE_TEST_SECRET" not in sent.body.decode()
    assert set(sent.json()) >= {"model", "messages", "everything", "text"}


# ---------------------------------------------------------------------------- template_json_injection
INJECTION = '"},"model":"x","tools":[{"type":"function"}],"a":"'


@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini"])
def test_template_json_injection(drive: Any, hostile: HostileServer, tmp_path: Path, provider: str) -> None:
    """A message ``"},"model":"x",…`` cannot break out of its string: the body sent is valid JSON,
    ``model`` is unchanged, no ``tools`` or ``a`` field appears, and the message text arrives intact
    (bodies are YAML trees serialized with ``json.dumps``, never JSON text).  A spec that writes its
    body as JSON *text* (the shape a missing ``|tojson`` would break) is refused by validate-spec."""
    from tests.reliability.helpers import MODELS

    d = drive(hostile, provider)
    hostile.always(openai_ok(False))
    d.complete(MODELS[provider], [{"role": "user", "content": INJECTION}], catch=(Exception,))
    body = hostile.requests[-1].json()
    raw = hostile.requests[-1].body.decode()
    assert "tools" not in body and "a" not in body
    if provider == "gemini":
        assert hostile.requests[-1].path.endswith(f"/models/{MODELS[provider].split(':')[1]}:generateContent")
        assert body["contents"][0]["parts"][0]["text"] == INJECTION
    else:
        assert body["model"] == MODELS[provider].split(":")[1]
        content = body["messages"][-1]["content"]
        assert INJECTION in (content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)) or any(
            isinstance(p, dict) and p.get("text") == INJECTION for p in (content if isinstance(content, list) else [])
        )
    assert raw.count('"model"') <= 1

    text_body = "spec_version: 1\nprovider: json-text-body\nextends: openai\nrequest:\n  body: '{\"model\": \"{{ model }}\", \"messages\": {{ messages }}}'\n"
    path = spec_file(tmp_path / "lint", "json-text-body", text_body)
    code = validate_main([str(path)])
    assert code == 1, (
        "ENGINE GAP: a request body written as JSON text (a string template) passes validate-spec; it is sent "
        "as one JSON string and its {{ }} are not JSON-escaped (docs/RELIABILITY.md T1 'lint fails on a missing "
        "tojson filter'); the schema should require request.body to be a mapping, or a lint rule should refuse "
        "JSON-looking text templates"
    )


# ---------------------------------------------------------------------------- template_output_cap
@pytest.mark.parametrize("name", ["template-output-cap.yaml", "template-output-nested.yaml"])
def test_template_output_cap(drive: Any, hostile: HostileServer, tmp_path: Path, name: str) -> None:
    """``{% for i in range(10**5) %}{{ 'x'*1000 }}{% endfor %}`` (range over its cap) and nested
    loops rendering 10 MB (under the range cap, over the 4 MiB output cap): a ``SpecError``
    ("rendered body too large" / range cap) naming the file, within a second, no request sent
    (Jinja sandbox docs: the sandbox bounds neither CPU nor output)."""
    t0 = time.monotonic()
    error = refused(drive, hostile, tmp_path, name)
    assert time.monotonic() - t0 < 2.0
    assert hostile.count == 0
    err = assert_spec_error(error, name)
    assert "too large" in str(err) or "range" in str(err)


# ---------------------------------------------------------------------------- yaml_unsafe_tags
@pytest.mark.parametrize("name", ["yaml-python-apply.yaml", "yaml-python-new.yaml", "yaml-include-tag.yaml"])
def test_yaml_unsafe_tags(drive: Any, hostile: HostileServer, tmp_path: Path, name: str) -> None:
    """``!!python/object/apply:os.system ["touch …"]`` (CVE-2020-1747), ``python/object/new``,
    ``python/name`` and ``!include``: ``SpecError`` (rule ``yaml-tag``) at the tag's line; nothing
    executed (the canary file is absent)."""
    err = assert_spec_error(refused(drive, hostile, tmp_path, name), name)
    assert err.rule == "yaml-tag"
    assert hostile.count == 0


# ---------------------------------------------------------------------------- yaml_billion_laughs
def test_yaml_billion_laughs(drive: Any, hostile: HostileServer, tmp_path: Path) -> None:
    """A 9-level alias bomb: ``SpecError`` (rule ``yaml-anchor``/``yaml-alias``) in under 100 ms."""
    folder = tmp_path / "bomb"
    folder.mkdir()
    shutil.copy(HOSTILE / "yaml-billion-laughs.yaml", folder)
    registry = SpecRegistry([str(folder)], user_config=False, env={})
    t0 = time.perf_counter()
    with pytest.raises(SpecError) as info:
        registry.get("yaml-billion-laughs")
    assert time.perf_counter() - t0 < 0.1
    assert info.value.rule in ("yaml-anchor", "yaml-alias") and info.value.line == 5
    assert_spec_error(refused(drive, hostile, tmp_path, "yaml-billion-laughs.yaml"), "yaml-billion-laughs.yaml")
    assert hostile.count == 0


# ---------------------------------------------------------------------------- jmespath_recursion
@pytest.mark.parametrize("name", ["jmespath-recursion.yaml", "jmespath-nesting.yaml"])
def test_jmespath_recursion(drive: Any, hostile: HostileServer, tmp_path: Path, name: str) -> None:
    """``((((…))))`` × 5000 (and a short one nested 100 deep): ``SpecError`` (rule ``jmespath``),
    never ``RecursionError`` (oss-fuzz#9179)."""
    err = assert_spec_error(refused(drive, hostile, tmp_path, name), name)
    assert err.rule == "jmespath"
    for depth in (33, 100, 5000, 50_000):
        with pytest.raises(JPathError):
            compile_jpath("(" * depth + "a" + ")" * depth)
    with pytest.raises(JPathError):
        compile_jpath("a" + ".b" * 5000)


# ---------------------------------------------------------------------------- mapping_typo_detected
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


def test_mapping_typo_detected(flavor: str, drive: Any, hostile: HostileServer, tmp_path: Path) -> None:
    """A mapping typo ``choices[0].delta.contnet`` silently drops every text delta (a recorded OpenAI
    stream replays to empty text with finish ``stop``); ``validate-spec`` must catch it by running
    the rules against the recorded fixture events (docs/RELIABILITY.md T3)."""
    path = spec_file(tmp_path / "typo", "openai-typo", TYPO)
    hostile.always(recorded("openai", "chat-stream-text-usage-final-chunk"))
    d = drive(hostile, "openai-typo", folders=[path.parent], key=False, api_keys={"openai-typo": KEYS["openai"]}, base_urls={"openai-typo": hostile.url("/v1")})
    out = d.stream("openai-typo:gpt-4o-mini")
    assert out.error is None and out.text == "", "the typo's effect: the text vanishes silently"
    code = validate_main([str(path)])
    assert code == 1, (
        "ENGINE GAP: validate-spec accepts `delta: data.choices[0].delta.contnet`, which resolves to null on every "
        f"frame its `when` matches in the recorded fixture {FIXTURE_SSE.relative_to(ROOT)}; docs/RELIABILITY.md T3 asks "
        "validate-spec to run every rule against recorded fixture events (e.g. `validate-spec --fixtures DIR`, or the "
        "fixtures of the parent provider) and fail when a rule's required field resolves to None"
    )


# ---------------------------------------------------------------------------- escape_hatch_not_importable
def test_escape_hatch_not_importable(drive: Any, hostile: HostileServer, tmp_path: Path) -> None:
    """``auth.scheme: "tests.hostile_specs.canary_hook:boom"`` and ``stream.framing: "os:system"``:
    ``SpecError`` (an unknown-hook rule) naming the file; the module is never imported, so its import
    side effect (the canary file) never happens (CVE-2024-6825)."""
    err = assert_spec_error(refused(drive, hostile, tmp_path, "hook-python-path.yaml"), "hook-python-path.yaml")
    assert err.rule in ("unknown-auth-scheme", "unknown-framing") and "not registered" in str(err)
    assert {i.rule for i in err.issues if i.level == "error"} == {"unknown-auth-scheme", "unknown-framing"}
    assert hostile.count == 0


# ---------------------------------------------------------------------------- providers_d_traversal
def test_providers_d_traversal(drive: Any, hostile: HostileServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A spec folder holding a symlink to /etc/passwd, a symlink to a spec outside the folder, a
    spec in a subfolder, and a folder named like a spec; ``extends: ../../etc/passwd``; ``!include``;
    a model ref with ``../``: the symlinks and the subfolder are skipped with warnings, the rest is a
    ``SpecError`` or ``ModelNotFoundError``; nothing outside the folder is read (inspect_evals PR #1448)."""
    folder = tmp_path / "providers.d"
    outside = tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    (folder / "passwd.yaml").symlink_to("/etc/passwd")
    spec_file(outside, "escape", "spec_version: 1\nprovider: escape\nextends: openai\nbase_url: http://127.0.0.1:9/v1\n")
    (folder / "escape.yaml").symlink_to(outside / "escape.yaml")
    spec_file(folder / "nested", "nested", "spec_version: 1\nprovider: nested\nextends: openai\n")
    (folder / "dir.yaml").mkdir()
    shutil.copy(HOSTILE / "traversal-extends.yaml", folder)
    shutil.copy(HOSTILE / "yaml-include-tag.yaml", folder)
    registry = SpecRegistry([str(folder / "nested" / "..")], user_config=False, env={})
    warned = {(Path(w.file).name, w.rule) for w in registry.warnings}
    assert ("passwd.yaml", "symlink-escape") in warned and ("escape.yaml", "symlink-escape") in warned
    assert ("dir.yaml", "not-a-file") in warned
    assert {"passwd", "escape", "nested", "dir"}.isdisjoint(registry.providers())

    client = make_client(hostile, "openai", registry=registry)
    from tests.reliability.helpers import Driver

    d = drive(client=client)
    for ref, cls in (("passwd:x", ModelNotFoundError), ("escape:x", ModelNotFoundError), ("nested:x", ModelNotFoundError), ("traversal-extends:x", SpecError), ("yaml-include-tag:x", SpecError), ("../../etc/passwd:x", ModelNotFoundError)):
        out = d.complete(ref, catch=(Exception,))
        assert isinstance(out.error, cls), f"{ref}: {out.describe()}"
    assert hostile.count == 0
    assert isinstance(d, Driver)

    code = validate_main([str(folder)])
    output = capsys.readouterr().out
    assert code == 1
    assert "passwd.yaml:1:1: warning [symlink-escape]" in output and "escape.yaml:1:1: warning [symlink-escape]" in output
    assert "root:" not in output, "the content of /etc/passwd must never be read into a message"


# ---------------------------------------------------------------------------- builtin_shadowing
def test_builtin_shadowing(drive: Any, hostile: HostileServer, tmp_path: Path) -> None:
    """A third-party ``providers.d/openai.yaml`` without ``override: true``: every call to
    ``openai:…`` fails with ``SpecError`` (rule ``builtin-shadowing``) naming the file, nothing sent.
    With ``override: true`` it loads, with a ``builtin-override`` warning, and is used."""
    err = assert_spec_error(refused(drive, hostile, tmp_path, "shadow/openai.yaml"), "openai.yaml")
    assert err.rule == "builtin-shadowing"
    assert hostile.count == 0

    folder = tmp_path / "override"
    spec_file(folder, "openai", "spec_version: 1\nprovider: openai\nextends: openai\noverride: true\nheaders:\n  x-proxy-tenant: acme\n")
    registry = SpecRegistry([str(folder)], user_config=False, env={})
    d = drive(hostile, "openai", registry=registry)
    hostile.always(openai_ok(False))
    out = d.complete("openai:gpt-5.5")
    assert out.error is None, out.describe()
    assert hostile.requests[-1].headers.get("x-proxy-tenant") == "acme"
    assert any(w.rule == "builtin-override" for w in registry.warnings)


# ---------------------------------------------------------------------------- validate_spec_cli
def _guarded_env(tmp_path: Path) -> dict[str, str]:
    guard = tmp_path / "guard"
    guard.mkdir(exist_ok=True)
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
    env.update(PYTHONPATH=str(guard), XDG_CONFIG_HOME=str(tmp_path / "xdg"))
    return env


def test_validate_spec_cli(flavor: str, tmp_path: Path) -> None:
    """The installed ``validate-spec`` on each bad spec of this file's rows (the hostile corpus, the
    mapping typo, the JSON-text body), run as a child process with the network disabled (sync:
    ``subprocess.run``; async: ``asyncio.create_subprocess_exec``): exit ≠ 0 for every one, every line
    ``file:line:col: error [rule] path: message`` with the key path (the JSON pointer, dotted) of the
    offending node, no traceback, no network use."""
    bad = sorted(p for p in HOSTILE.glob("*.yaml") if p.name != "credential-foreign-host.yaml")
    extra = tmp_path / "extra"
    bad += [spec_file(extra, "openai-typo", TYPO), spec_file(extra, "json-text-body", "spec_version: 1\nprovider: json-text-body\nextends: openai\nrequest:\n  body: '{\"model\": \"{{ model }}\"}'\n")]
    exe = str(Path(sys.executable).parent / "validate-spec")
    env = _guarded_env(tmp_path)

    async def run_async(args: list[str]) -> tuple[int, str, str]:
        proc = await asyncio.create_subprocess_exec(exe, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await proc.communicate()
        return proc.returncode or 0, out.decode(), err.decode()

    def run(args: list[str]) -> tuple[int, str, str]:
        if flavor == "sync":
            r = subprocess.run([exe, *args], env=env, capture_output=True, text=True, timeout=120)
            return r.returncode, r.stdout, r.stderr
        return asyncio.run(run_async(args))

    code, out, err = run(["--format", "json", *map(str, bad)])
    assert not (tmp_path / "net.log").exists(), "validate-spec used the network"
    assert "Traceback" not in err and code == 1, err
    items = json.loads(out)
    flagged = {Path(i["file"]).name for i in items if i["level"] == "error"}
    missing = sorted(p.name for p in bad if p.name not in flagged)
    for item in items:
        assert item["line"] >= 1 and item["col"] >= 1 and item["rule"] and isinstance(item["path"], str), item
    # the text format: `file:line:col: level [rule] path: message`, one line per issue
    sample = [p for p in bad if p.name in ("jmespath-recursion.yaml", "hook-python-path.yaml", "yaml-python-apply.yaml")]
    code, text, err = run([str(p) for p in sample])
    assert code == 1 and "Traceback" not in err
    lines = text.splitlines()
    assert len(lines) == 4, text
    for line in lines:
        file, row, col, rest = line.split(":", 3)
        assert Path(file).name in {p.name for p in sample} and row.isdigit() and col.isdigit() and rest.startswith(" error ["), line
    assert any("stream.events.text.delta:" in line for line in lines) and any("auth.scheme:" in line for line in lines)
    assert missing == [], f"validate-spec exits 0 on these bad specs (see the engine gaps in the report): {missing}"

