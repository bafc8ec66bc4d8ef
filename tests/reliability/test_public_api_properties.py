"""Property tests (hypothesis) of the public API's error contract.

What this protects: every exception that leaves ``Client.complete`` / ``acomplete`` / ``stream`` /
``astream`` is a :class:`~specwire.SpecwireError` subclass, whatever the caller passes and whatever
the provider answers; and a stream opened with ``raise_on_error=False`` never raises while it is
iterated and ends with exactly one terminal event (``finish`` or ``error``), last.  (Building the
stream, ``client.stream(...)``, may raise a ``SpecwireError``: a usage error such as a bad option is
reported before any event, as the client documents.)

Hostile inputs, for every argument: model refs (unknown providers, control characters, lone
surrogates, non-strings), messages (strings with lone surrogates, dicts of the wrong shape, OpenAI
tool calls whose ``arguments`` are not JSON or nest deeply, non-lists), tools and tool schemas (lone
surrogates, ``nan``, sets, bytes, dicts that contain themselves, nesting thousands deep),
``extra_headers`` (non-strings, CR/LF, non-ASCII, non-dicts), options (out-of-range numbers,
unknown names, junk ``tool_choice`` / ``response_format`` / ``reasoning`` / ``timeout`` /
``max_retries`` / ``api_key`` / ``settings``).  Hostile answers: any status, bodies that are valid
for some provider, truncated, mutated, random bytes, JSON nested 100 000 deep, JSON carrying lone
surrogate escapes or huge numbers.

The provider is an ``httpx.MockTransport`` (no socket; the loopback suites cover the transports).
Hypothesis runs derandomized with no example database (``derandomize=True``, ``database=None``),
so a run is reproducible and cannot flake; ``deadline=None`` because a busy machine is slow.  A short
version runs by default; the long one is marked ``slow``.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specwire import Client, SpecwireError
from specwire.registry import default_registry
from specwire.types import Message

PROVIDERS = ("openai", "anthropic", "gemini")
KEYS = {"openai": "sk-prop", "anthropic": "sk-ant-prop", "gemini": "AIzaprop"}
MODELS = {"openai": "gpt-5.5", "anthropic": "claude-sonnet-5-5", "gemini": "gemini-3.5-flash"}
TERMINAL = ("finish", "error")

FAST = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
LONG = settings(max_examples=400, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])


# ---------------------------------------------------------------------------- hostile values
def _circular() -> dict[str, Any]:
    d: dict[str, Any] = {"type": "object"}
    d["properties"] = {"me": d}
    return d


class _Deep(dict):  # type: ignore[type-arg]
    """A nest of dicts and lists; shown by its depth, so that hypothesis can print a failing example
    (its pretty-printer recurses)."""

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(f"<{self.get('depth')}-deep nest>")


def _nested(depth: int, leaf: Any = 1) -> Any:
    value: Any = leaf
    for i in range(depth - 1):
        value = {"a": value} if i % 2 else [value]
    return _Deep(a=value, depth=depth)


SURROGATES = st.sampled_from(["\ud800", "\udfff", "a\udc80b", "\ud83d"])
TEXT = st.one_of(st.text(max_size=20), SURROGATES, st.sampled_from(["", "\r\n", "\x00", "é", "😀", "a\r\nX-Injected: 1"]))
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30), st.floats(allow_nan=True, allow_infinity=True), TEXT)
JUNK = st.one_of(
    SCALAR,
    st.sampled_from([b"bytes", {1, 2}, object(), (1, 2), frozenset()]),
    st.builds(_circular),
    st.builds(_nested, st.sampled_from([3, 129, 5000])),
)
JSONISH = st.recursive(SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)), max_leaves=8)
VALUE = st.one_of(JSONISH, JUNK)

MODEL_REFS = st.one_of(
    st.sampled_from([f"{p}:{m}" for p, m in MODELS.items()]),
    st.builds(lambda p, m: f"{p}:{m}", st.sampled_from(PROVIDERS), st.one_of(TEXT, st.sampled_from(["gpt-5.5\r\n", "x" * 70_000, "a/../b", "m?key=1#f"]))),
    st.one_of(TEXT, st.none(), st.integers(), st.just(["openai:gpt-5.5"])),
)


def _tool_call_message(args: Any) -> dict[str, Any]:
    return {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": args}}]}


MESSAGE = st.one_of(
    st.builds(lambda r, c: {"role": r, "content": c}, st.sampled_from(["user", "system", "assistant", "tool", "bogus", None]), st.one_of(TEXT, VALUE)),
    st.builds(lambda t: {"role": "user", "content": [{"type": "text", "text": t}]}, TEXT),
    st.builds(lambda u: {"role": "user", "content": [{"type": "image_url", "image_url": {"url": u}}]}, st.one_of(TEXT, st.just("data:image/png;base64,\ud800"))),
    st.builds(_tool_call_message, st.one_of(TEXT, st.just('{"a":' * 5000), st.just("[" * 200 + "]" * 200), VALUE)),
    st.builds(lambda t: Message(role="user", content=t), st.text(max_size=10)),
    VALUE,
)
MESSAGES = st.one_of(TEXT, st.lists(MESSAGE, min_size=1, max_size=3), VALUE)

TOOL = st.one_of(
    st.fixed_dictionaries({"name": TEXT}, optional={"description": TEXT, "parameters": VALUE}),
    st.builds(lambda n, p: {"type": "function", "function": {"name": n, "parameters": p}}, TEXT, VALUE),
    VALUE,
)
HEADERS = st.one_of(st.dictionaries(TEXT, st.one_of(TEXT, VALUE), max_size=2), VALUE)

#: One hostile value per option name (an example usually varies one argument, so a refusal of one
#: argument does not hide what another would do).
OPTION_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "tools": st.one_of(st.lists(TOOL, min_size=1, max_size=2), VALUE),
    "extra_headers": HEADERS,
    "temperature": st.one_of(st.floats(allow_nan=True, allow_infinity=True), VALUE),
    "max_output_tokens": st.one_of(st.integers(min_value=-5, max_value=10**20), VALUE),
    "tool_choice": st.one_of(st.sampled_from(["auto", "none", "required", "f"]), VALUE),
    "response_format": st.one_of(st.sampled_from(["json", "text"]), st.builds(lambda s: {"type": "json_schema", "schema": s}, VALUE), VALUE),
    "reasoning": st.one_of(st.sampled_from(["high", 1024, -1, True]), VALUE),
    "stop_sequences": st.one_of(st.lists(TEXT, max_size=2), VALUE),
    "metadata": st.one_of(st.dictionaries(TEXT, TEXT, max_size=2), VALUE),
    "provider_options": st.one_of(st.builds(lambda p, v: {p: {"x": v}}, st.sampled_from(PROVIDERS), VALUE), VALUE),
    "user": VALUE,
    "seed": VALUE,
    "top_k": VALUE,
    "parallel_tool_calls": VALUE,
    "api_key": st.one_of(TEXT, VALUE),
    "base_url": st.one_of(TEXT, VALUE, st.sampled_from(["https://h:99999/", "https://[::1/", "https://\ud800/", "https://a b/", "ftp://x/", "https://x/" + "a" * 70_000])),
    "settings": st.one_of(st.dictionaries(TEXT, VALUE, max_size=2), VALUE),
    "timeout": st.one_of(st.floats(allow_nan=True, allow_infinity=True), VALUE),
    "max_retries": st.one_of(st.integers(min_value=-2, max_value=3), VALUE),
    "raise_on_content_filter": VALUE,
    "stream_mode": st.one_of(st.sampled_from(["sse", "nope"]), VALUE),
    "no_such_option": VALUE,
}
# ---------------------------------------------------------------------------- hostile answers
def _sse(*datas: Any) -> bytes:
    return b"".join(b"data: " + (d if isinstance(d, bytes) else json.dumps(d).encode()) + b"\n\n" for d in datas)


def _openai_chunk(text: Any) -> dict[str, Any]:
    return {"id": "c", "object": "chat.completion.chunk", "model": "m", "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}


def _bodies(text: Any) -> list[bytes]:
    openai = {"id": "x", "object": "chat.completion", "model": "m", "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 1, "completion_tokens": 1}}
    anthropic = {"id": "m", "type": "message", "role": "assistant", "model": "m", "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "usage": {"input_tokens": 1, "output_tokens": 1}}
    gemini = [{"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP", "index": 0}]}]
    return [
        json.dumps(openai).encode(),
        json.dumps(anthropic).encode(),
        json.dumps(gemini).encode(),
        _sse(_openai_chunk(text), {"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}, b"[DONE]"),
        b"event: message_start\ndata: " + json.dumps({"type": "message_start", "message": {"id": "m", "usage": {"input_tokens": 1}}}).encode() + b"\n\n"
        + b"event: content_block_delta\ndata: " + json.dumps({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}}).encode() + b"\n\n"
        + b"event: message_stop\ndata: {\"type\": \"message_stop\"}\n\n",
        json.dumps({"error": {"message": text, "type": "server_error", "code": text}}).encode(),
        _sse({"error": {"message": text, "code": 500}}),
    ]


DEEP_BODIES = [
    b"[" * 100_000,
    b'{"error":' * 100_000,
    b'{"choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"1","type":"function","function":{"name":"f","arguments":"' + b"[" * 100_000 + b'"}}]},"finish_reason":"tool_calls"}]}',
    _sse(json.loads('{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"1","function":{"name":"f","arguments":""}}]}}]}'))[:-2] + b"\n\n" + b"data: " + b"[" * 100_000 + b"\n\n",
    b"data: " + b"[" * 129 + b"]" * 129 + b"\n\n",
    json.dumps({"error": {"message": _nested(120, "deep")}}).encode(),
]


@st.composite
def answers(draw: st.DrawFn) -> tuple[int, dict[str, str], bytes]:
    status = draw(st.sampled_from([200, 200, 200, 400, 401, 404, 413, 429, 500, 503, 529, 302]))
    ctype = draw(st.sampled_from(["application/json", "text/event-stream", "application/vnd.amazon.eventstream", "text/plain"]))
    headers = {"content-type": ctype}
    if draw(st.booleans()):
        headers["retry-after"] = draw(st.sampled_from(["0", "nan", "inf", "-1", "1e309", "9" * 40, "Zun, 99 Foo", ""]))
    if status == 302:
        headers["location"] = "https://elsewhere.example/x?key=secret"
    text = draw(st.one_of(st.text(max_size=10), st.sampled_from(["\ud800", "\udc00x", "\ud83d\ude00"]), st.integers(), st.none(), st.just(1e308)))
    kind = draw(st.sampled_from(["body", "body", "truncated", "mutated", "deep", "bytes", "json"]))
    if kind == "deep":
        return status, headers, draw(st.sampled_from(DEEP_BODIES))
    if kind == "bytes":
        return status, headers, draw(st.binary(max_size=200))
    if kind == "json":
        return status, headers, json.dumps(draw(JSONISH.filter(lambda v: _dumpable(v)))).encode()
    body = draw(st.sampled_from(_bodies(text)))
    if kind == "truncated":
        body = body[: draw(st.integers(min_value=0, max_value=len(body)))]
    elif kind == "mutated" and body:
        at = draw(st.integers(min_value=0, max_value=len(body) - 1))
        body = body[:at] + draw(st.binary(min_size=1, max_size=8)) + body[at + 1 :]
    return status, headers, body


def _dumpable(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (ValueError, TypeError):
        return False
    return True


# ---------------------------------------------------------------------------- the checks
def _client(answer: tuple[int, dict[str, str], bytes]) -> Client:
    status, headers, body = answer

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers=headers, content=body)

    mock = httpx.MockTransport(handler)
    return Client(api_keys=KEYS, registry=default_registry(), transport=mock, async_transport=mock, load_entry_points=False, max_retries=1, timeout=5.0)


def _without(options: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in options.items() if k != name}


def _untyped(exc: BaseException) -> str:
    return f"{type(exc).__module__}.{type(exc).__name__}: {exc!s}"[:500]


def _check_events(events: list[Any]) -> None:
    types = [e.type for e in events]
    assert [t for t in types if t in TERMINAL] == [types[-1]] and types[-1] in TERMINAL, f"terminal events: {types}"


def check_sync(model_ref: Any, messages: Any, options: dict[str, Any], answer: tuple[int, dict[str, str], bytes]) -> None:
    client = _client(answer)
    try:
        try:
            client.complete(model_ref, messages, **_without(options, "stream_mode"))
        except SpecwireError:
            pass
        except Exception as exc:  # noqa: BLE001 - the property under test
            pytest.fail(f"complete raised {_untyped(exc)}")
        try:
            stream = client.stream(model_ref, messages, raise_on_error=False, **dict(options))
        except SpecwireError:
            return  # a usage error, before any event
        except Exception as exc:  # noqa: BLE001
            pytest.fail(f"stream() raised {_untyped(exc)}")
        events: list[Any] = []
        try:
            with stream:
                for event in stream:
                    events.append(event)
        except Exception as exc:  # noqa: BLE001
            pytest.fail(f"iterating a raise_on_error=False stream raised {_untyped(exc)}")
        _check_events(events)
    finally:
        client.close()


async def _check_async(model_ref: Any, messages: Any, options: dict[str, Any], answer: tuple[int, dict[str, str], bytes]) -> None:
    client = _client(answer)
    try:
        try:
            await client.acomplete(model_ref, messages, **_without(options, "stream_mode"))
        except SpecwireError:
            pass
        except Exception as exc:  # noqa: BLE001
            pytest.fail(f"acomplete raised {_untyped(exc)}")
        try:
            stream = client.astream(model_ref, messages, raise_on_error=False, **dict(options))
        except SpecwireError:
            return
        except Exception as exc:  # noqa: BLE001
            pytest.fail(f"astream() raised {_untyped(exc)}")
        events: list[Any] = []
        try:
            async with stream:
                async for event in stream:
                    events.append(event)
        except Exception as exc:  # noqa: BLE001
            pytest.fail(f"iterating a raise_on_error=False async stream raised {_untyped(exc)}")
        _check_events(events)
    finally:
        await client.aclose()


def check_async(model_ref: Any, messages: Any, options: dict[str, Any], answer: tuple[int, dict[str, str], bytes]) -> None:
    asyncio.run(_check_async(model_ref, messages, options, answer))


# One hostile argument per example (the others valid), so that a refusal of one argument does not
# hide what another would do; then everything hostile at once.
VALID_REFS = st.sampled_from([f"{p}:{m}" for p, m in MODELS.items()])
AXES: dict[str, st.SearchStrategy[tuple[Any, Any, dict[str, Any]]]] = {
    "model_ref": st.tuples(MODEL_REFS, st.just("hi"), st.just({})),
    "messages": st.tuples(VALID_REFS, MESSAGES, st.just({})),
    **{name: st.tuples(VALID_REFS, st.just("hi"), st.builds(lambda v, k=name: {k: v}, strategy)) for name, strategy in OPTION_VALUES.items()},
    "everything": st.tuples(MODEL_REFS, MESSAGES, st.fixed_dictionaries({}, optional=OPTION_VALUES)),
}


def check_both(call: tuple[Any, Any, dict[str, Any]], answer: tuple[int, dict[str, str], bytes]) -> None:
    check_sync(*call, answer)
    check_async(*call, answer)


@pytest.mark.parametrize("axis", list(AXES))
def test_only_specwire_errors(axis: str) -> None:
    """Each argument in turn gets hostile values (a few examples each; the long run below has more)."""

    @settings(FAST, max_examples=4)
    @given(call=AXES[axis], answer=answers())
    def run(call: tuple[Any, Any, dict[str, Any]], answer: Any) -> None:
        check_both(call, answer)

    run()


@FAST
@given(provider=st.sampled_from(PROVIDERS), answer=answers())
def test_hostile_answers_to_a_valid_call(provider: str, answer: Any) -> None:
    """A valid call, every hostile answer (sync and async)."""
    check_both((f"{provider}:{MODELS[provider]}", "hi", {}), answer)


@pytest.mark.slow
@pytest.mark.parametrize("axis", list(AXES))
def test_only_specwire_errors_long(axis: str) -> None:
    @settings(LONG, max_examples=60)
    @given(call=AXES[axis], answer=answers())
    def run(call: tuple[Any, Any, dict[str, Any]], answer: Any) -> None:
        check_both(call, answer)

    run()


@pytest.mark.slow
@LONG
@given(provider=st.sampled_from(PROVIDERS), answer=answers())
def test_hostile_answers_to_a_valid_call_long(provider: str, answer: Any) -> None:
    check_both((f"{provider}:{MODELS[provider]}", "hi", {}), answer)
