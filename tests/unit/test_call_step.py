"""The call as a sans-IO step (engine/call.py), its hold-back rule (engine/streams.py ``HoldBack``)
and ``Client.url`` (docs/ARCHITECTURE.md section 2).

What this protects: the decisions the sync and async loops share are made by the :class:`Run`
alone, from bytes and a clock: which events reach the caller when (usage and warnings wait for
the first content event), when a body is drained, when an attempt is a retry candidate and when
the call is over, and which deadline passed.  ``HoldBack`` is the one hold-back rule both a call's
retries and the Router's fallbacks use.  ``Client.url`` renders exactly the URL the built request
has, without a message or a key, for every built-in provider.

Why unit tests: the loops' tests (tests/reliability) reach these decisions only through a server
and real time; here each one is driven directly, so a wrong outcome names itself.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

import specwire
from specwire.call import DONE, DRAIN, Call, Failure, Run
from specwire.errors import DeadlineExceeded, ReadTimeout, ServerError, SpecwireError, UnsupportedOperationError
from specwire.retry import RetryPolicy, Timeouts
from specwire.streams import HoldBack
from specwire.types import ErrorEvent, Finish, TextDelta, Usage, UsageUpdate

_CHUNK = b'data: {"id":"x","object":"chat.completion.chunk","model":"gpt-5.5","choices":[{"index":0,"delta":%s%s}]%s}\n\n'
ROLE = _CHUNK % (b'{"role":"assistant","content":""}', b"", b"")
TEXT = _CHUNK % (b'{"content":"hi"}', b"", b"")
STOP = _CHUNK % (b"{}", b',"finish_reason":"stop"', b"")
USAGE = b'data: {"id":"x","object":"chat.completion.chunk","model":"gpt-5.5","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}\n\n'
DONE_LINE = b"data: [DONE]\n\n"
ERROR = b'data: {"error":{"message":"overloaded","type":"server_error"}}\n\n'


_RESPONSE = specwire.Response(provider="p", model="m")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _run(*, stream: bool = True, timeouts: Timeouts | None = None, clock: Clock | None = None, retries: int = 2) -> Run:
    client = specwire.Client(api_keys={"openai": "k"}, load_entry_points=False)
    spec = client.registry.get("openai")
    plan = client.build("openai:gpt-5.5", "hi", stream=stream)
    run = Run(Call(spec, "gpt-5.5", plan, None, stream, None), RetryPolicy(max_retries=retries), timeouts or Timeouts())
    if clock is not None:
        run.clock = clock
        run.started = clock()
        run.deadline = run.started + run.timeouts.total if run.timeouts.total is not None else None
    return run


def _kinds(events: list[Any]) -> list[str]:
    return [e.type for e in events]


# ---------------------------------------------------------------------------- HoldBack
def test_holdback_keeps_other_events_until_the_first_content_event() -> None:
    hold = HoldBack()
    usage = UsageUpdate(usage=Usage(input_tokens=1))
    assert hold.push([usage]) == ([], None) and hold.held == [usage] and not hold.delivered
    text = TextDelta(index=0, delta="a")
    out, failed = hold.push([text, usage])
    assert out == [usage, text, usage] and failed is None and hold.delivered and hold.held == []


def test_holdback_fails_the_attempt_on_an_error_before_content() -> None:
    hold = HoldBack()
    usage = UsageUpdate(usage=Usage(input_tokens=1))
    error = ErrorEvent(error=ServerError("boom"), response=_RESPONSE)
    out, failed = hold.push([usage, error])
    assert out == [] and failed is error and hold.held == [usage]
    assert hold.take() == [usage] and hold.held == []


def test_holdback_releases_the_held_events_with_a_finish_and_passes_everything_after_content() -> None:
    hold = HoldBack()
    usage = UsageUpdate(usage=Usage(input_tokens=1))
    finish = Finish(response=_RESPONSE)
    assert hold.push([usage, finish]) == ([usage, finish], None)
    after = HoldBack()
    after.push([TextDelta(index=0, delta="a")])
    error = ErrorEvent(error=ServerError("late"), response=_RESPONSE)
    assert after.push([error]) == ([error], None), "an error after content is the caller's, not a failed attempt"


# ---------------------------------------------------------------------------- Run
def test_a_stream_is_delivered_chunk_by_chunk_and_drained_after_its_done_signal() -> None:
    run = _run()
    assert _kinds(run.start())[0] == "response_start"
    run.begin()
    assert run.budget() is None, "no deadline a read must watch: the loops pass no per-read budget"
    out, outcome = run.on_chunk(ROLE)
    assert outcome is None and "text_delta" not in _kinds(out)
    out, outcome = run.on_chunk(TEXT)
    assert "text_delta" in _kinds(out) and outcome is None and run.delivered
    out, outcome = run.on_chunk(STOP + USAGE + DONE_LINE)
    assert outcome is DRAIN and out[-1].type == "finish" and out[-1].response.usage.output_tokens == 1


def test_an_error_before_content_is_a_failure_the_run_retries_then_gives_up() -> None:
    run = _run(retries=1)
    run.start()
    run.begin()
    out, outcome = run.on_chunk(ROLE + ERROR)
    assert isinstance(outcome, Failure) and "error" not in _kinds(out)
    events, delay = run.retry(outcome)
    assert events == [] and delay is not None and delay >= 0, "a server error before content is retried"
    run.next_attempt()
    run.begin()
    _, outcome = run.on_chunk(ERROR)
    assert isinstance(outcome, Failure)
    events, delay = run.retry(outcome)
    assert delay is None and events[-1].type == "error" and isinstance(events[-1].error, SpecwireError)


def test_an_error_after_content_ends_the_call_with_its_error_event() -> None:
    run = _run()
    run.start()
    run.begin()
    run.on_chunk(ROLE + TEXT)
    out, outcome = run.on_error(ReadTimeout("connection lost"))
    assert outcome is DONE and _kinds(out)[-1] == "error" and _kinds(out).count("error") == 1


def test_a_body_that_ends_early_is_a_failure_before_content_and_done_after_it() -> None:
    early = _run()
    early.start()
    early.begin()
    early.on_chunk(ROLE)
    _, outcome = early.on_end()
    assert isinstance(outcome, Failure), "nothing reached the caller: the attempt may be retried"
    late = _run()
    late.start()
    late.begin()
    late.on_chunk(ROLE + TEXT)
    out, outcome = late.on_end()
    assert outcome is DONE and _kinds(out)[-1] == "error" and _kinds(out).count("error") == 1


def test_a_status_error_is_a_failure_with_the_provider_error() -> None:
    run = _run(stream=False)
    failure = run.on_status(503, {"content-type": "application/json"}, b'{"error":{"message":"busy"}}')
    assert isinstance(failure.error, ServerError) and failure.error.status == 503
    redirect = run.on_status(302, {"location": "https://elsewhere.example/x?key=secret"}, b"")
    assert "redirect" in str(redirect.error) and "secret" not in str(redirect.error)


def test_deadlines_are_decided_by_the_run_from_its_clock() -> None:
    clock = Clock()
    run = _run(timeouts=Timeouts(first_event=5.0, total=60.0), clock=clock)
    run.start()
    timeouts = run.begin()
    assert timeouts.read == 5.0, "the headers count against first_event"
    assert run.budget() is not None and run.read_budget() == pytest.approx(5.0)
    clock.now += 6
    _, outcome = run.on_chunk(ROLE)
    assert isinstance(outcome, Failure) and isinstance(outcome.error, ReadTimeout)
    clock.now += 60
    _, outcome = run.on_error(ReadTimeout("read timeout"))
    assert isinstance(outcome, Failure) and isinstance(outcome.error, DeadlineExceeded)


def test_a_retry_sleep_past_the_total_deadline_gives_up() -> None:
    clock = Clock()
    run = _run(timeouts=Timeouts(total=0.001), clock=clock, retries=3)
    run.start()
    run.begin()
    _, outcome = run.on_chunk(ERROR)
    assert isinstance(outcome, Failure)
    events, delay = run.retry(outcome)
    assert delay is None and isinstance(events[-1].error, DeadlineExceeded)


# ---------------------------------------------------------------------------- Client.url
def test_client_url_is_the_url_of_the_built_request_for_every_builtin_provider() -> None:
    client = specwire.Client(load_entry_points=False, env={})
    compared = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for provider in client.registry.providers():
            spec = client.registry.get(provider)
            ref = f"{provider}:{spec.models[0].id if spec.models else 'some-model'}"
            for stream in (False, True):
                try:
                    built = client.build(ref, "x", stream=stream).url
                except SpecwireError as exc:  # a required setting, chat: false…: url() refuses alike
                    with pytest.raises(type(exc)):
                        client.url(ref, stream=stream)
                    continue
                assert client.url(ref, stream=stream) == built, (provider, stream)
                compared += 1
    assert compared >= 20


def test_client_url_takes_the_base_url_and_settings_of_a_call() -> None:
    client = specwire.Client(load_entry_points=False, env={})
    assert client.url("openai:gpt-5.5", base_url="http://127.0.0.1:8080/v1") == "http://127.0.0.1:8080/v1/chat/completions"
    gemini = client.url("gemini:gemini-2.5-flash", stream=True, stream_mode="sse")
    assert "streamGenerateContent" in gemini and "alt=sse" in gemini
    with pytest.raises(specwire.ConfigError):
        client.url("openai:gpt-5.5", settings={"no_such_setting": 1})
    chatless = [p for p in client.registry.providers() if not client.registry.get(p).chat]
    if chatless:
        spec = client.registry.get(chatless[0])
        with pytest.raises(UnsupportedOperationError):
            client.url(f"{chatless[0]}:{spec.models[0].id if spec.models else 'm'}")
