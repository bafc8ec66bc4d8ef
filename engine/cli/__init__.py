"""``specwire``: the command line (argparse, as yamllint); docs/cli.md is the user's guide.

    specwire chat MODEL_REF [PROMPT|-] [--replay BODY_FILE]   stream a reply to the terminal
                                                              (no prompt: standard input, or an
                                                              interactive session on a terminal)
    specwire render MODEL_REF --request REQUEST.json --json   the exact HTTP request, secrets masked
    specwire replay PROVIDER BODY_FILE --json                 a recorded body through a spec, as JSONL
    specwire providers [--json]                               the providers on the search path
    specwire models [PROVIDER] [--json]                       the model catalogs (with each entry's source and date)
    specwire models --remote PROVIDER [--json]                the provider's own list, merged with its catalog
    specwire serve ROUTER.yaml [--host H] [--port P] [--workers N]
                                                              an OpenAI-compatible gateway over the router
                                                              (the gateway extra; docs/gateway.md)

Exit codes: 0 success, 1 a call or replay ended in an error (or standard output was closed:
``specwire … | head``), 2 bad usage or configuration (130 on Ctrl-C).  Every error is one line
on stderr (``specwire: <class>: <message>`` or ``error: <class>: <message>``), never a
traceback; a secret is never part of it.  Heavy modules are imported inside the
commands, so ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path
from typing import Any

from .chat import add_arguments as add_chat_arguments
from .chat import clean
from .pipes import survive_closed_pipe

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="specwire", description="One API for every LLM provider; each provider is a YAML spec.")
    p.add_argument("--spec-path", action="append", default=[], metavar="DIR", help="extra spec folder (highest priority; repeatable)")
    sub = p.add_subparsers(dest="command", required=True)

    chat = sub.add_parser("chat", help="stream a reply to the terminal; without a prompt, read standard input (an interactive session on a terminal)")
    add_chat_arguments(chat)

    render = sub.add_parser("render", help="print the exact HTTP request (secrets redacted)")
    render.add_argument("model_ref")
    render.add_argument("--request", required=True, metavar="REQUEST.json", help="a unified request: {messages, tools, tool_choice, max_output_tokens, …}")
    render.add_argument("--stream", action="store_true")
    render.add_argument("--stream-mode")
    render.add_argument("--json", action="store_true", help="print one JSON object (the default and only format)")

    replay = sub.add_parser("replay", help="run a recorded response body through a spec; one JSON event per line")
    replay.add_argument("provider")
    replay.add_argument("body_file")
    mode = replay.add_mutually_exclusive_group()
    mode.add_argument("--stream", dest="stream", action="store_true", default=None)
    mode.add_argument("--no-stream", dest="stream", action="store_false")
    replay.add_argument("--framing", help="override the spec's stream framing (e.g. sse for Gemini alt=sse bodies)")
    replay.add_argument("--stream-mode")
    replay.add_argument("--status", type=int, help="the HTTP status the body came with (>= 300: an error body)")
    replay.add_argument("--model", default=None, help="the model the body answers (for cost)")
    replay.add_argument("--json", action="store_true", help="JSON lines (the default and only format)")

    providers = sub.add_parser("providers", help="list the providers on the search path")
    providers.add_argument("--json", action="store_true")

    models = sub.add_parser("models", help="list the model catalogs")
    models.add_argument("provider", nargs="?")
    models.add_argument("--json", action="store_true")
    models.add_argument("--remote", action="store_true", help="ask the provider's own /models endpoint (its key from the environment) and merge with the catalog")

    from ..gateway.serve import add_arguments as add_serve_arguments

    serve = sub.add_parser("serve", help="serve an OpenAI-compatible gateway over a router config (needs the gateway extra)")
    add_serve_arguments(serve)
    return p


def main(argv: list[str] | None = None) -> int:
    """The ``specwire`` console script; returns the exit status.  The commands print a call's
    warnings themselves (``warning [kind]: …``), so the same warnings are not issued again through
    Python's :mod:`warnings` (docs/observability.md)."""
    from ..observe import SpecwireWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SpecwireWarning)
        return survive_closed_pipe(_main, argv)


def _main(argv: list[str] | None) -> int:
    args = _parser().parse_args(argv)
    from ..errors import SpecwireError

    secret = getattr(args, "api_key", None)

    try:
        if args.command == "chat":
            from .chat import run

            return run(args, _registry(args))
        if args.command == "render":
            return _render(args)
        if args.command == "replay":
            return _replay(args)
        if args.command == "providers":
            return _providers(args)
        if args.command == "serve":
            from ..gateway.serve import run as serve

            return serve(args)
        if getattr(args, "remote", False):
            from .remote import remote_models

            return remote_models(args, _registry(args))
        return _models(args)
    except SpecwireError as exc:
        print(f"specwire: {type(exc).__name__}: {clean(exc, secret)}", file=sys.stderr)
        for issue in getattr(exc, "issues", [])[:20]:
            print(f"  {issue.format()}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        raise  # survive_closed_pipe
    except OSError as exc:
        print(f"specwire: {clean(exc, secret)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _registry(args: argparse.Namespace) -> Any:
    from ..registry import SpecRegistry, default_registry

    return SpecRegistry(args.spec_path) if args.spec_path else default_registry()


# ---------------------------------------------------------------------------- render
def _render(args: argparse.Namespace) -> int:
    from ..client import Client
    from ..errors import ConfigError
    from ..safejson import loads
    from .output import rendered_request

    try:
        request = loads(Path(args.request).read_bytes())
    except ValueError as exc:  # not UTF-8, not JSON, or nested too deeply
        raise ConfigError(f"{args.request}: not a JSON request file ({exc})") from None
    if not isinstance(request, dict) or "messages" not in request:
        print("specwire: the request file must be a JSON object with `messages`", file=sys.stderr)
        return 2
    messages = request.pop("messages")
    for name in ("model", "stream", "stream_mode"):  # given on the command line
        request.pop(name, None)
    with Client(registry=_registry(args), load_entry_points=True) as client:
        plan = client.build(args.model_ref, messages, stream=args.stream, stream_mode=args.stream_mode, **request)
        spec = client.registry.resolve(args.model_ref)[0]
        print(json.dumps(rendered_request(client, spec, plan), ensure_ascii=False, indent=2))
    return 0


# ---------------------------------------------------------------------------- replay
def _replay(args: argparse.Namespace) -> int:
    from ..errors import ConfigError
    from ..process import ResponseProcessor
    from ..provider_errors import api_error, parse_body
    from .output import event_json

    spec = _registry(args).get(args.provider)
    path = Path(args.body_file)
    body = path.read_bytes()
    if body[:2] == b"\x1f\x8b":
        import gzip

        body = gzip.decompress(body)
    stream = args.stream if args.stream is not None else not path.name.endswith(".json")
    model = args.model or "unknown"
    if args.status is not None and args.status >= 300:
        processor = ResponseProcessor(spec, model=model, stream=False)
        events = processor.start() + processor.fail(api_error(spec, status=args.status, body=parse_body(body)))
    else:
        try:
            processor = ResponseProcessor(spec, model=model, stream=stream, stream_mode=args.stream_mode, framing=args.framing)
        except KeyError:
            raise ConfigError(f"{spec.provider} has no stream mode {args.stream_mode!r}") from None
        except LookupError as exc:  # hooks.UnknownHook: no such --framing
            raise ConfigError(str(exc)) from None
        events = processor.start() + processor.feed(body) + processor.close()
    for event in events:
        print(json.dumps(event_json(event), ensure_ascii=False))
    if not events or events[-1].type != "error":
        return 0
    error = events[-1].error
    print(f"error: {type(error).__name__}: {clean(error)}", file=sys.stderr)
    if stream and args.framing is None:
        from .hints import stream_mode_hint

        hint = stream_mode_hint(error, spec, body, args.stream_mode)
        if hint:
            print(f"hint: {hint}", file=sys.stderr)
    return 1


# ---------------------------------------------------------------------------- listings
def _providers(args: argparse.Namespace) -> int:
    from ..errors import SpecError
    from .output import table

    registry = _registry(args)
    rows = []
    for provider in registry.providers():
        layer, path = registry.origin(provider)
        try:
            spec = registry.get(provider)
            rows.append({"provider": provider, "display_name": spec.display_name, "source": layer, "file": str(path), "models": len(spec.models), "error": None})
        except SpecError as exc:
            rows.append({"provider": provider, "display_name": "", "source": layer, "file": str(path), "models": 0, "error": str(exc)})
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(table(rows, ["provider", "display_name", "source", "models"], {"display_name": "name"}))
        for row in rows:
            if row["error"]:
                print(f"{row['provider']}: {row['error']}", file=sys.stderr)
    return 0


def _models(args: argparse.Namespace) -> int:
    from .output import model_rows, table

    registry = _registry(args)
    providers = [args.provider] if args.provider else registry.providers()
    rows = [row for p in providers for row in model_rows(registry.get(p))]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        columns = ["model", "context_window", "max_output_tokens", "input", "output", "cache_read", "cache_write", "origin", "as_of"]
        print(table(rows, columns, {"context_window": "context", "max_output_tokens": "max out", "input": "$/M in", "output": "$/M out", "cache_read": "$/M cache rd", "cache_write": "$/M cache wr", "as_of": "as of"}))
        # where the imported entries come from, once per catalog (hand-written entries cite theirs in --json)
        for origin, source, as_of in sorted({(r["origin"], r["source"], r["as_of"]) for r in rows if r["origin"] != "hand-written"}, key=str):
            print(f"{origin}: {source}, as of {as_of}")
    return 0
