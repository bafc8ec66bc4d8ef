"""One benchmark measurement in a fresh process: ``python worker.py '<json job>'``.

run.py starts one worker per (run, metric, client), so every client is measured alone in its own
process (no shared pools, caches or heap), and prints the result as one JSON line on stdout.  A job
is ``{"client": name, "metrics": [...], "port": n, ...knobs}``; metrics:

``cpu_sync``     sync non-stream calls one after another: process CPU µs per request, req/s
``cpu_async``    the same with the async API (1 in flight)
``rps64``        async non-stream calls, 64 in flight: req/s, CPU µs per request
``stream``       async streams of ``chunks`` chunks read to the end: text events/s, CPU µs per event
``stream_sync``  the same with the sync API
``ttfe``         async streams of 20 chunks: time from the call to the first text event (ms)
``rss_streams``  ``streams`` concurrent async streams held open together (a barrier after each
                 stream's first text event), then read to the end: peak RSS (VmHWM), RSS before;
                 an error unless all ``streams`` were open at once and none failed
``rss_growth``   ``calls`` sequential async calls (non-stream and 20-chunk streams alternating):
                 RSS (VmRSS after gc) at each checkpoint
``profile``      cProfile of specwire's stream and non-stream paths (writes .prof/.txt files)

Process CPU time (``time.process_time``) covers every thread of the process, so background
threads (LiteLLM's logging workers, SDK helpers) are charged to their client.  Each timed metric
first warms up (imports, pool, first-call caches), then runs for ``budget`` seconds (and at least
``min_n`` iterations).  The fake server's own CPU during the timed window comes from its
``/_stats`` route, so the report can show that the server was not the bottleneck.
"""

from __future__ import annotations

import asyncio
import gc
import http.client
import json
import os
import re
import statistics
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import clients


def server_stats(port: int) -> dict[str, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/_stats")
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


def proc_status(field: str) -> float:
    """A /proc/self/status memory field (VmRSS, VmHWM) in MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    raise KeyError(field)


def root_url(port: int, chunks: int, size: int, tools: int) -> str:
    return f"http://127.0.0.1:{port}/bench/n{chunks}-s{size}-t{tools}"


class Window:
    """Wall time, process CPU time and the server's CPU over one timed window."""

    def __init__(self, port: int) -> None:
        self.port = port

    def __enter__(self) -> Window:  # noqa: PYI034
        self.s0 = server_stats(self.port)
        self.c0 = time.process_time()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.t0
        self.cpu = time.process_time() - self.c0
        s1 = server_stats(self.port)
        self.server_cpu = s1["cpu_s"] - self.s0["cpu_s"]
        self.server_requests = s1["requests"] - self.s0["requests"] - 1  # minus the stats call
        self.new_connections = s1["connections"] - self.s0["connections"] - 1  # minus the stats call's own

    def common(self) -> dict[str, Any]:
        return {"wall_s": self.wall, "cpu_s": self.cpu, "client_cpu_util": self.cpu / self.wall if self.wall else None,
                "server_cpu_util": self.server_cpu / self.wall if self.wall else None,
                "server_requests": self.server_requests, "new_connections": self.new_connections}


# ----------------------------------------------------------------------------- metrics
def m_cpu_sync(job: dict[str, Any]) -> dict[str, Any]:
    ad = clients.make(job["client"], root_url(job["port"], 64, job["chunk_size"], 0))
    if not ad.sync_ok:
        raise clients.NotAvailable("no sync API")
    for _ in range(job["warmup"]):
        ad.complete()
    n, budget, min_n = 0, job["budget"], job["min_n"]
    with Window(job["port"]) as w:
        t_end = time.perf_counter() + budget
        while n < min_n or time.perf_counter() < t_end:
            ad.complete()
            n += 1
    asyncio.run(ad.aclose())
    return {"requests": n, "cpu_us_per_req": w.cpu / n * 1e6, "req_s": n / w.wall, **w.common()}


async def _cpu_async(job: dict[str, Any], inflight: int) -> dict[str, Any]:
    ad = clients.make(job["client"], root_url(job["port"], 64, job["chunk_size"], 0))
    try:
        for _ in range(max(1, job["warmup"] // inflight)):
            await asyncio.gather(*(ad.acomplete() for _ in range(inflight)))
        count = [0]
        budget, min_n = job["budget"], job["min_n"]

        async def loop(deadline: float) -> None:
            while count[0] < min_n or time.perf_counter() < deadline:
                count[0] += 1
                await ad.acomplete()

        with Window(job["port"]) as w:
            deadline = time.perf_counter() + budget
            await asyncio.gather(*(loop(deadline) for _ in range(inflight)))
        n = count[0]
        return {"requests": n, "inflight": inflight, "cpu_us_per_req": w.cpu / n * 1e6, "req_s": n / w.wall, **w.common()}
    finally:
        await ad.aclose()


def m_cpu_async(job: dict[str, Any]) -> dict[str, Any]:
    return asyncio.run(_cpu_async(job, 1))


def m_rps64(job: dict[str, Any]) -> dict[str, Any]:
    return asyncio.run(_cpu_async(job, 64))


async def _stream(job: dict[str, Any]) -> dict[str, Any]:
    ad = clients.make(job["client"], root_url(job["port"], job["chunks"], job["chunk_size"], job["tool_deltas"]))
    try:
        got = await ad.astream()
        if got != job["chunks"]:
            raise RuntimeError(f"saw {got} text events, expected {job['chunks']}")
        events = streams = 0
        with Window(job["port"]) as w:
            t_end = time.perf_counter() + job["budget"]
            while streams < job["min_streams"] or time.perf_counter() < t_end:
                events += await ad.astream()
                streams += 1
        return {"streams": streams, "events": events, "events_s": events / w.wall, "cpu_us_per_event": w.cpu / events * 1e6, **w.common()}
    finally:
        await ad.aclose()


def m_stream(job: dict[str, Any]) -> dict[str, Any]:
    return asyncio.run(_stream(job))


def m_stream_sync(job: dict[str, Any]) -> dict[str, Any]:
    ad = clients.make(job["client"], root_url(job["port"], job["chunks"], job["chunk_size"], job["tool_deltas"]))
    if not ad.sync_ok:
        raise clients.NotAvailable("no sync API")
    got = ad.stream()
    if got != job["chunks"]:
        raise RuntimeError(f"saw {got} text events, expected {job['chunks']}")
    events = streams = 0
    with Window(job["port"]) as w:
        t_end = time.perf_counter() + job["budget"]
        while streams < job["min_streams"] or time.perf_counter() < t_end:
            events += ad.stream()
            streams += 1
    asyncio.run(ad.aclose())
    return {"streams": streams, "events": events, "events_s": events / w.wall, "cpu_us_per_event": w.cpu / events * 1e6, **w.common()}


async def _ttfe(job: dict[str, Any]) -> dict[str, Any]:
    ad = clients.make(job["client"], root_url(job["port"], 20, job["chunk_size"], 0))
    try:
        for _ in range(3):
            await ad.astream()
        samples: list[float] = []
        t_end = time.perf_counter() + job["budget"]
        while len(samples) < max(20, job["min_n"] // 4) or time.perf_counter() < t_end:
            t0 = time.perf_counter()
            seen: list[float] = []
            await ad.astream(lambda seen=seen: seen.append(time.perf_counter()))
            samples.append((seen[0] - t0) * 1e3)
            if len(samples) >= 2000:
                break
        return {"samples": len(samples), "ttfe_ms": statistics.median(samples), "ttfe_p90_ms": sorted(samples)[int(0.9 * (len(samples) - 1))]}
    finally:
        await ad.aclose()


def m_ttfe(job: dict[str, Any]) -> dict[str, Any]:
    return asyncio.run(_ttfe(job))


async def _rss_streams(job: dict[str, Any]) -> dict[str, Any]:
    n_streams = job["streams"]
    ad = clients.make(job["client"], root_url(job["port"], job["rss_chunks"], job["chunk_size"], 0), pool=n_streams + 16)
    try:
        await ad.astream()  # one warm-up stream: first-call caches are not per-stream memory
        gc.collect()
        rss_before = proc_status("VmRSS")
        hwm_before = proc_status("VmHWM")
        barrier = asyncio.Barrier(n_streams)
        state = {"open": 0, "max_open": 0, "broken": 0}

        async def at_first() -> None:
            state["open"] += 1
            state["max_open"] = max(state["max_open"], state["open"])
            try:
                await asyncio.wait_for(barrier.wait(), timeout=job["barrier_timeout"])
            except (TimeoutError, asyncio.BrokenBarrierError):
                state["broken"] += 1

        async def one() -> int:
            try:
                return await ad.astream(at_first)
            finally:
                state["open"] -= 1

        t0 = time.perf_counter()
        counts = await asyncio.gather(*(one() for _ in range(n_streams)), return_exceptions=True)
        wall = time.perf_counter() - t0
        errors = [repr(c) for c in counts if isinstance(c, BaseException)]
        hwm = proc_status("VmHWM")
        if state["max_open"] < n_streams or state["broken"] or errors:
            # the peak would not be that of n_streams open streams: refuse the number
            raise RuntimeError(f"only {state['max_open']} of {n_streams} streams were open at once ({state['broken']} barrier timeouts, "
                               f"{len(errors)} errors{', first: ' + errors[0] if errors else ''}); peak RSS {hwm:.1f} MB not reported")
        return {"streams": n_streams, "max_open": state["max_open"], "barrier_timeouts": state["broken"], "errors": len(errors),
                "first_error": errors[0] if errors else None, "peak_rss_mb": hwm, "rss_before_mb": rss_before,
                "hwm_before_mb": hwm_before, "delta_mb": hwm - rss_before, "wall_s": wall}
    finally:
        await ad.aclose()


def m_rss_streams(job: dict[str, Any]) -> dict[str, Any]:
    return asyncio.run(_rss_streams(job))


async def _rss_growth(job: dict[str, Any]) -> dict[str, Any]:
    ad = clients.make(job["client"], root_url(job["port"], 20, job["chunk_size"], 0))
    checkpoints = sorted(job["checkpoints"])
    curve: list[tuple[int, float]] = []
    t0 = time.perf_counter()
    try:
        done = 0
        for target in checkpoints:
            while done < target:
                if done % 2:
                    await ad.astream()
                else:
                    await ad.acomplete()
                done += 1
            gc.collect()
            curve.append((done, proc_status("VmRSS")))
        first, last = curve[0], curve[-1]
        return {"curve": curve, "rss_first_mb": first[1], "rss_last_mb": last[1], "growth_mb": last[1] - first[1],
                "bytes_per_call": (last[1] - first[1]) * 1024 * 1024 / max(1, last[0] - first[0]), "wall_s": time.perf_counter() - t0}
    finally:
        await ad.aclose()


def m_rss_growth(job: dict[str, Any]) -> dict[str, Any]:
    return asyncio.run(_rss_growth(job))


def m_profile(job: dict[str, Any]) -> dict[str, Any]:
    """cProfile specwire's per-chunk path (async streams) and per-request path (non-stream)."""
    import cProfile
    import io
    import pstats

    out_dir = job["out_dir"]
    os.makedirs(out_dir, exist_ok=True)
    result: dict[str, Any] = {}
    for label, chunks, kind, n in (("stream", job["chunks"], "stream", job["profile_streams"]), ("nonstream", 64, "complete", job["profile_requests"])):
        ad = clients.make(job["client"], root_url(job["port"], chunks, job["chunk_size"], 0))

        async def go(ad: Any = ad, kind: str = kind, n: int = n) -> None:
            for _ in range(n):
                if kind == "stream":
                    await ad.astream()
                else:
                    await ad.acomplete()

        async def warm(ad: Any = ad, kind: str = kind) -> None:
            await (ad.astream() if kind == "stream" else ad.acomplete())

        loop = asyncio.new_event_loop()
        loop.run_until_complete(warm())
        prof = cProfile.Profile()
        prof.enable()
        loop.run_until_complete(go())
        prof.disable()
        loop.run_until_complete(ad.aclose())
        loop.close()
        path = os.path.join(out_dir, f"profile-{job['client']}-{label}")
        prof.dump_stats(path + ".prof")
        texts = {}
        for sort in ("tottime", "cumulative"):
            buf = io.StringIO()
            stats = pstats.Stats(prof, stream=buf)
            stats.sort_stats(sort).print_stats(30)
            texts[sort] = buf.getvalue()
        with open(path + ".txt", "w") as f:
            f.write(f"# cProfile of {job['client']}: {n} x {kind} ({chunks} chunks each for streams)\n")
            for sort, text in texts.items():
                f.write(f"\n## sorted by {sort}\n{text}")
        stats = pstats.Stats(prof)
        total = stats.total_tt  # type: ignore[attr-defined]
        rows = []
        groups: dict[str, float] = {}
        for (file, line, func), (cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            rows.append({"func": f"{_short(file)}:{line}({func})", "ncalls": nc, "tottime": tt, "cumtime": ct})
            if "select" in func and file == "~":
                continue  # the event loop waiting for the socket: idle, not work
            g = _group(file, func)
            groups[g] = groups.get(g, 0.0) + tt
        rows.sort(key=lambda r: r["tottime"], reverse=True)
        busy = sum(groups.values())
        by_group = sorted(({"group": g, "tottime": t, "share": t / busy} for g, t in groups.items()), key=lambda r: r["tottime"], reverse=True)
        result[label] = {"total_s": total, "busy_s": busy, "units": n * (chunks if kind == "stream" else 1), "unit": "chunk" if kind == "stream" else "request",
                         "by_group": by_group[:30], "top_tottime": rows[:25], "top_cumtime": sorted(rows, key=lambda r: r["cumtime"], reverse=True)[:25],
                         "file": path + ".txt"}
    return result


_STDLIB = re.compile(r"lib/python3\.\d+/")


def _short(path: str) -> str:
    """A readable location: ``specwire/mapping.py``, ``httpcore/_async/…``, ``asyncio/events.py``."""
    if path == "~":
        return "~"
    for marker in ("site-packages/", "/engine/"):
        i = path.find(marker)
        if i >= 0:
            return ("specwire/" if marker == "/engine/" else "") + path[i + len(marker):]
    m = _STDLIB.search(path)
    if m:
        return path[m.end():]
    return os.path.basename(path)


def _group(path: str, func: str) -> str:
    """Who owns a profiled function: ``specwire.<module>``, a third-party package, a stdlib
    package, or the built-in/C function itself (json.loads' C scanner, socket calls…)."""
    short = _short(path)
    if short == "~":
        name = re.sub(r"^<(built-in method |method )?", "", func).rstrip(">")
        return "builtin: " + name.split(" of ")[0]
    if short.startswith("specwire/"):
        parts = short.split("/")
        return "specwire." + parts[1].removesuffix(".py")
    head = short.split("/")[0].removesuffix(".py")
    return head


METRICS = {
    "cpu_sync": m_cpu_sync, "cpu_async": m_cpu_async, "rps64": m_rps64, "stream": m_stream, "stream_sync": m_stream_sync,
    "ttfe": m_ttfe, "rss_streams": m_rss_streams, "rss_growth": m_rss_growth, "profile": m_profile,
}


def main() -> None:
    job = json.loads(sys.argv[1])
    results: dict[str, Any] = {}
    for metric in job["metrics"]:
        try:
            results[metric] = METRICS[metric](job)
        except clients.NotAvailable as exc:
            results[metric] = {"na": str(exc)}
        except Exception as exc:  # noqa: BLE001  (reported in the table, never hidden)
            results[metric] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
        gc.collect()
    sys.stdout.write("\nRESULT " + json.dumps(results) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
