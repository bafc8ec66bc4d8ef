"""The ``specwire`` command line: the installed console script in a subprocess, and its entry
point ``specwire.cli.main`` in-process for the wide fixture matrices (a subprocess costs ~1 s).

What this protects (docs/ARCHITECTURE.md section 7):

* ``specwire chat MODEL PROMPT --replay BODY`` prints the reply text of every recorded stream of
  the openai, anthropic and gemini fixtures (gzip bodies included) and exits 0; an error body
  served with ``--replay-status`` exits 1 with the error class on stderr;
* ``specwire render … --json`` prints exactly ``method, url, headers, body, warnings``, with the
  auth header masked even when a real-looking key is in the environment (the key is never printed);
* ``specwire replay PROVIDER BODY --json`` prints one JSON event per line for stream, non-stream
  and error bodies, ``response_start`` first and exactly one terminal event last;
* ``specwire providers`` / ``specwire models --json`` list the built-in providers and catalogs;
* every JSON output validates against ``schemas/stream-event.schema.json`` and
  ``schemas/render-output.schema.json`` (draft 2020-12), which also reject malformed lines.

Every command runs from a temporary working directory, so nothing depends on the repository path.
No command touches the network (``--replay`` serves the body from an in-process mock transport).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from specwire.registry import SpecRegistry

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
PROVIDERS_DIR = ROOT / "providers.d"
SCHEMAS_DIR = ROOT / "schemas"
SPECWIRE = Path(sys.executable).with_name("specwire")
PROVIDERS = ("openai", "anthropic", "gemini")
KEY_VARS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY", "gemini": "GEMINI_API_KEY"}
# Real-looking keys; every 5-character window of them is checked against the output.
REAL_LOOKING_KEYS = {
    "openai": "sk-proj-Q7vN2mXk9LpR4tW8yB3cF6hJ1dS5gA0eZuV",
    "anthropic": "sk-ant-api03-Hq4Zr8Wm2Ty6Kp0Vb5Nc9Xj3Lf7Ds1Ga",
    "gemini": "AIzaSyQm5Rt8Wv2Xz6Bn9Kc3Hj7Lp1Df4Gs0Aq",
}
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.lru_cache(maxsize=None)
def load_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # noqa: S506 - a safe loader


@functools.lru_cache(maxsize=None)
def validator(name: str) -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMAS_DIR / name).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def assert_valid(name: str, data: Any) -> None:
    errors = sorted(validator(name).iter_errors(data), key=lambda e: list(e.absolute_path))
    assert not errors, f"{name}: " + "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def catalog_model(provider: str) -> str:
    for entry in load_yaml(PROVIDERS_DIR / f"{provider}.yaml")["models"]:
        if (entry.get("pricing") or {}).get("input") is not None and not entry.get("deprecated"):
            return str(entry["id"])
    raise AssertionError(f"no priced model in {provider}.yaml")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary working directory; also an empty CA folder for httpx: nothing here does TLS,
    and loading the system trust store costs ~0.1 s per HTTP client."""
    path = tmp_path / "cwd"
    path.mkdir()
    (tmp_path / "empty-ca").mkdir()
    monkeypatch.chdir(path)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path / "empty-ca"))
    return path


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> Result:
    """Run the venv's ``specwire`` console script in a subprocess (environment as isolated by
    conftest, plus ``env``)."""
    assert SPECWIRE.exists(), f"the console script {SPECWIRE} is not installed"
    full_env = {**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}
    full_env.pop("PYTHONPATH", None)
    done = subprocess.run([str(SPECWIRE), *args], cwd=cwd, env=full_env, capture_output=True, text=True, encoding="utf-8", timeout=120, check=False)
    return Result(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def run_inproc(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, workdir: Path) -> Callable[..., Result]:
    """``specwire.cli.main`` (the console script's entry point) in this process, for the wide
    matrices: a subprocess costs ~1 s of interpreter start and imports per run."""
    from specwire.cli import main

    def invoke(args: list[str], env: dict[str, str] | None = None) -> Result:
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        capsys.readouterr()
        code = main(args)
        out = capsys.readouterr()
        return Result(code, out.out, out.err)

    return invoke


def json_lines(stdout: str) -> list[dict[str, Any]]:
    lines = stdout.splitlines()
    assert lines, "no output"
    return [json.loads(line) for line in lines]


def check_event_lines(events: list[dict[str, Any]]) -> None:
    for event in events:
        assert_valid("stream-event.schema.json", event)
    types = [e["type"] for e in events]
    assert types[0] == "response_start", types
    assert [i for i, t in enumerate(types) if t in ("finish", "error")] == [len(types) - 1], types


# ---------------------------------------------------------------------------- schemas
def test_schemas_are_draft_2020_12_and_ship_in_the_package() -> None:
    for name in ("stream-event.schema.json", "render-output.schema.json"):
        schema = json.loads((SCHEMAS_DIR / name).read_text(encoding="utf-8"))
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"].endswith("/" + name)
        validator(name)
        assert files("specwire.schemas").joinpath(name).is_file(), f"{name} is not in the specwire.schemas package"


BAD_EVENTS = [
    {},
    {"type": "nonsense"},
    {"type": "response_start", "provider": "openai"},
    {"type": "text_delta", "index": 0},
    {"type": "text_delta", "index": -1, "delta": "x"},
    {"type": "text_start", "index": 0, "extra": 1},
    {"type": "finish"},
    {"type": "error", "error": {"message": "x"}, "response": None},
]


@pytest.mark.parametrize("event", BAD_EVENTS, ids=[json.dumps(e) for e in BAD_EVENTS])
def test_event_schema_rejects_malformed_lines(event: dict[str, Any]) -> None:
    assert list(validator("stream-event.schema.json").iter_errors(event))


def test_schemas_reject_unmasked_secrets_and_extra_keys() -> None:
    good = {"method": "POST", "url": "https://api.example/v1/x", "headers": {"authorization": "Bearer ***"}, "body": {}, "warnings": []}
    assert_valid("render-output.schema.json", good)
    bad = [
        {**good, "extra": 1},
        {k: v for k, v in good.items() if k != "warnings"},
        {**good, "headers": {"authorization": "Bearer sk-live-abcdef123456"}},
        {**good, "headers": {"x-goog-api-key": "AIzaSyQm5Rt8Wv2Xz6B"}},
        {**good, "url": "https://api.example/v1/x?key=AIzaSyQm5Rt8"},
        {**good, "warnings": [{"kind": "x"}]},
    ]
    for output in bad:
        assert list(validator("render-output.schema.json").iter_errors(output)), output
    response = {"id": None, "provider": "p", "model": "m", "parts": [], "text": "", "reasoning": None, "tool_calls": [], "finish_reason": None, "usage": None, "cost": None, "cost_reason": None, "warnings": []}
    assert list(validator("stream-event.schema.json").iter_errors({"type": "finish", "response": response})), "cost null needs a reason"
    assert list(validator("stream-event.schema.json").iter_errors({"type": "finish", "response": {**response, "cost_reason": "x", "raw": {}}})), "raw is never printed"


# ---------------------------------------------------------------------------- chat
def _stream_cases() -> list[tuple[str, Path, str | None]]:
    """(id, body file, stream mode) for every recorded stream of the three providers, plus the
    exact gzip bytes as served where the recording has them."""
    out = []
    for provider in PROVIDERS:
        for case_file in sorted((FIXTURES / provider).glob("*/case.yaml")):
            replay = load_yaml(case_file)["replay"]
            if not replay.get("stream") or replay["provider"] != provider:
                continue
            mode = "sse" if provider == "gemini" and replay.get("framing") == "sse" else None
            folder = case_file.parent
            out.append((f"{provider}/{folder.name}", folder / replay["body"], mode))
            if (folder / "body.gz").exists():
                out.append((f"{provider}/{folder.name}/body.gz", folder / "body.gz", mode))
    return out


STREAM_CASES = _stream_cases()
# Also run through the real console script (a subprocess costs ~1 s; the matrix runs in-process).
SUBPROCESS_CHAT = (
    "openai/chat-stream-text-usage-final-chunk",
    "anthropic/stream-gzip-tool-use-empty-input/body.gz",
)


def test_stream_cases_cover_each_provider_and_gzip() -> None:
    ids = [c[0] for c in STREAM_CASES]
    for provider in PROVIDERS:
        assert sum(i.startswith(provider + "/") for i in ids) >= 2
    assert "anthropic/stream-gzip-tool-use-empty-input/body.gz" in ids
    assert sum(i.startswith("gemini/jsonarray-") and i.endswith("body.gz") for i in ids) == 2
    assert any(mode == "sse" for _, _, mode in STREAM_CASES)
    assert set(SUBPROCESS_CHAT) <= set(ids)


def _chat_args(case_id: str, body: Path, mode: str | None) -> list[str]:
    provider = case_id.split("/")[0]
    args = ["chat", f"{provider}:{catalog_model(provider)}", "What is the capital?", "--replay", str(body)]
    return args + (["--stream-mode", mode] if mode else [])


def _check_chat(result: Result, body: Path) -> None:
    expected = load_yaml(body.parent / "case.yaml")["expected"]
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected["text"] + "\n"
    assert "error" not in result.stderr.lower()
    summary = result.stderr.strip().splitlines()[-1]
    assert summary.startswith("[") and summary.endswith("]") and "$" in summary, summary


@pytest.mark.parametrize(("case_id", "body", "mode"), [c for c in STREAM_CASES if c[0] in SUBPROCESS_CHAT], ids=list(SUBPROCESS_CHAT))
def test_chat_replay_console_script(case_id: str, body: Path, mode: str | None, workdir: Path) -> None:
    _check_chat(run(_chat_args(case_id, body, mode), workdir), body)


@pytest.mark.parametrize(("case_id", "body", "mode"), STREAM_CASES, ids=[c[0] for c in STREAM_CASES])
def test_chat_replay_every_stream_fixture(case_id: str, body: Path, mode: str | None, run_inproc: Callable[..., Result]) -> None:
    _check_chat(run_inproc(_chat_args(case_id, body, mode)), body)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_chat_json_lines_validate(provider: str, run_inproc: Callable[..., Result]) -> None:
    case_id, body, mode = next(c for c in STREAM_CASES if c[0].startswith(provider + "/"))
    result = run_inproc([*_chat_args(case_id, body, mode), "--json"])
    assert result.returncode == 0, result.stderr
    events = json_lines(result.stdout)
    check_event_lines(events)
    assert events[-1]["type"] == "finish"
    assert events[-1]["response"]["text"] == load_yaml(body.parent / "case.yaml")["expected"]["text"]


def _check_chat_error(result: Result, status: int, error_class: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert f"error: {error_class}:" in result.stderr
    assert f"HTTP {status}" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.strip() == ""


def test_chat_replay_429_console_script(workdir: Path) -> None:
    body = FIXTURES / "openai/chat-error-400-unsupported-value/response.json"
    result = run(["chat", f"openai:{catalog_model('openai')}", "hi", "--replay", str(body), "--replay-status", "429"], workdir)
    _check_chat_error(result, 429, "RateLimitError")


ERROR_REPLAYS = [
    ("openai", "openai/chat-error-400-unsupported-value/response.json", 429, "RateLimitError"),
    ("openai", "openai/chat-error-400-unsupported-value/response.json", 400, "BadRequestError"),
    ("gemini", "gemini/error-429-resource-exhausted-retryinfo/response.json", 429, "RateLimitError"),
    ("anthropic", "anthropic/error-400-invalid-request/response.json", 400, "BadRequestError"),
]


@pytest.mark.parametrize(("provider", "body", "status", "error_class"), ERROR_REPLAYS, ids=[f"{p}-{s}" for p, _, s, _ in ERROR_REPLAYS])
@pytest.mark.parametrize("no_stream", [False, True], ids=["stream", "no-stream"])
def test_chat_replay_error_status_exits_1(provider: str, body: str, status: int, error_class: str, no_stream: bool, run_inproc: Callable[..., Result]) -> None:
    args = ["chat", f"{provider}:{catalog_model(provider)}", "hi", "--replay", str(FIXTURES / body), "--replay-status", str(status)]
    _check_chat_error(run_inproc(args + (["--no-stream"] if no_stream else [])), status, error_class)


def test_chat_unknown_provider_exits_2(run_inproc: Callable[..., Result]) -> None:
    result = run_inproc(["chat", "nosuchprovider:model", "hi", "--replay", str(FIXTURES / "openai/chat-json-tool-calls/response.json")])
    assert result.returncode == 2
    assert "ModelNotFoundError" in result.stderr and "Traceback" not in result.stderr


# ---------------------------------------------------------------------------- render
RENDER_CASES = [
    ("openai", None, "https://api.openai.com/v1/chat/completions", "authorization"),
    ("anthropic", None, "https://api.anthropic.com/v1/messages", "authorization"),
    ("gemini", None, "https://generativelanguage.googleapis.com/v1beta/models/{model}:streamGenerateContent", "x-goog-api-key"),
    ("gemini", "sse", "https://generativelanguage.googleapis.com/v1beta/models/{model}:streamGenerateContent?alt=sse", "x-goog-api-key"),
]
KEYS_ENV = {KEY_VARS[p]: REAL_LOOKING_KEYS[p] for p in PROVIDERS}


def _request_file(workdir: Path) -> Path:
    path = workdir / "request.json"
    request = {
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is the capital of France?"}],
        "max_output_tokens": 200,
        "tools": [{"name": "get_weather", "description": "Weather for a city", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}],
    }
    path.write_text(json.dumps(request), encoding="utf-8")
    return path


def _render_args(provider: str, mode: str | None, workdir: Path) -> list[str]:
    args = ["render", f"{provider}:{catalog_model(provider)}", "--request", str(_request_file(workdir)), "--stream", "--json"]
    return args + (["--stream-mode", mode] if mode else [])


def _assert_key_absent(key: str, *texts: str) -> None:
    for text in texts:
        for i in range(len(key) - 4):
            assert key[i : i + 5] not in text, f"a piece of the key ({key[i:i + 5]!r}) was printed"


def _check_render(result: Result, provider: str, url: str, auth_header: str, *, with_key: bool) -> None:
    model = catalog_model(provider)
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert list(output) == ["method", "url", "headers", "body", "warnings"]
    assert_valid("render-output.schema.json", output)
    assert output["method"] == "POST"
    assert output["url"] == url.format(model=model)
    headers = output["headers"]
    assert "***" in headers[auth_header]
    if auth_header != "authorization":
        assert "authorization" not in headers
    if with_key:
        for key in REAL_LOOKING_KEYS.values():
            _assert_key_absent(key, result.stdout, result.stderr)
    body = output["body"]
    if provider == "openai":
        assert body["model"] == model and body["stream"] is True and body["max_completion_tokens"] == 200
        assert body["tools"][0]["function"]["name"] == "get_weather"
    elif provider == "anthropic":
        assert headers["anthropic-version"] == "2026-10-21"
        assert body["model"] == model and body["stream"] is True and body["max_tokens"] == 200
        assert body["system"] == [{"type": "text", "text": "Be brief."}]
    else:
        assert body["contents"][0]["parts"][0]["text"] == "What is the capital of France?"
        assert body["generationConfig"]["maxOutputTokens"] == 200


def test_render_console_script_masks_the_key(workdir: Path) -> None:
    """x-goog-api-key is a header httpx itself never masks."""
    provider, mode, url, auth_header = RENDER_CASES[3]
    _check_render(run(_render_args(provider, mode, workdir), workdir, KEYS_ENV), provider, url, auth_header, with_key=True)


@pytest.mark.parametrize(("provider", "mode", "url", "auth_header"), RENDER_CASES, ids=[f"{p}-{m or 'default'}" for p, m, _, _ in RENDER_CASES])
@pytest.mark.parametrize("with_key", [True, False], ids=["key-in-env", "no-key"])
def test_render_prints_the_masked_request(provider: str, mode: str | None, url: str, auth_header: str, with_key: bool, workdir: Path, run_inproc: Callable[..., Result]) -> None:
    result = run_inproc(_render_args(provider, mode, workdir), KEYS_ENV if with_key else None)
    _check_render(result, provider, url, auth_header, with_key=with_key)


def test_render_unknown_model_warns(workdir: Path, run_inproc: Callable[..., Result]) -> None:
    result = run_inproc(["render", "openai:zz-unknown-model", "--request", str(_request_file(workdir)), "--json"])
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert_valid("render-output.schema.json", output)
    assert [w["kind"] for w in output["warnings"]] == ["unknown-model"]
    assert "stream" not in output["body"]


# ---------------------------------------------------------------------------- replay
REPLAYS = [
    # (id, provider, body, extra args, expected exit code)
    ("openai-stream", "openai", "openai/chat-stream-tool-call-args-split/stream.sse", [], 0),
    ("anthropic-stream-gzip", "anthropic", "anthropic/stream-gzip-tool-use-empty-input/body.gz", ["--stream"], 0),
    ("gemini-stream-jsonarray", "gemini", "gemini/jsonarray-thoughts-text-gzip/stream.jsonarray", [], 0),
    ("gemini-stream-sse", "gemini", "gemini/sse-text-crlf/stream.sse", ["--stream-mode", "sse"], 0),
    ("openai-json", "openai", "openai/chat-json-tool-calls/response.json", [], 0),
    ("anthropic-json", "anthropic", "anthropic/json-parallel-tool-calls/response.json", [], 0),
    ("gemini-json", "gemini", "gemini/json-generate-content/response.json", [], 0),
    ("openai-error-400", "openai", "openai/chat-error-400-unsupported-value/response.json", ["--status", "400"], 1),
    ("anthropic-error-400", "anthropic", "anthropic/error-400-invalid-request/response.json", ["--status", "400"], 1),
    ("gemini-error-429", "gemini", "gemini/error-429-resource-exhausted-retryinfo/response.json", ["--status", "429"], 1),
]
# Through the real console script too: a gzip stream, and an error body (exit code 1).
SUBPROCESS_REPLAYS = ("anthropic-stream-gzip", "gemini-error-429")


def _replay_args(provider: str, body: str, extra: list[str]) -> list[str]:
    return ["replay", provider, str(FIXTURES / body), "--json", "--model", catalog_model(provider), *extra]


def _check_replay(result: Result, provider: str, body: str, extra: list[str], code: int) -> None:
    model = catalog_model(provider)
    assert result.returncode == code, result.stderr
    events = json_lines(result.stdout)
    check_event_lines(events)
    assert events[0] == {"type": "response_start", "provider": provider, "model": model}
    expected = load_yaml((FIXTURES / body).parent / "case.yaml")["expected"]
    last = events[-1]
    if code == 0:
        assert last["type"] == "finish"
        response = last["response"]
        assert response["text"] == expected["text"]
        assert [c["tool_name"] for c in response["tool_calls"]] == [c["name"] for c in expected["tool_calls"]]
        assert response["cost"] is not None and response["cost"]["total"] > 0
    else:
        assert last["type"] == "error"
        error = last["error"]
        assert error["status"] == int(extra[1]) and error["provider"] == provider
        assert error["message"] == expected["error"]["message"]
        assert error["error_type"] == expected["error"]["type"]
        assert error["class"] == ("RateLimitError" if error["status"] == 429 else "BadRequestError")
        if provider == "gemini":
            assert error["retry_after"] == pytest.approx(34.4)


@pytest.mark.parametrize(("provider", "body", "extra", "code"), [r[1:] for r in REPLAYS if r[0] in SUBPROCESS_REPLAYS], ids=list(SUBPROCESS_REPLAYS))
def test_replay_console_script(provider: str, body: str, extra: list[str], code: int, workdir: Path) -> None:
    _check_replay(run(_replay_args(provider, body, extra), workdir), provider, body, extra, code)


@pytest.mark.parametrize(("provider", "body", "extra", "code"), [r[1:] for r in REPLAYS], ids=[r[0] for r in REPLAYS])
def test_replay_prints_json_lines(provider: str, body: str, extra: list[str], code: int, run_inproc: Callable[..., Result]) -> None:
    _check_replay(run_inproc(_replay_args(provider, body, extra)), provider, body, extra, code)


def _all_cases() -> list[tuple[str, Path, dict[str, Any]]]:
    out = []
    for provider in PROVIDERS:
        for case_file in sorted((FIXTURES / provider).glob("*/case.yaml")):
            data = load_yaml(case_file)
            if data["replay"]["provider"] == provider:
                out.append((f"{provider}/{case_file.parent.name}", case_file.parent, data))
    return out


ALL_CASES = _all_cases()


@pytest.mark.parametrize(("case_id", "folder", "data"), ALL_CASES, ids=[c[0] for c in ALL_CASES])
def test_replay_every_fixture_validates_against_the_schema(case_id: str, folder: Path, data: dict[str, Any], run_inproc: Callable[..., Result]) -> None:
    replay, expected = data["replay"], data["expected"]
    provider = replay["provider"]
    args = ["replay", provider, str(folder / replay["body"]), "--json", "--model", catalog_model(provider)]
    args.append("--stream" if replay.get("stream") else "--no-stream")
    if provider == "gemini" and replay.get("stream") and replay.get("framing") == "sse":
        args += ["--stream-mode", "sse"]
    if replay.get("status"):
        args += ["--status", str(replay["status"])]
    result = run_inproc(args)
    events = json_lines(result.stdout)
    check_event_lines(events)
    if replay.get("status", 200) >= 300:
        assert result.returncode == 1 and events[-1]["type"] == "error"
        assert events[-1]["error"]["status"] == replay["status"]
    else:
        assert result.returncode == 0, events[-1]
        assert events[-1]["response"]["text"] == expected["text"]


def test_replay_truncated_stream_ends_in_error(workdir: Path, run_inproc: Callable[..., Result]) -> None:
    full = (FIXTURES / "openai/chat-stream-text-usage-final-chunk/stream.sse").read_bytes()
    cut = workdir / "cut.sse"
    cut.write_bytes(full[: full.index(b"data: [DONE]")])
    result = run_inproc(["replay", "openai", str(cut), "--json"])
    assert result.returncode == 1
    events = json_lines(result.stdout)
    check_event_lines(events)
    assert events[-1]["error"]["class"] == "IncompleteStreamError"
    assert events[-1]["response"]["text"] == "The capital of the UK is London."


# ---------------------------------------------------------------------------- listings
def test_providers_lists_the_builtins(workdir: Path, run_inproc: Callable[..., Result]) -> None:
    result = run(["providers", "--json"], workdir)
    assert result.returncode == 0, result.stderr
    rows = {row["provider"]: row for row in json.loads(result.stdout)}
    assert set(PROVIDERS) <= set(rows)
    for provider in PROVIDERS:
        row = rows[provider]
        assert row["source"] == "builtin" and row["error"] is None
        assert Path(row["file"]).name == f"{provider}.yaml"
        # the spec's own entries plus its imported catalog (engine/catalogs.py)
        assert row["models"] == len(SpecRegistry(user_config=False, env={}).get(provider).models) > len(load_yaml(PROVIDERS_DIR / f"{provider}.yaml")["models"])
        assert row["display_name"] == load_yaml(PROVIDERS_DIR / f"{provider}.yaml")["display_name"]
    table = run_inproc(["providers"])
    assert table.returncode == 0
    for provider in PROVIDERS:
        assert any(line.split()[:1] == [provider] for line in table.stdout.splitlines())


def test_models_json_lists_the_catalogs(workdir: Path, run_inproc: Callable[..., Result]) -> None:
    result = run(["models", "--json"], workdir)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    for provider in PROVIDERS:
        catalog = load_yaml(PROVIDERS_DIR / f"{provider}.yaml")["models"]
        mine = [r for r in rows if r["provider"] == provider and r["origin"] == "hand-written"]
        assert [r["id"] for r in mine] == [m["id"] for m in catalog]
        imported = [r for r in rows if r["provider"] == provider and r["origin"] != "hand-written"]
        assert imported and all(r["source"] and r["as_of"] for r in imported)
        for row, entry in zip(mine, catalog):
            assert row["model"] == f"{provider}:{entry['id']}"
            pricing = entry.get("pricing") or {}
            assert (row["input"], row["output"]) == (pricing.get("input"), pricing.get("output"))
            assert row["context_window"] == entry.get("context_window")
    only = run_inproc(["models", "gemini", "--json"])
    assert only.returncode == 0
    assert {r["provider"] for r in json.loads(only.stdout)} == {"gemini"}


def test_replay_sample_names_a_shipped_recording() -> None:
    """``--replay sample:NAME`` reads a recording from the installed package (the README's first
    command works without a checkout); an unknown or path-like name is a usage error listing the
    samples, never a file outside the package."""
    import subprocess
    import sys
    from pathlib import Path

    exe = str(Path(sys.executable).parent / "specwire")
    ok = subprocess.run([exe, "chat", "anthropic:claude-sonnet-4-5", "hi", "--replay", "sample:stream-thinking-signature"], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert "Wait for the pedestrian" in ok.stdout
    for bad in ("sample:nope", "sample:../providers_d", "sample:/etc/passwd"):
        done = subprocess.run([exe, "chat", "anthropic:claude-sonnet-4-5", "hi", "--replay", bad], capture_output=True, text=True, timeout=60)
        assert done.returncode == 2
        assert "stream-thinking-signature" in done.stderr  # the known samples are listed
        assert "Traceback" not in done.stderr
