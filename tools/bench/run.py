"""The specwire benchmark (issue 6): specwire against raw httpx, raw aiohttp, the openai and
anthropic SDKs and LiteLLM, on a loopback fake provider, in one invocation.

    python tools/bench/run.py --setup     # once: tools/bench/.venv and .venv-litellm
    python tools/bench/run.py             # full run (~24 min): results.json + RESULTS.md
    python tools/bench/run.py --quick     # smoke run (~1-2 min), written to out/ instead
    python tools/bench/run.py --targets   # the targets table of the last results.json

This file uses the standard library only; every measurement runs in a fresh subprocess of the
benchmark's own virtual environments (worker.py), against fakeserver.py in another process.
Measurements are interleaved (for each run, for each metric: client A, B, C, … with the client
order rotated between runs) so that load from other processes spreads over all clients; each
number is the median over ``--runs`` runs, and each ratio is taken against raw httpx measured in
the same run, then the median of those ratios is reported.  See README.md for the metrics.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

from clients import MODELS  # noqa: E402  (constants; clients.py imports its libraries lazily)
from cold import COLD_CALLS, COLD_WHAT  # noqa: E402  (standard library only, like this file)
import gateway  # noqa: E402  (the gateway rows, issue 14; standard library only, like this file)
import stages  # noqa: E402  (per-stage CPU of a non-stream call; standard library at import, like this file)

VENVS = {"main": HERE / ".venv", "litellm": HERE / ".venv-litellm"}
REQUIREMENTS = {"main": HERE / "requirements.txt", "litellm": HERE / "requirements-litellm.txt"}

# name -> virtual environment (mirrors clients.CLIENTS; run.py imports none of the measured libraries)
CLIENT_VENV = {"litellm": "litellm"}
MAIN_CLIENTS = ["aiohttp", "httpx", "specwire", "specwire+aiohttp", "openai-sdk", "anthropic-sdk", "specwire-anthropic", "litellm"]
API_CLIENTS = ["httpx-anthropic", "specwire-anthropic", "httpx-gemini", "specwire-gemini", "httpx-gemini-sse", "specwire-gemini-sse",
               "httpx-bedrock", "specwire-bedrock"]
API_BASELINE = {"specwire-anthropic": "httpx-anthropic", "specwire-gemini": "httpx-gemini", "specwire-gemini-sse": "httpx-gemini-sse",
                "specwire-bedrock": "httpx-bedrock", "anthropic-sdk": "httpx-anthropic"}
CLIENT_LABELS = set(MAIN_CLIENTS + API_CLIENTS)
MAIN_METRICS = ["cpu_sync", "cpu_async", "rps64", "stream", "stream_sync", "ttfe"]
API_METRICS = ["cpu_sync", "stream"]
BASELINE = "httpx"

LABELS = {
    "aiohttp": "raw aiohttp (hand-parsed)",
    "httpx": "raw httpx + httpx-sse (hand-parsed)",
    "specwire": "**specwire** (openai spec)",
    "specwire+aiohttp": "**specwire + aiohttp transport**",
    "openai-sdk": "openai SDK",
    "anthropic-sdk": "anthropic SDK (Anthropic shape)",
    "specwire-anthropic": "**specwire** (anthropic spec)",
    "litellm": "LiteLLM",
    "httpx-anthropic": "raw httpx, Anthropic SSE",
    "httpx-gemini": "raw httpx, Gemini JSON array",
    "specwire-gemini": "**specwire**, Gemini JSON array",
    "httpx-gemini-sse": "raw httpx, Gemini SSE",
    "specwire-gemini-sse": "**specwire**, Gemini SSE",
    "httpx-bedrock": "raw httpx, Bedrock event stream",
    "specwire-bedrock": "**specwire**, Bedrock event stream",
}

# Import-time targets: label -> (venv, code).  Each is timed as the wall time of
# `python -c CODE` minus `python -c pass` in the same venv (interpreter start and exit).
IMPORTS: dict[str, tuple[str, str]] = {
    "empty": ("main", "pass"),
    "empty-litellm": ("litellm", "pass"),
    # specwire's own runtime dependencies on a call's path (pyproject.toml); httpx-sse left them
    "floor": ("main", "import httpx, jmespath, jinja2, yaml"),
    "httpx": ("main", "import httpx, httpx_sse"),
    "aiohttp": ("main", "import aiohttp"),
    "specwire": ("main", "import specwire"),
    "specwire-client": ("main", "from specwire import Client"),
    # a catalog id (clients.MODELS): an unknown one would add a did-you-mean search, so it fails
    "specwire-ready": ("main", f"import specwire; p = specwire.Client(api_keys={{'openai': 'k'}}).build('openai:{MODELS['openai']}', 'hi'); assert not p.warnings, p.warnings"),
    "openai-sdk": ("main", "import openai"),
    "anthropic-sdk": ("main", "import anthropic"),
    "litellm": ("litellm", "import litellm"),
}
IMPORT_OF_CLIENT = {"aiohttp": "aiohttp", "httpx": "httpx", "specwire": "specwire-client", "specwire-anthropic": "specwire-client",
                    "openai-sdk": "openai-sdk", "anthropic-sdk": "anthropic-sdk", "litellm": "litellm"}

# (issue, name, what, how the value is read, comparison, threshold, against).  Issue 13's targets
# first; issue 6's checks that issue 13 does not restate after them (its RSS bound was 1.2x).
TARGETS = [
    ("13", "stream events/s >= 0.8x raw httpx", "specwire:stream:events_s", "ratio", ">=", 0.8, BASELINE),
    ("13", "CPU per non-stream request (sync) <= 1.15x raw httpx", "specwire:cpu_sync:cpu_us_per_req", "ratio", "<=", 1.15, BASELINE),
    ("13", "CPU per non-stream request (async, 1 in flight) <= 1.15x raw httpx", "specwire:cpu_async:cpu_us_per_req", "ratio", "<=", 1.15, BASELINE),
    ("13", "from specwire import Client <= 1.3x dependency floor", "import:specwire-client", "ratio_floor", "<=", 1.3, "floor"),
    ("13", "peak RSS with 500 concurrent streams <= 1.3x raw httpx", "specwire:rss_streams:peak_rss_mb", "ratio", "<=", 1.3, BASELINE),
    ("13", "aiohttp backend: req/s at 64 in flight >= 0.7x raw aiohttp", "specwire+aiohttp:rps64:req_s", "ratio", ">=", 0.7, "aiohttp"),
    ("13", "aiohttp backend: stream events/s >= 0.7x raw aiohttp", "specwire+aiohttp:stream:events_s", "ratio", ">=", 0.7, "aiohttp"),
    ("6", "import specwire <= 1.3x dependency floor", "import:specwire", "ratio_floor", "<=", 1.3, "floor"),
    ("6", "RSS flat from 1 000 to 10 000 calls (growth <= 1 MB)", "specwire:rss_growth:growth_mb", "value", "<=", 1.0, None),
]

# metric -> the field reported in tables (and whether higher is better)
FIELDS = {
    "cpu_sync": ("cpu_us_per_req", False), "cpu_async": ("cpu_us_per_req", False), "rps1": ("req_s", True), "rps64": ("req_s", True),
    "stream": ("events_s", True), "stream_sync": ("events_s", True), "ttfe": ("ttfe_ms", False),
    "rss_streams": ("peak_rss_mb", False), "rss_growth": ("growth_mb", False),
}


def vpy(venv: str) -> str:
    return str(VENVS[venv] / "bin" / "python")


def pinned(cmd: list[str], cpu: int, pin: bool) -> list[str]:
    """``cmd`` bound to one core with taskset when ``--pin`` is on."""
    return ["taskset", "-c", str(cpu), *cmd] if pin and shutil.which("taskset") else cmd


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ============================================================================ setup
def setup() -> None:
    """Create both benchmark venvs (idempotent): .venv = specwire (editable) + references,
    .venv-litellm = LiteLLM alone (its openai pin conflicts with the newest openai SDK)."""
    for name, venv in VENVS.items():
        if not (venv / "bin" / "python").exists():
            log(f"creating {venv}")
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [vpy(name), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        args = ["-r", str(REQUIREMENTS[name])]
        if name == "main":
            args += ["-e", f"{ROOT}[aiohttp,gateway]"]
        log(f"installing into {venv.name}: {' '.join(a for a in args if a != '-r')}")
        subprocess.run([*pip, *args], check=True)
    log("setup done")


def check_venvs() -> None:
    missing = [str(v) for v in VENVS.values() if not (v / "bin" / "python").exists()]
    if missing:
        sys.exit(f"missing benchmark venv(s): {', '.join(missing)}; run: python {__file__} --setup")


def worker_env() -> dict[str, str]:
    """The environment of every measured process: no proxies, no real keys, no telemetry."""
    env = {k: v for k, v in os.environ.items()
           if not re.search(r"(_API_KEY|_TOKEN|_SECRET|PROXY|^AWS_|^SPECWIRE_)", k, re.IGNORECASE)}
    env.update({"NO_PROXY": "*", "no_proxy": "*", "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_TELEMETRY": "False",
                "PYTHONHASHSEED": "0"})
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


# ============================================================================ server
class FakeServer:
    def __init__(self, args: argparse.Namespace) -> None:
        cmd = [vpy("main"), str(HERE / "fakeserver.py"), "--port", "0", "--chunks", str(args.chunks),
               "--chunk-size", str(args.chunk_size), "--tool-deltas", str(args.tool_deltas)]
        self.proc = subprocess.Popen(pinned(cmd, 1, args.pin), stdout=subprocess.PIPE, text=True, env=worker_env())
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line.startswith("PORT "):
            self.proc.kill()
            sys.exit(f"fake server did not start: {line!r}")
        self.port = int(line.split()[1])

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_stats", timeout=10) as r:
            return json.loads(r.read())

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def ceiling(server: FakeServer, args: argparse.Namespace) -> dict[str, Any]:
    """The fake server's own ceiling, measured with wrk (C, so the load generator is not the
    bottleneck) when installed: non-stream requests at 64 connections, and 2000-chunk streams."""
    out: dict[str, Any] = {}
    wrk = shutil.which("wrk")
    if not wrk:
        out["note"] = "wrk not installed (apt-get install wrk); the raw aiohttp row is the best client-side ceiling"
        return out
    ver = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
    out["tool"] = ((ver.stdout or ver.stderr).strip().splitlines() or ["wrk"])[0].split(" [")[0]
    for label, path, body, chunks in (
        ("nonstream", f"/bench/n64-s{args.chunk_size}-t0/v1/chat/completions", '{"model":"gpt-5.5","messages":[{"role":"user","content":"hi"}]}', None),
        ("stream", f"/bench/n{args.chunks}-s{args.chunk_size}-t0/v1/chat/completions", '{"model":"gpt-5.5","stream":true,"messages":[{"role":"user","content":"hi"}]}', args.chunks),
    ):
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
            f.write(f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\nwrk.headers["Content-Type"] = "application/json"\n')
            script = f.name
        s0, t0 = server.stats(), time.perf_counter()
        res = subprocess.run(pinned([wrk, "-t1", "-c64", f"-d{args.ceiling_seconds}s", "-s", script, f"http://127.0.0.1:{server.port}{path}"], 0, args.pin),
                             capture_output=True, text=True, check=False)
        wall, s1 = time.perf_counter() - t0, server.stats()
        os.unlink(script)
        m = re.search(r"Requests/sec:\s*([\d.]+)", res.stdout)
        rps = float(m.group(1)) if m else None
        entry: dict[str, Any] = {"req_s": rps, "server_cpu_util": (s1["cpu_s"] - s0["cpu_s"]) / wall,
                                 "server_cpu_us_per_req": (s1["cpu_s"] - s0["cpu_s"]) / max(1, s1["requests"] - s0["requests"] - 1) * 1e6,
                                 "wrk_output": res.stdout.strip().splitlines()[-6:]}
        if chunks and rps:
            entry["events_s"] = rps * chunks
        out[label] = entry
    return out


# ============================================================================ measurements
def run_worker(client: str, metrics: list[str], server: FakeServer, args: argparse.Namespace, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    job = {"client": client, "metrics": metrics, "port": server.port, "chunks": args.chunks, "chunk_size": args.chunk_size,
           "tool_deltas": args.tool_deltas, "warmup": args.warmup, "budget": args.budget, "min_n": args.min_n,
           "min_streams": args.min_streams, "streams": args.rss_streams, "rss_chunks": args.rss_chunks, "barrier_timeout": 60,
           "checkpoints": args.leak_checkpoints, "out_dir": str(HERE / "out"), "profile_streams": args.profile_streams, "profile_requests": args.profile_requests, **(extra or {})}
    venv = CLIENT_VENV.get(client, "main")
    try:
        res = subprocess.run(pinned([vpy(venv), str(HERE / "worker.py"), json.dumps(job)], 0, args.pin), capture_output=True, text=True,
                             env=worker_env(), timeout=args.worker_timeout, check=False)
    except subprocess.TimeoutExpired:
        return {m: {"error": f"worker timed out after {args.worker_timeout} s"} for m in metrics}
    for line in reversed(res.stdout.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    err = (res.stderr or res.stdout).strip().splitlines()[-3:]
    return {m: {"error": f"worker exited {res.returncode}: {' | '.join(err)}"[:500]} for m in metrics}


def time_processes(targets: dict[str, tuple[str, str]], labels: list[str], args: argparse.Namespace, *, reps: int, budget: float,
                   warm: bool, root: str = "", min_reps: int = 3) -> dict[str, Any]:
    """Wall time of ``python -c CODE`` per label, in fresh processes interleaved label by label
    (``__ROOT__`` in CODE replaced by ``root``): ``reps`` repetitions (a label that has spent
    ``budget`` seconds stops after ``min_reps``), after one warm-up of each (bytecode and file
    caches) when ``warm``.  Returns the median seconds per label (``raw_s``), the repetitions, and ``value_s``:
    each median minus the empty interpreter of the same venv (labels ``empty``/``empty-litellm``)."""
    env = worker_env()
    samples: dict[str, list[float]] = {lab: [] for lab in labels}
    spent: dict[str, float] = {lab: 0.0 for lab in labels}

    def command(lab: str) -> list[str]:
        venv, code = targets[lab]
        return [vpy(venv), "-c", code.replace("__ROOT__", root)]

    for lab in labels if warm else ():
        subprocess.run(command(lab), env=env, capture_output=True, check=False)
    for rep in range(reps):
        for lab in labels:
            if rep >= min_reps and spent[lab] > budget:
                continue
            t0 = time.perf_counter()
            r = subprocess.run(pinned(command(lab), 0, args.pin), env=env, capture_output=True, check=False)
            dt = time.perf_counter() - t0
            if r.returncode != 0:
                raise SystemExit(f"timed program {lab!r} failed: {r.stderr.decode()[-800:]}")
            samples[lab].append(dt)
            spent[lab] += dt
    med = {lab: statistics.median(v) for lab, v in samples.items()}
    out: dict[str, Any] = {"raw_s": med, "reps": {lab: len(v) for lab, v in samples.items()}, "value_s": {}}
    for lab in labels:
        if lab.startswith("empty"):
            continue
        empty = med["empty-litellm"] if targets[lab][0] == "litellm" else med["empty"]
        out["value_s"][lab] = max(0.0, med[lab] - empty)
    return out


def _labels(targets: dict[str, tuple[str, str]], args: argparse.Namespace) -> list[str]:
    """The timed programs of this invocation: those of the clients measured (references always),
    without the LiteLLM venv under --no-litellm."""
    labels = [lab for lab in targets if not (args.no_litellm and targets[lab][0] == "litellm")]
    return [lab for lab in labels if lab.startswith("empty") or lab == "floor" or lab in args.clients or lab not in CLIENT_LABELS]


def measure_imports(args: argparse.Namespace) -> dict[str, Any]:
    """One run of import timings (see :func:`time_processes`); ``import_s`` per label."""
    res = time_processes(IMPORTS, _labels(IMPORTS, args), args, reps=args.import_reps, budget=args.import_budget, warm=not args.quick)
    return {"raw_s": res["raw_s"], "reps": res["reps"], "import_s": res["value_s"]}


def measure_cold(server: FakeServer, args: argparse.Namespace, first_run: bool) -> dict[str, Any]:
    """One run of cold-first-call timings (cold.py): a fresh process imports the library, builds
    its client and makes one non-stream call; ``cold_s`` per label, minus the empty interpreter.
    Up to ``cold_reps`` per run; a program past 4 s stops after one (LiteLLM: about 6 s each).
    The import timings just before warmed the bytecode and file caches; without them the first
    run warms them once."""
    root = f"http://127.0.0.1:{server.port}/bench/n64-s{args.chunk_size}-t0"
    res = time_processes(COLD_CALLS, _labels(COLD_CALLS, args), args, reps=args.cold_reps, budget=4.0, min_reps=1,
                         warm=first_run and not args.quick and "import" not in args.metrics, root=root)
    return {"raw_s": res["raw_s"], "reps": res["reps"], "cold_s": res["value_s"]}


def import_breakdown(code: str = "from specwire import Client") -> dict[str, Any]:
    """Where the import time of ``code`` goes: ``python -X importtime``, self time summed per
    top-level package (median of 5 processes), so the optimization work sees what to make lazy."""
    per_pkg: dict[str, list[float]] = {}
    totals = []
    for _ in range(5):
        r = subprocess.run([vpy("main"), "-X", "importtime", "-c", code], capture_output=True, text=True, env=worker_env(), check=False)
        sums: dict[str, float] = {}
        total = 0.0
        for line in r.stderr.splitlines():
            m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
            if not m:
                continue
            own = int(m.group(1)) / 1e6
            top = m.group(4).split(".")[0]
            sums[top] = sums.get(top, 0.0) + own
            total += own
        totals.append(total)
        for k, v in sums.items():
            per_pkg.setdefault(k, []).append(v)
    pkgs = sorted(((k, statistics.median(v + [0.0] * (5 - len(v)))) for k, v in per_pkg.items()), key=lambda kv: kv[1], reverse=True)
    return {"code": code, "total_s": statistics.median(totals), "by_package": [{"package": k, "self_s": v} for k, v in pkgs[:20]]}


def measure_stages() -> dict[str, Any] | None:
    """stages.py's per-stage CPU of a non-stream call (in-memory transport), in the main venv;
    ``None`` (logged) when it fails, so one broken stage does not lose the run."""
    out = subprocess.run([vpy("main"), str(HERE / "stages.py"), "--json"], capture_output=True, text=True, env=worker_env(), timeout=600)
    if out.returncode != 0:
        log(f"stages.py failed: {out.stderr.strip().splitlines()[-1:]}")
        return None
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def loadavg() -> list[float]:
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def busy_seconds() -> float:
    """Busy CPU seconds of the whole machine so far (all cores, from /proc/stat)."""
    with open("/proc/stat") as f:
        parts = f.readline().split()[1:]
    vals = [int(x) for x in parts]
    idle = vals[3] + (vals[4] if len(vals) > 4 else 0)
    return (sum(vals[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def one_run(i: int, server: FakeServer, args: argparse.Namespace) -> dict[str, Any]:
    run: dict[str, Any] = {"run": i, "started": _dt.datetime.now().isoformat(timespec="seconds"), "loadavg_before": loadavg(), "results": {}}
    t0, b0 = time.perf_counter(), busy_seconds()
    if "import" in args.metrics:
        log(f"run {i}: import times")
        run["imports"] = measure_imports(args)
    if "cold" in args.metrics:
        log(f"run {i}: cold first calls")
        run["cold"] = measure_cold(server, args, i == 0)
        log(f"run {i}: cold first call (s): " + ", ".join(f"{k} {v:.3f}" for k, v in run["cold"]["cold_s"].items()))
    rot = i % max(1, len(args.clients))

    def rotated(names: list[str]) -> list[str]:
        return names[rot:] + names[:rot]

    main = [c for c in MAIN_CLIENTS if c in args.clients]
    api = [c for c in API_CLIENTS if c in args.clients]
    timed = [m for m in MAIN_METRICS if m in args.metrics]
    jobs: list[tuple[str, list[str]]] = []
    if args.quick:  # one process per client does all its metrics
        for c in rotated(main):
            jobs.append((c, timed))
        for c in api:
            if c not in main:
                jobs.append((c, [m for m in API_METRICS if m in args.metrics]))
    else:
        for m in timed:
            for c in rotated(main):
                jobs.append((c, [m]))
        for m in [m for m in API_METRICS if m in args.metrics]:
            for c in api:
                if c not in main or m not in timed:
                    jobs.append((c, [m]))
    if "rss_streams" in args.metrics and (i == 0 or args.rss_every_run):
        for c in rotated(main):
            jobs.append((c, ["rss_streams"]))
    for c, metrics in jobs:
        if all(args.na.get((c, m)) for m in metrics):
            for m in metrics:
                run["results"].setdefault(c, {})[m] = {"na": args.na[(c, m)]}
            continue
        w0 = time.perf_counter()
        res = run_worker(c, metrics, server, args)
        for m, r in res.items():
            run["results"].setdefault(c, {})[m] = r
            if "na" in r:
                args.na[(c, m)] = r["na"]
        log(f"run {i}: {c:<20} {','.join(metrics):<40} {time.perf_counter() - w0:5.1f}s  {_brief(res)}")
    run["wall_s"] = time.perf_counter() - t0
    run["loadavg_after"] = loadavg()
    run["machine_busy_cores"] = (busy_seconds() - b0) / run["wall_s"]
    return run


def _brief(res: dict[str, Any]) -> str:
    out = []
    for m, r in res.items():
        if "na" in r:
            out.append(f"{m}=n/a")
        elif "error" in r:
            out.append(f"{m}=ERROR {r['error'][:120]}")
        else:
            field = FIELDS.get(m, (None,))[0]
            v = r.get(field)
            out.append(f"{m}={v:.4g}" if isinstance(v, (int, float)) else f"{m}=?")
    return " ".join(out)


def leak_runs(server: FakeServer, args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for c in [c for c in MAIN_CLIENTS if c in args.clients]:
        if args.na.get((c, "cpu_async")):
            out[c] = {"na": args.na[(c, "cpu_async")]}
            continue
        w0 = time.perf_counter()
        out[c] = run_worker(c, ["rss_growth"], server, args)["rss_growth"]
        log(f"leak: {c:<20} {time.perf_counter() - w0:5.1f}s  {_brief({'rss_growth': out[c]})}")
    return out


# ============================================================================ summary
def value_of(run: dict[str, Any], client: str, metric: str, field: str) -> float | None:
    if metric == "rps1":
        metric, field = "cpu_async", "req_s"
    r = run["results"].get(client, {}).get(metric, {})
    v = r.get(field)
    return float(v) if isinstance(v, (int, float)) else None


def summarize(runs: list[dict[str, Any]], leak: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    clients = sorted({c for r in runs for c in r["results"]} | set(leak))
    summary: dict[str, Any] = {}
    for c in clients:
        summary[c] = {}
        for metric, (field, _higher) in FIELDS.items():
            if metric == "rss_growth":
                v = leak.get(c, {}).get("growth_mb")
                if isinstance(v, (int, float)):
                    summary[c][metric] = {"median": v, "values": [v], "field": field}
                continue
            vals, ratios, api_ratios = [], [], []
            for run in runs:
                v = value_of(run, c, metric, field)
                if v is None:
                    continue
                vals.append(v)
                b = value_of(run, BASELINE, metric, field)
                if b:
                    ratios.append(v / b)
                if c in API_BASELINE:
                    ab = value_of(run, API_BASELINE[c], metric, field)
                    if ab:
                        api_ratios.append(v / ab)
            if vals:
                entry: dict[str, Any] = {"median": statistics.median(vals), "values": vals, "field": field}
                if ratios:
                    entry["ratio"] = statistics.median(ratios)
                    entry["ratios"] = ratios
                if api_ratios:
                    entry["api_ratio"] = statistics.median(api_ratios)
                    entry["api_baseline"] = API_BASELINE[c]
                summary[c][metric] = entry
            else:
                reasons = [run["results"].get(c, {}).get(metric if metric != "rps1" else "cpu_async", {}) for run in runs]
                why = next((r.get("na") or r.get("error") for r in reasons if r.get("na") or r.get("error")), None)
                if why:
                    summary[c][metric] = {"missing": why}
    imports = process_summary(runs, "imports", "import_s")
    for c, lab in IMPORT_OF_CLIENT.items():
        if lab in imports and c in summary:
            summary[c]["import"] = {**imports[lab], "field": "import_s", "what": IMPORTS[lab][1]}
    cold = process_summary(runs, "cold", "cold_s")
    return {"clients": summary, "imports": imports, "cold": cold, "targets": check_targets(summary, imports, leak)}


def process_summary(runs: list[dict[str, Any]], key: str, field: str) -> dict[str, Any]:
    """Medians over runs of the per-process timings ``run[key][field]`` (imports, cold first
    calls), with the same-run ratios to raw httpx (``ratio``) and to the dependency floor
    (``ratio_floor``), medians of the per-run ratios."""
    out: dict[str, Any] = {}
    per_run = [r[key][field] for r in runs if key in r]
    for lab in sorted({lab for d in per_run for lab in d}):
        vals = [d[lab] for d in per_run if lab in d]
        ratios = [d[lab] / d["httpx"] for d in per_run if d.get("httpx") and lab in d]
        floor = [d[lab] / d["floor"] for d in per_run if d.get("floor") and lab in d]
        out[lab] = {"median": statistics.median(vals), "values": vals,
                    "ratio": statistics.median(ratios) if ratios else None, "ratio_floor": statistics.median(floor) if floor else None}
    return out


def check_targets(summary: dict[str, Any], imports: dict[str, Any], leak: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for issue, name, what, how, op, threshold, against in TARGETS:
        parts = what.split(":")
        value = None
        note = ""
        if parts[0] == "import":
            entry = imports.get(parts[1], {})
            value = entry.get("ratio_floor")
        else:
            client, metric = parts[0], parts[1]
            entry = summary.get(client, {}).get(metric, {})
            if "missing" in entry:
                note = entry["missing"]
            elif how == "value":
                value = entry.get("median")
            elif against == BASELINE:
                value = entry.get("ratio")
            else:  # ratio against another client, per run: recompute from medians (same runs)
                other = summary.get(against, {}).get(metric, {})
                if entry.get("median") and other.get("median"):
                    value = entry["median"] / other["median"]
            if value is None and not note:
                note = "not measured"
        met = None if value is None else (value <= threshold if op == "<=" else value >= threshold)
        out.append({"issue": issue, "target": name, "value": value, "op": op, "threshold": threshold, "met": met, "note": note})
    return out


# ============================================================================ machine
def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"platform": platform.platform(), "kernel": platform.release()}
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
        info["cpu_model"] = re.search(r"model name\s*:\s*(.*)", text).group(1).strip()  # type: ignore[union-attr]
        mhz = re.search(r"cpu MHz\s*:\s*(.*)", text)
        info["cpu_mhz"] = float(mhz.group(1)) if mhz else None
    except OSError:
        pass
    info["cores"] = os.cpu_count()
    info["cores_usable"] = len(os.sched_getaffinity(0))
    with open("/proc/meminfo") as f:
        info["ram_gb"] = round(int(f.readline().split()[1]) / 1024 / 1024, 1)
    code = ("import sys, json, importlib.metadata as md\nout = {'python': sys.version.split()[0]}\n"
            "for p in ['specwire','httpx','httpx-sse','httpcore','h11','anyio','aiohttp','openai','anthropic','httpx2','httpcore2',"
            "'litellm','uvloop','pydantic','pydantic-core','jmespath','jinja2','pyyaml','jsonschema']:\n"
            "    try: out[p] = md.version(p)\n    except md.PackageNotFoundError: pass\nprint(json.dumps(out))")
    for venv, path in VENVS.items():
        if (path / "bin" / "python").exists():
            r = subprocess.run([vpy(venv), "-c", code], capture_output=True, text=True, check=False)
            info[f"venv_{venv}"] = json.loads(r.stdout) if r.returncode == 0 else r.stderr[-300:]
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "engine", "providers.d"], capture_output=True, text=True, check=False).stdout
        info["specwire_tree"] = f"{head}" + (f" + {len(dirty.splitlines())} uncommitted engine/spec file(s)" if dirty.strip() else "")
    except OSError:
        pass
    return info


# ============================================================================ report
def fmt(v: float | None, metric: str) -> str:
    if v is None:
        return "—"
    if metric in ("import",):
        return f"{v:.3f}"
    if metric in ("ttfe",):
        return f"{v:.2f}"
    if metric == "rss_streams":
        return f"{v:.1f}"
    if metric == "rss_growth":
        return f"{v:.2f}"
    if v >= 1000:
        return f"{v:,.0f}".replace(",", " ")
    return f"{v:.0f}" if v >= 100 else f"{v:.1f}"


def cell(entry: dict[str, Any] | None, metric: str, ratio_key: str = "ratio") -> str:
    if not entry:
        return "—"
    if "missing" in entry:
        return "n/a" if not entry["missing"].startswith(("ERROR", "worker")) else "error"
    s = fmt(entry.get("median"), metric)
    r = entry.get(ratio_key)
    if r is not None:
        s += f" ({r:.2f}×)"
    return s


MAIN_COLUMNS: list[tuple[str, str]] = [
    ("import", "import (s)"),
    ("cpu_sync", "CPU/request, sync (µs)"),
    ("cpu_async", "CPU/request, async 1 in flight (µs)"),
    ("rps1", "req/s, 1 in flight"),
    ("rps64", "req/s, 64 in flight"),
    ("stream", "stream events/s (async)"),
    ("stream_sync", "stream events/s (sync)"),
    ("ttfe", "time to first event (ms)"),
    ("rss_streams", "peak RSS, 500 streams (MB)"),
    ("rss_growth", "RSS growth 1k→10k calls (MB)"),
]


def render_markdown(results: dict[str, Any]) -> str:
    s = results["summary"]
    cl = s["clients"]
    m = results["machine"]
    a = results["config"]
    cps = a["leak_checkpoints"]
    columns = [(k, h.replace("500 streams", f"{a['rss_streams']} streams").replace("1k→10k calls", f"{cps[0]:,}→{cps[-1]:,} calls".replace(",", " ")))
               for k, h in MAIN_COLUMNS]
    lines: list[str] = []
    add = lines.append
    add(f"Run of {results['finished']} · `{a['command']}` · {a['runs']} run(s), medians · {a['budget_s']} s per timed measurement · "
        f"total {results['wall_min']:.1f} min")
    add("")
    add("### Machine")
    add("")
    add(f"- CPU: {m.get('cpu_model')} ({m.get('cores')} cores, {m.get('cpu_mhz')} MHz), RAM {m.get('ram_gb')} GB, {m.get('platform')}")
    vm = m.get("venv_main", {})
    vl = m.get("venv_litellm", {})
    add(f"- Python {vm.get('python')}; specwire {vm.get('specwire')} (tree {m.get('specwire_tree')}); httpx {vm.get('httpx')}, httpx-sse {vm.get('httpx-sse')}, "
        f"httpcore {vm.get('httpcore')}, aiohttp {vm.get('aiohttp')}, openai {vm.get('openai')}, anthropic {vm.get('anthropic')} "
        f"(both on httpx2 {vm.get('httpx2')}), pydantic {vm.get('pydantic')}, jmespath {vm.get('jmespath')}, jinja2 {vm.get('jinja2')}")
    add(f"- LiteLLM {vl.get('litellm')} in its own venv (openai {vl.get('openai')}, httpx {vl.get('httpx')}, aiohttp {vl.get('aiohttp')})")
    loads = [(r["loadavg_before"][0], r["loadavg_after"][0], r.get("machine_busy_cores")) for r in results["runs"]]
    add(f"- Load: 1-min load average before/after each run {', '.join(f'{b:.2f}/{e:.2f}' for b, e, _ in loads)}; "
        f"machine-wide busy cores during each run {', '.join(f'{x:.2f}' for _, _, x in loads if x is not None)} "
        f"(client + server ≈ 1.1–1.3; anything above is other processes)")
    add(f"- Fake server: {results.get('server_loop', '?')} event loop; stream shape: {a['chunks']} chunks × {a['chunk_size']} characters, "
        f"{a['tool_deltas']} tool-call deltas; CPU pinning {'on (client core 0, server core 1)' if a['pin'] else 'off'}")
    add("")
    c = results.get("ceiling", {})
    ce = results.get("ceiling_end", {})
    if ce.get("nonstream") and c.get("nonstream") and ce["nonstream"]["req_s"] > c["nonstream"]["req_s"]:
        c, ce = ce, c  # report the less disturbed of the two measurements
    if c.get("nonstream"):
        add("### Fake-server ceiling")
        add("")
        other = f" (the other measurement, before or after the runs: {ce['nonstream']['req_s']:,.0f} req/s)" if ce.get("nonstream") else ""
        add(f"Measured with {c.get('tool')} (`-t1 -c64`, {a['ceiling_seconds']} s each; the better of the measurements before and after the runs{other}): "
            f"**{c['nonstream']['req_s']:,.0f} non-stream req/s** (server CPU {c['nonstream']['server_cpu_us_per_req']:.0f} µs/request, "
            f"{c['nonstream']['server_cpu_util'] * 100:.0f}% of a core) and **{c['stream'].get('events_s', 0):,.0f} stream events/s** "
            f"({c['stream']['req_s']:.1f} streams/s of {a['chunks']} chunks; server CPU {c['stream']['server_cpu_util'] * 100:.0f}% of a core). "
            f"During the client measurements the server used at most {results.get('server_util_max', 0) * 100:.0f}% of a core "
            f"(median {results.get('server_util_median', 0) * 100:.0f}%), so the client under test is the bottleneck.")
        add("")
    add("### Main table (OpenAI Chat Completions shape unless noted; ratio to raw httpx in the same run)")
    add("")
    add("| client | " + " | ".join(h for _, h in columns) + " |")
    add("|---|" + "---|" * len(columns))
    for name in MAIN_CLIENTS:
        if name not in cl:
            continue
        row = cl[name]
        if name == "specwire+aiohttp" and all("missing" in v for v in row.values()):
            add(f"| {LABELS[name]} | " + " | ".join(["not written yet (hook in clients.py)"] + [""] * (len(MAIN_COLUMNS) - 1)) + " |")
            continue
        add(f"| {LABELS[name]} | " + " | ".join(cell(row.get(k), k) for k, _ in MAIN_COLUMNS) + " |")
    add("")
    add("Lower is better for CPU, time to first event and RSS; higher is better for req/s and events/s. "
        "The anthropic SDK and specwire (anthropic spec) rows read the Anthropic Messages shape from the same server; their ratios are still to raw httpx on the OpenAI shape.")
    add("")
    add("### Per wire API: specwire vs hand-parsed raw httpx on the same bytes")
    add("")
    add("| client | CPU/request, sync (µs) | stream events/s (async) | µs CPU per stream event |")
    add("|---|---|---|---|")
    for name in ["httpx-anthropic", "anthropic-sdk", *API_CLIENTS[1:]]:
        if name not in cl:
            continue
        row = cl[name]
        ev = row.get("stream")
        cpu_ev = "—"
        if ev and "median" in ev:
            vals = [r["results"].get(name, {}).get("stream", {}).get("cpu_us_per_event") for r in results["runs"]]
            vals = [v for v in vals if isinstance(v, (int, float))]
            cpu_ev = f"{statistics.median(vals):.1f}" if vals else "—"
        add(f"| {LABELS[name]} | {cell(row.get('cpu_sync'), 'cpu_sync', 'api_ratio')} | {cell(ev, 'stream', 'api_ratio')} | {cpu_ev} |")
    add("")
    add("Ratios in this table are to the raw-httpx row of the same wire API.")
    add("")
    imp = s.get("imports", {})
    if imp:
        add("### Import time (fresh process, minus an empty interpreter start)")
        add("")
        add("| what | seconds | × raw httpx | × dependency floor |")
        add("|---|---|---|---|")
        for lab in ["floor", "httpx", "aiohttp", "specwire", "specwire-client", "specwire-ready", "openai-sdk", "anthropic-sdk", "litellm"]:
            if lab in imp:
                e = imp[lab]
                add(f"| `{IMPORTS[lab][1]}` | {e['median']:.3f} | {e['ratio']:.2f}× | {e['ratio_floor']:.2f}× |"
                    if e.get("ratio") is not None and e.get("ratio_floor") is not None else f"| `{IMPORTS[lab][1]}` | {e['median']:.3f} | | |")
        add("")
    cold = s.get("cold", {})
    if cold:
        add("### Cold first call (fresh process: import, client set-up, one non-stream call; minus an empty interpreter start)")
        add("")
        add("| client | what the process runs | seconds | × raw httpx | × dependency floor |")
        add("|---|---|---|---|---|")
        for lab in ["floor", "httpx", "aiohttp", "specwire", "specwire+aiohttp", "openai-sdk", "anthropic-sdk", "specwire-anthropic", "litellm"]:
            e = cold.get(lab)
            if not e:
                continue
            name = {"floor": "dependency floor", "httpx": "raw httpx"}.get(lab) or LABELS[lab]
            ratios = (f"{e['ratio']:.2f}× | {e['ratio_floor']:.2f}×" if e.get("ratio") is not None and e.get("ratio_floor") is not None else " | ")
            add(f"| {name} | {COLD_WHAT[lab]} | {e['median']:.3f} | {ratios} |")
        add("")
        add("specwire's figure includes finding, loading and compiling the spec the call names and pricing the reply from its catalog. "
            "The dependency floor imports specwire's own runtime dependencies, then makes the raw httpx call.")
        add("")
    leak = results.get("leak", {})
    if leak:
        add("### RSS across sequential calls (async; non-stream and 20-chunk streams alternating; VmRSS after gc)")
        add("")
        add("| client | " + " | ".join(f"after {n:,}".replace(",", " ") for n in a["leak_checkpoints"]) + " | growth (MB) | bytes/call |")
        add("|---|" + "---|" * (len(a["leak_checkpoints"]) + 2))
        for name in MAIN_CLIENTS:
            e = leak.get(name)
            if not e or "curve" not in e:
                continue
            add(f"| {LABELS[name]} | " + " | ".join(f"{mb:.1f}" for _, mb in e["curve"]) + f" | {e['growth_mb']:.2f} | {e['bytes_per_call']:.0f} |")
        add("")
    rss_rows = []
    for name in MAIN_CLIENTS:
        per_run = [r["results"].get(name, {}).get("rss_streams", {}) for r in results["runs"]]
        per_run = [x for x in per_run if "peak_rss_mb" in x]
        if per_run:
            med = {k: statistics.median(x[k] for x in per_run) for k in ("rss_before_mb", "peak_rss_mb", "delta_mb", "wall_s")}
            rss_rows.append(f"| {LABELS[name]} | {med['rss_before_mb']:.1f} | {med['peak_rss_mb']:.1f} | {med['delta_mb']:.1f} | "
                            f"{min(x['max_open'] for x in per_run)} | {sum(x['errors'] for x in per_run)} | {med['wall_s']:.1f} |")
    if rss_rows:
        add(f"### {a['rss_streams']} concurrent streams ({a['rss_chunks']} chunks each, all held open by a barrier after their first text event)")
        add("")
        add("| client | RSS before (MB) | peak RSS, VmHWM (MB) | peak − before (MB) | streams open at once | errors | wall (s) |")
        add("|---|---|---|---|---|---|---|")
        lines.extend(rss_rows)
        add("")
        add("\"RSS before\" is the process after imports, client construction and one warm-up stream, so the peak includes each library's import footprint, as the issue's table does.")
        add("")
    gw_lines = gateway.markdown(results.get("gateway"))
    if gw_lines:
        lines.extend(gw_lines)
        add("")
    lines.extend(targets_markdown(results))
    add("")
    prof = results.get("profile", {})
    for label in ("stream", "nonstream"):
        p = prof.get(label)
        if not p or "top_tottime" not in p:
            continue
        per = p.get("busy_s", p["total_s"]) / p["units"] * 1e6
        what = "async stream" if label == "stream" else "async non-stream request"
        add(f"### cProfile: specwire {what} ({per:.1f} µs of busy CPU per {p['unit']} under cProfile, which inflates absolute numbers; see out/{Path(p['file']).name})")
        add("")
        add("Own time grouped by owner (the event loop's idle `select` excluded):")
        add("")
        add("| owner | share |")
        add("|---|---|")
        for g in p.get("by_group", [])[:14]:
            add(f"| `{g['group']}` | {g['share'] * 100:.1f}% |")
        add("")
        add("Top functions by own time:")
        add("")
        add("| function | calls | own time (s) | cumulative (s) |")
        add("|---|---|---|---|")
        for row in p["top_tottime"][:15]:
            add(f"| `{row['func']}` | {row['ncalls']} | {row['tottime']:.3f} | {row['cumtime']:.3f} |")
        add("")
    raw_cpu = results.get("summary", {}).get("clients", {}).get(BASELINE, {}).get("cpu_sync", {}).get("median")
    cpu_target = next(t[5] for t in TARGETS if t[2] == "specwire:cpu_sync:cpu_us_per_req")
    lines.extend(stages.markdown(prof.get("stages"), raw_cpu, cpu_target))
    imp_b = prof.get("imports")
    if imp_b:
        add(f"### Import breakdown: `{imp_b['code']}` (`python -X importtime`, self time per top-level package, median of 5; total {imp_b['total_s']:.3f} s)")
        add("")
        add("| package | self time (s) |")
        add("|---|---|")
        for row in imp_b["by_package"][:15]:
            add(f"| `{row['package']}` | {row['self_s']:.3f} |")
        add("")
    return "\n".join(lines)


def targets_markdown(results: dict[str, Any]) -> list[str]:
    """The targets table (issue 13's targets, then issue 6's other checks), met or not in this run."""
    a = results["config"]
    lines = [f"### Targets (issue 13, then issue 6's other checks): specwire, {a['runs']} run(s)", "",
             "| issue | target | measured | met? |", "|---|---|---|---|"]
    for t in results["summary"]["targets"]:
        val = "—" if t["value"] is None else (f"{t['value']:.2f} MB" if "MB" in t["target"] else f"{t['value']:.2f}×")
        met = "n/a" if t["met"] is None else ("**met**" if t["met"] else "**missed**")
        note = t["note"]
        if "500 concurrent" in t["target"] and a["rss_streams"] != 500:
            note = ", ".join(filter(None, [note, f"{a['rss_streams']} streams in this run"]))
        lines.append(f"| {t.get('issue', '6')} | {t['target']} | {val}{f' ({note})' if note else ''} | {met} |")
    if a.get("quick"):
        lines += ["", "A `--quick` run: one short run, smaller counts; a smoke test of the harness, not a measurement."]
    return lines


BEGIN, END = "<!-- BEGIN GENERATED by run.py -->", "<!-- END GENERATED -->"


def write_markdown(path: Path, body: str) -> None:
    """Replace the generated block of RESULTS.md, keeping the hand-written text around it."""
    if path.exists():
        text = path.read_text()
        if BEGIN in text and END in text:
            head, rest = text.split(BEGIN, 1)
            _, tail = rest.split(END, 1)
            path.write_text(f"{head}{BEGIN}\n{body}\n{END}{tail}")
            return
    path.write_text(f"# Benchmark results (issue 6)\n\n{BEGIN}\n{body}\n{END}\n")


# ============================================================================ main
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="specwire benchmark (issue 6); see tools/bench/README.md")
    ap.add_argument("--setup", action="store_true", help="create/update tools/bench/.venv and .venv-litellm, then exit")
    ap.add_argument("--quick", action="store_true", help="smoke run: 1 run, short budgets, small counts (~2 min); writes to out/")
    ap.add_argument("--runs", type=int, help="runs to take medians over (default 3; quick 1)")
    ap.add_argument("--budget", type=float, help="seconds per timed measurement (default 1.0; quick 0.25)")
    ap.add_argument("--clients", help=f"comma-separated subset of: {','.join(dict.fromkeys(MAIN_CLIENTS + API_CLIENTS))}")
    ap.add_argument("--metrics", help="comma-separated subset of: import,cold,cpu_sync,cpu_async,rps64,stream,stream_sync,ttfe,rss_streams,rss_growth,profile,gateway")
    ap.add_argument("--chunks", type=int, help="chunks in the stream-throughput stream (default 2000; quick 500)")
    ap.add_argument("--chunk-size", type=int, default=4, help="characters of text per chunk (default 4)")
    ap.add_argument("--tool-deltas", type=int, default=0, help="tool-call argument deltas appended to each stream (default 0)")
    ap.add_argument("--rss-streams", type=int, help="concurrent streams for the peak-RSS test (default 500; quick 100)")
    ap.add_argument("--rss-chunks", type=int, help="chunks per stream in the peak-RSS test (default 40; quick 10)")
    ap.add_argument("--leak", help="comma-separated call-count checkpoints of the RSS-growth test (default 1000,2000,5000,10000; quick 200,1000)")
    ap.add_argument("--rss-every-run", action="store_true",
                    help="measure peak RSS with concurrent streams in every run (default: first run only; it varies by <0.5%% between runs)")
    ap.add_argument("--pin", action="store_true", help="pin clients to core 0 and the server to core 1")
    ap.add_argument("--no-litellm", action="store_true", help="skip LiteLLM (its imports and calls take the longest)")
    ap.add_argument("--out", help="output folder for results.json and RESULTS.md (default tools/bench; quick: tools/bench/out)")
    ap.add_argument("--ceiling-seconds", type=int, default=3)
    ap.add_argument("--report", action="store_true", help="only rewrite RESULTS.md from the results.json in the output folder")
    ap.add_argument("--targets", action="store_true", help="only print the targets table (met/missed) of the results.json in the output folder")
    gateway.add_arguments(ap)
    args = ap.parse_args(argv)
    gateway.finish_args(args)
    q = args.quick
    args.runs = args.runs or (1 if q else 3)
    args.budget = args.budget or (0.25 if q else 1.0)
    args.chunks = args.chunks or (500 if q else 2000)
    args.rss_streams = args.rss_streams or (100 if q else 500)
    args.rss_chunks = args.rss_chunks or (10 if q else 40)
    args.leak_checkpoints = [int(x) for x in (args.leak or ("50,150" if q else "1000,2000,5000,10000")).split(",")]
    args.profile_streams, args.profile_requests = (1, 30) if q else (5, 300)
    args.warmup = 10 if q else 30
    args.min_n = 10 if q else 30
    args.min_streams = 1 if q else 2
    args.import_reps = 1 if q else 6
    args.cold_reps = 1 if q else 3
    args.import_budget = 2.0 if q else 6.0
    args.worker_timeout = 900
    if args.quick:
        args.ceiling_seconds = 1
    all_clients = list(dict.fromkeys(MAIN_CLIENTS + API_CLIENTS))
    args.clients = [c.strip() for c in args.clients.split(",")] if args.clients else all_clients
    unknown = set(args.clients) - set(all_clients)
    if unknown:
        ap.error(f"unknown client(s): {', '.join(sorted(unknown))}")
    if args.no_litellm:
        args.clients = [c for c in args.clients if c != "litellm"]
    if BASELINE not in args.clients:
        args.clients.insert(0, BASELINE)  # every ratio needs it
    all_metrics = ["import", "cold", *MAIN_METRICS, "rss_streams", "rss_growth", "profile", "gateway"]
    args.metrics = [m.strip() for m in args.metrics.split(",")] if args.metrics else all_metrics
    args.out_dir = Path(args.out) if args.out else (HERE / "out" if q else HERE)
    args.pin = args.pin and len(os.sched_getaffinity(0)) >= 2
    args.na = {}
    return args


def gateway_section(args: argparse.Namespace, command: str) -> dict[str, Any]:
    """The gateway rows (gateway.py), with the command and time that produced them."""
    log(f"gateway rows (issue 14): {args.runs} run(s), {args.gw_streams} streams held open, {args.gw_ttft} streams per target for time to first token")
    gw = gateway.run_section(args, VENVS, worker_env(), log)
    gw.update(command=command, finished=_dt.datetime.now().isoformat(timespec="seconds"))
    return gw


def gateway_only(args: argparse.Namespace, command: str) -> None:
    """``--gateway-only``: the gateway rows, merged into the output folder's results.json (the
    other tables are kept), then RESULTS.md rewritten."""
    gw = gateway_section(args, command)
    path = args.out_dir / "results.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results["gateway"] = gw
    path.write_text(json.dumps(results, indent=1) + "\n")
    if "summary" in results:
        results["summary"]["targets"] = check_targets(results["summary"]["clients"], results["summary"].get("imports", {}), results.get("leak", {}))
        body = render_markdown(results)
    else:
        body = "\n".join(gateway.markdown(gw))
    write_markdown(args.out_dir / "RESULTS.md", body)
    log(f"wrote the gateway rows into {path} and {args.out_dir / 'RESULTS.md'} ({gw['config']['wall_min']:.1f} min)")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.setup:
        setup()
        return
    if args.targets:
        results = json.loads((args.out_dir / "results.json").read_text())
        results["summary"]["targets"] = check_targets(results["summary"]["clients"], results["summary"].get("imports", {}), results.get("leak", {}))
        print("\n".join(targets_markdown(results)))
        return
    if args.report:
        results = json.loads((args.out_dir / "results.json").read_text())
        results["summary"]["targets"] = check_targets(results["summary"]["clients"], results["summary"].get("imports", {}), results.get("leak", {}))
        write_markdown(args.out_dir / "RESULTS.md", render_markdown(results))
        log(f"rewrote {args.out_dir / 'RESULTS.md'} from results.json")
        return
    check_venvs()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    command = "python tools/bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    if args.gateway_only:
        gateway_only(args, command.strip())
        return
    log(f"{command.strip()}: {args.runs} run(s), budget {args.budget}s, clients {','.join(args.clients)}")
    info = machine()
    server = FakeServer(args)
    try:
        server_loop = server.stats()["loop"]
        log(f"fake server on 127.0.0.1:{server.port} ({server_loop} loop)")
        ceil = ceiling(server, args)
        if ceil.get("nonstream"):
            log(f"server ceiling (wrk): {ceil['nonstream']['req_s']:.0f} req/s non-stream, {ceil['stream'].get('events_s', 0):.0f} stream events/s")
        runs = [one_run(i, server, args) for i in range(args.runs)]
        leak = leak_runs(server, args) if "rss_growth" in args.metrics else {}
        ceil_end = ceiling(server, args)
        profile: dict[str, Any] = {}
        if "profile" in args.metrics and "specwire" in args.clients:
            log("profiling specwire (cProfile, -X importtime)")
            profile = run_worker("specwire", ["profile"], server, args)["profile"]
            profile["imports"] = import_breakdown()
            profile["stages"] = measure_stages()
    finally:
        server.stop()
    gw = gateway_section(args, command.strip()) if "gateway" in args.metrics and not args.no_gateway else {}
    utils = [r.get("server_cpu_util") for run in runs for c in run["results"].values() for r in c.values() if isinstance(r, dict)]
    utils = [u for u in utils if isinstance(u, (int, float))]
    results = {
        "finished": _dt.datetime.now().isoformat(timespec="seconds"),
        "wall_min": (time.perf_counter() - started) / 60,
        "config": {"command": command.strip(), "runs": args.runs, "budget_s": args.budget, "chunks": args.chunks, "chunk_size": args.chunk_size,
                   "tool_deltas": args.tool_deltas, "rss_streams": args.rss_streams, "rss_chunks": args.rss_chunks,
                   "leak_checkpoints": args.leak_checkpoints, "pin": args.pin, "quick": args.quick, "ceiling_seconds": args.ceiling_seconds,
                   "clients": args.clients, "metrics": args.metrics},
        "machine": info, "server_loop": server_loop, "ceiling": ceil, "ceiling_end": ceil_end,
        "server_util_max": max(utils) if utils else None, "server_util_median": statistics.median(utils) if utils else None,
        "runs": runs, "leak": leak, "profile": profile, "gateway": gw,
    }
    results["summary"] = summarize(runs, leak, args)
    (args.out_dir / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    write_markdown(args.out_dir / "RESULTS.md", render_markdown(results))
    log(f"wrote {args.out_dir / 'results.json'} and {args.out_dir / 'RESULTS.md'} ({results['wall_min']:.1f} min)")
    for t in results["summary"]["targets"]:
        val = "—" if t["value"] is None else f"{t['value']:.2f}"
        log(f"target (issue {t['issue']}): {t['target']}: {val} -> {'n/a' if t['met'] is None else ('met' if t['met'] else 'MISSED')}")


if __name__ == "__main__":
    main()
