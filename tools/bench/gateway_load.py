"""The load side of the gateway rows (``gateway.py``): a holding fake provider and the async driver.

Both run in the benchmark's main virtual environment (``tools/bench/.venv``: aiohttp, uvloop)::

    python gateway_load.py upstream             # prints "PORT <n>" once listening
    python gateway_load.py drive JOB_JSON       # one run of the measurements: prints "RESULT {...}"

``upstream`` is ``fakeserver.py``'s server (same routes, same pre-built bytes) with two additions,
so that a proxy can be made to hold many streams open at once:

* a path under ``/hold/…`` (``/hold/bench/n40-s4-t0/v1/chat/completions``) answers a stream with
  its headers, the role chunk and the first content chunk only, and keeps the rest until released;
* ``/_release`` writes the rest of every held stream (and ``/_held`` counts them).  A hold never
  outlasts ``--hold-timeout`` seconds.

``drive`` measures, against each target (the fake provider directly, and each proxy in front of
it), with one raw aiohttp client: time to first token of streams sent one at a time, non-stream
requests/s at 64 in flight, and ``streams`` concurrent streams held open at once through each
proxy (all of them past their first token, and as many held at the fake provider, before any is
released).  It reads each proxy's CPU time and RSS from ``/proc`` (its whole process tree).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import fakeserver  # noqa: E402  (standard library only at import)
from clients import MAX_TOKENS, PROMPT  # noqa: E402  (constants; the libraries are imported lazily)

_PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 1024 / 1024
_TICK = os.sysconf("SC_CLK_TCK")


# ============================================================================ holding upstream
def split_after_chunks(response: bytes, k: int) -> tuple[bytes, bytes]:
    """A chunked HTTP response cut after its ``k``-th body chunk: (head and ``k`` chunks, the rest).
    Raises ``ValueError`` when it has fewer than ``k`` chunks."""
    pos = response.index(b"\r\n\r\n") + 4
    for _ in range(k):
        nl = response.index(b"\r\n", pos)
        size = int(response[pos:nl].split(b";")[0], 16)
        if size == 0:
            raise ValueError(f"the response has fewer than {k} chunks")
        pos = nl + 2 + size + 2
    return response[:pos], response[pos:]


def _json_response(obj: Any) -> bytes:
    body = json.dumps(obj).encode()
    return b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)


class HoldServer(fakeserver.Server):
    """fakeserver's routes, plus ``/hold/…`` (a stream stops after its first content chunk until
    ``/_release``), ``/_release`` and ``/_held``."""

    def __init__(self, n: int, size: int, t: int, hold_timeout: float) -> None:
        super().__init__(n, size, t)
        self.hold_timeout = hold_timeout
        self.held: list[tuple[asyncio.Transport, bytes]] = []
        self.current: asyncio.Transport | None = None  # the connection whose request is being answered
        self.timer: asyncio.TimerHandle | None = None

    def body_for(self, path: str, query: str, request_body: bytes) -> bytes:
        if path == "/_release":
            return _json_response({"released": self.release()})
        if path == "/_held":
            return _json_response({"held": len(self.held)})
        if not path.startswith("/hold/"):
            return super().body_for(path, query, request_body)
        data = super().body_for(path[len("/hold"):], query, request_body)
        if b"transfer-encoding: chunked" not in data[:data.index(b"\r\n\r\n")] or self.current is None:
            return data
        first, rest = split_after_chunks(data, 2)  # the role chunk, then the first content chunk
        self.held.append((self.current, rest))
        if self.timer is None:
            self.timer = asyncio.get_running_loop().call_later(self.hold_timeout, self.release)
        return first

    def release(self) -> int:
        """Write the rest of every held stream; returns how many there were."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        held, self.held = self.held, []
        for transport, rest in held:
            if not transport.is_closing():
                transport.write(rest)
        return len(held)


class HoldProtocol(fakeserver.HTTPProtocol):
    def data_received(self, data: bytes) -> None:
        self.server.current = self.transport  # type: ignore[attr-defined]
        super().data_received(data)


async def _serve_upstream(port: int, hold_timeout: float) -> None:
    server = HoldServer(2000, 4, 0, hold_timeout)
    loop = asyncio.get_running_loop()
    srv = await loop.create_server(lambda: HoldProtocol(server), "127.0.0.1", port, backlog=4096, reuse_address=True)
    print(f"PORT {srv.sockets[0].getsockname()[1]}", flush=True)
    async with srv:
        await srv.serve_forever()


def upstream_main(argv: list[str]) -> None:
    import argparse

    ap = argparse.ArgumentParser(prog="gateway_load.py upstream")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--hold-timeout", type=float, default=120.0)
    args = ap.parse_args(argv)
    try:
        import uvloop

        run: Any = uvloop.run
    except ImportError:
        run = asyncio.run
    try:
        run(_serve_upstream(args.port, args.hold_timeout))
    except KeyboardInterrupt:
        pass


# ============================================================================ /proc
def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (from ``/proc/*/stat``)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def tree_cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds of ``pids`` (all threads, and their waited-for children)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return total / _TICK


def tree_rss_mb(pids: list[int]) -> float:
    """Resident set size of ``pids`` together, in MB (``/proc/PID/statm``)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1])
        except OSError:
            continue
    return total * _PAGE_MB


def tree_hwm_mb(pids: list[int]) -> float:
    """The sum of each process's own peak RSS (VmHWM), in MB."""
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


# ============================================================================ driver
def quantile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, linear between the closest ranks."""
    v = sorted(values)
    if not v:
        raise ValueError("no values")
    pos = (len(v) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


class Target:
    """One place to send the bench's chat call: a URL, the model name it routes, its key."""

    def __init__(self, name: str, spec: dict[str, Any]) -> None:
        self.name = name
        self.url = spec["url"]
        self.pid: int | None = spec.get("pid")
        self.headers = {"authorization": f"Bearer {spec['key']}", "content-type": "application/json"}
        self.bodies = {kind: json.dumps(self._body(spec[model], stream)).encode()
                       for kind, model, stream in (("json", "model", False), ("stream", "model", True), ("held", "held_model", True))
                       if model in spec}
        self.pids: list[int] = []

    @staticmethod
    def _body(model: str, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"model": model, "messages": PROMPT, "max_completion_tokens": MAX_TOKENS}
        if stream:
            body.update(stream=True, stream_options={"include_usage": True})
        return body

    def cpu(self) -> float:
        return tree_cpu_s(self.pids) if self.pids else 0.0


async def stream_once(session: Any, t: Target, kind: str = "stream", on_first: Any = None) -> tuple[float, int]:
    """One streamed call read to ``data: [DONE]``: (seconds to the first non-empty content delta,
    content chunks).  ``on_first`` is awaited at the first one."""
    t0 = time.perf_counter()
    first: float | None = None
    n = 0
    async with session.post(t.url, data=t.bodies[kind], headers=t.headers) as resp:
        if resp.status != 200:
            raise RuntimeError(f"{t.name}: HTTP {resp.status}: {(await resp.text())[:300]}")
        async for line in resp.content:
            if not line.startswith(b"data:"):
                continue
            payload = line[5:].strip()
            if payload == b"[DONE]":
                break
            obj = json.loads(payload)
            if "error" in obj:
                raise RuntimeError(f"{t.name}: error event {payload[:300]!r}")
            choices = obj.get("choices") or ()
            if choices and (choices[0].get("delta") or {}).get("content"):
                n += 1
                if first is None:
                    first = time.perf_counter() - t0
                    if on_first is not None:
                        await on_first()
    if first is None:
        raise RuntimeError(f"{t.name}: the stream had no content")
    return first, n


async def json_once(session: Any, t: Target) -> None:
    async with session.post(t.url, data=t.bodies["json"], headers=t.headers) as resp:
        body = await resp.read()
        if resp.status != 200:
            raise RuntimeError(f"{t.name}: HTTP {resp.status}: {body[:300]!r}")
    if not json.loads(body)["choices"][0]["message"]["content"]:
        raise RuntimeError(f"{t.name}: empty reply")


async def measure_ttft(session: Any, targets: list[Target], job: dict[str, Any]) -> dict[str, Any]:
    """Streams one at a time, in blocks of ``block`` per target, targets rotated per round, so
    load from elsewhere spreads over all of them; each proxy's CPU is read around its own blocks."""
    n, block, chunks = job["ttft_streams"], job["ttft_block"], job["chunks"]
    samples: dict[str, list[float]] = {t.name: [] for t in targets}
    cpu: dict[str, float] = {t.name: 0.0 for t in targets}
    rounds = max(1, -(-n // block))
    for r in range(rounds):
        order = targets[r % len(targets):] + targets[:r % len(targets)]
        for t in order:
            c0 = t.cpu()
            for _ in range(min(block, n - r * block)):
                first, got = await stream_once(session, t)
                if got != chunks:
                    raise RuntimeError(f"{t.name}: {got} content chunks, expected {chunks}")
                samples[t.name].append(first * 1000)
            cpu[t.name] += t.cpu() - c0
    return {t.name: {"n": len(samples[t.name]), "ttft_p50_ms": quantile(samples[t.name], 0.5), "ttft_p99_ms": quantile(samples[t.name], 0.99),
                     "ttft_p90_ms": quantile(samples[t.name], 0.9), "server_cpu_ms_per_stream": cpu[t.name] / len(samples[t.name]) * 1000 if t.pids else None}
            for t in targets}


async def measure_rps(session: Any, t: Target, inflight: int, budget: float, warmup: float, upstream: str) -> dict[str, Any]:
    """``inflight`` concurrent non-stream calls in a loop: requests/s over ``budget`` seconds after
    ``warmup`` seconds, the server's CPU per request over the same window, and the connections the
    fake provider (``upstream``) accepted per request in it."""
    state = {"count": 0, "counting": False}
    stop = time.perf_counter() + warmup + budget

    async def loop() -> None:
        while time.perf_counter() < stop:
            await json_once(session, t)
            if state["counting"]:
                state["count"] += 1

    tasks = [asyncio.ensure_future(loop()) for _ in range(inflight)]
    await asyncio.sleep(warmup)
    u0 = await _upstream_get(session, upstream + "/_stats")
    state["counting"], c0, t0 = True, t.cpu(), time.perf_counter()
    done = asyncio.gather(*tasks)
    await asyncio.wait([done], timeout=budget)
    state["counting"] = False
    wall, c1, count = time.perf_counter() - t0, t.cpu(), state["count"]
    u1 = await _upstream_get(session, upstream + "/_stats")
    await done
    # connections the fake provider accepted per request it answered: 0 when the pool reuses them all
    # (the client's own connections to a direct target count too; they are reused after the warm-up)
    upstream_conns = (u1["connections"] - u0["connections"]) / max(1, u1["requests"] - u0["requests"] - 1)
    return {"req_s": count / wall, "requests": count, "wall_s": wall, "upstream_connections_per_request": upstream_conns,
            "server_cpu_ms_per_request": (c1 - c0) / count * 1000 if t.pids and count else None}


async def measure_held(session: Any, t: Target, job: dict[str, Any]) -> dict[str, Any]:
    """``streams`` concurrent streams through ``t`` to the holding route: each waits after its first
    token until all have theirs (and the fake provider holds as many), then all are released and
    read to the end.  Refuses the figure (raises) unless all were open at once."""
    n = job["streams"]
    rss_idle = tree_rss_mb(t.pids)
    state = {"open": 0, "max_open": 0, "failed": 0, "peak": rss_idle}
    all_open = asyncio.Event()  # every stream is past its first token, or failed before it
    release = asyncio.Event()
    firsts: list[float] = []

    async def at_first() -> None:
        state["open"] += 1
        state["max_open"] = max(state["max_open"], state["open"])
        if state["open"] + state["failed"] >= n:
            all_open.set()
        await release.wait()

    async def one() -> int:
        opened = False

        async def first_token() -> None:
            nonlocal opened
            opened = True
            await at_first()

        try:
            first, got = await stream_once(session, t, "held", first_token)
            firsts.append(first * 1000)
            return got
        except BaseException:
            if not opened:
                state["failed"] += 1
                if state["open"] + state["failed"] >= n:
                    all_open.set()
            raise
        finally:
            if opened:
                state["open"] -= 1

    async def sample() -> None:
        while True:
            state["peak"] = max(state["peak"], tree_rss_mb(t.pids))
            await asyncio.sleep(job["rss_interval"])

    sampler = asyncio.ensure_future(sample())
    c0, t0 = t.cpu(), time.perf_counter()
    tasks = asyncio.gather(*(one() for _ in range(n)), return_exceptions=True)
    try:
        await asyncio.wait_for(asyncio.shield(all_open.wait()), timeout=job["barrier_timeout"])
    except TimeoutError:
        pass
    at_barrier = tree_rss_mb(t.pids)
    held = await _upstream_get(session, job["upstream"] + "/_held")
    state["peak"] = max(state["peak"], at_barrier)
    max_open = state["max_open"]
    release.set()
    await _upstream_get(session, job["upstream"] + "/_release")
    counts = await tasks
    wall, cpu = time.perf_counter() - t0, t.cpu() - c0
    sampler.cancel()
    errors = [f"{type(c).__name__}: {c}" for c in counts if isinstance(c, BaseException)]
    short = [c for c in counts if isinstance(c, int) and c != job["held_chunks"]]
    if max_open < n or held["held"] < n or errors or short:
        raise RuntimeError(f"only {max_open} of {n} streams were open at once at the client and {held['held']} held at the fake provider "
                           f"({len(errors)} errors{', first: ' + errors[0] if errors else ''}; {len(short)} incomplete); peak RSS not reported")
    return {"streams": n, "max_open": max_open, "held_upstream": held["held"], "rss_idle_mb": rss_idle, "rss_at_barrier_mb": at_barrier,
            "peak_rss_mb": state["peak"], "hwm_mb": tree_hwm_mb(t.pids), "wall_s": wall, "server_cpu_ms_per_stream": cpu / n * 1000,
            "ttft_p50_ms": quantile(firsts, 0.5), "ttft_p99_ms": quantile(firsts, 0.99)}


async def _upstream_get(session: Any, url: str) -> dict[str, Any]:
    async with session.get(url) as resp:
        return json.loads(await resp.read())  # type: ignore[no-any-return]


async def drive(job: dict[str, Any]) -> dict[str, Any]:
    import aiohttp

    targets = [Target(name, spec) for name, spec in job["targets"].items()]
    for t in targets:
        if t.pid:
            t.pids = process_tree(t.pid)
    proxies = [t for t in targets if t.pid]
    out: dict[str, Any] = {t.name: {} for t in targets}
    connector = aiohttp.TCPConnector(limit=job["streams"] + 80, limit_per_host=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=job["barrier_timeout"] + 120)
    t0 = time.perf_counter()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        for t in targets:  # warm-up: connections, first-call caches, the servers' lazy imports
            for _ in range(job["warmup"]):
                await json_once(session, t)
                await stream_once(session, t)
        phases = out["phase_s"] = {"warmup": time.perf_counter() - t0}
        for name, r in (await measure_ttft(session, targets, job)).items():
            out[name]["ttft"] = r
        phases["ttft"] = time.perf_counter() - t0 - sum(phases.values())
        rot = job["run"] % len(targets)
        for t in targets[rot:] + targets[:rot]:
            try:
                out[t.name]["rps64"] = await measure_rps(session, t, 64, job["rps_budget"], job["rps_warmup"], job["upstream"])
            except Exception as exc:  # noqa: BLE001 - reported in the row
                out[t.name]["rps64"] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
        phases["rps64"] = time.perf_counter() - t0 - sum(phases.values())
        rot = job["run"] % max(1, len(proxies))
        for t in proxies[rot:] + proxies[:rot]:
            h0 = time.perf_counter()
            try:
                out[t.name]["held"] = await measure_held(session, t, job)
            except Exception as exc:  # noqa: BLE001 - reported in the row
                out[t.name]["held"] = {"error": f"{type(exc).__name__}: {exc}"[:800], "wall_s": time.perf_counter() - h0}
        phases["held"] = time.perf_counter() - t0 - sum(phases.values())
        for t in proxies:
            out[t.name]["processes"] = len(process_tree(t.pid)) if t.pid else 0
    return out


def drive_main(argv: list[str]) -> None:
    job = json.loads(argv[0])
    try:
        res = asyncio.run(drive(job))
    except Exception as exc:  # noqa: BLE001 - one line for run.py
        res = {"error": f"{type(exc).__name__}: {exc}"[:800]}
    print("RESULT " + json.dumps(res), flush=True)


if __name__ == "__main__":
    commands = {"upstream": upstream_main, "drive": drive_main}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](sys.argv[2:])
