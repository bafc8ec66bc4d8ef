"""The command line never shows a traceback: a :class:`~specwire.SpecwireError` (or a file it
cannot read) is one line on stderr and a non-zero exit.

What this protects: hostile input to ``specwire chat`` (a prompt with a lone surrogate, which is
what a non-UTF-8 byte in ``argv`` becomes), ``render`` (a request file that is not UTF-8, not
JSON, nested 100 000 deep, or with a tool schema nested past the cap) and ``replay`` / ``chat
--replay`` (bodies nested 100 000 deep, an unknown ``--framing``) used to end in a raw traceback
(``UnicodeEncodeError``, ``JSONDecodeError``, ``RecursionError``, ``UnknownHook``).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.test_cli import SPECWIRE, FIXTURES, Result, run_inproc, workdir  # noqa: F401  (fixtures)

DEEP_OBJECT = b'{"error":' * 100_000
DEEP_ARRAY = b"[" * 100_000


def one_line_error(result: Result) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("warning")]
    assert len(lines) == 1, result.stderr[-2000:]
    assert "Error" in lines[0]


def test_chat_lone_surrogate_prompt_in_process(run_inproc: Callable[..., Result]) -> None:
    body = FIXTURES / "openai/chat-json-tool-calls/response.json"
    result = run_inproc(["chat", "openai:gpt-5.5", "caf\udce9", "--replay", str(body)])
    one_line_error(result)
    assert "RequestBuildError" in result.stderr and "messages" in result.stderr


def test_chat_non_utf8_argv_console_script(workdir: Path) -> None:
    """A Latin-1 byte in argv (Python decodes it to a lone surrogate): one line, exit 2."""
    body = FIXTURES / "openai/chat-json-tool-calls/response.json"
    done = subprocess.run([bytes(SPECWIRE), b"chat", b"openai:gpt-5.5", b"caf\xe9", b"--replay", bytes(body)],
                          cwd=workdir, capture_output=True, timeout=120, check=False)
    result = Result(done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"))
    one_line_error(result)
    assert result.returncode == 2


@pytest.mark.parametrize("no_stream", [False, True], ids=["stream", "no-stream"])
@pytest.mark.parametrize(("status", "body", "name"), [(400, DEEP_OBJECT, "deep.json"), (200, DEEP_ARRAY, "deep.json"), (200, b"data: " + DEEP_ARRAY + b"\n\n", "deep.sse")])
def test_chat_replay_of_a_deep_body(status: int, body: bytes, name: str, no_stream: bool, run_inproc: Callable[..., Result], workdir: Path) -> None:
    path = workdir / name
    path.write_bytes(body)
    args = ["chat", "openai:gpt-5.5", "hi", "--replay", str(path), "--replay-status", str(status)] + (["--no-stream"] if no_stream else [])
    result = run_inproc(args)
    one_line_error(result)
    assert result.returncode == 1


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (b"\xff\xfe not utf-8", "not-utf8"),
        (b'{"messages": [', "not-json"),
        (DEEP_ARRAY, "deep"),
        (json.dumps({"messages": "hi", "tools": [{"name": "t", "parameters": json.loads("[" * 120 + "]" * 120)}]}).encode().replace(b"[" * 120, b"[" * 200, 1).replace(b"]" * 120, b"]" * 200, 1), "deep-schema"),
        (json.dumps({"messages": "hi", "stream_mode": "x"}).encode(), "stream-mode-key"),
        (json.dumps({"messages": "hi", "extra_headers": {"x-a": "b\r\nc"}}).encode(), "crlf-header"),
        (json.dumps({"messages": "hi", "temperature": "hot"}).encode(), "bad-option"),
    ],
    ids=["not-utf8", "not-json", "deep", "deep-schema", "stream-mode-key", "crlf-header", "bad-option"],
)
def test_render_hostile_request_file(content: bytes, what: str, run_inproc: Callable[..., Result], workdir: Path) -> None:
    path = workdir / "request.json"
    path.write_bytes(content)
    result = run_inproc(["render", "openai:gpt-5.5", "--request", str(path), "--json"])
    if what == "stream-mode-key":  # the command line's --stream-mode wins; the file's is ignored
        assert result.returncode == 0 and "Traceback" not in result.stderr
        return
    one_line_error(result)
    assert result.returncode == 2


@pytest.mark.parametrize("body", [DEEP_OBJECT, DEEP_ARRAY, b"data: " + DEEP_ARRAY + b"\n\n"])
@pytest.mark.parametrize("extra", [[], ["--status", "500"], ["--stream"], ["--no-stream"]])
def test_replay_of_a_deep_body_ends_in_one_error_event(body: bytes, extra: list[str], run_inproc: Callable[..., Result], workdir: Path) -> None:
    path = workdir / "body.sse"
    path.write_bytes(body)
    result = run_inproc(["replay", "openai", str(path), "--json", *extra])
    assert result.returncode == 1 and "Traceback" not in result.stderr
    types = [json.loads(line)["type"] for line in result.stdout.splitlines()]
    assert types[0] == "response_start" and types[-1] == "error" and types.count("error") == 1


def test_replay_unknown_framing_is_one_line(run_inproc: Callable[..., Result], workdir: Path) -> None:
    path = workdir / "body.sse"
    path.write_bytes(b"data: {}\n\n")
    result = run_inproc(["replay", "openai", str(path), "--stream", "--framing", "no-such-framing"])
    one_line_error(result)
    assert result.returncode == 2


def test_render_settings_of_the_wrong_type(run_inproc: Callable[..., Result], workdir: Path) -> None:
    path = workdir / "request.json"
    path.write_text(json.dumps({"messages": "hi", "settings": 5}), encoding="utf-8")
    result = run_inproc(["render", "openai:gpt-5.5", "--request", str(path)])
    one_line_error(result)
    assert "settings" in result.stderr
