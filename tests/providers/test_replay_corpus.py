"""Replay conformance: every recorded fixture through the spec its ``replay`` block names.

Each case in tests/fixtures/<provider>/<case>/ is a real response body recorded by another project
against the live API, with an ``expected`` block worked out independently (see that folder's
README).  Three layers are checked:

1. the body replayed whole gives ``expected``: text, reasoning, tool calls (ids, names, parsed
   arguments, raw argument text), raw finish reason, usage numbers and raw usage object, or the
   error (class, type, code, message, param, request id, retry delay);
2. the same body split at every byte boundary (bodies up to 2 KB) or at 200 seeded random split
   points plus 40 random multi-piece partitions and 1-byte feeding (longer bodies) gives *the same
   event sequence*, byte for byte of its JSON;
3. ``specwire replay <provider> <body> --stream|--no-stream --framing F [--status N] --json``
   (the command the corpus README prescribes) prints the same terminal event.

Usage conventions: the ``expected`` numbers are the provider's own fields; specwire's ``Usage``
counts input including cache (Anthropic reports cache reads/writes apart), output including
reasoning (Gemini reports thoughts apart) and Gemini tool-use prompt tokens as input
(docs/ARCHITECTURE.md section 3).  :func:`unified_usage` converts the one into the other per API family.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from specwire.cli import main as cli_main
from specwire.cli.output import event_json
from specwire.process import ResponseProcessor
from specwire.provider_errors import api_error, parse_body
from specwire.retry import parse_duration
from tests.conftest import corpus_cases

CASES = corpus_cases()
IDS = [data["id"] for _, data in CASES]
SMALL_BODY = 2048


def _body(case_dir: Path, data: dict[str, Any]) -> bytes:
    return (case_dir / data["replay"]["body"]).read_bytes()


def _processor(registry: Any, data: dict[str, Any]) -> ResponseProcessor:
    rp = data["replay"]
    spec = registry.get(rp["provider"])
    model = (data.get("request_summary") or {}).get("model") or "unknown"
    if rp["stream"]:
        return ResponseProcessor(spec, model=model, stream=True, framing=rp["framing"])
    return ResponseProcessor(spec, model=model, stream=False)


def replay(registry: Any, data: dict[str, Any], pieces: list[bytes]) -> list[dict[str, Any]]:
    """The events (as CLI JSON) for the body fed in ``pieces``."""
    rp = data["replay"]
    proc = _processor(registry, data)
    events = proc.start()
    if rp.get("status"):
        spec = registry.get(rp["provider"])
        events += proc.fail(api_error(spec, status=rp["status"], body=parse_body(b"".join(pieces))))
    else:
        for piece in pieces:
            events += proc.feed(piece)
        events += proc.close()
    return [_stable(event_json(e)) for e in events]


def _stable(event: dict[str, Any]) -> dict[str, Any]:
    """Synthesized tool-call ids are random; replace them so two replays compare equal."""
    text = json.dumps(event, sort_keys=True)
    obj = json.loads(text)
    for container in _dicts(obj):
        meta = container.get("provider_metadata") or {}
        if any(isinstance(v, dict) and v.get("synthetic_id") for v in meta.values()):
            container["tool_call_id"] = "<synthetic>"
    return obj  # type: ignore[no-any-return]


def _dicts(obj: Any) -> list[dict[str, Any]]:
    out = []
    if isinstance(obj, dict):
        out.append(obj)
        for v in obj.values():
            out += _dicts(v)
    elif isinstance(obj, list):
        for v in obj:
            out += _dicts(v)
    return out


# ---------------------------------------------------------------------------- expectations
#: API families whose input count leaves out cache reads and writes (docs/ARCHITECTURE.md section 3: for
#: Anthropic and Bedrock, specwire's input_tokens is their input plus cache read plus cache write).
INPUT_EXCLUDES_CACHE = ("anthropic.", "bedrock.")
#: Replay providers whose completion_tokens leave out reasoning_tokens (xAI: total = prompt + completion + reasoning).
OUTPUT_EXCLUDES_REASONING = ("xai",)


def unified_usage(api: str, exp: dict[str, Any], provider: str = "") -> dict[str, Any]:
    """The expected provider numbers converted to specwire's Usage conventions, per API family
    (the ``api`` field of case.yaml)."""
    raw = exp.get("raw") or {}
    inp, out = exp.get("input_tokens"), exp.get("output_tokens")
    cache_read = exp.get("cached_input_tokens")
    reasoning = exp.get("reasoning_tokens")
    if reasoning is None and "anthropic" in api:  # output_tokens_details.thinking_tokens (anthropic 2.17.0)
        reasoning = (raw.get("output_tokens_details") or {}).get("thinking_tokens")
    total = exp.get("total_tokens")
    cache_write = exp.get("cache_creation_input_tokens", exp.get("cache_write_input_tokens"))
    if api.startswith(INPUT_EXCLUDES_CACHE):
        inp = inp + (cache_read or 0) + (cache_write or 0) if inp is not None else None
    elif api.startswith("gemini"):
        tool_prompt = raw.get("toolUsePromptTokenCount")
        inp = inp + (tool_prompt or 0) if inp is not None else None
        if reasoning is not None:
            out = (out or 0) + reasoning
    if provider in OUTPUT_EXCLUDES_REASONING and reasoning is not None:
        out = (out or 0) + reasoning
    if total is None and inp is not None and out is not None:
        total = inp + out
    return {
        "input_tokens": inp,
        "output_tokens": out,
        "cache_read_tokens": cache_read,
        "cache_write_tokens": cache_write,
        "reasoning_tokens": reasoning,
        "total_tokens": total,
        "raw": raw,
    }


def check_response(response: dict[str, Any], data: dict[str, Any]) -> None:
    exp = data["expected"]
    assert response["text"] == (exp.get("text") or "")
    assert (response["reasoning"] or None) == (exp.get("reasoning") or None)
    assert (response["finish_reason"] or {}).get("raw") == exp.get("finish_reason")
    calls = response["tool_calls"]
    assert len(calls) == len(exp["tool_calls"])
    provider_key = data["replay"]["provider"]
    for got, want in zip(calls, exp["tool_calls"]):
        assert got["tool_name"] == want["name"]
        want_id = want.get("id") or want.get("call_id")
        meta = got["provider_metadata"].get(provider_key, {})
        if want_id is None:
            assert got["tool_call_id"] == "<synthetic>" or meta.get("synthetic_id")
        else:
            assert got["tool_call_id"] == want_id
        if want.get("arguments_valid_json") is False:
            assert got["arguments"] is None
        else:
            assert got["arguments"] == want["arguments_json"]
        if "arguments" in want and got["arguments_text"] is not None:
            assert got["arguments_text"] == want["arguments"]
        if "type" in want:
            assert got["provider_executed"] == (want["type"] == "server_tool_use")
        if want.get("has_thought_signature"):
            assert meta.get("thoughtSignature")
    if "thinking_signatures" in exp:
        sigs = [p["provider_metadata"][provider_key]["signature"] for p in response["parts"] if p["type"] == "reasoning" and not p["redacted"]]
        assert sigs == exp["thinking_signatures"]
    if "redacted_thinking_data" in exp:
        data_blobs = [p["provider_metadata"][provider_key]["redacted_data"] for p in response["parts"] if p["type"] == "reasoning" and p["redacted"]]
        assert data_blobs == exp["redacted_thinking_data"]
    if exp.get("usage") is None:
        assert response["usage"] is None
    else:
        want = unified_usage(data["api"], exp["usage"], data["replay"]["provider"])
        assert {k: response["usage"][k] for k in want} == want


def check_error(error: dict[str, Any], data: dict[str, Any]) -> None:
    exp = data["expected"]["error"]
    assert error["status"] == data["replay"]["status"]
    assert error["message"] == exp["message"]
    assert error["error_type"] == exp["type"]
    assert error["code"] == exp.get("code")
    assert error["param"] == exp.get("param")
    if exp.get("request_id"):
        assert error["request_id"] == exp["request_id"]
    if exp.get("retry_delay"):
        assert error["retry_after"] == parse_duration(exp["retry_delay"])
    status = data["replay"]["status"]
    expected_class = {400: "BadRequestError", 401: "AuthenticationError", 429: "RateLimitError"}[status]
    assert error["class"] == expected_class


def check_terminal(events: list[dict[str, Any]], data: dict[str, Any]) -> None:
    assert events[0]["type"] == "response_start"
    terminals = [e for e in events if e["type"] in ("finish", "error")]
    assert len(terminals) == 1 and terminals[0] is events[-1]
    if data["replay"].get("status"):
        assert events[-1]["type"] == "error"
        check_error(events[-1]["error"], data)
    elif data["expected"].get("error"):  # an in-band error in a 200 stream: error event + partial response
        assert events[-1]["type"] == "error", events[-1]
        error, want = events[-1]["error"], data["expected"]["error"][-1]
        want = want["error"] if isinstance(want.get("error"), dict) else want  # Responses: {"type": "error", "error": {…}}
        assert error["in_stream"] and error["status"] == 200 and error["message"] == want["message"]
        check_response(events[-1]["response"], data)
    else:
        assert events[-1]["type"] == "finish", events[-1]
        check_response(events[-1]["response"], data)


def check_grammar(events: list[dict[str, Any]]) -> None:
    """Per part index: one start, deltas, one end, in that order; nothing after the terminal."""
    state: dict[int, str] = {}
    for e in events:
        kind, _, phase = e["type"].rpartition("_")
        if kind not in ("text", "reasoning", "tool_call"):
            continue
        idx = e["index"]
        if phase == "start":
            assert idx not in state
            state[idx] = "open"
        elif phase == "delta":
            assert state.get(idx) == "open"
        elif phase == "end":
            assert state.get(idx) == "open"
            state[idx] = "closed"
    assert all(s == "closed" for s in state.values())


# ---------------------------------------------------------------------------- tests
@pytest.mark.parametrize(("case_dir", "data"), CASES, ids=IDS)
def test_replay_matches_expected(registry: Any, case_dir: Path, data: dict[str, Any]) -> None:
    events = replay(registry, data, [_body(case_dir, data)])
    check_terminal(events, data)
    check_grammar(events)


def _partitions(body: bytes, seed: str, singles: int = 200, multis: int = 40) -> list[list[bytes]]:
    if len(body) <= SMALL_BODY:
        return [[body[:i], body[i:]] for i in range(1, len(body))]
    rng = random.Random(seed)
    out = [[body[:i], body[i:]] for i in sorted(rng.sample(range(1, len(body)), singles))]
    for _ in range(multis):
        cuts = sorted(rng.sample(range(1, len(body)), rng.randint(2, 60)))
        out.append([body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)])])
    return out


#: The partitions of a large body: (single cuts, multi-cut partitions), in the default run and in
#: the slow one (CI runs both).
SPLITS = {"default": (40, 10), "slow": (200, 40)}


@pytest.mark.parametrize("depth", [pytest.param("default"), pytest.param("slow", marks=pytest.mark.slow)])
@pytest.mark.parametrize(("case_dir", "data"), CASES, ids=IDS)
def test_replay_is_split_invariant(registry: Any, case_dir: Path, data: dict[str, Any], depth: str) -> None:
    body = _body(case_dir, data)
    whole = replay(registry, data, [body])
    for pieces in _partitions(body, data["id"], *SPLITS[depth]):
        assert replay(registry, data, pieces) == whole, f"split at {[len(p) for p in pieces][:5]}…"
    if len(body) > SMALL_BODY:
        assert replay(registry, data, [body[i : i + 1] for i in range(len(body))]) == whole


@pytest.mark.parametrize(("case_dir", "data"), CASES, ids=IDS)
def test_cli_replay(registry: Any, case_dir: Path, data: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    rp = data["replay"]
    argv = ["replay", rp["provider"], str(case_dir / rp["body"]), "--json", "--stream" if rp["stream"] else "--no-stream"]
    if rp["stream"]:
        argv += ["--framing", rp["framing"]]
    if rp.get("status"):
        argv += ["--status", str(rp["status"])]
    code = cli_main(argv)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == (1 if rp.get("status") or data["expected"].get("error") else 0)
    check_terminal([_stable(e) for e in lines], data)


def test_every_fixture_is_covered() -> None:
    """The corpus subset of this issue: every case whose replay block names openai, anthropic or
    gemini is present (28 cases)."""
    providers = {data["replay"]["provider"] for _, data in CASES}
    assert {"openai", "anthropic", "gemini"} <= providers
    assert len(corpus_cases(("openai", "anthropic", "gemini"))) == 28
