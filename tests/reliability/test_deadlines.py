"""Stream deadlines against a loopback server that trickles, pings or goes silent (docs/RELIABILITY.md
section 4 rows ``slowloris_trickle``, ``keepalive_only_stall``, ``first_event_timeout``).

What this protects: a socket read timeout alone never fires on a server that sends one byte every
few seconds or a keep-alive every second (httpx#1450; openai PR #3566 review), so an LLM call can
hang for hours.  The engine's ``first_event`` (time to first token), ``idle`` (between content
events; keep-alives do not count) and ``total`` deadlines must end such calls on time, sync and
async, with a timeout error (``ReadTimeout`` for first-event/idle, ``DeadlineExceeded`` for
total, both ``APITimeoutError``).  The intervals of the checklist (1 byte / 2 s, read timeout 5 s,
pings every 1 s for 60 s) are scaled down 20× to keep the suite fast; the ratios are kept.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from specwire import APITimeoutError, DeadlineExceeded, ReadTimeout
from specwire.retry import Timeouts
from tests.hostile.server import HostileServer, Pings, Sleep, Stall, Trickle, anthropic_sse, openai_chunk, openai_sse, sse, stream_reply
from tests.reliability.helpers import MODELS, expect_error

GPT, CLAUDE, GEMINI = MODELS["openai"], MODELS["anthropic"], MODELS["gemini"]


# ---------------------------------------------------------------------------- slowloris_trickle
@pytest.mark.parametrize("limit", ["idle", "first_event", "total"])
def test_slowloris_trickle(drive: Any, hostile: HostileServer, sleeps: list[float], limit: str) -> None:
    """One byte every 0.1 s while the socket read timeout is 0.25 s (so it never fires): the
    ``idle`` (0.5 s, after a first delta), ``first_event`` (0.5 s) or ``total`` (0.8 s) deadline
    ends the call on time with ``ReadTimeout`` (idle, first event) or ``DeadlineExceeded`` (total),
    both ``APITimeoutError`` (httpx#1450; toxiproxy ``slicer``)."""
    pieces = openai_sse(["first"])
    slow = b"data: " + json.dumps(openai_chunk("never finished")).encode() + b"\n\n"
    if limit == "first_event":
        body = [Trickle(pieces[0] + slow, 0.1)]
        timeout = Timeouts(connect=1, read=0.25, first_event=0.5)
        bound, cls = 0.5, ReadTimeout
    elif limit == "idle":
        body = [pieces[0], pieces[1], Trickle(slow, 0.1)]
        timeout = Timeouts(connect=1, read=0.25, idle=0.5)
        bound, cls = 0.5, ReadTimeout
    else:
        body = [pieces[0], pieces[1], Trickle(slow, 0.1)]
        timeout = Timeouts(connect=1, read=0.25, total=0.8)
        bound, cls = 0.8, DeadlineExceeded
    hostile.script(stream_reply(body))
    d = drive(hostile)
    out = d.stream(GPT, timeout=timeout, max_retries=0)
    err = expect_error(out, cls)
    assert isinstance(err, APITimeoutError)
    assert bound - 0.05 <= out.elapsed <= bound + 0.35, f"{limit} deadline {bound} s fired after {out.elapsed:.2f} s"
    if limit != "first_event":
        assert out.partial.text == "first"
    assert hostile.count == 1 and sleeps == []
    assert d.leaks(hostile) == []


# ---------------------------------------------------------------------------- keepalive_only_stall
PINGS = {
    "sse-comment": ("openai", b": ping\n\n"),
    "openai-empty-chunk": ("openai", b"data: " + json.dumps({"id": "c", "object": "chat.completion.chunk", "model": "m", "choices": []}).encode() + b"\n\n"),
    "anthropic-ping-event": ("anthropic", sse(("ping", {"type": "ping"}))),
    "gemini-whitespace": ("gemini", b" \r\n"),
}


@pytest.mark.parametrize("when", ["before-first-event", "after-content"])
@pytest.mark.parametrize("kind", list(PINGS))
def test_keepalive_only_stall(drive: Any, hostile: HostileServer, kind: str, when: str) -> None:
    """Keep-alives every 50 ms and no content for ever (an SSE comment, an OpenAI chunk with no
    choices, an Anthropic ``ping`` event, whitespace between Gemini array elements): the idle or
    first-event deadline (0.3 s) fires despite the traffic (openai PR #3566 review)."""
    provider, ping = PINGS[kind]
    if provider == "openai":
        head = openai_sse(["hi"])[:2]
    elif provider == "anthropic":
        head = anthropic_sse(["hi"])[0]
    else:
        head = [b'[{"candidates":[{"content":{"role":"model","parts":[{"text":"hi"}]},"index":0}]}', b","]
    opening = head[:1] if when == "before-first-event" and provider != "gemini" else ([b"["] if provider == "gemini" and when == "before-first-event" else head)
    hostile.script(stream_reply([*opening, Pings(0.05, data=ping)], content_type="application/json" if provider == "gemini" else "text/event-stream"))
    timeout = Timeouts(connect=1, read=5, first_event=0.3) if when == "before-first-event" else Timeouts(connect=1, read=5, idle=0.3)
    d = drive(hostile, provider)
    out = d.stream(MODELS[provider], timeout=timeout, max_retries=0)
    expect_error(out, ReadTimeout)
    assert 0.25 <= out.elapsed <= 0.9, f"fired after {out.elapsed:.2f} s"
    if when == "after-content":
        assert out.partial.text == "hi"
    assert d.leaks(hostile) == []


# ---------------------------------------------------------------------------- first_event_timeout
@pytest.mark.parametrize("retries", [0, 2])
def test_first_event_timeout(drive: Any, hostile: HostileServer, sleeps: list[float], retries: int) -> None:
    """200 and headers, then silence: ``ReadTimeout`` after ``first_event`` (0.3 s), although the
    read timeout is 5 s (the SDKs only have a 600 s read timeout); a first-event timeout is before
    the first event, so it is retried within ``max_retries``."""
    hostile.always(stream_reply([Stall()]))
    d = drive(hostile)
    out = d.stream(GPT, timeout=Timeouts(connect=1, read=5, first_event=0.3), max_retries=retries)
    expect_error(out, ReadTimeout)
    attempts = retries + 1
    assert 0.3 * attempts - 0.05 <= out.elapsed <= 0.3 * attempts + 0.4, f"{attempts} attempts took {out.elapsed:.2f} s"
    assert hostile.count == attempts and len(sleeps) == retries
    assert d.leaks(hostile) == []




# ---------------------------------------------------------------------------- first_event, then idle
@pytest.mark.parametrize("phase", ["slow-first-event", "silence-after-content"])
def test_first_event_then_idle(drive: Any, hostile: HostileServer, phase: str) -> None:
    """One deadline policy for sync and async: ``first_event`` applies until the first content
    event, ``idle`` only after it.  A server that takes 1 s to the first event under
    ``Timeouts(first_event=3, idle=0.4)`` succeeds (sync streams used to apply ``idle`` from the
    start and failed at 0.4 s); a silence of 2 s after the first content event ends the stream
    with ``ReadTimeout`` after about 0.4 s (the idle deadline, not the 5 s socket timeout)."""
    pieces = openai_sse(["first", "second"])
    if phase == "slow-first-event":
        body = [Sleep(1.0), *pieces]
    else:
        body = [pieces[0], pieces[1], Sleep(2.0), *pieces[2:]]
    hostile.script(stream_reply(body))
    d = drive(hostile)
    out = d.stream(GPT, timeout=Timeouts(connect=1, read=5, first_event=3, idle=0.4), max_retries=0)
    if phase == "slow-first-event":
        assert out.error is None, out.describe()
        assert out.text == "firstsecond" and out.elapsed >= 0.9
    else:
        expect_error(out, ReadTimeout)
        assert 0.35 <= out.elapsed <= 1.5, f"idle fired after {out.elapsed:.2f} s"
        assert out.partial.text == "first"
    assert d.leaks(hostile) == []
