"""Observers under cancellation: the reliability suite's cancellation load
(tests/reliability/test_cancellation.py: streams cancelled twice, left by ``break``, read to the
end, on a loop blocked now and then) with sync and async callbacks registered and specwire logging
at DEBUG.  The observer wraps the event stream, so it must not break the one-close and
no-leak guarantees; and every call that sent a request ends with exactly one ``on_finish`` or
``on_error`` (``error=None`` for the ones the caller stopped)."""

from __future__ import annotations

import functools
from collections import Counter

import pytest

import tests.reliability.test_cancellation as load
from tests.hostile.server import HostileServer

from .conftest import AsyncRecorder, Capture, Recorder

pytest.importorskip("aiohttp")


@pytest.mark.parametrize("backend", load.BACKENDS)
def test_cancel_under_load_with_observers_no_leak(hostile: HostileServer, backend: str, monkeypatch: pytest.MonkeyPatch, records: Capture) -> None:
    sync_rec, async_rec = Recorder(), AsyncRecorder()
    monkeypatch.setattr(load, "make_client", functools.partial(load.make_client, callbacks=[sync_rec, async_rec]))
    load._run_load(hostile, backend, n=60, cancel_at=0.4, steps=8)
    for rec in (sync_rec, async_rec):
        started = {e.call_id for e in rec.of("request")}
        ends = Counter(e.call_id for name, e in rec.calls if name in ("finish", "error"))
        if rec is sync_rec:
            assert set(ends) == started and set(ends.values()) == {1}, "one terminal callback per call"
            stopped = [e for e in rec.of("error") if e.error is None]
            assert stopped, "cancelled and abandoned streams end with on_error(error=None)"
        else:  # after a cancellation nothing is awaited: the async terminal hook may be skipped
            assert set(ends) <= started and set(ends.values()) <= {1}
    assert records.of("finish")
