"""Framing and body limits through the whole client, sync and async (the SSE, JSON-array, body-cap
and depth rows of docs/RELIABILITY.md section 4).

What this protects: the events a caller gets must not depend on how the network cut the body (line
endings, chunk boundaries inside code points or inside JSON strings, byte-order marks, U+2028 in
JSON), hostile bytes must end in specwire's typed errors (``FramingError`` is the
``StreamProtocolError`` of docs/RELIABILITY.md section 2; ``IncompleteStreamError``), and sizes are
capped (SSE line 16 MiB, non-stream body 64 MiB after decoding, JSON nesting) before memory runs
out.  The framings' own unit tests (tests/unit/test_framing_*.py) check the decoders alone; here
the same inputs go through the transport (httpx decoding, gzip), the processor, the assembler and
the retry loop, served by the loopback server or, where exact chunk boundaries matter, by an httpx
mock transport that delivers precisely the chunks a test chose.

Wire facts: SSE per https://html.spec.whatwg.org/multipage/server-sent-events.html (CR, LF and
CRLF end lines; ``:`` starts a comment; a leading BOM is dropped); Gemini's streamed JSON array per
https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent .
"""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specwire import FramingError, IncompleteStreamError, ReadTimeout, SpecwireError
from specwire.retry import Timeouts
from tests.hostile.server import (
    Generate,
    HostileServer,
    Pings,
    Reply,
    Send,
    Stall,
    Trickle,
    anthropic_sse,
    gzip_bomb,
    openai_chunk,
    openai_sse,
    sse,
    stream_reply,
)
from tests.reliability.helpers import MODELS, Driver, Outcome, expect_error, make_client

GPT, CLAUDE, GEMINI = MODELS["openai"], MODELS["anthropic"], MODELS["gemini"]
MiB = 1024 * 1024


# ---------------------------------------------------------------------------- exact chunks
class _Chunks(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body delivered in exactly these chunks, sync or async."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk


class ExactChunks:
    """An httpx mock transport (sync and async) answering with ``self.chunks``."""

    def __init__(self, content_type: str = "text/event-stream") -> None:
        self.chunks: list[bytes] = []
        self.content_type = content_type
        self.requests = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        return httpx.Response(200, headers={"content-type": self.content_type}, stream=_Chunks(list(self.chunks)))

    def driver(self, flavor: str, provider: str = "openai") -> Driver:
        mock = httpx.MockTransport(self.handler)
        return Driver(flavor, make_client(None, provider, base_urls={provider: "https://mock.invalid/v1" if provider != "gemini" else "https://mock.invalid/v1beta"}, transport=mock, async_transport=mock))


def signature(out: Outcome) -> list[tuple[Any, ...]]:
    """What a caller observes, independent of chunking."""
    sig: list[tuple[Any, ...]] = []
    for e in out.events:
        if e.type in ("text_delta", "reasoning_delta"):
            sig.append((e.type, e.delta))
        elif e.type == "finish":
            r = e.response
            sig.append(("finish", r.text, r.finish_reason.unified if r.finish_reason else None, r.usage.input_tokens if r.usage else None))
        elif e.type == "error":
            sig.append(("error", type(e.error).__name__))
        elif e.type not in ("warning",):
            sig.append((e.type,))
    return sig


def cut(body: bytes, points: list[int]) -> list[bytes]:
    points = sorted({p for p in points if 0 < p < len(body)})
    edges = [0, *points, len(body)]
    return [body[a:b] for a, b in zip(edges, edges[1:])]


# ---------------------------------------------------------------------------- sse_line_endings_property
TEXTS = st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), min_size=1, max_size=12), min_size=1, max_size=5)
EOLS = st.sampled_from([b"\n", b"\r", b"\r\n"])


@st.composite
def sse_bodies(draw: st.DrawFn) -> tuple[list[str], bytes, list[int]]:
    texts = draw(TEXTS)
    events = [json.dumps(openai_chunk("", role=True))] + [json.dumps(openai_chunk(t), ensure_ascii=False) for t in texts] + [json.dumps(openai_chunk(None, "stop")), "[DONE]"]
    mixed = draw(st.booleans())
    fixed = draw(EOLS)
    body = b""
    for event in events:
        eol1, eol2 = (draw(EOLS), draw(EOLS)) if mixed else (fixed, fixed)
        if eol1 == b"\r" and eol2.startswith(b"\n"):
            eol2 = b"\r"  # CR then LF would be one CRLF line ending, not an empty line
        if draw(st.booleans()):
            body += b": keep-alive" + eol1
        body += b"data: " + event.encode() + eol1 + eol2
    n = len(body)
    one_byte = draw(st.booleans())
    points = list(range(1, n)) if one_byte and n < 1200 else draw(st.lists(st.integers(1, max(1, n - 1)), max_size=30))
    return texts, body, points


def test_sse_line_endings_property(flavor: str) -> None:
    """Hypothesis: LF, CR, CRLF or a mix of them, comments, and any cut of the body into reads
    (1-byte reads included) give exactly the events of the same stream in one piece (httpx-sse PR #37;
    Envoy's SSE corpus)."""
    mock = ExactChunks()
    d = mock.driver(flavor)
    try:

        @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(sample=sse_bodies())
        def prop(sample: tuple[list[str], bytes, list[int]]) -> None:
            texts, body, points = sample
            mock.chunks = [body]
            whole = d.stream(GPT)
            mock.chunks = cut(body, points)
            pieces = d.stream(GPT)
            assert whole.error is None, whole.describe()
            assert whole.text == "".join(texts)
            assert signature(pieces) == signature(whole)

        prop()
    finally:
        d.close()


def test_sse_line_endings_over_a_real_socket(drive: Any, hostile: HostileServer) -> None:
    """Not a row of its own: the same property with a real socket, the body trickled one byte per
    millisecond (so the client reads byte-sized pieces) with mixed line endings."""
    body = b"data: " + json.dumps(openai_chunk("", role=True)).encode() + b"\r\n\r\n"
    body += b": ping\r" + b"data: " + json.dumps(openai_chunk("ab")).encode() + b"\r\r"
    body += b"data: " + json.dumps(openai_chunk("cd")).encode() + b"\n\r\n"
    body += b"data: " + json.dumps(openai_chunk(None, "stop")).encode() + b"\n\n" + b"data: [DONE]\r\n\r\n"
    hostile.script(stream_reply([Trickle(body, 0.0005)]))
    d = drive(hostile)
    out = d.stream(GPT)
    assert out.error is None, out.describe()
    assert out.text == "abcd" and out.types[-1] == "finish"


# ---------------------------------------------------------------------------- sse_unicode_separators
@pytest.mark.parametrize("sep", ["\u2028", "\u2029", "\u0085"])
def test_sse_unicode_separators(drive: Any, hostile: HostileServer, sep: str) -> None:
    """``data: {"t":"a\\u2028b"}`` with the raw bytes (``e2 80 a8`` for U+2028): one event, JSON
    intact; U+2028/U+2029/NEL are not SSE line breaks (httpx-sse#34; openai
    ``test_special_new_line_character``)."""
    raw = json.dumps(openai_chunk(f"a{sep}b"), ensure_ascii=False).encode()
    assert sep.encode() in raw
    pieces = openai_sse([])[:1] + [b"data: " + raw + b"\n\n"] + openai_sse([])[1:]
    hostile.script(stream_reply(pieces))
    d = drive(hostile)
    out = d.stream(GPT)
    assert out.error is None, out.describe()
    assert [e.delta for e in out.events if e.type == "text_delta"] == [f"a{sep}b"]


# ---------------------------------------------------------------------------- sse_multibyte_split
def test_sse_multibyte_split(flavor: str, drive: Any, hostile: HostileServer) -> None:
    """``известни`` (2-byte UTF-8) and an emoji (4 bytes) with the body cut inside code points (every
    cut, then 1-byte reads, then trickled over a real socket): the exact text (openai
    ``test_multi_byte_character_multiple_chunks``)."""
    text = ["изв", "естни ", "🦜"]
    body = b"".join(openai_sse(text))
    mock = ExactChunks()
    d = mock.driver(flavor)
    try:
        split_points = [i for i in range(1, len(body)) if (body[i] & 0xC0) == 0x80]  # inside a code point
        assert split_points
        for point in split_points:
            mock.chunks = cut(body, [point])
            out = d.stream(GPT)
            assert out.text == "известни 🦜", (point, out.describe())
        mock.chunks = cut(body, list(range(1, len(body))))
        assert d.stream(GPT).text == "известни 🦜"
    finally:
        d.close()
    hostile.script(stream_reply([Trickle(body, 0.0002)]))
    out = drive(hostile).stream(GPT)
    assert out.error is None and out.text == "известни 🦜", out.describe()


# ---------------------------------------------------------------------------- sse_invalid_utf8
def test_sse_invalid_utf8(drive: Any, hostile: HostileServer) -> None:
    """``\\xff\\xfe`` inside an event's data: decoded with ``errors="replace"`` (httpx's
    ``TextDecoder``), so the text carries U+FFFD and the stream completes; never a
    ``UnicodeDecodeError``."""
    bad = b'data: {"id":"x","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"content":"a\xff\xfeb"},"finish_reason":null}]}\n\n'
    hostile.script(stream_reply(openai_sse([])[:1] + [bad] + openai_sse([])[1:]))
    d = drive(hostile)
    out = d.stream(GPT)
    assert out.error is None, out.describe()
    assert out.text == "a\ufffd\ufffdb"


# ---------------------------------------------------------------------------- sse_comments_pings
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_sse_comments_pings(drive: Any, hostile: HostileServer, provider: str) -> None:
    """``: ping`` comments and ``event: ping`` events between deltas are ignored (Anthropic documents
    ``ping`` events, https://platform.claude.com/docs/build-with-claude/streaming#event-types), and
    they do not reset the idle timer: deltas then pings every 50 ms with ``idle=0.4`` s end in
    ``ReadTimeout`` (openai PR #3566 review)."""
    ping_event = sse(("ping", {"type": "ping"}))
    if provider == "openai":
        plain = openai_sse(["a", "b"])
    else:
        head, tail = anthropic_sse(["a", "b"])
        plain = head + tail
    noisy: list[bytes] = []
    for piece in plain:
        noisy += [b": ping\n\n", piece, ping_event]
    d = drive(hostile, provider)
    hostile.script(stream_reply(plain), stream_reply(noisy))
    quiet_out, noisy_out = d.stream(MODELS[provider]), d.stream(MODELS[provider])
    assert quiet_out.error is None and noisy_out.error is None, noisy_out.describe()
    assert signature(noisy_out) == signature(quiet_out)

    hostile.script(stream_reply([*plain[:-2], Pings(0.05, data=b": ping\n\n" + ping_event)]))
    out = d.stream(MODELS[provider], timeout=Timeouts(connect=2, read=5, idle=0.4), max_retries=0)
    expect_error(out, ReadTimeout)
    assert 0.35 <= out.elapsed <= 1.5, f"idle 0.4 s fired after {out.elapsed:.2f} s"
    assert out.partial.text == "ab"
    assert d.leaks(hostile) == []


# ---------------------------------------------------------------------------- sse_bom
def test_sse_bom(drive: Any, hostile: HostileServer) -> None:
    """A leading ``EF BB BF``: the first event is still parsed (WHATWG drops one leading BOM; neither
    SDK decoder does)."""
    pieces = openai_sse(["first", " second"])
    hostile.script(stream_reply([b"\xef\xbb\xbf" + pieces[0], *pieces[1:]]), stream_reply([b"\xef\xbb", b"\xbf" + pieces[1], *pieces[2:]]))
    d = drive(hostile)
    out = d.stream(GPT)
    assert out.error is None and out.text == "first second", out.describe()
    out = d.stream(GPT)  # a BOM split across reads, in front of a content event
    assert out.error is None and out.text == "first second", out.describe()


# ---------------------------------------------------------------------------- sse_event_missing_data
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_sse_event_missing_data(drive: Any, hostile: HostileServer, provider: str) -> None:
    """``event: x`` followed by a blank line (no ``data``): skipped, never a raw
    ``JSONDecodeError`` (openai ``test_event_missing_data``)."""
    if provider == "openai":
        pieces = openai_sse(["ok"])
    else:
        head, tail = anthropic_sse(["ok"])
        pieces = head + tail
    holes = [b"event: x\n\n", b"event: content_block_delta\n\n", b"event: error\n\n", b"id: 7\n\n"]
    body = [pieces[0], *holes, *pieces[1:]]
    hostile.script(stream_reply(body))
    out = drive(hostile, provider).stream(MODELS[provider])
    assert out.error is None, out.describe()
    assert out.text == "ok" and out.types[-1] == "finish"


# ---------------------------------------------------------------------------- sse_malformed_json
@pytest.mark.parametrize("where", ["first", "after-content"])
def test_sse_malformed_json(drive: Any, hostile: HostileServer, sleeps: list[float], where: str) -> None:
    """``data: {"a":`` then a blank line: ``FramingError`` (the StreamProtocolError of docs/RELIABILITY.md)
    whose excerpt of the bad data is at most 200 bytes and redacted; the connection is closed
    although the server keeps it open (the SDKs leak a raw ``JSONDecodeError``)."""
    from specwire.redact import Secret

    leaked = "sk-CANARY-echoed-" + "z" * 20
    Secret(leaked)  # a key the client knows: it must not come back through an error message
    junk = '{"a":' + json.dumps(leaked) + "," + '"pad":"' + "x" * 10_000
    before = openai_sse(["fine"])[:2] if where == "after-content" else openai_sse([])[:1]
    hostile.script(stream_reply([*before, b"data: " + junk.encode() + b"\n\n", Stall()]))
    d = drive(hostile)
    out = d.stream(GPT)
    err = expect_error(out, FramingError)
    excerpt = str(err).partition("not valid JSON: ")[2]
    assert 0 < len(excerpt.encode()) <= 200 + 32, f"excerpt of {len(excerpt)} chars: {str(err)[:300]}"
    assert "sk-CANARY-echoed" not in str(err) and "sk-CANARY-echoed" not in repr(err)
    assert out.elapsed < 2.0
    assert hostile.count == 1 and sleeps == [], "a malformed frame is not retried"
    if where == "after-content":
        assert err.partial.text == "fine"
    assert d.leaks(hostile) == []
    hostile.script(stream_reply([*before, b'data: {"a":\n\n']))
    out = d.stream(GPT)
    expect_error(out, FramingError)


# ---------------------------------------------------------------------------- sse_line_too_long
def test_sse_line_too_long(drive: Any, hostile: HostileServer) -> None:
    """20 MiB of data without a newline: ``FramingError`` at the 16 MiB line cap; Python memory
    stays bounded (traced peak under 96 MiB while 20 MiB arrive); the connection is closed."""
    pieces = openai_sse(["x"])
    hostile.script(stream_reply([pieces[0], pieces[1], Send(b"data: "), Generate(b"y" * MiB, 20 * MiB), Stall()]))
    d = drive(hostile)
    tracemalloc.start()
    try:
        out = d.stream(GPT)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    err = expect_error(out, FramingError)
    assert "longer than" in str(err) and str(16 * MiB) in str(err)
    assert err.offset is None or err.offset <= 17 * MiB
    assert peak < 96 * MiB, f"peak traced memory {peak / MiB:.0f} MiB for a 16 MiB cap"
    assert out.partial.text == "x"
    assert d.leaks(hostile) == []


# ---------------------------------------------------------------------------- gemini_array_split
GEMINI_ELEMENTS = [
    {"candidates": [{"content": {"role": "model", "parts": [{"text": "curly { and } and [ ] and \"quotes\" and \\"}]}}], "modelVersion": "gemini-3.5-flash", "responseId": "r1"},
    {"candidates": [{"content": {"role": "model", "parts": [{"text": " ёлка 🎄 }]},{"}]}}]},
    {"candidates": [{"content": {"role": "model", "parts": [{"text": "!"}]}, "finishReason": "STOP"}], "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 9, "totalTokenCount": 12}},
]


def _gemini_array() -> bytes:
    return b"[" + b"\r\n,".join(json.dumps(e, ensure_ascii=False).encode() for e in GEMINI_ELEMENTS) + b"]"


def test_gemini_array_split(flavor: str, drive: Any, hostile: HostileServer) -> None:
    """Gemini's streamed array ``[{…}\\r\\n,{…}]`` with strings holding ``{ } [ ]``, quotes,
    backslashes and multi-byte text, cut at every byte boundary (and in 1-byte reads, and over a
    real socket): all objects, in order (google-genai's brace counting breaks on these; nous PR
    #26)."""
    body = _gemini_array()
    expected = GEMINI_ELEMENTS[0]["candidates"][0]["content"]["parts"][0]["text"] + " ёлка 🎄 }]},{" + "!"
    mock = ExactChunks("application/json")
    d = mock.driver(flavor, "gemini")
    try:
        punct = set(b'{}[]",\\\r\n')
        tricky = [i for i in range(1, len(body)) if body[i] in punct or body[i - 1] in punct or body[i] >= 0x80]
        assert len(tricky) > 60  # every cut next to JSON punctuation, CR/LF, or inside a code point
        for point in tricky:
            mock.chunks = cut(body, [point])
            out = d.stream(GEMINI)
            assert out.error is None and out.text == expected, (point, out.describe())
        mock.chunks = cut(body, list(range(1, len(body))))
        out = d.stream(GEMINI)
        assert out.text == expected and out.response.usage.total_tokens == 12
    finally:
        d.close()
    hostile.script(stream_reply([Trickle(body, 0.0002)], content_type="application/json"))
    out = drive(hostile, "gemini").stream(GEMINI)
    assert out.error is None and out.text == expected, out.describe()


# ---------------------------------------------------------------------------- gemini_array_truncated
def test_gemini_array_truncated(drive: Any, hostile: HostileServer, sleeps: list[float]) -> None:
    """EOF after ``[{…},{"candi``: ``IncompleteStreamError``, with the first object delivered as
    events and in the partial response (symfony/ai PR #1988)."""
    first = json.dumps(GEMINI_ELEMENTS[1], ensure_ascii=False).encode()
    hostile.script(stream_reply([b"[" + first + b',{"candi'], content_type="application/json"))
    d = drive(hostile, "gemini")
    out = d.stream(GEMINI)
    err = expect_error(out, IncompleteStreamError)
    assert [e.delta for e in out.events if e.type == "text_delta"] == [" ёлка 🎄 }]},{"]
    assert err.partial.text == " ёлка 🎄 }]},{"
    assert hostile.count == 1 and sleeps == [], "an incomplete stream after content is not retried"
    assert d.leaks(hostile) == []


# ---------------------------------------------------------------------------- nonstream_body_cap
@pytest.mark.parametrize("fault", ["500MiB-body", "gzip-bomb", "gzip-bomb-stream"])
def test_nonstream_body_cap(drive: Any, hostile: HostileServer, fault: str) -> None:
    """A 200 with a 500 MiB body, or a gzip bomb (256 MiB of spaces in ~250 KiB, ``content-encoding:
    gzip``): ``FramingError("response body larger than …")`` at the 64 MiB cap (the SSE line cap for
    a streamed bomb), long before memory runs out (ureq#351).  Traced Python memory stays under
    256 MiB (one compressed read can inflate to ~64 MiB inside httpx's decoder: see the report)."""
    if fault == "500MiB-body":
        reply = Reply(200, (("content-type", "application/json"),), steps=(Send(b'{"pad":"'), Generate(b"z" * MiB, 500 * MiB)), content_length=500 * MiB + 8)
        stream = False
    else:
        bomb = gzip_bomb(256)
        assert len(bomb) < 2 * MiB
        ctype = "application/json" if fault == "gzip-bomb" else "text/event-stream"
        reply = Reply(200, (("content-type", ctype), ("content-encoding", "gzip")), bomb)
        stream = fault == "gzip-bomb-stream"
    hostile.script(reply)
    d = drive(hostile)
    tracemalloc.start()
    try:
        out = d.call(stream, GPT)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    err = expect_error(out, FramingError)
    assert "larger than" in str(err) or "longer than" in str(err), str(err)
    assert peak < 256 * MiB, f"peak traced memory {peak / MiB:.0f} MiB"
    assert d.leaks(hostile) == []


# ---------------------------------------------------------------------------- json_depth_bomb
@pytest.mark.parametrize("shape", ["json-body", "sse-data", "json-array-element"])
def test_json_depth_bomb(drive: Any, hostile: HostileServer, shape: str) -> None:
    """``[`` × 100000 (and a closed ``[[[…]]]`` bomb): ``FramingError`` (or, for an array that
    never closes, ``IncompleteStreamError``), never ``RecursionError`` or a crash (orjson#458)."""
    bomb = b"[" * 100_000
    closed = b"[" * 100_000 + b"]" * 100_000
    if shape == "json-body":
        hostile.script(Reply(200, (("content-type", "application/json"),), bomb), Reply(200, (("content-type", "application/json"),), closed))
        d, model, stream = drive(hostile), GPT, False
    elif shape == "sse-data":
        hostile.script(stream_reply([b"data: " + bomb + b"\n\n"]), stream_reply([b"data: " + closed + b"\n\n"]))
        d, model, stream = drive(hostile), GPT, True
    else:
        hostile.script(stream_reply([b"[" + bomb], content_type="application/json"), stream_reply([b"[" + closed + b"]"], content_type="application/json"))
        d, model, stream = drive(hostile, "gemini"), GEMINI, True
    for _ in range(2):
        out = d.call(stream, model, max_retries=0)
        assert isinstance(out.error, (FramingError, IncompleteStreamError)), out.describe()
        assert not isinstance(out.error.__context__, RecursionError) or isinstance(out.error, SpecwireError)
    assert d.leaks(hostile) == []


