"""Every example of the README runs, offline, as written (issue 11, "docs that stand alone").

What this protects: a reader who copies an example gets what the README says. Each fenced
```python block is executed as is, in a fresh namespace and a temporary working folder, with fake
keys in the environment and HTTP answered by respx routes that speak the providers' documented
wire shapes (Anthropic Messages https://docs.anthropic.com/en/api/messages and its streaming events
https://docs.anthropic.com/en/docs/build-with-claude/streaming, OpenAI Chat Completions
https://platform.openai.com/docs/api-reference/chat, Gemini ``generateContent`` and
``streamGenerateContent`` https://ai.google.dev/api/generate-content); its printed output is then
checked. Every ```sh block whose commands can run offline (``specwire``, ``validate-spec``,
``export``) is run with the installed console scripts. A block that cannot run offline is marked
in the README source with ``<!-- not-run: reason -->`` on the line before it, and
``NOT_RUN`` below lists those blocks, so the set cannot grow silently. The first two ```sh blocks
(the set-up commands) are checked by tests/docs/test_readme.py.

It also checks that every ``provider:model`` ref in the README names a catalog model that is not
deprecated (the offline replay of the first command is a recording of the model it names).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

import specwire.client as sw_client
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
# (marker reason or None, language, body) for every fenced block, in order
BLOCKS = [
    (marker, lang, body)
    for marker, lang, body in re.findall(r"(?:<!-- not-run: ([^>]*?) -->\n)?```(\w+)\n(.*?)```", README, flags=re.DOTALL)
]
PYTHON = [body for marker, lang, body in BLOCKS if lang == "python" and not marker]
SHELL = [body for marker, lang, body in BLOCKS[2:] if lang == "sh" and not marker] if len(BLOCKS) > 2 else []

#: The blocks that do not run, by their first line: each needs the network or a live key.
NOT_RUN = {
    "export ANTHROPIC_API_KEY=...": "needs a live key",
    "pip install 'specwire[gateway]'": "starts a server",
    "from openai import OpenAI": "needs a running gateway",
}

KEYS = {"ANTHROPIC_API_KEY": "sk-ant-readme-test", "OPENAI_API_KEY": "sk-openai-readme-test", "GEMINI_API_KEY": "AIza-readme-test"}

ANTHROPIC_TEXT = "2, 3 and 5."
ANTHROPIC_AFTER_TOOL = "It is 18°C and sunny in Paris."
OPENAI_TEXT = "Hello from OpenAI!"
GEMINI_TEXT = "Hello from Gemini!"

#: For each runnable ```python block, in README order: strings its output must contain.
PYTHON_EXPECTED: list[list[str]] = [
    [ANTHROPIC_TEXT, "stop", "12 7", "total="],  # quick start
    [OPENAI_TEXT, "stop 5"],  # streaming
    [GEMINI_TEXT + "\n" + GEMINI_TEXT],  # async: acomplete, then astream
    [OPENAI_TEXT, "POST https://api.openai.com/v1/chat/completions"],  # Client
    ["get_weather {'city': 'Paris'}", ANTHROPIC_AFTER_TOOL],  # tools
    ["Person Ada Lovelace 1815"],  # structured output: the schema was sent, the reply parsed
    [f"{OPENAI_TEXT} openai-main"],  # router
    ["2 [0.1, 0.2, 0.3] 4 8e-08"],  # embed: two vectors, 4 tokens at $0.02 per million
    ["14 provider", "claude-sonnet-5-5 True True", "claude-next-1 True False None"],  # count_tokens, list_models
]

#: For each runnable shell command: a string its stdout must contain ("" when it prints nothing).
SHELL_EXPECTED = {
    "validate-spec acme.yaml": "",
    "specwire providers": "acme",
    "specwire models acme": "acme-large",
    "validate-spec acme.yaml router.yaml": "",
}


# ---------------------------------------------------------------------------- fake providers
def _sse(events: list[tuple[str | None, dict[str, Any] | str]]) -> bytes:
    out = []
    for name, data in events:
        text = data if isinstance(data, str) else json.dumps(data)
        out.append((f"event: {name}\n" if name else "") + f"data: {text}\n\n")
    return "".join(out).encode()


def _anthropic(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    answered_tool = any(isinstance(m.get("content"), list) and any(p.get("type") == "tool_result" for p in m["content"]) for m in body["messages"])
    if body.get("tools") and not answered_tool:
        content = [{"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}}]
        stop = "tool_use"
    else:
        content = [{"type": "text", "text": ANTHROPIC_AFTER_TOOL if answered_tool else ANTHROPIC_TEXT}]
        stop = "end_turn"
    assert not body.get("stream"), "the README examples call Anthropic without streaming"
    return httpx.Response(200, json={
        "id": "msg_01", "type": "message", "role": "assistant", "model": body["model"], "content": content,
        "stop_reason": stop, "stop_sequence": None, "usage": {"input_tokens": 12, "output_tokens": 7},
    })


def _openai(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    usage = {"prompt_tokens": 9, "completion_tokens": 5, "total_tokens": 14}
    text = OPENAI_TEXT
    if body.get("response_format"):  # strict json_schema (https://platform.openai.com/docs/guides/structured-outputs)
        form = body["response_format"]
        assert form["type"] == "json_schema" and form["json_schema"]["strict"] is True, form
        assert form["json_schema"]["schema"]["additionalProperties"] is False, form
        text = json.dumps({"name": "Ada Lovelace", "born": 1815})
    if not body.get("stream"):
        return httpx.Response(200, json={
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": usage,
        })
    chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": body["model"]}
    events = [
        (None, {**chunk, "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hello from "}, "finish_reason": None}]}),
        (None, {**chunk, "choices": [{"index": 0, "delta": {"content": "OpenAI!"}, "finish_reason": None}]}),
        (None, {**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
        (None, {**chunk, "choices": [], "usage": usage}),
        (None, "[DONE]"),
    ]
    return httpx.Response(200, content=_sse(events), headers={"content-type": "text/event-stream"})


def _gemini(request: httpx.Request) -> httpx.Response:
    def candidate(text: str, finish: str | None) -> dict[str, Any]:
        c: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": text}]}, "index": 0}
        if finish:
            c["finishReason"] = finish
        return c

    usage = {"promptTokenCount": 4, "candidatesTokenCount": 4, "totalTokenCount": 8}
    if request.url.path.endswith(":generateContent"):
        return httpx.Response(200, json={"candidates": [candidate(GEMINI_TEXT, "STOP")], "usageMetadata": usage, "modelVersion": "gemini-3.8-flash"})
    chunks = [{"candidates": [candidate("Hello from ", None)]}, {"candidates": [candidate("Gemini!", "STOP")], "usageMetadata": usage}]
    if request.url.params.get("alt") == "sse":
        return httpx.Response(200, content=_sse([(None, c) for c in chunks]), headers={"content-type": "text/event-stream"})
    return httpx.Response(200, content=json.dumps(chunks).encode(), headers={"content-type": "application/json"})


@pytest.fixture
def providers(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[respx.MockRouter]:
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    # no TLS happens under respx; an empty CA folder keeps each client's SSL context cheap
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path_factory.mktemp("empty-ca")))
    saved, sw_client._default_client = sw_client._default_client, None
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        router.post("https://api.anthropic.com/v1/messages").mock(side_effect=_anthropic)
        # https://docs.claude.com/en/api/messages-count-tokens and https://docs.claude.com/en/api/models-list
        router.post("https://api.anthropic.com/v1/messages/count_tokens").respond(200, json={"input_tokens": 14})
        router.get("https://api.anthropic.com/v1/models").respond(200, json={
            "data": [{"type": "model", "id": "claude-sonnet-5-5", "display_name": "Claude Sonnet 5.5", "created_at": "2026-01-01T00:00:00Z"},
                     {"type": "model", "id": "claude-next-1", "display_name": "Claude Next", "created_at": "2026-02-01T00:00:00Z"}],
            "has_more": False, "first_id": "claude-sonnet-5-5", "last_id": "claude-next-1"})
        router.post("https://api.openai.com/v1/chat/completions").mock(side_effect=_openai)
        # https://platform.openai.com/docs/api-reference/embeddings/object
        router.post("https://api.openai.com/v1/embeddings").respond(200, json={
            "object": "list", "model": "text-embedding-3-small", "usage": {"prompt_tokens": 4, "total_tokens": 4},
            "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2, 0.3]}, {"object": "embedding", "index": 1, "embedding": [0.3, 0.2, 0.1]}]})
        router.post(url__startswith="https://generativelanguage.googleapis.com/v1beta/models/").mock(side_effect=_gemini)
        yield router
    client, sw_client._default_client = sw_client._default_client, saved
    if client is not None:
        client.close()


def _readme_files(folder: Path) -> None:
    """The files the README tells the reader to save: acme.yaml and router.yaml."""
    yamls = [body for _, lang, body in BLOCKS if lang == "yaml"]
    (acme,) = [b for b in yamls if "provider: acme" in b]
    (router,) = [b for b in yamls if b.startswith("router:")]
    (folder / "acme.yaml").write_text(acme, encoding="utf-8")
    (folder / "router.yaml").write_text(router, encoding="utf-8")


# ---------------------------------------------------------------------------- the tests
def test_every_block_is_run_or_listed_as_not_run() -> None:
    not_run = {body.strip().splitlines()[0]: marker for marker, _, body in BLOCKS if marker}
    assert not_run == NOT_RUN, "a README block marked <!-- not-run --> must be listed in NOT_RUN (and only those)"
    assert len(PYTHON) == len(PYTHON_EXPECTED), "a new ```python block in the README needs its expected output here"
    for body in SHELL:
        for command in _commands(body):
            assert command.split()[0] in ("export", "specwire", "validate-spec"), f"not runnable offline, mark it not-run: {command}"


@pytest.mark.parametrize("index", range(len(PYTHON_EXPECTED)))
def test_python_example_runs(index: int, providers: respx.MockRouter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = PYTHON[index]
    _readme_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, f"README.md python block {index + 1}", "exec"), {"__name__": "__readme__"})  # noqa: S102 - our own README
    printed = out.getvalue()
    for expected in PYTHON_EXPECTED[index]:
        assert expected in printed, f"block {index + 1} printed:\n{printed}"
    assert providers.calls, "the example made no HTTP call"


def _commands(body: str) -> list[str]:
    return [line.split("  #")[0].strip() for line in body.strip().splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_shell_examples_run(tmp_path: Path) -> None:
    _readme_files(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env["PWD"] = str(tmp_path)
    scripts = Path(sys.executable).parent
    ran = []
    for body in SHELL:
        for command in _commands(body):
            argv = shlex.split(command)
            if argv[0] == "export":
                for assignment in argv[1:]:
                    name, _, value = assignment.partition("=")
                    env[name] = os.path.expandvars(value.replace("$PWD", str(tmp_path)))
                continue
            done = subprocess.run([str(scripts / argv[0]), *argv[1:]], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
            assert SHELL_EXPECTED[command] in done.stdout, f"{command}\n{done.stdout}"
            ran.append(command)
    assert sorted(ran) == sorted(SHELL_EXPECTED)


def test_model_refs_are_current_catalog_models() -> None:
    """A ``provider:model`` in the README is in that provider's catalog and not deprecated; the
    first set-up command replays a recording of the model it names, so it is exempt."""
    from specwire.registry import SpecRegistry

    registry = SpecRegistry(user_config=False, env={})
    first_command = BLOCKS[0][2]
    text = README.replace(first_command, "")
    text = text.replace(re.search(r"the same offline run is\n`([^`]*)`", text)[1], "")
    refs = set(re.findall(r"\b([a-z][a-z0-9-]*):([a-z][a-z0-9.-]*[a-z0-9])\b", text))
    checked = []
    for provider, model in sorted(refs):
        if provider not in registry.providers():
            continue
        spec = registry.get(provider)
        entry = next((m for m in spec.models if model == m.id or model in m.aliases), None)
        assert entry is not None, f"{provider}:{model} is not in the {provider} catalog"
        assert not entry.deprecated, f"{provider}:{model} is deprecated"
        checked.append(f"{provider}:{model}")
    assert len(checked) >= 3


def _replay_commands() -> list[tuple[str, str]]:
    """(where, command) for each offline ``specwire chat … --replay sample:…`` in README prose and
    in the site's home page (docs/index.md)."""
    found = [("README.md", c) for c in re.findall(r"`(specwire chat [^`]*--replay sample:[^`]*)`", README)]
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    for _, body in re.findall(r"```(sh)\n(.*?)```", index, flags=re.DOTALL):
        found += [("docs/index.md", c) for c in _commands(body) if c.startswith("specwire chat")]
    return found


def test_replay_commands_in_prose_and_home_page_run(tmp_path: Path) -> None:
    commands = _replay_commands()
    assert {where for where, _ in commands} == {"README.md", "docs/index.md"}
    scripts = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    for where, command in commands:
        argv = shlex.split(command)
        done = subprocess.run([str(scripts / argv[0]), *argv[1:]], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"{where}: {command}\n{done.stderr}"
        assert "Wait for the pedestrian" in done.stdout, f"{where}: {command}"


def test_home_page_python_example_runs(providers: respx.MockRouter) -> None:
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    (source,) = re.findall(r"```python\n(.*?)```", index, flags=re.DOTALL)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "docs/index.md python block", "exec"), {"__name__": "__docs__"})  # noqa: S102 - our own docs
    assert ANTHROPIC_TEXT in out.getvalue()
