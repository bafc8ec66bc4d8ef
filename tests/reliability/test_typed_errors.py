"""Regression tests: every exception that leaves ``complete``/``stream`` (and the async twins) is a
:class:`~specwire.SpecwireError`, and a local, deterministic problem is a
:class:`~specwire.RequestBuildError` raised before any I/O and never retried.

Each class below once escaped untyped (found by the hardening review):

* ``RecursionError`` from deeply nested JSON in an error body, in tool-call ``arguments`` (a
  response's, and the caller's own OpenAI-style history) and in AWS event-stream payloads (the outer
  JSON and the base64 inner one).  Now one depth-capped decoder (:mod:`specwire.safejson`) reads all
  provider JSON: too deep is invalid JSON, handled where invalid JSON already was;
* ``UnicodeEncodeError`` from a lone surrogate (``"\\ud800"``) in message content or a tool name;
  ``ValueError: Circular reference detected`` from a tool schema that contains itself;
  ``RecursionError`` from a schema nested 5 000 deep; ``TypeError`` from a non-string
  ``extra_headers`` value; ``httpx.InvalidURL`` from CR/LF in a model name that goes in the URL;
  CR/LF in an ``extra_headers`` value, refused by h11 as a (retried) ``TransportError``.  Each is now
  a ``RequestBuildError`` naming the field, with no request sent and no retry sleep.

The hostile loopback server counts requests, so "nothing was sent" is observable.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from specwire import APIStatusError, BadRequestError, Client, ConfigError, FramingError, RequestBuildError, ServerError, SpecwireError
from specwire.framing.eventstream import PayloadChunkFraming, encode_message
from specwire.process import ResponseProcessor
from specwire.registry import default_registry
from specwire.retry import RetryPolicy, Timeouts
from specwire.safejson import MAX_DEPTH, JSONDepthError, loads, problem
from tests.hostile.server import HostileServer, json_reply, openai_chunk, openai_sse, sse, stream_reply
from tests.reliability.faults import stream_parts
from tests.reliability.helpers import MODELS, expect_error

DEEP = 5000


def nested_dict(depth: int) -> dict[str, Any]:
    root: dict[str, Any] = {}
    cur = root
    for _ in range(depth - 1):
        cur["a"] = {}
        cur = cur["a"]
    return root


def circular() -> dict[str, Any]:
    d: dict[str, Any] = {"type": "object"}
    d["properties"] = {"self": d}
    return d


# ---------------------------------------------------------------------------- the decoder and the check
@pytest.mark.parametrize(("depth", "ok"), [(MAX_DEPTH - 1, True), (MAX_DEPTH, True), (MAX_DEPTH + 1, False)])
def test_loads_depth_cap_at_the_limit(depth: int, ok: bool) -> None:
    for text in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth):
        if ok:
            loads(text)
        else:
            with pytest.raises(JSONDepthError):
                loads(text)


def test_loads_brackets_inside_strings_do_not_count() -> None:
    assert loads(json.dumps({"a": "[" * 10_000})) == {"a": "[" * 10_000}


def test_loads_refuses_a_depth_bomb_quickly_and_typed() -> None:
    with pytest.raises(ValueError):
        loads("[" * 100_000)


def test_loads_replaces_lone_surrogates_keeps_pairs() -> None:
    assert loads(r'["\ud800x", "\ud83d\ude00", {"\udc00": "\\ud800"}]') == ["\ufffdx", "\U0001f600", {"\ufffd": "\\ud800"}]


@pytest.mark.parametrize(("depth", "ok"), [(MAX_DEPTH - 1, True), (MAX_DEPTH, True), (MAX_DEPTH + 1, False)])
def test_problem_depth_cap_at_the_limit(depth: int, ok: bool) -> None:
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    assert (problem(value) is None) is ok


def test_problem_names_the_place() -> None:
    assert problem({"p": circular()}, "tools[0]").startswith("tools[0].p.properties.self: a circular reference")  # type: ignore[union-attr]
    assert problem(["ok", "a\ud800"], "messages").startswith("messages[1]:")  # type: ignore[union-attr]
    assert "set" in problem({"x": {1}}, "o")  # type: ignore[operator]
    assert "nan" in problem([float("nan")])  # type: ignore[operator]
    assert problem({"a": [1, 2.5, None, True, {"b": "é"}]}) is None


# ---------------------------------------------------------------------------- hostile responses
@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
def test_deep_error_body_is_an_api_status_error(drive: Any, hostile: HostileServer, sleeps: list[float], stream: bool) -> None:
    """A 400 whose JSON body is nested 100 000 deep: ``BadRequestError`` with the body kept as an
    excerpt of text, never a ``RecursionError``."""
    body = b'{"error":' * 100_000
    from tests.hostile.server import Reply

    hostile.script(Reply(400, (("content-type", "application/json"),), body))
    out = drive(hostile, "openai").call(stream, MODELS["openai"])
    err = expect_error(out, BadRequestError)
    assert err.status == 400 and isinstance(err.body, str)
    assert hostile.count == 1 and sleeps == []


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
def test_deep_tool_arguments_in_a_response_are_kept_as_text(drive: Any, hostile: HostileServer, stream: bool) -> None:
    """A tool call whose ``arguments`` text nests 100 000 deep: the response completes, the call's
    ``arguments`` is ``None`` with the text in ``arguments_text`` and an
    ``invalid-tool-arguments`` warning (as for any arguments that are not a JSON object)."""
    args = "[" * 100_000
    call = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": args}}
    if stream:
        chunk = openai_chunk(role=True)
        chunk["choices"][0]["delta"]["tool_calls"] = [{"index": 0, **call}]
        hostile.script(stream_reply([sse((None, chunk)), sse((None, openai_chunk(None, "tool_calls"))), b"data: [DONE]\n\n"]))
    else:
        body = {"id": "x", "object": "chat.completion", "model": "m", "choices": [{"index": 0, "message": {"role": "assistant", "content": None, "tool_calls": [call]}, "finish_reason": "tool_calls"}]}
        hostile.script(json_reply(200, body))
    out = drive(hostile, "openai").call(stream, MODELS["openai"])
    assert out.error is None, out.describe()
    (tc,) = out.response.tool_calls
    assert tc.arguments is None and tc.arguments_text == args
    assert any(w.kind == "invalid-tool-arguments" for w in out.response.warnings)


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
def test_deep_frame_is_a_framing_error(drive: Any, hostile: HostileServer, stream: bool) -> None:
    """A success frame nested past the cap (but not deep enough to hit Python's own limit): a
    ``FramingError`` like a 100 000-deep one, not a crash further down the pipeline."""
    deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    if stream:
        head = openai_sse(["Hi"])[:1]
        hostile.script(stream_reply([*head, f"data: {{\"x\": {deep}}}\n\n".encode()]))
    else:
        from tests.hostile.server import Reply

        hostile.script(Reply(200, (("content-type", "application/json"),), f'{{"x": {deep}}}'.encode()))
    out = drive(hostile, "openai", max_retries=0).call(stream, MODELS["openai"])
    expect_error(out, FramingError)


def _chunk(payload: bytes) -> bytes:
    return encode_message({":event-type": "chunk", ":content-type": "application/json", ":message-type": "event"}, payload)


def _b64(inner: bytes) -> bytes:
    return json.dumps({"bytes": base64.b64encode(inner).decode()}).encode()


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(b'{"bytes":' * 100_000, id="outer-deep"),
        pytest.param(_b64(b'{"type":' * 100_000), id="inner-deep"),
        pytest.param(_b64(b'{"type": ' + b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1) + b"}"), id="inner-over-cap"),
    ],
)
def test_eventstream_payload_depth_is_a_framing_error(payload: bytes) -> None:
    """Bedrock InvokeModelWithResponseStream (``aws-eventstream-payload``): a nested-too-deep outer
    JSON or base64 inner JSON is a ``FramingError`` from the framing, and the whole pipeline (the
    ``bedrock-anthropic`` spec) ends in one ``error`` event."""
    with pytest.raises(FramingError):
        PayloadChunkFraming().decode(_chunk(payload))
    spec = default_registry().get("bedrock-anthropic")
    proc = ResponseProcessor(spec, model="anthropic.claude-x", stream=True)
    events = proc.start() + proc.feed(_chunk(payload)) + proc.close()
    assert [e.type for e in events].count("error") == 1 and events[-1].type == "error"
    assert isinstance(events[-1].error, FramingError)


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
def test_deep_converse_stream_payload_is_a_framing_error(drive: Any, hostile: HostileServer, stream: bool) -> None:
    """Bedrock ConverseStream (``aws-eventstream``) through the loopback spec: a deep event payload."""
    head, _, ctype = stream_parts("bedrock-loopback")
    bad = encode_message({":event-type": "contentBlockDelta", ":content-type": "application/json", ":message-type": "event"}, b'{"delta":' * 100_000)
    if stream:
        hostile.script(stream_reply([*head[:1], bad], content_type=ctype))
        out = drive(hostile, "bedrock-loopback", max_retries=0).call(True, MODELS["bedrock-loopback"])
        expect_error(out, FramingError)
    else:
        from tests.hostile.server import Reply

        hostile.script(Reply(500, (("content-type", "application/json"),), b'{"message":' * 100_000))
        out = drive(hostile, "bedrock-loopback", max_retries=0).call(False, MODELS["bedrock-loopback"])
        expect_error(out, ServerError)


# ---------------------------------------------------------------------------- hostile arguments
_REFUSED: list[tuple[str, str, Any, dict[str, Any], str]] = [
    ("surrogate-content", "openai", "\ud800", {}, "messages[0]"),
    ("surrogate-content-dict", "anthropic", [{"role": "user", "content": "a\udfffb"}], {}, "messages[0]"),
    ("surrogate-tool-name", "openai", "hi", {"tools": [{"name": "a\ud800"}]}, "tools[0].name"),
    ("circular-schema", "openai", "hi", {"tools": [{"name": "t", "parameters": circular()}]}, "tools[0].parameters"),
    ("deep-schema", "anthropic", "hi", {"tools": [{"name": "t", "parameters": nested_dict(DEEP)}]}, "tools[0].parameters"),
    ("header-int", "openai", "hi", {"extra_headers": {"x-trace": 1}}, "x-trace"),
    ("header-crlf", "openai", "hi", {"extra_headers": {"x-trace": "a\r\nInjected: 1"}}, "x-trace"),
    ("header-name-crlf", "gemini", "hi", {"extra_headers": {"x-a\r\nb": "v"}}, "extra_headers"),
    ("header-not-a-dict", "openai", "hi", {"extra_headers": ["x-a", "b"]}, "extra_headers"),
    ("deep-history-arguments", "openai", [{"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a":' * DEEP}}]}], {}, "c1"),
    ("circular-provider-options", "openai", "hi", {"provider_options": {"openai": {"x": circular()}}}, "provider_options"),
]


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
@pytest.mark.parametrize(("case", "provider", "messages", "options", "field"), _REFUSED, ids=[c[0] for c in _REFUSED])
def test_hostile_argument_is_a_request_build_error_before_io(
    drive: Any, hostile: HostileServer, sleeps: list[float], case: str, provider: str, messages: Any, options: dict[str, Any], field: str, stream: bool,
) -> None:
    """Refused with a ``RequestBuildError`` naming the field; nothing sent, nothing retried; a stream
    with ``raise_on_error=False`` raises it at ``stream()`` (a usage error, before any event)."""
    hostile.always(json_reply(200, {}))
    d = drive(hostile, provider, max_retries=3)
    out = d.call(stream, MODELS[provider], messages, catch=(Exception,), **({"raise_on_error": False} if stream else {}), **options)
    err = expect_error(out, RequestBuildError)
    assert field in str(err), str(err)
    assert hostile.count == 0 and sleeps == []


@pytest.mark.parametrize("model", ["gemini-3.5-flash\r\nx-injected: 1", "gemini-3.5-flash\n", "gemini\x00flash"])
@pytest.mark.parametrize("provider", ["gemini", "openai"])
def test_control_characters_in_the_model_name(drive: Any, hostile: HostileServer, sleeps: list[float], provider: str, model: str) -> None:
    """CR/LF (or any control character) in a model name: ``RequestBuildError`` naming the model,
    whether the spec puts the model in the URL (Gemini) or in the body (OpenAI)."""
    hostile.always(json_reply(200, {}))
    for stream in (False, True):
        out = drive(hostile, provider).call(stream, f"{provider}:{model}", catch=(Exception,))
        err = expect_error(out, RequestBuildError)
        assert "model" in str(err)
    assert hostile.count == 0 and sleeps == []


def test_api_status_error_is_still_raised_for_a_normal_error_body(drive: Any, hostile: HostileServer) -> None:
    """Control: a plain 400 keeps its parsed JSON body (the depth cap does not turn normal bodies
    into text)."""
    hostile.script(json_reply(400, {"error": {"message": "bad", "type": "invalid_request_error", "nested": [[[[1]]]]}}))
    out = drive(hostile, "openai").call(False, MODELS["openai"])
    err = expect_error(out, APIStatusError)
    assert isinstance(err.body, dict) and isinstance(err, SpecwireError)


# ---------------------------------------------------------------------------- call options
_BAD_OPTIONS: list[tuple[str, dict[str, Any], str]] = [
    ("api-key-int", {"api_key": 5}, "api_key"),
    ("api-key-surrogate", {"api_key": "sk-\ud800"}, "api_key"),
    ("api-key-crlf", {"api_key": "sk-abc\r\n"}, "api_key"),
    ("settings-not-a-dict", {"settings": True}, "settings"),
    ("timeout-bool", {"timeout": True}, "timeout"),
    ("timeout-nan", {"timeout": float("nan")}, "timeout"),
    ("timeout-negative", {"timeout": -1}, "timeout"),
    ("timeout-deep", {"timeout": nested_dict(DEEP)}, "timeout"),
    ("max-retries-str", {"max_retries": "x"}, "max_retries"),
    ("max-retries-huge", {"max_retries": 10**30}, "max_retries"),
    ("base-url-bad-ipv6", {"base_url": "https://[::1/v1"}, "base_url"),
    ("base-url-bad-port", {"base_url": "https://127.0.0.1:99999/v1"}, "base_url"),
    ("raise-on-content-filter-dict", {"raise_on_content_filter": {}}, "raise_on_content_filter"),
]


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
@pytest.mark.parametrize(("case", "options", "field"), _BAD_OPTIONS, ids=[c[0] for c in _BAD_OPTIONS])
def test_bad_call_option_is_a_request_build_error_before_io(drive: Any, hostile: HostileServer, sleeps: list[float], case: str, options: dict[str, Any], field: str, stream: bool) -> None:
    hostile.always(json_reply(500, {"error": {"message": "x", "type": "server_error"}}))
    out = drive(hostile, "openai").call(stream, MODELS["openai"], catch=(Exception,), **options)
    err = expect_error(out, RequestBuildError)
    assert field in str(err), str(err)
    assert hostile.count == 0 and sleeps == []


@pytest.mark.parametrize("max_retries", [99, 100, 101])
def test_max_retries_limit(drive: Any, hostile: HostileServer, max_retries: int) -> None:
    """``max_retries`` up to :data:`specwire.request.MAX_RETRIES` (100) is taken, 101 refused."""
    from specwire.request import MAX_RETRIES

    hostile.always(json_reply(400, {"error": {"message": "bad", "type": "invalid_request_error"}}))
    out = drive(hostile, "openai").call(False, MODELS["openai"], catch=(Exception,), max_retries=max_retries)
    expect_error(out, BadRequestError if max_retries <= MAX_RETRIES else RequestBuildError)


def test_unhashable_stream_mode_is_a_request_build_error(drive: Any, hostile: HostileServer) -> None:
    out = drive(hostile, "gemini").stream(MODELS["gemini"], catch=(Exception,), stream_mode={"sse": 1})
    expect_error(out, RequestBuildError)
    assert hostile.count == 0


@pytest.mark.parametrize("value", ["sk-from-a-windows-env-file\r", "sk-\x00x", "sk-\udcff"])
def test_env_key_with_a_control_character_is_a_config_error_not_retried(drive: Any, hostile: HostileServer, sleeps: list[float], value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A key read from the environment with a trailing CR (a ``.env`` file with CRLF line ends) or a
    surrogate (a non-UTF-8 byte): a ``ConfigError`` naming the variable, nothing sent.  It was a
    ``TransportError`` (h11 refuses the header), retried."""
    from specwire import ConfigError
    from tests.reliability.helpers import make_client

    client = make_client(hostile, "openai", key=False, env={"OPENAI_API_KEY": value}, base_urls={"openai": hostile.url("/v1")})
    hostile.always(json_reply(200, {}))
    out = drive(client=client).call(False, MODELS["openai"], catch=(Exception,))
    err = expect_error(out, ConfigError)
    assert "OPENAI_API_KEY" in str(err) and value not in str(err)
    assert hostile.count == 0 and sleeps == []


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
@pytest.mark.parametrize("count", ["1e999", "1" + "0" * 400, "-1e999"])
def test_absurd_usage_counts_are_left_out(drive: Any, hostile: HostileServer, stream: bool, count: str) -> None:
    """``"prompt_tokens": 1e999`` (or 10**400): the response completes with that count left out;
    it was an ``OverflowError`` in the cost computation."""
    usage = f'{{"prompt_tokens": {count}, "completion_tokens": 2}}'
    if stream:
        chunk = json.dumps(openai_chunk("hi", "stop"))
        tail = json.dumps(openai_chunk(usage={"prompt_tokens": 0, "completion_tokens": 0})).replace('{"prompt_tokens": 0, "completion_tokens": 0}', usage)
        hostile.script(stream_reply([f"data: {chunk}\n\ndata: {tail}\n\ndata: [DONE]\n\n".encode()]))
    else:
        from tests.hostile.server import Reply

        body = '{"id": "x", "object": "chat.completion", "model": "m", "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}], "usage": ' + usage + "}"
        hostile.script(Reply(200, (("content-type", "application/json"),), body.encode()))
    out = drive(hostile, "openai").call(stream, MODELS["openai"])
    assert out.error is None, out.describe()
    assert out.response.usage.input_tokens is None and out.response.usage.output_tokens == 2


def test_nan_literal_is_not_json() -> None:
    """Python's ``json`` takes ``NaN`` and ``Infinity``; provider JSON never has them."""
    for text in ("NaN", '{"a": Infinity}', "[-Infinity]"):
        with pytest.raises(ValueError):
            loads(text)


# ---------------------------------------------------------------------------- the aiohttp backend
@pytest.mark.parametrize("case", ["deep-error-body", "deep-frame", "deep-arguments"])
def test_hostile_answers_on_the_aiohttp_backend(hostile: HostileServer, case: str) -> None:
    """The same hostile answers through ``Client(async_backend="aiohttp")`` (async only: the
    backend is the async pool): typed errors, or the arguments kept as text."""
    from tests.hostile.server import Reply
    from tests.reliability.helpers import Driver, make_client

    pytest.importorskip("aiohttp")
    if case == "deep-error-body":
        hostile.always(Reply(400, (("content-type", "application/json"),), b'{"error":' * 100_000))
    elif case == "deep-frame":
        hostile.always(stream_reply([*openai_sse(["Hi"])[:1], b"data: " + b"[" * 100_000 + b"\n\n"]))
    else:
        chunk = openai_chunk(role=True)
        chunk["choices"][0]["delta"]["tool_calls"] = [{"index": 0, "id": "c1", "type": "function", "function": {"name": "f", "arguments": "[" * 100_000}}]
        call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "[" * 100_000}}
        body = {"id": "x", "object": "chat.completion", "model": "m", "choices": [{"index": 0, "message": {"role": "assistant", "content": None, "tool_calls": [call]}, "finish_reason": "tool_calls"}]}
        hostile.script(json_reply(200, body), stream_reply([sse((None, chunk)), sse((None, openai_chunk(None, "tool_calls"))), b"data: [DONE]\n\n"]))
    driver = Driver("async", make_client(hostile, "openai", async_backend="aiohttp", max_retries=0))
    try:
        for stream in (False, True):
            out = driver.call(stream, MODELS["openai"], catch=(Exception,))
            if case == "deep-error-body":
                expect_error(out, BadRequestError)
            elif case == "deep-frame":
                expect_error(out, FramingError)
            else:
                assert out.error is None, out.describe()
                assert out.response.tool_calls[0].arguments is None
    finally:
        driver.close()


# ---------------------------------------------------------------------------- client configuration
@pytest.mark.parametrize("url", ["https://[::1", "https://host:99999/", "not a url", "ftp://example.com"])
def test_a_bad_client_base_url_is_a_config_error_at_construction(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Client(base_urls={"openai": url}, load_entry_points=False)
    assert "base_urls['openai']" in str(caught.value)


@pytest.mark.parametrize("url", ["https://[::1", "https://host:99999/"])
def test_a_bad_base_url_variable_is_a_config_error_naming_it(url: str) -> None:
    env = {"OPENAI_BASE_URL": url, "OPENAI_API_KEY": "sk-CANARY-base-url"}
    with Client(env=env, load_entry_points=False) as client:
        with pytest.raises(ConfigError) as caught:
            client.complete("openai:gpt-5.5", "hi")
    assert "OPENAI_BASE_URL" in str(caught.value)
    assert "CANARY" not in str(caught.value)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Timeouts(read=float("nan")), lambda: Timeouts(total=-0.001), lambda: Timeouts(idle=float("inf")),
        lambda: Timeouts(connect="5"), lambda: Timeouts.of("5"), lambda: Timeouts.of([1]),
        lambda: RetryPolicy(max_retries=-1), lambda: RetryPolicy(max_retries=1.5), lambda: RetryPolicy(max_retries=True),
        lambda: RetryPolicy(max_delay=float("nan")), lambda: RetryPolicy(jitter=(1.0, 0.5)),
        lambda: Client(timeout=float("nan"), load_entry_points=False), lambda: Client(max_retries=-1, load_entry_points=False),
    ],
    ids=["read-nan", "total-negative", "idle-inf", "connect-str", "of-str", "of-list", "retries-negative", "retries-float", "retries-bool", "delay-nan", "jitter-reversed", "client-timeout-nan", "client-retries-negative"],
)
def test_bad_timeouts_and_retry_policies_are_config_errors(make: Any) -> None:
    with pytest.raises(ConfigError):
        make()


def test_zero_is_a_valid_timeout_and_limits_hold() -> None:
    """0 s is a deadline that has passed (what is left of a total deadline), not an error; the
    retry policy's bounds at their limits are accepted."""
    assert Timeouts(read=0, total=0).read == 0
    assert RetryPolicy(max_retries=0, initial_delay=0, jitter=(0.0, 0.0)).max_retries == 0


@pytest.mark.parametrize("attempt", [0, 63, 64, 65, 5000, 10**9])
def test_backoff_never_overflows(attempt: int) -> None:
    policy = RetryPolicy(max_delay=8.0)
    assert 0 <= policy.backoff(attempt) <= 8.0
