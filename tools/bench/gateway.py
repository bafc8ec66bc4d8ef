"""The gateway rows of the benchmark (issue 14): ``specwire serve`` and LiteLLM's proxy, each in
front of the same fake provider, driven by the same raw aiohttp client.

``run.py`` calls :func:`run_section` (the default full run includes it; ``--gateway-only`` runs
only it, ``--no-gateway`` skips it).  Per run, both proxies are started fresh (uvicorn, one
worker each, logging at warning or error level, LiteLLM without a database or UI), the driver
(``gateway_load.py drive``) measures them, and both are stopped.  What is measured, per proxy:

* added latency to first token: time to the first content delta of a streamed call through the
  proxy, minus the same directly to the fake provider (median and p99 of calls sent one at a time);
* the proxy's CPU per request: user + system CPU seconds of its process tree (``/proc``) over a
  window, divided by the requests answered in it (non-stream at 64 in flight; streams one at a time);
* its peak RSS with ``streams`` (500) concurrent streams held open at once: every stream is past
  its first token at the client and held at the fake provider before any is released; otherwise
  the figure is refused;
* non-stream requests/s at 64 in flight.

Each value is the median over the runs; each ratio specwire/LiteLLM is taken within a run and the
median of the per-run ratios is reported.  This module uses the standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
UPSTREAM_KEY = "sk-bench-upstream-not-a-real-key"
GATEWAY_KEY = "sk-bench-gateway-not-a-real-key"  # LiteLLM wants its master key to start with "sk-"
KEY_ENVS = {"BENCH_UPSTREAM_KEY": UPSTREAM_KEY, "BENCH_GATEWAY_KEY": GATEWAY_KEY}
MODEL = "gpt-5.5"  # a catalog id of specwire's openai spec (clients.MODELS["openai"])
LABELS = {"direct": "fake provider, direct", "specwire": "**`specwire serve`**", "litellm": "LiteLLM proxy"}
SHORT = {"direct": "direct", "specwire": "`specwire serve`", "litellm": "LiteLLM proxy"}
# (a results.json of an older run may name other rows: they are shown by their key)

# (key in the summary, column header, decimals, lower is better)
COLUMNS: list[tuple[str, str, int, bool]] = [
    ("added_ttft_p50_ms", "added time to first token, median (ms)", 2, True),
    ("added_ttft_p99_ms", "added time to first token, p99 (ms)", 2, True),
    ("cpu_ms_per_request", "server CPU per non-stream request (ms)", 3, True),
    ("cpu_ms_per_stream", "server CPU per stream (ms)", 3, True),
    ("peak_rss_mb", "peak RSS, {streams} streams open (MB)", 1, True),
    ("rss_idle_mb", "RSS before them (MB)", 1, True),
    ("rps64", "non-stream req/s, 64 in flight", 0, False),
]


def add_arguments(ap: argparse.ArgumentParser) -> None:
    """run.py's options of the gateway section."""
    g = ap.add_argument_group("gateway rows (issue 14)")
    g.add_argument("--no-gateway", action="store_true", help="skip the gateway rows (specwire serve and LiteLLM's proxy)")
    g.add_argument("--gateway-only", action="store_true",
                   help="run only the gateway rows and merge them into the results.json of the output folder")
    g.add_argument("--gw-streams", type=int, help="concurrent streams held open through each proxy (default 500; quick 100)")
    g.add_argument("--gw-ttft", type=int, help="streams per target for time to first token, one at a time (default 150; quick 40)")
    g.add_argument("--gw-budget", type=float, help="seconds of non-stream calls at 64 in flight per target (default 3; quick 1)")


def finish_args(args: argparse.Namespace) -> None:
    q = args.quick
    args.gw_streams = args.gw_streams or (100 if q else 500)
    args.gw_ttft = args.gw_ttft or (40 if q else 150)
    args.gw_budget = args.gw_budget or (1.0 if q else 3.0)


# ============================================================================ processes
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, timeout: float = 2.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return int(r.status)
    except OSError:
        return 0


class Proc:
    """A server subprocess, its output in a file; :meth:`stop` terminates it (then kills)."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], workdir: Path) -> None:
        self.name = name
        self.log_path = workdir / f"{name}.log"
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd=workdir)

    def wait_ready(self, url: str, timeout: float) -> float:
        t0 = time.perf_counter()
        while _get(url) != 200:
            if self.proc.poll() is not None or time.perf_counter() - t0 > timeout:
                tail = self.log_path.read_text(errors="replace")[-1500:]
                self.stop()
                raise RuntimeError(f"{self.name} did not start ({'exited ' + str(self.proc.returncode) if self.proc.returncode is not None else 'timeout'}): {tail}")
            time.sleep(0.1)
        return time.perf_counter() - t0

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


def specwire_config(upstream: str, chunks: int, held_chunks: int) -> dict[str, Any]:
    """The router config of ``specwire serve``: ``bench`` and ``bench-held`` routed to the fake provider."""
    dep = {"provider": "openai", "model": MODEL, "api_key_env": "BENCH_UPSTREAM_KEY"}
    return {
        "router": {},  # the router's defaults
        "deployments": [{"id": "fake", **dep, "base_url": f"{upstream}/bench/n{chunks}-s4-t0/v1"},
                        {"id": "fake-held", **dep, "base_url": f"{upstream}/hold/bench/n{held_chunks}-s4-t0/v1"}],
        "groups": {"bench": {"deployments": ["fake"]}, "bench-held": {"deployments": ["fake-held"]}},
        "gateway": {"keys": [{"name": "bench", "key_env": "BENCH_GATEWAY_KEY"}]},
    }


def litellm_config(upstream: str, chunks: int, held_chunks: int) -> dict[str, Any]:
    """LiteLLM's proxy config: the same two names, the same routes, a master key, no database."""
    def entry(name: str, base: str) -> dict[str, Any]:
        return {"model_name": name, "litellm_params": {"model": f"openai/{MODEL}", "api_base": base, "api_key": "os.environ/BENCH_UPSTREAM_KEY"}}

    return {
        "model_list": [entry("bench", f"{upstream}/bench/n{chunks}-s4-t0/v1"), entry("bench-held", f"{upstream}/hold/bench/n{held_chunks}-s4-t0/v1")],
        "litellm_settings": {"telemetry": False},
        "general_settings": {"master_key": "os.environ/BENCH_GATEWAY_KEY"},
    }


def start_proxy(name: str, venvs: dict[str, Path], upstream: str, job: dict[str, Any], env: dict[str, str], workdir: Path) -> tuple[Proc, int, str]:
    """Start one proxy on a free port (configs written as JSON, which is YAML); returns it, its
    port and the URL that answers 200 once it is ready."""
    port = _free_port()
    config = workdir / f"{name}.yaml"
    if name == "specwire":
        config.write_text(json.dumps(specwire_config(upstream, job["chunks"], job["held_chunks"]), indent=1))
        cmd = [str(venvs["main"] / "bin" / "specwire"), "serve", str(config), "--host", "127.0.0.1", "--port", str(port),
               "--workers", "1", "--log-level", "warning"]
    else:
        config.write_text(json.dumps(litellm_config(upstream, job["chunks"], job["held_chunks"]), indent=1))
        cmd = [str(venvs["litellm"] / "bin" / "litellm"), "--config", str(config), "--host", "127.0.0.1", "--port", str(port), "--num_workers", "1"]
        env = {**env, "LITELLM_LOG": "ERROR", "DISABLE_ADMIN_UI": "True"}
    ready = f"http://127.0.0.1:{port}/health/liveliness" if name == "litellm" else f"http://127.0.0.1:{port}/health/ready"
    return Proc(name, cmd, env, workdir), port, ready


def server_stack(venvs: dict[str, Path], env: dict[str, str]) -> dict[str, str]:
    """What uvicorn runs on in each venv: ``auto`` picks httptools and uvloop when installed, else
    h11 and asyncio; the versions of uvicorn and the proxy."""
    code = ("import importlib.util as u, importlib.metadata as m\n"
            "def v(p):\n    try: return m.version(p)\n    except m.PackageNotFoundError: return None\n"
            "print(f\"uvicorn {v('uvicorn')}, HTTP {'httptools' if u.find_spec('httptools') else 'h11'}, loop {'uvloop' if u.find_spec('uvloop') else 'asyncio'}"
            "; {NAME} {v(NAME)}\")")
    out = {}
    for venv, name in (("main", "specwire"), ("litellm", "litellm")):
        r = subprocess.run([str(venvs[venv] / "bin" / "python"), "-c", code.replace("NAME", repr(name))], capture_output=True, text=True, env=env, check=False)
        out[name] = r.stdout.strip() or r.stderr.strip()[-200:]
    return out


# ============================================================================ the section
def run_section(args: argparse.Namespace, venvs: dict[str, Path], env: dict[str, str], log: Callable[[str], None]) -> dict[str, Any]:
    """All runs of the gateway rows; returns ``{"config", "runs", "summary"}`` (results.json's ``gateway``)."""
    proxies = [p for p in ["specwire", "litellm"] if not (p == "litellm" and args.no_litellm)]
    job_base = {"streams": args.gw_streams, "ttft_streams": args.gw_ttft, "ttft_block": 25, "chunks": 20, "held_chunks": 20,
                "rps_budget": args.gw_budget, "rps_warmup": 0.5, "warmup": 10, "barrier_timeout": 60, "rss_interval": 0.05}
    env = {**env, **KEY_ENVS}
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="specwire-bench-gw-"))
    up = Proc("upstream", [str(venvs["main"] / "bin" / "python"), str(HERE / "gateway_load.py"), "upstream", "--port", "0"], env, workdir)
    runs: list[dict[str, Any]] = []
    try:
        deadline = time.perf_counter() + 20
        while "PORT " not in up.log_path.read_text(errors="replace"):
            if up.proc.poll() is not None or time.perf_counter() > deadline:
                raise RuntimeError(f"the holding fake provider did not start: {up.log_path.read_text(errors='replace')[-800:]}")
            time.sleep(0.05)
        upstream = f"http://127.0.0.1:{int(up.log_path.read_text().split('PORT ', 1)[1].split()[0])}"
        for i in range(args.runs):
            runs.append(one_run(i, proxies, upstream, job_base, venvs, env, workdir, log))
    finally:
        up.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    config = {k: job_base[k] for k in ("streams", "ttft_streams", "ttft_block", "chunks", "held_chunks", "rps_budget")}
    config.update(runs=args.runs, proxies=proxies, wall_min=(time.perf_counter() - started) / 60, servers=server_stack(venvs, env))
    return {"config": config, "runs": runs, "summary": summarize(runs, proxies)}


def one_run(i: int, proxies: list[str], upstream: str, job_base: dict[str, Any], venvs: dict[str, Path], env: dict[str, str],
            workdir: Path, log: Callable[[str], None]) -> dict[str, Any]:
    run: dict[str, Any] = {"run": i, "loadavg_before": os.getloadavg()[0]}
    t0 = time.perf_counter()
    targets: dict[str, Any] = {"direct": {"url": f"{upstream}/bench/n{job_base['chunks']}-s4-t0/v1/chat/completions", "key": UPSTREAM_KEY, "model": MODEL}}
    procs: list[Proc] = []
    try:
        started = []
        for name in proxies[i % len(proxies):] + proxies[:i % len(proxies)]:  # all start at once
            proc, port, ready = start_proxy(name, venvs, upstream, job_base, env, workdir)
            procs.append(proc)
            started.append((name, proc, port, ready))
        for name, proc, port, ready in started:
            run.setdefault("ready_after_s", {})[name] = proc.wait_ready(ready, 120)
            targets[name] = {"url": f"http://127.0.0.1:{port}/v1/chat/completions", "key": GATEWAY_KEY, "model": "bench",
                             "held_model": "bench-held", "pid": proc.proc.pid}
        job = {**job_base, "run": i, "upstream": upstream, "targets": {k: targets[k] for k in ["direct", *proxies]}}
        res = subprocess.run([str(venvs["main"] / "bin" / "python"), str(HERE / "gateway_load.py"), "drive", json.dumps(job)],
                             capture_output=True, text=True, env=env, timeout=900, check=False)
        line = next((x for x in reversed(res.stdout.splitlines()) if x.startswith("RESULT ")), None)
        run["results"] = json.loads(line[7:]) if line else {"error": f"driver exited {res.returncode}: {res.stderr[-800:]}"}
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        run["results"] = {"error": str(exc)[:1500]}
    finally:
        for p in procs:
            p.stop()
    run["wall_s"] = time.perf_counter() - t0
    run["loadavg_after"] = os.getloadavg()[0]
    phases = ", ".join(f"{k} {v:.1f}s" for k, v in run["results"].get("phase_s", {}).items())
    log(f"gateway run {i}: {run['wall_s']:.1f}s ({phases})  {brief(run['results'])}")
    return run


# ============================================================================ summary
def values_of(res: dict[str, Any]) -> dict[str, dict[str, float]]:
    """One run's driver results as flat values per proxy (the keys of :data:`COLUMNS`, plus the
    direct figures); a missing or failed measurement is left out."""
    direct = res.get("direct", {}).get("ttft", {})
    out: dict[str, dict[str, float]] = {}
    for name, r in res.items():
        if not isinstance(r, dict) or name == "phase_s":
            continue
        v: dict[str, float] = {}
        ttft, rps, held = r.get("ttft", {}), r.get("rps64", {}), r.get("held", {})
        for q in ("p50", "p99"):
            if f"ttft_{q}_ms" in ttft:
                v[f"ttft_{q}_ms"] = ttft[f"ttft_{q}_ms"]
                if name != "direct" and f"ttft_{q}_ms" in direct:
                    v[f"added_ttft_{q}_ms"] = ttft[f"ttft_{q}_ms"] - direct[f"ttft_{q}_ms"]
        for key, src, field in (("cpu_ms_per_request", rps, "server_cpu_ms_per_request"), ("cpu_ms_per_stream", ttft, "server_cpu_ms_per_stream"),
                                ("rps64", rps, "req_s"), ("peak_rss_mb", held, "peak_rss_mb"), ("rss_idle_mb", held, "rss_idle_mb"),
                                ("hwm_mb", held, "hwm_mb"), ("held_cpu_ms_per_stream", held, "server_cpu_ms_per_stream"),
                                ("held_ttft_p50_ms", held, "ttft_p50_ms"), ("max_open", held, "max_open"),
                                ("upstream_connections_per_request", rps, "upstream_connections_per_request")):
            if isinstance(src.get(field), (int, float)):
                v[key] = float(src[field])
        out[name] = v
    return out


def summarize(runs: list[dict[str, Any]], proxies: list[str]) -> dict[str, Any]:
    """Medians over runs per target and value; ``ratio[row]``: the median of the per-run ratios
    of a specwire row to LiteLLM (only where both were measured in the same run, both positive);
    ``errors``: the first error message per target and measurement."""
    per_run = [values_of(r["results"]) for r in runs if isinstance(r.get("results"), dict)]
    names = ["direct", *proxies]
    medians: dict[str, dict[str, float]] = {}
    for name in names:
        keys = sorted({k for v in per_run for k in v.get(name, {})})
        medians[name] = {k: statistics.median(v[name][k] for v in per_run if k in v.get(name, {})) for k in keys}
    ratio: dict[str, dict[str, float]] = {}
    for row in [p for p in proxies if p != "litellm" and "litellm" in proxies]:
        for key, *_ in [*COLUMNS, ("hwm_mb",), ("held_cpu_ms_per_stream",)]:
            rs = [v[row][key] / v["litellm"][key] for v in per_run if v.get(row, {}).get(key, 0) > 0 and v.get("litellm", {}).get(key, 0) > 0]
            if rs:
                ratio.setdefault(row, {})[key] = statistics.median(rs)
    errors: dict[str, str] = {}
    for r in runs:
        res = r.get("results", {})
        if "error" in res:
            errors.setdefault("run", res["error"])
        for name in names:
            for metric, m in (res.get(name) or {}).items():
                if isinstance(m, dict) and "error" in m:
                    errors.setdefault(f"{name}:{metric}", m["error"])
    return {"medians": medians, "ratio": ratio, "errors": errors}


def brief(res: dict[str, Any]) -> str:
    if "error" in res:
        return f"ERROR {res['error'][:300]}"
    v = values_of(res)
    parts = []
    for name, vals in v.items():
        errs = [m for m, r in res[name].items() if isinstance(r, dict) and "error" in r]
        parts.append(f"{name}: " + ", ".join(f"{k}={vals[k]:.3g}" for k in ("added_ttft_p50_ms", "ttft_p50_ms", "cpu_ms_per_request", "peak_rss_mb", "rps64")
                                              if k in vals and not (k == "ttft_p50_ms" and name != "direct"))
                     + (f" ERRORS in {','.join(errs)}: {res[name][errs[0]]['error'][:200]}" if errs else ""))
    return " | ".join(parts)


# ============================================================================ report
def _fmt(v: float | None, decimals: int) -> str:
    if v is None:
        return "—"
    if decimals == 0:
        return f"{v:,.0f}".replace(",", " ")
    return f"{v:.{decimals}f}"


def markdown(gw: dict[str, Any] | None) -> list[str]:
    """The gateway section of RESULTS.md (empty when the run has none)."""
    if not gw or "summary" not in gw:
        return []
    c, s = gw["config"], gw["summary"]
    med, ratio = s["medians"], s["ratio"]
    cols = [(k, h.format(streams=c["streams"]), d, low) for k, h, d, low in COLUMNS]
    runs = gw.get("runs", [])
    who = "`specwire serve` and LiteLLM's proxy" if "litellm" in c["proxies"] else "`specwire serve`"
    lines = [f"### Gateway: {who} in front of the same fake provider (issue 14; {c['runs']} run(s), medians)", ""]
    if gw.get("command"):
        lines += [f"Produced by `{gw['command']}` at {gw.get('finished', '?')}, {c['wall_min']:.1f} min; 1-min load average before/after each run "
                  + ", ".join(f"{r['loadavg_before']:.2f}/{r['loadavg_after']:.2f}" for r in runs) + " (on 2 cores, the client, the fake provider "
                  "and the proxy under test account for up to 2; anything above is other work)."
                  + (f" {c['runs']} run(s) only: a check that the rows work end to end, not a measurement; the full bench takes medians of 3." if c["runs"] < 3 else ""), ""]
    lines += ["| | " + " | ".join(h for _, h, _, _ in cols) + " | streams open at once |", "|---|" + "---|" * (len(cols) + 1)]
    d = med.get("direct", {})
    lines.append(f"| {LABELS['direct']} (time to first token itself: median {_fmt(d.get('ttft_p50_ms'), 2)} ms, p99 {_fmt(d.get('ttft_p99_ms'), 2)} ms) | "
                 + " | ".join(_fmt(d.get("rps64"), 0) if k == "rps64" else "" for k, *_ in cols) + " | |")
    for name in c["proxies"]:
        m = med.get(name, {})
        cells = []
        for k, _, dec, _ in cols:
            err = next((e for key, e in s["errors"].items() if key.startswith(f"{name}:") and _metric_of(k) in key), None)
            cells.append(_fmt(m.get(k), dec) if k in m else ("refused" if err and _metric_of(k) == "held" else ("error" if err else "—")))
        opened = f"{m['max_open']:.0f} of {c['streams']}" if "max_open" in m else "refused"
        lines.append(f"| {LABELS.get(name, name)} | " + " | ".join(cells) + f" | {opened} |")
    for row, r in ratio.items():
        lines.append(f"| **{row} ÷ LiteLLM** | " + " | ".join(f"{r[k]:.2f}×" if k in r else "" for k, *_ in cols) + " | |")
    lines += ["", "Lower is better for every column but req/s. Added time to first token: a streamed call's time to its first content delta through the "
              f"proxy minus the same call directly to the fake provider ({c['ttft_streams']} calls of {c['chunks']} chunks per target, one at a time, targets "
              f"interleaved in blocks of {c.get('ttft_block', 25)}). Server CPU: user + system seconds of the proxy's process tree (from /proc) over the requests it answered "
              f"(non-stream: at 64 in flight; streams: the one-at-a-time calls). Peak RSS: the proxy's process tree, sampled every 50 ms and at the moment "
              f"all {c['streams']} streams ({c['held_chunks']} chunks each) were open: each past its first token at the client and held at the fake provider "
              "(fewer refuses the figure). Both proxies run under uvicorn with one worker and are restarted for every run; the client is one raw aiohttp "
              "session in another process on the same cores, so the req/s are the client and proxy together."]
    if c.get("servers"):
        lines += ["", "Servers: " + "; ".join(f"{SHORT.get(n, n)}: {v}" for n, v in c["servers"].items() if n in c["proxies"]) + "."]
    if s["errors"]:
        lines += ["", "Errors and refusals:", ""] + [f"- {k}: {v[:400]}" for k, v in s["errors"].items()]
    conns = [(name, med.get(name, {}).get("upstream_connections_per_request")) for name in ["direct", *c["proxies"]]]
    if any(v is not None for n, v in conns if n != "direct"):
        lines += ["", "New connections the fake provider accepted per non-stream request at 64 in flight (0 when every connection is reused): "
                  + ", ".join(f"{SHORT.get(n, n)} {v:.2f}" for n, v in conns if v is not None) + "."]
    held = [(name, statistics.median(x) if (x := [r["results"][name]["held"]["hwm_mb"] for r in runs
                                                  if "hwm_mb" in r.get("results", {}).get(name, {}).get("held", {})]) else None)
            for name in c["proxies"]]
    if any(v for _, v in held):
        lines += ["", "Each proxy's own VmHWM at the end of the run (its peak since start-up): "
                  + ", ".join(f"{SHORT.get(n, n)} {v:.1f} MB" for n, v in held if v) + "."]
    return lines


def _metric_of(column: str) -> str:
    return {"cpu_ms_per_request": "rps64", "rps64": "rps64", "peak_rss_mb": "held", "rss_idle_mb": "held", "max_open": "held"}.get(column, "ttft")
