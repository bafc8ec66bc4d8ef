"""The callback API (docs/observability.md, "Callbacks") on both transports, sync and async:
``on_request`` / ``on_response_headers`` per attempt, ``on_retry`` per retry, exactly one
``on_finish`` or ``on_error`` per call; ``async def`` callbacks awaited in async calls; client and
per-call callbacks both run; a callback that raises does not break the call; no secret in any event."""

from __future__ import annotations

import logging
from typing import Any

import pytest

import specwire
from specwire.observe import FailureEvent, FinishEvent, RequestEvent, ResponseHeadersEvent, RetryEvent
from tests.hostile.server import HostileServer, openai_error, openai_ok

from .conftest import MODEL, AsyncRecorder, Capture, Recorder, assert_no_secret


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
def test_events_of_a_call_retried_twice(drive: Any, hostile: HostileServer, sleeps: list[float], stream: bool) -> None:
    rec = Recorder()
    d = drive(hostile, callbacks=[rec])
    hostile.script(openai_error(500), openai_error(503), openai_ok(stream))
    out = d.call(stream, MODEL)
    assert out.error is None, out.describe()
    assert rec.names() == ["request", "headers", "retry", "request", "headers", "retry", "request", "headers", "finish"]
    requests: list[RequestEvent] = rec.of("request")
    assert [e.attempt for e in requests] == [1, 2, 3]
    assert all(e.url == hostile.url("/v1/chat/completions") and e.method == "POST" and e.stream is stream for e in requests)
    assert requests[0].request.messages[0].content == "hi"
    headers: list[ResponseHeadersEvent] = rec.of("headers")
    assert [e.status for e in headers] == [500, 503, 200]
    retries: list[RetryEvent] = rec.of("retry")
    assert [(e.attempt, e.status) for e in retries] == [(1, 500), (2, 503)]
    assert [e.delay for e in retries] == sleeps
    assert isinstance(retries[0].error, specwire.ServerError)
    (finish,) = rec.of("finish")
    assert isinstance(finish, FinishEvent)
    response = out.response or out.partial
    assert finish.attempts == 3 and finish.response.text == response.text == "Hello"
    assert finish.usage == response.usage and finish.duration >= 0
    assert finish.server_address == "127.0.0.1" and finish.server_port == hostile.port
    if stream:
        assert finish.time_to_first_event is not None and finish.time_to_first_event <= finish.duration
    assert len({e.call_id for _, e in rec.calls}) == 1
    assert_no_secret(*(e for _, e in rec.calls))


def test_an_error_ends_with_one_on_error(drive: Any, hostile: HostileServer, sleeps: list[float]) -> None:
    rec = Recorder()
    d = drive(hostile, callbacks=[rec])
    hostile.script(openai_error(401, type_="invalid_request_error"))
    out = d.complete(MODEL)
    assert isinstance(out.error, specwire.AuthenticationError)
    assert rec.names() == ["request", "headers", "error"]
    (error,) = rec.of("error")
    assert isinstance(error, FailureEvent) and error.error is out.error and error.attempts == 1
    assert_no_secret(*(e for _, e in rec.calls))


def test_a_stream_left_early_ends_with_on_error_without_an_error(drive: Any, hostile: HostileServer) -> None:
    rec = Recorder()
    d = drive(hostile, callbacks=[rec])
    hostile.script(openai_ok(True, ("a", "b", "c", "d")))
    out = d.stream(MODEL, stop_after=1)
    assert out.error is None
    assert rec.names() == ["request", "headers", "error"]
    (error,) = rec.of("error")
    assert error.error is None and error.time_to_first_event is not None


def test_async_callbacks_are_awaited_in_async_calls_and_skipped_in_sync_ones(drive: Any, hostile: HostileServer, flavor: str) -> None:
    rec = AsyncRecorder()
    d = drive(hostile, callbacks=[rec])
    hostile.script(openai_ok(False))
    out = d.complete(MODEL)
    assert out.error is None
    if d.is_async:
        assert rec.names() == ["request", "headers", "finish"]
    else:
        assert rec.names() == [], "a sync call cannot await an async callback"


def test_client_and_per_call_callbacks_both_run(drive: Any, hostile: HostileServer) -> None:
    client_rec, call_rec = Recorder(), Recorder()
    d = drive(hostile, callbacks=[client_rec])
    hostile.script(openai_ok(False), openai_ok(False))
    assert d.complete(MODEL, callbacks=[call_rec]).error is None
    assert client_rec.names() == call_rec.names() == ["request", "headers", "finish"]
    assert d.complete(MODEL).error is None
    assert len(client_rec.of("finish")) == 2 and len(call_rec.of("finish")) == 1, "a per-call callback is for that call only"


class _Broken(specwire.Callbacks):
    def on_request(self, event: Any) -> None:
        raise RuntimeError("callback bug")

    async def on_finish(self, event: Any) -> None:
        raise RuntimeError("async callback bug")


def test_a_raising_callback_does_not_break_the_call(drive: Any, hostile: HostileServer, records: Capture) -> None:
    rec = Recorder()
    d = drive(hostile, callbacks=[_Broken(), rec])
    hostile.script(openai_ok(False))
    out = d.complete(MODEL)
    assert out.error is None and out.response.text == "Hello"
    assert rec.names() == ["request", "headers", "finish"], "the other callbacks still run"
    failures = [r for r in records.records if r.name == "specwire.callbacks" and r.levelno == logging.WARNING]
    assert len(failures) == (2 if d.is_async else 1)
    assert failures[0].exc_info is not None


def test_an_object_without_callback_methods_is_refused() -> None:
    with pytest.raises(specwire.ConfigError):
        specwire.Client(callbacks=[object()], load_entry_points=False)
