"""``specwire chat`` as a tool people keep open (issue 11), and the CLI's behaviour at its edges.

What this protects:

* a prompt from standard input (``-`` or no prompt, stdin not a terminal), and an interactive
  session with history when stdin is a terminal (``/reset``, ``/exit``, end of input; a turn that
  fails is not kept), checked on the requests themselves (respx) and through a pseudo-terminal;
* ``--api-key`` / ``--base-url`` / ``--system`` / ``--option key=value`` reach the request, and the
  key is never printed, not even when the provider echoes it in an error;
* tool calls are printed (name and arguments), reasoning is labelled on its own lines, the summary
  line prints only what is known (never ``None out tokens``), standard output holds the answer only;
* on a terminal the answer goes through rich (colours, Markdown); without rich, or piped, plain text;
* ``replay`` exits 1 on an error event, and a body refused at byte 0 names the ``--stream-mode``
  that reads it (from the spec's modes); every entry point survives a closed pipe.

The CLI's calls are synchronous (``Client.stream`` / ``Client.complete``); it has no async path.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from specwire.cli import chat as chat_module
from specwire.cli import term
from specwire.cli.output import summary_line
from specwire.types import Cost, FinishReason, Response, ToolCallPart, Usage
from tests.integration.test_cli import FIXTURES, SPECWIRE, Result, run, run_inproc, workdir  # noqa: F401  (fixtures)

BASE_URL = "https://llm.test.example/v1"
KEY = "sk-test-Zq81LmW3xV5cN0pR7tY2"
MODEL = "openai:gpt-5.5"
TEXT_STREAM = FIXTURES / "openai/chat-stream-text-usage-final-chunk/stream.sse"
TOOL_STREAM = FIXTURES / "openai/chat-stream-tool-call-args-split/stream.sse"
TOOL_JSON = FIXTURES / "openai/chat-json-tool-calls/response.json"
README_SAMPLE = ["chat", "anthropic:claude-sonnet-4-5", "How do I safely cross the street?", "--replay", "sample:stream-thinking-signature"]


def answer_of(body: Path) -> str:
    import yaml

    return str(yaml.safe_load((body.parent / "case.yaml").read_text(encoding="utf-8"))["expected"]["text"])


@pytest.fixture
def server() -> Iterator[respx.MockRouter]:
    """An OpenAI-style endpoint at BASE_URL answering every call with TEXT_STREAM."""
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        router.post(f"{BASE_URL}/chat/completions").mock(return_value=httpx.Response(200, headers={"content-type": "text/event-stream"}, content=TEXT_STREAM.read_bytes()))
        yield router


def sent(router: respx.MockRouter) -> list[dict[str, Any]]:
    """The JSON bodies of the requests the router answered, in order."""
    return [json.loads(call.request.content) for call in router.calls]


def live(*extra: str) -> list[str]:
    return ["chat", MODEL, *extra, "--base-url", BASE_URL, "--api-key", KEY]


def feed_stdin(monkeypatch: pytest.MonkeyPatch, text: str, *, tty: bool) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    monkeypatch.setattr(chat_module, "stdin_is_tty", lambda: tty)


# ---------------------------------------------------------------------------- one prompt
@pytest.mark.parametrize("dash", [True, False], ids=["dash", "no-prompt"])
def test_prompt_from_piped_stdin(dash: bool, monkeypatch: pytest.MonkeyPatch, server: respx.MockRouter, run_inproc: Callable[..., Result]) -> None:
    feed_stdin(monkeypatch, "line one\nline two\n", tty=False)
    result = run_inproc(live(*(["-"] if dash else []), "--system", "Be brief."))
    assert result.returncode == 0, result.stderr
    assert result.stdout == answer_of(TEXT_STREAM) + "\n"
    (body,) = sent(server)
    assert body["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "line one\nline two\n"}]
    request = server.calls[0].request
    assert str(request.url) == f"{BASE_URL}/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in result.stdout + result.stderr


def test_empty_stdin_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, server: respx.MockRouter, run_inproc: Callable[..., Result]) -> None:
    feed_stdin(monkeypatch, "  \n", tty=False)
    result = run_inproc(live())
    assert result.returncode == 2 and "no prompt" in result.stderr and "Traceback" not in result.stderr
    assert not server.calls


def test_stdin_that_is_not_utf8_is_one_line(workdir: Path) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("PYTHONPATH", None)
    done = subprocess.run([str(SPECWIRE), *README_SAMPLE[:2], "-", "--replay", README_SAMPLE[4]], input=b"caf\xe9\n", cwd=workdir, env=env, capture_output=True, timeout=60, check=False)
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2 and "Traceback" not in err
    assert [line for line in err.splitlines() if line.startswith("specwire: ")] and "standard input" in err


def test_options_reach_the_request(server: respx.MockRouter, run_inproc: Callable[..., Result]) -> None:
    """``--option`` values are JSON when they parse (numbers, lists), else strings."""
    result = run_inproc(live("hi", "-o", "top_p=0.5", "--option", 'stop_sequences=["END"]', "-o", "seed=7", "-o", "max_retries=0"))
    assert result.returncode == 0, result.stderr
    (body,) = sent(server)
    assert (body["top_p"], body["stop"], body["seed"]) == (0.5, ["END"], 7)


@pytest.mark.parametrize(("text", "expected"), [("a=1", ("a", 1)), ("a=x", ("a", "x")), ("a={\"b\": [1]}", ("a", {"b": [1]})), ("a=", ("a", "")), ("a=b=c", ("a", "b=c")), ("a=true", ("a", True))])
def test_option_pair(text: str, expected: tuple[str, Any]) -> None:
    assert chat_module.option_pair(text) == expected


def test_option_without_equals_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    from specwire.cli import main

    with pytest.raises(SystemExit) as info:
        main(["chat", MODEL, "hi", "--option", "top_p"])
    assert info.value.code == 2
    assert "KEY=VALUE" in capsys.readouterr().err


def test_api_key_never_printed_even_when_the_provider_echoes_it(run_inproc: Callable[..., Result]) -> None:
    echo = {"error": {"message": f"Incorrect API key provided: {KEY}. You can find your API key at …", "type": "invalid_request_error", "code": "invalid_api_key"}}
    with respx.mock(assert_all_mocked=True) as router:
        router.post(f"{BASE_URL}/chat/completions").mock(return_value=httpx.Response(401, json=echo))
        for extra in ([], ["--no-stream"], ["--json"]):
            result = run_inproc(live("hi", *extra))
            assert result.returncode == 1, result.stderr
            assert "AuthenticationError" in result.stdout + result.stderr
            assert KEY not in result.stdout + result.stderr
            assert KEY[:12] not in result.stdout + result.stderr


# ---------------------------------------------------------------------------- the session
def test_session_keeps_history_resets_and_exits(monkeypatch: pytest.MonkeyPatch, server: respx.MockRouter, run_inproc: Callable[..., Result]) -> None:
    feed_stdin(monkeypatch, "first\n\nsecond\n/reset\nthird\n/exit\nnever sent\n", tty=True)
    result = run_inproc(live("--system", "S"))
    assert result.returncode == 0, result.stderr
    bodies = sent(server)
    assert len(bodies) == 3
    answer = answer_of(TEXT_STREAM)
    system = {"role": "system", "content": "S"}
    assert bodies[0]["messages"] == [system, {"role": "user", "content": "first"}]
    assert bodies[1]["messages"] == [system, {"role": "user", "content": "first"}, {"role": "assistant", "content": answer}, {"role": "user", "content": "second"}]
    assert bodies[2]["messages"] == [system, {"role": "user", "content": "third"}]
    assert result.stdout == (answer + "\n") * 3  # the prompts go to stderr when stdout is redirected
    assert result.stderr.count(chat_module.PROMPT) == 6 and "history cleared" in result.stderr


def test_session_ends_at_end_of_input_and_drops_a_failed_turn(monkeypatch: pytest.MonkeyPatch, run_inproc: Callable[..., Result]) -> None:
    ok = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=TEXT_STREAM.read_bytes())
    failed = httpx.Response(400, json={"error": {"message": "bad thing", "type": "invalid_request_error"}})
    feed_stdin(monkeypatch, "one\ntwo\nthree\n", tty=True)
    with respx.mock(assert_all_mocked=True) as router:
        router.post(f"{BASE_URL}/chat/completions").mock(side_effect=[ok, failed, ok])
        result = run_inproc(live())
        bodies = sent(router)
    assert result.returncode == 0, result.stderr
    assert "BadRequestError" in result.stderr
    assert [m["content"] for m in bodies[2]["messages"] if m["role"] == "user"] == ["one", "three"]


def test_session_goes_on_after_a_usage_error(monkeypatch: pytest.MonkeyPatch, server: respx.MockRouter, run_inproc: Callable[..., Result]) -> None:
    """A turn refused before it is sent (here an option of the wrong type) is reported; the next
    line is still read."""
    feed_stdin(monkeypatch, "one\n/exit\n", tty=True)
    result = run_inproc(live("-o", "temperature=\"hot\""))
    assert result.returncode == 0
    assert "specwire: " in result.stderr and "temperature" in result.stderr and "Traceback" not in result.stderr
    assert not server.calls


def test_session_through_a_pseudo_terminal(workdir: Path) -> None:
    """The console script with a real pseudo-terminal as standard input (the TTY check is not
    injected): two turns, then /exit."""
    pty = pytest.importorskip("pty")
    master, slave = pty.openpty()
    try:
        env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
        env.pop("PYTHONPATH", None)
        proc = subprocess.Popen([str(SPECWIRE), *README_SAMPLE[:2], "--replay", README_SAMPLE[4]], stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=workdir, env=env)
        os.write(master, b"hello\nand again\n/exit\n")
        out, err = proc.communicate(timeout=60)
    finally:
        os.close(slave)
        os.close(master)
    assert proc.returncode == 0, err.decode()
    assert out.decode().count("Wait for the pedestrian") == 2
    assert b"/exit" in err  # the session's banner names how to leave


# ---------------------------------------------------------------------------- what is shown
def test_tool_calls_are_printed_stream_and_json(run_inproc: Callable[..., Result]) -> None:
    stream = run_inproc(["chat", MODEL, "hi", "--replay", str(TOOL_STREAM)])
    assert stream.returncode == 0, stream.stderr
    lines = [line for line in stream.stderr.splitlines() if line.startswith("[tool call]")]
    assert lines and all(len(line.split(" ", 3)) >= 3 for line in lines)
    name, arguments = lines[0].split(" ", 3)[2:]
    assert name and isinstance(json.loads(arguments), dict)
    assert stream.stdout == answer_of(TOOL_STREAM) + "\n"  # stdout: the answer only
    whole = run_inproc(["chat", MODEL, "hi", "--replay", str(TOOL_JSON), "--no-stream"])
    assert whole.returncode == 0, whole.stderr
    assert [line for line in whole.stderr.splitlines() if line.startswith("[tool call]")]


def test_reasoning_is_labelled_on_its_own_lines(run_inproc: Callable[..., Result]) -> None:
    shown = run_inproc([*README_SAMPLE, "--show-reasoning"])
    assert shown.returncode == 0, shown.stderr
    lines = shown.stderr.splitlines()
    label = lines.index("[reasoning]")
    assert "straightforward question about pedestrian safety" in lines[label + 1]
    assert lines[-1].startswith("[stop ") and lines[-1].endswith("]")  # the summary has its own line
    assert "pedestrian safety" not in shown.stdout
    hidden = run_inproc(README_SAMPLE)
    assert "[reasoning]" not in hidden.stderr and "pedestrian safety" not in hidden.stderr
    assert hidden.stdout == shown.stdout


def _response(**fields: Any) -> Response:
    return Response(provider="p", model="m", **fields)


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (_response(finish_reason=FinishReason(unified="stop"), usage=Usage(input_tokens=12, output_tokens=40), cost=Cost(input=0.0001, output=0.0002, cache_read=0.0, cache_write=0.0, total=0.0003)), "[stop · 12 in / 40 out tokens · $0.000300]"),
        (_response(finish_reason=FinishReason(unified="stop"), usage=Usage(input_tokens=12)), "[stop · 12 in tokens]"),
        (_response(usage=Usage(output_tokens=7)), "[7 out tokens]"),
        (_response(finish_reason=FinishReason(unified="length"), cost_reason="no usage"), "[length]"),
        (_response(), ""),
    ],
    ids=["all", "no-output-count", "only-output", "no-usage", "nothing"],
)
def test_summary_line_prints_only_what_is_known(response: Response, expected: str) -> None:
    line = summary_line(response)
    assert line == expected
    assert "None" not in line


def test_rich_on_a_terminal(monkeypatch: pytest.MonkeyPatch, run_inproc: Callable[..., Result]) -> None:
    """stdout a terminal and rich installed: colours and Markdown (the `**bold**` markers are
    rendered away); ``--plain`` and a missing rich give plain text."""
    pytest.importorskip("rich")
    monkeypatch.setattr(term, "_isatty", lambda stream: True)
    body = FIXTURES / "anthropic/stream-thinking-signature/stream.sse"
    rich_out = run_inproc(["chat", "anthropic:claude-sonnet-4-5", "hi", "--replay", str(body), "--show-reasoning"])
    assert rich_out.returncode == 0, rich_out.stderr
    assert "\x1b[" in rich_out.stdout
    assert "**At intersections" not in rich_out.stdout and "At intersections" in rich_out.stdout
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", rich_out.stderr)
    assert "reasoning" in shown and "pedestrian safety" in shown
    plain = run_inproc(["chat", "anthropic:claude-sonnet-4-5", "hi", "--replay", str(body), "--plain"])
    assert "\x1b[" not in plain.stdout and "**At intersections" in plain.stdout
    monkeypatch.setattr(term, "rich_available", lambda: False)
    without = run_inproc(["chat", "anthropic:claude-sonnet-4-5", "hi", "--replay", str(body)])
    assert without.stdout == plain.stdout


def test_rich_view_keeps_blocks_apart() -> None:
    pytest.importorskip("rich")
    out, err = io.StringIO(), io.StringIO()
    view = term.RichView(out, err, show_reasoning=True, force_terminal=False)
    view.reasoning("thinking [b]not markup[/b]")
    view.text("Some **bold** text")
    view.tool_call(ToolCallPart(tool_name="get_weather", arguments={"city": "Paris"}))
    view.text("after")
    view.end()
    view.summary("[stop · 1 in tokens]")
    assert "thinking [b]not markup[/b]" in err.getvalue()
    assert 'tool call get_weather {"city": "Paris"}' in err.getvalue()
    assert "[stop · 1 in tokens]" in err.getvalue()
    shown = out.getvalue()
    assert "Some bold text" in shown and "after" in shown and shown.index("Some bold") < shown.index("after")


def test_piped_chat_does_not_import_rich(workdir: Path) -> None:
    code = (
        "import sys\n"
        "import httpx\n"  # httpx imports rich itself when its own CLI's dependencies are installed
        "from specwire.cli import main\n"
        "before = {m for m in sys.modules if m == 'rich' or m.startswith('rich.')}\n"
        "rc = main(['chat', 'anthropic:claude-sonnet-4-5', 'hi', '--replay', 'sample:stream-thinking-signature'])\n"
        "after = {m for m in sys.modules if m == 'rich' or m.startswith('rich.')}\n"
        "print('RC', rc, 'NEW RICH MODULES', sorted(after - before), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=workdir, capture_output=True, text=True, timeout=60)
    assert "RC 0 NEW RICH MODULES []" in done.stderr, done.stderr


# ---------------------------------------------------------------------------- stream-mode hint
SSE_BODY = FIXTURES / "gemini/sse-text-crlf/stream.sse"


def test_replay_names_the_stream_mode_that_reads_the_body(workdir: Path) -> None:
    result = run(["replay", "gemini", str(SSE_BODY)], workdir)
    assert result.returncode == 1
    assert json.loads(result.stdout.splitlines()[-1])["error"]["class"] == "FramingError"
    assert "--stream-mode sse" in result.stderr and "Traceback" not in result.stderr


def test_chat_names_the_stream_mode_that_reads_the_body(run_inproc: Callable[..., Result]) -> None:
    result = run_inproc(["chat", "gemini:gemini-2.5-flash", "hi", "--replay", str(SSE_BODY)])
    assert result.returncode == 1
    assert "FramingError" in result.stderr and "--stream-mode sse" in result.stderr
    fixed = run_inproc(["chat", "gemini:gemini-2.5-flash", "hi", "--replay", str(SSE_BODY), "--stream-mode", "sse"])
    assert fixed.returncode == 0 and fixed.stdout == answer_of(SSE_BODY) + "\n"


def test_no_hint_without_a_mode_that_reads_the_body(workdir: Path, run_inproc: Callable[..., Result]) -> None:
    garbage = workdir / "garbage.jsonarray"
    garbage.write_bytes(b"<html>bad gateway</html>")
    result = run_inproc(["replay", "gemini", str(garbage), "--stream"])
    assert result.returncode == 1 and "hint" not in result.stderr
    openai = run_inproc(["replay", "openai", str(FIXTURES / "gemini/jsonarray-thoughts-text-gzip/stream.jsonarray"), "--stream"])
    assert openai.returncode == 1 and "hint" not in openai.stderr  # a spec with no stream modes


def test_hint_comes_from_the_spec_modes(tmp_path: Path, workdir: Path, run_inproc: Callable[..., Result]) -> None:
    """A user spec whose default framing is ndjson and whose `events` mode is SSE: the hint
    names that mode (nothing provider-specific in the mechanism)."""
    folder = tmp_path / "specs"
    folder.mkdir()
    (folder / "acme.yaml").write_text(
        "spec_version: 1\nprovider: acme\nextends: openai\nbase_url: https://api.acme.example/v1\nenv: {api_key: ACME_API_KEY}\n"
        "stream:\n  framing: json-array\n  modes:\n    events: {framing: sse}\n",
        encoding="utf-8",
    )
    result = run_inproc(["--spec-path", str(folder), "replay", "acme", str(TEXT_STREAM)])
    assert result.returncode == 1
    assert "--stream-mode events" in result.stderr


# ---------------------------------------------------------------------------- exit codes and pipes
def test_replay_exit_codes(run_inproc: Callable[..., Result]) -> None:
    assert run_inproc(["replay", "openai", str(TEXT_STREAM)]).returncode == 0
    assert run_inproc(["replay", "openai", str(TOOL_JSON), "--status", "500"]).returncode == 1


CLOSED_PIPE_COMMANDS = [
    [str(SPECWIRE), "models"],
    [str(SPECWIRE), "replay", "openai", str(TOOL_STREAM)],
    [str(SPECWIRE), *README_SAMPLE],
    [str(SPECWIRE.with_name("validate-spec")), str(FIXTURES / "broken_specs")],
]


@pytest.mark.parametrize("argv", CLOSED_PIPE_COMMANDS, ids=["models", "replay", "chat", "validate-spec"])
def test_a_closed_pipe_is_not_a_traceback(argv: list[str], workdir: Path) -> None:
    """`… | head -1`: the reader goes away before the command writes; no traceback, exit 1."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=workdir)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    with proc.stderr:
        err = proc.stderr.read().decode("utf-8", "replace")
    assert proc.wait(timeout=60) == 1
    assert "Traceback" not in err and "BrokenPipeError" not in err and "Exception ignored" not in err, err


def test_validate_spec_through_head(workdir: Path) -> None:
    """The shell form from the issue, where a shell is there to run it."""
    validate = SPECWIRE.with_name("validate-spec")
    done = subprocess.run(["sh", "-c", f"'{validate}' '{FIXTURES / 'broken_specs'}' | head -1"], cwd=workdir, capture_output=True, text=True, timeout=60)
    assert len(done.stdout.splitlines()) == 1
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr


def test_rich_leaves_a_redirected_stderr_plain(monkeypatch: pytest.MonkeyPatch, run_inproc: Callable[..., Result]) -> None:
    """stdout a terminal, stderr a file (`2> log`): the log gets no escape codes."""
    pytest.importorskip("rich")
    monkeypatch.setattr(term, "_isatty", lambda stream: stream is sys.stdout)
    result = run_inproc([*README_SAMPLE, "--show-reasoning"])
    assert result.returncode == 0, result.stderr
    assert "\x1b[" in result.stdout
    assert "\x1b[" not in result.stderr and "pedestrian safety" in result.stderr


def test_the_live_view_shows_the_newest_screenful() -> None:
    """While a long answer streams, the live display holds its last lines (the whole answer is
    printed once the block ends)."""
    pytest.importorskip("rich")
    from rich.console import Console

    view = term.RichView(io.StringIO(), io.StringIO(), show_reasoning=False, force_terminal=False)
    view._text = "".join(f"line {n}\n\n" for n in range(200))
    screen = io.StringIO()
    Console(file=screen, width=40, height=10, force_terminal=False).print(term._LiveMarkdown(view))
    shown = [line for line in screen.getvalue().splitlines() if line.strip()]
    assert 0 < len(screen.getvalue().splitlines()) <= 9
    assert shown[-1].strip() == "line 199" and "line 0" not in screen.getvalue()


def test_a_call_warning_is_printed_once(workdir: Path) -> None:
    """The CLI prints a call's warnings itself; the same warning is not issued again through
    Python's warnings (here made errors: issuing one would fail the command)."""
    code = (
        "import sys, warnings\n"
        "import specwire\n"
        "warnings.simplefilter('error', specwire.SpecwireWarning)\n"
        "from specwire.cli import main\n"
        "rc = main(['chat', 'anthropic:claude-sonnet-4-5', 'hi', '--replay', 'sample:stream-thinking-signature'])\n"
        "print('RC', rc, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=workdir, capture_output=True, text=True, timeout=60)
    assert "RC 0" in done.stderr, done.stderr
    assert done.stderr.count("deprecated-model") == 1, done.stderr
