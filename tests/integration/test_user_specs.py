"""User specs: a provider added by dropping a YAML file into a folder, with no Python.

What this protects (docs/ARCHITECTURE.md sections 4 and 7, docs/ARCHITECTURE.md section 9.7, docs/RELIABILITY.md T4e and T10):

* a ten-line ``extends: openai`` spec on ``$SPECWIRE_PROVIDERS_PATH`` is listed by ``specwire
  providers``, rendered by ``specwire render`` and streams through :class:`specwire.Client` (HTTP
  mocked with respx, body recorded from OpenAI);
* a user file that reuses a built-in id is refused without ``override: true``, and wins with it
  (plus a recorded warning);
* search-path precedence: ``spec_paths`` > ``$SPECWIRE_PROVIDERS_PATH`` > the user config folder >
  the built-in specs;
* folder loading is contained: symlinks that leave the folder, ``../`` names, sub-folders and
  non-YAML files are never loaded;
* ``extends`` of a file's own id extends the next lower layer, and ``null`` removes an inherited key;
* the missing-API-key error names the variable the user spec declares.

The registry unit behaviour is exercised here through the public entry points a user touches
(``SpecRegistry``, ``Client``, the CLI), which is what a regression would break.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

import specwire
import specwire.registry
from specwire.errors import ConfigError, SpecError
from specwire.registry import SpecRegistry

ROOT = Path(__file__).resolve().parents[2]
SSE = ROOT / "tests" / "fixtures" / "openai" / "chat-stream-text-usage-final-chunk" / "stream.sse"
SPECWIRE = Path(sys.executable).parent / "specwire"
URL = "https://api.acme.example/v1/chat/completions"

ACME = """\
# ACME Inference: an OpenAI-compatible server, added without any Python.
spec_version: 1
provider: acme
display_name: ACME Inference
extends: openai
base_url: https://api.acme.example/v1
env: {api_key: ACME_API_KEY, base_url: ACME_BASE_URL}
params:
  temperature: {to: temperature, clamp: [0, 1]}
  top_k: {unsupported: "ACME has no top_k"}
"""

OPENAI_OVERRIDE = """\
spec_version: 1
provider: openai
display_name: {name}
override: true
extends: openai
base_url: {url}
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def user_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "specs"
    write(folder, "acme.yaml", ACME)
    return folder


def child_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A clean environment for the CLI: no keys, an empty user config, proxies on a closed port
    (any network attempt fails)."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and k != "SPECWIRE_PROVIDERS_PATH"}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "xdg"), HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9", NO_PROXY="")
    env.update(extra)
    return env


# ============================================================================ (a) a user spec works with no Python
def test_user_spec_is_clean(user_folder: Path) -> None:
    from specwire.cli.validate import validate_paths

    assert validate_paths([str(user_folder / "acme.yaml")]) == []


def test_specwire_providers_lists_it(user_folder: Path, tmp_path: Path) -> None:
    result = subprocess.run([str(SPECWIRE), "providers", "--json"], env=child_env(tmp_path, SPECWIRE_PROVIDERS_PATH=str(user_folder)), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    rows = {row["provider"]: row for row in json.loads(result.stdout)}
    assert set(rows) >= {"acme", "openai", "anthropic", "gemini"}
    acme = rows["acme"]
    assert acme["display_name"] == "ACME Inference"
    assert acme["error"] is None
    assert acme["source"] == f"SPECWIRE_PROVIDERS_PATH:{user_folder}"
    assert Path(acme["file"]) == user_folder / "acme.yaml"
    assert rows["openai"]["source"] == "builtin"


def test_specwire_render_shows_url_headers_and_body(user_folder: Path, tmp_path: Path) -> None:
    request = write(tmp_path, "request.json", json.dumps({"messages": [{"role": "user", "content": "Hi"}], "temperature": 1.5, "top_k": 40, "max_output_tokens": 64}))
    env = child_env(tmp_path, SPECWIRE_PROVIDERS_PATH=str(user_folder), ACME_API_KEY="sk-acme-CANARY-4242")
    result = subprocess.run([str(SPECWIRE), "render", "acme:acme-large", "--request", str(request), "--stream", "--json"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "CANARY" not in result.stdout + result.stderr
    out = json.loads(result.stdout)
    assert (out["method"], out["url"]) == ("POST", URL)
    headers = {k.lower(): v for k, v in out["headers"].items()}
    assert headers["host"] == "api.acme.example"
    assert "***" in headers["authorization"] and "sk-acme" not in headers["authorization"]  # key present, masked
    assert headers["content-type"] == "application/json" and headers["accept"] == "text/event-stream"
    body = out["body"]
    assert body["model"] == "acme-large"
    assert body["messages"] == [{"role": "user", "content": "Hi"}]
    assert body["temperature"] == 1  # clamped to the user spec's [0, 1]
    assert "top_k" not in body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}  # inherited from openai
    assert body["max_completion_tokens"] == 64  # inherited param mapping
    warnings = {(w["kind"], w["param"]) for w in out["warnings"]}
    assert {("clamped-param", "temperature"), ("unsupported-param", "top_k")} <= warnings
    assert any("ACME has no top_k" in w["detail"] for w in out["warnings"])


def _mock_acme(mock: respx.MockRouter) -> respx.Route:
    return mock.post(URL).mock(return_value=httpx.Response(200, headers={"content-type": "text/event-stream"}, content=SSE.read_bytes()))


@pytest.mark.parametrize("how", ["os-environ", "env-argument"])
def test_client_streams_through_the_user_spec(user_folder: Path, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    if how == "os-environ":
        monkeypatch.setenv("SPECWIRE_PROVIDERS_PATH", str(user_folder))
        monkeypatch.setenv("ACME_API_KEY", "sk-acme-test-0001")
        monkeypatch.setattr(specwire.registry, "_default", None)  # the process-wide registry reads the path once
        kwargs: dict[str, Any] = {}
    else:
        kwargs = {"env": {"SPECWIRE_PROVIDERS_PATH": str(user_folder), "ACME_API_KEY": "sk-acme-test-0001"}}
    with respx.mock(assert_all_mocked=True, assert_all_called=True) as mock:
        route = _mock_acme(mock)
        with specwire.Client(load_entry_points=False, **kwargs) as client:
            events = list(client.stream("acme:acme-large", "What is the capital of the UK?", temperature=1.5, top_k=40))

    sent = route.calls.last.request
    assert sent.headers["authorization"] == "Bearer sk-acme-test-0001"
    body = json.loads(sent.content)
    assert body["model"] == "acme-large"
    assert body["temperature"] == 1 and "top_k" not in body
    assert body["stream"] is True

    types = [e.type for e in events]
    assert types[0] == "response_start"
    assert types[-1] == "finish" and types.count("finish") == 1 and "error" not in types
    text = "".join(e.delta for e in events if e.type == "text_delta")
    assert text == "The capital of the UK is London."
    response = events[-1].response
    assert response.provider == "acme"
    assert response.model == "gpt-4o-mini-2024-07-18"  # the model the server reports answering with
    assert response.text == text
    assert response.finish_reason is not None and response.finish_reason.unified == "stop"
    usage = response.usage
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (78, 9, 87)
    assert usage.cache_read_tokens == 0 and usage.reasoning_tokens == 0
    assert response.cost is None and response.cost_reason  # no catalog in the user spec: no guessed price
    kinds = {(w.kind, w.param) for w in response.warnings}
    assert {("clamped-param", "temperature"), ("unsupported-param", "top_k")} <= kinds
    warning_events = [e for e in events if e.type == "warning"]
    assert warning_events and types.index("warning") < types.index("text_delta")


def test_client_astream_through_the_user_spec(user_folder: Path) -> None:
    env = {"SPECWIRE_PROVIDERS_PATH": str(user_folder), "ACME_API_KEY": "sk-acme-test-0002"}

    async def run() -> list[Any]:
        async with specwire.Client(load_entry_points=False, env=env) as client:
            return [e async for e in client.astream("acme:acme-large", "What is the capital of the UK?")]

    with respx.mock(assert_all_mocked=True, assert_all_called=True) as mock:
        route = _mock_acme(mock)
        events = asyncio.run(run())
    assert route.calls.last.request.headers["authorization"] == "Bearer sk-acme-test-0002"
    assert events[-1].type == "finish"
    assert events[-1].response.text == "The capital of the UK is London."
    assert events[-1].response.usage.total_tokens == 87


def test_user_base_url_env_variable_is_honoured(user_folder: Path) -> None:
    env = {"SPECWIRE_PROVIDERS_PATH": str(user_folder), "ACME_API_KEY": "k", "ACME_BASE_URL": "https://eu.acme.example/v1", "OPENAI_BASE_URL": "https://wrong.example/v1"}
    plan = specwire.Client(load_entry_points=False, env=env).build("acme:acme-large", "Hi")
    assert plan.url == "https://eu.acme.example/v1/chat/completions"


# ============================================================================ (b) reusing a built-in id
def test_builtin_id_without_override_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "specs"
    write(folder, "openai.yaml", "spec_version: 1\nprovider: openai\nextends: openai\nbase_url: https://evil.example/v1\n")
    registry = SpecRegistry([folder], env={}, user_config=False)
    with pytest.raises(SpecError) as info:
        registry.get("openai")
    assert info.value.rule == "builtin-shadowing"
    assert info.value.file == str(folder / "openai.yaml")
    assert (info.value.line, info.value.col) == (2, 11)
    with pytest.raises(SpecError):
        specwire.Client([str(folder)], load_entry_points=False, env={"OPENAI_API_KEY": "k"}).build("openai:gpt-5.5", "Hi")


def test_builtin_id_with_override_wins_with_a_warning(tmp_path: Path) -> None:
    folder = tmp_path / "specs"
    write(folder, "openai.yaml", OPENAI_OVERRIDE.format(name="My OpenAI proxy", url="https://openai-proxy.example.com/v1"))
    registry = SpecRegistry([folder], env={}, user_config=False)
    spec = registry.get("openai")
    assert spec.display_name == "My OpenAI proxy"
    assert spec.data["base_url"] == "https://openai-proxy.example.com/v1"
    assert registry.origin("openai") == (f"spec_paths:{folder}", folder / "openai.yaml")
    warnings = [w for w in registry.warnings if w.rule == "builtin-override"]
    assert len(warnings) == 1 and warnings[0].level == "warning" and warnings[0].file == str(folder / "openai.yaml")
    plan = specwire.Client(registry=registry, load_entry_points=False).build("openai:gpt-5.5", "Hi")
    assert plan.url == "https://openai-proxy.example.com/v1/chat/completions"


# ============================================================================ (c) precedence
@pytest.fixture
def layers(tmp_path: Path) -> dict[str, Path]:
    out = {
        "spec_paths": tmp_path / "explicit",
        "env": tmp_path / "envpath",
        "env2": tmp_path / "envpath2",
        "xdg": tmp_path / "xdg",
    }
    user_dir = out["xdg"] / "specwire" / "providers.d"
    for label, folder in (("spec_paths", out["spec_paths"]), ("env", out["env"]), ("env2", out["env2"]), ("user-config", user_dir)):
        write(folder, "openai.yaml", OPENAI_OVERRIDE.format(name=f"from {label}", url=f"https://{label}.example/v1"))
    return out


def _name(registry: SpecRegistry) -> str:
    return registry.get("openai").display_name


def test_spec_paths_beat_everything(layers: dict[str, Path]) -> None:
    env = {"SPECWIRE_PROVIDERS_PATH": os.pathsep.join([str(layers["env"]), str(layers["env2"])]), "XDG_CONFIG_HOME": str(layers["xdg"])}
    registry = SpecRegistry([layers["spec_paths"]], env=env)
    assert _name(registry) == "from spec_paths"
    assert [layer for layer, _ in registry.shadowed("openai")] == [
        f"SPECWIRE_PROVIDERS_PATH:{layers['env']}",
        f"SPECWIRE_PROVIDERS_PATH:{layers['env2']}",
        "user-config",
        "builtin",
    ]


def test_providers_path_beats_user_config_first_entry_first(layers: dict[str, Path]) -> None:
    env = {"SPECWIRE_PROVIDERS_PATH": os.pathsep.join([str(layers["env"]), str(layers["env2"])]), "XDG_CONFIG_HOME": str(layers["xdg"])}
    assert _name(SpecRegistry(env=env)) == "from env"
    env["SPECWIRE_PROVIDERS_PATH"] = os.pathsep.join([str(layers["env2"]), str(layers["env"])])
    assert _name(SpecRegistry(env=env)) == "from env2"


def test_user_config_beats_builtin(layers: dict[str, Path]) -> None:
    registry = SpecRegistry(env={"XDG_CONFIG_HOME": str(layers["xdg"])})
    assert _name(registry) == "from user-config"
    assert registry.origin("openai")[0] == "user-config"


def test_builtin_is_last(layers: dict[str, Path]) -> None:
    assert _name(SpecRegistry(env={"XDG_CONFIG_HOME": str(layers["xdg"])}, user_config=False)) == "OpenAI (Chat Completions)"
    assert _name(SpecRegistry(env={})) == "OpenAI (Chat Completions)"  # conftest: XDG_CONFIG_HOME is an empty folder


def test_client_spec_paths_beat_the_environment(layers: dict[str, Path]) -> None:
    env = {"SPECWIRE_PROVIDERS_PATH": str(layers["env"]), "XDG_CONFIG_HOME": str(layers["xdg"]), "OPENAI_API_KEY": "k"}
    plan = specwire.Client([str(layers["spec_paths"])], load_entry_points=False, env=env).build("openai:gpt-5.5", "Hi")
    assert plan.url == "https://spec_paths.example/v1/chat/completions"


# ============================================================================ (d) folder containment
def test_symlink_out_of_the_folder_is_skipped_with_a_warning(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write(outside, "evil.yaml", ACME.replace("acme", "evil"))
    folder = tmp_path / "specs"
    folder.mkdir()
    (folder / "evil.yaml").symlink_to(outside / "evil.yaml")  # absolute
    (folder / "evil2.yaml").symlink_to(Path("..") / "outside" / "evil.yaml")  # relative ../
    registry = SpecRegistry([folder], env={}, user_config=False)
    assert "evil" not in registry.providers() and "evil2" not in registry.providers()
    escapes = {Path(w.file).name for w in registry.warnings if w.rule == "symlink-escape" and w.level == "warning"}
    assert escapes == {"evil.yaml", "evil2.yaml"}


def test_symlink_inside_the_folder_is_loaded(tmp_path: Path) -> None:
    folder = tmp_path / "specs"
    write(folder / "real", "acme.yaml", ACME)
    (folder / "acme.yaml").symlink_to(Path("real") / "acme.yaml")
    registry = SpecRegistry([folder], env={}, user_config=False)
    assert registry.get("acme").display_name == "ACME Inference"
    assert not [w for w in registry.warnings if w.rule == "symlink-escape"]


def test_dotdot_extends_does_not_reach_outside(tmp_path: Path) -> None:
    write(tmp_path, "x.yaml", ACME.replace("acme", "x"))
    folder = tmp_path / "specs"
    write(folder, "acme.yaml", ACME.replace("extends: openai", "extends: ../x"))
    registry = SpecRegistry([folder], env={}, user_config=False)
    with pytest.raises(SpecError) as info:
        registry.get("acme")
    assert info.value.rule == "unknown-extends"
    assert "x" not in registry.providers()


def test_dotdot_in_a_model_ref_is_not_a_path(tmp_path: Path) -> None:
    write(tmp_path, "x.yaml", ACME.replace("acme", "x"))
    folder = tmp_path / "specs"
    folder.mkdir()
    registry = SpecRegistry([folder], env={}, user_config=False)
    with pytest.raises(specwire.errors.ModelNotFoundError):
        registry.get("../x")


def test_only_yaml_files_directly_in_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "specs"
    write(folder, "acme.yaml", ACME)
    write(folder, "other.yml", ACME.replace("acme", "other"))
    for name in ("notes.txt", "README.md", "json.json", "backup.yaml.bak", "acme.yaml~"):
        write(folder, name, ACME.replace("acme", Path(name).stem.split(".")[0]))
    write(folder, ".hidden.yaml", ACME.replace("acme", ".hidden"))
    write(folder / "sub", "nested.yaml", ACME.replace("acme", "nested"))
    (folder / "dir.yaml").mkdir()
    registry = SpecRegistry([folder], env={}, user_config=False)
    user = [p for p in registry.providers() if registry.origin(p)[0] != "builtin"]
    assert sorted(user) == ["acme", "other"]
    assert registry.get("other").display_name == "ACME Inference"
    assert any(w.rule == "not-a-file" and Path(w.file).name == "dir.yaml" for w in registry.warnings)


def test_world_writable_folder_warns(tmp_path: Path) -> None:
    folder = tmp_path / "specs"
    write(folder, "acme.yaml", ACME)
    folder.chmod(0o777)
    try:
        registry = SpecRegistry([folder], env={}, user_config=False)
    finally:
        folder.chmod(0o755)
    assert any(w.rule == "writable-folder" for w in registry.warnings)
    assert "acme" in registry.providers()


# ============================================================================ (e) extends of its own id
def test_extends_own_id_extends_the_builtin(tmp_path: Path) -> None:
    folder = tmp_path / "specs"
    write(folder, "openai.yaml", OPENAI_OVERRIDE.format(name="proxy", url="https://openai-proxy.example.com/v1") + "headers: {x-proxy-team: ml}\n")
    spec = SpecRegistry([folder], env={}, user_config=False).get("openai")
    assert spec.data["base_url"] == "https://openai-proxy.example.com/v1"
    assert spec.data["headers"] == {"x-proxy-team": "ml"}
    assert spec.stream.framing == "sse" and spec.stream.done_data == "[DONE]"  # from the built-in
    assert spec.models == ()  # models are not inherited


def test_extends_own_id_across_user_layers(tmp_path: Path) -> None:
    top, lower = tmp_path / "top", tmp_path / "lower"
    write(lower, "acme.yaml", ACME)
    write(top, "acme.yaml", "spec_version: 1\nprovider: acme\ndisplay_name: ACME EU\nextends: acme\nbase_url: https://eu.acme.example/v1\n")
    spec = SpecRegistry([top], env={"SPECWIRE_PROVIDERS_PATH": str(lower)}, user_config=False).get("acme")
    assert spec.display_name == "ACME EU"
    assert spec.data["base_url"] == "https://eu.acme.example/v1"
    assert spec.env_api_key == ("ACME_API_KEY",)  # from the lower acme
    assert spec.data["params"]["top_k"] == {"unsupported": "ACME has no top_k"}  # from the lower acme
    assert spec.data["request"]["path"] == "/chat/completions"  # from openai, two layers down


# ============================================================================ (f) null removes an inherited key
def test_null_removes_an_inherited_key(tmp_path: Path) -> None:
    folder = tmp_path / "specs"
    write(folder, "acme.yaml", ACME + "stream:\n  body:\n    stream_options: null\n")
    client = specwire.Client([str(folder)], load_entry_points=False, env={"ACME_API_KEY": "k"})
    body = client.build("acme:acme-large", "Hi", stream=True).body
    assert body["stream"] is True
    assert "stream_options" not in body
    parent = specwire.Client(load_entry_points=False, env={}, registry=SpecRegistry(env={}, user_config=False)).build("openai:gpt-5.5", "Hi", stream=True).body
    assert parent["stream_options"] == {"include_usage": True}  # the built-in is untouched


def test_null_removes_an_inherited_param(tmp_path: Path) -> None:
    folder = tmp_path / "specs"
    write(folder, "acme.yaml", ACME + "  seed: null\n")
    spec = SpecRegistry([folder], env={}, user_config=False).get("acme")
    assert "seed" not in spec.data["params"]
    assert "temperature" in spec.data["params"]


# ============================================================================ (g) the missing-key error
def test_missing_api_key_names_the_user_variable(user_folder: Path) -> None:
    with respx.mock(assert_all_called=False) as mock:
        route = _mock_acme(mock)
        client = specwire.Client(load_entry_points=False, env={"SPECWIRE_PROVIDERS_PATH": str(user_folder), "OPENAI_API_KEY": "sk-openai"})
        with pytest.raises(ConfigError) as info:
            client.complete("acme:acme-large", "Hi")
    assert "ACME_API_KEY" in str(info.value)
    assert "OPENAI_API_KEY" not in str(info.value)
    assert not route.called


def test_missing_api_key_lists_every_declared_variable(tmp_path: Path) -> None:
    folder = tmp_path / "specs"
    write(folder, "acme.yaml", ACME.replace("api_key: ACME_API_KEY", "api_key: [ACME_API_KEY, ACME_TOKEN]"))
    client = specwire.Client([str(folder)], load_entry_points=False, env={})
    with pytest.raises(ConfigError, match="ACME_API_KEY or ACME_TOKEN"):
        client.complete("acme:acme-large", "Hi")
