"""Where specwire's CPU per non-stream request goes, stage by stage, without sockets (issue 13).

The main table's "CPU/request" compares whole calls over loopback; this script takes the network
out and times the same call (the benchmark's OpenAI Chat Completions request, its 64-chunk reply
from fakeserver.py) on an in-memory transport (``httpx.MockTransport``), for raw httpx with a
hand-parsed reply and for specwire, then times each stage of specwire's call on its own:

* the call's arguments validated into the typed ``Request`` (``specwire.validate.request_from``);
* the spec and the per-call inputs (model reference, settings, key, hosts) resolved;
* the request rendered from the spec (``specwire.request.build_request``: body, headers, URL);
* the credential bound to its host and the auth built (``specwire.client.authorize``);
* the reply normalised (``specwire.process.ResponseProcessor``: JSON, the spec's mapping rules,
  the assembler's typed ``Response``, usage), of which the cost (``specwire.accounting.compute_cost``).

What is left of specwire's whole call after those stages and raw httpx's own work is the call
loop (attempts, deadlines), the observer and httpx's send with an auth flow.  These are the
stages of ``Client._prepare`` and the processor; the script reaches them through the client's
internals, so it tracks the engine's layout and belongs to the benchmark, not to the API.

Each figure is process CPU time per call, the best of ``--repeat`` rounds of ``--number`` calls
(the minimum: the least disturbed round).  ``python tools/bench/stages.py [--json]``; run.py
includes it in RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from clients import API_KEY, MAX_TOKENS, MODELS, PROMPT  # noqa: E402
from fakeserver import openai_json  # noqa: E402

#: the loopback host every credential may go to over http (the bench's base URL)
ROOT = "http://127.0.0.1:8"


def reply_body() -> bytes:
    """The body fakeserver.py answers the benchmark's non-stream call with (64 chunks of 4 characters)."""
    raw = openai_json(64, 4, 0)
    return raw.split(b"\r\n\r\n", 1)[1]


def best_cpu_us(fn: Callable[[], Any], number: int, repeat: int) -> float:
    """The least CPU time per call of ``fn`` over ``repeat`` rounds of ``number`` calls, in µs."""
    best = float("inf")
    for _ in range(repeat):
        c0 = time.process_time()
        for _ in range(number):
            fn()
        best = min(best, (time.process_time() - c0) / number)
    return best * 1e6


def measure(number: int = 2000, repeat: int = 5) -> dict[str, Any]:
    """``{"raw_httpx_us", "specwire_us", "stages": [{"stage", "us"}…], "rest_us"}`` (µs of CPU per call)."""
    import httpx

    import specwire
    from specwire.accounting import compute_cost
    from specwire.client import authorize
    from specwire.process import ResponseProcessor
    from specwire.validate import request_from

    body = reply_body()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    transport = httpx.MockTransport(handler)
    raw = httpx.Client(transport=transport)
    url = ROOT + "/v1/chat/completions"
    headers = {"authorization": f"Bearer {API_KEY}"}
    model = MODELS["openai"]
    payload = {"model": model, "messages": PROMPT, "max_completion_tokens": MAX_TOKENS}

    def raw_call() -> str:
        r = raw.post(url, json=payload, headers=headers)
        r.raise_for_status()
        text: str = json.loads(r.content)["choices"][0]["message"]["content"]
        return text

    client = specwire.Client(api_keys={"openai": API_KEY}, base_urls={"openai": ROOT + "/v1"}, max_retries=0, transport=transport)
    ref, opts = f"openai:{model}", {"max_output_tokens": MAX_TOKENS}

    def specwire_call() -> str:
        return client.complete(ref, PROMPT, **opts).text

    if specwire_call() != raw_call():
        raise AssertionError("specwire and raw httpx read different texts from the same reply")
    spec, resolved, warnings = client._resolve(ref)
    if warnings:
        raise AssertionError(f"{ref} resolves with warnings (not what the benchmark measures): {warnings}")
    request = request_from(PROMPT, opts)
    inputs = client._resolver.inputs(spec, resolved, warnings, {})
    plan = client._plan(inputs, request, {}, stream=False, stream_mode=None)

    def process() -> Any:
        p = ResponseProcessor(spec, model=resolved, stream=False, settings=inputs.settings)
        p.start()
        p.feed(body)
        return p.close()

    usage = process()[-1].response.usage  # the Finish event's reply
    info = spec.model_info(resolved)
    stages: list[tuple[str, Callable[[], Any]]] = [
        ("validate the call into the typed Request", lambda: request_from(PROMPT, dict(opts))),
        ("resolve the spec and the per-call inputs", lambda: client._resolver.inputs(*client._resolve(ref), {})),
        ("render the request from the spec (body, headers, URL)", lambda: client._plan(inputs, request, {}, stream=False, stream_mode=None)),
        ("bind the credential to its host, build the auth", lambda: authorize(inputs, plan)),
        ("normalise the reply (JSON, mapping rules, typed Response, usage, cost)", process),
    ]
    out: dict[str, Any] = {
        "raw_httpx_us": best_cpu_us(raw_call, number, repeat),
        "specwire_us": best_cpu_us(specwire_call, number, repeat),
        "stages": [{"stage": name, "us": best_cpu_us(fn, number, repeat)} for name, fn in stages],
    }
    if info is not None and usage is not None:
        out["cost_us"] = best_cpu_us(lambda: compute_cost(usage, info, resolved), number, repeat)
    out["rest_us"] = out["specwire_us"] - out["raw_httpx_us"] - sum(s["us"] for s in out["stages"])
    client.close()
    raw.close()
    return out


def markdown(result: dict[str, Any] | None, socket_raw_us: float | None = None, target: float | None = None) -> list[str]:
    """The RESULTS.md section for :func:`measure`'s result; ``socket_raw_us``: raw httpx's CPU per
    request over loopback in the same run (the main table) and ``target`` the CPU ratio to it that
    issue 13 sets (run.py's ``TARGETS``), for the budget line."""
    if not result:
        return []
    raw, sw = result["raw_httpx_us"], result["specwire_us"]
    lines = [
        "### Non-stream request: specwire's own stages (in-memory transport, no sockets; `tools/bench/stages.py`)",
        "",
        f"The benchmark's OpenAI call on `httpx.MockTransport`: raw httpx with a hand-parsed reply {raw:.0f} µs of CPU per call, "
        f"specwire {sw:.0f} µs ({sw - raw:.0f} µs more). Each stage timed on its own (best of the rounds):",
        "",
        "| stage | µs per call |",
        "|---|---|",
    ]
    for s in result["stages"]:
        lines.append(f"| {s['stage']} | {s['us']:.1f} |")
    if "cost_us" in result:
        lines.append(f"| (of which the cost from the catalog's prices) | ({result['cost_us']:.1f}) |")
    lines.append(f"| the rest: call loop, observer, httpx's send with an auth flow (whole − raw − stages) | {result['rest_us']:.1f} |")
    lines.append("")
    if socket_raw_us and target:
        budget = (target - 1) * socket_raw_us
        total = sum(s["us"] for s in result["stages"])
        lines.append(f"The {target:g}× target leaves specwire {budget:.0f} µs per request over raw httpx's {socket_raw_us:.0f} µs on loopback; "
                     f"the stages above take {total:.0f} µs together.")
        lines.append("")
    return lines


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--number", type=int, default=2000, help="calls per round")
    ap.add_argument("--repeat", type=int, default=5, help="rounds; the best is reported")
    ap.add_argument("--json", action="store_true", help="print the result as JSON (run.py reads it)")
    args = ap.parse_args(argv)
    result = measure(args.number, args.repeat)
    print(json.dumps(result) if args.json else "\n".join(markdown(result)))


if __name__ == "__main__":
    main()
