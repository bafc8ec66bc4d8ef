"""``specwire chat``: one prompt (an argument, or the whole of a piped standard input), or an
interactive session with history when standard input is a terminal.

In a session each line is a turn; the reply is appended to the history with the prompt, so the
model sees the whole conversation.  ``/reset`` clears the history (the ``--system`` prompt stays),
``/exit`` or end of input (Ctrl-D) ends the session, Ctrl-C stops the reply being written.  A turn
that ends in an error is not kept in the history.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .term import make_view

__all__ = ["add_arguments", "option_pair", "run"]

EXIT_COMMANDS = ("/exit", "/quit")
RESET_COMMAND = "/reset"
PROMPT = "> "


def option_pair(text: str) -> tuple[str, Any]:
    """``--option key=value``: the value parsed as JSON when it is JSON (``5``, ``true``,
    ``{"a": 1}``), else kept as the string."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    return key.strip(), value


def add_arguments(chat: argparse.ArgumentParser) -> None:
    chat.add_argument("model_ref", help="provider:model, e.g. anthropic:claude-sonnet-5-5")
    chat.add_argument("prompt", nargs="?", help="the prompt; leave out or give '-' to read standard input (an interactive session on a terminal)")
    chat.add_argument("--system", metavar="TEXT", help="system prompt")
    chat.add_argument("--api-key", metavar="KEY", help="the provider's API key (default: its environment variable); never printed")
    chat.add_argument("--base-url", metavar="URL", help="send the request to this base URL instead of the spec's")
    chat.add_argument("--option", "-o", action="append", type=option_pair, default=[], metavar="KEY=VALUE",
                      help="a call option (repeatable), e.g. -o top_p=0.9 -o 'stop_sequences=[\"END\"]'; the value is parsed as JSON when it parses, else it is a string")
    chat.add_argument("--replay", metavar="BODY_FILE", help="serve this recorded response body instead of calling the provider (offline); sample:NAME names a recording shipped in the package")
    chat.add_argument("--replay-status", type=int, default=200, metavar="CODE", help="HTTP status to serve the --replay body with")
    chat.add_argument("--no-stream", action="store_true", help="make a non-streaming call")
    chat.add_argument("--stream-mode", help="one of the spec's stream modes (gemini: sse)")
    chat.add_argument("--max-output-tokens", type=int)
    chat.add_argument("--temperature", type=float)
    chat.add_argument("--reasoning", help="effort level (low/medium/high…) or a token budget")
    chat.add_argument("--show-reasoning", action="store_true", help="print reasoning (to stderr, labelled)")
    chat.add_argument("--plain", action="store_true", help="plain text even on a terminal (no colours, no Markdown)")
    chat.add_argument("--json", action="store_true", help="print every event as a JSON line instead of text")


def stdin_is_tty() -> bool:
    """Standard input is a terminal (an interactive session); tests replace this."""
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def run(args: argparse.Namespace, registry: Any) -> int:
    """The ``chat`` command; returns the exit status."""
    from ..client import Client
    from ..errors import ConfigError
    from ..redact import remember

    if args.api_key:
        remember(args.api_key)
    options = _options(args)
    session = args.prompt in (None, "-") and stdin_is_tty()
    prompt = ""
    if not session:
        prompt = args.prompt if args.prompt not in (None, "-") else _read_stdin()
        if not prompt.strip():
            raise ConfigError("no prompt: give one as an argument or on standard input")
    client_kw: dict[str, Any] = {"registry": registry}
    body = None
    if args.replay:
        path = _recording(args.replay)
        body = path.read_bytes()
        client_kw["transport"] = _replay_transport(path, body, args.replay_status)
        options.setdefault("api_key", "replay-no-key")
    system = [{"role": "system", "content": args.system}] if args.system else []
    with Client(**client_kw) as client:
        turn = _Turn(client, args, options, body)
        if not session:
            status, _ = turn.run([*system, {"role": "user", "content": prompt}])
            return status
        return _session(turn, system)


def _read_stdin() -> str:
    from ..errors import ConfigError

    if sys.stdin is None:
        return ""
    try:
        return sys.stdin.read()
    except UnicodeDecodeError as exc:
        raise ConfigError(f"standard input is not {exc.encoding} text ({exc.reason} at byte {exc.start})") from None


def _read_line() -> str:
    """One line of the session.  On a terminal the prompt goes where ``input`` puts it, with line
    editing (readline, where the platform has it); when the answer is redirected, the prompt goes
    to stderr, so the file gets the answers only."""
    if _isatty(sys.stdout):
        return input(PROMPT)
    sys.stderr.write(PROMPT)
    sys.stderr.flush()
    return input()


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for name in ("max_output_tokens", "temperature", "api_key", "base_url"):
        if getattr(args, name) is not None:
            options[name] = getattr(args, name)
    if args.reasoning:
        options["reasoning"] = int(args.reasoning) if args.reasoning.isdigit() else args.reasoning
    options.update(dict(args.option))
    return options


def _session(turn: _Turn, system: list[dict[str, Any]]) -> int:
    """The interactive loop: each line a turn, the history kept (see the module docstring)."""
    from ..errors import SpecwireError

    history: list[Any] = list(system)
    if _isatty(sys.stdout):
        try:
            import readline  # noqa: F401  # pyright: ignore[reportUnusedImport] - line editing and history for input()
        except ImportError:  # pragma: no cover - platforms without readline
            pass
    print(f"specwire chat {turn.args.model_ref}: {RESET_COMMAND} clears the history, {EXIT_COMMANDS[0]} or Ctrl-D ends", file=sys.stderr)
    while True:
        try:
            line = _read_line()
        except UnicodeDecodeError as exc:
            print(f"specwire: that line is not {exc.encoding} text", file=sys.stderr)
            continue
        except EOFError:
            print(file=sys.stderr)
            return 0
        except KeyboardInterrupt:
            print(file=sys.stderr)
            return 130
        command = line.strip()
        if not command:
            continue
        if command in EXIT_COMMANDS:
            return 0
        if command == RESET_COMMAND:
            history = list(system)
            print("(history cleared)", file=sys.stderr)
            continue
        user = {"role": "user", "content": line}
        try:
            _status, response = turn.run([*history, user])
        except KeyboardInterrupt:
            print("\n(stopped)", file=sys.stderr)
            continue
        except SpecwireError as exc:  # a bad option, an unknown model: said, and the session goes on
            print(f"specwire: {type(exc).__name__}: {clean(exc, turn.args.api_key)}", file=sys.stderr)
            continue
        if response is not None:
            history += [user, response.message()]


class _Turn:
    """One request and its output; ``run(messages)`` returns ``(exit status, the response or
    None after an error)``."""

    def __init__(self, client: Any, args: argparse.Namespace, options: dict[str, Any], body: bytes | None) -> None:
        self.client, self.args, self.options, self.body = client, args, options, body

    def run(self, messages: list[Any]) -> tuple[int, Any]:
        """Raises :class:`~specwire.SpecwireError` for what fails before a request is sent (a bad
        option, an unknown model: a usage error)."""
        args = self.args
        view = None if args.json else make_view(show_reasoning=args.show_reasoning, plain=args.plain)
        try:
            if args.no_stream:
                return self._complete(messages, view)
            return self._stream(messages, view)
        except KeyboardInterrupt:
            if view is not None:
                view.end()  # stops a live display
            raise

    def _complete(self, messages: list[Any], view: Any) -> tuple[int, Any]:
        from ..errors import SpecwireError
        from .output import response_json, summary_line

        try:
            response = self.client.complete(self.args.model_ref, messages, **self.options)
        except SpecwireError as exc:
            return self.report(exc, view), None
        if view is None:
            print(json.dumps({"type": "finish", "response": response_json(response)}, ensure_ascii=False))
            return 0, response
        for warning in response.warnings:
            view.warning(warning.kind, warning.detail)
        view.reasoning(response.reasoning or "")
        if response.text:
            view.text(response.text)
        for part in response.tool_calls:
            view.tool_call(part)
        view.end()
        view.summary(summary_line(response))
        return 0, response

    def _stream(self, messages: list[Any], view: Any) -> tuple[int, Any]:
        from .output import event_json, summary_line

        events = self.client.stream(self.args.model_ref, messages, stream_mode=self.args.stream_mode, raise_on_error=False, **self.options)
        status, response = 0, None
        try:
            for event in events:
                kind = event.type
                if view is None:
                    print(json.dumps(event_json(event), ensure_ascii=False), flush=True)
                    if kind == "error":
                        status = 1
                        self._hint(event.error, None)
                    elif kind == "finish":
                        response = event.response
                elif kind == "text_delta":
                    view.text(event.delta)
                elif kind == "reasoning_delta":
                    view.reasoning(event.delta)
                elif kind == "tool_call_end":
                    view.tool_call(event.part)
                elif kind == "warning":
                    view.warning(event.warning.kind, event.warning.detail)
                elif kind == "finish":
                    view.end()
                    view.summary(summary_line(event.response))
                    response = event.response
                elif kind == "error":
                    view.end()
                    status = self.report(event.error, view)
        finally:
            events.close()
        return status, response

    def report(self, exc: BaseException, view: Any) -> int:
        """The error as one line (secrets removed), then a hint when one applies; returns 1."""
        line = f"error: {type(exc).__name__}: {clean(exc, self.args.api_key)}"
        if view is None:
            print(line, file=sys.stderr)
        else:
            view.error(line)
        self._hint(exc, view)
        return 1

    def _hint(self, exc: BaseException, view: Any) -> None:
        if self.body is None:
            return
        from .hints import stream_mode_hint

        spec = self.client.registry.resolve(self.args.model_ref)[0]
        hint = stream_mode_hint(exc, spec, self.body, self.args.stream_mode)
        if hint:
            print(f"hint: {hint}", file=sys.stderr)


def clean(exc: BaseException, *secrets: str | None) -> str:
    """The error message on one line, every registered secret (and each of ``secrets``) masked."""
    from ..redact import MASK, redact_text

    text = redact_text(" ".join(str(exc).split()))
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


# ---------------------------------------------------------------------------- --replay
_SAMPLE = "sample:"


def _recording(ref: str) -> Path:
    """The body file ``--replay`` names: a path, or ``sample:NAME``, a recording shipped in the
    package (``specwire.samples``, the folder names of ``samples/``), so the offline first run needs
    no checkout.  Raises :class:`ConfigError` for an unknown sample, listing the known ones."""
    if not ref.startswith(_SAMPLE):
        return Path(ref)
    from importlib.resources import files

    import yaml

    from ..errors import ConfigError

    root = Path(str(files("specwire.samples")))
    known = sorted(p.name for p in root.iterdir() if (p / "case.yaml").is_file())
    name = ref[len(_SAMPLE):]
    if name not in known:  # also keeps the name a plain folder name (no '/', no '..')
        raise ConfigError(f"no shipped sample {name!r}; the samples are: {', '.join(known)}")
    case = yaml.safe_load((root / name / "case.yaml").read_text(encoding="utf-8"))
    return root / name / str(case["replay"]["body"])


def _replay_transport(path: Path, body: bytes, status: int) -> Any:
    from ..transport import recorded_body_transport

    return recorded_body_transport(body, status=status, content_type=_content_type(path))


def _content_type(path: Path) -> str:
    name = path.name.removesuffix(".gz")
    if name.endswith(".sse"):
        return "text/event-stream"
    if name.endswith(".bin"):
        return "application/vnd.amazon.eventstream"
    return "application/json"
